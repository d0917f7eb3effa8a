#include "analysis/report.h"

#include <algorithm>
#include <cmath>

#include "analysis/format.h"
#include "analysis/json_parts.h"

namespace perfwatch {

namespace {

using analysis_format::Fixed;
using analysis_format::HumanDuration;
using analysis_format::UtcTime;
using analysis_format::WithUnit;

// Rows of cells printed with each column padded to its widest cell;
// columns listed in `right` are right-aligned (numbers).
std::string Table(const std::vector<std::vector<std::string>>& rows,
                  const std::vector<bool>& right) {
  std::vector<size_t> width;
  for (const auto& row : rows) {
    width.resize(std::max(width.size(), row.size()), 0);
    for (size_t c = 0; c < row.size(); ++c) width[c] = std::max(width[c], row[c].size());
  }
  std::string out;
  for (const auto& row : rows) {
    std::string line = " ";
    for (size_t c = 0; c < row.size(); ++c) {
      const size_t pad = width[c] - row[c].size();
      const bool is_right = c < right.size() && right[c];
      line.push_back(' ');
      if (is_right) line.append(pad, ' ');
      line.append(row[c]);
      if (!is_right) line.append(pad, ' ');
    }
    while (!line.empty() && line.back() == ' ') line.pop_back();
    out += line + "\n";
  }
  return out;
}

std::string StatusSection(const StatusReport& status) {
  std::string out = "STATUS  " + std::string(StatusClassName(status.status)) + " (score " +
                    std::to_string(status.score) + "/100)\n";
  for (const StatusReason& r : status.reasons) out += "  " + r.text + "\n";
  return out;
}

std::string SummarySection(const PeriodSummary& summary) {
  std::string out = "SUMMARY";
  if (summary.resolution_ms > 0) {
    out += " (from " + HumanDuration(summary.resolution_ms) + " buckets; p95 of their averages)";
  }
  out += "\n";
  if (summary.rows.empty()) return out + "  none: no data in the period\n";
  std::vector<std::vector<std::string>> rows = {{"metric", "avg", "p95", "max"}};
  for (const SummaryRow& r : summary.rows) {
    rows.push_back(
        {r.title, WithUnit(r.avg, r.unit), WithUnit(r.p95, r.unit), WithUnit(r.max, r.unit)});
  }
  return out + Table(rows, {false, true, true, true});
}

std::string EvidenceLine(const Evidence& e) {
  std::string line = "      " + e.expr;
  if (!e.labels.empty()) line += " " + e.labels.ToString();
  line += " = " + Fixed(e.value, std::fabs(e.value) >= 100 ? 0 : 2);
  if (!std::isnan(e.threshold))
    line += " (threshold " + analysis_format::Shortest(e.threshold) + ")";
  return line + "\n";
}

std::string BottleneckSection(const AnalysisReport& analysis) {
  std::string out = "BOTTLENECKS (last " + HumanDuration(analysis.window_ms) + ")\n";
  if (analysis.bottlenecks.empty()) return out + "  none found\n";
  for (const Bottleneck& b : analysis.bottlenecks) {
    out += "  [" + b.severity + "] " + b.kind + ": " + b.summary + "\n";
    out += "    evidence:\n";
    for (const Evidence& e : b.evidence) out += EvidenceLine(e);
    out += "    recommendations:\n";
    std::vector<std::vector<std::string>> rows;
    for (const Recommendation& r : b.recommendations) {
      rows.push_back({"   ", r.priority + " priority,", r.effort + " effort:", r.text});
    }
    out += Table(rows, {});
  }
  return out;
}

std::string TrendSection(const AnalysisReport& analysis) {
  std::string out = "TRENDS (last " + HumanDuration(analysis.trend_window_ms) + ")\n";
  if (analysis.trends.empty()) return out + "  none toward a limit\n";
  for (const Trend& t : analysis.trends) out += "  " + t.text + "\n";
  return out;
}

std::string AlertSection(const std::vector<ReportAlert>& alerts) {
  std::string out = "ALERTS (" + std::to_string(alerts.size()) + ")\n";
  if (alerts.empty()) return out + "  none\n";
  std::vector<std::vector<std::string>> rows = {
      {"started (UTC)", "duration", "severity", "state", "name", "value", "summary"}};
  for (const ReportAlert& a : alerts) {
    rows.push_back({UtcTime(a.started_ms),
                    a.ended_ms > 0 ? HumanDuration(a.ended_ms - a.started_ms) : "active",
                    a.severity, a.state, a.name, analysis_format::Shortest(a.value), a.summary});
  }
  return out + Table(rows, {false, true, false, false, false, true, false});
}

// "Response time avg" for the row titled "Response time avg (api)".
std::string FigureTitle(const SummaryRow& row) {
  const std::string suffix = " (" + row.app + ")";
  if (row.title.ends_with(suffix)) return row.title.substr(0, row.title.size() - suffix.size());
  return row.title;
}

std::string ApplicationSection(const PeriodSummary& summary) {
  const std::vector<ApplicationFigures> apps = ApplicationsOf(summary);
  std::string out = "APPLICATIONS (" + std::to_string(apps.size()) + ")\n";
  if (apps.empty()) return out + "  none: no application metrics in the period\n";
  std::vector<std::vector<std::string>> rows = {{"app", "figure", "avg", "p95", "max"}};
  for (const ApplicationFigures& app : apps) {
    for (const SummaryRow* r : app.rows) {
      rows.push_back({app.app, FigureTitle(*r), WithUnit(r->avg, r->unit),
                      WithUnit(r->p95, r->unit), WithUnit(r->max, r->unit)});
    }
  }
  return out + Table(rows, {false, false, true, true, true});
}

std::string ComponentSection(const PeriodSummary& summary) {
  std::string out = "COMPONENTS (" + std::to_string(summary.components.size()) + ")\n";
  if (summary.components.empty()) return out + "  none: no component timings in the period\n";
  std::vector<std::vector<std::string>> rows = {
      {"app", "component", "count", "mean", "p95", "max", "share"}};
  for (const ComponentSummary& c : summary.components) {
    rows.push_back({c.app.empty() ? "-" : c.app, c.name, Fixed(c.count, 0),
                    WithUnit(c.mean_ms, "ms"), WithUnit(c.p95_ms, "ms"), WithUnit(c.max_ms, "ms"),
                    WithUnit(c.share_percent, "%")});
  }
  return out + Table(rows, {false, false, true, true, true, true, true});
}

// A tunable's value: "on"/"off" for a switch, else the shortest number.
std::string TuningValue(const ReportTuning& t, const std::optional<double>& v) {
  if (!v) return "-";
  if (t.boolean && (*v == 0 || *v == 1)) return *v != 0 ? "on" : "off";
  return analysis_format::Shortest(*v);
}

// Strings from applications may hold line breaks; a table row must not.
std::string OneLine(std::string s) {
  for (char& c : s) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = ' ';
  }
  return s;
}

// "1000 -> 700", "off -> on"; "-" for hooks, exec and webhooks.
std::string TuningChange(const ReportTuning& t) {
  if (!t.before && !t.after) return "-";
  return TuningValue(t, t.before) + " -> " + TuningValue(t, t.after);
}

std::string TuningTarget(const ReportTuning& t) {
  if (t.app.empty()) return t.tunable.empty() ? "-" : t.tunable;
  return t.tunable.empty() ? t.app : t.app + "/" + t.tunable;
}

// "91.2 -> 80.1" over `metric`; "-" before an evaluation.
std::string TuningEffect(const ReportTuning& t) {
  if (!t.metric_before && !t.metric_after) return "-";
  auto number = [](const std::optional<double>& v) {
    return v ? Fixed(*v, std::fabs(*v) >= 100 ? 0 : 2) : std::string("?");
  };
  return t.metric + " " + number(t.metric_before) + " -> " + number(t.metric_after);
}

// The action with its markers: "scale 0.7 shop/cache.size [emergency]";
// a rollback says which decision it undid.
std::string TuningAction(const ReportTuning& t) {
  std::string out = t.description.empty() ? t.action : t.description;
  const std::string undid = "rollback of #" + std::to_string(t.rollback_of);
  if (t.rollback_of != 0 && out.find(undid) == std::string::npos) out += " [" + undid + "]";
  if (t.emergency) out += " [emergency]";
  return out;
}

// The reason, and after it the error when there is one.
std::string TuningWhy(const ReportTuning& t) {
  if (t.error.empty()) return t.reason;
  return t.reason.empty() ? "error: " + t.error : t.reason + "; error: " + t.error;
}

std::string TuningCount(const ReportData& report) {
  std::string n = std::to_string(report.tuning.size() + report.tuning_more);
  return report.tuning_more_exact ? n : n + "+";
}

std::string TuningSection(const ReportData& report) {
  std::string out = "AUTO-TUNING (" + TuningCount(report) + ")\n";
  const bool off = report.tuning_mode == ReportTuningMode::kOff;
  if (report.tuning.empty()) return out + (off ? "  none: auto-tuning is off\n" : "  none\n");
  if (off) out += "  auto-tuning is off now\n";
  if (report.tuning_mode == ReportTuningMode::kDryRun) {
    out += "  dry run: decisions are logged, nothing is changed\n";
  }
  std::vector<std::vector<std::string>> rows = {{"time (UTC)", "#", "rule", "action", "target",
                                                 "before -> after", "outcome", "verdict",
                                                 "metric before -> after", "reason"}};
  for (const ReportTuning& t : report.tuning) {
    rows.push_back({UtcTime(t.t_ms), "#" + std::to_string(t.id), OneLine(t.rule),
                    OneLine(TuningAction(t)), OneLine(TuningTarget(t)), TuningChange(t),
                    OneLine(t.outcome), OneLine(t.verdict), OneLine(TuningEffect(t)),
                    OneLine(TuningWhy(t))});
  }
  out += Table(rows, {false, true});
  if (report.tuning_more > 0) {
    out += "  ... and " + std::to_string(report.tuning_more) +
           (report.tuning_more_exact ? "" : "+") +
           " older decisions not shown (GET /api/v1/tuning/history)\n";
  }
  return out;
}

nlohmann::json SummaryRowsJson(const PeriodSummary& summary) {
  using analysis_format::LabelsJson;
  using analysis_format::NumberJson;
  nlohmann::json rows = nlohmann::json::array();
  for (const SummaryRow& r : summary.rows) {
    nlohmann::json chart = nlohmann::json::array();
    for (const Sample& s : r.chart) chart.push_back({s.t_ms, NumberJson(s.value)});
    rows.push_back({{"title", r.title},
                    {"metric", r.metric},
                    {"labels", LabelsJson(r.labels)},
                    {"unit", r.unit},
                    {"avg", NumberJson(r.avg)},
                    {"p95", NumberJson(r.p95)},
                    {"max", NumberJson(r.max)},
                    {"points", r.points},
                    {"key", r.key},
                    {"app", r.app.empty() ? nlohmann::json() : nlohmann::json(r.app)},
                    {"chart", std::move(chart)}});
  }
  return rows;
}

nlohmann::json AlertsJson(const std::vector<ReportAlert>& alerts) {
  using analysis_format::NumberJson;
  nlohmann::json rows = nlohmann::json::array();
  for (const ReportAlert& a : alerts) {
    rows.push_back({{"name", a.name},
                    {"severity", a.severity},
                    {"state", a.state},
                    {"started", a.started_ms},
                    {"ended", a.ended_ms > 0 ? nlohmann::json(a.ended_ms) : nlohmann::json()},
                    {"value", NumberJson(a.value)},
                    {"summary", a.summary}});
  }
  return rows;
}

nlohmann::json ApplicationsJson(const PeriodSummary& summary) {
  using analysis_format::NumberJson;
  nlohmann::json apps = nlohmann::json::array();
  for (const ApplicationFigures& app : ApplicationsOf(summary)) {
    nlohmann::json figures = nlohmann::json::object();
    for (const SummaryRow* r : app.rows) {
      figures[r->key] = {{"title", r->title},
                         {"unit", r->unit},
                         {"avg", NumberJson(r->avg)},
                         {"p95", NumberJson(r->p95)},
                         {"max", NumberJson(r->max)}};
    }
    apps.push_back({{"app", app.app}, {"figures", std::move(figures)}});
  }
  return apps;
}

nlohmann::json ComponentsJson(const PeriodSummary& summary) {
  using analysis_format::NumberJson;
  nlohmann::json rows = nlohmann::json::array();
  for (const ComponentSummary& c : summary.components) {
    rows.push_back({{"app", c.app},
                    {"name", c.name},
                    // Whole unless StatsD sample rates scaled the counts.
                    {"count", c.count == std::floor(c.count) && std::fabs(c.count) < 1e15
                                  ? nlohmann::json(static_cast<int64_t>(c.count))
                                  : NumberJson(c.count)},
                    {"total_ms", NumberJson(c.total_ms)},
                    {"mean_ms", NumberJson(c.mean_ms)},
                    {"p95_ms", NumberJson(c.p95_ms)},
                    {"max_ms", NumberJson(c.max_ms)},
                    {"share_percent", NumberJson(c.share_percent)}});
  }
  return rows;
}

nlohmann::json OptionalJson(const std::optional<double>& v) {
  return v ? analysis_format::NumberJson(*v) : nlohmann::json();
}

nlohmann::json TuningJson(const std::vector<ReportTuning>& tuning) {
  nlohmann::json rows = nlohmann::json::array();
  for (const ReportTuning& t : tuning) {
    rows.push_back(
        {{"id", t.id},
         {"time", t.t_ms},
         {"rule", t.rule},
         {"action", t.action},
         {"description", t.description},
         {"app", t.app},
         {"tunable", t.tunable},
         {"before", OptionalJson(t.before)},
         {"after", OptionalJson(t.after)},
         {"boolean", t.boolean},
         {"outcome", t.outcome},
         {"verdict", t.verdict},
         {"metric", t.metric},
         {"metric_before", OptionalJson(t.metric_before)},
         {"metric_after", OptionalJson(t.metric_after)},
         {"emergency", t.emergency},
         {"rollback_of", t.rollback_of != 0 ? nlohmann::json(t.rollback_of) : nlohmann::json()},
         {"reason", t.reason},
         {"error", t.error}});
  }
  return rows;
}

nlohmann::json TuningModeJson(ReportTuningMode mode) {
  switch (mode) {
    case ReportTuningMode::kOn:
      return "on";
    case ReportTuningMode::kDryRun:
      return "dry_run";
    case ReportTuningMode::kOff:
      return "off";
    case ReportTuningMode::kUnknown:
      break;
  }
  return nullptr;
}

}  // namespace

std::string RenderReportText(const ReportData& report) {
  const PeriodSummary& summary = report.summary;
  const AnalysisReport& analysis = report.analysis;
  std::string out = "perfwatch report: " + UtcTime(summary.from_ms) + " to " +
                    UtcTime(summary.to_ms) + " UTC (" +
                    HumanDuration(summary.to_ms - summary.from_ms) + ")\n";
  if (!report.host.empty()) out += "host: " + report.host + "\n";
  out += "\n";
  out += StatusSection(analysis.status) + "\n";
  out += SummarySection(summary) + "\n";
  out += BottleneckSection(analysis) + "\n";
  out += TrendSection(analysis) + "\n";
  out += AlertSection(report.alerts) + "\n";
  out += ApplicationSection(summary) + "\n";
  out += ComponentSection(summary) + "\n";
  out += TuningSection(report);
  if (!analysis.notes.empty()) {
    out += "\nNOTES\n";
    for (const std::string& note : analysis.notes) out += "  " + note + "\n";
  }
  return out;
}

std::string RenderReportJson(const ReportData& report) {
  const PeriodSummary& summary = report.summary;
  nlohmann::json j = {
      {"host", report.host},
      {"from", summary.from_ms},
      {"to", summary.to_ms},
      {"analysis", analysis_json::Analysis(report.analysis)},
      {"summary", {{"resolution_ms", summary.resolution_ms}, {"rows", SummaryRowsJson(summary)}}},
      {"alerts", AlertsJson(report.alerts)},
      {"applications", ApplicationsJson(summary)},
      {"components", ComponentsJson(summary)},
      {"tuning", TuningJson(report.tuning)},
      {"tuning_more", report.tuning_more},
      {"tuning_more_exact", report.tuning_more_exact},
      {"tuning_mode", TuningModeJson(report.tuning_mode)}};
  // Names come from applications and may hold invalid UTF-8: replace it
  // rather than fail the whole report.
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

Result<std::string> RenderReport(const ReportData& report, std::string_view format) {
  if (format == "text") return RenderReportText(report);
  if (format == "json") return RenderReportJson(report);
  if (format == "html") return RenderReportHtml(report);
  return Status::InvalidArgument("report format: expected text, json or html, got \"" +
                                 std::string(format) + "\"");
}

}  // namespace perfwatch
