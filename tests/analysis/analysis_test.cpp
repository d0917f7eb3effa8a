#include "analysis/analysis.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "analysis/report.h"
#include "synthetic_host.h"

namespace perfwatch {
namespace {

using ::testing::HasSubstr;

constexpr TimestampMs kStart = SyntheticHost::kStart;
constexpr TimestampMs kEnd = kStart + 2 * 3600 * 1000;

TEST(Analyze, BringsStatusBottlenecksAndTrendsTogether) {
  SyntheticHost host;
  FillTroubledHost(host);
  Result<AnalysisReport> report = Analyze(host.source, kEnd, {});
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_EQ(report->status.status, StatusClass::kCritical);
  ASSERT_FALSE(report->status.reasons.empty());
  EXPECT_EQ(report->status.reasons[0].text, "memory 97.0% > 95% (critical)");
  ASSERT_EQ(report->bottlenecks.size(), 1u);
  EXPECT_EQ(report->bottlenecks[0].kind, "memory_pressure");
  ASSERT_EQ(report->trends.size(), 1u);
  EXPECT_EQ(report->trends[0].labels.Get("mountpoint"), "/");
  EXPECT_EQ(report->generated_at, kEnd);
  EXPECT_EQ(report->window_ms, 5 * 60 * 1000);
}

TEST(Analyze, StatusUsesOnlyFreshSamples) {
  SyntheticHost host;
  FillTroubledHost(host);
  // An hour after the last tick nothing is fresh: no metric, so Good.
  Result<AnalysisReport> report = Analyze(host.source, kEnd + 3600 * 1000, {});
  ASSERT_TRUE(report.ok());
  EXPECT_EQ(report->status.status, StatusClass::kGood);
  EXPECT_TRUE(report->status.reasons.empty());
  EXPECT_TRUE(report->bottlenecks.empty());
}

TEST(Analyze, JsonHasEverySection) {
  SyntheticHost host;
  FillTroubledHost(host);
  Result<AnalysisReport> report = Analyze(host.source, kEnd, {});
  ASSERT_TRUE(report.ok());
  nlohmann::json j = nlohmann::json::parse(AnalysisJson(*report));
  EXPECT_EQ(j["generated_at"], kEnd);
  EXPECT_EQ(j["status"]["status"], "Critical");
  EXPECT_EQ(j["status"]["color"], "red");
  ASSERT_EQ(j["bottlenecks"].size(), 1u);
  const nlohmann::json& b = j["bottlenecks"][0];
  EXPECT_EQ(b["kind"], "memory_pressure");
  EXPECT_EQ(b["severity"], "critical");
  EXPECT_EQ(b["evidence"][0]["expr"], "avg_over_time(system_memory_used_percent[5m])");
  EXPECT_EQ(b["evidence"][0]["window_ms"], 300000);
  EXPECT_FALSE(b["recommendations"][0]["text"].get<std::string>().empty());
  EXPECT_EQ(b["recommendations"][0]["priority"], "high");
  ASSERT_EQ(j["trends"].size(), 1u);
  EXPECT_EQ(j["trends"][0]["labels"]["mountpoint"], "/");
  EXPECT_NEAR(j["trends"][0]["eta_seconds"].get<double>(), 8 * 3600, 2);
}

class ReportTest : public ::testing::Test {
 protected:
  void SetUp() override {
    FillTroubledHost(host_);
    Result<AnalysisReport> report = Analyze(host_.source, kEnd, {});
    ASSERT_TRUE(report.ok());
    analysis_ = *report;
    Result<PeriodSummary> summary = Summarize(host_.store, host_.registry, kStart, kEnd);
    ASSERT_TRUE(summary.ok());
    summary_ = *summary;
    alerts_ = {{"HighMemory", "critical", "firing", kEnd - 300'000, 0, 97, "memory at 97%"},
               {"HighCpu", "warning", "resolved", kStart + 60'000, kStart + 1'860'000, 85.5,
                "CPU at 85.5%"}};
  }
  SyntheticHost host_;
  AnalysisReport analysis_;
  PeriodSummary summary_;
  std::vector<ReportAlert> alerts_;
};

// The lines of `text` from the one starting with `heading` to the next
// blank line.
std::vector<std::string> Section(const std::string& text, const std::string& heading) {
  std::vector<std::string> lines;
  size_t at = text.find("\n" + heading);
  if (at == std::string::npos) return lines;
  size_t pos = at + 1;
  while (pos < text.size()) {
    size_t nl = text.find('\n', pos);
    std::string line = text.substr(pos, nl - pos);
    if (line.empty()) break;
    lines.push_back(line);
    pos = nl + 1;
  }
  return lines;
}

TEST_F(ReportTest, TextHasEverySectionInOrder) {
  std::string text = RenderReportText({"", analysis_, summary_, alerts_});
  size_t status = text.find("STATUS  Critical");
  size_t summary = text.find("SUMMARY");
  size_t bottlenecks = text.find("BOTTLENECKS (last 5 min)");
  size_t trends = text.find("TRENDS (last 2 h)");
  size_t alerts = text.find("ALERTS (2)");
  ASSERT_NE(status, std::string::npos) << text;
  ASSERT_NE(alerts, std::string::npos) << text;
  EXPECT_LT(status, summary);
  EXPECT_LT(summary, bottlenecks);
  EXPECT_LT(bottlenecks, trends);
  EXPECT_LT(trends, alerts);
  EXPECT_THAT(text, HasSubstr("perfwatch report: 2023-11-14 22:13:20 to 2023-11-15 00:13:20 UTC"));
  EXPECT_THAT(text, HasSubstr("[critical] memory_pressure"));
  EXPECT_THAT(text, ::testing::ContainsRegex("high priority, +low effort: +Find the largest"));
  EXPECT_THAT(text, HasSubstr("/ full in about 8 h"));
  EXPECT_THAT(text, HasSubstr("HighMemory"));
  EXPECT_THAT(text, HasSubstr("30 min"));  // the resolved alert's duration
  EXPECT_THAT(text, HasSubstr("active"));
  EXPECT_THAT(text, HasSubstr("Response time avg (api)"));
  EXPECT_THAT(text, HasSubstr("120 ms"));
  EXPECT_THAT(text, HasSubstr("120/s"));
}

TEST_F(ReportTest, TextColumnsAreAligned) {
  std::string text = RenderReportText({"", analysis_, summary_, alerts_});
  std::vector<std::string> summary = Section(text, "SUMMARY");
  ASSERT_GT(summary.size(), 5u) << text;
  // The last column is right-aligned, so every table line is as long as
  // the header line.
  for (size_t i = 2; i < summary.size(); ++i) {
    EXPECT_EQ(summary[i].size(), summary[1].size()) << summary[i];
  }
  std::vector<std::string> alerts = Section(text, "ALERTS");
  ASSERT_EQ(alerts.size(), 4u) << text;
  EXPECT_EQ(alerts[1].find("duration"), alerts[2].find("   active") + 1);
}

TEST_F(ReportTest, EmptySectionsSayNone) {
  AnalysisReport empty;
  PeriodSummary none{kStart, kEnd, 0, {}};
  std::string text = RenderReportText({"", empty, none, {}});
  EXPECT_THAT(text, HasSubstr("none: no data in the period"));
  EXPECT_THAT(text, HasSubstr("BOTTLENECKS (last 0 s)\n  none found"));
  EXPECT_THAT(text, HasSubstr("none toward a limit"));
  EXPECT_THAT(text, HasSubstr("ALERTS (0)\n  none"));
}

TEST_F(ReportTest, TextHasApplicationsAndComponents) {
  summary_.components = {{"shop", "Data Loading", 40, 1200, 30, 45, 80, 75}};
  std::string text = RenderReportText({"web1", analysis_, summary_, alerts_});
  EXPECT_THAT(text, HasSubstr("\nhost: web1\n"));
  std::vector<std::string> apps = Section(text, "APPLICATIONS");
  ASSERT_EQ(apps.size(), 6u) << text;  // heading, columns, four figures of "api"
  EXPECT_EQ(apps[0], "APPLICATIONS (1)");
  EXPECT_THAT(apps[2],
              ::testing::ContainsRegex("^  api +Response time avg +120 ms +120 ms +120 ms$"));
  std::vector<std::string> components = Section(text, "COMPONENTS");
  ASSERT_EQ(components.size(), 3u) << text;
  EXPECT_THAT(components[2],
              ::testing::ContainsRegex("shop +Data Loading +40 +30.0 ms +45.0 ms +80.0 ms +75.0%"));
  std::string none =
      RenderReportText({"", AnalysisReport{}, PeriodSummary{kStart, kEnd, 0, {}, {}}, {}});
  EXPECT_THAT(none, HasSubstr("APPLICATIONS (0)\n  none"));
  EXPECT_THAT(none, HasSubstr("COMPONENTS (0)\n  none"));
}

TEST_F(ReportTest, JsonHasApplicationsComponentsAndChartPoints) {
  summary_.components = {{"shop", "Data Loading", 40, 1200, 30, NAN, 80, 75}};
  nlohmann::json j =
      nlohmann::json::parse(RenderReportJson({"web1", analysis_, summary_, alerts_}));
  EXPECT_EQ(j["host"], "web1");
  ASSERT_EQ(j["applications"].size(), 1u);
  EXPECT_EQ(j["applications"][0]["app"], "api");
  const nlohmann::json& response = j["applications"][0]["figures"]["response_time_avg_ms"];
  EXPECT_NEAR(response["avg"].get<double>(), 120, 1e-9);
  EXPECT_EQ(response["unit"], "ms");
  ASSERT_EQ(j["components"].size(), 1u);
  EXPECT_EQ(j["components"][0]["name"], "Data Loading");
  EXPECT_DOUBLE_EQ(j["components"][0]["share_percent"].get<double>(), 75);
  EXPECT_TRUE(j["components"][0]["p95_ms"].is_null());
  const nlohmann::json& cpu = j["summary"]["rows"][0];
  EXPECT_EQ(cpu["key"], "cpu");
  EXPECT_TRUE(cpu["app"].is_null());
  EXPECT_TRUE(cpu["points"].is_number());  // the count, as before
  ASSERT_EQ(cpu["chart"].size(), summary_.rows[0].chart.size());
  ASSERT_FALSE(cpu["chart"].empty());
  EXPECT_EQ(cpu["chart"][0][0], summary_.rows[0].chart[0].t_ms);
  EXPECT_DOUBLE_EQ(cpu["chart"][0][1].get<double>(), summary_.rows[0].chart[0].value);
}

TEST_F(ReportTest, JsonReplacesInvalidUtf8InNames) {
  alerts_[0].name = "bad \xFF name";
  nlohmann::json j = nlohmann::json::parse(RenderReportJson({"", analysis_, summary_, alerts_}));
  EXPECT_EQ(j["alerts"][0]["name"], "bad \xEF\xBF\xBD name");
}

TEST_F(ReportTest, JsonHasEverySection) {
  nlohmann::json j = nlohmann::json::parse(RenderReportJson({"", analysis_, summary_, alerts_}));
  EXPECT_EQ(j["from"], kStart);
  EXPECT_EQ(j["to"], kEnd);
  EXPECT_EQ(j["analysis"]["status"]["status"], "Critical");
  EXPECT_EQ(j["summary"]["resolution_ms"], summary_.resolution_ms);
  ASSERT_FALSE(j["summary"]["rows"].empty());
  EXPECT_EQ(j["summary"]["rows"][0]["title"], "CPU total");
  EXPECT_EQ(j["summary"]["rows"][0]["unit"], "%");
  ASSERT_EQ(j["alerts"].size(), 2u);
  EXPECT_EQ(j["alerts"][0]["name"], "HighMemory");
  EXPECT_TRUE(j["alerts"][0]["ended"].is_null());
  EXPECT_EQ(j["alerts"][1]["ended"], kStart + 1'860'000);
}

// A scale that helped, a toggle made worse and rolled back in the
// emergency mode, and a rejected change with its error.
std::vector<ReportTuning> TuningDecisions() {
  ReportTuning scale{.id = 7,
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
                     .reason = "system_memory_used_percent = 91.2 > 85 for 10s"};
  ReportTuning toggle{.id = 8,
                      .t_ms = kStart + 900'000,
                      .rule = "EnableAsyncOnSlowResponses",
                      .action = "toggle",
                      .description = "toggle shop/async.enabled",
                      .app = "shop",
                      .tunable = "async.enabled",
                      .before = 0,
                      .after = 1,
                      .boolean = true,
                      .outcome = "applied",
                      .verdict = "rolled_back",
                      .metric = "app_response_time_avg_ms{app=\"shop\"}",
                      .metric_before = 120,
                      .metric_after = 480,
                      .emergency = true};
  ReportTuning rollback{.id = 9,
                        .t_ms = kStart + 1'000'000,
                        .rule = "EnableAsyncOnSlowResponses",
                        .action = "rollback",
                        .description = "rollback of #8",
                        .app = "shop",
                        .tunable = "async.enabled",
                        .before = 1,
                        .after = 0,
                        .boolean = true,
                        .outcome = "applied",
                        .verdict = "n/a",
                        .rollback_of = 8};
  ReportTuning rejected{.id = 10,
                        .t_ms = kStart + 1'200'000,
                        .rule = "RaiseTtlOnLowHitRate",
                        .action = "scale",
                        .description = "scale 1.5 shop/cache.ttl_seconds",
                        .app = "shop",
                        .tunable = "cache.ttl_seconds",
                        .before = 60,
                        .after = 90,
                        .outcome = "rejected",
                        .verdict = "n/a",
                        .reason = "app_cache_hit_rate_percent = 41 < 60 for 10s",
                        .error = "422: ttl is locked"};
  return {rejected, rollback, toggle, scale};  // newest first
}

TEST_F(ReportTest, TextHasTheTuningDecisionsAfterComponents) {
  ReportData report{"", analysis_, summary_, alerts_};
  report.tuning = TuningDecisions();
  report.tuning_mode = ReportTuningMode::kOn;
  const std::string text = RenderReportText(report);
  EXPECT_LT(text.find("\nCOMPONENTS"), text.find("\nAUTO-TUNING (4)\n")) << text;
  std::vector<std::string> tuning = Section(text, "AUTO-TUNING");
  ASSERT_EQ(tuning.size(), 6u) << text;  // heading, columns, four decisions
  EXPECT_THAT(tuning[1], ::testing::ContainsRegex("^  time \\(UTC\\) +# +rule +action +target"));
  EXPECT_THAT(tuning[2], ::testing::ContainsRegex(
                             "^  2023-11-14 22:33:20 +#10 +RaiseTtlOnLowHitRate +scale 1.5 "
                             "shop/cache.ttl_seconds +shop/cache.ttl_seconds +60 -> 90 +rejected "
                             "+n/a +- +app_cache_hit_rate_percent = 41 < 60 for 10s; error: 422: "
                             "ttl is locked$"));
  EXPECT_THAT(tuning[3], ::testing::ContainsRegex("#9 .*rollback of #8 +shop/async.enabled +on -> "
                                                  "off +applied"));
  EXPECT_THAT(tuning[4],
              ::testing::ContainsRegex("toggle shop/async.enabled \\[emergency\\] .* off -> on "
                                       "+applied +rolled_back +app_response_time_avg_ms\\{app="
                                       "\"shop\"\\} 120 -> 480"));
  EXPECT_THAT(tuning[5], ::testing::ContainsRegex(
                             "1000 -> 700 +applied +improved +system_memory_used_percent\\{\\} "
                             "91.25 -> 80.50 +system_memory_used_percent = 91.2 > 85 for 10s$"));
  // Aligned: the outcome column starts at the same place on every row.
  const size_t outcome = tuning[1].find("outcome");
  for (size_t i = 2; i < tuning.size(); ++i) {
    EXPECT_THAT(tuning[i].substr(outcome), ::testing::StartsWith(i == 2 ? "rejected" : "applied"))
        << tuning[i];
  }
}

TEST_F(ReportTest, TextSaysHowManyDecisionsAreLeftOutAndWhenTuningIsOff) {
  ReportData report{"", analysis_, summary_, alerts_};
  report.tuning = TuningDecisions();
  report.tuning_more = 1234;
  report.tuning_mode = ReportTuningMode::kDryRun;
  std::string text = RenderReportText(report);
  EXPECT_THAT(text, HasSubstr("AUTO-TUNING (1238)\n  dry run: decisions are logged"));
  EXPECT_THAT(text, HasSubstr("\n  ... and 1234 older decisions not shown"));
  report.tuning_more_exact = false;
  text = RenderReportText(report);
  EXPECT_THAT(text, HasSubstr("AUTO-TUNING (1238+)"));
  EXPECT_THAT(text, HasSubstr("and 1234+ older decisions"));

  report.tuning.clear();
  report.tuning_more = 0;
  report.tuning_more_exact = true;
  report.tuning_mode = ReportTuningMode::kOn;
  EXPECT_THAT(RenderReportText(report), HasSubstr("AUTO-TUNING (0)\n  none\n"));
  report.tuning_mode = ReportTuningMode::kOff;
  EXPECT_THAT(RenderReportText(report), HasSubstr("AUTO-TUNING (0)\n  none: auto-tuning is off\n"));
}

TEST_F(ReportTest, TextKeepsEachTuningDecisionOnOneLine) {
  ReportData report{"", analysis_, summary_, alerts_};
  report.tuning = {TuningDecisions()[0]};
  report.tuning[0].error = "line one\nline two";
  std::vector<std::string> tuning = Section(RenderReportText(report), "AUTO-TUNING");
  ASSERT_EQ(tuning.size(), 3u);
  EXPECT_THAT(tuning[2], HasSubstr("error: line one line two"));
}

TEST_F(ReportTest, TextShowsNoValuesForAHook) {
  ReportData report{"", analysis_, summary_, alerts_};
  report.tuning = {ReportTuning{.id = 4,
                                .t_ms = kStart,
                                .rule = "MemoryOptimization",
                                .action = "hook",
                                .description = "hook memory_cleanup",
                                .app = "shop",
                                .tunable = "memory_cleanup",
                                .outcome = "applied",
                                .verdict = "n/a"}};
  std::vector<std::string> tuning = Section(RenderReportText(report), "AUTO-TUNING");
  ASSERT_EQ(tuning.size(), 3u);
  EXPECT_THAT(tuning[2], ::testing::ContainsRegex(
                             "hook memory_cleanup +shop/memory_cleanup +- +applied +n/a +-$"));
}

TEST_F(ReportTest, JsonHasTheTuningDecisions) {
  ReportData report{"", analysis_, summary_, alerts_};
  report.tuning = TuningDecisions();
  report.tuning_more = 3;
  report.tuning_mode = ReportTuningMode::kOff;
  nlohmann::json j = nlohmann::json::parse(RenderReportJson(report));
  ASSERT_EQ(j["tuning"].size(), 4u);
  const nlohmann::json& scale = j["tuning"][3];
  EXPECT_EQ(scale["id"], 7);
  EXPECT_EQ(scale["time"], kStart + 600'000);
  EXPECT_EQ(scale["rule"], "ShrinkCacheOnMemoryPressure");
  EXPECT_EQ(scale["action"], "scale");
  EXPECT_EQ(scale["description"], "scale 0.7 shop/cache.size");
  EXPECT_EQ(scale["app"], "shop");
  EXPECT_EQ(scale["tunable"], "cache.size");
  EXPECT_EQ(scale["before"], 1000);
  EXPECT_EQ(scale["after"], 700);
  EXPECT_EQ(scale["boolean"], false);
  EXPECT_EQ(scale["outcome"], "applied");
  EXPECT_EQ(scale["verdict"], "improved");
  EXPECT_EQ(scale["metric"], "system_memory_used_percent{}");
  EXPECT_EQ(scale["metric_before"], 91.25);
  EXPECT_EQ(scale["metric_after"], 80.5);
  EXPECT_EQ(scale["emergency"], false);
  EXPECT_TRUE(scale["rollback_of"].is_null());
  EXPECT_EQ(scale["reason"], "system_memory_used_percent = 91.2 > 85 for 10s");
  EXPECT_EQ(scale["error"], "");
  EXPECT_EQ(j["tuning"][2]["emergency"], true);
  EXPECT_EQ(j["tuning"][2]["boolean"], true);
  EXPECT_EQ(j["tuning"][1]["rollback_of"], 8);
  EXPECT_TRUE(j["tuning"][1]["metric_before"].is_null());
  EXPECT_EQ(j["tuning"][0]["error"], "422: ttl is locked");
  EXPECT_EQ(j["tuning_more"], 3);
  EXPECT_EQ(j["tuning_more_exact"], true);
  EXPECT_EQ(j["tuning_mode"], "off");

  nlohmann::json none = nlohmann::json::parse(RenderReportJson({"", analysis_, summary_, alerts_}));
  EXPECT_TRUE(none["tuning"].is_array());
  EXPECT_TRUE(none["tuning"].empty());
  EXPECT_EQ(none["tuning_more"], 0);
  EXPECT_TRUE(none["tuning_mode"].is_null());
}

}  // namespace
}  // namespace perfwatch
