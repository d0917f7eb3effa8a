#include "model/labels.h"

#include <gtest/gtest.h>

namespace perfwatch {
namespace {

TEST(MetricName, FollowsPrometheusRules) {
  EXPECT_TRUE(IsValidMetricName("system_cpu_usage_percent"));
  EXPECT_TRUE(IsValidMetricName("job:rate5m"));
  EXPECT_TRUE(IsValidMetricName("_x"));
  EXPECT_FALSE(IsValidMetricName(""));
  EXPECT_FALSE(IsValidMetricName("1abc"));
  EXPECT_FALSE(IsValidMetricName("a-b"));
  EXPECT_FALSE(IsValidMetricName("a b"));
}

TEST(LabelName, RejectsReservedAndColons) {
  EXPECT_TRUE(IsValidLabelName("cpu"));
  EXPECT_FALSE(IsValidLabelName("__name__"));
  EXPECT_FALSE(IsValidLabelName("a:b"));
  EXPECT_FALSE(IsValidLabelName("9a"));
}

TEST(Labels, MakeSortsAndRendersEscaped) {
  auto l = Labels::Make({{"z", "1"}, {"a", "q\"\\\n"}});
  ASSERT_TRUE(l.ok());
  EXPECT_EQ(l->ToString(), R"({a="q\"\\\n",z="1"})");
  EXPECT_EQ(l->Get("z"), "1");
  EXPECT_EQ(l->Get("missing"), "");
}

TEST(Labels, MakeRejectsDuplicatesAndBadNamesWithTheName) {
  auto dup = Labels::Make({{"a", "1"}, {"a", "2"}});
  ASSERT_FALSE(dup.ok());
  EXPECT_NE(dup.status().message().find("\"a\""), std::string::npos);
  auto bad = Labels::Make({{"bad-name", "1"}});
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("bad-name"), std::string::npos);
}

TEST(Labels, MakeDropsEmptyValuesSoIdentityIsCanonical) {
  auto a = Labels::Make({{"a", "1"}, {"b", ""}});
  auto b = Labels::Make({{"a", "1"}});
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(*a, *b);
}

TEST(Labels, MakeRejectsOverlongValues) {
  auto l = Labels::Make({{"a", std::string(kMaxLabelValueBytes + 1, 'x')}});
  EXPECT_FALSE(l.ok());
}

}  // namespace
}  // namespace perfwatch

namespace perfwatch {
namespace {

// A collector's literal and the same key read back from the WAL or a file
// (through Make) must be one series: an empty value is an absent label.
TEST(Labels, LiteralsDropEmptyValuesAsMakeDoes) {
  const Labels literal{{"b", ""}, {"a", "x"}};
  Result<Labels> made = Labels::Make({{"a", "x"}, {"b", ""}});
  ASSERT_TRUE(made.ok());
  EXPECT_EQ(literal.ToString(), R"({a="x"})");
  EXPECT_EQ(literal.ToString(), made->ToString());
}

}  // namespace
}  // namespace perfwatch
