// BenchToHtml: one self-contained page (inline CSS and SVG, no scripts, no
// external resources), light and dark by prefers-color-scheme, printable.

#include <cmath>
#include <string_view>

#include "bench/bench_charts.h"
#include "bench/bench_text.h"
#include "bench/export.h"

namespace perfwatch {

namespace {

using bench_text::Escape;
using bench_text::Fixed;
using bench_text::HumanBytes;
using bench_text::HumanSeconds;

// The analysis report's palette and type (analysis/report_style.cpp), so
// the two pages look like one product; colours are variables so that dark
// mode and print only swap values.
constexpr std::string_view kStyle = R"css(
:root{--bg:#f5f6f8;--card:#fff;--fg:#1c2330;--muted:#5f6878;--border:#e2e5ea;--accent:#2563eb;
--grid:#eef0f3;--axis:#c3c8d0;--code:#f1f3f6;--warn:#b45309;--warn-bg:#fef3c7;--crit:#b91c1c;
--crit-bg:#fee2e2;--ok:#15803d;
--c0:#2563eb;--c1:#c2410c;--c2:#15803d;--c3:#7c3aed;--c4:#be185d;--c5:#0e7490;--c6:#a16207;
--c7:#475569;color-scheme:light dark}
@media (prefers-color-scheme:dark){:root{--bg:#0e1116;--card:#161b22;--fg:#e6e9ef;
--muted:#9aa4b2;--border:#2a313c;--accent:#6ea8fe;--grid:#222934;--axis:#46505e;--code:#1f2630;
--warn:#fbbf24;--warn-bg:#3a2a0a;--crit:#fca5a5;--crit-bg:#3b1214;--ok:#86efac;
--c0:#6ea8fe;--c1:#fb923c;--c2:#4ade80;--c3:#c4b5fd;--c4:#f9a8d4;--c5:#67e8f9;--c6:#fde047;
--c7:#cbd5e1}}
*{box-sizing:border-box}
body{margin:0;background:var(--bg);color:var(--fg);font:15px/1.5 system-ui,-apple-system,
"Segoe UI",Roboto,"Helvetica Neue",Arial,"Noto Sans",sans-serif;font-variant-numeric:tabular-nums}
.page-head,main,footer{max-width:1200px;margin:0 auto;padding:0 24px}
.page-head{padding-top:28px;padding-bottom:8px}
.brand{margin:0;color:var(--muted);font-size:13px;letter-spacing:.08em;text-transform:uppercase;
font-weight:600}
h1{margin:2px 0 4px;font-size:28px;line-height:1.2}
.facts{margin:6px 0 0;font-size:14px;color:var(--muted)}
section{margin:22px 0 0;padding:20px 22px;background:var(--card);border:1px solid var(--border);
border-radius:14px}
h2{margin:0 0 4px;font-size:20px}
h3{margin:14px 0 6px;font-size:15px}
.lead{margin:0 0 14px;color:var(--muted);font-size:14px}
.banner{margin:22px 0 0;padding:12px 18px;border-radius:10px;background:var(--warn-bg);
color:var(--warn);font-weight:600}
.table-wrap{overflow-x:auto;margin:4px 0 8px}
table{border-collapse:collapse;width:100%;font-size:14px}
th,td{text-align:left;padding:7px 10px;border-bottom:1px solid var(--border);vertical-align:top}
th{font-size:12px;color:var(--muted);text-transform:uppercase;letter-spacing:.04em;
font-weight:600;white-space:nowrap}
.nocase{text-transform:none}
td.num,th.num{text-align:right;white-space:nowrap}
tr.error td{color:var(--crit);background:var(--crit-bg);font-size:13px}
.fastest{color:var(--ok);font-weight:700}
td.cmd{min-width:24ch}td.cmd code{word-break:normal;overflow-wrap:anywhere}
code{font:13px/1.4 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;background:var(--code);
padding:1px 5px;border-radius:4px;word-break:break-all}
.cards{display:grid;grid-template-columns:repeat(auto-fill,minmax(420px,1fr));gap:14px}
figure{margin:0;border:1px solid var(--border);border-radius:10px;padding:10px 12px;
break-inside:avoid;min-width:0}
figcaption{font-weight:600;font-size:14px;margin-bottom:4px}
.legend{list-style:none;margin:8px 0 0;padding:0;display:flex;flex-wrap:wrap;gap:4px 16px;
font-size:13px}
.legend li{overflow-wrap:anywhere}
.swatch{display:inline-block;width:12px;height:12px;border-radius:3px;margin-right:6px;
vertical-align:-1px;background:currentColor}
footer{color:var(--muted);font-size:13px;padding-top:20px;padding-bottom:32px}
.chart{display:block;width:100%;height:auto;overflow:visible}
.chart text{font-family:inherit}
.chart .grid{stroke:var(--grid);stroke-width:1}
.chart .axis-line,.chart .tick{stroke:var(--axis);stroke-width:1}
.chart .axis,.chart .axis-title{fill:var(--muted);font-size:10.5px}
.chart .label{fill:var(--fg);font-size:12px;font-family:ui-monospace,SFMono-Regular,Menlo,
Consolas,monospace}
.chart .value{fill:var(--muted);font-size:11px}.chart .value.inside{fill:#fff}
.chart .whisker{stroke:var(--fg);stroke-width:1.3}
.chart .mean{stroke:var(--fg);stroke-width:2}
.chart .dot{opacity:.75}.chart .fail{fill:var(--crit)}
.chart .line{fill:none;stroke-width:1.8;stroke-linejoin:round}
.s0{--c:var(--c0)}.s1{--c:var(--c1)}.s2{--c:var(--c2)}.s3{--c:var(--c3)}
.s4{--c:var(--c4)}.s5{--c:var(--c5)}.s6{--c:var(--c6)}.s7{--c:var(--c7)}
.chart .bar,.chart .dot,.chart .point{fill:var(--c)}.chart .line{stroke:var(--c)}
.legend li{color:var(--c)}.legend li span.name{color:var(--fg)}
@media (max-width:600px){.page-head,main,footer{padding-left:12px;padding-right:12px}
section{padding:14px 12px}.cards{grid-template-columns:1fr}}
@media print{:root{--bg:#fff;--card:#fff;--fg:#000;--muted:#444;--border:#ccc;--grid:#e5e5e5;
color-scheme:light}
body{font-size:10pt}section{border:0;padding:0;margin:16pt 0 0}
h2{break-after:avoid}figure,tr{break-inside:avoid}.table-wrap{overflow:visible}
.cards{grid-template-columns:repeat(2,1fr)}
.chart,.swatch,tr.error td{-webkit-print-color-adjust:exact;print-color-adjust:exact}}
@page{margin:14mm}
)css";

bool Counted(const Relative& rel) { return rel.ratio > 0; }

std::string Cell(const std::string& text, bool num = true) {
  return std::string(num ? "<td class=\"num\">" : "<td>") + Escape(text) + "</td>";
}

std::string Facts(const BenchReport& report) {
  std::string facts;
  const auto add = [&](const std::string& s) {
    if (s.empty()) return;
    facts += (facts.empty() ? "" : " · ") + Escape(s);
  };
  if (!report.started_at.empty()) add("started " + report.started_at);
  if (!report.host.empty()) add("on " + report.host);
  if (!report.shell.empty()) add("shell: " + report.shell);
  if (report.shell_spawn_seconds > 0) {
    add("shell spawn time subtracted: " + HumanSeconds(report.shell_spawn_seconds));
  }
  add(std::to_string(report.warmup) + " warm-up run(s)");
  return facts;
}

std::string SummaryRow(size_t i, const CommandResult& r, const Relative& rel) {
  std::string row = "<tr><td class=\"num\">" + std::to_string(i + 1) +
                    "</td><td class=\"cmd\"><code>" + Escape(r.command) + "</code></td>";
  if (!Counted(rel)) {
    row += "<td class=\"num\" colspan=\"11\">no completed run</td>";
  } else {
    row += Cell(HumanSeconds(r.time.mean) + " ± " + HumanSeconds(r.time.stddev));
    row += Cell(HumanSeconds(r.time.median));
    row += Cell(HumanSeconds(r.time.min) + " … " + HumanSeconds(r.time.max));
    row += Cell(HumanSeconds(r.user.mean) + " / " + HumanSeconds(r.system.mean));
    row += rel.fastest ? "<td class=\"num fastest\">1.00</td>"
                       : Cell(Fixed(rel.ratio, 2) + " ± " + Fixed(rel.uncertainty, 2));
    row += Cell(r.peak_rss_bytes > 0 ? HumanBytes(r.peak_rss_bytes) : "-");
    row += Cell(Fixed(r.cpu_percent, 0) + "%");
    row += Cell(r.throughput_mb_s ? bench_text::Significant(*r.throughput_mb_s) + " MB/s" : "-");
    row += Cell(Fixed(r.success_rate * 100, 0) + "%");
    row += Cell(std::to_string(r.time.outliers));
    row += Cell(std::to_string(r.runs.size()));
  }
  row += "</tr>";
  if (!r.error.empty() || r.interrupted) {
    std::string note = r.error.empty() ? "interrupted" : r.error;
    if (!r.error.empty() && r.interrupted) note += " (interrupted)";
    row += "<tr class=\"error\"><td></td><td colspan=\"12\">" + Escape(note) + "</td></tr>";
  }
  return row;
}

std::string SummarySection(const BenchReport& report, const std::vector<Relative>& relative) {
  std::string out =
      "<section id=\"summary\"><h2>Summary</h2><p class=\"lead\">Statistics of the counted "
      "runs; relative speed is the mean over the fastest mean, with its uncertainty.</p>"
      "<div class=\"table-wrap\"><table><thead><tr><th class=\"num\">#</th><th>Command</th>"
      "<th class=\"num\">Mean ± <span class=\"nocase\">σ</span></th><th class=\"num\">Median</th>"
      "<th class=\"num\">Min … Max</th><th class=\"num\">User / System</th>"
      "<th class=\"num\">Relative</th><th class=\"num\">Peak RSS</th><th class=\"num\">CPU</th>"
      "<th class=\"num\">Throughput</th><th class=\"num\">Success</th>"
      "<th class=\"num\">Outliers</th><th class=\"num\">Runs</th></tr></thead><tbody>";
  for (size_t i = 0; i < report.results.size(); ++i) {
    out += SummaryRow(i, report.results[i], relative[i]);
  }
  return out + "</tbody></table></div></section>";
}

std::string ParameterSection(const std::vector<CommandResult>& results) {
  const std::vector<bench_charts::ParameterChart> charts = bench_charts::ParameterCharts(results);
  if (charts.empty()) return "";
  std::string out =
      "<section id=\"parameters\"><h2>By parameter</h2><p class=\"lead\">Each line is one "
      "command with the other parameters held; hover a point for its figures.</p>";
  std::string current;
  for (size_t i = 0; i < charts.size(); ++i) {
    const auto& c = charts[i];
    if (c.parameter != current) {
      if (!current.empty()) out += "</div>";
      current = c.parameter;
      out += "<h3>Against <code>{" + Escape(c.parameter) + "}</code></h3>";
      if (c.series.size() > 1) {
        out += "<ul class=\"legend\">";
        for (size_t s = 0; s < c.series.size(); ++s) {
          out += "<li class=\"s" + std::to_string(s % 8) + "\"><span class=\"swatch\"></span>" +
                 "<span class=\"name\"><code>" + Escape(c.series[s]) + "</code></span></li>";
        }
        out += "</ul>";
      }
      out += "<div class=\"cards\">";
    }
    out += "<figure><figcaption>" + Escape(c.figure) + "</figcaption>" + c.svg + "</figure>";
  }
  return out + "</div></section>";
}

}  // namespace

std::string BenchToHtml(const BenchReport& report) {
  const std::vector<Relative> relative = RelativeSpeeds(report.results);
  const size_t n = report.results.size();
  std::string out =
      "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
      "<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">"
      "<title>perfwatch bench: " +
      std::to_string(n) + " command" + (n == 1 ? "" : "s") + "</title><style>" +
      std::string(kStyle) + "</style></head><body>";
  out += "<header class=\"page-head\"><p class=\"brand\">perfwatch bench</p><h1>Benchmark of " +
         std::to_string(n) + " command" + (n == 1 ? "" : "s") + "</h1><p class=\"facts\">" +
         Facts(report) + "</p></header><main>";
  if (report.interrupted) {
    out += "<p class=\"banner\">Interrupted: the figures cover the runs that completed.</p>";
  }
  out += SummarySection(report, relative);
  const std::string bars = bench_charts::MeanBars(report.results);
  if (!bars.empty()) {
    out +=
        "<section id=\"means\"><h2>Mean time</h2><p class=\"lead\">Bars show the mean, "
        "whiskers one standard deviation either side.</p>" +
        bars + "</section>";
    out +=
        "<section id=\"runs\"><h2>Run times</h2><p class=\"lead\">Every timed run as a dot "
        "(failed runs in red), the mean as a bar.</p>" +
        bench_charts::RunStrips(report.results) + "</section>";
  }
  out += ParameterSection(report.results);
  out += "</main><footer>perfwatch " PERFWATCH_VERSION
         " · times are wall-clock, per run; peak RSS covers the whole process tree; "
         "throughput is input size over mean time (1 MB = 10<sup>6</sup> bytes).</footer>"
         "</body></html>\n";
  return out;
}

}  // namespace perfwatch
