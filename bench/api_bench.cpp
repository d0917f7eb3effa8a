// API hot paths without sockets: the /api/v1/metrics JSON and /metrics text
// of a 500-sample tick (each rendered once per tick, then served from the
// cache), a filtered ?match= rendering (per request, and per /ws client with
// a subscription), and a routed history query over a MemStore.
//
//   ninja -C build api_bench && build/bench/api_bench

#include <benchmark/benchmark.h>

#include <cmath>
#include <memory>
#include <string>

#include "api/exposition.h"
#include "api/json_render.h"
#include "api/routes.h"
#include "store/mem_store.h"

namespace perfwatch {
namespace {

constexpr TimestampMs kStart = 1'700'000'000'000;

// 500 samples shaped like a host's: per-CPU gauges, per-device counters,
// per-process series with several labels.
std::shared_ptr<Tick> MakeHostTick(SeriesRegistry& registry, TimestampMs t) {
  auto tick = std::make_shared<Tick>(registry, t);
  tick->Describe({"system_cpu_usage_percent", MetricKind::kGauge, "CPU busy.", "percent"});
  tick->Describe(
      {"system_network_received_bytes_total", MetricKind::kCounter, "Bytes in.", "bytes"});
  tick->Describe({"process_resident_memory_bytes", MetricKind::kGauge, "RSS.", "bytes"});
  double v = static_cast<double>(t % 1000);
  for (int cpu = 0; cpu < 64; ++cpu) {
    for (const char* mode : {"user", "system"}) {
      (void)tick->Append("system_cpu_usage_percent", {{"cpu", std::to_string(cpu)}, {"mode", mode}},
                         v + cpu * 0.37);
    }
  }
  for (int dev = 0; dev < 32; ++dev) {
    (void)tick->Append("system_network_received_bytes_total",
                       {{"device", "eth" + std::to_string(dev)}}, 1e9 + v * dev);
  }
  for (int pid = 0; tick->samples().size() < 500; ++pid) {
    (void)tick->Append("process_resident_memory_bytes",
                       {{"pid", std::to_string(1000 + pid)},
                        {"comm", "worker-" + std::to_string(pid)},
                        {"user", "www-data"}},
                       4096.0 * (pid + 1) + v);
  }
  return tick;
}

void BM_RenderTickJson500(benchmark::State& state) {
  SeriesRegistry registry;
  std::shared_ptr<Tick> tick = MakeHostTick(registry, kStart);
  size_t bytes = 0;
  for (auto _ : state) {
    std::string body = RenderTickJson(*tick);
    bytes = body.size();
    benchmark::DoNotOptimize(body);
  }
  state.counters["body_bytes"] = static_cast<double>(bytes);
}
BENCHMARK(BM_RenderTickJson500);

void BM_RenderTickJson500Filtered(benchmark::State& state) {
  SeriesRegistry registry;
  std::shared_ptr<Tick> tick = MakeHostTick(registry, kStart);
  std::vector<std::string> prefixes = {"system_cpu"};
  for (auto _ : state) benchmark::DoNotOptimize(RenderTickJson(*tick, prefixes));
}
BENCHMARK(BM_RenderTickJson500Filtered);

void BM_RenderExposition500(benchmark::State& state) {
  SeriesRegistry registry;
  std::shared_ptr<Tick> tick = MakeHostTick(registry, kStart);
  size_t bytes = 0;
  for (auto _ : state) {
    std::string body = RenderExposition(*tick);
    bytes = body.size();
    benchmark::DoNotOptimize(body);
  }
  state.counters["body_bytes"] = static_cast<double>(bytes);
}
BENCHMARK(BM_RenderExposition500);

// What a GET /api/v1/metrics costs once the tick's body is cached: routing
// plus a copy of the body.
void BM_HandleMetricsCached(benchmark::State& state) {
  SeriesRegistry registry;
  MemStore store;
  ApiHandler handler(registry, store, ApiOptions{});
  handler.Publish(MakeHostTick(registry, kStart));
  HttpRequest request{"GET", "/api/v1/metrics", "", ""};
  for (auto _ : state) benchmark::DoNotOptimize(handler.Handle(request));
}
BENCHMARK(BM_HandleMetricsCached);

// One hour of 1 s ticks in a MemStore; a history query of the 128 cpu series
// bucketed to 1 minute (7,680 points).
void BM_HandleHistoryQuery(benchmark::State& state) {
  SeriesRegistry registry;
  MemStore store;
  for (int i = 0; i < 3600; ++i) (void)store.Commit(*MakeHostTick(registry, kStart + i * 1000));
  ApiHandler handler(registry, store, ApiOptions{}, [] { return kStart + 3'600'000; });
  HttpRequest request{
      "GET", "/api/v1/metrics/history?metric=system_cpu_usage_percent&hours=1&step=1m", "", ""};
  size_t bytes = 0;
  for (auto _ : state) {
    HttpResponse response = handler.Handle(request);
    if (response.status != 200) state.SkipWithError(response.body.c_str());
    bytes = response.body.size();
    benchmark::DoNotOptimize(response);
  }
  state.counters["body_bytes"] = static_cast<double>(bytes);
}
BENCHMARK(BM_HandleHistoryQuery)->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace perfwatch
