// RenderReportHtml: the period report as one self-contained HTML file for
// people (report.h). Everything a reader sees is static: the style sheet is
// inline (report_style.cpp), charts are inline SVG, there is no script, and
// nothing is fetched, so the file opens offline days later and survives a
// strict CSP. Every string from the data goes through html::Escape.

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "analysis/format.h"
#include "analysis/report.h"
#include "analysis/report_style.h"
#include "analysis/svg_chart.h"
#include "model/html.h"

namespace perfwatch {

namespace {

using analysis_format::Fixed;
using analysis_format::HumanDuration;
using analysis_format::IsoTime;
using analysis_format::UtcTime;
using analysis_format::WithUnit;
using html::Escape;

std::string Time(TimestampMs ms) {
  return "<time datetime=\"" + IsoTime(ms) + "\">" + UtcTime(ms) + "</time>";
}

// "<p class="none">none</p>" with an explanation, for an empty section.
std::string None(std::string_view why) {
  return "<p class=\"none\"><strong>none</strong> — " + Escape(why) + "</p>";
}

// A value without a unit for people: "99.88", "5.789", "20", "123457".
std::string Compact(double v) {
  if (!std::isfinite(v)) return "—";
  if (std::fabs(v) >= 10'000) return Fixed(v, 0);
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.4g", v);
  return buf;
}

// "1 alert", "3 alerts".
std::string Count(size_t n, std::string_view noun) {
  return std::to_string(n) + " " + std::string(noun) + (n == 1 ? "" : "s");
}

std::string Section(std::string_view id, std::string_view heading, std::string_view lead,
                    const std::string& body) {
  std::string out = "<section id=\"" + std::string(id) + "\"><h2>" + Escape(heading) + "</h2>";
  if (!lead.empty()) out += "<p class=\"lead\">" + Escape(lead) + "</p>";
  return out + body + "</section>\n";
}

std::string Chip(std::string_view kind, std::string_view text) {
  std::string cls;
  for (char c : kind) cls += std::isalnum(static_cast<unsigned char>(c)) ? c : '-';
  return "<span class=\"chip chip-" + cls + "\">" + Escape(text) + "</span>";
}

std::string LabelsText(const Labels& labels) {
  std::string out;
  for (const Label& l : labels) out += (out.empty() ? "" : ", ") + l.name + "=" + l.value;
  return out;
}

std::string StatusBlock(const StatusReport& status) {
  const std::string name(StatusClassName(status.status));
  std::string lower;
  for (char c : name) lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  std::string out = "<div class=\"status\"><span class=\"badge status-" + lower +
                    "\" data-class=\"" + name + "\">" + name + "</span><span class=\"score\">" +
                    "score <strong>" + std::to_string(status.score) + "</strong>/100</span>";
  if (!status.reasons.empty()) {
    out += "<ul class=\"reasons\">";
    for (const StatusReason& r : status.reasons) out += "<li>" + Escape(r.text) + "</li>";
    out += "</ul>";
  }
  return out + "</div>";
}

// "3 tuning decisions"; "10000+ tuning decisions" when the count is a floor.
std::string TuningCount(const ReportData& report) {
  const size_t n = report.tuning.size() + report.tuning_more;
  if (report.tuning_more_exact) return Count(n, "tuning decision");
  return std::to_string(n) + "+ tuning decisions";
}

std::string Header(const ReportData& report) {
  const PeriodSummary& s = report.summary;
  const std::string host = report.host.empty() ? "this host" : report.host;
  size_t firing = 0;
  for (const ReportAlert& a : report.alerts) firing += a.state == "firing" ? 1 : 0;
  std::string facts = Count(report.alerts.size(), "alert") + " (" + std::to_string(firing) +
                      " firing) · " + Count(report.analysis.bottlenecks.size(), "bottleneck") +
                      " · " + Count(ApplicationsOf(s).size(), "application") + " · " +
                      Count(s.components.size(), "component") + " · " + TuningCount(report);
  std::string out = "<header class=\"page-head\"><div class=\"head-main\">";
  out += "<p class=\"brand\">perfwatch report</p><h1>" + Escape(host) + "</h1>";
  out += "<p class=\"period\">" + Time(s.from_ms) + " to " + Time(s.to_ms) + " UTC <span>(" +
         HumanDuration(s.to_ms - s.from_ms) + ")</span></p>";
  out += "<p class=\"facts\">" + Escape(facts) + "</p></div>";
  out += StatusBlock(report.analysis.status) + "</header>\n";
  return out;
}

std::string Toc() {
  static constexpr std::pair<std::string_view, std::string_view> kLinks[] = {
      {"summary", "Summary"},         {"alerts", "Alerts"},
      {"bottlenecks", "Bottlenecks"}, {"recommendations", "Recommendations"},
      {"trends", "Trends"},           {"applications", "Applications"},
      {"components", "Components"},   {"tuning", "Auto-tuning"}};
  std::string out = "<nav class=\"toc\" aria-label=\"Sections\">";
  for (const auto& [id, name] : kLinks) {
    out += "<a href=\"#" + std::string(id) + "\">" + std::string(name) + "</a>";
  }
  return out + "</nav>\n";
}

std::string PointName(const PeriodSummary& s) {
  if (s.resolution_ms == 0) return "sample";
  return HumanDuration(s.resolution_ms) + " average";
}

// A card: the figure's title, avg / p95 / max, and its chart.
std::string Card(const PeriodSummary& s, const SummaryRow& row, std::string_view title) {
  ChartSpec chart;
  chart.title = std::string(title) + ": avg " + WithUnit(row.avg, row.unit) + ", p95 " +
                WithUnit(row.p95, row.unit) + ", max " + WithUnit(row.max, row.unit);
  chart.unit = row.unit;
  chart.points = row.chart;
  chart.from_ms = s.from_ms;
  chart.to_ms = s.to_ms;
  chart.p95 = row.p95;
  chart.point_name = PointName(s);
  std::string out = "<article class=\"card\" data-key=\"" + Escape(row.key) + "\"><h3>" +
                    Escape(title) + "</h3><dl class=\"figs\">";
  out += "<div class=\"fig-avg\"><dt>avg</dt><dd>" + Escape(WithUnit(row.avg, row.unit)) +
         "</dd></div>";
  out += "<div><dt>p95</dt><dd>" + Escape(WithUnit(row.p95, row.unit)) + "</dd></div>";
  out += "<div><dt>max</dt><dd>" + Escape(WithUnit(row.max, row.unit)) + "</dd></div></dl>";
  return out + RenderSvgChart(chart) + "</article>";
}

std::string FigureTitle(const SummaryRow& row) {
  const std::string suffix = " (" + row.app + ")";
  if (row.title.ends_with(suffix)) return row.title.substr(0, row.title.size() - suffix.size());
  return row.title;
}

// `per_app`: the rows of one app, titled without the app's name.
std::string FiguresTable(const std::vector<const SummaryRow*>& rows, bool per_app) {
  std::string out = "<div class=\"table-wrap\"><table class=\"figures\"><thead><tr><th>" +
                    std::string(per_app ? "figure" : "metric") +
                    "</th><th class=\"num\">avg</th><th class=\"num\">p95</th>"
                    "<th class=\"num\">max</th></tr></thead><tbody>";
  for (const SummaryRow* r : rows) {
    out += "<tr><td>" + Escape(per_app ? FigureTitle(*r) : r->title) + "</td><td class=\"num\">" +
           Escape(WithUnit(r->avg, r->unit)) + "</td><td class=\"num\">" +
           Escape(WithUnit(r->p95, r->unit)) + "</td><td class=\"num\">" +
           Escape(WithUnit(r->max, r->unit)) + "</td></tr>";
  }
  return out + "</tbody></table></div>";
}

std::string SummarySection(const PeriodSummary& s) {
  if (s.rows.empty()) return Section("summary", "Summary", "", None("no data in the period"));
  std::string lead = "Average, 95th percentile and maximum over the period";
  lead += s.resolution_ms > 0
              ? " (charts and p95 from " + HumanDuration(s.resolution_ms) + " averages; max exact)."
              : " (from every sample).";
  std::vector<const SummaryRow*> all;
  std::string cards = "<div class=\"cards\">";
  std::string flat;  // host rows that were zero throughout: a chart would say nothing
  for (const SummaryRow& r : s.rows) {
    all.push_back(&r);
    if (!r.app.empty() || r.metric.rfind("app_", 0) == 0) continue;
    if (r.max == 0 && r.avg == 0) {
      flat += (flat.empty() ? "" : ", ") + r.title;
    } else {
      cards += Card(s, r, r.title);
    }
  }
  cards += "</div>";
  if (!flat.empty())
    cards += "<p class=\"flat\">Zero throughout the period: " + Escape(flat) + ".</p>";
  return Section("summary", "Summary", lead, cards + FiguresTable(all, false));
}

std::string AlertsSection(const std::vector<ReportAlert>& alerts) {
  if (alerts.empty()) return Section("alerts", "Alerts", "", None("no alert fired in the period"));
  std::string t =
      "<div class=\"table-wrap\"><table><thead><tr><th>name</th><th>severity</th><th>state</th>"
      "<th>start (UTC)</th><th>end (UTC)</th><th class=\"num\">duration</th>"
      "<th class=\"num\">value</th><th>summary</th></tr></thead><tbody>";
  for (const ReportAlert& a : alerts) {
    t += "<tr><td class=\"name\">" + Escape(a.name) + "</td><td>" + Chip(a.severity, a.severity) +
         "</td><td>" + Chip(a.state, a.state) + "</td><td>" + Time(a.started_ms) + "</td><td>" +
         (a.ended_ms > 0 ? Time(a.ended_ms) : "—") + "</td><td class=\"num\">" +
         (a.ended_ms > 0 ? HumanDuration(a.ended_ms - a.started_ms) : "active") +
         "</td><td class=\"num\">" + Compact(a.value) + "</td><td>" + Escape(a.summary) +
         "</td></tr>";
  }
  return Section("alerts", "Alerts", "Every alert that was firing at some time in the period.",
                 t + "</tbody></table></div>");
}

std::string EvidenceTable(const std::vector<Evidence>& evidence) {
  std::string out =
      "<div class=\"table-wrap\"><table class=\"evidence\"><thead><tr><th>evidence</th>"
      "<th>series</th><th class=\"num\">value</th><th class=\"num\">threshold</th></tr></thead>"
      "<tbody>";
  for (const Evidence& e : evidence) {
    out += "<tr><td><code>" + Escape(e.expr) + "</code></td><td>" + Escape(LabelsText(e.labels)) +
           "</td><td class=\"num\">" + Fixed(e.value, std::fabs(e.value) >= 100 ? 0 : 2) +
           "</td><td class=\"num\">" +
           (std::isnan(e.threshold) ? "—" : Escape(analysis_format::Shortest(e.threshold))) +
           "</td></tr>";
  }
  return out + "</tbody></table></div>";
}

std::string BottlenecksSection(const AnalysisReport& a) {
  const std::string lead = "Found in the last " + HumanDuration(a.window_ms) + " before " +
                           UtcTime(a.generated_at) + " UTC.";
  if (a.bottlenecks.empty()) return Section("bottlenecks", "Bottlenecks", lead, None("none found"));
  std::string out;
  for (const Bottleneck& b : a.bottlenecks) {
    out += "<article class=\"finding\"><h3>" + Chip(b.severity, b.severity) + " " + Escape(b.kind) +
           "</h3><p>" + Escape(b.summary) + "</p>" + EvidenceTable(b.evidence) + "</article>";
  }
  return Section("bottlenecks", "Bottlenecks", lead, out);
}

std::string RecommendationsSection(const AnalysisReport& a) {
  std::string items;
  for (const Bottleneck& b : a.bottlenecks) {
    for (const Recommendation& r : b.recommendations) {
      items += "<li><p>" + Escape(r.text) + "</p><p class=\"rec-meta\">" +
               Chip(r.priority, r.priority + " priority") + Chip("effort", r.effort + " effort") +
               "<span class=\"for\">for " + Escape(b.kind) + "</span></p></li>";
    }
  }
  if (items.empty()) {
    return Section("recommendations", "Recommendations", "",
                   None("nothing to change: no bottleneck was found"));
  }
  return Section("recommendations", "Recommendations", "",
                 "<ol class=\"recommendations\">" + items + "</ol>");
}

std::string TrendsSection(const AnalysisReport& a) {
  const std::string lead = "Straight lines fitted over the last " +
                           HumanDuration(a.trend_window_ms) +
                           ", for series heading toward a limit.";
  if (a.trends.empty()) return Section("trends", "Trends", lead, None("none toward a limit"));
  std::string t =
      "<div class=\"table-wrap\"><table><thead><tr><th>series</th><th class=\"num\">now</th>"
      "<th class=\"num\">per hour</th><th class=\"num\">limit in</th><th>reading</th></tr>"
      "</thead><tbody>";
  for (const Trend& tr : a.trends) {
    const std::string eta = tr.eta_seconds ? HumanDuration(*tr.eta_seconds * 1000) : "—";
    t += "<tr><td>" + Escape(tr.metric) + " <span class=\"labels\">" +
         Escape(LabelsText(tr.labels)) + "</span></td><td class=\"num\">" + Fixed(tr.current, 1) +
         "</td><td class=\"num\">" + (tr.slope_per_hour >= 0 ? "+" : "") +
         Fixed(tr.slope_per_hour, 2) + "</td><td class=\"num\">" + eta + "</td><td>" +
         Escape(tr.text) + "</td></tr>";
  }
  return Section("trends", "Trends", lead, t + "</tbody></table></div>");
}

std::string ApplicationsSection(const PeriodSummary& s) {
  const std::vector<ApplicationFigures> apps = ApplicationsOf(s);
  if (apps.empty()) {
    return Section("applications", "Applications", "",
                   None("no application metrics in the period (send them by StatsD, "
                        "POST /api/v1/push or OTLP: docs/METRICS.md)"));
  }
  std::string out;
  for (const ApplicationFigures& app : apps) {
    out += "<article class=\"app\" data-app=\"" + Escape(app.app) + "\"><h3>" +
           Escape(app.app.empty() ? "(no app label)" : app.app) + "</h3>";
    std::string cards = "<div class=\"cards\">";
    for (const SummaryRow* r : app.rows) cards += Card(s, *r, FigureTitle(*r));
    out += FiguresTable(app.rows, true) + cards + "</div></article>";
  }
  return Section("applications", "Applications",
                 "Response time, requests, errors, cache and throughput per application.", out);
}

std::string ShareBar(double percent) {
  const double p = std::isfinite(percent) ? std::clamp(percent, 0.0, 100.0) : 0;
  return "<svg class=\"share\" viewBox=\"0 0 100 8\" preserveAspectRatio=\"none\" "
         "aria-hidden=\"true\"><rect class=\"share-bg\" width=\"100\" height=\"8\"/>"
         "<rect class=\"share-fg\" width=\"" +
         Fixed(p, 1) + "\" height=\"8\"/></svg>";
}

std::string ComponentsSection(const PeriodSummary& s) {
  if (s.components.empty()) {
    return Section("components", "Components", "",
                   None("no component timings in the period (the timer component.duration "
                        "with a component tag: docs/METRICS.md)"));
  }
  std::string t =
      "<div class=\"table-wrap\"><table class=\"components\"><thead><tr><th>app</th>"
      "<th>component</th><th class=\"num\">count</th><th class=\"num\">mean</th>"
      "<th class=\"num\">p95</th><th class=\"num\">max</th><th>share of time</th></tr></thead>"
      "<tbody>";
  for (const ComponentSummary& c : s.components) {
    t += "<tr><td>" + Escape(c.app.empty() ? "—" : c.app) + "</td><td class=\"component-name\">" +
         Escape(c.name) + "</td><td class=\"num\">" + Fixed(c.count, 0) +
         "</td><td class=\"num\">" + Escape(WithUnit(c.mean_ms, "ms")) + "</td><td class=\"num\">" +
         Escape(WithUnit(c.p95_ms, "ms")) + "</td><td class=\"num\">" +
         Escape(WithUnit(c.max_ms, "ms")) + "</td><td class=\"share-cell\">" +
         ShareBar(c.share_percent) + "<span>" + Escape(WithUnit(c.share_percent, "%")) +
         "</span></td></tr>";
  }
  return Section("components", "Components",
                 "Timed parts of each application over the period; share is of the app's timed "
                 "total.",
                 t + "</tbody></table></div>");
}

// A tunable's value: "on"/"off" for a switch, else the number.
std::string TuningValue(const ReportTuning& t, const std::optional<double>& v) {
  if (!v) return "—";
  if (t.boolean && (*v == 0 || *v == 1)) return *v != 0 ? "on" : "off";
  return Escape(analysis_format::Shortest(*v));
}

// The chip colour of an outcome or verdict, from the style sheet's
// palette: good news green, doubt amber, trouble red, the rest neutral.
std::string_view Tone(std::string_view word) {
  if (word == "applied" || word == "improved") return "resolved";
  if (word == "worse" || word == "rolled_back" || word == "skipped" || word == "interrupted") {
    return "warning";
  }
  if (word == "failed" || word == "rejected") return "critical";
  return "info";
}

// "1000 → 700", "off → on"; "—" for hooks, exec and webhooks.
std::string TuningChange(const ReportTuning& t) {
  if (!t.before && !t.after) return "—";
  return TuningValue(t, t.before) + " → " + TuningValue(t, t.after);
}

std::string TuningTarget(const ReportTuning& t) {
  if (t.app.empty() && t.tunable.empty()) return "—";
  if (t.app.empty() || t.tunable.empty()) return Escape(t.app + t.tunable);
  return Escape(t.app) + "/<strong>" + Escape(t.tunable) + "</strong>";
}

std::string TuningAction(const ReportTuning& t) {
  std::string out = "<code>" + Escape(t.description.empty() ? t.action : t.description) + "</code>";
  const std::string undid = "rollback of #" + std::to_string(t.rollback_of);
  if (t.rollback_of != 0) out += " " + Chip("rollback", undid);
  if (t.emergency) out += " " + Chip("critical", "emergency");
  return out;
}

// The verdict, and the metric it compared: "improved" over
// "mem 91.2 → 80.1".
std::string TuningVerdict(const ReportTuning& t) {
  std::string out = Chip(Tone(t.verdict), t.verdict);
  if (!t.metric_before && !t.metric_after) return out;
  auto number = [](const std::optional<double>& v) { return v ? Compact(*v) : std::string("?"); };
  return out + "<div class=\"labels\"><code>" + Escape(t.metric) + "</code> " +
         number(t.metric_before) + " → " + number(t.metric_after) + "</div>";
}

std::string TuningWhy(const ReportTuning& t) {
  std::string out = Escape(t.reason);
  if (!t.error.empty()) {
    out += std::string(t.reason.empty() ? "" : "<br>") +
           "<span class=\"labels\">error: " + Escape(t.error) + "</span>";
  }
  return out;
}

std::string TuningLead(const ReportData& r) {
  std::string lead = "Decisions of the closed tuning loop in the period, newest first";
  if (r.tuning_more > 0) {
    lead += " (the " + std::to_string(r.tuning.size()) + " newest; " +
            std::to_string(r.tuning_more) + (r.tuning_more_exact ? "" : "+") +
            " older ones in GET /api/v1/tuning/history)";
  }
  lead += ".";
  if (r.tuning_mode == ReportTuningMode::kOff) lead += " Auto-tuning is off now.";
  if (r.tuning_mode == ReportTuningMode::kDryRun) {
    lead += " Dry run: decisions are logged, nothing is changed.";
  }
  return lead;
}

std::string TuningSection(const ReportData& r) {
  if (r.tuning.empty()) {
    return Section("tuning", "Auto-tuning", "",
                   None(r.tuning_mode == ReportTuningMode::kOff
                            ? "auto-tuning is off (--no-auto-tuning or AUTO_TUNING_ENABLED=false)"
                            : "no tuning decision in the period"));
  }
  std::string t =
      "<div class=\"table-wrap\"><table class=\"tuning\"><thead><tr><th>time (UTC)</th>"
      "<th class=\"num\">#</th><th>rule</th><th>action</th><th>target</th>"
      "<th class=\"num\">before → after</th><th>outcome</th><th>verdict</th><th>reason</th>"
      "</tr></thead><tbody>";
  for (const ReportTuning& d : r.tuning) {
    t += "<tr><td>" + Time(d.t_ms) + "</td><td class=\"num\">#" + std::to_string(d.id) +
         "</td><td class=\"name\">" + Escape(d.rule) + "</td><td>" + TuningAction(d) + "</td><td>" +
         TuningTarget(d) + "</td><td class=\"num\">" + TuningChange(d) + "</td><td>" +
         Chip(Tone(d.outcome), d.outcome) + "</td><td>" + TuningVerdict(d) + "</td><td>" +
         TuningWhy(d) + "</td></tr>";
  }
  return Section("tuning", "Auto-tuning", TuningLead(r), t + "</tbody></table></div>");
}

std::string NotesSection(const AnalysisReport& a) {
  if (a.notes.empty()) return "";
  std::string items;
  for (const std::string& n : a.notes) items += "<li>" + Escape(n) + "</li>";
  return Section("notes", "Notes", "", "<ul>" + items + "</ul>");
}

}  // namespace

std::string RenderReportHtml(const ReportData& report) {
  const PeriodSummary& s = report.summary;
  const std::string host = report.host.empty() ? "this host" : report.host;
  std::string out =
      "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
      "<meta name=\"color-scheme\" content=\"light dark\">"
      "<meta name=\"generator\" content=\"perfwatch " PERFWATCH_VERSION "\">";
  out += "<title>perfwatch report: " + Escape(host) + ", " + IsoTime(s.from_ms) + " to " +
         IsoTime(s.to_ms) + "</title>\n<style>" + ReportStyle() + "</style></head>\n<body>\n";
  out += Header(report) + Toc() + "<main>\n";
  out += SummarySection(s) + AlertsSection(report.alerts) + BottlenecksSection(report.analysis) +
         RecommendationsSection(report.analysis) + TrendsSection(report.analysis) +
         ApplicationsSection(s) + ComponentsSection(s) + TuningSection(report) +
         NotesSection(report.analysis);
  out += "</main>\n<footer>Written by perfwatch " PERFWATCH_VERSION " at " +
         Time(report.analysis.generated_at) +
         " UTC. One self-contained file: it needs no network and no script to open.</footer>\n"
         "</body></html>\n";
  return out;
}

}  // namespace perfwatch
