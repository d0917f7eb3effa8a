#include "ingest/statsd_parser.h"

#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

namespace perfwatch {
namespace {

std::vector<double> Values(const StatsdLine& line) {
  std::vector<double> out;
  for (const StatsdValue& v : line.values) out.push_back(v.value);
  return out;
}

StatsdLine MustParse(std::string_view text) {
  StatsdLine line;
  StatsdError error = ParseStatsdLine(text, &line);
  EXPECT_EQ(error, StatsdError::kNone) << text << ": " << ToString(error);
  return line;
}

std::string Reason(std::string_view text, StatsdParseOptions options = {}) {
  StatsdLine line;
  return std::string(ToString(ParseStatsdLine(text, &line, options)));
}

TEST(StatsdParser, ReadsEachTypeAsEtsyAndDogStatsdSpellIt) {
  const std::pair<std::string_view, StatsdType> cases[] = {
      {"gorets:1|c", StatsdType::kCounter},           {"gaugor:333|g", StatsdType::kGauge},
      {"glork:320|ms", StatsdType::kTimer},           {"song.length:240|h", StatsdType::kHistogram},
      {"page.views:42|d", StatsdType::kDistribution}, {"uniques:765|s", StatsdType::kSet},
  };
  for (const auto& [text, type] : cases) {
    StatsdLine line = MustParse(text);
    EXPECT_EQ(line.type, type) << text;
    EXPECT_EQ(ToString(line.type), text.substr(text.find('|') + 1));
  }
}

TEST(StatsdParser, ReadsNameValueRateTagsAndTimestamp) {
  StatsdLine line = MustParse("users.online:1.5|c|@0.5|#country:china,beta|T1656581400");
  EXPECT_EQ(line.name, "users.online");
  EXPECT_EQ(Values(line), std::vector<double>{1.5});
  EXPECT_EQ(line.sample_rate, 0.5);
  EXPECT_EQ(line.tags, "country:china,beta");
  EXPECT_EQ(line.timestamp_ms, 1656581400000);
}

TEST(StatsdParser, AReusedLineStartsFromTheDefaults) {
  StatsdLine line;
  ASSERT_EQ(ParseStatsdLine("a:1:2|c|@0.1|#x:y|T1700000000", &line), StatsdError::kNone);
  ASSERT_EQ(ParseStatsdLine("b:3|c", &line), StatsdError::kNone);
  EXPECT_EQ(line.name, "b");
  EXPECT_EQ(Values(line), std::vector<double>{3});
  EXPECT_EQ(line.sample_rate, 1);
  EXPECT_EQ(line.tags, "");
  EXPECT_EQ(line.timestamp_ms, 0);
}

TEST(StatsdParser, ReadsPackedValuesOfDogStatsd11) {
  EXPECT_EQ(Values(MustParse("page.views:1:2:32|d")), (std::vector<double>{1, 2, 32}));
  EXPECT_EQ(Values(MustParse("song.length:240:234|h|@0.5")), (std::vector<double>{240, 234}));
  EXPECT_EQ(Values(MustParse("c:1:2|c")), (std::vector<double>{1, 2}));
}

TEST(StatsdParser, SignedGaugeValuesAreDeltas) {
  StatsdLine line = MustParse("gaugor:333:-10:+4:0|g");
  ASSERT_EQ(line.values.size(), 4u);
  EXPECT_FALSE(line.values[0].delta);
  EXPECT_EQ(line.values[0].value, 333);
  EXPECT_TRUE(line.values[1].delta);
  EXPECT_EQ(line.values[1].value, -10);
  EXPECT_TRUE(line.values[2].delta);
  EXPECT_EQ(line.values[2].value, 4);
  EXPECT_FALSE(line.values[3].delta);
}

TEST(StatsdParser, SignsOfOtherTypesAreNotDeltas) {
  StatsdLine line = MustParse("t:-5:+3|ms");
  EXPECT_FALSE(line.values[0].delta);
  EXPECT_EQ(Values(line), (std::vector<double>{-5, 3}));
  EXPECT_FALSE(MustParse("c:+2|c").values[0].delta);
}

TEST(StatsdParser, ASetMemberIsAnyTextUpToThePipe) {
  StatsdLine line = MustParse("users.uniques:a:b c|s|#k:v");
  EXPECT_EQ(line.member, "a:b c");
  EXPECT_TRUE(line.values.empty());
  EXPECT_EQ(MustParse("u:\xc3\xa9t\xc3\xa9|s").member, "\xc3\xa9t\xc3\xa9");
}

TEST(StatsdParser, ReadsDecimalForms) {
  const std::pair<std::string_view, double> cases[] = {
      {"x:0|g", 0},        {"x:.5|g", 0.5},     {"x:5.|g", 5},  {"x:1e3|g", 1000},
      {"x:1E-3|g", 0.001}, {"x:2.5e+2|g", 250}, {"x:007|g", 7}, {"x:-0.25|ms", -0.25},
  };
  for (const auto& [text, value] : cases) EXPECT_EQ(Values(MustParse(text))[0], value) << text;
}

TEST(StatsdParser, AcceptsDogStatsdContainerExternalDataAndCardinality) {
  StatsdLine line = MustParse("x:1|c|#a:b|c:83c0a99c0a54c0c187f461c7980e9b57f3f6a8b0c9|e:it-abc");
  EXPECT_EQ(line.tags, "a:b");
  MustParse("x:1|g|card:high|T1700000000");
}

TEST(StatsdParser, EmptyTagsSectionMeansNoTags) { EXPECT_EQ(MustParse("x:1|c|#").tags, ""); }

TEST(StatsdParser, TagsSplitIntoKeysAndValues) {
  std::vector<std::pair<std::string, std::string>> tags;
  ForEachStatsdTag("env:prod,,beta,url:http://x:8080/a,empty:,",
                   [&](auto k, auto v) { tags.emplace_back(std::string(k), std::string(v)); });
  EXPECT_EQ(tags, (std::vector<std::pair<std::string, std::string>>{
                      {"env", "prod"},
                      {"beta", "true"},
                      {"url", "http://x:8080/a"},
                      {"empty", ""},
                  }));
}

TEST(StatsdParser, RejectsEachMalformedClassWithItsReason) {
  const std::pair<std::string_view, std::string_view> cases[] = {
      {"", "empty_name"},
      {":1|c", "empty_name"},
      {"|c", "empty_name"},
      {"x", "missing_value"},
      {"x|c", "missing_value"},
      {"x:|c", "missing_value"},
      {"x:|s", "missing_value"},
      {"x:1", "missing_type"},
      {"x:1|", "missing_type"},
      {"x:1||#a:b", "missing_type"},
      {"x:1|q", "bad_type"},
      {"x:1|C", "bad_type"},
      {"x:1|m", "bad_type"},
      {"x:1|mss", "bad_type"},
      {"x:1|c ", "bad_type"},
      {"x:abc|c", "bad_value"},
      {"x:NaN|g", "bad_value"},
      {"x:nan|g", "bad_value"},
      {"x:Infinity|g", "bad_value"},
      {"x:-inf|ms", "bad_value"},
      {"x:0x10|c", "bad_value"},
      {"x:1_000|c", "bad_value"},
      {"x:1e400|g", "bad_value"},
      {"x:1e|g", "bad_value"},
      {"x:.|g", "bad_value"},
      {"x:+|g", "bad_value"},
      {"x:+-5|g", "bad_value"},
      {"x: 1|c", "bad_value"},
      {"x:1 |c", "bad_value"},
      {"x:1::2|ms", "bad_value"},
      {"x:1:|ms", "bad_value"},
      {"x:1:abc|d", "bad_value"},
      {"x:1|c|@", "bad_sample_rate"},
      {"x:1|c|@0", "bad_sample_rate"},
      {"x:1|c|@-0.5", "bad_sample_rate"},
      {"x:1|c|@1.5", "bad_sample_rate"},
      {"x:1|c|@Infinity", "bad_sample_rate"},
      {"x:1|c|@NaN", "bad_sample_rate"},
      {"x:1|c|@0.x", "bad_sample_rate"},
      {"x:1|c|#:v", "bad_tags"},
      {"x:1|c|#a:b,:v", "bad_tags"},
      {"x:1|c|T", "bad_timestamp"},
      {"x:1|c|T-1", "bad_timestamp"},
      {"x:1|c|T0", "bad_timestamp"},
      {"x:1|c|T1.5", "bad_timestamp"},
      {"x:1|c|T+1", "bad_timestamp"},
      {"x:1|c|T99999999999999999999", "bad_timestamp"},
      {"x:1|c|x", "bad_section"},
      {"x:1|c|", "bad_section"},
      {"x:1|c||@0.5", "bad_section"},
      {"x:1|c|@0.5|@0.5", "bad_section"},
      {"x:1|c|#a|#b", "bad_section"},
      {"x:1|c|T1|T2", "bad_section"},
      {"x:1|c|c:a|c:b", "bad_section"},
      {"x:1|c|cx", "bad_section"},
      {"x:-1|c", "negative_counter"},
      {"x:1:-2|c", "negative_counter"},
      {"_e{5,4}:title|text|#a:b", "unsupported"},
      {"_sc|Redis connection|2|#env:dev", "unsupported"},
      {"x\xff:1|c", "bad_utf8"},
      {"x:1|c|#k:\xc3", "bad_utf8"},
      {"x:\xed\xa0\x80|s", "bad_utf8"},
      {"x:1|c|#k:\xc0\xaf", "bad_utf8"},
  };
  for (const auto& [text, reason] : cases) EXPECT_EQ(Reason(text), reason) << "line: " << text;
}

TEST(StatsdParser, RefusesLinesLongerThanTheLimit) {
  StatsdParseOptions options;
  options.max_line_bytes = 16;
  EXPECT_EQ(Reason("x:1|c|#aaaaaaaaa", options), "none");  // 16 bytes
  EXPECT_EQ(Reason("x:1|c|#aaaaaaaaaa", options), "line_too_long");
  std::string huge = "x:1|c|#" + std::string(20000, 'a');
  EXPECT_EQ(Reason(huge), "line_too_long");
}

TEST(StatsdParser, EveryReasonHasItsOwnToken) {
  std::vector<std::string_view> seen;
  for (int e = 0; e <= static_cast<int>(StatsdError::kNegativeCounter); ++e) {
    std::string_view token = ToString(static_cast<StatsdError>(e));
    EXPECT_NE(token, "unknown");
    for (std::string_view s : seen) EXPECT_NE(s, token);
    seen.push_back(token);
  }
}

TEST(StatsdParser, SplitsDatagramsIntoLines) {
  std::vector<std::string> lines;
  ForEachStatsdLine("a:1|c\nb:2|g\r\n\n\r\nc:3|ms\n",
                    [&](std::string_view l) { lines.emplace_back(l); });
  EXPECT_EQ(lines, (std::vector<std::string>{"a:1|c", "b:2|g", "c:3|ms"}));
  lines.clear();
  ForEachStatsdLine("only:1|c", [&](std::string_view l) { lines.emplace_back(l); });
  EXPECT_EQ(lines, (std::vector<std::string>{"only:1|c"}));
  lines.clear();
  ForEachStatsdLine("\n\n", [&](std::string_view l) { lines.emplace_back(l); });
  EXPECT_TRUE(lines.empty());
}

TEST(StatsdParser, NumbersAreFiniteDecimalsOnly) {
  double v = 0;
  EXPECT_TRUE(ParseStatsdNumber("-1.5e2", &v));
  EXPECT_EQ(v, -150);
  EXPECT_TRUE(ParseStatsdNumber("+0.125", &v));
  EXPECT_EQ(v, 0.125);
  for (std::string_view bad : {"", "-", "e5", "inf", "+Inf", "nan", "0x1p3", "1,5", "1.2.3"}) {
    EXPECT_FALSE(ParseStatsdNumber(bad, &v)) << bad;
  }
}

}  // namespace
}  // namespace perfwatch
