#include "api/query_params.h"

#include <gtest/gtest.h>

namespace perfwatch {
namespace {

TEST(UrlDecode, DecodesPercentEscapesInEitherCase) {
  EXPECT_EQ(*UrlDecode("a%20b%2Fc%2f", false), "a b/c/");
  EXPECT_EQ(*UrlDecode("%7B__name__%3D~%22cpu.%2A%22%7D", false), "{__name__=~\"cpu.*\"}");
}

TEST(UrlDecode, TurnsPlusIntoSpaceOnlyInQueryStrings) {
  EXPECT_EQ(*UrlDecode("a+b", true), "a b");
  EXPECT_EQ(*UrlDecode("a+b", false), "a+b");
  EXPECT_EQ(*UrlDecode("a%2Bb", true), "a+b");
}

TEST(UrlDecode, RejectsTruncatedAndNonHexEscapesNamingTheOffset) {
  Result<std::string> r = UrlDecode("abc%2", true);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("offset 3"), std::string::npos) << r.status().message();
  EXPECT_FALSE(UrlDecode("%zz", true).ok());
  EXPECT_FALSE(UrlDecode("%", true).ok());
}

TEST(UrlDecode, KeepsBytesThatNeedNoDecoding) {
  EXPECT_EQ(*UrlDecode("", true), "");
  EXPECT_EQ(*UrlDecode("plain_text-1.5~", true), "plain_text-1.5~");
  EXPECT_EQ(*UrlDecode("%00", true), std::string(1, '\0'));
}

TEST(ParseRequestTarget, SplitsPathAndDecodedParametersInOrder) {
  Result<RequestTarget> t =
      ParseRequestTarget("/api/v1/metrics/history?metric=cpu%7Bcpu%3D%220%22%7D&hours=1.5&x");
  ASSERT_TRUE(t.ok()) << t.status().message();
  EXPECT_EQ(t->path, "/api/v1/metrics/history");
  ASSERT_NE(t->query.Get("metric"), nullptr);
  EXPECT_EQ(*t->query.Get("metric"), "cpu{cpu=\"0\"}");
  EXPECT_EQ(*t->query.Get("hours"), "1.5");
  EXPECT_EQ(*t->query.Get("x"), "");
  EXPECT_EQ(t->query.Get("missing"), nullptr);
}

TEST(ParseRequestTarget, KeepsRepeatedParametersAndSkipsEmptyPieces) {
  Result<RequestTarget> t = ParseRequestTarget("/m?match=a&&match=b+c&");
  ASSERT_TRUE(t.ok());
  std::vector<std::string_view> all = t->query.GetAll("match");
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[0], "a");
  EXPECT_EQ(all[1], "b c");
  EXPECT_EQ(t->query.size(), 2u);
}

TEST(ParseRequestTarget, DropsTheFragmentAndDecodesThePath) {
  Result<RequestTarget> t = ParseRequestTarget("/a%20b?k=v#frag");
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t->path, "/a b");
  EXPECT_EQ(*t->query.Get("k"), "v");
}

TEST(ParseRequestTarget, NamesTheParameterWithABadEscape) {
  Result<RequestTarget> t = ParseRequestTarget("/x?ok=1&metric=cpu%G1");
  ASSERT_FALSE(t.ok());
  EXPECT_NE(t.status().message().find("'metric'"), std::string::npos) << t.status().message();
}

TEST(ParseNumbers, AcceptOnlyWholeFiniteNumbers) {
  EXPECT_EQ(*ParseInt64("1700000000000"), 1700000000000);
  EXPECT_EQ(*ParseInt64("-5"), -5);
  EXPECT_FALSE(ParseInt64("12ms").ok());
  EXPECT_FALSE(ParseInt64("").ok());
  EXPECT_FALSE(ParseInt64("99999999999999999999").ok());
  EXPECT_DOUBLE_EQ(*ParseFiniteDouble("0.25"), 0.25);
  EXPECT_FALSE(ParseFiniteDouble("inf").ok());
  EXPECT_FALSE(ParseFiniteDouble("nan").ok());
  EXPECT_FALSE(ParseFiniteDouble("1h").ok());
}

}  // namespace
}  // namespace perfwatch
