#include "analysis/report_style.h"

#include <cctype>
#include <string_view>

#include "analysis/status_class.h"

namespace perfwatch {

namespace {

// Colours are variables so that dark mode and print only swap values.
constexpr std::string_view kBase = R"css(
:root{--bg:#f5f6f8;--card:#fff;--fg:#1c2330;--muted:#5f6878;--border:#e2e5ea;--accent:#2563eb;
--p95:#c2410c;--grid:#eef0f3;--axis:#c3c8d0;--hover:rgba(37,99,235,.09);--code:#f1f3f6;
--warn:#b45309;--warn-bg:#fef3c7;--crit:#b91c1c;--crit-bg:#fee2e2;--ok:#15803d;--ok-bg:#dcfce7;
--info-bg:#e0e7ff;--info:#3730a3;color-scheme:light dark}
@media (prefers-color-scheme:dark){:root{--bg:#0e1116;--card:#161b22;--fg:#e6e9ef;--muted:#9aa4b2;
--border:#2a313c;--accent:#6ea8fe;--p95:#fb923c;--grid:#222934;--axis:#46505e;
--hover:rgba(110,168,254,.12);--code:#1f2630;--warn:#fbbf24;--warn-bg:#3a2a0a;--crit:#fca5a5;
--crit-bg:#3b1214;--ok:#86efac;--ok-bg:#0f2d1a;--info-bg:#1e2447;--info:#c7d2fe}}
*{box-sizing:border-box}
html{-webkit-text-size-adjust:100%}
body{margin:0;background:var(--bg);color:var(--fg);font:15px/1.5 system-ui,-apple-system,
"Segoe UI",Roboto,"Helvetica Neue",Arial,"Noto Sans",sans-serif;
font-variant-numeric:tabular-nums}
.page-head,.toc,main,footer{max-width:1200px;margin:0 auto;padding:0 24px}
.page-head{display:flex;flex-wrap:wrap;gap:16px 32px;justify-content:space-between;
align-items:flex-start;padding-top:28px;padding-bottom:16px}
.brand{margin:0;color:var(--muted);font-size:13px;letter-spacing:.08em;text-transform:uppercase;
font-weight:600}
h1{margin:2px 0 4px;font-size:30px;line-height:1.2;word-break:break-word}
.period{margin:0;font-size:15px}.period span,.facts{color:var(--muted)}
.facts{margin:6px 0 0;font-size:14px}
.status{background:var(--card);border:1px solid var(--border);border-radius:12px;
padding:14px 18px;min-width:260px;max-width:440px}
.badge{display:inline-block;padding:4px 14px;border-radius:999px;font-weight:700;font-size:16px;
color:#fff;margin-right:10px}
.score{color:var(--muted)}.score strong{color:var(--fg);font-size:18px}
.reasons{margin:10px 0 0;padding-left:18px;font-size:14px}
.toc{display:flex;flex-wrap:wrap;gap:6px;padding-bottom:8px}
.toc a{color:var(--accent);text-decoration:none;font-size:14px;padding:4px 10px;
border:1px solid var(--border);border-radius:999px;background:var(--card)}
section{margin:22px 0 0;padding:20px 22px;background:var(--card);border:1px solid var(--border);
border-radius:14px}
h2{margin:0 0 4px;font-size:20px}
h3{margin:0 0 6px;font-size:15px;overflow-wrap:anywhere}
.lead{margin:0 0 14px;color:var(--muted);font-size:14px}
.none{margin:6px 0;color:var(--muted)}.none strong{color:var(--fg)}
.cards{display:grid;grid-template-columns:repeat(auto-fill,minmax(330px,1fr));gap:14px;
margin:6px 0 16px}
.card{border:1px solid var(--border);border-radius:10px;padding:12px 14px 6px;min-width:0;
break-inside:avoid}
.figs{display:flex;gap:18px;margin:0 0 4px;align-items:baseline}
.figs div{display:flex;flex-direction:column-reverse}
.figs dt{font-size:12px;color:var(--muted);text-transform:uppercase;letter-spacing:.05em}
.figs dd{margin:0;font-size:15px;font-weight:600}
.figs .fig-avg dd{font-size:22px}
.table-wrap{overflow-x:auto;margin:4px 0 8px}
table{border-collapse:collapse;width:100%;font-size:14px}
th,td{text-align:left;padding:7px 10px;border-bottom:1px solid var(--border);vertical-align:top}
th{font-size:12px;color:var(--muted);text-transform:uppercase;letter-spacing:.04em;
font-weight:600;white-space:nowrap}
td.num,th.num{text-align:right;white-space:nowrap}
tbody tr:last-child td{border-bottom:0}
td.name,.component-name{font-weight:600}
td.name{min-width:12ch;overflow-wrap:anywhere}
td time{white-space:nowrap}
.flat{margin:-4px 0 14px;color:var(--muted);font-size:14px}
code{font:13px/1.4 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;background:var(--code);
padding:1px 5px;border-radius:4px;word-break:break-all}
.labels{color:var(--muted);font-size:13px}
.chip{display:inline-block;padding:1px 9px;border-radius:999px;font-size:12px;font-weight:600;
background:var(--info-bg);color:var(--info);margin-right:6px;white-space:nowrap}
.chip-critical,.chip-firing,.chip-high{background:var(--crit-bg);color:var(--crit)}
.chip-warning,.chip-medium{background:var(--warn-bg);color:var(--warn)}
.chip-resolved,.chip-low{background:var(--ok-bg);color:var(--ok)}
.chip-effort{background:var(--code);color:var(--muted)}
.finding{border-left:3px solid var(--border);padding:4px 0 4px 14px;margin:10px 0 16px}
.finding p{margin:0 0 8px}
.recommendations{margin:0;padding-left:22px}
.recommendations li{margin:0 0 12px}.recommendations p{margin:0}
.rec-meta{margin-top:4px!important;font-size:13px}.for{color:var(--muted)}
.app{margin:8px 0 18px}.app h3{font-size:17px}
.share-cell{min-width:150px;white-space:nowrap}
.share{width:90px;height:8px;vertical-align:middle;margin-right:8px;border-radius:4px}
.share-bg{fill:var(--grid)}.share-fg{fill:var(--accent)}
footer{color:var(--muted);font-size:13px;padding-top:20px;padding-bottom:32px}
.chart{display:block;width:100%;height:auto;overflow:visible}
.chart .grid{stroke:var(--grid);stroke-width:1}
.chart .axis-line,.chart .tick{stroke:var(--axis);stroke-width:1}
.chart text{font-family:inherit}
.chart .axis{fill:var(--muted);font-size:10.5px}
.chart .line{fill:none;stroke:var(--accent);stroke-width:1.6;stroke-linejoin:round;
stroke-linecap:round}
.chart .line-dot,.chart .mark circle{fill:var(--accent)}
.chart .area{fill:var(--accent);opacity:.12}
.chart .p95 line{stroke:var(--p95);stroke-width:1.2}
.chart .p95 text{fill:var(--p95);font-size:10.5px;font-weight:600}
.chart .mark text{fill:var(--fg);font-size:10.5px;font-weight:600;paint-order:stroke;
stroke:var(--card);stroke-width:3px}
.chart .hit{fill:transparent}.chart .hit:hover{fill:var(--hover)}
@media (max-width:600px){.page-head,.toc,main,footer{padding-left:12px;padding-right:12px}
h1{font-size:24px}section{padding:14px 12px;border-radius:10px}
.cards{grid-template-columns:1fr}.status{min-width:0;width:100%}}
@media print{:root{--bg:#fff;--card:#fff;--fg:#000;--muted:#444;--border:#ccc;--grid:#e5e5e5;
--hover:transparent;color-scheme:light}
body{font-size:11pt}.toc{display:none}
section{border:0;padding:0;margin:18pt 0 0;break-inside:auto}
h2{break-after:avoid}.card,.finding,tr{break-inside:avoid}
.cards{grid-template-columns:repeat(2,1fr)}.table-wrap{overflow:visible}
.badge{-webkit-print-color-adjust:exact;print-color-adjust:exact}}
@page{margin:14mm}
)css";

}  // namespace

std::string ReportStyle() {
  std::string css(kBase);
  for (int c = 0; c <= static_cast<int>(StatusClass::kCritical); ++c) {
    const auto status = static_cast<StatusClass>(c);
    std::string name(StatusClassName(status));
    for (char& ch : name) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    // Yellow needs dark text to stay readable.
    const std::string_view text = status == StatusClass::kFair ? "#1c1c1c" : "#fff";
    css += ".status-" + name + "{background:" + std::string(StatusColorHex(status)) +
           ";color:" + std::string(text) + "}\n";
  }
  return css;
}

}  // namespace perfwatch
