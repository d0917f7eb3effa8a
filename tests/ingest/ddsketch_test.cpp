#include "ingest/ddsketch.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <vector>

namespace perfwatch {
namespace {

// The exact value of the rank DDSketch uses: the lower of q * (n - 1).
double ExactQuantile(const std::vector<double>& sorted, double q) {
  return sorted[static_cast<size_t>(std::floor(q * static_cast<double>(sorted.size() - 1)))];
}

double RelativeError(double estimate, double exact) {
  return exact == 0 ? std::fabs(estimate) : std::fabs(estimate - exact) / std::fabs(exact);
}

// Rounding in log() may put a value on a bin boundary a hair outside alpha.
constexpr double kTolerance = 0.01 + 1e-12;

std::vector<double> LogNormal(size_t n, uint32_t seed, double mu = 3, double sigma = 1.5) {
  std::mt19937_64 rng(seed);
  std::lognormal_distribution<double> dist(mu, sigma);
  std::vector<double> v(n);
  for (double& x : v) x = dist(rng);
  return v;
}

TEST(DDSketch, QuantilesOfAMillionLogNormalSamplesAreWithinOnePercent) {
  std::vector<double> values = LogNormal(1'000'000, 42);
  DDSketch sketch(0.01);
  for (double v : values) sketch.Add(v);
  std::sort(values.begin(), values.end());
  for (double q : {0.0, 0.01, 0.25, 0.5, 0.9, 0.95, 0.99, 0.999, 1.0}) {
    const double exact = ExactQuantile(values, q);
    EXPECT_LE(RelativeError(sketch.Quantile(q), exact), kTolerance) << "q=" << q;
  }
  EXPECT_EQ(sketch.count(), 1e6);
  EXPECT_EQ(sketch.min(), values.front());
  EXPECT_EQ(sketch.max(), values.back());
  double sum = 0;
  for (double v : values) sum += v;
  EXPECT_NEAR(sketch.sum(), sum, sum * 1e-9);
  EXPECT_LT(sketch.bin_count(), 1024);  // about 9 sigma / ln(gamma) = 675 bins
}

TEST(DDSketch, MergingTenSketchesEqualsOneSketchOfEverything) {
  DDSketch all;
  DDSketch merged;
  for (uint32_t part = 0; part < 10; ++part) {
    DDSketch one;
    for (double v : LogNormal(10'000, part)) {
      one.Add(v);
      all.Add(v);
    }
    merged.Merge(one);
  }
  EXPECT_EQ(merged.count(), all.count());
  EXPECT_EQ(merged.min(), all.min());
  EXPECT_EQ(merged.max(), all.max());
  EXPECT_NEAR(merged.sum(), all.sum(), all.sum() * 1e-12);
  for (double q : {0.0, 0.1, 0.5, 0.9, 0.95, 0.99, 1.0}) {
    EXPECT_EQ(merged.Quantile(q), all.Quantile(q)) << "q=" << q;
  }
}

TEST(DDSketch, MergesSketchesOfAnotherAccuracyWithinTheCoarserOne) {
  std::vector<double> values = LogNormal(100'000, 7);
  DDSketch coarse(0.02);
  for (double v : values) coarse.Add(v);
  DDSketch fine(0.01);
  fine.Merge(coarse);
  std::sort(values.begin(), values.end());
  EXPECT_EQ(fine.count(), 1e5);
  for (double q : {0.5, 0.9, 0.99}) {
    EXPECT_LE(RelativeError(fine.Quantile(q), ExactQuantile(values, q)), 0.0302) << q;
  }
}

TEST(DDSketch, BoundsItsBinsOverAHugeRangeAndKeepsTheHighQuantiles) {
  DDSketch sketch(0.01, 2048);
  std::vector<double> values;
  // 1e-300 .. 1e300 needs about 69,000 bins at 1%; only the top 2048 stay.
  for (int e = -300; e <= 300; ++e) {
    for (double m : {1.0, 2.0, 5.0}) values.push_back(m * std::pow(10.0, e));
  }
  for (double v : values) sketch.Add(v);
  EXPECT_LE(sketch.bin_count(), 2048);
  std::sort(values.begin(), values.end());
  for (double q : {0.99, 0.999, 1.0}) {
    EXPECT_LE(RelativeError(sketch.Quantile(q), ExactQuantile(values, q)), kTolerance) << q;
  }
  // Collapsed low values still count, and stay within [min, max].
  EXPECT_EQ(sketch.count(), static_cast<double>(values.size()));
  EXPECT_GE(sketch.Quantile(0), values.front());
  sketch.Add(1e-305);
  sketch.Add(1e305);
  EXPECT_LE(sketch.bin_count(), 2048);
  EXPECT_EQ(sketch.max(), 1e305);
  EXPECT_LE(RelativeError(sketch.Quantile(1), 1e305), kTolerance);
}

TEST(DDSketch, HandlesNegativeAndZeroValues) {
  std::vector<double> values;
  std::mt19937_64 rng(3);
  std::normal_distribution<double> dist(0, 100);
  for (int i = 0; i < 100'000; ++i) values.push_back(i % 10 == 0 ? 0.0 : dist(rng));
  DDSketch sketch;
  for (double v : values) sketch.Add(v);
  std::sort(values.begin(), values.end());
  for (double q : {0.0, 0.01, 0.1, 0.3, 0.45, 0.5, 0.55, 0.7, 0.9, 0.99, 1.0}) {
    EXPECT_LE(RelativeError(sketch.Quantile(q), ExactQuantile(values, q)), kTolerance) << q;
  }
  EXPECT_EQ(sketch.min(), values.front());
  EXPECT_LT(sketch.min(), 0);
}

TEST(DDSketch, AWeightCountsAsThatManyValues) {
  DDSketch weighted;
  DDSketch repeated;
  for (int v = 1; v <= 100; ++v) {
    weighted.Add(v, 10);
    for (int i = 0; i < 10; ++i) repeated.Add(v);
  }
  EXPECT_EQ(weighted.count(), 1000);
  EXPECT_EQ(weighted.sum(), repeated.sum());
  for (double q : {0.0, 0.5, 0.95, 1.0}) EXPECT_EQ(weighted.Quantile(q), repeated.Quantile(q));
}

TEST(DDSketch, IgnoresNonFiniteValuesAndBadWeights) {
  DDSketch sketch;
  sketch.Add(NAN);
  sketch.Add(INFINITY);
  sketch.Add(-INFINITY);
  sketch.Add(1, 0);
  sketch.Add(1, -1);
  sketch.Add(1, NAN);
  EXPECT_TRUE(sketch.empty());
  EXPECT_TRUE(std::isnan(sketch.Quantile(0.5)));
  sketch.Add(5);
  EXPECT_TRUE(std::isnan(sketch.Quantile(1.5)));
  EXPECT_EQ(sketch.Quantile(0.5), 5);  // clamped to [min, max]
}

TEST(DDSketch, ClearForgetsEverythingAndTheSketchIsReusable) {
  DDSketch sketch;
  for (int i = 1; i <= 1000; ++i) sketch.Add(i);
  sketch.Add(-3);
  sketch.Add(0);
  sketch.Clear();
  EXPECT_TRUE(sketch.empty());
  EXPECT_EQ(sketch.bin_count(), 0);
  EXPECT_EQ(sketch.sum(), 0);
  sketch.Add(1e6);
  sketch.Add(2e6);
  EXPECT_EQ(sketch.count(), 2);
  EXPECT_EQ(sketch.Quantile(0), 1e6);
  EXPECT_LE(RelativeError(sketch.Quantile(1), 2e6), kTolerance);
  EXPECT_LE(sketch.bin_count(), 2 + 36);  // 1e6..2e6 is ln(2)/ln(gamma) = 35 bins
}

TEST(DDSketch, GrowsDownwardAndUpwardFromTheFirstValue) {
  DDSketch sketch;
  std::vector<double> values;
  for (double v = 1000; v > 0.001; v /= 1.5) values.push_back(v);
  for (double v = 1000; v < 1e7; v *= 1.5) values.push_back(v);
  for (double v : values) sketch.Add(v);
  std::sort(values.begin(), values.end());
  for (double q = 0; q <= 1; q += 0.05) {
    EXPECT_LE(RelativeError(sketch.Quantile(q), ExactQuantile(values, q)), kTolerance) << q;
  }
}

}  // namespace
}  // namespace perfwatch
