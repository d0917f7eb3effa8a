#pragma once
// The period report of `perfwatch report --format text|json|html` and
// GET /api/v1/report: status, summary of the period with its charts,
// alerts, bottlenecks, recommendations, trends, applications, components and
// the auto-tuning decisions.
// Pure functions; thread-safe. The text holds no colour; the HTML is one
// self-contained file (inline style and SVG, no script, no external
// reference) that opens offline; docs/REPORTS.md shows each format.

#include <cstddef>
#include <cstdint>
#include <optional>
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

// One decision of the closed tuning loop, as its audit row holds it
// (tune/tuning_db.h TuningRecord; copied so analysis/ needs no tune/).
// Every field has a default, so designated initialisers may name a few.
struct ReportTuning {
  int64_t id = 0;  // the audit row, "#12" in rollback descriptions
  TimestampMs t_ms = 0;
  std::string rule{};
  std::string action{};            // scale, set, toggle, exec, webhook, hook, rollback
  std::string description{};       // "scale 0.7 shop/cache.size", "rollback of #12"
  std::string app{};               // "" for exec and webhook
  std::string tunable{};           // the knob, or the hook's name; "" for exec and webhook
  std::optional<double> before{};  // the knob's value before
  std::optional<double> after{};   // the value asked for
  bool boolean = false;            // an on/off knob: before/after are 0 (off) or 1 (on)
  // pending, applied, rejected, failed, dry_run, skipped
  std::string outcome{};
  // pending, improved, unchanged, worse, rolled_back, n/a, interrupted
  std::string verdict{};
  std::string metric{};  // the series compared, "" when none
  std::optional<double> metric_before{};
  std::optional<double> metric_after{};
  bool emergency = false;   // taken in the emergency mode
  int64_t rollback_of = 0;  // for a rollback: the decision it undid
  std::string reason{};     // why the rule fired
  std::string error{};      // why it was rejected, failed or skipped
};

// Whether the tuning loop runs now, where the report's source can tell.
enum class ReportTuningMode { kUnknown, kOn, kDryRun, kOff };

// Reports list at most this many tuning decisions, the newest.
inline constexpr size_t kReportTuningRows = 200;

// Everything a report shows.
struct ReportData {
  std::string host;  // the monitored host's name
  AnalysisReport analysis;
  PeriodSummary summary;
  std::vector<ReportAlert> alerts;
  // `{}` (and the defaults below) let callers brace-initialise the fields
  // above alone without -Wmissing-field-initializers.
  std::vector<ReportTuning> tuning{};  // newest first, at most kReportTuningRows
  size_t tuning_more = 0;              // older decisions of the period left out
  bool tuning_more_exact = true;       // false: at least tuning_more
  ReportTuningMode tuning_mode = ReportTuningMode::kUnknown;
};

// Sections, in order: the title line with the period and the host, STATUS,
// SUMMARY, BOTTLENECKS, TRENDS, ALERTS, APPLICATIONS, COMPONENTS, AUTO-TUNING
// (and NOTES when the analysis has some); each says "none" when empty.
// Columns are aligned with spaces; times are UTC.
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
//     "max_ms":..,"share_percent":..}],
//  "tuning":[{"id":..,"time":MS,"rule":..,"action":..,"description":..,"app":..,
//     "tunable":..,"before":..|null,"after":..|null,"boolean":bool,"outcome":..,
//     "verdict":..,"metric":..,"metric_before":..|null,"metric_after":..|null,
//     "emergency":bool,"rollback_of":ID|null,"reason":..,"error":..}],
//  "tuning_more":N,"tuning_more_exact":bool,
//  "tuning_mode":"on"|"dry_run"|"off"|null}
// Numbers that are not finite are null.
std::string RenderReportJson(const ReportData& report);

// One HTML5 document; sections with ids summary, alerts, bottlenecks,
// recommendations, trends, applications, components, tuning (each says
// "none" when empty); a chart per summary row as <svg class="chart">. Every string
// from the data is escaped by HtmlEscape.
std::string RenderReportHtml(const ReportData& report);

// "text", "json" or "html"; InvalidArgument naming the format otherwise.
Result<std::string> RenderReport(const ReportData& report, std::string_view format);

}  // namespace perfwatch
