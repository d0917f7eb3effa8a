#include "analysis/analysis.h"

#include "analysis/format.h"
#include "analysis/json_parts.h"

namespace perfwatch {

namespace {

// Every status metric; cpu="" keeps the all-CPUs series only.
constexpr std::string_view kStatusSelector =
    "{__name__=~\"system_cpu_usage_percent|system_memory_used_percent|"
    "app_response_time_avg_seconds|app_error_rate_percent|"
    "app_cache_hit_rate_percent\",cpu=\"\"}";

Result<StatusReport> LatestStatus(const SeriesSource& source, TimestampMs now,
                                  const StatusOptions& options) {
  Result<SeriesSelector> selector = SeriesSelector::Parse(kStatusSelector);
  if (!selector.ok()) return selector.status();
  std::vector<MetricReading> readings;
  Status s = source.VisitLatest(source.Select(*selector), now - kLookbackMs, now,
                                [&](SeriesId id, const Sample& sample) {
                                  readings.push_back({&source.Key(id), sample.value});
                                });
  if (!s.ok()) return s;
  return ClassifyReadings(options, readings, now);
}

}  // namespace

Result<AnalysisReport> Analyze(const SeriesSource& source, TimestampMs now,
                               const AnalysisOptions& options) {
  AnalysisReport report;
  report.generated_at = now;
  report.window_ms = options.bottlenecks.window_ms;
  report.trend_window_ms = options.trends.window_ms;
  Result<StatusReport> status = LatestStatus(source, now, options.status);
  if (!status.ok()) return status.status();
  report.status = std::move(*status);
  Result<std::vector<Bottleneck>> bottlenecks =
      DetectBottlenecks(source, now, options.bottlenecks, &report.notes);
  if (!bottlenecks.ok()) return bottlenecks.status();
  report.bottlenecks = std::move(*bottlenecks);
  Result<std::vector<Trend>> trends = FindTrends(source, now, options.trends, &report.notes);
  if (!trends.ok()) return trends.status();
  report.trends = std::move(*trends);
  return report;
}

namespace analysis_json {

nlohmann::json Bottleneck(const perfwatch::Bottleneck& b) {
  using analysis_format::LabelsJson;
  using analysis_format::NumberJson;
  nlohmann::json evidence = nlohmann::json::array();
  for (const Evidence& e : b.evidence) {
    evidence.push_back({{"expr", e.expr},
                        {"labels", LabelsJson(e.labels)},
                        {"value", NumberJson(e.value)},
                        {"threshold", NumberJson(e.threshold)},
                        {"window_ms", e.window_ms}});
  }
  nlohmann::json recommendations = nlohmann::json::array();
  for (const Recommendation& r : b.recommendations) {
    recommendations.push_back({{"text", r.text}, {"priority", r.priority}, {"effort", r.effort}});
  }
  return {{"kind", b.kind},
          {"severity", b.severity},
          {"summary", b.summary},
          {"evidence", std::move(evidence)},
          {"recommendations", std::move(recommendations)}};
}

nlohmann::json Trend(const perfwatch::Trend& t) {
  using analysis_format::NumberJson;
  return {{"metric", t.metric},
          {"labels", analysis_format::LabelsJson(t.labels)},
          {"slope_per_hour", NumberJson(t.slope_per_hour)},
          {"r2", NumberJson(t.r2)},
          {"current", NumberJson(t.current)},
          {"threshold", NumberJson(t.threshold)},
          {"eta_seconds", t.eta_seconds ? nlohmann::json(*t.eta_seconds) : nlohmann::json()},
          {"window_ms", t.window_ms},
          {"text", t.text}};
}

nlohmann::json Analysis(const AnalysisReport& report) {
  nlohmann::json bottlenecks = nlohmann::json::array();
  for (const perfwatch::Bottleneck& b : report.bottlenecks) bottlenecks.push_back(Bottleneck(b));
  nlohmann::json trends = nlohmann::json::array();
  for (const perfwatch::Trend& t : report.trends) trends.push_back(Trend(t));
  return {{"generated_at", report.generated_at},
          {"window_ms", report.window_ms},
          {"trend_window_ms", report.trend_window_ms},
          {"status", Status(report.status)},
          {"bottlenecks", std::move(bottlenecks)},
          {"trends", std::move(trends)},
          {"notes", report.notes}};
}

}  // namespace analysis_json

std::string AnalysisJson(const AnalysisReport& report) {
  return analysis_json::Analysis(report).dump();
}

}  // namespace perfwatch
