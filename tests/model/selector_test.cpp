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
