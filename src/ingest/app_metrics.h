#pragma once
// AppMetrics: what applications send (StatsD lines, pushed samples, OTLP
// points), aggregated in memory and emitted into every collection tick.
//
// Sources write through a Batch, which holds the one lock for its lifetime
// so a whole UDP batch or HTTP body costs one acquisition; a series is found
// by the source's own raw key (a StatsD "name|type|#tags", a Prometheus
// "name{labels}") so the hot path never builds Labels. On a miss the source
// maps the name, builds Labels and calls Create.
//
// Identity: two sources that name the same series (name + labels) share one
// AppSeries; a kind clash (a counter and a gauge of one name) is refused.
//
// Emission per kind (Flush), names as given to Create:
//   kCounter   name                       cumulative
//   kGauge     name
//   kSet       name                       unique members seen in the last flush interval
//   kSummary   name{quantile="0.5"|"0.9"|"0.95"|"0.99"} over the sliding quantile
//              window (omitted while the window is empty), name_count and
//              name_sum (cumulative), name_min / name_max (gauges: the last
//              flush interval's extremes; omitted when it had none)
//   kHistogram name_bucket{le=...} (cumulative, "+Inf" last), name_count, name_sum
// plus the derived application metrics (docs/METRICS.md, "Derived") and
// perfwatch's own ingest counters:
//   perfwatch_ingest_samples_total{source}        accepted values
//   perfwatch_ingest_errors_total{source,reason}  rejected lines/points/bodies
//   perfwatch_ingest_messages_total{source}       datagrams / HTTP bodies
//   perfwatch_ingest_bytes_total{source}
//   perfwatch_ingest_series{source}               series alive now
//
// Memory is bounded: series per source (limits.max_series), raw-key caches
// (cleared when they outgrow 4 x max_series), sketches (bounded bins), and
// series not updated for limits.series_ttl_ms are dropped.
//
// Thread-safe. A Batch must not outlive the AppMetrics and must be used by
// one thread; AppSeries pointers are valid only inside the Batch that
// returned them.

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "model/appender.h"
#include "model/labels.h"
#include "model/sample.h"
#include "model/status.h"

namespace perfwatch {

enum class IngestSource : uint8_t { kStatsd = 0, kPush = 1, kOtlp = 2 };
inline constexpr size_t kIngestSourceCount = 3;
std::string_view ToString(IngestSource source);  // "statsd", "push", "otlp"

enum class AppKind : uint8_t { kCounter, kGauge, kSet, kSummary, kHistogram };

struct IngestLimits {
  size_t max_series = 100'000;  // per source
  size_t max_labels = 32;       // per series, after the source's own labels
  size_t max_name_bytes = 256;
  size_t max_label_value_bytes = 1024;
  // A series not written for this long stops being emitted and is freed.
  int64_t series_ttl_ms = 10 * 60 * 1000;
  // A sample stamped further in the past than this is refused ("too_old");
  // 0 disables the check.
  int64_t max_sample_age_ms = 5 * 60 * 1000;
};

struct ObserverOptions {
  // Per-interval figures (summary min/max, set members) restart when a
  // Flush finds this much time passed since the last restart; 0 = every
  // Flush (the collection interval, the default).
  int64_t flush_interval_ms = 0;
  // DDSketch relative accuracy of every quantile.
  double relative_accuracy = 0.01;
  // Summary quantiles cover this sliding window, kept as `window_buckets`
  // rotating age buckets as Prometheus client summaries do (so the window
  // covered is between (b-1)/b and 1 of it).
  int64_t quantile_window_ms = 60'000;
  int window_buckets = 6;
  std::vector<double> quantiles = {0.5, 0.9, 0.95, 0.99};
  // Upper bounds of kHistogram series fed by Observe (+Inf is implicit).
  std::vector<double> buckets = {1, 2.5, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000};
};

struct AppSeries;  // defined in app_metrics.cpp

// Figures of one component timer (GET /api/v1/components), in milliseconds,
// since perfwatch first saw it.
struct ComponentStats {
  std::string app;  // "" when the timer has no app
  std::string name;
  uint64_t count = 0;
  double total_ms = 0;
  double mean_ms = 0;
  double min_ms = 0;
  double p50_ms = 0;
  double p95_ms = 0;
  double p99_ms = 0;
  double max_ms = 0;
  double share_percent = 0;  // of the total of every component of the same app
  TimestampMs last_seen_ms = 0;
};

class AppMetrics {
 public:
  AppMetrics(IngestLimits limits = {}, ObserverOptions observers = {});
  ~AppMetrics();
  AppMetrics(const AppMetrics&) = delete;
  AppMetrics& operator=(const AppMetrics&) = delete;

  class Batch {
   public:
    ~Batch();  // releases the lock, adds the batch's counts
    Batch(Batch&&) noexcept;
    Batch(const Batch&) = delete;
    Batch& operator=(const Batch&) = delete;
    Batch& operator=(Batch&&) = delete;

    // The series this source created or found under raw key `key`, or null.
    AppSeries* Find(std::string_view key);
    // Creates (or finds, when another raw key or source already made it)
    // the series name{labels} of `kind` and remembers it under `key`.
    // `name` must already be the final Prometheus name (IsValidMetricName).
    // Fails, counting the reason, with kResourceExhausted for the series
    // limit ("series_limit") and kInvalidArgument for a bad name
    // ("bad_name"), a name or label over the limits ("name_too_long",
    // "too_many_labels", "label_value_too_long") or a kind clash
    // ("type_conflict"). `help` and `unit` describe the family when new.
    Result<AppSeries*> Create(std::string_view key, AppKind kind, std::string_view name,
                              Labels labels, std::string_view help = {},
                              std::string_view unit = {});

    // Writes. `t_ms` (0 = now, read once when the Batch began) orders
    // samples: one older than the series' newest is ignored ("out_of_order"),
    // one older than max_sample_age is refused ("too_old"). Each returns
    // false when the value was refused, and then has counted the reason
    // itself (also "bad_value" for a non-finite value or weight, and
    // "type_conflict" for a write that does not fit the series' kind); the
    // source counts what it accepted with Accepted().
    // Counter: += delta (delta >= 0; a negative delta is refused with
    // "negative_counter"); gauge: += delta.
    bool Add(AppSeries* series, double delta, TimestampMs t_ms = 0);
    // Counter: = value, cumulative (a smaller value is a reset); gauge: = value.
    bool Set(AppSeries* series, double value, TimestampMs t_ms = 0);
    // Summary or histogram: one observation counted `weight` times (a
    // StatsD sample rate of 0.1 is weight 10).
    bool Observe(AppSeries* series, double value, double weight = 1);
    // Set: one member (any bytes); past 100,000 members in one flush
    // interval a new one is refused ("set_too_large").
    bool AddMember(AppSeries* series, std::string_view member);
    // Histogram with its own bucket layout (OTLP, Prometheus text):
    // `bounds` ascending upper bounds without +Inf, `counts` per bucket
    // (bounds.size() + 1 of them, not cumulative). `delta`: add to what is
    // there; otherwise it replaces it (cumulative temporality; a smaller
    // count is a reset). A layout different from the series' first one is
    // refused ("bucket_layout_changed"); bounds not strictly ascending and
    // finite, or a wrong number of counts, are "bad_histogram".
    bool SetHistogram(AppSeries* series, std::span<const double> bounds,
                      std::span<const uint64_t> counts, double sum, bool delta,
                      TimestampMs t_ms = 0);

    // Counting for the batch's source.
    void Reject(std::string_view reason, uint64_t n = 1);
    void Accepted(uint64_t n = 1);
    void Message(uint64_t bytes);

    IngestSource source() const { return source_; }

   private:
    friend class AppMetrics;
    Batch(AppMetrics* owner, IngestSource source);
    AppMetrics* owner_;
    IngestSource source_;
    std::unique_lock<std::mutex> lock_;
    uint64_t accepted_ = 0;
  };

  Batch Begin(IngestSource source);

  // Counts a rejection outside a batch (an HTTP body refused before parsing).
  void CountError(IngestSource source, std::string_view reason, uint64_t n = 1);

  // Emits every live series, the derived application metrics and the ingest
  // counters into `out`, then starts the next flush interval. Called once
  // per collection tick, on the collection thread. Sources wait only while
  // the figures are gathered; `out` is called after the lock is released.
  void Flush(Appender& out, TimestampMs now);

  // Component timers (summary `component_duration_milliseconds` with a
  // `component` label, docs/METRICS.md), sorted by app then name.
  std::vector<ComponentStats> Components() const;
  std::optional<ComponentStats> Component(std::string_view name, std::string_view app = {}) const;

  // Errors counted so far for (source, reason); for tests and benchmarks.
  uint64_t ErrorCount(IngestSource source, std::string_view reason) const;
  uint64_t AcceptedCount(IngestSource source) const;
  size_t SeriesCount(IngestSource source) const;

  const IngestLimits& limits() const { return limits_; }
  const ObserverOptions& observers() const { return observers_; }

 private:
  struct State;
  const IngestLimits limits_;
  const ObserverOptions observers_;
  mutable std::mutex mu_;
  std::unique_ptr<State> state_;  // protected by mu_
};

// The StatsD and OTLP name rule: every byte outside [a-zA-Z0-9_:] becomes
// '_', runs of '_' stay as they are, and a leading digit gains a '_' prefix.
std::string SanitizeMetricName(std::string_view name);
// The same for label names ([a-zA-Z0-9_], no ':'; a leading "__" is
// reserved, so it becomes "_" + the rest).
std::string SanitizeLabelName(std::string_view name);

}  // namespace perfwatch
