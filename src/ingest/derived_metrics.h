#pragma once
// Private to ingest/: the application metrics AppMetrics derives from
// conventionally named series (docs/METRICS.md, "Derived"), per app, over a
// sliding window the way Prometheus's rate() over that window would:
//
//   request timer (summary request_milliseconds, *_request_milliseconds)
//     app_requests_per_second, app_response_time_avg_seconds,
//     app_response_time_p95_seconds, app_error_rate_percent
//   counters *cache_hits_total / *cache_misses_total (or hit / miss)
//     app_cache_hit_rate_percent
//   gauge *cache_size   app_cache_size
//   counter *bytes_total  app_throughput_mb_per_second
//
// Each Flush adds every series' increase since the previous Flush (a
// counter reset counts from zero) to its app's running totals and keeps a
// snapshot of them; a figure is the difference between now and the newest
// snapshot at least a window old (or the oldest one), divided by the time
// between them. Not thread-safe: AppMetrics holds its lock.

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <string>
#include <string_view>

#include "ingest/app_metrics.h"
#include "ingest/ddsketch.h"

namespace perfwatch {

inline constexpr std::string_view kComponentTimerName = "component_duration_milliseconds";

enum class DerivedRole : uint8_t {
  kNone,
  kRequest,  // summary: count, sum and window sketch
  kCacheHits,
  kCacheMisses,
  kCacheSize,
  kBytes,
  kComponent,  // component timer: Components(), not an app figure
};

// What one series feeds into the derived metrics; decided once at Create.
struct DerivedInput {
  DerivedRole role = DerivedRole::kNone;
  bool error = false;  // a request timer whose status says it failed
  std::string app;
  // The counter value, or the summary's count and sum, at the previous Flush.
  double last_count = 0;
  double last_sum = 0;
};

DerivedInput ClassifySeries(std::string_view name, AppKind kind, const Labels& labels);

// The app of a series: label "app", else "service_name", else `prefix`
// (the name part before a conventional suffix), else "default".
std::string AppOf(const Labels& labels, std::string_view prefix = {});

// True when a request's status labels say it failed: a numeric status
// >= 500, error/err/fail/failed/failure/5xx, or error="true".
bool IsErrorRequest(const Labels& labels);

class DerivedMetrics {
 public:
  DerivedMetrics(int64_t window_ms, double relative_accuracy);

  // Feeding, once per series and Flush.
  void Request(const std::string& app, bool error, double count_increase, double sum_increase,
               const DDSketch& window);
  void Increase(DerivedRole role, const std::string& app, double increase);
  void CacheSize(const std::string& app, double value);

  // Emits every fed app's figures as of `now` and forgets apps that were
  // not fed. `previous_flush_ms` (0 = none) starts the window of an app
  // seen for the first time. A figure whose series `taken` already holds
  // (an application that sends its own app_requests_per_second) is skipped.
  using TakenFn = std::function<bool(std::string_view name, const Labels& labels)>;
  void Emit(Appender& out, TimestampMs now, TimestampMs previous_flush_ms, const TakenFn& taken);

  static void Describe(Appender& out);

 private:
  struct Totals {
    double requests = 0;
    double request_ms = 0;
    double errors = 0;
    double hits = 0;
    double misses = 0;
    double bytes = 0;
  };
  struct App {
    explicit App(double relative_accuracy) : latency(relative_accuracy) {}
    Totals totals;  // monotonic, since the app was first seen
    std::deque<std::pair<TimestampMs, Totals>> snapshots;
    DDSketch latency;  // this Flush: the window of every request series
    bool requests = false, cache = false, cache_size_seen = false, bytes = false;
    double cache_size = 0;
  };
  App& Find(const std::string& app);
  const std::pair<TimestampMs, Totals>& Base(App& a, TimestampMs now) const;
  void EmitApp(Appender& out, const std::string& name, App& a, TimestampMs now,
               TimestampMs previous_flush_ms, const TakenFn& taken);

  const int64_t window_ms_;
  const double relative_accuracy_;
  std::map<std::string, App, std::less<>> apps_;
};

}  // namespace perfwatch
