// Rollup tier benchmarks: folding raw samples into 1-minute buckets, and
// answering chart queries from rollup points instead of raw samples.
//
//   ninja -C build rollup_bench && build/bench/rollup_bench
//
// BM_RollupFeed reports samples/s for 500 series at a 1 s interval (one
// tick = one sample of each series). BM_Answer* report the time to answer
// one series' chart: 30 days at a 1 h step from 720 hour points, and 24 h at
// 1000 points (86.4 s step) from 1440 minute points. BM_PlanRetention plans
// cleanup over a block index of the given size.

#include <benchmark/benchmark.h>

#include <cmath>
#include <random>
#include <vector>

#include "store/retention.h"
#include "store/rollup.h"
#include "store/tiers.h"

namespace perfwatch {
namespace {

constexpr TimestampMs kStart = 1'700'000'000'000;
constexpr SeriesId kSeries = 500;

void BM_RollupFeed(benchmark::State& state) {
  uint64_t closed = 0;
  RollupBuilder builder(kMinuteMs, [&](SeriesId, const RollupPoint&) { ++closed; });
  TimestampMs t = kStart;
  double v = 0;
  for (auto _ : state) {
    for (SeriesId id = 0; id < kSeries; ++id) {
      Status status = builder.Feed(id, {t, v += 0.25});
      benchmark::DoNotOptimize(status);
    }
    builder.Flush(t);
    t += 1000;
  }
  state.SetItemsProcessed(state.iterations() * kSeries);
  state.counters["closed_buckets"] = static_cast<double>(closed);
}
BENCHMARK(BM_RollupFeed);

// Minute points into hour buckets, as the 1-hour tier is built.
void BM_RollupFeedMinutesIntoHours(benchmark::State& state) {
  RollupBuilder builder(kHourMs, [](SeriesId, const RollupPoint&) {});
  TimestampMs t = kStart / kHourMs * kHourMs;
  for (auto _ : state) {
    for (SeriesId id = 0; id < kSeries; ++id) {
      Status status =
          builder.FeedRollup(id, {.t = t, .min = 1, .max = 2, .sum = 90, .count = 60, .last = 2});
      benchmark::DoNotOptimize(status);
    }
    t += kMinuteMs;
  }
  state.SetItemsProcessed(state.iterations() * kSeries);
}
BENCHMARK(BM_RollupFeedMinutesIntoHours);

std::vector<RollupPoint> Points(int64_t width, int n) {
  std::mt19937_64 rng(1);
  std::normal_distribution<double> value(50, 10);
  std::vector<RollupPoint> out;
  const TimestampMs start = kStart / width * width;
  for (int i = 0; i < n; ++i) {
    const double a = value(rng), b = value(rng);
    out.push_back({.t = start + i * width,
                   .min = std::fmin(a, b),
                   .max = std::fmax(a, b),
                   .sum = 30 * (a + b),
                   .count = 60,
                   .last = b});
  }
  return out;
}

void Answer(benchmark::State& state, int64_t width, int n, int64_t range_ms, int64_t step_ms) {
  const std::vector<RollupPoint> points = Points(width, n);
  const QueryRange range{.from_ms = points.front().t,
                         .to_ms = points.front().t + range_ms - 1,
                         .step_ms = step_ms,
                         .agg = Aggregation::kAvg};
  std::vector<Sample> out;
  for (auto _ : state) {
    out.clear();
    AnswerFromRollups(points, width, range, &out);
    benchmark::DoNotOptimize(out.data());
  }
  state.counters["points_in"] = n;
  state.counters["points_out"] = static_cast<double>(out.size());
}

void BM_Answer30DaysAt1hFromHours(benchmark::State& state) {
  Answer(state, kHourMs, 720, 30 * kDayMs, kHourMs);
}
BENCHMARK(BM_Answer30DaysAt1hFromHours)->Unit(benchmark::kMicrosecond);

void BM_Answer24hTo1000PointsFromMinutes(benchmark::State& state) {
  Answer(state, kMinuteMs, 1440, kDayMs, kDayMs / 1000);
}
BENCHMARK(BM_Answer24hTo1000PointsFromMinutes)->Unit(benchmark::kMicrosecond);

void BM_PlanRetention(benchmark::State& state) {
  std::mt19937_64 rng(2);
  std::vector<BlockInfo> blocks(static_cast<size_t>(state.range(0)));
  uint64_t total = 0;
  for (BlockInfo& b : blocks) {
    b.series = static_cast<int64_t>(rng() % 10'000);
    b.tier = static_cast<Tier>(rng() % kTierCount);
    b.end_ms = kStart - static_cast<int64_t>(rng() % (800 * kDayMs));
    b.start_ms = b.end_ms - kHourMs;
    b.bytes = 1000 + rng() % 10'000;
    total += b.bytes;
  }
  RetentionConfig config;
  config.max_disk_bytes = total / 2;
  size_t deleted = 0;
  for (auto _ : state) deleted = PlanRetention(blocks, config, kStart).deletions.size();
  state.SetItemsProcessed(state.iterations() * state.range(0));
  state.counters["deleted"] = static_cast<double>(deleted);
}
BENCHMARK(BM_PlanRetention)->Arg(10'000)->Arg(1'000'000)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace perfwatch
