// The HTML report: its one escaping function, its SVG charts, and the
// document's sections, with hostile names wherever the data can carry them.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <regex>

#include "analysis/report.h"
#include "analysis/svg_chart.h"
#include "model/html.h"
#include "synthetic_host.h"

namespace perfwatch {
namespace {

using ::testing::HasSubstr;

constexpr TimestampMs kStart = SyntheticHost::kStart;
constexpr TimestampMs kEnd = kStart + 2 * 3600 * 1000;
const std::string kHostile = "<script>alert(\"x&y\")</script>";
const std::string kEscaped = "&lt;script&gt;alert(&quot;x&amp;y&quot;)&lt;/script&gt;";

// Like HasSubstr, but a failure shows only what was missing, not the page.
::testing::AssertionResult Has(const std::string& text, const std::string& what) {
  if (text.find(what) != std::string::npos) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << "missing: " << what;
}
::testing::AssertionResult Lacks(const std::string& text, const std::string& what) {
  const size_t at = text.find(what);
  if (at == std::string::npos) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << "found: " << text.substr(at > 60 ? at - 60 : 0, 160);
}

size_t Count(const std::string& text, const std::string& what) {
  size_t n = 0;
  for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

TEST(HtmlEscape, EscapesMarkupQuotesAndAmpersands) {
  EXPECT_EQ(html::Escape(kHostile), kEscaped);
  EXPECT_EQ(html::Escape("it's <b>"), "it&#39;s &lt;b&gt;");
  EXPECT_EQ(html::Escape("&amp;"), "&amp;amp;");
  EXPECT_EQ(html::Escape(""), "");
}

TEST(HtmlEscape, KeepsValidUtf8AndReplacesInvalidBytes) {
  EXPECT_EQ(html::Escape("Zürich 東京 😀"), "Zürich 東京 😀");
  const std::string fffd = "\xEF\xBF\xBD";
  EXPECT_EQ(html::Escape("a\xFF"
                         "b"),
            "a" + fffd + "b");
  EXPECT_EQ(html::Escape("\xC0\xAF"), fffd + fffd);                        // overlong '/'
  EXPECT_EQ(html::Escape("\xED\xA0\x80"), fffd + fffd + fffd);             // a surrogate
  EXPECT_EQ(html::Escape("\xF4\x90\x80\x80"), fffd + fffd + fffd + fffd);  // past U+10FFFF
  EXPECT_EQ(html::Escape("cut \xE2\x82"), "cut " + fffd + fffd);
  EXPECT_EQ(html::Escape("\xE2\x82<"), fffd + fffd + "&lt;");  // never swallows markup
  EXPECT_EQ(html::Escape("tab\there\x01"), "tab\there" + fffd);
}

std::vector<Sample> Ramp(size_t n, TimestampMs from, int64_t step) {
  std::vector<Sample> points;
  for (size_t i = 0; i < n; ++i) points.push_back({from + static_cast<int64_t>(i) * step, i * 1.0});
  return points;
}

// The `d` of the chart's line path.
std::string LinePath(const std::string& svg) {
  std::smatch m;
  const std::regex line("<path class=\"line\" d=\"([^\"]*)\"");
  return std::regex_search(svg, m, line) ? m[1].str() : "";
}

TEST(SvgChart, DrawsOnePathCommandPerPoint) {
  ChartSpec spec;
  spec.title = "CPU total";
  spec.unit = "%";
  spec.points = Ramp(50, kStart, 60'000);
  spec.from_ms = kStart;
  spec.to_ms = kStart + 50 * 60'000;
  spec.p95 = 46.3;
  const std::string svg = RenderSvgChart(spec);
  EXPECT_TRUE(svg.starts_with("<svg class=\"chart\"")) << svg.substr(0, 80);
  const std::string d = LinePath(svg);
  EXPECT_EQ(Count(d, "M"), 1u);
  EXPECT_EQ(Count(d, "M") + Count(d, "L"), 50u);
  EXPECT_TRUE(Has(svg, "stroke-dasharray"));  // the p95
  EXPECT_TRUE(Has(svg, "<title>p95 46.3%</title>"));
  EXPECT_TRUE(Has(svg, ">49.0%</text>"));       // the highest point's label
  EXPECT_TRUE(Has(svg, ">0.0%</text>"));        // and the lowest's
  EXPECT_GE(Count(svg, "class=\"hit\""), 25u);  // hover bands with tooltips
  EXPECT_TRUE(Has(svg, ">20%</text>"));         // a round y tick
}

TEST(SvgChart, BreaksTheLineWhereDataIsMissing) {
  ChartSpec spec;
  spec.points = Ramp(20, kStart, 1000);
  std::vector<Sample> later = Ramp(20, kStart + 600'000, 1000);
  spec.points.insert(spec.points.end(), later.begin(), later.end());
  spec.from_ms = kStart;
  spec.to_ms = kStart + 700'000;
  const std::string d = LinePath(RenderSvgChart(spec));
  EXPECT_EQ(Count(d, "M"), 2u);
  EXPECT_EQ(Count(d, "L"), 38u);
}

TEST(SvgChart, EscapesItsTitleAndSaysNoDataWhenEmpty) {
  ChartSpec spec;
  spec.title = kHostile;
  spec.from_ms = kStart;
  spec.to_ms = kEnd;
  const std::string svg = RenderSvgChart(spec);
  EXPECT_TRUE(Has(svg, kEscaped));
  EXPECT_TRUE(Lacks(svg, "<script"));
  EXPECT_TRUE(Has(svg, "no data"));
}

// A troubled host with an application, components and alerts whose names
// are hostile.
class HtmlReportTest : public ::testing::Test {
 protected:
  void SetUp() override {
    FillTroubledHost(host_);
    AddHostileSeries();
    Result<AnalysisReport> analysis = Analyze(host_.source, kEnd, {});
    ASSERT_TRUE(analysis.ok());
    Result<PeriodSummary> summary = Summarize(host_.store, host_.registry, kStart, kEnd);
    ASSERT_TRUE(summary.ok()) << summary.status().ToString();
    report_ = {kHostile,
               *analysis,
               *summary,
               {{kHostile, "critical", "firing", kEnd - 300'000, 0, 97, kHostile},
                {"HighCpu", "warning", "resolved", kStart + 60'000, kStart + 1'860'000, 85.5,
                 "CPU at 85.5%"}}};
  }

  void AddHostileSeries() {
    double count = 0;
    for (TimestampMs t = kStart; t <= kEnd; t += 10'000) {
      count += 5;
      Tick tick(host_.registry, t);
      const Labels app{{"app", kHostile}};
      const Labels component{{"app", kHostile}, {"component", "<img src=x onerror=alert(1)>"}};
      ASSERT_TRUE(tick.Append("app_requests_per_second", app, 12).ok());
      ASSERT_TRUE(
          tick.Append("system_disk_used_percent", Labels{{"mountpoint", kHostile}}, 50).ok());
      ASSERT_TRUE(tick.Append("component_duration_milliseconds_count", component, count).ok());
      ASSERT_TRUE(tick.Append("component_duration_milliseconds_sum", component, count * 8).ok());
      ASSERT_TRUE(host_.store.Commit(tick).ok());
    }
  }

  SyntheticHost host_;
  ReportData report_;
};

TEST_F(HtmlReportTest, HasEverySectionOnceInOrder) {
  const std::string html = RenderReportHtml(report_);
  EXPECT_TRUE(html.starts_with("<!doctype html>"));
  size_t previous = 0;
  for (const char* id : {"summary", "alerts", "bottlenecks", "recommendations", "trends",
                         "applications", "components", "tuning"}) {
    const std::string tag = std::string("<section id=\"") + id + "\">";
    EXPECT_EQ(Count(html, tag), 1u) << id;
    const size_t at = html.find(tag);
    EXPECT_GT(at, previous) << id;
    previous = at;
  }
  EXPECT_TRUE(Has(html, "data-class=\"Critical\""));
  EXPECT_TRUE(Has(html, "memory_pressure"));
  EXPECT_TRUE(Has(html, "/ full in about 8 h"));
  EXPECT_TRUE(Has(html, "<time datetime=\"2023-11-14T22:13:20Z\">"));
  EXPECT_TRUE(Has(html, "30 min"));  // the resolved alert's duration
}

TEST_F(HtmlReportTest, DrawsAChartPerHostRowAndApplicationFigure) {
  const std::string html = RenderReportHtml(report_);
  size_t flat = 0;  // host rows at zero throughout get no chart, only a mention
  for (const SummaryRow& r : report_.summary.rows) flat += r.app.empty() && r.max == 0 ? 1 : 0;
  EXPECT_GE(flat, 1u);  // swap at least
  EXPECT_EQ(Count(html, "<svg class=\"chart\""), report_.summary.rows.size() - flat);
  EXPECT_TRUE(Has(html, "Zero throughout the period: Swap used"));
  EXPECT_EQ(Count(html, "data-key=\"cpu\""), 1u);
  EXPECT_EQ(Count(html, "data-key=\"pressure\""), 2u);  // cpu and io; memory stayed at 0
  EXPECT_EQ(Count(html, "data-key=\"response_time_avg_ms\""), 1u);
}

TEST_F(HtmlReportTest, EscapesEveryHostileName) {
  const std::string html = RenderReportHtml(report_);
  EXPECT_TRUE(Lacks(html, "<script"));
  EXPECT_TRUE(Lacks(html, "<img"));
  EXPECT_TRUE(Has(html, "<h1>" + kEscaped + "</h1>"));                 // host
  EXPECT_TRUE(Has(html, "<td class=\"name\">" + kEscaped + "</td>"));  // alert
  EXPECT_TRUE(Has(html, "<h3>" + kEscaped + "</h3>"));                 // app
  EXPECT_TRUE(Has(html, "Disk used " + kEscaped));                     // a label value
  EXPECT_TRUE(Has(html, "&lt;img src=x onerror=alert(1)&gt;"));        // component
}

TEST_F(HtmlReportTest, IsSelfContained) {
  const std::string html = RenderReportHtml(report_);
  EXPECT_TRUE(Lacks(html, "http://"));
  EXPECT_TRUE(Lacks(html, "https://"));
  EXPECT_TRUE(Lacks(html, " src=\""));
  EXPECT_TRUE(Lacks(html, "@import"));
  EXPECT_TRUE(Lacks(html, "url("));
  EXPECT_FALSE(std::regex_search(html, std::regex("href=\"[^#]")));  // in-page links only
  EXPECT_EQ(Count(html, "<style>"), 1u);
  EXPECT_TRUE(Has(html, "prefers-color-scheme:dark"));
  EXPECT_TRUE(Has(html, "@media print"));
}

TEST_F(HtmlReportTest, ComponentsShowCountMeanAndShare) {
  const std::string html = RenderReportHtml(report_);
  const size_t at = html.find("<section id=\"components\">");
  ASSERT_NE(at, std::string::npos);
  const std::string section = html.substr(at, html.find("</section>", at) - at);
  EXPECT_TRUE(Has(section, ">8.0 ms<"));  // mean: sum / count
  EXPECT_TRUE(Has(section, ">100.0%<"));  // the app's only component
  EXPECT_TRUE(Has(section, ">3605<"));    // 721 ticks of 5, the first counted from zero
}

TEST_F(HtmlReportTest, EmptySectionsSayNone) {
  ReportData empty{"web1", AnalysisReport{}, PeriodSummary{kStart, kEnd, 0, {}, {}}, {}};
  const std::string html = RenderReportHtml(empty);
  for (const char* id : {"summary", "alerts", "bottlenecks", "recommendations", "trends",
                         "applications", "components", "tuning"}) {
    const size_t at = html.find(std::string("<section id=\"") + id + "\">");
    ASSERT_NE(at, std::string::npos) << id;
    const std::string section = html.substr(at, html.find("</section>", at) - at);
    EXPECT_TRUE(Has(section, "<strong>none</strong>")) << id;
  }
  EXPECT_EQ(Count(html, "<svg class=\"chart\""), 0u);
}

// The <section> with `id`, up to its end.
std::string SectionOf(const std::string& html, const std::string& id) {
  const size_t at = html.find("<section id=\"" + id + "\">");
  if (at == std::string::npos) return "";
  return html.substr(at, html.find("</section>", at) - at);
}

TEST_F(HtmlReportTest, TuningShowsEachDecisionWithItsEffect) {
  report_.tuning = {ReportTuning{.id = 9,
                                 .t_ms = kStart + 1'000'000,
                                 .rule = "EnableAsync",
                                 .action = "rollback",
                                 .description = "rollback of #8",
                                 .app = "shop",
                                 .tunable = "async.enabled",
                                 .before = 1,
                                 .after = 0,
                                 .boolean = true,
                                 .outcome = "applied",
                                 .verdict = "n/a",
                                 .emergency = true,
                                 .rollback_of = 8},
                    ReportTuning{.id = 7,
                                 .t_ms = kStart + 600'000,
                                 .rule = "ShrinkCacheOnMemoryPressure",
                                 .action = "scale",
                                 .description = "scale 0.7 shop/cache.size",
                                 .app = "shop",
                                 .tunable = "cache.size",
                                 .before = 1000,
                                 .after = 700,
                                 .outcome = "applied",
                                 .verdict = "improved",
                                 .metric = "system_memory_used_percent{}",
                                 .metric_before = 91.25,
                                 .metric_after = 80.5,
                                 .reason = "system_memory_used_percent = 91.2 > 85 for 10s"}};
  report_.tuning_more = 12;
  const std::string html = RenderReportHtml(report_);
  EXPECT_TRUE(Has(html, "<a href=\"#tuning\">Auto-tuning</a>"));
  EXPECT_TRUE(Has(html, "14 tuning decisions"));  // the header's facts
  const std::string section = SectionOf(html, "tuning");
  ASSERT_FALSE(section.empty());
  EXPECT_TRUE(Has(section, "the 2 newest; 12 older ones"));
  EXPECT_EQ(Count(section, "<tr>"), 3u);                // the head and two decisions
  EXPECT_LT(section.find("#9<"), section.find("#7<"));  // newest first
  EXPECT_TRUE(Has(section, "<time datetime=\"2023-11-14T22:23:20Z\">2023-11-14 22:23:20</time>"));
  EXPECT_TRUE(Has(section, "<td class=\"name\">ShrinkCacheOnMemoryPressure</td>"));
  EXPECT_TRUE(Has(section, "<code>scale 0.7 shop/cache.size</code>"));
  EXPECT_TRUE(Has(section, "shop/<strong>cache.size</strong>"));
  EXPECT_TRUE(Has(section, ">1000 → 700<"));
  EXPECT_TRUE(Has(section, ">on → off<"));  // a switch
  EXPECT_TRUE(Has(section, "chip-resolved\">improved<"));
  EXPECT_TRUE(Has(section, "<code>system_memory_used_percent{}</code> 91.25 → 80.5"));
  EXPECT_TRUE(Has(section, "system_memory_used_percent = 91.2 &gt; 85 for 10s"));
  EXPECT_TRUE(Has(section, ">rollback of #8</span>"));
  EXPECT_TRUE(Has(section, ">emergency</span>"));
}

TEST_F(HtmlReportTest, TuningEscapesHostileStrings) {
  report_.tuning = {ReportTuning{.id = 3,
                                 .t_ms = kStart,
                                 .rule = kHostile,
                                 .action = "set",
                                 .description = kHostile,
                                 .app = kHostile,
                                 .tunable = kHostile,
                                 .before = 1,
                                 .after = 2,
                                 .outcome = "rejected",
                                 .verdict = kHostile,
                                 .metric = kHostile,
                                 .metric_before = 1,
                                 .metric_after = 2,
                                 .reason = kHostile,
                                 .error = kHostile}};
  const std::string html = RenderReportHtml(report_);
  EXPECT_TRUE(Lacks(html, "<script"));
  const std::string section = SectionOf(html, "tuning");
  EXPECT_TRUE(Has(section, "<td class=\"name\">" + kEscaped + "</td>"));  // rule
  EXPECT_TRUE(Has(section, "<code>" + kEscaped + "</code>"));             // action, metric
  EXPECT_TRUE(Has(section, kEscaped + "/<strong>" + kEscaped + "</strong>"));
  EXPECT_TRUE(Has(section, "error: " + kEscaped));
  EXPECT_TRUE(Has(section, "chip-critical\">rejected<"));
  EXPECT_GE(Count(section, kEscaped),
            7u);  // rule, action, app, knob, verdict, metric, reason, error
}

TEST_F(HtmlReportTest, TuningSaysNoneAndWhetherItIsOff) {
  std::string section = SectionOf(RenderReportHtml(report_), "tuning");
  EXPECT_TRUE(Has(section, "<strong>none</strong> — no tuning decision in the period"));
  report_.tuning_mode = ReportTuningMode::kOff;
  section = SectionOf(RenderReportHtml(report_), "tuning");
  EXPECT_TRUE(Has(section, "<strong>none</strong> — auto-tuning is off"));
}

TEST_F(HtmlReportTest, RenderReportPicksTheFormat) {
  ASSERT_TRUE(RenderReport(report_, "html").ok());
  EXPECT_TRUE(RenderReport(report_, "html")->starts_with("<!doctype html>"));
  EXPECT_TRUE(RenderReport(report_, "json")->starts_with("{"));
  EXPECT_TRUE(RenderReport(report_, "text")->starts_with("perfwatch report:"));
  Result<std::string> bad = RenderReport(report_, "pdf");
  ASSERT_FALSE(bad.ok());
  EXPECT_THAT(bad.status().message(), HasSubstr("\"pdf\""));
}

}  // namespace
}  // namespace perfwatch
