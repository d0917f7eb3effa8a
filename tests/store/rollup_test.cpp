#include "store/rollup.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <map>
#include <random>
#include <utility>
#include <vector>

#include "model/tick.h"
#include "store/mem_store.h"

namespace perfwatch {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr int64_t kMinute = 60'000;
constexpr int64_t kHour = 3'600'000;

bool SameDouble(double a, double b) { return (std::isnan(a) && std::isnan(b)) || a == b; }

void ExpectSamePoint(const RollupPoint& got, const RollupPoint& want) {
  EXPECT_EQ(got.t, want.t);
  EXPECT_EQ(got.count, want.count) << "bucket " << want.t;
  EXPECT_TRUE(SameDouble(got.min, want.min)) << got.min << " vs " << want.min;
  EXPECT_TRUE(SameDouble(got.max, want.max)) << got.max << " vs " << want.max;
  EXPECT_TRUE(SameDouble(got.sum, want.sum)) << got.sum << " vs " << want.sum;
  EXPECT_TRUE(SameDouble(got.last, want.last)) << got.last << " vs " << want.last;
}

// Time-ordered samples every `interval` ms from `start`, about 10% NaN, with
// random gaps of up to a few minutes; integer values when `integers`.
std::vector<Sample> RandomSamples(std::mt19937_64& rng, size_t n, TimestampMs start,
                                  int64_t interval, bool integers) {
  std::uniform_real_distribution<double> value(-1e6, 1e6);
  std::uniform_int_distribution<int> percent(0, 99);
  std::uniform_int_distribution<int64_t> gap(1, 5 * kMinute);
  std::vector<Sample> out;
  TimestampMs t = start;
  for (size_t i = 0; i < n; ++i) {
    double v = integers ? std::round(value(rng)) : value(rng);
    if (percent(rng) < 10) v = kNaN;
    out.push_back({t, v});
    t += percent(rng) < 3 ? gap(rng) : interval;
  }
  return out;
}

// The obvious computation: group by floor(t / width), then fold each group.
std::vector<RollupPoint> NaiveRollup(const std::vector<Sample>& samples, int64_t width) {
  std::map<TimestampMs, std::vector<double>> groups;
  for (const Sample& s : samples) {
    TimestampMs b = s.t_ms / width * width;
    if (s.t_ms % width < 0) b -= width;
    groups[b].push_back(s.value);
  }
  std::vector<RollupPoint> out;
  for (const auto& [start, values] : groups) {
    RollupPoint p{.t = start, .last = values.back()};
    for (double v : values) {
      if (std::isnan(v)) continue;
      p.min = p.count == 0 ? v : std::min(p.min, v);
      p.max = p.count == 0 ? v : std::max(p.max, v);
      p.sum += v;
      ++p.count;
    }
    out.push_back(p);
  }
  return out;
}

// A builder that collects what it emits, per series.
struct Collected {
  std::map<SeriesId, std::vector<RollupPoint>> points;
  RollupSink Sink() {
    return [this](SeriesId id, const RollupPoint& p) { points[id].push_back(p); };
  }
};

TEST(RollupBuilder, MinuteBucketsOfRandomSeriesWithNaNAndGapsMatchANaiveComputation) {
  std::mt19937_64 rng(7);
  Collected got;
  RollupBuilder builder(kMinute, got.Sink());
  std::vector<std::vector<Sample>> series;
  for (int i = 0; i < 5; ++i)
    series.push_back(RandomSamples(rng, 20'000, 1'000'000 + i, 1000, false));
  // Interleave the series as ticks would.
  for (size_t k = 0; k < series[0].size(); ++k) {
    for (SeriesId id = 0; id < series.size(); ++id) {
      ASSERT_TRUE(builder.Feed(id, series[id][k]).ok());
    }
  }
  builder.FlushAll();
  EXPECT_EQ(builder.open_buckets(), 0u);
  for (SeriesId id = 0; id < series.size(); ++id) {
    const std::vector<RollupPoint> want = NaiveRollup(series[id], kMinute);
    ASSERT_EQ(got.points[id].size(), want.size()) << "series " << id;
    for (size_t i = 0; i < want.size(); ++i) ExpectSamePoint(got.points[id][i], want[i]);
  }
}

TEST(RollupBuilder, BucketsNegativeTimestampsByTheirFloor) {
  const std::vector<Sample> samples = {{-61'000, 1}, {-60'001, 2}, {-60'000, 3}, {-1, 4}, {0, 5}};
  const std::vector<RollupPoint> got = RollUp(samples, kMinute);
  ASSERT_EQ(got.size(), 3u);
  EXPECT_EQ(got[0].t, -120'000);
  EXPECT_EQ(got[0].count, 2u);
  EXPECT_EQ(got[1].t, -60'000);
  EXPECT_EQ(got[1].sum, 7);
  EXPECT_EQ(got[2].t, 0);
  EXPECT_EQ(got[2].last, 5);
}

TEST(RollupBuilder, EmitsABucketOnlyWhenALaterBucketBegins) {
  Collected got;
  RollupBuilder builder(kMinute, got.Sink());
  ASSERT_TRUE(builder.Feed(3, {0, 1}).ok());
  ASSERT_TRUE(builder.Feed(3, {59'999, 2}).ok());
  EXPECT_TRUE(got.points.empty());
  EXPECT_EQ(builder.open_buckets(), 1u);
  ASSERT_TRUE(builder.Feed(3, {60'000, 3}).ok());
  ASSERT_EQ(got.points[3].size(), 1u);
  ExpectSamePoint(got.points[3][0], {.t = 0, .min = 1, .max = 2, .sum = 3, .count = 2, .last = 2});
  EXPECT_EQ(builder.open_buckets(), 1u);
}

TEST(RollupBuilder, RefusesOutOfOrderAndRepeatedTimesAndCountsThem) {
  Collected got;
  RollupBuilder builder(kMinute, got.Sink());
  ASSERT_TRUE(builder.Feed(0, {10'000, 1}).ok());
  ASSERT_TRUE(builder.Feed(0, {20'000, 2}).ok());
  const Status repeated = builder.Feed(0, {20'000, 100});
  EXPECT_EQ(repeated.code(), Status::Code::kInvalidArgument);
  EXPECT_NE(repeated.message().find("20000"), std::string::npos) << repeated.message();
  EXPECT_FALSE(builder.Feed(0, {5'000, 100}).ok());
  EXPECT_FALSE(builder.FeedRollup(0, {.t = 0, .sum = 100, .count = 1}).ok());
  EXPECT_EQ(builder.refused(), 3u);
  // Other series are independent.
  EXPECT_TRUE(builder.Feed(1, {5'000, 7}).ok());
  builder.FlushAll();
  ASSERT_EQ(got.points[0].size(), 1u);
  ExpectSamePoint(got.points[0][0], {.t = 0, .min = 1, .max = 2, .sum = 3, .count = 2, .last = 2});
}

TEST(RollupBuilder, FlushClosesOnlyBucketsThatEndedAndRefusesLateInputInThem) {
  Collected got;
  RollupBuilder builder(kMinute, got.Sink());
  ASSERT_TRUE(builder.Feed(0, {1'000, 1}).ok());
  ASSERT_TRUE(builder.Feed(1, {61'000, 2}).ok());
  builder.Flush(59'999);
  EXPECT_TRUE(got.points.empty());
  builder.Flush(60'000);
  EXPECT_EQ(got.points[0].size(), 1u);
  EXPECT_EQ(got.points.count(1), 0u);
  EXPECT_EQ(builder.open_buckets(), 1u);
  // Series 0's bucket [0, 60000) was emitted: a later sample in it is refused.
  EXPECT_FALSE(builder.Feed(0, {30'000, 9}).ok());
  EXPECT_TRUE(builder.Feed(0, {60'000, 9}).ok());
  EXPECT_EQ(got.points[0].size(), 1u);
}

TEST(RollupBuilder, OpenShowsTheBucketInProgress) {
  RollupBuilder builder(kMinute, [](SeriesId, const RollupPoint&) {});
  EXPECT_FALSE(builder.Open(0).has_value());
  ASSERT_TRUE(builder.Feed(0, {120'500, 4}).ok());
  ASSERT_TRUE(builder.Feed(0, {121'500, kNaN}).ok());
  const std::optional<RollupPoint> open = builder.Open(0);
  ASSERT_TRUE(open.has_value());
  EXPECT_EQ(open->t, 120'000);
  EXPECT_EQ(open->count, 1u);
  EXPECT_TRUE(std::isnan(open->last));
  EXPECT_FALSE(builder.Open(5).has_value());
}

TEST(RollupBuilder, ABucketOfOnlyNaNExistsWithNaNForEveryAggregation) {
  const std::vector<Sample> samples = {{0, kNaN}, {1000, kNaN}};
  const std::vector<RollupPoint> got = RollUp(samples, kMinute);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].count, 0u);
  for (Aggregation agg :
       {Aggregation::kAvg, Aggregation::kMin, Aggregation::kMax, Aggregation::kLast}) {
    EXPECT_TRUE(std::isnan(Value(got[0], agg)));
  }
}

TEST(RollupBuilder, LastKeepsATrailingNaNWhileTheOtherAggregationsSkipIt) {
  const std::vector<RollupPoint> got =
      RollUp(std::vector<Sample>{{0, 2}, {1, 4}, {2, kNaN}}, kMinute);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(Value(got[0], Aggregation::kAvg), 3);
  EXPECT_EQ(Value(got[0], Aggregation::kMin), 2);
  EXPECT_EQ(Value(got[0], Aggregation::kMax), 4);
  EXPECT_TRUE(std::isnan(Value(got[0], Aggregation::kLast)));
}

TEST(Combine, MergesCountsExtremesAndTakesTheLaterLast) {
  const RollupPoint a{.t = 0, .min = -1, .max = 5, .sum = 4, .count = 2, .last = 5};
  const RollupPoint b{.t = 60'000, .min = 3, .max = 9, .sum = 12, .count = 2, .last = 3};
  ExpectSamePoint(Combine(a, b), {.t = 0, .min = -1, .max = 9, .sum = 16, .count = 4, .last = 3});
  const RollupPoint only_nan{.t = 60'000};
  ExpectSamePoint(Combine(a, only_nan),
                  {.t = 0, .min = -1, .max = 5, .sum = 4, .count = 2, .last = kNaN});
  ExpectSamePoint(Combine(RollupPoint{.t = 0}, b),
                  {.t = 0, .min = 3, .max = 9, .sum = 12, .count = 2, .last = 3});
}

// Raw -> 1m -> 1h, as the store chains them, against raw -> 1h directly.
std::pair<std::vector<RollupPoint>, std::vector<RollupPoint>> HourTwoWays(
    const std::vector<Sample>& samples) {
  Collected chained, direct;
  RollupBuilder hour(kHour, chained.Sink());
  RollupBuilder minute(kMinute, [&](SeriesId id, const RollupPoint& p) {
    EXPECT_TRUE(hour.FeedRollup(id, p).ok());
  });
  RollupBuilder hour_direct(kHour, direct.Sink());
  for (const Sample& s : samples) {
    EXPECT_TRUE(minute.Feed(0, s).ok());
    EXPECT_TRUE(hour_direct.Feed(0, s).ok());
  }
  minute.FlushAll();
  hour.FlushAll();
  hour_direct.FlushAll();
  return {chained.points[0], direct.points[0]};
}

TEST(RollupBuilder, HourFromMinutePointsEqualsHourFromRawExactlyOnIntegers) {
  std::mt19937_64 rng(11);
  const auto [chained, direct] = HourTwoWays(RandomSamples(rng, 50'000, -7'200'500, 1000, true));
  ASSERT_EQ(chained.size(), direct.size());
  ASSERT_GT(direct.size(), 10u);
  for (size_t i = 0; i < direct.size(); ++i) ExpectSamePoint(chained[i], direct[i]);
}

TEST(RollupBuilder, HourFromMinutePointsEqualsHourFromRawUpToRoundingOnReals) {
  std::mt19937_64 rng(12);
  const auto [chained, direct] = HourTwoWays(RandomSamples(rng, 50'000, 3'000'000, 1000, false));
  ASSERT_EQ(chained.size(), direct.size());
  for (size_t i = 0; i < direct.size(); ++i) {
    EXPECT_EQ(chained[i].t, direct[i].t);
    EXPECT_EQ(chained[i].count, direct[i].count);
    EXPECT_EQ(chained[i].min, direct[i].min);
    EXPECT_EQ(chained[i].max, direct[i].max);
    EXPECT_TRUE(SameDouble(chained[i].last, direct[i].last));
    EXPECT_NEAR(chained[i].sum, direct[i].sum, 1e-9 * 1e6 * direct[i].count);
  }
}

TEST(RollupBuilder, HoldsOneOpenBucketPerSeries) {
  RollupBuilder builder(kMinute, [](SeriesId, const RollupPoint&) {});
  for (TimestampMs t = 0; t < 10 * kMinute; t += 1000) {
    for (SeriesId id = 0; id < 100; ++id) ASSERT_TRUE(builder.Feed(id, {t, 1.0}).ok());
    EXPECT_EQ(builder.open_buckets(), 100u);
  }
}

TEST(RollUp, SkipsInputThatIsNotAfterItsPredecessor) {
  const std::vector<Sample> samples = {{0, 1}, {2000, 2}, {1000, 50}, {2000, 60}, {3000, 3}};
  const std::vector<RollupPoint> got = RollUp(samples, kMinute);
  ASSERT_EQ(got.size(), 1u);
  ExpectSamePoint(got[0], {.t = 0, .min = 1, .max = 3, .sum = 6, .count = 3, .last = 3});
}

TEST(RollUp, MergesFinerPointsIntoCoarserBuckets) {
  std::vector<RollupPoint> minutes;
  for (int i = 0; i < 120; ++i) {
    minutes.push_back(
        {.t = i * kMinute, .min = -1.0 * i, .max = 1.0 * i, .sum = 2, .count = 2, .last = 1.0 * i});
  }
  const std::vector<RollupPoint> hours = RollUp(minutes, kHour);
  ASSERT_EQ(hours.size(), 2u);
  ExpectSamePoint(hours[1],
                  {.t = kHour, .min = -119, .max = 119, .sum = 120, .count = 120, .last = 119});
}

class RollupAgreesWithMemStore : public ::testing::TestWithParam<Aggregation> {};

TEST_P(RollupAgreesWithMemStore, ValueOfEachMinuteEqualsMemStoreAtAOneMinuteStep) {
  std::mt19937_64 rng(5);
  const std::vector<Sample> samples = RandomSamples(rng, 20'000, 1'700'000'000'123, 1000, false);
  SeriesRegistry registry;
  MemStore store({.retention_ms = 365 * 86'400'000LL, .max_points_per_query = 1'000'000});
  for (const Sample& s : samples) {
    Tick tick(registry, s.t_ms);
    ASSERT_TRUE(tick.Append("m", {}, s.value).ok());
    ASSERT_TRUE(store.Commit(tick).ok());
  }
  const QueryRange range{.from_ms = samples.front().t_ms,
                         .to_ms = samples.back().t_ms,
                         .step_ms = kMinute,
                         .agg = GetParam()};
  Result<std::vector<SeriesPoints>> answer = store.Query({0}, range);
  ASSERT_TRUE(answer.ok()) << answer.status().ToString();
  ASSERT_EQ(answer->size(), 1u);
  const std::vector<Sample>& want = (*answer)[0].points;

  const std::vector<RollupPoint> rollups = RollUp(samples, kMinute);
  ASSERT_EQ(rollups.size(), want.size());
  for (size_t i = 0; i < want.size(); ++i) {
    EXPECT_EQ(rollups[i].t, want[i].t_ms);
    EXPECT_TRUE(SameDouble(Value(rollups[i], GetParam()), want[i].value))
        << "bucket " << want[i].t_ms << ": " << Value(rollups[i], GetParam()) << " vs "
        << want[i].value;
  }
}

INSTANTIATE_TEST_SUITE_P(EveryAggregation, RollupAgreesWithMemStore,
                         ::testing::Values(Aggregation::kAvg, Aggregation::kMin, Aggregation::kMax,
                                           Aggregation::kLast));

}  // namespace
}  // namespace perfwatch
