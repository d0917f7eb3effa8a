// The ingest core's hot paths: DDSketch and AppMetrics.
//
//   ninja -C build ingest_bench && build/bench/ingest_bench
//
// BM_DDSketchAdd: one log-normal value into a sketch (StatsD timers pay this
// per value). BM_DDSketchQuantile: one quantile of a sketch of 1,000,000
// values. BM_DDSketchMerge: a 10,000-value sketch merged into another (a
// Flush merges each summary's window buckets, and each app's request
// series). BM_BatchFindAdd / BM_BatchFindObserve: a source's hot path on a
// cached raw key inside one Batch (lock already held). BM_BatchBegin: one
// Batch begun and ended (lock and clock). BM_Flush: Flush of N series (90%
// counters, 10% summaries) into a Tick, the registry warm.

#include <benchmark/benchmark.h>

#include <random>
#include <string>
#include <vector>

#include "ingest/app_metrics.h"
#include "ingest/ddsketch.h"
#include "model/registry.h"
#include "model/tick.h"

namespace perfwatch {
namespace {

std::vector<double> LogNormal(size_t n, uint32_t seed) {
  std::mt19937_64 rng(seed);
  std::lognormal_distribution<double> dist(3, 1.5);
  std::vector<double> v(n);
  for (double& x : v) x = dist(rng);
  return v;
}

void BM_DDSketchAdd(benchmark::State& state) {
  const std::vector<double> values = LogNormal(1 << 16, 1);
  DDSketch sketch;
  size_t i = 0;
  for (auto _ : state) {
    sketch.Add(values[i++ & 0xffff]);
  }
  benchmark::DoNotOptimize(sketch.count());
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_DDSketchAdd);

void BM_DDSketchQuantile(benchmark::State& state) {
  DDSketch sketch;
  for (double v : LogNormal(1'000'000, 2)) sketch.Add(v);
  for (auto _ : state) benchmark::DoNotOptimize(sketch.Quantile(0.95));
}
BENCHMARK(BM_DDSketchQuantile);

void BM_DDSketchMerge(benchmark::State& state) {
  DDSketch part;
  for (double v : LogNormal(10'000, 3)) part.Add(v);
  DDSketch total;
  for (auto _ : state) total.Merge(part);
  benchmark::DoNotOptimize(total.count());
  state.counters["bins"] = part.bin_count();
}
BENCHMARK(BM_DDSketchMerge);

void BM_BatchFindAdd(benchmark::State& state) {
  AppMetrics metrics;
  auto batch = metrics.Begin(IngestSource::kStatsd);
  std::vector<std::string> keys;
  for (int i = 0; i < 1000; ++i) {
    keys.push_back("shop.orders.region" + std::to_string(i) + "|c|#env:prod");
    (void)batch.Create(keys.back(), AppKind::kCounter, "shop_orders_total",
                       Labels{{"region", std::to_string(i)}, {"env", "prod"}});
  }
  size_t i = 0;
  for (auto _ : state) {
    AppSeries* s = batch.Find(keys[i++ % keys.size()]);
    benchmark::DoNotOptimize(batch.Add(s, 1));
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_BatchFindAdd);

void BM_BatchFindObserve(benchmark::State& state) {
  AppMetrics metrics;
  auto batch = metrics.Begin(IngestSource::kStatsd);
  const std::string key = "api.request|ms|#status:200";
  (void)batch.Create(key, AppKind::kSummary, "api_request_milliseconds", Labels{{"status", "200"}});
  const std::vector<double> values = LogNormal(1 << 16, 4);
  size_t i = 0;
  for (auto _ : state) {
    AppSeries* s = batch.Find(key);
    benchmark::DoNotOptimize(batch.Observe(s, values[i++ & 0xffff]));
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_BatchFindObserve);

void BM_BatchBegin(benchmark::State& state) {
  AppMetrics metrics;
  for (auto _ : state) {
    auto batch = metrics.Begin(IngestSource::kStatsd);
    batch.Accepted();
  }
}
BENCHMARK(BM_BatchBegin);

void BM_Flush(benchmark::State& state) {
  const int n = static_cast<int>(state.range(0));
  AppMetrics metrics;
  const std::vector<double> values = LogNormal(1000, 5);
  {
    auto batch = metrics.Begin(IngestSource::kStatsd);
    for (int i = 0; i < n; ++i) {
      const std::string id = std::to_string(i);
      const bool summary = i % 10 == 0;
      auto s = batch.Create(id, summary ? AppKind::kSummary : AppKind::kCounter,
                            summary ? "job_milliseconds" : "events_total", Labels{{"id", id}});
      if (!s.ok()) state.SkipWithError("create failed");
      for (int k = 0; k < (summary ? 100 : 1); ++k) {
        if (summary) {
          (void)batch.Observe(*s, values[(i + k) % values.size()]);
        } else {
          (void)batch.Add(*s, 1);
        }
      }
    }
  }
  SeriesRegistry registry(1'000'000);
  TimestampMs now = 1'700'000'000'000;
  size_t samples = 0;
  for (auto _ : state) {
    Tick tick(registry, now);
    metrics.Flush(tick, now);
    samples = tick.samples().size();
    now += 1000;
  }
  state.counters["samples"] = static_cast<double>(samples);
}
BENCHMARK(BM_Flush)->Arg(10'000)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace perfwatch
