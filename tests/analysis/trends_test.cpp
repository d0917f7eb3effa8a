#include "analysis/trends.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "synthetic_host.h"

namespace perfwatch {
namespace {

using ::testing::HasSubstr;

constexpr TimestampMs kStart = SyntheticHost::kStart;
constexpr int64_t kHour = 3600 * 1000;

TEST(FitLine, RecoversAnExactLine) {
  std::vector<Sample> samples;
  for (int i = 0; i < 50; ++i) samples.push_back({kStart + i * 1000, 3 + 0.5 * i});
  std::optional<LinearFit> fit = FitLine(samples);
  ASSERT_TRUE(fit.has_value());
  EXPECT_NEAR(fit->slope_per_ms * 1000, 0.5, 1e-12);
  EXPECT_NEAR(fit->ValueAt(kStart), 3, 1e-9);
  EXPECT_NEAR(fit->r2, 1, 1e-12);
  EXPECT_EQ(fit->points, 50u);
}

TEST(FitLine, SkipsNaNAndRefusesDegenerateInput) {
  EXPECT_FALSE(FitLine({}).has_value());
  std::vector<Sample> one_time = {{kStart, 1}, {kStart, 2}};
  EXPECT_FALSE(FitLine(one_time).has_value());
  std::vector<Sample> with_nan = {{kStart, 1}, {kStart + 1000, NAN}, {kStart + 2000, 3}};
  std::optional<LinearFit> fit = FitLine(with_nan);
  ASSERT_TRUE(fit.has_value());
  EXPECT_EQ(fit->points, 2u);
  EXPECT_NEAR(fit->slope_per_ms * 1000, 1, 1e-12);
  std::vector<Sample> flat = {{kStart, 5}, {kStart + 1000, 5}, {kStart + 2000, 5}};
  EXPECT_EQ(FitLine(flat)->r2, 0);
}

class TrendsTest : public ::testing::Test {
 protected:
  // Two hours at one sample per 10 s; `disk(t)` is / used %.
  std::vector<Trend> Run(const std::function<double(TimestampMs)>& disk,
                         TrendOptions options = {}) {
    const TimestampMs end = kStart + 2 * kHour;
    host_.Run(kStart, end, 10'000, [&](TimestampMs t) {
      HostState s;
      s.disk_used_percent = disk(t);
      return s;
    });
    auto trends = FindTrends(host_.source, end, options);
    EXPECT_TRUE(trends.ok()) << trends.status().ToString();
    return trends.ok() ? *trends : std::vector<Trend>{};
  }
  SyntheticHost host_;
};

TEST_F(TrendsTest, LinearDiskFillGivesTimeToFull) {
  // 50 % -> 60 % over 2 h: 5 %/h, 40 points left -> 8 h.
  auto trends = Run([](TimestampMs t) { return 50 + 10.0 * (t - kStart) / (2 * kHour); });
  ASSERT_EQ(trends.size(), 1u);
  const Trend& t = trends[0];
  EXPECT_EQ(t.metric, "system_disk_used_percent");
  EXPECT_EQ(t.labels.Get("mountpoint"), "/");
  EXPECT_NEAR(t.slope_per_hour, 5, 1e-6);
  EXPECT_NEAR(t.r2, 1, 1e-9);
  EXPECT_NEAR(t.current, 60, 1e-9);
  EXPECT_EQ(t.threshold, 100);
  ASSERT_TRUE(t.eta_seconds.has_value());
  EXPECT_NEAR(*t.eta_seconds, 8 * 3600, 1);
  EXPECT_THAT(t.text, HasSubstr("/ full in about 8 h"));
  EXPECT_THAT(t.text, HasSubstr("+5.00%/h"));
}

TEST_F(TrendsTest, NoiseIsNotATrend) {
  std::mt19937 rng(7);
  std::normal_distribution<double> noise(0, 3);
  EXPECT_TRUE(Run([&](TimestampMs) { return 60 + noise(rng); }).empty());
}

TEST_F(TrendsTest, NoisyFillIsStillATrend) {
  std::mt19937 rng(7);
  std::normal_distribution<double> noise(0, 0.3);
  auto trends =
      Run([&](TimestampMs t) { return 50 + 20.0 * (t - kStart) / (2 * kHour) + noise(rng); });
  ASSERT_EQ(trends.size(), 1u);
  EXPECT_NEAR(*trends[0].eta_seconds / 3600.0, 3, 0.2);  // 70 % rising 10 %/h
}

TEST_F(TrendsTest, FreeingSpaceIsNotATrend) {
  EXPECT_TRUE(Run([](TimestampMs t) { return 80 - 10.0 * (t - kStart) / (2 * kHour); }).empty());
}

TEST_F(TrendsTest, CrossingBeyondTheHorizonIsNotReported) {
  // 0.01 %/h from 50 %: 5000 h away.
  EXPECT_TRUE(Run([](TimestampMs t) { return 50 + 0.02 * (t - kStart) / (2 * kHour); }).empty());
  TrendOptions far;
  far.horizon_ms = 365LL * 24 * kHour;
  EXPECT_EQ(Run([](TimestampMs t) { return 50 + 0.02 * (t - kStart) / (2 * kHour); }, far).size(),
            1u);
}

TEST_F(TrendsTest, ShortHistoryIsNotExtrapolated) {
  const TimestampMs end = kStart + 2 * kHour;
  host_.Run(end - 10 * 60 * 1000, end, 10'000, [](TimestampMs t) {
    HostState s;
    s.disk_used_percent = 50 + (t - kStart) / 1e6;
    return s;
  });
  auto trends = FindTrends(host_.source, end, {});
  ASSERT_TRUE(trends.ok());
  EXPECT_TRUE(trends->empty());
}

TEST_F(TrendsTest, BadTargetSelectorIsRefused) {
  TrendOptions options;
  options.targets = {{"system_disk_used_percent{mountpoint=", 100, +1, "x", "%"}};
  auto trends = FindTrends(host_.source, kStart, options);
  ASSERT_FALSE(trends.ok());
  EXPECT_THAT(trends.status().message(), HasSubstr("system_disk_used_percent{mountpoint="));
}

}  // namespace
}  // namespace perfwatch
