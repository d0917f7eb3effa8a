// ComputeStats, Summarize and RelativeSpeeds against hand-computed values.

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "bench/bench_model.h"

namespace perfwatch {
namespace {

BenchRun TimedRun(double wall, int exit_code = 0) {
  BenchRun r;
  r.wall_seconds = wall;
  r.user_seconds = wall / 2;
  r.system_seconds = wall / 4;
  r.cpu_percent = 75;
  r.exit_code = exit_code;
  return r;
}

CommandResult WithMeanAndDeviation(double mean, double stddev) {
  CommandResult r;
  r.command = "x";
  r.runs = {TimedRun(mean - stddev), TimedRun(mean + stddev)};
  Summarize(r, false);
  return r;
}

TEST(Stats, MatchesHandComputedFiguresOfAnOddSample) {
  const Stats s = ComputeStats({1, 2, 3, 4, 5});
  EXPECT_DOUBLE_EQ(s.mean, 3);
  EXPECT_DOUBLE_EQ(s.stddev, std::sqrt(2.5));  // sample deviation: 10 / (5 - 1)
  EXPECT_DOUBLE_EQ(s.median, 3);
  EXPECT_DOUBLE_EQ(s.min, 1);
  EXPECT_DOUBLE_EQ(s.max, 5);
  EXPECT_DOUBLE_EQ(s.mad, 1);  // deviations 2 1 0 1 2
  EXPECT_EQ(s.outliers, 0);
}

TEST(Stats, AveragesTheMiddlePairOfAnEvenSample) {
  const Stats s = ComputeStats({4, 1, 3, 2});
  EXPECT_DOUBLE_EQ(s.median, 2.5);
  EXPECT_DOUBLE_EQ(s.mad, 1);  // deviations 1.5 0.5 0.5 1.5
  EXPECT_DOUBLE_EQ(s.mean, 2.5);
  EXPECT_NEAR(s.stddev, 1.2909944487358056, 1e-15);  // sqrt(5 / 3)
}

TEST(Stats, OneValueHasNoDeviationAndNothingHasZeros) {
  const Stats one = ComputeStats({0.25});
  EXPECT_DOUBLE_EQ(one.mean, 0.25);
  EXPECT_DOUBLE_EQ(one.median, 0.25);
  EXPECT_DOUBLE_EQ(one.stddev, 0);
  EXPECT_EQ(one.outliers, 0);
  const Stats none = ComputeStats({});
  EXPECT_EQ(none.mean, 0);
  EXPECT_EQ(none.max, 0);
  EXPECT_EQ(none.outliers, 0);
}

TEST(Stats, FlagsAFarValueAsAnOutlier) {
  // median 10, MAD 0.1: 50 is 40 / 0.1 = 400 MADs away.
  const Stats s = ComputeStats({10, 10.1, 9.9, 10.2, 9.8, 10, 50});
  EXPECT_DOUBLE_EQ(s.median, 10);
  EXPECT_NEAR(s.mad, 0.1, 1e-12);
  EXPECT_EQ(s.outliers, 1);
}

TEST(Stats, OutlierThresholdIsHyperfines14Point826Mads) {
  // median 0 and MAD 1, so x is x MADs away: 14.83 is beyond 14.826, 14.82 is not.
  EXPECT_EQ(ComputeStats({-1, -1, 0, 0, 1, 1, 14.83}).outliers, 1);
  EXPECT_EQ(ComputeStats({-1, -1, 0, 0, 1, 1, 14.82}).outliers, 0);
  EXPECT_EQ(ComputeStats({-1, -1, 0, 0, 1, 1, -14.83}).outliers, 1);  // both tails
}

TEST(Stats, ZeroMadMeansNoOutliers) {
  const Stats s = ComputeStats({1, 1, 1, 1, 100});
  EXPECT_EQ(s.mad, 0);
  EXPECT_EQ(s.outliers, 0);
}

TEST(Stats, SummarizeCountsOnlySuccessfulRunsUnlessFailuresAreIgnored) {
  CommandResult r;
  r.command = "x";
  r.input_bytes = 4e6;
  r.runs = {TimedRun(1), TimedRun(2), TimedRun(3), TimedRun(10, 1)};
  r.runs[0].peak_rss_bytes = 100;
  r.runs[1].peak_rss_bytes = 300;
  r.runs[2].peak_rss_bytes = 200;
  r.runs[3].peak_rss_bytes = 900;
  Summarize(r, false);
  EXPECT_DOUBLE_EQ(r.time.mean, 2);
  EXPECT_DOUBLE_EQ(r.time.stddev, 1);
  EXPECT_DOUBLE_EQ(r.user.mean, 1);
  EXPECT_DOUBLE_EQ(r.system.mean, 0.5);
  EXPECT_DOUBLE_EQ(r.success_rate, 0.75);
  EXPECT_DOUBLE_EQ(r.peak_rss_bytes, 300);
  EXPECT_DOUBLE_EQ(r.peak_rss_median_bytes, 200);
  EXPECT_DOUBLE_EQ(r.cpu_percent, 75);
  ASSERT_TRUE(r.throughput_mb_s.has_value());
  EXPECT_DOUBLE_EQ(*r.throughput_mb_s, 2);  // 4 MB in 2 s

  Summarize(r, true);
  EXPECT_DOUBLE_EQ(r.time.mean, 4);
  EXPECT_DOUBLE_EQ(r.time.max, 10);
  EXPECT_DOUBLE_EQ(r.peak_rss_bytes, 900);
  EXPECT_DOUBLE_EQ(r.success_rate, 0.75);
  EXPECT_DOUBLE_EQ(*r.throughput_mb_s, 1);
}

TEST(Stats, SummarizeWithoutInputSizeHasNoThroughput) {
  CommandResult r;
  r.runs = {TimedRun(1)};
  Summarize(r, false);
  EXPECT_FALSE(r.throughput_mb_s.has_value());
  EXPECT_DOUBLE_EQ(r.success_rate, 1);
}

TEST(Relative, RatioAndUncertaintyFollowHyperfine) {
  // means 1 and 2, deviations 0.1 and 0.2 (two runs each).
  const std::vector<CommandResult> results = {WithMeanAndDeviation(2, 0.2 / std::sqrt(2)),
                                              WithMeanAndDeviation(1, 0.1 / std::sqrt(2))};
  ASSERT_NEAR(results[0].time.stddev, 0.2, 1e-12);
  const std::vector<Relative> rel = RelativeSpeeds(results);
  ASSERT_EQ(rel.size(), 2u);
  EXPECT_TRUE(rel[1].fastest);
  EXPECT_DOUBLE_EQ(rel[1].ratio, 1);
  EXPECT_DOUBLE_EQ(rel[1].uncertainty, 0);
  EXPECT_FALSE(rel[0].fastest);
  EXPECT_NEAR(rel[0].ratio, 2, 1e-12);
  EXPECT_NEAR(rel[0].uncertainty, 2 * std::sqrt(0.1 * 0.1 + 0.1 * 0.1), 1e-12);
}

TEST(Relative, ResultsWithoutCountedRunsGetZero) {
  CommandResult failed;
  failed.command = "false";
  failed.runs = {TimedRun(0.5, 1)};
  Summarize(failed, false);
  CommandResult never;
  never.command = "no-such-program";
  never.error = "could not start";
  const std::vector<CommandResult> results = {failed, WithMeanAndDeviation(1, 0.1), never};
  const std::vector<Relative> rel = RelativeSpeeds(results);
  EXPECT_EQ(rel[0].ratio, 0);
  EXPECT_FALSE(rel[0].fastest);
  EXPECT_TRUE(rel[1].fastest);
  EXPECT_EQ(rel[2].ratio, 0);
  EXPECT_TRUE(RelativeSpeeds({}).empty());
}

}  // namespace
}  // namespace perfwatch
