#include "runs/app_data.h"

#include <gtest/gtest.h>

namespace perfwatch {
namespace {

const MetricSummary* Find(const std::vector<MetricSummary>& all, const std::string& metric,
                          const std::string& tags = "") {
  for (const MetricSummary& m : all) {
    if (m.metric == metric && m.tags == tags) return &m;
  }
  return nullptr;
}

TEST(AppData, KeepsEveryValueWithItsTimeAndSummarisesEachMetric) {
  AppData data;
  data.AddPacket("fitness:0.5|g\niterations:1|c", 100);
  data.AddPacket("fitness:0.75|g\niterations:1|c\niterations:2|c|@0.5", 200);
  ASSERT_EQ(data.points().size(), 5u);
  EXPECT_EQ(data.points()[0].metric, "fitness");
  EXPECT_EQ(data.points()[0].t_ms, 100);
  EXPECT_EQ(data.points()[3].t_ms, 200);
  const std::vector<MetricSummary> all = data.Summaries();
  const MetricSummary* fitness = Find(all, "fitness");
  ASSERT_NE(fitness, nullptr);
  EXPECT_EQ(fitness->count, 2);
  EXPECT_DOUBLE_EQ(fitness->last, 0.75);
  EXPECT_DOUBLE_EQ(fitness->min, 0.5);
  EXPECT_DOUBLE_EQ(fitness->mean, 0.625);
  EXPECT_FALSE(fitness->p50.has_value());
  const MetricSummary* iterations = Find(all, "iterations");
  ASSERT_NE(iterations, nullptr);
  // A counter sampled at 0.5 stands for twice its value.
  EXPECT_DOUBLE_EQ(iterations->sum, 1 + 1 + 4);
}

TEST(AppData, TimingsGetExactPercentiles) {
  AppData data;
  std::string packet;
  for (int i = 1; i <= 100; ++i) packet += "phase.parse:" + std::to_string(i) + "|ms\n";
  data.AddPacket(packet, 5);
  data.AddPacket("phase.parse:1000:2000|ms", 6);  // several values in one line
  const std::vector<MetricSummary> all = data.Summaries();
  const MetricSummary* parse = Find(all, "phase.parse");
  ASSERT_NE(parse, nullptr);
  EXPECT_EQ(parse->count, 102);
  ASSERT_TRUE(parse->p50 && parse->p95);
  EXPECT_DOUBLE_EQ(*parse->p50, 51);  // rank floor(0.5 * 101) = 50 of 1..100, 1000, 2000
  EXPECT_DOUBLE_EQ(*parse->p95, 96);
  EXPECT_DOUBLE_EQ(parse->max, 2000);
}

TEST(AppData, CountsBadLinesAndKeepsTheRestOfTheDatagram) {
  AppData data;
  data.AddPacket("good:1|c\nnot a line\nx:abc|g\n:1|c\nalso.good:2|g", 1);
  EXPECT_EQ(data.bad_lines(), 3);
  EXPECT_EQ(data.received(), 2);
  EXPECT_EQ(data.Summaries().size(), 2u);
}

TEST(AppData, TagsInAnyOrderAreOneMetricAndTheRunsAppTagIsDropped) {
  AppData data(AppData::kDefaultMaxPoints, "ga");
  data.AddPacket("t:1|ms|#phase:parse,host:a,app:ga\nt:3|ms|#host:a,phase:parse", 1);
  data.AddPacket("t:5|ms|#phase:load", 2);
  const std::vector<MetricSummary> all = data.Summaries();
  ASSERT_EQ(all.size(), 2u);
  const MetricSummary* parse = Find(all, "t", "host:a,phase:parse");
  ASSERT_NE(parse, nullptr);
  EXPECT_EQ(parse->count, 2);
  EXPECT_EQ(CanonicalTags("b:2,a,c:3"), "a,b:2,c:3");
  EXPECT_EQ(CanonicalTags("app:other,z", "ga"), "app:other,z");
}

// client.hpp sends a negative level as "x:0" then "x:-5" in one datagram.
TEST(AppData, AGaugeSetFollowedByItsDeltaIsOneValue) {
  AppData data;
  data.AddPacket("temp:0|g\ntemp:-5|g", 1);
  data.AddPacket("temp:3|g", 2);
  data.AddPacket("temp:+2|g", 3);
  ASSERT_EQ(data.points().size(), 3u);
  EXPECT_DOUBLE_EQ(data.points()[0].value, -5);
  EXPECT_DOUBLE_EQ(data.points()[2].value, 5);
  const MetricSummary* temp = Find(data.Summaries(), "temp");
  ASSERT_NE(temp, nullptr);
  EXPECT_DOUBLE_EQ(temp->min, -5);
  EXPECT_DOUBLE_EQ(temp->last, 5);
}

TEST(AppData, PointsBeyondTheCapAreCountedAsDroppedButStillSummarised) {
  AppData data(10);
  for (int i = 0; i < 25; ++i) data.AddPacket("lat:" + std::to_string(i) + "|ms", i);
  EXPECT_EQ(data.points().size(), 10u);
  EXPECT_EQ(data.received(), 25);
  EXPECT_EQ(data.dropped(), 15);
  const MetricSummary* lat = Find(data.Summaries(), "lat");
  ASSERT_NE(lat, nullptr);
  EXPECT_EQ(lat->count, 25);
  EXPECT_DOUBLE_EQ(lat->max, 24);
  ASSERT_TRUE(lat->p50.has_value());
  EXPECT_NEAR(*lat->p50, 12, 12 * 0.02);  // from the sketch, within its 1%
}

TEST(AppData, SetsCountDistinctMembers) {
  AppData data;
  data.AddPacket("users:alice|s\nusers:bob|s\nusers:alice|s", 1);
  const MetricSummary* users = Find(data.Summaries(), "users");
  ASSERT_NE(users, nullptr);
  EXPECT_EQ(users->count, 3);
  EXPECT_DOUBLE_EQ(users->last, 2);
}

}  // namespace
}  // namespace perfwatch
