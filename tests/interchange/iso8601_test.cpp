#include "interchange/iso8601.h"

#include <gtest/gtest.h>

namespace perfwatch {
namespace {

TEST(DaysFromCivil, CountsDaysAcrossLeapYearsAndBeforeTheEpoch) {
  EXPECT_EQ(DaysFromCivil(1970, 1, 1), 0);
  EXPECT_EQ(DaysFromCivil(1969, 12, 31), -1);
  EXPECT_EQ(DaysFromCivil(2000, 3, 1), 11017);
  EXPECT_EQ(DaysFromCivil(2024, 2, 29), 19782);
  EXPECT_EQ(DaysFromCivil(2024, 5, 1), 19844);
  EXPECT_EQ(DaysFromCivil(1600, 1, 1), -135140);
}

TEST(ParseIso8601, ReadsTheSpellingsPythonAndOthersWrite) {
  const TimestampMs noon = 1'714'564'800'000;  // 2024-05-01T12:00:00Z
  EXPECT_EQ(*ParseIso8601("2024-05-01T12:00:00"), noon);
  EXPECT_EQ(*ParseIso8601("2024-05-01T12:00:00Z"), noon);
  EXPECT_EQ(*ParseIso8601("2024-05-01 12:00:00"), noon);
  EXPECT_EQ(*ParseIso8601("2024-05-01T12:00"), noon);
  EXPECT_EQ(*ParseIso8601("2024-05-01T12:00:00.123456"), noon + 123);
  EXPECT_EQ(*ParseIso8601("2024-05-01T12:00:00.5"), noon + 500);
  EXPECT_EQ(*ParseIso8601("2024-05-01T14:00:00+02:00"), noon);
  EXPECT_EQ(*ParseIso8601("2024-05-01T14:00:00+0200"), noon);
  EXPECT_EQ(*ParseIso8601("2024-05-01T14:00:00+02"), noon);
  EXPECT_EQ(*ParseIso8601("2024-05-01T06:30:00-05:30"), noon);
  EXPECT_EQ(*ParseIso8601("2024-05-01"), noon - 12 * 3'600'000);
  EXPECT_EQ(*ParseIso8601("1969-12-31T23:59:59"), -1000);
}

TEST(ParseIso8601, NaiveTimesTakeTheConfiguredOffset) {
  // Local time in UTC+2 (Central European Summer Time).
  EXPECT_EQ(*ParseIso8601("2024-05-01T14:00:00", 120), 1'714'564'800'000);
  EXPECT_EQ(*ParseIso8601("2024-05-01T14:00:00Z", 120), 1'714'572'000'000);
}

TEST(ParseIso8601, ErrorsNameThePartThatIsWrong) {
  struct Case {
    const char* text;
    const char* why;
  };
  const Case cases[] = {
      {"", "expected a date YYYY-MM-DD"},
      {"2024/05/01", "expected a date YYYY-MM-DD"},
      {"2024-13-01", "month out of range"},
      {"2023-02-29", "day out of range"},
      {"2024-05-01X12:00", "expected 'T' after the date"},
      {"2024-05-01T1200", "expected a time hh:mm"},
      {"2024-05-01T24:00:00", "time out of range"},
      {"2024-05-01T12:00:60", "time out of range"},
      {"2024-05-01T12:00:00.", "expected digits after the decimal point"},
      {"2024-05-01T12:00:00+2", "expected an offset Z, +hh:mm, +hhmm or +hh"},
      {"2024-05-01T12:00:00 UTC", "expected an offset Z, +hh:mm, +hhmm or +hh"},
      {"2024-05-01T12:00:00Zoo", "unexpected text after the time"},
  };
  for (const Case& c : cases) {
    Result<TimestampMs> t = ParseIso8601(c.text);
    ASSERT_FALSE(t.ok()) << c.text;
    EXPECT_EQ(t.status().message(),
              "invalid ISO 8601 time \"" + std::string(c.text) + "\": " + c.why);
  }
}

}  // namespace
}  // namespace perfwatch
