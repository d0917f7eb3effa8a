#include "query/functions.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

namespace perfwatch {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kInf = std::numeric_limits<double>::infinity();

std::vector<Sample> Every10s(std::vector<double> values, TimestampMs start = 0) {
  std::vector<Sample> out;
  for (double v : values) out.push_back(Sample{start, v}), start += 10'000;
  return out;
}

TEST(ExtrapolatedRate, NeedsTwoSamples) {
  EXPECT_FALSE(ExtrapolatedRate(Every10s({1}), 0, 60'000, true, true));
  EXPECT_FALSE(ExtrapolatedRate({}, 0, 60'000, true, true));
}

TEST(ExtrapolatedRate, ExtrapolatesHalfAnIntervalWhenTheSeriesStartsLate) {
  // Samples 30 s..60 s in [0, 60 s]: 30 s to the start is beyond 1.1 * 10 s,
  // so a gauge extends by 5 s: 3 * 35 / 30.
  EXPECT_DOUBLE_EQ(*ExtrapolatedRate(Every10s({1, 2, 3, 4}, 30'000), 0, 60'000, false, false), 3.5);
  // Ends early too: 5 s each way, 3 * 40 / 30, per second over 60 s.
  EXPECT_DOUBLE_EQ(*ExtrapolatedRate(Every10s({1, 2, 3, 4}, 30'000), 0, 120'000, false, true),
                   4.0 / 120);
}

TEST(ExtrapolatedRate, AddsCounterResetsBackAndClampsAtZero) {
  EXPECT_DOUBLE_EQ(*ExtrapolatedRate(Every10s({5, 8, 2, 4}), 0, 30'000, true, false), 7);
  // As a gauge the same samples fall by 1.
  EXPECT_DOUBLE_EQ(*ExtrapolatedRate(Every10s({5, 8, 2, 4}), 0, 30'000, false, false), -1);
  // The zero point 10 s before the first sample bounds the extrapolation.
  EXPECT_DOUBLE_EQ(*ExtrapolatedRate(Every10s({1, 2, 3, 4}, 30'000), 0, 60'000, true, false), 4);
}

TEST(ExtrapolatedRate, DividesByTheRangeAsGoDurationSeconds) {
  // 1.5 s range: whole seconds plus the millisecond remainder.
  std::vector<Sample> s = {{0, 0}, {1500, 3}};
  EXPECT_DOUBLE_EQ(*ExtrapolatedRate(s, 0, 1500, true, true), 2);
}

TEST(Quantile, InterpolatesAndHandlesEdges) {
  std::vector<double> v = {4, 1, 3, 2};
  EXPECT_DOUBLE_EQ(Quantile(0.5, v), 2.5);
  std::vector<double> none;
  EXPECT_TRUE(std::isnan(Quantile(0.5, none)));
  EXPECT_EQ(Quantile(-0.1, v), -kInf);
  EXPECT_EQ(Quantile(1.1, v), kInf);
  EXPECT_TRUE(std::isnan(Quantile(kNaN, v)));
  std::vector<double> one = {7};
  EXPECT_EQ(Quantile(0.99, one), 7);
}

TEST(OverTime, MeanKeepsInfinityAndMaxSkipsNaN) {
  EXPECT_EQ(AvgOverTime(Every10s({1, 2, 3, 4})), 2.5);
  EXPECT_EQ(AvgOverTime(Every10s({kInf, 1, kInf})), kInf);
  EXPECT_TRUE(std::isnan(AvgOverTime(Every10s({kInf, -kInf}))));
  EXPECT_EQ(MaxOverTime(Every10s({kNaN, 1, 5, kNaN})), 5);
  EXPECT_EQ(MinOverTime(Every10s({kNaN, 1, 5})), 1);
  EXPECT_TRUE(std::isnan(MaxOverTime(Every10s({kNaN, kNaN}))));
  EXPECT_EQ(SumOverTime(Every10s({1, 2, 3.5})), 6.5);
}

TEST(ApplyBinary, ComparisonsKeepTheLeftValue) {
  bool keep;
  EXPECT_EQ(ApplyBinary(BinaryOp::kGt, 5, 3, &keep), 5);
  EXPECT_TRUE(keep);
  EXPECT_EQ(ApplyBinary(BinaryOp::kLe, 5, 3, &keep), 5);
  EXPECT_FALSE(keep);
  ApplyBinary(BinaryOp::kEq, kNaN, kNaN, &keep);
  EXPECT_FALSE(keep);
  EXPECT_EQ(ApplyBinary(BinaryOp::kMod, 7.5, 2, &keep), 1.5);
  EXPECT_TRUE(keep);
  EXPECT_EQ(ApplyBinary(BinaryOp::kPow, 2, 10, &keep), 1024);
}

TEST(GoMinMax, PropagateNaN) {
  EXPECT_TRUE(std::isnan(GoMax(1, kNaN)));
  EXPECT_TRUE(std::isnan(GoMin(kNaN, 1)));
  EXPECT_EQ(GoMax(1, 2), 2);
  EXPECT_EQ(GoMin(1, 2), 1);
}

}  // namespace
}  // namespace perfwatch
