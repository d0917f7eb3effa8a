#include "model/duration.h"

#include <gtest/gtest.h>

namespace perfwatch {
namespace {

TEST(Duration, ParsesPrometheusSpellingsAndPlainSeconds) {
  EXPECT_EQ(*ParseDuration("500ms"), 500);
  EXPECT_EQ(*ParseDuration("15s"), 15'000);
  EXPECT_EQ(*ParseDuration("1m"), 60'000);
  EXPECT_EQ(*ParseDuration("1h30m"), 5'400'000);
  EXPECT_EQ(*ParseDuration("2d"), 172'800'000);
  EXPECT_EQ(*ParseDuration("60"), 60'000);
  EXPECT_EQ(*ParseDuration("0.5"), 500);
}

TEST(Duration, RejectsGarbageNamingTheText) {
  for (const char* bad : {"", "fast", "1x", "-5s", "s", "1.5m", "99999999999999y", "nan"}) {
    auto r = ParseDuration(bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_NE(r.status().message().find(std::string("\"") + bad + "\""), std::string::npos);
  }
}

TEST(Duration, FormatsTheShortestExactSpelling) {
  EXPECT_EQ(FormatDuration(90'000), "1m30s");
  EXPECT_EQ(FormatDuration(1500), "1500ms");
  EXPECT_EQ(FormatDuration(7'200'000), "2h");
  EXPECT_EQ(FormatDuration(0), "0s");
  for (int64_t ms : {1, 999, 1000, 61'000, 86'400'000, 90'061'000}) {
    EXPECT_EQ(*ParseDuration(FormatDuration(ms)), ms);
  }
}

}  // namespace
}  // namespace perfwatch
