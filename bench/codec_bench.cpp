// Chunk codec and MemStore benchmarks on the real series perfwatch recorded
// on a host at its default 1 s interval (bench/capture_host_series.sh writes
// tests/data/store/host_series.csv).
//
//   ninja -C build codec_bench && build/bench/codec_bench
//
// Encode/Decode report time per sample (CPU) and bytes_per_sample (sealed
// chunks, header and checksum included), per metric kind and overall.
// time_bits and value_bits split the bits per sample between timestamps and
// values; time_bits carries the per-chunk overhead (header, checksum, first
// sample).

#include <benchmark/benchmark.h>

#include <fstream>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "host_series.h"
#include "model/registry.h"
#include "model/tick.h"
#include "store/chunk.h"
#include "store/mem_store.h"

namespace perfwatch {
namespace {

using bench::HostSeries;
using bench::LoadHostSeries;

using bench::SeriesOfKind;

// Encodes `samples` into sealed chunks of `chunk_samples`.
std::vector<std::string> EncodeChunks(const std::vector<Sample>& samples, size_t chunk_samples,
                                      bool constant_values = false) {
  std::vector<std::string> chunks;
  ChunkEncoder encoder;
  for (const Sample& s : samples) {
    if (!encoder.Append(s.t_ms, constant_values ? 0.0 : s.value)) continue;
    if (encoder.count() == chunk_samples) chunks.push_back(encoder.Seal());
  }
  if (encoder.count() > 0) chunks.push_back(encoder.Seal());
  return chunks;
}

size_t TotalBytes(const std::vector<std::string>& chunks) {
  size_t bytes = 0;
  for (const std::string& c : chunks) bytes += c.size();
  return bytes;
}

struct Footprint {
  double samples = 0;
  double bytes = 0;
  double time_bits = 0;  // the timestamp stream alone, per-chunk overhead included
};

Footprint Measure(const std::vector<const HostSeries*>& series, size_t chunk_samples) {
  Footprint f;
  for (const HostSeries* s : series) {
    f.samples += static_cast<double>(s->samples.size());
    f.bytes += static_cast<double>(TotalBytes(EncodeChunks(s->samples, chunk_samples)));
    // With constant values each value costs one bit; what is left is time.
    const auto time_only = EncodeChunks(s->samples, chunk_samples, /*constant_values=*/true);
    f.time_bits +=
        8.0 * static_cast<double>(TotalBytes(time_only)) - static_cast<double>(s->samples.size());
  }
  return f;
}

void SetFootprintCounters(benchmark::State& state, const Footprint& f) {
  state.counters["samples"] = f.samples;
  state.counters["bytes_per_sample"] = f.bytes / f.samples;
  state.counters["time_bits"] = f.time_bits / f.samples;
  state.counters["value_bits"] = (8 * f.bytes - f.time_bits) / f.samples;
  state.counters["time_per_sample"] = benchmark::Counter(
      f.samples, benchmark::Counter::kIsIterationInvariantRate | benchmark::Counter::kInvert);
}

void BM_Encode(benchmark::State& state, const std::string& kind) {
  const auto series = SeriesOfKind(kind);
  if (series.empty())
    return state.SkipWithError("no host series; run bench/capture_host_series.sh");
  const size_t chunk_samples = static_cast<size_t>(state.range(0));
  for (auto _ : state) {
    for (const HostSeries* s : series)
      benchmark::DoNotOptimize(EncodeChunks(s->samples, chunk_samples));
  }
  SetFootprintCounters(state, Measure(series, chunk_samples));
}

void BM_Decode(benchmark::State& state, const std::string& kind) {
  const auto series = SeriesOfKind(kind);
  if (series.empty())
    return state.SkipWithError("no host series; run bench/capture_host_series.sh");
  const size_t chunk_samples = static_cast<size_t>(state.range(0));
  std::vector<std::string> chunks;
  for (const HostSeries* s : series) {
    for (std::string& c : EncodeChunks(s->samples, chunk_samples)) chunks.push_back(std::move(c));
  }
  for (auto _ : state) {
    for (const std::string& c : chunks) {
      Result<ChunkDecoder> decoder = ChunkDecoder::Open(c);
      Sample sample;
      while (decoder->Next(&sample)) benchmark::DoNotOptimize(sample);
    }
  }
  SetFootprintCounters(state, Measure(series, chunk_samples));
}

#define PW_KIND_BENCH(kind)                                         \
  BENCHMARK_CAPTURE(BM_Encode, kind, std::string(#kind))->Arg(240); \
  BENCHMARK_CAPTURE(BM_Decode, kind, std::string(#kind))->Arg(240)

BENCHMARK_CAPTURE(BM_Encode, all, std::string())->Arg(120)->Arg(240)->Arg(480)->Arg(960);
BENCHMARK_CAPTURE(BM_Decode, all, std::string())->Arg(240);
PW_KIND_BENCH(system_cpu_seconds_total);
PW_KIND_BENCH(system_cpu_usage_percent);
PW_KIND_BENCH(system_memory_used_bytes);
PW_KIND_BENCH(system_memory_used_percent);
PW_KIND_BENCH(system_load1);
PW_KIND_BENCH(system_processes);
PW_KIND_BENCH(system_network_receive_bytes_total);
PW_KIND_BENCH(system_network_receive_packets_total);
PW_KIND_BENCH(system_diskio_written_bytes_total);
PW_KIND_BENCH(system_diskio_io_time_seconds_total);
PW_KIND_BENCH(system_diskio_utilization_percent);
PW_KIND_BENCH(system_disk_avail_bytes);
PW_KIND_BENCH(system_tcp_connections);
PW_KIND_BENCH(system_pressure_percent);
PW_KIND_BENCH(perfwatch_collector_duration_seconds);
PW_KIND_BENCH(perfwatch_resident_memory_bytes);

// 500 series replaying the host series (cycled), one tick per second with
// the captured timestamps' jitter.
constexpr size_t kTickSeries = 500;

std::vector<std::unique_ptr<Tick>> MakeTicks(SeriesRegistry& registry, size_t count) {
  const auto& host = LoadHostSeries();
  std::vector<std::unique_ptr<Tick>> ticks;
  const std::vector<Sample>& clock = host.front().samples;
  const TimestampMs span = clock.back().t_ms - clock.front().t_ms + 1000;
  for (size_t i = 0; i < count; ++i) {
    const size_t row = i % clock.size();
    const TimestampMs t = clock[row].t_ms + static_cast<TimestampMs>(i / clock.size()) * span;
    auto tick = std::make_unique<Tick>(registry, t);
    tick->Reserve(kTickSeries);
    for (size_t s = 0; s < kTickSeries; ++s) {
      const HostSeries& h = host[s % host.size()];
      (void)tick->Append("host", {{"copy", std::to_string(s / host.size())}, {"series", h.name}},
                         h.samples[row % h.samples.size()].value);
    }
    ticks.push_back(std::move(tick));
  }
  return ticks;
}

void BM_MemStoreCommit(benchmark::State& state) {
  if (LoadHostSeries().empty()) return state.SkipWithError("no host series");
  SeriesRegistry registry;
  const auto ticks = MakeTicks(registry, 2000);
  auto store = std::make_unique<MemStore>();
  size_t next = 0;
  for (auto _ : state) {
    if (next == ticks.size()) {
      state.PauseTiming();
      store = std::make_unique<MemStore>();
      next = 0;
      state.ResumeTiming();
    }
    benchmark::DoNotOptimize(store->Commit(*ticks[next++]));
  }
  state.counters["series"] = kTickSeries;
  state.counters["time_per_sample"] = benchmark::Counter(
      kTickSeries, benchmark::Counter::kIsIterationInvariantRate | benchmark::Counter::kInvert);
}
BENCHMARK(BM_MemStoreCommit);

// Two hours of 500 series at 1 s; queries read all of it for one series.
void BM_MemStoreQuery(benchmark::State& state) {
  if (LoadHostSeries().empty()) return state.SkipWithError("no host series");
  static SeriesRegistry registry;
  static const auto store = [] {
    auto s = std::make_unique<MemStore>();
    for (const auto& tick : MakeTicks(registry, 7200)) (void)s->Commit(*tick);
    return s;
  }();
  const QueryRange range{.from_ms = 0, .to_ms = INT64_MAX, .step_ms = state.range(0)};
  size_t points = 0;
  for (auto _ : state) {
    Result<std::vector<SeriesPoints>> answer = store->Query({7}, range);
    points = answer->front().points.size();
    benchmark::DoNotOptimize(answer);
  }
  state.counters["points"] = static_cast<double>(points);
}
BENCHMARK(BM_MemStoreQuery)->ArgName("step_ms")->Arg(0)->Arg(60'000)->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace perfwatch
