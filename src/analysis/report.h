#pragma once
// The period report of `perfwatch report --format text|json`: status,
// summary of the period, bottlenecks, trends and the period's alerts.
// Pure functions; thread-safe. Colour is the caller's concern: the text
// holds none.

#include <string>
#include <vector>

#include "analysis/analysis.h"
#include "analysis/summary.h"
#include "model/sample.h"

namespace perfwatch {

// One alert of the period, as the alert history holds it.
struct ReportAlert {
  std::string name;      // the rule's name (alertname)
  std::string severity;  // warning, critical, ...
  std::string state;     // firing, resolved, ...
  TimestampMs started_ms = 0;
  TimestampMs ended_ms = 0;  // 0 while still active
  double value = 0;
  std::string summary;
};

// Sections, in order: the title line with the period, STATUS, SUMMARY,
// BOTTLENECKS, TRENDS, ALERTS; each says "none" when empty. Columns are
// aligned with spaces; times are UTC.
std::string RenderReportText(const AnalysisReport& analysis, const PeriodSummary& summary,
                             const std::vector<ReportAlert>& alerts);

// {"from":MS,"to":MS,"analysis":{as AnalysisJson},
//  "summary":{"resolution_ms":..,"rows":[{"title":..,"metric":..,"labels":{..},
//     "unit":..,"avg":..,"p95":..,"max":..,"points":..}]},
//  "alerts":[{"name":..,"severity":..,"state":..,"started":MS,"ended":MS|null,
//     "value":..,"summary":..}]}
std::string RenderReportJson(const AnalysisReport& analysis, const PeriodSummary& summary,
                             const std::vector<ReportAlert>& alerts);

}  // namespace perfwatch
