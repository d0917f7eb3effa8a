// CPU cost of the host collectors against this machine's live /proc: one
// full tick of the default set (the budget is 0.5 ms), and each collector
// alone. Run: ./build/bench/collect_bench --benchmark_min_time=2
// Samples go into a fresh Tick per iteration over a shared registry, as in
// the collection loop, so series interning is included after the first tick.

#include <benchmark/benchmark.h>
#include <time.h>

#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include "collect/collection_loop.h"
#include "collect/collectors.h"
#include "model/registry.h"
#include "model/tick.h"

namespace perfwatch {
namespace {

std::vector<std::unique_ptr<Collector>> Warmed(CollectOptions options, SeriesRegistry& registry) {
  std::vector<std::unique_ptr<Collector>> collectors = MakeCollectors(options);
  Tick warm(registry, 0);  // first tick: describes, builds label caches, sets previous counters
  for (auto& c : collectors) (void)c->Collect(warm);
  return collectors;
}

void RunTicks(benchmark::State& state, std::vector<std::unique_ptr<Collector>>& collectors,
              SeriesRegistry& registry) {
  size_t samples = 0;
  for (auto _ : state) {
    Tick tick(registry, 0);
    for (auto& c : collectors) (void)c->Collect(tick);
    samples = tick.samples().size();
    benchmark::DoNotOptimize(tick.samples().data());
  }
  state.counters["samples"] = static_cast<double>(samples);
}

// Every default collector, "processes" (a read of every /proc/PID/stat) and
// "tcp" (a walk of the kernel's socket hash table) included: the tick the
// loop runs every 5 s, when those two are due.
void BM_FullTick(benchmark::State& state) {
  SeriesRegistry registry;
  CollectOptions options;
  options.watch_processes = {"collect_bench"};
  auto collectors = Warmed(options, registry);
  RunTicks(state, collectors, registry);
}
BENCHMARK(BM_FullTick);

// The ticks in between, when "processes" and "tcp" are not due.
void BM_TickBetweenScans(benchmark::State& state) {
  SeriesRegistry registry;
  CollectOptions options;
  options.watch_processes = {"collect_bench"};
  options.disabled = {"processes", "tcp"};
  auto collectors = Warmed(options, registry);
  RunTicks(state, collectors, registry);
}
BENCHMARK(BM_TickBetweenScans);

void BM_Collector(benchmark::State& state, std::string name) {
  SeriesRegistry registry;
  CollectOptions options;
  options.watch_processes = {"collect_bench"};
  for (std::string_view other : KnownCollectorNames()) {
    if (other != name) options.disabled.emplace_back(other);
  }
  auto collectors = Warmed(options, registry);
  RunTicks(state, collectors, registry);
}

double ThreadCpuMicros() {
  timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

// Ticks as the collection loop really runs them, on consecutive 1 s slots:
// "processes" and "tcp" every 5th tick on different slots, their last values
// carried into the ticks between, and the loop's own per-collector gauges.
// Time per iteration is the mean over the cycle; worst_tick_us is the
// costliest single tick's thread CPU time (median of cycles would hide it).
void BM_LoopTick(benchmark::State& state) {
  SeriesRegistry registry;
  CollectOptions options;
  options.watch_processes = {"collect_bench"};
  CollectionLoop loop(registry, MakeCollectors(options), std::chrono::seconds(1), nullptr);
  TimestampMs t = 1'800'000'000'000;
  for (int i = 0; i < 10; ++i) (void)loop.RunOnce(t += 1000);  // warm every phase
  std::vector<double> ticks;
  size_t samples = 0;
  for (auto _ : state) {
    double start = ThreadCpuMicros();
    auto tick = loop.RunOnce(t += 1000);
    ticks.push_back(ThreadCpuMicros() - start);
    samples = tick->samples().size();
  }
  std::sort(ticks.begin(), ticks.end());
  state.counters["samples"] = static_cast<double>(samples);
  state.counters["worst_tick_us"] = ticks.back();
  state.counters["p80_tick_us"] = ticks[ticks.size() * 8 / 10];
}
BENCHMARK(BM_LoopTick);

// One benchmark per collector, named BM_Collector/<name>.
const bool kRegistered = [] {
  for (std::string_view name : KnownCollectorNames()) {
    benchmark::RegisterBenchmark(("BM_Collector/" + std::string(name)).c_str(), BM_Collector,
                                 std::string(name));
  }
  return true;
}();

}  // namespace
}  // namespace perfwatch
