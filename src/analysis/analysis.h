#pragma once
// Analysis: the status class, the bottlenecks of the last few minutes and
// the trends of the last hours, in one report for GET /api/v1/analysis and
// `perfwatch report`. The public header of analysis/ (with status_class.h
// for the per-tick status, and report.h for the period report).
//
// Analyze is a pure function of the source's data; thread-safe when the
// source is. The source must outlive the call.

#include <cstdint>
#include <string>
#include <vector>

#include "analysis/bottlenecks.h"
#include "analysis/status_class.h"
#include "analysis/status_options.h"
#include "analysis/trends.h"
#include "model/sample.h"
#include "model/status.h"
#include "query/query.h"

namespace perfwatch {

struct AnalysisOptions {
  StatusOptions status;
  BottleneckOptions bottlenecks;  // window: 5 min by default
  TrendOptions trends;            // window: 2 h by default
};

struct AnalysisReport {
  // From the newest sample of each status metric within the lookback
  // (5 min). Its poor_streak is 0: Analyze keeps no state; a caller with a
  // live StatusClassifier may put that report here instead.
  StatusReport status;
  std::vector<Bottleneck> bottlenecks;  // critical first
  std::vector<Trend> trends;            // soonest crossing first
  int64_t window_ms = 0;                // the bottleneck window
  int64_t trend_window_ms = 0;
  TimestampMs generated_at = 0;  // the `now` it was computed for
  // What could not be judged and why (a store's point limit), for the user.
  std::vector<std::string> notes;
};

// Fails when the source fails or a trend target's selector is malformed.
Result<AnalysisReport> Analyze(const SeriesSource& source, TimestampMs now,
                               const AnalysisOptions& options);

// {"generated_at":MS,"window_ms":..,"trend_window_ms":..,
//  "status":{as StatusJson},
//  "bottlenecks":[{"kind":..,"severity":..,"summary":..,
//     "evidence":[{"expr":..,"labels":{..},"value":..,"threshold":..|null,"window_ms":..}],
//     "recommendations":[{"text":..,"priority":..,"effort":..}]}],
//  "trends":[{"metric":..,"labels":{..},"slope_per_hour":..,"r2":..,"current":..,
//     "threshold":..,"eta_seconds":..,"window_ms":..,"text":..}],
//  "notes":[..]}
std::string AnalysisJson(const AnalysisReport& report);

}  // namespace perfwatch
