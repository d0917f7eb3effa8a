// Block codec and BlockStore benchmarks on the real series perfwatch recorded
// on a host at 1 s (tests/data/store/host_series.csv, or the CSV named by
// $PERFWATCH_HOST_SERIES, e.g. a longer bench/capture_host_series.sh run).
//
//   ninja -C build block_bench && build/bench/block_bench
//
// BM_Size/<encoding>/<window> reports bytes_per_sample of every series cut
// into blocks of `window` samples (headers and checksums included) and the
// encode time per sample. BM_Kind/<metric> does the same per metric with the
// chosen encoding. BM_Decode times decoding; BM_PutBlocks writes blocks into
// a fresh SQLite file; BM_FileBytes writes the corpus as raw-tier blocks and
// BM_FileBytesDay a day of blocks of the corpus' sizes, and both report
// file_bytes_per_sample: every file on disk divided by the samples stored.
// BM_MinuteRollups sizes the one-minute tier's blocks.

#include <benchmark/benchmark.h>
#include <zstd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "host_series.h"
#include "store/block_codec.h"
#include "store/block_store.h"
#include "store/chunk.h"

namespace perfwatch {
namespace {

using bench::HostSeries;
using bench::LoadHostSeries;

using bench::SeriesOfKind;

// The samples of one series cut into windows of `window` samples.
std::vector<std::span<const Sample>> Windows(const HostSeries& s, size_t window) {
  std::vector<std::span<const Sample>> out;
  const std::span<const Sample> all(s.samples);
  for (size_t i = 0; i < all.size(); i += window) {
    out.push_back(all.subspan(i, std::min(window, all.size() - i)));
  }
  return out;
}

// The candidates measured for docs/FORMATS.md.
enum class Candidate {
  kGorilla,         // (a) one Gorilla chunk per window
  kGorillaZstd,     // (b) that chunk compressed with zstd at `level`
  kBlockXor,        // (c) block codec, XOR'd value columns only
  kBlockDecimal,    // (c) block codec, decimal value columns (raw bits per exception)
  kBlockAuto,       // (c) block codec, the smaller of the two per column
  kWindowDictZstd,  // (d) all series of a window in one zstd frame (Gorilla chunks)
};

std::string GorillaChunk(std::span<const Sample> samples) {
  ChunkEncoder encoder;
  for (const Sample& s : samples) (void)encoder.Append(s.t_ms, s.value);
  return encoder.Seal();
}

size_t ZstdSize(const std::string& bytes, int level) {
  std::string out(ZSTD_compressBound(bytes.size()), '\0');
  return ZSTD_compress(out.data(), out.size(), bytes.data(), bytes.size(), level);
}

size_t EncodedSize(Candidate c, std::span<const Sample> samples, int level) {
  switch (c) {
    case Candidate::kGorilla:
      return GorillaChunk(samples).size();
    case Candidate::kGorillaZstd:
      return ZstdSize(GorillaChunk(samples), level) + 4;  // + a CRC-32C
    default:
      break;
  }
  BlockEncodeOptions options;
  options.zstd_level = level;
  if (c == Candidate::kBlockXor) options.force_values = ValueEncoding::kXor;
  if (c == Candidate::kBlockDecimal) options.force_values = ValueEncoding::kDecimal;
  return EncodeSampleBlock(samples, options)->size();
}

// Bytes of `series` cut into windows and encoded as `c`.
double TotalBytes(Candidate c, const std::vector<const HostSeries*>& series, size_t window,
                  int level) {
  double bytes = 0;
  if (c == Candidate::kWindowDictZstd) {
    std::vector<std::string> per_window;
    for (const HostSeries* s : series) {
      const auto windows = Windows(*s, window);
      per_window.resize(std::max(per_window.size(), windows.size()));
      for (size_t w = 0; w < windows.size(); ++w) per_window[w] += GorillaChunk(windows[w]);
    }
    for (const std::string& group : per_window) bytes += ZstdSize(group, level) + 4;
    return bytes;
  }
  for (const HostSeries* s : series) {
    for (std::span<const Sample> w : Windows(*s, window)) bytes += EncodedSize(c, w, level);
  }
  return bytes;
}

double SampleCount(const std::vector<const HostSeries*>& series) {
  double n = 0;
  for (const HostSeries* s : series) n += static_cast<double>(s->samples.size());
  return n;
}

void SetCounters(benchmark::State& state, double samples, double bytes) {
  state.counters["samples"] = samples;
  state.counters["bytes_per_sample"] = bytes / samples;
  state.counters["time_per_sample"] = benchmark::Counter(
      samples, benchmark::Counter::kIsIterationInvariantRate | benchmark::Counter::kInvert);
}

// Args: window (samples), zstd level.
void BM_Size(benchmark::State& state, Candidate c) {
  const auto series = SeriesOfKind("");
  if (series.empty()) return state.SkipWithError("no host series");
  const size_t window = static_cast<size_t>(state.range(0));
  const int level = static_cast<int>(state.range(1));
  double bytes = 0;
  for (auto _ : state) bytes = TotalBytes(c, series, window, level);
  SetCounters(state, SampleCount(series), bytes);
}

constexpr int kChosenLevel = BlockEncodeOptions{}.zstd_level;

void SizeArgs(benchmark::internal::Benchmark* b) {
  for (int window : {240, 600, 1200}) {
    for (int level : {3, 9, 19}) b->Args({window, level});
  }
}

BENCHMARK_CAPTURE(BM_Size, gorilla, Candidate::kGorilla)
    ->Args({240, 0})
    ->Args({600, 0})
    ->Args({1200, 0});
BENCHMARK_CAPTURE(BM_Size, gorilla_zstd, Candidate::kGorillaZstd)->Apply(SizeArgs);
BENCHMARK_CAPTURE(BM_Size, block_xor, Candidate::kBlockXor)->Apply(SizeArgs);
BENCHMARK_CAPTURE(BM_Size, block_decimal, Candidate::kBlockDecimal)->Apply(SizeArgs);
BENCHMARK_CAPTURE(BM_Size, block_auto, Candidate::kBlockAuto)->Apply(SizeArgs);
BENCHMARK_CAPTURE(BM_Size, window_zstd, Candidate::kWindowDictZstd)->Apply(SizeArgs);

// Per metric, the chosen encoding next to Gorilla chunks of 240 samples
// (what MemStore seals); arg: window.
void BM_Kind(benchmark::State& state, const std::string& kind) {
  const auto series = SeriesOfKind(kind);
  if (series.empty()) return state.SkipWithError("no such metric in the corpus");
  const size_t window = static_cast<size_t>(state.range(0));
  double bytes = 0;
  for (auto _ : state) bytes = TotalBytes(Candidate::kBlockAuto, series, window, kChosenLevel);
  SetCounters(state, SampleCount(series), bytes);
  state.counters["gorilla240_bytes_per_sample"] =
      TotalBytes(Candidate::kGorilla, series, 240, 0) / SampleCount(series);
}

#define PW_KIND_BENCH(kind) BENCHMARK_CAPTURE(BM_Kind, kind, std::string(#kind))->Arg(7200)

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
PW_KIND_BENCH(system_disk_used_percent);
PW_KIND_BENCH(system_tcp_connections);
PW_KIND_BENCH(system_pressure_percent);
PW_KIND_BENCH(system_pressure_stalled_seconds_total);
PW_KIND_BENCH(system_context_switches_total);
PW_KIND_BENCH(perfwatch_collector_duration_seconds);
PW_KIND_BENCH(perfwatch_store_bytes);
PW_KIND_BENCH(perfwatch_resident_memory_bytes);

// One-minute rollups of a series, as the minute tier holds them.
std::vector<RollupPoint> MinuteRollups(const std::vector<Sample>& samples) {
  std::vector<RollupPoint> points;
  for (const Sample& s : samples) {
    const TimestampMs bucket = s.t_ms / 60'000 * 60'000;
    if (points.empty() || points.back().t != bucket) {
      points.push_back({bucket, s.value, s.value, 0, 0, s.value});
    }
    RollupPoint& p = points.back();
    p.min = std::min(p.min, s.value);
    p.max = std::max(p.max, s.value);
    p.sum += s.value;
    ++p.count;
    p.last = s.value;
  }
  return points;
}

// Arg: points per block. bytes_per_point of the minute tier, and what it
// adds per raw sample (bytes_per_raw_sample).
void BM_MinuteRollups(benchmark::State& state) {
  const auto& host = LoadHostSeries();
  if (host.empty()) return state.SkipWithError("no host series");
  const size_t per_block = static_cast<size_t>(state.range(0));
  double bytes = 0;
  double points = 0;
  double raw = 0;
  for (auto _ : state) {
    bytes = points = raw = 0;
    for (const HostSeries& s : host) {
      const std::vector<RollupPoint> minutes = MinuteRollups(s.samples);
      const std::span<const RollupPoint> all(minutes);
      for (size_t i = 0; i < all.size(); i += per_block) {
        const auto block = all.subspan(i, std::min(per_block, all.size() - i));
        bytes += static_cast<double>(EncodeRollupBlock(block)->size());
      }
      points += static_cast<double>(minutes.size());
      raw += static_cast<double>(s.samples.size());
    }
  }
  state.counters["points"] = points;
  state.counters["bytes_per_point"] = bytes / points;
  state.counters["bytes_per_raw_sample"] = bytes / raw;
}
BENCHMARK(BM_MinuteRollups)->Arg(5)->Arg(10)->Arg(60)->Unit(benchmark::kMillisecond);

std::vector<std::string> EncodeAll(size_t window, int level) {
  std::vector<std::string> blocks;
  BlockEncodeOptions options;
  options.zstd_level = level;
  for (const HostSeries& s : LoadHostSeries()) {
    for (std::span<const Sample> w : Windows(s, window)) {
      blocks.push_back(*EncodeSampleBlock(w, options));
    }
  }
  return blocks;
}

// Args: window, level.
void BM_Decode(benchmark::State& state) {
  const auto series = SeriesOfKind("");
  if (series.empty()) return state.SkipWithError("no host series");
  const auto blocks = EncodeAll(static_cast<size_t>(state.range(0)), kChosenLevel);
  double bytes = 0;
  for (const std::string& b : blocks) bytes += static_cast<double>(b.size());
  for (auto _ : state) {
    for (const std::string& b : blocks) benchmark::DoNotOptimize(DecodeSampleBlock(b));
  }
  SetCounters(state, SampleCount(series), bytes);
}
BENCHMARK(BM_Decode)->Arg(240)->Arg(7200);

std::string FreshDbPath() {
  const auto dir = std::filesystem::temp_directory_path() / "perfwatch_block_bench";
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return (dir / "perfwatch.db").string();
}

// Writes every series' blocks of `window` samples; returns the store.
std::unique_ptr<BlockStore> WriteCorpus(const std::string& path, size_t window,
                                        const std::vector<std::string>& blocks) {
  std::unique_ptr<BlockStore> store = BlockStore::Open(path).value();
  std::vector<BlockWrite> writes;
  size_t next = 0;
  for (const HostSeries& s : LoadHostSeries()) {
    const int64_t id = *store->PutSeries(s.name, "", {});
    for (std::span<const Sample> w : Windows(s, window)) {
      writes.push_back({id, Tier::kRaw, w.front().t_ms, w.back().t_ms,
                        static_cast<uint32_t>(w.size()), BlockKind::kSamples, blocks[next++]});
    }
  }
  if (Status st = store->PutBlocks(writes); !st.ok()) std::abort();
  return store;
}

// Arg: window. One iteration writes the whole corpus in one transaction
// (and a checkpoint), into a fresh file.
void BM_PutBlocks(benchmark::State& state) {
  const auto series = SeriesOfKind("");
  if (series.empty()) return state.SkipWithError("no host series");
  const size_t window = static_cast<size_t>(state.range(0));
  const auto blocks = EncodeAll(window, kChosenLevel);
  for (auto _ : state) {
    state.PauseTiming();
    const std::string path = FreshDbPath();
    state.ResumeTiming();
    WriteCorpus(path, window, blocks);
  }
  state.counters["blocks"] = static_cast<double>(blocks.size());
  state.counters["blocks_per_second"] = benchmark::Counter(
      static_cast<double>(blocks.size()), benchmark::Counter::kIsIterationInvariantRate);
}
BENCHMARK(BM_PutBlocks)->Arg(600)->Unit(benchmark::kMillisecond)->UseRealTime();

// Arg: window. Everything on disk (db, -wal, -shm) after writing the corpus
// as raw-tier blocks into a fresh file, divided by the samples stored. The
// corpus is small, so the file's fixed part (schema pages, series table,
// 32 KiB -shm) weighs far more than it will after a day.
void BM_FileBytes(benchmark::State& state) {
  const auto series = SeriesOfKind("");
  if (series.empty()) return state.SkipWithError("no host series");
  const size_t window = static_cast<size_t>(state.range(0));
  const auto blocks = EncodeAll(window, kChosenLevel);
  double file_bytes = 0;
  double blob_bytes = 0;
  for (auto _ : state) {
    auto store = WriteCorpus(FreshDbPath(), window, blocks);
    file_bytes = static_cast<double>(*store->FileBytes());
    blob_bytes = static_cast<double>(store->Usage(Tier::kRaw)->bytes);
  }
  const double samples = SampleCount(series);
  state.counters["samples"] = samples;
  state.counters["file_bytes"] = file_bytes;
  state.counters["file_bytes_per_sample"] = file_bytes / samples;
  state.counters["blob_bytes_per_sample"] = blob_bytes / samples;
}
BENCHMARK(BM_FileBytes)->Arg(240)->Arg(600)->Iterations(1)->Unit(benchmark::kMillisecond);

// Arg: window. A day at 1 s of every corpus series, as the store's writer
// would leave it: one PutBlocks per window, 86,400 / window blocks a series.
// A block is as large as the codec makes the series' whole corpus, scaled to
// the window (its content is that block repeated; SQLite's page use depends
// on sizes only), so file_bytes_per_sample is the corpus' compression plus
// the real overhead of SQLite at that block size.
void BM_FileBytesDay(benchmark::State& state) {
  const auto& host = LoadHostSeries();
  if (host.empty()) return state.SkipWithError("no host series");
  const size_t window = static_cast<size_t>(state.range(0));
  constexpr size_t kDaySamples = 86'400;
  std::vector<std::string> blobs;
  double codec_bytes = 0;
  double corpus_samples = 0;
  for (const HostSeries& s : host) {
    const std::string whole = *EncodeSampleBlock(s.samples);
    codec_bytes += static_cast<double>(whole.size());
    corpus_samples += static_cast<double>(s.samples.size());
    const size_t size = (whole.size() * window + s.samples.size() / 2) / s.samples.size();
    std::string blob;
    while (blob.size() < size) blob += whole;
    blob.resize(std::max<size_t>(size, 1));
    blobs.push_back(std::move(blob));
  }
  double file_bytes = 0;
  for (auto _ : state) {
    auto store = BlockStore::Open(FreshDbPath()).value();
    std::vector<int64_t> ids;
    for (const HostSeries& s : host) ids.push_back(*store->PutSeries(s.name, "", {}));
    for (size_t w = 0; w < kDaySamples / window; ++w) {
      const TimestampMs start = static_cast<TimestampMs>(w * window) * 1000;
      std::vector<BlockWrite> writes;
      for (size_t i = 0; i < ids.size(); ++i) {
        writes.push_back({ids[i], Tier::kRaw, start,
                          start + static_cast<TimestampMs>(window - 1) * 1000,
                          static_cast<uint32_t>(window), BlockKind::kSamples, blobs[i]});
      }
      if (Status st = store->PutBlocks(writes); !st.ok()) std::abort();
    }
    file_bytes = static_cast<double>(*store->FileBytes());
  }
  const double samples = static_cast<double>(host.size() * (kDaySamples / window) * window);
  state.counters["codec_bytes_per_sample"] = codec_bytes / corpus_samples;
  state.counters["file_bytes"] = file_bytes;
  state.counters["file_bytes_per_sample"] = file_bytes / samples;
}
BENCHMARK(BM_FileBytesDay)
    ->Arg(600)
    ->Arg(1800)
    ->Arg(3600)
    ->Arg(7200)
    ->Iterations(1)
    ->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace perfwatch
