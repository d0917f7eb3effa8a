#include "analysis/report.h"

#include <algorithm>
#include <cmath>
#include <ctime>

#include "analysis/format.h"
#include "analysis/json_parts.h"

namespace perfwatch {

namespace {

using analysis_format::Fixed;
using analysis_format::HumanDuration;

std::string UtcTime(TimestampMs ms) {
  const std::time_t secs = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S", &tm);
  return buf;
}

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

std::string WithUnit(double v, const std::string& unit) {
  if (std::isnan(v)) return "-";
  if (unit == "B/s") return analysis_format::HumanRate(v);
  if (unit.empty()) return Fixed(v, std::fabs(v) >= 1000 ? 0 : 2);
  const std::string number = Fixed(v, std::fabs(v) >= 100 && unit != "%" ? 0 : 1);
  return unit == "ms" ? number + " ms" : number + unit;
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

}  // namespace

std::string RenderReportText(const AnalysisReport& analysis, const PeriodSummary& summary,
                             const std::vector<ReportAlert>& alerts) {
  std::string out = "perfwatch report: " + UtcTime(summary.from_ms) + " to " +
                    UtcTime(summary.to_ms) + " UTC (" +
                    HumanDuration(summary.to_ms - summary.from_ms) + ")\n\n";
  out += StatusSection(analysis.status) + "\n";
  out += SummarySection(summary) + "\n";
  out += BottleneckSection(analysis) + "\n";
  out += TrendSection(analysis) + "\n";
  out += AlertSection(alerts);
  if (!analysis.notes.empty()) {
    out += "\nNOTES\n";
    for (const std::string& note : analysis.notes) out += "  " + note + "\n";
  }
  return out;
}

std::string RenderReportJson(const AnalysisReport& analysis, const PeriodSummary& summary,
                             const std::vector<ReportAlert>& alerts) {
  using analysis_format::LabelsJson;
  using analysis_format::NumberJson;
  nlohmann::json rows = nlohmann::json::array();
  for (const SummaryRow& r : summary.rows) {
    rows.push_back({{"title", r.title},
                    {"metric", r.metric},
                    {"labels", LabelsJson(r.labels)},
                    {"unit", r.unit},
                    {"avg", NumberJson(r.avg)},
                    {"p95", NumberJson(r.p95)},
                    {"max", NumberJson(r.max)},
                    {"points", r.points}});
  }
  nlohmann::json alert_rows = nlohmann::json::array();
  for (const ReportAlert& a : alerts) {
    alert_rows.push_back({{"name", a.name},
                          {"severity", a.severity},
                          {"state", a.state},
                          {"started", a.started_ms},
                          {"ended", a.ended_ms > 0 ? nlohmann::json(a.ended_ms) : nlohmann::json()},
                          {"value", NumberJson(a.value)},
                          {"summary", a.summary}});
  }
  nlohmann::json j = {
      {"from", summary.from_ms},
      {"to", summary.to_ms},
      {"analysis", analysis_json::Analysis(analysis)},
      {"summary", {{"resolution_ms", summary.resolution_ms}, {"rows", std::move(rows)}}},
      {"alerts", std::move(alert_rows)}};
  return j.dump();
}

}  // namespace perfwatch
