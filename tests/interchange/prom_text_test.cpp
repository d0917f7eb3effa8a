#include "interchange/prom_text.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <limits>
#include <string>

namespace perfwatch {
namespace {

Result<Labels> Parse(std::string_view text, size_t* end = nullptr) {
  size_t pos = 0;
  Labels labels;
  Status s = ParseLabelSet(text, &pos, &labels);
  if (end) *end = pos;
  if (!s.ok()) return s;
  return labels;
}

TEST(ParseLabelSet, ReadsNamesAndUnescapesValues) {
  size_t end = 0;
  Result<Labels> labels = Parse(R"({path="C:\\tmp",q="say \"hi\"",nl="a\nb"} 1)", &end);
  ASSERT_TRUE(labels.ok()) << labels.status().message();
  EXPECT_EQ(labels->Get("path"), "C:\\tmp");
  EXPECT_EQ(labels->Get("q"), "say \"hi\"");
  EXPECT_EQ(labels->Get("nl"), "a\nb");
  EXPECT_EQ(end, 41u);
  EXPECT_TRUE(Parse("{}")->empty());
}

TEST(ParseLabelSet, RejectsWhatPromtoolRejectsAndSaysWhere) {
  struct Case {
    std::string text;
    size_t pos;
    std::string message;
  };
  const Case cases[] = {
      {R"({a="1",})", 7, "expected a label name"},
      {R"({a="1" b="2"})", 6, "expected ',' or '}' after a label"},
      {R"({1a="x"})", 1, "expected a label name"},
      {R"({a:"x"})", 2, "expected '=' after label name \"a\""},
      {R"({a=x})", 3, "expected a quoted value for label \"a\""},
      {R"({a="x)", 3, "unterminated label value"},
      {R"({a="x\\\t"})", 7, "bad escape in label value (allowed: \\\\, \\\" and \\n)"},
      {"{a=\"x\ny\"}", 5, "raw newline in label value (write \\n)"},
      {"{a=\"\xff\"}", 4, "label value is not valid UTF-8"},
      {R"({a="1",a="2"})", 0, "duplicate label name \"a\""},
      {R"({__name__="x"})", 0, "invalid label name \"__name__\""},
  };
  for (const Case& c : cases) {
    size_t pos = 0;
    Result<Labels> labels = Parse(c.text, &pos);
    ASSERT_FALSE(labels.ok()) << c.text;
    EXPECT_EQ(labels.status().message(), c.message) << c.text;
    EXPECT_EQ(pos, c.pos) << c.text;
  }
}

TEST(ParsePromFloat, AcceptsWhatGoParseFloatAcceptsAndPromtoolAllows) {
  double v = 0;
  ASSERT_TRUE(ParsePromFloat("1.5", &v));
  EXPECT_EQ(v, 1.5);
  ASSERT_TRUE(ParsePromFloat("+2e3", &v));
  EXPECT_EQ(v, 2000);
  ASSERT_TRUE(ParsePromFloat(".5", &v));
  EXPECT_EQ(v, 0.5);
  ASSERT_TRUE(ParsePromFloat("-0", &v));
  EXPECT_TRUE(v == 0 && std::signbit(v));
  ASSERT_TRUE(ParsePromFloat("+Inf", &v));
  EXPECT_EQ(v, std::numeric_limits<double>::infinity());
  ASSERT_TRUE(ParsePromFloat("-infinity", &v));
  EXPECT_EQ(v, -std::numeric_limits<double>::infinity());
  ASSERT_TRUE(ParsePromFloat("NaN", &v));
  EXPECT_TRUE(std::isnan(v));
  ASSERT_TRUE(ParsePromFloat("1e-400", &v));  // Go rounds underflow to zero
  EXPECT_EQ(v, 0);
  ASSERT_TRUE(ParsePromFloat("5e-324", &v));
  EXPECT_EQ(v, std::numeric_limits<double>::denorm_min());
  for (const char* bad : {"", "1e400", "0x1p3", "1_000", "+nan", "--1", "+-1", "1.5x", " 1", "1 ",
                          "nan(1)", "Inf1"}) {
    EXPECT_FALSE(ParsePromFloat(bad, &v)) << bad;
  }
}

TEST(AppendPromFloat, WritesShortestRoundTripTextAndOpenMetricsSpecials) {
  auto text = [](double v) {
    std::string out;
    AppendPrometheusFloat(out, v);
    return out;
  };
  EXPECT_EQ(text(0.1), "0.1");
  EXPECT_EQ(text(3939340639), "3939340639");
  EXPECT_EQ(text(1e-300), "1e-300");
  EXPECT_EQ(text(-0.0), "-0");
  EXPECT_EQ(text(std::numeric_limits<double>::quiet_NaN()), "NaN");
  EXPECT_EQ(text(std::numeric_limits<double>::infinity()), "+Inf");
  EXPECT_EQ(text(-std::numeric_limits<double>::infinity()), "-Inf");
}

// promtool computes int64(seconds * 1000), truncating; t/1000 as a double
// is often just below the millisecond (1795260165.001 * 1000 is
// 1795260165000.9998). The writer must pick text both readings agree on.
TEST(AppendMsAsSeconds, EveryMillisecondReadsBackUnderTruncationAndRounding) {
  for (TimestampMs base : {TimestampMs{0}, TimestampMs{1'795'260'165'000}, TimestampMs{-86'400'000},
                           TimestampMs{4'102'444'800'000}}) {
    for (TimestampMs ms = base - 3000; ms <= base + 3000; ++ms) {
      std::string text;
      AppendMsAsSeconds(text, ms);
      double seconds = std::strtod(text.c_str(), nullptr);
      ASSERT_EQ(static_cast<TimestampMs>(seconds * 1000.0), ms) << text;
      TimestampMs parsed = 0;
      ASSERT_TRUE(ParseSecondsAsMs(text, &parsed)) << text;
      ASSERT_EQ(parsed, ms) << text;
    }
  }
  std::string text;
  AppendMsAsSeconds(text, 1'795'260'165'000);
  EXPECT_EQ(text, "1795260165");
}

TEST(ParseSecondsAsMs, RoundsToTheNearestMillisecondAndRejectsNonFiniteTimes) {
  TimestampMs ms = 0;
  ASSERT_TRUE(ParseSecondsAsMs("1.001", &ms));
  EXPECT_EQ(ms, 1001);
  ASSERT_TRUE(ParseSecondsAsMs("1.5e9", &ms));
  EXPECT_EQ(ms, 1'500'000'000'000);
  ASSERT_TRUE(ParseSecondsAsMs("-0.0016", &ms));
  EXPECT_EQ(ms, -2);
  for (const char* bad : {"NaN", "+Inf", "1e17", "", "12s"}) {
    EXPECT_FALSE(ParseSecondsAsMs(bad, &ms)) << bad;
  }
}

TEST(UnescapePromText, KnowsOnlyTheThreeEscapes) {
  std::string out;
  ASSERT_TRUE(UnescapePromText(R"(a\\b\"c\nd)", &out));
  EXPECT_EQ(out, "a\\b\"c\nd");
  EXPECT_FALSE(UnescapePromText(R"(\t)", &out));
  EXPECT_FALSE(UnescapePromText("x\\", &out));
}

TEST(IsValidUtf8, RejectsOverlongFormsSurrogatesAndTruncatedSequences) {
  EXPECT_TRUE(IsValidUtf8("plain"));
  EXPECT_TRUE(IsValidUtf8("\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80"));  // é € 😀
  EXPECT_FALSE(IsValidUtf8("\xC0\xAF"));
  EXPECT_FALSE(IsValidUtf8("\xED\xA0\x80"));
  EXPECT_FALSE(IsValidUtf8("\xE2\x82"));
  EXPECT_FALSE(IsValidUtf8("\xF4\x90\x80\x80"));
}

}  // namespace
}  // namespace perfwatch
