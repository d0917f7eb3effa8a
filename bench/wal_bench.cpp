// Write-ahead log benchmarks on the real series perfwatch recorded on a host
// (tests/data/store/host_series.csv, 170 series at 1 s), in a directory
// under $TMPDIR (default /tmp) on whatever file system that is.
//
//   ninja -C build wal_bench && build/bench/wal_bench
//
// Rates and time_per_sample are wall-clock (UseRealTime): fdatasync and a
// cold read wait without using CPU.
//
// BM_WalAppend: samples/s appended (items_per_second) at 170 and 1000
// samples per tick, per sync policy; sealed segments are deleted as the log
// rotates, as the store will. BM_WalReplay: replay of 1,000,000 samples with
// warm and cold (posix_fadvise DONTNEED) page cache; time_per_sample is the
// replay's cost per sample. BM_WalReplayIntoMemStore adds what start-up does
// with each tick (intern the series, commit to a MemStore). BM_WalSize:
// bytes_per_sample of the log, series definitions and headers included.

#include <benchmark/benchmark.h>
#include <fcntl.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "host_series.h"
#include "model/registry.h"
#include "model/tick.h"
#include "store/mem_store.h"
#include "store/wal.h"

namespace perfwatch {
namespace {

namespace fs = std::filesystem;
using Samples = std::vector<std::pair<SeriesId, double>>;

using bench::HostValues;

// Ticks of bench::HostColumns as the WAL takes them.
class HostTicks : public bench::HostColumns {
 public:
  using HostColumns::HostColumns;
  const Samples& Tick(size_t i) {
    samples_.clear();
    for (size_t k = 0; k < width(); ++k) samples_.emplace_back(id(k), Value(i, k));
    return samples_;
  }
  static TimestampMs TimeOf(size_t i) { return 1'700'000'000'000 + static_cast<int64_t>(i) * 1000; }

 private:
  Samples samples_;
};

std::string BenchDir(const std::string& name) {
  const char* tmp = std::getenv("TMPDIR");
  const std::string dir = std::string(tmp && *tmp ? tmp : "/tmp") + "/perfwatch_wal_bench_" + name +
                          "_" + std::to_string(::getpid());
  fs::remove_all(dir);
  return dir;
}

// Args: samples per tick; sync policy 0 off, 1 periodic 1 s, 2 always.
void BM_WalAppend(benchmark::State& state) {
  if (HostValues().empty()) return state.SkipWithError("no host series");
  HostTicks host(static_cast<size_t>(state.range(0)));
  WalOptions options;
  options.dir = BenchDir("append");
  options.sync = state.range(1) == 0   ? WalSync{WalSync::Mode::kOff, 0}
                 : state.range(1) == 1 ? WalSync{WalSync::Mode::kPeriodic, 1000}
                                       : WalSync{WalSync::Mode::kAlways, 0};
  std::vector<Samples> ticks;
  for (size_t i = 0; i < 600; ++i) ticks.push_back(host.Tick(i));
  {
    Result<std::unique_ptr<Wal>> wal = Wal::Open(options, host.registry());
    if (!wal.ok()) return state.SkipWithError(wal.status().ToString().c_str());
    size_t i = 0;
    uint64_t segment = (*wal)->current_segment();
    for (auto _ : state) {
      if (!(*wal)->AppendTick(HostTicks::TimeOf(i), ticks[i % ticks.size()]).ok()) {
        return state.SkipWithError("append failed");
      }
      ++i;
      if ((*wal)->current_segment() != segment) {
        segment = (*wal)->current_segment();
        (void)(*wal)->RemoveSegmentsBefore(segment);
      }
    }
    state.SetItemsProcessed(static_cast<int64_t>(i * ticks[0].size()));
    state.counters["syncs"] = static_cast<double>((*wal)->Stats().syncs);
  }
  fs::remove_all(options.dir);
}
BENCHMARK(BM_WalAppend)
    ->ArgNames({"samples", "sync"})
    ->Args({170, 0})
    ->Args({170, 1})
    ->Args({170, 2})
    ->Args({1000, 0})
    ->Args({1000, 1})
    ->UseRealTime();

constexpr size_t kReplaySamples = 1'000'000;

// A log of kReplaySamples samples (whole ticks of `width`) in its own
// directory, written once per process.
const std::string& ReplayLog(size_t width) {
  static std::map<size_t, std::string> dirs;
  std::string& dir = dirs[width];
  if (!dir.empty()) return dir;
  dir = BenchDir("replay_" + std::to_string(width));
  HostTicks host(width);
  WalOptions options;
  options.dir = dir;
  options.sync.mode = WalSync::Mode::kOff;
  auto wal = std::move(Wal::Open(options, host.registry())).value();
  for (size_t i = 0; i * width < kReplaySamples; ++i) {
    (void)wal->AppendTick(HostTicks::TimeOf(i), host.Tick(i));
  }
  (void)wal->Sync();
  std::atexit([] {
    for (const auto& [w, d] : dirs) fs::remove_all(d);
  });
  return dir;
}

// Sums what it is given, so the compiler cannot skip the decoding.
class SumVisitor : public WalVisitor {
 public:
  void OnSeries(SeriesId, const SeriesKey& key) override { sum_ += key.name.size(); }
  void OnTick(TimestampMs t, std::span<const std::pair<SeriesId, double>> samples) override {
    sum_ += static_cast<double>(t);
    for (const auto& [id, v] : samples) sum_ += v + id;
  }
  double sum() const { return sum_; }

 private:
  double sum_ = 0;
};

void DropFromPageCache(const std::string& dir) {
  for (const fs::directory_entry& e : fs::directory_iterator(dir)) {
    const int fd = ::open(e.path().c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) continue;
    (void)::fdatasync(fd);
    (void)::posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
    ::close(fd);
  }
}

// Args: samples per tick; 1 to read with a cold page cache.
void BM_WalReplay(benchmark::State& state) {
  if (HostValues().empty()) return state.SkipWithError("no host series");
  const std::string& dir = ReplayLog(static_cast<size_t>(state.range(0)));
  uint64_t samples = 0;
  for (auto _ : state) {
    if (state.range(1)) {
      state.PauseTiming();
      DropFromPageCache(dir);
      state.ResumeTiming();
    }
    SumVisitor visitor;
    Result<ReplayStats> stats = Wal::Replay(dir, visitor);
    if (!stats.ok() || !stats->damage.empty()) return state.SkipWithError("replay failed");
    samples = stats->samples;
    benchmark::DoNotOptimize(visitor.sum());
  }
  state.SetItemsProcessed(static_cast<int64_t>(samples * state.iterations()));
  state.counters["samples"] = static_cast<double>(samples);
  state.counters["time_per_sample"] = benchmark::Counter(
      static_cast<double>(samples),
      benchmark::Counter::kIsIterationInvariantRate | benchmark::Counter::kInvert);
}
BENCHMARK(BM_WalReplay)
    ->ArgNames({"samples_per_tick", "cold"})
    ->Args({170, 0})
    ->Args({170, 1})
    ->Args({1000, 0})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

// What start-up does: re-intern each replayed series, commit each tick.
class StoreVisitor : public WalVisitor {
 public:
  void OnSeries(SeriesId id, const SeriesKey& key) override {
    if (id >= ids_.size()) ids_.resize(id + 1);
    ids_[id] = *registry_.Intern(key.name, key.labels);
  }
  void OnTick(TimestampMs t, std::span<const std::pair<SeriesId, double>> samples) override {
    Tick tick(registry_, t);
    tick.Reserve(samples.size());
    for (const auto& [id, v] : samples) tick.AppendInterned(ids_[id], v);
    (void)store_.Commit(tick);
  }
  uint64_t stored() const { return store_.Stats().samples; }

 private:
  SeriesRegistry registry_;
  std::vector<SeriesId> ids_;
  MemStore store_;
};

void BM_WalReplayIntoMemStore(benchmark::State& state) {
  if (HostValues().empty()) return state.SkipWithError("no host series");
  const std::string& dir = ReplayLog(170);
  uint64_t samples = 0;
  for (auto _ : state) {
    StoreVisitor visitor;
    Result<ReplayStats> stats = Wal::Replay(dir, visitor);
    if (!stats.ok() || !stats->damage.empty()) return state.SkipWithError("replay failed");
    samples = stats->samples;
    benchmark::DoNotOptimize(visitor.stored());
  }
  state.SetItemsProcessed(static_cast<int64_t>(samples * state.iterations()));
  state.counters["time_per_sample"] = benchmark::Counter(
      static_cast<double>(samples),
      benchmark::Counter::kIsIterationInvariantRate | benchmark::Counter::kInvert);
}
BENCHMARK(BM_WalReplayIntoMemStore)->Unit(benchmark::kMillisecond)->UseRealTime();

// Bytes on disk per sample for the captured 600 ticks (Arg: samples per tick).
void BM_WalSize(benchmark::State& state) {
  if (HostValues().empty()) return state.SkipWithError("no host series");
  HostTicks host(static_cast<size_t>(state.range(0)));
  WalOptions options;
  options.dir = BenchDir("size");
  options.sync.mode = WalSync::Mode::kOff;
  WalStats stats;
  for (auto _ : state) {
    fs::remove_all(options.dir);
    auto wal = std::move(Wal::Open(options, host.registry())).value();
    for (size_t i = 0; i < 600; ++i) (void)wal->AppendTick(HostTicks::TimeOf(i), host.Tick(i));
    stats = wal->Stats();
  }
  fs::remove_all(options.dir);
  state.counters["bytes_per_sample"] =
      static_cast<double>(stats.bytes) / static_cast<double>(stats.samples);
  state.counters["bytes"] = static_cast<double>(stats.bytes);
}
BENCHMARK(BM_WalSize)->ArgName("samples_per_tick")->Arg(170)->Arg(1000)->Iterations(3);

}  // namespace
}  // namespace perfwatch
