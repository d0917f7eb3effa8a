#pragma once
// CollectionLoop: the heartbeat. Every interval it runs each due collector
// into one Tick (one wall-clock timestamp for all), adds perfwatch's own
// per-collector duration and success gauges, freezes the Tick and hands it
// to the sink (main wires the sink: store commit, then the API's publish), so
// a reader never sees half a tick.
//
// It runs on its own thread rather than on the HTTP io_context so that a
// burst of requests can never delay a tick. Start/Stop from one thread;
// RunOnce is for tests and benchmarks and must not race a started loop.
// `registry` must outlive the loop.

#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "collect/collector.h"
#include "model/registry.h"
#include "model/tick.h"

namespace perfwatch {

class CollectionLoop {
 public:
  using Sink = std::function<void(std::shared_ptr<const Tick>)>;

  CollectionLoop(SeriesRegistry& registry, std::vector<std::unique_ptr<Collector>> collectors,
                 std::chrono::milliseconds interval, Sink sink);
  ~CollectionLoop();  // stops and joins
  CollectionLoop(const CollectionLoop&) = delete;
  CollectionLoop& operator=(const CollectionLoop&) = delete;

  // Runs on every tick after the collectors and before the tick is frozen:
  // it may read what they appended and add figures derived from them (the
  // status class). Set before Start; runs on the loop's thread.
  using Finisher = std::function<void(Tick&)>;
  void set_finisher(Finisher finisher) { finisher_ = std::move(finisher); }

  void Start();
  void Stop();

  // Runs every due collector once at wall time `t_ms` and returns the Tick
  // (without calling the sink).
  std::shared_ptr<const Tick> RunOnce(TimestampMs t_ms);

 private:
  struct Slot {
    std::unique_ptr<Collector> collector;
    Labels labels;  // {collector="name"}
    // A collector with a min_interval runs on ticks where
    // (tick number % every) == phase; phases differ so two expensive
    // collectors never share a tick.
    int64_t every = 1;
    int64_t phase = 0;
    double last_duration_s = 0;
    // What the collector appended on its last run; repeated into the ticks
    // it skips so every tick is a complete snapshot (a scrape of /metrics
    // never sees a series vanish between two runs of a slow collector).
    std::vector<std::pair<SeriesId, double>> last_samples;
    bool ok = true;
    bool has_run = false;
  };

  void Run();
  void RunCollector(Slot& slot, Tick& tick);

  SeriesRegistry& registry_;
  std::vector<Slot> slots_;
  const std::chrono::milliseconds interval_;
  Sink sink_;
  Finisher finisher_;
  size_t last_tick_size_ = 0;

  std::mutex mu_;
  std::condition_variable wake_;
  bool stopping_ = false;  // protected by mu_
  std::thread thread_;
};

}  // namespace perfwatch
