#include "model/selector.h"

#include <gtest/gtest.h>

namespace perfwatch {
namespace {

TEST(SeriesSelector, ParsesANameAlone) {
  auto s = SeriesSelector::Parse("system_load1");
  ASSERT_TRUE(s.ok()) << s.status().message();
  EXPECT_EQ(s->metric(), "system_load1");
  EXPECT_TRUE(s->matchers().empty());
}

TEST(SeriesSelector, ParsesEveryMatcherKind) {
  auto s = SeriesSelector::Parse(R"(m{a="1", b!="2",c=~"x|y" , d!~'z.*'})");
  ASSERT_TRUE(s.ok()) << s.status().message();
  ASSERT_EQ(s->matchers().size(), 4u);
  EXPECT_EQ(s->matchers()[2].op, LabelMatcher::Op::kRegexMatch);
  EXPECT_EQ(s->matchers()[3].value, "z.*");
}

TEST(SeriesSelector, MatchesLabelsWithAnchoredRegexes) {
  auto s = SeriesSelector::Parse(R"(m{cpu=~"1|2",mode!="idle"})");
  ASSERT_TRUE(s.ok());
  EXPECT_TRUE(s->Matches({"m", Labels{{"cpu", "1"}, {"mode", "user"}}}));
  EXPECT_FALSE(s->Matches({"m", Labels{{"cpu", "12"}, {"mode", "user"}}}));
  EXPECT_FALSE(s->Matches({"m", Labels{{"cpu", "2"}, {"mode", "idle"}}}));
  EXPECT_FALSE(s->Matches({"other", Labels{{"cpu", "1"}}}));
}

TEST(SeriesSelector, MissingLabelMatchesEmptyString) {
  auto s = SeriesSelector::Parse(R"(m{cpu=""})");
  ASSERT_TRUE(s.ok());
  EXPECT_TRUE(s->Matches({"m", Labels{}}));
  EXPECT_FALSE(s->Matches({"m", Labels{{"cpu", "0"}}}));
}

TEST(SeriesSelector, SelectsByNameMatcherAcrossMetrics) {
  SeriesRegistry reg;
  auto a = *reg.Intern("system_disk_used_percent", Labels{{"mountpoint", "/"}});
  (void)*reg.Intern("system_load1", {});
  auto s = SeriesSelector::Parse(R"({__name__=~"system_disk_.*"})");
  ASSERT_TRUE(s.ok()) << s.status().message();
  EXPECT_EQ(s->Select(reg), std::vector<SeriesId>{a});
}

TEST(SeriesSelector, RefusesRegexesOutsideThePromqlSubset) {
  for (const char* bad :
       {R"(m{a=~"(x)\\1"})", R"(m{a=~"\\66666666666666666666"})", R"(m{a=~"x{99999999999}"})"}) {
    auto s = SeriesSelector::Parse(bad);
    EXPECT_FALSE(s.ok()) << bad;
  }
  EXPECT_FALSE(SeriesSelector::Parse("m{a=~\"" + std::string(600, 'x') + "\"}").ok());
  EXPECT_TRUE(SeriesSelector::Parse(R"(m{a=~"x{2,3}\\.y"})").ok());
}

// Found by fuzz_selector: std::regex took 12 s per series on this pattern
// (and ~20x per extra '*'); RE2 matches in linear time.
TEST(SeriesSelector, PathologicalPatternsMatchInLinearTime) {
  SeriesRegistry reg;
  for (int i = 0; i < 200; ++i) {
    (void)*reg.Intern("system_network_receive_bytes_total_" + std::to_string(i), {});
  }
  // RE2, like Prometheus, refuses stacked quantifiers outright.
  auto stacked = SeriesSelector::Parse(R"({__name__=~"s*******"})");
  ASSERT_FALSE(stacked.ok());
  EXPECT_NE(stacked.status().message().find("bad repetition operator"), std::string::npos);
  for (const char* text : {R"({__name__=~"(s*)*(s*)*(s*)*x"})", R"({__name__=~"(.|.)*x"})",
                           R"({__name__=~"(a|b)*"})"}) {
    auto s = SeriesSelector::Parse(text);
    ASSERT_TRUE(s.ok()) << text << ": " << s.status().message();
    EXPECT_TRUE(s->Select(reg).empty()) << text;  // finishes, and matches nothing here
  }
  auto s = SeriesSelector::Parse(R"({__name__=~"system_.*_1[0-9]"})");
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->Select(reg).size(), 10u);
}

TEST(SeriesSelector, RejectsGarbageNamingTheOffset) {
  for (const char* bad : {"", "m{", "m{a}", "m{a=1}", "m{a=\"1\"", "m{a=~\"(\"}", "m}", "{a=\"1\"}",
                          "m{a=\"1\" b=\"2\"}"}) {
    auto s = SeriesSelector::Parse(bad);
    ASSERT_FALSE(s.ok()) << bad;
    EXPECT_NE(s.status().message().find("offset"), std::string::npos) << s.status().message();
  }
}

}  // namespace
}  // namespace perfwatch
