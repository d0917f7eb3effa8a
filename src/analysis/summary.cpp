#include "analysis/summary.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <optional>

namespace perfwatch {

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// One kind of row: a metric, how to title each series, and whether it is
// a counter to be turned into a rate.
struct RowSpec {
  std::string_view metric;
  std::string_view key;  // SummaryRow::key
  std::string_view title;
  std::string_view label;  // appended to the title: "Disk used /"
  std::string_view unit;
  bool counter = false;
  bool host_total_only = false;  // the series without labels only
  double scale = 1;              // the metric's unit to the row's (seconds to ms)
  // Keep only series with these label values (unset: any series).
  std::pair<std::string_view, std::string_view> only[2] = {};
};

constexpr RowSpec kRows[] = {
    {"system_cpu_usage_percent", "cpu", "CPU total", "", "%", false, true},
    {"system_memory_used_percent", "memory", "Memory used", "", "%"},
    {"system_swap_used_percent", "swap", "Swap used", "", "%"},
    {"system_load1", "load1", "Load (1 min)", "", ""},
    {"system_disk_used_percent", "disk_used", "Disk used", "mountpoint", "%"},
    {"system_diskio_utilization_percent", "disk_busy", "Disk busy", "device", "%"},
    {"system_network_receive_bytes_total", "network_rx", "Network rx", "interface", "B/s", true},
    {"system_network_transmit_bytes_total", "network_tx", "Network tx", "interface", "B/s", true},
    // The kernel's own 60 s average rather than a rate of the stall counter:
    // a rate between samples a tick apart overshoots 100 % when the
    // collection is late on a busy host. "some" (at least one task waited)
    // is the broader signal.
    {"system_pressure_percent",
     "pressure",
     "Pressure",
     "resource",
     "%",
     false,
     false,
     1,
     {{"kind", "some"}, {"window", "60s"}}},
    {"app_response_time_avg_seconds", "response_time_avg_ms", "Response time avg", "app", "ms",
     false, false, 1000},
    {"app_response_time_p95_seconds", "response_time_p95_ms", "Response time p95", "app", "ms",
     false, false, 1000},
    {"app_error_rate_percent", "error_rate_percent", "Error rate", "app", "%"},
    {"app_cache_hit_rate_percent", "cache_hit_rate_percent", "Cache hit rate", "app", "%"},
    {"app_requests_per_second", "requests_per_second", "Requests", "app", "/s"},
    {"app_throughput_mb_per_second", "throughput_mb_per_second", "Throughput", "app", "MB/s"},
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

Result<std::vector<Sample>> PointsOf(const Store& store, SeriesId id, TimestampMs from,
                                     TimestampMs to, int64_t step, Aggregation agg) {
  Result<std::vector<SeriesPoints>> r = store.Query({id}, QueryRange{from, to, step, agg});
  if (!r.ok()) return r.status();
  if (r->empty()) return std::vector<Sample>();
  return std::move(r->front().points);
}

// Rates between consecutive points, stamped with the later point's time.
std::vector<Sample> Rates(const std::vector<Sample>& points) {
  std::vector<Sample> rates;
  for (size_t i = 1; i < points.size(); ++i) {
    const double dt = (points[i].t_ms - points[i - 1].t_ms) / 1000.0;
    double delta = points[i].value - points[i - 1].value;
    if (delta < 0) delta = points[i].value;  // counter reset: it restarted from 0
    if (dt > 0 && !std::isnan(delta)) rates.push_back({points[i].t_ms, delta / dt});
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
  std::vector<Sample> series;  // the values summarized, for the chart
};

Stats StatsOf(std::vector<Sample> series, const std::vector<double>* maxima) {
  Stats s;
  std::vector<double> values = Values(series);
  s.series = std::move(series);
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
    Result<std::vector<Sample>> last = PointsOf(store, id, from, end, step, Aggregation::kLast);
    if (!last.ok()) return last.status();
    return StatsOf(Rates(*last), nullptr);
  }
  Result<std::vector<Sample>> avg = PointsOf(store, id, from, to, step, Aggregation::kAvg);
  if (!avg.ok()) return avg.status();
  if (step == 0) return StatsOf(std::move(*avg), nullptr);
  Result<std::vector<Sample>> max = PointsOf(store, id, from, to, step, Aggregation::kMax);
  if (!max.ok()) return max.status();
  const std::vector<double> maxima = Values(*max);
  return StatsOf(std::move(*avg), &maxima);
}

std::string TitleOf(const RowSpec& spec, const Labels& labels) {
  std::string title(spec.title);
  if (spec.label.empty()) return title;
  std::string value(labels.Get(spec.label));
  if (spec.label == "app") return title + " (" + value + ")";
  return title + " " + value;
}

bool Wanted(const RowSpec& spec, const Labels& labels) {
  if (spec.host_total_only && !labels.empty()) return false;
  if (spec.label == "interface" && labels.Get("interface") == "lo") return false;
  for (const auto& [name, value] : spec.only) {
    if (!name.empty() && labels.Get(name) != value) return false;
  }
  return true;
}

Result<std::vector<SummaryRow>> Rows(const Store& store, const SeriesRegistry& registry,
                                     TimestampMs from, TimestampMs to, int64_t step,
                                     size_t chart_points) {
  std::vector<SummaryRow> rows;
  for (const RowSpec& spec : kRows) {
    for (SeriesId id : registry.SeriesOf(spec.metric)) {
      const SeriesKey& key = registry.Key(id);
      if (!Wanted(spec, key.labels)) continue;
      Result<Stats> stats = SeriesStats(store, id, spec, from, to, step);
      if (!stats.ok()) return stats.status();
      if (stats->points == 0) continue;
      std::vector<Sample> chart = DownsampleMinMax(stats->series, chart_points);
      for (Sample& s : chart) s.value *= spec.scale;
      rows.push_back({TitleOf(spec, key.labels), key.name, key.labels, std::string(spec.unit),
                      stats->avg * spec.scale, stats->p95 * spec.scale, stats->max * spec.scale,
                      stats->points, std::string(spec.key),
                      spec.label == "app" ? std::string(key.labels.Get("app")) : std::string(),
                      std::move(chart)});
    }
  }
  return rows;
}

constexpr std::string_view kComponentTimer = "component_duration_milliseconds";
// A live application series is written every tick and dropped after
// ingest.series_ttl (10 min) without writes, so a series with no sample in
// the 10 min before the period began was created in it, from zero.
constexpr int64_t kCounterLookbackMs = 10 * 60 * 1000;

struct ComponentKey {
  std::string app, name;
  auto operator<=>(const ComponentKey&) const = default;
};

struct ComponentFigures {
  double count = 0, total_ms = 0, max_ms = kNaN;
  std::vector<double> p95s;
};

std::optional<ComponentKey> ComponentOf(const Labels& labels) {
  std::string_view name = labels.Get("component");
  if (name.empty()) return std::nullopt;
  std::string_view app = labels.Get("app");
  if (app.empty()) app = labels.Get("service_name");
  return ComponentKey{std::string(app), std::string(name)};
}

// How much a cumulative counter grew in [from, to]: from its last value in
// the lookback before `from` (0 when it had none), a drop counting as a
// restart from 0.
Result<double> IncreaseOf(const Store& store, SeriesId id, TimestampMs from, TimestampMs to,
                          int64_t step) {
  Result<std::vector<Sample>> before = PointsOf(store, id, from - kCounterLookbackMs, from - 1,
                                                kCounterLookbackMs, Aggregation::kLast);
  if (!before.ok()) return before.status();
  Result<std::vector<Sample>> in = PointsOf(store, id, from, to, step, Aggregation::kLast);
  if (!in.ok()) return in.status();
  double previous = before->empty() ? 0 : before->back().value;
  double increase = 0;
  for (const Sample& s : *in) {
    if (std::isnan(s.value)) continue;
    increase += s.value >= previous ? s.value - previous : s.value;
    previous = s.value;
  }
  return increase;
}

// Calls `add(key, id)` for every series of `metric` that names a component.
template <typename Add>
void ForComponentSeries(const SeriesRegistry& registry, const std::string& metric, Add add) {
  for (SeriesId id : registry.SeriesOf(metric)) {
    if (std::optional<ComponentKey> key = ComponentOf(registry.Key(id).labels)) add(*key, id);
  }
}

Status GatherComponents(const Store& store, const SeriesRegistry& registry, TimestampMs from,
                        TimestampMs to, int64_t step,
                        std::map<ComponentKey, ComponentFigures>& figures) {
  const std::string timer(kComponentTimer);
  Status status = Status::Ok();
  auto add_increase = [&](double ComponentFigures::*field) {
    return [&, field](const ComponentKey& key, SeriesId id) {
      if (!status.ok()) return;
      Result<double> inc = IncreaseOf(store, id, from, to, step);
      if (!inc.ok()) status = inc.status();
      if (inc.ok()) figures[key].*field += *inc;
    };
  };
  ForComponentSeries(registry, timer + "_count", add_increase(&ComponentFigures::count));
  ForComponentSeries(registry, timer + "_sum", add_increase(&ComponentFigures::total_ms));
  ForComponentSeries(registry, timer, [&](const ComponentKey& key, SeriesId id) {
    if (!status.ok() || registry.Key(id).labels.Get("quantile") != "0.95") return;
    Result<std::vector<Sample>> p = PointsOf(store, id, from, to, step, Aggregation::kAvg);
    if (!p.ok()) status = p.status();
    if (!p.ok()) return;
    std::vector<double> values = Values(*p);
    auto& p95s = figures[key].p95s;
    p95s.insert(p95s.end(), values.begin(), values.end());
  });
  ForComponentSeries(registry, timer + "_max", [&](const ComponentKey& key, SeriesId id) {
    if (!status.ok()) return;
    Result<std::vector<Sample>> p = PointsOf(store, id, from, to, step, Aggregation::kMax);
    if (!p.ok()) status = p.status();
    if (!p.ok()) return;
    for (double v : Values(*p)) {
      double& max = figures[key].max_ms;
      if (std::isnan(max) || v > max) max = v;
    }
  });
  return status;
}

Result<std::vector<ComponentSummary>> Components(const Store& store, const SeriesRegistry& registry,
                                                 TimestampMs from, TimestampMs to, int64_t step) {
  std::map<ComponentKey, ComponentFigures> figures;
  if (Status st = GatherComponents(store, registry, from, to, step, figures); !st.ok()) return st;
  std::map<std::string, double> app_totals;
  for (const auto& [key, f] : figures) {
    if (f.count > 0) app_totals[key.app] += f.total_ms;
  }
  std::vector<ComponentSummary> out;
  for (auto& [key, f] : figures) {
    if (f.count <= 0) continue;
    const double app_total = app_totals[key.app];
    out.push_back({key.app, key.name, f.count, f.total_ms, f.total_ms / f.count,
                   Quantile(f.p95s, 0.95), f.max_ms,
                   app_total > 0 ? 100 * f.total_ms / app_total : 0});
  }
  return out;
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

std::vector<Sample> DownsampleMinMax(const std::vector<Sample>& points, size_t max_points) {
  std::vector<Sample> valid;
  valid.reserve(points.size());
  for (const Sample& s : points) {
    if (!std::isnan(s.value)) valid.push_back(s);
  }
  if (valid.size() <= max_points) return valid;
  if (max_points < 2) return {valid.front()};
  const size_t runs = max_points / 2;
  std::vector<Sample> out;
  out.reserve(runs * 2);
  for (size_t r = 0; r < runs; ++r) {
    const size_t begin = r * valid.size() / runs;
    const size_t end = (r + 1) * valid.size() / runs;
    auto [lo, hi] =
        std::minmax_element(valid.begin() + begin, valid.begin() + end,
                            [](const Sample& a, const Sample& b) { return a.value < b.value; });
    if (lo == hi) {
      out.push_back(*lo);
    } else if (lo < hi) {
      out.push_back(*lo);
      out.push_back(*hi);
    } else {
      out.push_back(*hi);
      out.push_back(*lo);
    }
  }
  return out;
}

std::vector<ApplicationFigures> ApplicationsOf(const PeriodSummary& summary) {
  std::vector<ApplicationFigures> apps;
  for (const SummaryRow& row : summary.rows) {
    if (row.key.empty() || row.metric.rfind("app_", 0) != 0) continue;
    auto it = std::find_if(apps.begin(), apps.end(),
                           [&](const ApplicationFigures& a) { return a.app == row.app; });
    if (it == apps.end()) it = apps.insert(apps.end(), ApplicationFigures{row.app, {}});
    it->rows.push_back(&row);
  }
  return apps;
}

Result<PeriodSummary> Summarize(const Store& store, const SeriesRegistry& registry,
                                TimestampMs from_ms, TimestampMs to_ms,
                                const SummaryOptions& options) {
  if (from_ms >= to_ms) {
    return Status::InvalidArgument("report period: 'from' must be before 'to'");
  }
  PeriodSummary summary{from_ms, to_ms, 0, {}, {}};
  const int64_t period = to_ms - from_ms;
  Result<std::vector<SummaryRow>> rows = Status::ResourceExhausted("not read raw");
  if (period <= options.raw_period_ms) {
    rows = Rows(store, registry, from_ms, to_ms, 0, options.chart_points);
    if (!rows.ok() && rows.status().code() != Status::Code::kResourceExhausted) {
      return rows.status();
    }
  }
  if (!rows.ok()) {
    summary.resolution_ms = StepFor(period, options.max_points);
    rows = Rows(store, registry, from_ms, to_ms, summary.resolution_ms, options.chart_points);
    if (!rows.ok()) return rows.status();
  }
  summary.rows = std::move(*rows);
  // Counters and quantiles need no finer step than the rows were read at;
  // a bucketed read also stays within the store's point limit.
  const int64_t step =
      summary.resolution_ms > 0 ? summary.resolution_ms : StepFor(period, options.max_points);
  Result<std::vector<ComponentSummary>> components =
      Components(store, registry, from_ms, to_ms, step);
  if (!components.ok()) return components.status();
  summary.components = std::move(*components);
  return summary;
}

}  // namespace perfwatch
