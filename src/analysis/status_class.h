#pragma once
// Status classes of seed 000 (Excellent, Good, Fair, Poor, Critical): which
// class the host and its applications are in, why, and a 0-100 score.
//
// Metrics read (a bound applies only when its metric is present):
//   system_cpu_usage_percent            (the series without a cpu label)
//   system_memory_used_percent
//   app_response_time_avg_seconds{app}   (judged in ms, as the table)
//   app_error_rate_percent{app}
//   app_cache_hit_rate_percent{app}     (a LOWER hit rate is worse)
//
// Class of one value v (higher is worse; mirrored for the cache hit rate):
//   v > critical -> Critical, v > poor -> Poor, v > fair -> Fair,
//   v < excellent -> Excellent, otherwise Good.
// The overall class is the worst class of any present metric, so Excellent
// only when every present metric is Excellent. NaN values count as absent.
// With no metric at all the class is Good: nothing known to be wrong.
//
// Score: each metric maps to 0-100 by linear interpolation between knots
//   value 0 -> 100, excellent -> 80, fair -> 60, poor -> 40, critical -> 20,
//   and 0 at 100 % (percent metrics) or 2 x critical (response time);
// the cache hit rate uses 100 - v against 100 - bound. The score is the
// lowest over all metrics, so it falls continuously and monotonically as
// the worst metric approaches its critical bound, and its band of 20 points
// matches the class (Excellent 80-100 ... Critical 0-20).
//
// StatusClassifier is not thread-safe (it keeps the poor streak): one
// thread, the collection loop, calls Classify. The free functions are pure.

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "analysis/status_options.h"
#include "model/appender.h"
#include "model/labels.h"
#include "model/registry.h"
#include "model/sample.h"
#include "model/tick.h"

namespace perfwatch {

enum class StatusClass { kExcellent = 0, kGood = 1, kFair = 2, kPoor = 3, kCritical = 4 };

std::string_view StatusClassName(StatusClass c);  // "Excellent", ...
// Seed 000's colours: "green", "blue", "yellow", "orange", "red".
std::string_view StatusColorName(StatusClass c);
// The same as CSS colours for the dashboard: "#2e7d32", ...
std::string_view StatusColorHex(StatusClass c);

// True when `after` is worse than `before` and at least Fair: the moment to
// log performance_degradation_detected (Excellent -> Good is not news).
bool Degraded(StatusClass before, StatusClass after);

// One metric that contributed to a status.
struct StatusReason {
  std::string metric;  // e.g. "system_memory_used_percent"
  Labels labels;       // e.g. {app="api"}; empty for host metrics
  double value = 0;
  double bound = 0;  // the bound of the class below (the one it crossed)
  StatusClass implies = StatusClass::kGood;
  std::string text;  // "memory 96.2% > 95% (critical)"
};

struct StatusReport {
  StatusClass status = StatusClass::kGood;
  int score = 100;  // 0-100, see the top of this file
  // Every metric worse than Excellent, worst first; when the status is
  // Excellent, every metric (each Excellent).
  std::vector<StatusReason> reasons;
  uint32_t poor_streak = 0;  // consecutive classifications at Poor or worse
  TimestampMs t_ms = 0;
};

// A value of one series, as read from a tick or a store.
struct MetricReading {
  const SeriesKey* key = nullptr;  // must outlive the call
  double value = 0;
};

// The stateless core: classifies readings (unknown metrics are ignored).
// poor_streak is left 0.
StatusReport ClassifyReadings(const StatusOptions& options, std::span<const MetricReading> readings,
                              TimestampMs t_ms);

class StatusClassifier {
 public:
  explicit StatusClassifier(StatusOptions options) : options_(options) {}

  // Classifies the tick's samples and advances the poor streak.
  StatusReport Classify(const Tick& tick);

  const StatusOptions& options() const { return options_; }

 private:
  StatusOptions options_;
  uint32_t poor_streak_ = 0;
};

// Appends perfwatch_status (class 0-4), perfwatch_status_score and
// perfwatch_status_poor_streak, describing each. Called on each tick
// before it is frozen.
void AppendStatusMetrics(const StatusReport& report, Appender& out);

// {"status":"Good","class":1,"score":83,"color":"blue","color_hex":"#1565c0",
//  "reasons":[{"metric":...,"labels":{...},"value":..,"bound":..,
//  "class":"Fair","text":...}],"poor_streak":0,"time":MS}
std::string StatusJson(const StatusReport& report);

}  // namespace perfwatch
