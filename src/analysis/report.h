#pragma once
// The period report of `perfwatch report --format text|json|html` and
// GET /api/v1/report: status, summary of the period with its charts,
// alerts, bottlenecks, recommendations, trends, applications and components.
// Pure functions; thread-safe. The text holds no colour; the HTML is one
// self-contained file (inline style and SVG, no script, no external
// reference) that opens offline; docs/REPORTS.md shows each format.

#include <string>
#include <string_view>
#include <vector>

#include "analysis/analysis.h"
#include "analysis/summary.h"
#include "model/sample.h"
#include "model/status.h"

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

// Everything a report shows.
struct ReportData {
  std::string host;  // the monitored host's name
  AnalysisReport analysis;
  PeriodSummary summary;
  std::vector<ReportAlert> alerts;
};

// Sections, in order: the title line with the period and the host, STATUS,
// SUMMARY, BOTTLENECKS, TRENDS, ALERTS, APPLICATIONS, COMPONENTS (and NOTES
// when the analysis has some); each says "none" when empty. Columns are
// aligned with spaces; times are UTC.
std::string RenderReportText(const ReportData& report);

// {"host":..,"from":MS,"to":MS,"analysis":{as AnalysisJson},
//  "summary":{"resolution_ms":..,"rows":[{"title":..,"metric":..,"labels":{..},
//     "unit":..,"avg":..,"p95":..,"max":..,"points":N,"key":..,"app":..|null,
//     "chart":[[MS,value],..]}]},
//  "alerts":[{"name":..,"severity":..,"state":..,"started":MS,"ended":MS|null,
//     "value":..,"summary":..}],
//  "applications":[{"app":..,"figures":{KEY:{"title":..,"unit":..,"avg":..,"p95":..,
//     "max":..}}}],
//  "components":[{"app":..,"name":..,"count":..,"total_ms":..,"mean_ms":..,"p95_ms":..,
//     "max_ms":..,"share_percent":..}]}
// Numbers that are not finite are null.
std::string RenderReportJson(const ReportData& report);

// One HTML5 document; sections with ids summary, alerts, bottlenecks,
// recommendations, trends, applications, components (each says "none" when
// empty); a chart per summary row as <svg class="chart">. Every string
// from the data is escaped by HtmlEscape.
std::string RenderReportHtml(const ReportData& report);

// "text", "json" or "html"; InvalidArgument naming the format otherwise.
Result<std::string> RenderReport(const ReportData& report, std::string_view format);

}  // namespace perfwatch
