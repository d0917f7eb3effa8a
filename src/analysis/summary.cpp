#include "analysis/summary.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace perfwatch {

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// One kind of row: a metric, how to title each series, and whether it is
// a counter to be turned into a rate.
struct RowSpec {
  std::string_view metric;
  std::string_view title;
  std::string_view label;  // appended to the title: "Disk used /"
  std::string_view unit;
  bool counter = false;
  bool host_total_only = false;  // the series without labels only
  double scale = 1;              // the metric's unit to the row's (seconds to ms)
};

constexpr RowSpec kRows[] = {
    {"system_cpu_usage_percent", "CPU total", "", "%", false, true},
    {"system_memory_used_percent", "Memory used", "", "%"},
    {"system_swap_used_percent", "Swap used", "", "%"},
    {"system_load1", "Load (1 min)", "", ""},
    {"system_disk_used_percent", "Disk used", "mountpoint", "%"},
    {"system_diskio_utilization_percent", "Disk busy", "device", "%"},
    {"system_network_receive_bytes_total", "Network rx", "interface", "B/s", true},
    {"system_network_transmit_bytes_total", "Network tx", "interface", "B/s", true},
    {"app_response_time_avg_seconds", "Response time avg", "app", "ms", false, false, 1000},
    {"app_response_time_p95_seconds", "Response time p95", "app", "ms", false, false, 1000},
    {"app_error_rate_percent", "Error rate", "app", "%"},
    {"app_cache_hit_rate_percent", "Cache hit rate", "app", "%"},
    {"app_requests_per_second", "Requests", "app", "/s"},
};

// A round bucket width giving at most max_points buckets over `period`.
int64_t StepFor(int64_t period_ms, size_t max_points) {
  static constexpr int64_t kSteps[] = {
      1'000,   2'000,   5'000,     10'000,    15'000,    30'000,     60'000,     120'000,   300'000,
      600'000, 900'000, 1'800'000, 3'600'000, 7'200'000, 21'600'000, 43'200'000, 86'400'000};
  for (int64_t step : kSteps) {
    if (period_ms / step <= static_cast<int64_t>(max_points)) return step;
  }
  return period_ms / static_cast<int64_t>(max_points) + 1;
}

Result<std::vector<Sample>> Points(const Store& store, SeriesId id, TimestampMs from,
                                   TimestampMs to, int64_t step, Aggregation agg) {
  Result<std::vector<SeriesPoints>> r = store.Query({id}, QueryRange{from, to, step, agg});
  if (!r.ok()) return r.status();
  if (r->empty()) return std::vector<Sample>();
  return std::move(r->front().points);
}

std::vector<double> Rates(const std::vector<Sample>& points) {
  std::vector<double> rates;
  for (size_t i = 1; i < points.size(); ++i) {
    const double dt = (points[i].t_ms - points[i - 1].t_ms) / 1000.0;
    double delta = points[i].value - points[i - 1].value;
    if (delta < 0) delta = points[i].value;  // counter reset: it restarted from 0
    if (dt > 0 && !std::isnan(delta)) rates.push_back(delta / dt);
  }
  return rates;
}

std::vector<double> Values(const std::vector<Sample>& points) {
  std::vector<double> out;
  out.reserve(points.size());
  for (const Sample& s : points) {
    if (!std::isnan(s.value)) out.push_back(s.value);
  }
  return out;
}

struct Stats {
  double avg = kNaN, p95 = kNaN, max = kNaN;
  size_t points = 0;
};

Stats StatsOf(std::vector<double> values, const std::vector<double>* maxima) {
  Stats s;
  s.points = values.size();
  if (values.empty()) return s;
  double sum = 0;
  for (double v : values) sum += v;
  s.avg = sum / values.size();
  const std::vector<double>& for_max = maxima && !maxima->empty() ? *maxima : values;
  s.max = *std::max_element(for_max.begin(), for_max.end());
  s.p95 = Quantile(values, 0.95);
  return s;
}

// Summary numbers of one series at the chosen resolution.
Result<Stats> SeriesStats(const Store& store, SeriesId id, const RowSpec& spec, TimestampMs from,
                          TimestampMs to, int64_t step) {
  if (spec.counter) {
    // Buckets are stamped with their start, so a rate is only right between
    // whole buckets: the partial bucket at the end is left out.
    const TimestampMs end = step > 0 ? std::max(from, to - (to % step) - 1) : to;
    Result<std::vector<Sample>> last = Points(store, id, from, end, step, Aggregation::kLast);
    if (!last.ok()) return last.status();
    return StatsOf(Rates(*last), nullptr);
  }
  Result<std::vector<Sample>> avg = Points(store, id, from, to, step, Aggregation::kAvg);
  if (!avg.ok()) return avg.status();
  if (step == 0) return StatsOf(Values(*avg), nullptr);
  Result<std::vector<Sample>> max = Points(store, id, from, to, step, Aggregation::kMax);
  if (!max.ok()) return max.status();
  const std::vector<double> maxima = Values(*max);
  return StatsOf(Values(*avg), &maxima);
}

std::string TitleOf(const RowSpec& spec, const Labels& labels) {
  std::string title(spec.title);
  if (spec.label.empty()) return title;
  std::string value(labels.Get(spec.label));
  if (spec.label == "app") return title + " (" + value + ")";
  return title + " " + value;
}

Result<std::vector<SummaryRow>> Rows(const Store& store, const SeriesRegistry& registry,
                                     TimestampMs from, TimestampMs to, int64_t step) {
  std::vector<SummaryRow> rows;
  for (const RowSpec& spec : kRows) {
    for (SeriesId id : registry.SeriesOf(spec.metric)) {
      const SeriesKey& key = registry.Key(id);
      if (spec.host_total_only && !key.labels.empty()) continue;
      if (spec.label == "interface" && key.labels.Get("interface") == "lo") continue;
      Result<Stats> stats = SeriesStats(store, id, spec, from, to, step);
      if (!stats.ok()) return stats.status();
      if (stats->points == 0) continue;
      rows.push_back({TitleOf(spec, key.labels), key.name, key.labels, std::string(spec.unit),
                      stats->avg * spec.scale, stats->p95 * spec.scale, stats->max * spec.scale,
                      stats->points});
    }
  }
  return rows;
}

}  // namespace

double Quantile(std::vector<double>& values, double q) {
  if (values.empty()) return kNaN;
  std::sort(values.begin(), values.end());
  const double rank = std::clamp(q, 0.0, 1.0) * (values.size() - 1);
  const size_t lo = static_cast<size_t>(std::floor(rank));
  const size_t hi = std::min(lo + 1, values.size() - 1);
  return values[lo] + (values[hi] - values[lo]) * (rank - lo);
}

Result<PeriodSummary> Summarize(const Store& store, const SeriesRegistry& registry,
                                TimestampMs from_ms, TimestampMs to_ms,
                                const SummaryOptions& options) {
  if (from_ms >= to_ms) {
    return Status::InvalidArgument("report period: 'from' must be before 'to'");
  }
  PeriodSummary summary{from_ms, to_ms, 0, {}};
  const int64_t period = to_ms - from_ms;
  if (period <= options.raw_period_ms) {
    Result<std::vector<SummaryRow>> rows = Rows(store, registry, from_ms, to_ms, 0);
    if (rows.ok()) {
      summary.rows = std::move(*rows);
      return summary;
    }
    if (rows.status().code() != Status::Code::kResourceExhausted) return rows.status();
  }
  summary.resolution_ms = StepFor(period, options.max_points);
  Result<std::vector<SummaryRow>> rows =
      Rows(store, registry, from_ms, to_ms, summary.resolution_ms);
  if (!rows.ok()) return rows.status();
  summary.rows = std::move(*rows);
  return summary;
}

}  // namespace perfwatch
