// StatsD on one core, in process: the UDP server's hot path without the
// socket. Lines of ~1400-byte datagrams (counters, tagged timers, gauges)
// parsed and written into AppMetrics through one Batch per 64 datagrams, as
// StatsdServer does per recvmmsg call, with series found by cached raw keys.
// items_per_second is lines per second (target: >= 1,000,000).
//
//   build/bench/statsd_bench --benchmark_min_time=2s

#include <benchmark/benchmark.h>

#include <algorithm>
#include <chrono>

#include "ingest/app_metrics.h"
#include "ingest/statsd_ingest.h"
#include "ingest/statsd_parser.h"
#include "model/registry.h"
#include "model/tick.h"
#include "statsd_lines.h"

namespace perfwatch {
namespace {

constexpr size_t kDatagrams = 512;
constexpr size_t kPerBatch = 64;

void BM_StatsdParse(benchmark::State& state) {
  auto data = bench::MakeStatsdDatagrams(1000, kDatagrams, 1400, 0);
  StatsdLine line;
  for (auto _ : state) {
    for (const std::string& d : data.datagrams) {
      ForEachStatsdLine(d, [&](std::string_view text) {
        benchmark::DoNotOptimize(ParseStatsdLine(text, &line));
      });
    }
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * data.lines));
}
BENCHMARK(BM_StatsdParse);

// range(0): distinct series; range(1): percent of malformed lines.
void BM_StatsdIngest(benchmark::State& state) {
  auto data = bench::MakeStatsdDatagrams(state.range(0), kDatagrams, 1400, state.range(1));
  AppMetrics metrics;
  StatsdIngester ingester;
  auto ingest_all = [&] {
    for (size_t i = 0; i < data.datagrams.size(); i += kPerBatch) {
      AppMetrics::Batch batch = metrics.Begin(IngestSource::kStatsd);
      for (size_t j = i; j < std::min(i + kPerBatch, data.datagrams.size()); ++j) {
        ingester.IngestDatagram(batch, data.datagrams[j]);
      }
    }
  };
  ingest_all();  // creates the series: the steady state is all cache hits
  SeriesRegistry registry;
  int64_t rounds = 0;
  for (auto _ : state) {
    ingest_all();
    // A collection tick's Flush now and then, as perfwatch runs it.
    if (++rounds % 64 == 0) {
      state.PauseTiming();
      const TimestampMs now = std::chrono::duration_cast<std::chrono::milliseconds>(
                                  std::chrono::system_clock::now().time_since_epoch())
                                  .count();
      Tick tick(registry, now);
      metrics.Flush(tick, tick.time());
      state.ResumeTiming();
    }
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * data.lines));
  state.counters["series"] = static_cast<double>(metrics.SeriesCount(IngestSource::kStatsd));
}
BENCHMARK(BM_StatsdIngest)->Args({100, 0})->Args({1000, 0})->Args({10000, 0})->Args({1000, 10});

}  // namespace
}  // namespace perfwatch
