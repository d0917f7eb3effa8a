#include "analysis/status_class.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <nlohmann/json.hpp>

#include "analysis/format.h"
#include "analysis/json_parts.h"

namespace perfwatch {

namespace {

using analysis_format::Fixed;
using analysis_format::Shortest;

// One row of seed 000's table.
struct MetricSpec {
  std::string_view metric;
  std::string_view title;
  std::string_view unit;  // "%" or " ms", appended to numbers
  double StatusBounds::*bound;
  bool lower_is_worse;
  bool host_total_only;  // only the series without labels (CPU: all cores)
  bool percent;          // score reaches 0 at 100 rather than 2 x critical
  double scale = 1;      // the metric's unit to the table's (seconds to ms)
};

constexpr std::array<MetricSpec, 5> kSpecs = {{
    {"system_cpu_usage_percent", "cpu", "%", &StatusBounds::cpu_percent, false, true, true},
    {"system_memory_used_percent", "memory", "%", &StatusBounds::memory_percent, false, false,
     true},
    {"app_response_time_avg_seconds", "response time", " ms", &StatusBounds::response_time_ms,
     false, false, false, 1000},
    {"app_error_rate_percent", "error rate", "%", &StatusBounds::error_rate_percent, false, false,
     true},
    {"app_cache_hit_rate_percent", "cache hit rate", "%", &StatusBounds::cache_hit_percent, true,
     false, true},
}};

const MetricSpec* SpecOf(const SeriesKey& key) {
  for (const MetricSpec& spec : kSpecs) {
    if (key.name != spec.metric) continue;
    if (spec.host_total_only && !key.labels.empty()) return nullptr;
    return &spec;
  }
  return nullptr;
}

struct Bounds {
  double excellent, fair, poor, critical;
};

Bounds BoundsOf(const StatusOptions& o, const MetricSpec& spec) {
  return {o.excellent.*spec.bound, o.fair.*spec.bound, o.poor.*spec.bound, o.critical.*spec.bound};
}

// "Worse than" in the metric's own direction.
bool Worse(const MetricSpec& spec, double v, double bound) {
  return spec.lower_is_worse ? v < bound : v > bound;
}

struct Verdict {
  StatusClass cls;
  double bound;
  std::string_view op;
};

Verdict Judge(const MetricSpec& spec, const Bounds& b, double v) {
  const std::string_view worse = spec.lower_is_worse ? "<" : ">";
  if (Worse(spec, v, b.critical)) return {StatusClass::kCritical, b.critical, worse};
  if (Worse(spec, v, b.poor)) return {StatusClass::kPoor, b.poor, worse};
  if (Worse(spec, v, b.fair)) return {StatusClass::kFair, b.fair, worse};
  const bool excellent = spec.lower_is_worse ? v > b.excellent : v < b.excellent;
  if (excellent) return {StatusClass::kExcellent, b.excellent, spec.lower_is_worse ? ">" : "<"};
  return {StatusClass::kGood, b.excellent, spec.lower_is_worse ? "<=" : ">="};
}

// Piecewise-linear score of one value (see the header); x is the "load",
// 0 at best, growing toward the critical bound.
double ScoreOf(const MetricSpec& spec, const Bounds& b, double v) {
  auto load = [&](double value) { return spec.lower_is_worse ? 100 - value : value; };
  std::array<double, 6> xs = {0, load(b.excellent), load(b.fair), load(b.poor), load(b.critical),
                              0};
  xs[5] = spec.percent && xs[4] < 100 ? 100 : 2 * xs[4];
  static constexpr std::array<double, 6> kYs = {100, 80, 60, 40, 20, 0};
  for (size_t i = 1; i < xs.size(); ++i) xs[i] = std::max(xs[i], xs[i - 1]);
  const double x = load(v);
  if (x <= 0) return 100;
  for (size_t i = 1; i < xs.size(); ++i) {
    if (x > xs[i]) continue;
    const double width = xs[i] - xs[i - 1];
    if (width <= 0) return kYs[i];
    return kYs[i - 1] + (kYs[i] - kYs[i - 1]) * (x - xs[i - 1]) / width;
  }
  return 0;
}

std::string FormatValue(const MetricSpec& spec, double v) {
  return Fixed(v, spec.unit == "%" || std::fabs(v) < 100 ? 1 : 0) + std::string(spec.unit);
}

std::string ReasonText(const MetricSpec& spec, const Labels& labels, double v,
                       const Verdict& verdict) {
  std::string text(spec.title);
  if (std::string_view app = labels.Get("app"); !app.empty()) {
    text += " (" + std::string(app) + ")";
  }
  std::string cls(StatusClassName(verdict.cls));
  std::transform(cls.begin(), cls.end(), cls.begin(), [](char c) { return std::tolower(c); });
  return text + " " + FormatValue(spec, v) + " " + std::string(verdict.op) + " " +
         Shortest(verdict.bound) + std::string(spec.unit) + " (" + cls + ")";
}

}  // namespace

std::string_view StatusClassName(StatusClass c) {
  static constexpr std::string_view kNames[] = {"Excellent", "Good", "Fair", "Poor", "Critical"};
  return kNames[static_cast<int>(c)];
}

std::string_view StatusColorName(StatusClass c) {
  static constexpr std::string_view kNames[] = {"green", "blue", "yellow", "orange", "red"};
  return kNames[static_cast<int>(c)];
}

std::string_view StatusColorHex(StatusClass c) {
  static constexpr std::string_view kHex[] = {"#2e7d32", "#1565c0", "#f9a825", "#ef6c00",
                                              "#c62828"};
  return kHex[static_cast<int>(c)];
}

bool Degraded(StatusClass before, StatusClass after) {
  return after > before && after >= StatusClass::kFair;
}

StatusReport ClassifyReadings(const StatusOptions& options, std::span<const MetricReading> readings,
                              TimestampMs t_ms) {
  StatusReport report;
  report.t_ms = t_ms;
  bool any = false;
  StatusClass worst = StatusClass::kExcellent;
  double score = 100;
  std::vector<StatusReason> all;
  for (const MetricReading& r : readings) {
    const MetricSpec* spec = r.key ? SpecOf(*r.key) : nullptr;
    if (!spec || std::isnan(r.value)) continue;
    const double value = r.value * spec->scale;
    const Bounds bounds = BoundsOf(options, *spec);
    const Verdict verdict = Judge(*spec, bounds, value);
    any = true;
    worst = std::max(worst, verdict.cls);
    score = std::min(score, ScoreOf(*spec, bounds, value));
    all.push_back({r.key->name, r.key->labels, value, verdict.bound, verdict.cls,
                   ReasonText(*spec, r.key->labels, value, verdict)});
  }
  report.status = any ? worst : StatusClass::kGood;
  report.score = static_cast<int>(std::lround(std::clamp(score, 0.0, 100.0)));
  std::stable_sort(all.begin(), all.end(), [](const StatusReason& a, const StatusReason& b) {
    return a.implies > b.implies;
  });
  for (StatusReason& reason : all) {
    if (reason.implies > StatusClass::kExcellent || worst == StatusClass::kExcellent) {
      report.reasons.push_back(std::move(reason));
    }
  }
  return report;
}

StatusReport StatusClassifier::Classify(const Tick& tick) {
  std::vector<MetricReading> readings;
  for (const auto& [id, value] : tick.samples()) {
    const SeriesKey& key = tick.registry().Key(id);
    if (SpecOf(key)) readings.push_back({&key, value});
  }
  StatusReport report = ClassifyReadings(options_, readings, tick.time());
  poor_streak_ = report.status >= StatusClass::kPoor ? poor_streak_ + 1 : 0;
  report.poor_streak = poor_streak_;
  return report;
}

void AppendStatusMetrics(const StatusReport& report, Appender& out) {
  out.Describe({"perfwatch_status", MetricKind::kGauge,
                "Status class of seed 000: 0 Excellent, 1 Good, 2 Fair, 3 Poor, 4 Critical.", ""});
  out.Describe({"perfwatch_status_score", MetricKind::kGauge,
                "Status score, 100 = no load, 0 = far past the critical bounds.", ""});
  out.Describe({"perfwatch_status_poor_streak", MetricKind::kGauge,
                "Consecutive status evaluations at Poor or worse.", ""});
  // Appends of valid constant names only fail on a full registry, which
  // the registry already reports; the status is then simply not exported.
  (void)out.Append("perfwatch_status", Labels(), static_cast<double>(report.status));
  (void)out.Append("perfwatch_status_score", Labels(), report.score);
  (void)out.Append("perfwatch_status_poor_streak", Labels(), report.poor_streak);
}

namespace analysis_json {

nlohmann::json Status(const StatusReport& report) {
  using analysis_format::LabelsJson;
  using analysis_format::NumberJson;
  nlohmann::json reasons = nlohmann::json::array();
  for (const StatusReason& r : report.reasons) {
    reasons.push_back({{"metric", r.metric},
                       {"labels", LabelsJson(r.labels)},
                       {"value", NumberJson(r.value)},
                       {"bound", NumberJson(r.bound)},
                       {"class", StatusClassName(r.implies)},
                       {"text", r.text}});
  }
  nlohmann::json j = {{"status", StatusClassName(report.status)},
                      {"class", static_cast<int>(report.status)},
                      {"score", report.score},
                      {"color", StatusColorName(report.status)},
                      {"color_hex", StatusColorHex(report.status)},
                      {"reasons", std::move(reasons)},
                      {"poor_streak", report.poor_streak},
                      {"time", report.t_ms}};
  return j;
}

}  // namespace analysis_json

std::string StatusJson(const StatusReport& report) { return analysis_json::Status(report).dump(); }

}  // namespace perfwatch
