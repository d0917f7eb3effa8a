// Durable store benchmarks, in directories under $TMPDIR (default /tmp) on
// whatever file system that is.
//
//   ninja -C build store_bench && build/bench/store_bench
//
// BM_StoreCommit: DurableStore::Commit of host-like ticks (the real series
// of tests/data/store/host_series.csv, 170 or 1,000 samples a tick, 1 s
// apart, from a day boundary two days ago) with the WAL fsync at most every
// second or off, over three 2 h block windows plus the tick that closes the
// third, so the writer thread seals three windows into SQLite. Each
// repetition starts from an empty data directory. items_per_second is
// samples/s of wall-clock time on the committing thread (building each
// Tick, a copy of its samples, included); samples_per_cpu_s divides the
// samples by the CPU time of the whole process (getrusage) from before the
// first tick until the writer has sealed the third window, so the sealing
// work on the other thread is counted too (less the waiting thread's
// polling); other_threads_cpu_share is the part of it not spent on the
// committing thread. Time and CPU are per tick.
//
// BM_HistoryQuery / BM_HistoryRoute: one series at 1 s for the 30 days
// before today's midnight (UTC), plus three more, imported once through
// Backfill (raw, 1-minute and 1-hour blocks) and served by a DurableStore
// with the WAL off: nothing is in memory, every answer comes from SQLite.
// Query calls DurableStore::Query; Route calls ApiHandler::Handle with GET
// /api/v1/metrics/history, adding selector matching and JSON rendering (the
// server's time without sockets). Times are wall-clock ms per query; the
// label names the tier read and the points returned.

#include <benchmark/benchmark.h>
#include <sys/resource.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "api/routes.h"
#include "host_series.h"
#include "model/registry.h"
#include "model/tick.h"
#include "store/backfill.h"
#include "store/durable_store.h"
#include "store/tiers.h"

namespace perfwatch {
namespace {

namespace fs = std::filesystem;

using bench::HostValues;

TimestampMs WallNowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

double CpuSeconds(int who) {
  rusage usage{};
  ::getrusage(who, &usage);
  auto seconds = [](const timeval& tv) { return tv.tv_sec + tv.tv_usec / 1e6; };
  return seconds(usage.ru_utime) + seconds(usage.ru_stime);
}
// User plus system CPU seconds so far of every thread of this process, and
// of the calling thread.
double ProcessCpuSeconds() { return CpuSeconds(RUSAGE_SELF); }
double ThreadCpuSeconds() { return CpuSeconds(RUSAGE_THREAD); }

std::string BenchDir(const std::string& name) {
  const char* tmp = std::getenv("TMPDIR");
  const std::string dir = std::string(tmp && *tmp ? tmp : "/tmp") + "/perfwatch_store_bench_" +
                          name + "_" + std::to_string(::getpid());
  fs::remove_all(dir);
  return dir;
}

// A directory removed, with everything in it, when this goes out of scope.
struct ScratchDir {
  explicit ScratchDir(const std::string& name) : path(BenchDir(name)) {}
  ~ScratchDir() { fs::remove_all(path); }
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;
  const std::string path;
};

// Ticks of bench::HostColumns, filled as the collection loop fills them.
class HostTicks : public bench::HostColumns {
 public:
  using HostColumns::HostColumns;
  void Fill(size_t i, Tick& tick) const {
    tick.Reserve(width());
    for (size_t k = 0; k < width(); ++k) tick.AppendInterned(id(k), Value(i, k));
  }
};

constexpr int64_t kWindowMs = BlockLayout{}.window_ms;
constexpr int64_t kSealedWindows = 3;
// Three whole windows at 1 s, and the tick that closes the third.
constexpr int64_t kCommitTicks = kSealedWindows * kWindowMs / 1000 + 1;

// Waits (up to a minute) until the writer has sealed everything before
// `until`; false if it did not. Each poll runs SQLite queries, so it polls
// seldom and the caller discounts this thread's CPU time.
bool WaitForSeal(const DurableStore& store, TimestampMs until) {
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::minutes(1);
  while (store.Storage().sealed_until < until) {
    if (std::chrono::steady_clock::now() > give_up) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return true;
}

// Args: samples per tick; WAL sync 0 off, 1 at most every second (default).
void BM_StoreCommit(benchmark::State& state) {
  if (HostValues().empty()) return state.SkipWithError("no host series");
  HostTicks host(static_cast<size_t>(state.range(0)));
  const ScratchDir dir("commit");
  DurableStoreOptions options;
  options.data_dir = dir.path;
  options.wal_sync = state.range(1) == 0 ? WalSync{WalSync::Mode::kOff, 0}
                                         : WalSync{WalSync::Mode::kPeriodic, 1000};
  Result<std::unique_ptr<DurableStore>> store = DurableStore::Open(host.registry(), options);
  if (!store.ok()) return state.SkipWithError(store.status().ToString().c_str());
  const TimestampMs start = AlignDown(WallNowMs() - 2 * kDayMs, kDayMs);
  const double process_before = ProcessCpuSeconds();
  const double thread_before = ThreadCpuSeconds();
  const auto wall_before = std::chrono::steady_clock::now();
  size_t i = 0;
  uint64_t samples = 0;
  for (auto _ : state) {
    Tick tick(host.registry(), start + static_cast<int64_t>(i) * 1000);
    host.Fill(i, tick);
    if (!(*store)->Commit(tick).ok()) return state.SkipWithError("commit failed");
    samples += tick.samples().size();
    ++i;
  }
  const double committing_cpu = ThreadCpuSeconds() - thread_before;
  const auto loop_end = std::chrono::steady_clock::now();
  const TimestampMs last_tick = start + static_cast<int64_t>(i - 1) * 1000;
  if (!WaitForSeal(**store, AlignDown(last_tick, kWindowMs))) {
    return state.SkipWithError("the writer did not seal the closed windows");
  }
  const auto sealed = std::chrono::steady_clock::now();
  const double polling_cpu = ThreadCpuSeconds() - thread_before - committing_cpu;
  const double cpu = ProcessCpuSeconds() - process_before - polling_cpu;
  const StorageStats storage = (*store)->Storage();
  if (storage.errors != 0) return state.SkipWithError("the store counted errors");
  state.SetItemsProcessed(static_cast<int64_t>(samples));
  state.counters["samples_per_cpu_s"] = static_cast<double>(samples) / cpu;
  // CPU time not on the committing thread: the writer's seals (and SQLite).
  state.counters["other_threads_cpu_share"] = (cpu - committing_cpu) / cpu;
  state.counters["cpu_per_wall"] =
      cpu / std::chrono::duration<double>(sealed - wall_before).count();
  state.counters["seal_wait_ms"] =
      std::chrono::duration<double, std::milli>(sealed - loop_end).count();
  state.counters["raw_blocks"] = static_cast<double>(storage.tiers[0].blocks);
}
BENCHMARK(BM_StoreCommit)
    ->ArgNames({"samples", "sync"})
    ->Args({170, 1})
    ->Args({170, 0})
    ->Args({1000, 1})
    ->Args({1000, 0})
    ->Iterations(kCommitTicks)
    ->Unit(benchmark::kMicrosecond)
    ->UseRealTime();

constexpr int64_t kHistoryDays = 30;
constexpr std::string_view kQueried = "system_cpu_usage_percent";

// A data directory holding kHistoryDays of 1 s history, imported through
// Backfill and served by a DurableStore (WAL off) and an ApiHandler. Built
// once per process; removed at exit.
class HistoryFixture {
 public:
  static const HistoryFixture& Get() {
    static HistoryFixture fixture;
    return fixture;
  }
  const std::string& error() const { return error_; }
  const DurableStore& store() const { return *store_; }
  const ApiHandler& api() const { return *api_; }
  const SeriesRegistry& registry() const { return registry_; }
  TimestampMs end() const { return end_; }  // exclusive; today's midnight (UTC)

 private:
  HistoryFixture() : dir_("history"), end_(AlignDown(WallNowMs(), kDayMs)) {
    const auto started = std::chrono::steady_clock::now();
    Status st = Import();
    if (!st.ok()) {
      error_ = st.ToString();
      return;
    }
    const double import_s =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    DurableStoreOptions options;
    options.data_dir = dir_.path;
    options.wal_sync.mode = WalSync::Mode::kOff;
    Result<std::unique_ptr<DurableStore>> store = DurableStore::Open(registry_, options);
    if (!store.ok()) {
      error_ = store.status().ToString();
      return;
    }
    store_ = std::move(*store);
    api_ = std::make_unique<ApiHandler>(registry_, *store_, ApiOptions{},
                                        [end = end_] { return end; });
    std::fprintf(stderr, "store_bench: imported %lld days of 4 series at 1 s in %.1f s\n",
                 static_cast<long long>(kHistoryDays), import_s);
  }

  // The queried series and three others, each cycling through its 600
  // captured values.
  Status Import() {
    Result<std::unique_ptr<Backfill>> backfill = Backfill::Open(dir_.path);
    if (!backfill.ok()) return backfill.status();
    const std::pair<std::string_view, MetricKind> series[] = {
        {kQueried, MetricKind::kGauge},
        {"system_memory_used_percent", MetricKind::kGauge},
        {"system_load1", MetricKind::kGauge},
        {"system_context_switches_total", MetricKind::kCounter}};
    const TimestampMs from = end_ - kHistoryDays * kDayMs;
    for (const auto& [name, kind] : series) {
      auto it = HostValues().find(std::string(name));
      if (it == HostValues().end()) return Status::NotFound("no captured " + std::string(name));
      const std::vector<double>& values = it->second;
      const SeriesKey key{std::string(name), Labels()};
      const MetricMeta meta{std::string(name), kind, "Captured on a host.", ""};
      for (TimestampMs t = from, i = 0; t < end_; t += 1000, ++i) {
        Status st = (*backfill)->Add(key, &meta, {t, values[i % values.size()]});
        if (!st.ok()) return st;
      }
    }
    return (*backfill)->Finish();
  }

  const ScratchDir dir_;  // declared first: removed after the store closes
  TimestampMs end_;
  std::string error_;
  SeriesRegistry registry_;
  std::unique_ptr<DurableStore> store_;
  std::unique_ptr<ApiHandler> api_;
};

struct HistoryCase {
  int64_t span_ms;  // ending at the fixture's end
  int64_t step_ms;
};
// 24 h in 1,000 points; the same 24 h from raw samples (a step finer than a
// minute); 30 days at 1 h.
constexpr HistoryCase kHistoryCases[] = {
    {kDayMs, 86'400}, {kDayMs, 59'000}, {kHistoryDays * kDayMs, kHourMs}};

QueryRange RangeOf(const HistoryFixture& fixture, const HistoryCase& c) {
  return {fixture.end() - c.span_ms, fixture.end() - 1, c.step_ms, Aggregation::kAvg};
}

std::string TierLabel(const QueryRange& range, size_t points) {
  const Tier tier = ChooseTier(range.step_ms, DurableStoreOptions{}.interval_ms, range.from_ms,
                               WallNowMs(), RetentionConfig{});
  return "tier=" + std::string(ToString(tier)) + " points=" + std::to_string(points);
}

// Arg: index into kHistoryCases.
void BM_HistoryQuery(benchmark::State& state) {
  if (HostValues().empty()) return state.SkipWithError("no host series");
  const HistoryFixture& fixture = HistoryFixture::Get();
  if (!fixture.error().empty()) return state.SkipWithError(fixture.error().c_str());
  const QueryRange range = RangeOf(fixture, kHistoryCases[state.range(0)]);
  const std::vector<SeriesId> ids = fixture.registry().SeriesOf(kQueried);
  size_t points = 0;
  for (auto _ : state) {
    Result<std::vector<SeriesPoints>> r = fixture.store().Query(ids, range);
    if (!r.ok() || r->size() != 1) return state.SkipWithError("query failed");
    points = (*r)[0].points.size();
    benchmark::DoNotOptimize(r);
  }
  state.SetLabel(TierLabel(range, points));
}
BENCHMARK(BM_HistoryQuery)
    ->ArgName("case")
    ->DenseRange(0, std::size(kHistoryCases) - 1)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

// Arg: index into kHistoryCases.
void BM_HistoryRoute(benchmark::State& state) {
  if (HostValues().empty()) return state.SkipWithError("no host series");
  const HistoryFixture& fixture = HistoryFixture::Get();
  if (!fixture.error().empty()) return state.SkipWithError(fixture.error().c_str());
  const QueryRange range = RangeOf(fixture, kHistoryCases[state.range(0)]);
  HttpRequest request;
  request.method = "GET";
  request.target = "/api/v1/metrics/history?metric=" + std::string(kQueried) +
                   "&from=" + std::to_string(range.from_ms) + "&to=" + std::to_string(range.to_ms) +
                   "&step=" + std::to_string(range.step_ms) + "ms";
  size_t bytes = 0;
  for (auto _ : state) {
    HttpResponse response = fixture.api().Handle(request);
    if (response.status != 200) return state.SkipWithError(response.body.c_str());
    bytes = response.body.size();
    benchmark::DoNotOptimize(response);
  }
  Result<std::vector<SeriesPoints>> r =
      fixture.store().Query(fixture.registry().SeriesOf(kQueried), range);
  state.SetLabel(TierLabel(range, r.ok() && r->size() == 1 ? (*r)[0].points.size() : 0));
  state.counters["body_bytes"] = static_cast<double>(bytes);
}
BENCHMARK(BM_HistoryRoute)
    ->ArgName("case")
    ->DenseRange(0, std::size(kHistoryCases) - 1)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

}  // namespace
}  // namespace perfwatch
