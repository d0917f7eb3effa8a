#include "api/auth.h"

#include <gtest/gtest.h>

namespace perfwatch {
namespace {

TEST(ConstantTimeEquals, ComparesWholeStrings) {
  EXPECT_TRUE(ConstantTimeEquals("", ""));
  EXPECT_TRUE(ConstantTimeEquals("abc", "abc"));
  EXPECT_FALSE(ConstantTimeEquals("abc", "abd"));
  EXPECT_FALSE(ConstantTimeEquals("abc", "ab"));
  EXPECT_FALSE(ConstantTimeEquals("ab", "abc"));
  EXPECT_FALSE(ConstantTimeEquals("", "a"));
  // A prefix padded with NULs must not pass for the longer token.
  EXPECT_FALSE(ConstantTimeEquals(std::string("ab\0", 3), "ab"));
}

TEST(BearerTokenAllows, AllowsAnythingWhenNoTokenIsConfigured) {
  EXPECT_TRUE(BearerTokenAllows("", ""));
  EXPECT_TRUE(BearerTokenAllows("Basic dXNlcjpwYXNz", ""));
}

TEST(BearerTokenAllows, AcceptsTheTokenWithAnyCaseOfTheScheme) {
  EXPECT_TRUE(BearerTokenAllows("Bearer t0k3n", "t0k3n"));
  EXPECT_TRUE(BearerTokenAllows("bearer t0k3n", "t0k3n"));
  EXPECT_TRUE(BearerTokenAllows("BEARER   t0k3n ", "t0k3n"));
}

TEST(BearerTokenAllows, RejectsMissingWrongOrOtherSchemeCredentials) {
  EXPECT_FALSE(BearerTokenAllows("", "t0k3n"));
  EXPECT_FALSE(BearerTokenAllows("Bearer", "t0k3n"));
  EXPECT_FALSE(BearerTokenAllows("Bearer ", "t0k3n"));
  EXPECT_FALSE(BearerTokenAllows("Bearer t0k3", "t0k3n"));
  EXPECT_FALSE(BearerTokenAllows("Bearer t0k3nn", "t0k3n"));
  EXPECT_FALSE(BearerTokenAllows("Basic t0k3n", "t0k3n"));
  EXPECT_FALSE(BearerTokenAllows("t0k3n", "t0k3n"));
}

}  // namespace
}  // namespace perfwatch
