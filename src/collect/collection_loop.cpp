#include "collect/collection_loop.h"

#include "model/event_log.h"

namespace perfwatch {
namespace {

constexpr std::string_view kDurationMetric = "perfwatch_collector_duration_seconds";
constexpr std::string_view kSuccessMetric = "perfwatch_collector_success";

// A tick that starts this close to its slot is stamped with the slot's time.
constexpr std::chrono::milliseconds kSlotTolerance{100};

TimestampMs WallNowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

CollectionLoop::CollectionLoop(SeriesRegistry& registry,
                               std::vector<std::unique_ptr<Collector>> collectors,
                               std::chrono::milliseconds interval, Sink sink)
    : registry_(registry), interval_(interval), sink_(std::move(sink)) {
  int64_t next_phase = 1;  // tick 0 mod every is left to the cheap ones
  for (auto& c : collectors) {
    Slot slot;
    slot.labels = Labels{{"collector", std::string(c->name())}};
    slot.collector = std::move(c);
    auto min = slot.collector->min_interval();
    if (min > interval_) {
      slot.every = (min.count() + interval_.count() - 1) / interval_.count();
      slot.phase = next_phase++ % slot.every;
    }
    slots_.push_back(std::move(slot));
  }
  registry_.Describe({std::string(kDurationMetric), MetricKind::kGauge,
                      "Wall time the collector's last run took.", "seconds"});
  registry_.Describe({std::string(kSuccessMetric), MetricKind::kGauge,
                      "Whether the collector's last run succeeded (1) or failed (0).", ""});
}

CollectionLoop::~CollectionLoop() { Stop(); }

void CollectionLoop::Start() {
  {
    std::lock_guard lock(mu_);
    stopping_ = false;
  }
  thread_ = std::thread([this] { Run(); });
}

void CollectionLoop::Stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void CollectionLoop::RunCollector(Slot& slot, Tick& tick) {
  int64_t tick_number = tick.time() / interval_.count();
  if (slot.has_run && tick_number % slot.every != slot.phase) {
    for (const auto& [id, value] : slot.last_samples) tick.AppendInterned(id, value);
    return;
  }
  size_t first = tick.samples().size();
  auto start = std::chrono::steady_clock::now();
  Status st = slot.collector->Collect(tick);
  slot.last_duration_s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  // Log on transitions only: a host without /proc/pressure must not fill the log.
  if (!st.ok() && (slot.ok || !slot.has_run)) {
    LogEvent(LogLevel::kWarn, "collector_failed",
             {{"collector", std::string(slot.collector->name())}, {"error", st.ToString()}});
  } else if (st.ok() && !slot.ok) {
    LogEvent(LogLevel::kInfo, "collector_recovered",
             {{"collector", std::string(slot.collector->name())}});
  }
  slot.ok = st.ok();
  slot.has_run = true;
  if (slot.every > 1)
    slot.last_samples.assign(tick.samples().begin() + first, tick.samples().end());
}

std::shared_ptr<const Tick> CollectionLoop::RunOnce(TimestampMs t_ms) {
  auto tick = std::make_shared<Tick>(registry_, t_ms);
  tick->Reserve(last_tick_size_ + 2 * slots_.size());
  for (Slot& slot : slots_) RunCollector(slot, *tick);
  // Reported every tick, also for collectors skipped by min_interval, so a
  // dashboard never sees a gap in them.
  for (Slot& slot : slots_) {
    if (!slot.has_run) continue;
    (void)tick->Append(kDurationMetric, slot.labels, slot.last_duration_s);
    (void)tick->Append(kSuccessMetric, slot.labels, slot.ok ? 1.0 : 0.0);
  }
  if (finisher_) finisher_(*tick);
  last_tick_size_ = tick->samples().size();
  return tick;
}

void CollectionLoop::Run() {
  // Ticks sit on a grid aligned to wall-clock multiples of the interval
  // (12:00:00, 12:00:01, ...), scheduled on the steady clock so they do not
  // drift by each tick's own duration; missed ticks are skipped, not bunched.
  // Each tick is stamped with its slot's wall time, not the moment the thread
  // woke: wake-up jitter would otherwise cost ~7 bits per sample in the
  // delta-of-delta timestamp encoding, where an exact grid costs 1 bit
  // (Prometheus aligns scrape timestamps the same way). If the wall clock
  // jumps, the grid is re-anchored.
  const int64_t step = interval_.count();
  // The first tick runs at once so the API has data straight away.
  sink_(RunOnce(WallNowMs()));
  TimestampMs slot_ms = (WallNowMs() / step + 1) * step;
  auto next = std::chrono::steady_clock::now() + std::chrono::milliseconds(slot_ms - WallNowMs());
  std::unique_lock lock(mu_);
  while (!stopping_) {
    if (wake_.wait_until(lock, next, [this] { return stopping_; })) break;
    lock.unlock();
    TimestampMs wall = WallNowMs();
    if (wall < slot_ms - kSlotTolerance.count() || wall > slot_ms + kSlotTolerance.count()) {
      slot_ms = wall / step * step;  // clock jumped or we overslept: re-anchor
    }
    sink_(RunOnce(slot_ms));
    lock.lock();
    auto now = std::chrono::steady_clock::now();
    do {
      slot_ms += step;
      next += interval_;
    } while (next <= now);
  }
}

}  // namespace perfwatch
