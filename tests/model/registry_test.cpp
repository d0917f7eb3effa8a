#include "model/registry.h"

#include <gtest/gtest.h>

#include <thread>

#include "model/tick.h"

namespace perfwatch {
namespace {

TEST(SeriesRegistry, InternsTheSameKeyToTheSameId) {
  SeriesRegistry reg;
  auto a = reg.Intern("m", Labels{{"cpu", "0"}});
  auto b = reg.Intern("m", Labels{{"cpu", "1"}});
  auto c = reg.Intern("m", Labels{{"cpu", "0"}});
  ASSERT_TRUE(a.ok() && b.ok() && c.ok());
  EXPECT_EQ(*a, *c);
  EXPECT_NE(*a, *b);
  EXPECT_EQ(reg.size(), 2u);
  EXPECT_EQ(reg.Key(*b).labels.Get("cpu"), "1");
  EXPECT_EQ(reg.SeriesOf("m").size(), 2u);
}

TEST(SeriesRegistry, RejectsInvalidMetricNames) {
  SeriesRegistry reg;
  auto r = reg.Intern("bad name", Labels{});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Status::Code::kInvalidArgument);
  EXPECT_EQ(reg.size(), 0u);
}

TEST(SeriesRegistry, StopsAtTheSeriesLimitAndKeepsExistingSeries) {
  SeriesRegistry reg(2);
  ASSERT_TRUE(reg.Intern("a", {}).ok());
  ASSERT_TRUE(reg.Intern("b", {}).ok());
  auto c = reg.Intern("c", {});
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().code(), Status::Code::kResourceExhausted);
  EXPECT_TRUE(reg.Intern("a", {}).ok());
}

TEST(SeriesRegistry, FirstDescriptionWins) {
  SeriesRegistry reg;
  reg.Describe({"x_total", MetricKind::kCounter, "first", ""});
  reg.Describe({"x_total", MetricKind::kGauge, "second", ""});
  ASSERT_TRUE(reg.Meta("x_total").has_value());
  EXPECT_EQ(reg.Meta("x_total")->help, "first");
  EXPECT_FALSE(reg.Meta("y").has_value());
}

TEST(SeriesRegistry, ConcurrentInternsAgreeOnIds) {
  SeriesRegistry reg;
  std::vector<SeriesId> ids1(1000), ids2(1000);
  auto work = [&](std::vector<SeriesId>& out) {
    for (int i = 0; i < 1000; ++i) out[i] = *reg.Intern("m", Labels{{"i", std::to_string(i)}});
  };
  std::thread t1(work, std::ref(ids1)), t2(work, std::ref(ids2));
  t1.join();
  t2.join();
  EXPECT_EQ(ids1, ids2);
  EXPECT_EQ(reg.size(), 1000u);
}

TEST(Tick, AppendsThroughTheRegistry) {
  SeriesRegistry reg;
  Tick tick(reg, 1000);
  EXPECT_TRUE(tick.Append("a", {}, 1.5).ok());
  EXPECT_FALSE(tick.Append("1bad", {}, 1).ok());
  ASSERT_EQ(tick.samples().size(), 1u);
  EXPECT_EQ(tick.samples()[0].second, 1.5);
  EXPECT_EQ(tick.time(), 1000);
}

}  // namespace
}  // namespace perfwatch
