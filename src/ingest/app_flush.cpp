// AppMetrics::Flush (emission, expiry, flush intervals) and the component
// figures.

#include <algorithm>
#include <cmath>
#include <map>

#include "ingest/app_metrics.h"
#include "ingest/app_series.h"

namespace perfwatch {
namespace {

// A counter's increase since the previous Flush; a smaller value is a reset
// and counts from zero, as Prometheus's rate() does.
double Increase(double value, double& last) {
  const double inc = value >= last ? value - last : value;
  last = value;
  return inc;
}

MetricKind MetaKind(AppKind kind) {
  switch (kind) {
    case AppKind::kCounter:
      return MetricKind::kCounter;
    case AppKind::kSummary:
      return MetricKind::kSummary;
    case AppKind::kHistogram:
      return MetricKind::kHistogram;
    default:
      return MetricKind::kGauge;
  }
}

// `labels` with label `name` set to `value` (replacing one of that name).
std::optional<Labels> WithLabel(const Labels& labels, std::string_view name, std::string value) {
  std::vector<Label> all;
  all.reserve(labels.size() + 1);
  for (const Label& l : labels) {
    if (l.name != name) all.push_back(l);
  }
  all.push_back({std::string(name), std::move(value)});
  Result<Labels> made = Labels::Make(std::move(all));
  if (!made.ok()) return std::nullopt;
  return std::move(*made);
}

// Copies what it is given into a FlushBuffer (derived and ingest figures).
class BufferAppender final : public Appender {
 public:
  explicit BufferAppender(FlushBuffer& buffer) : buffer_(buffer) {}
  void Describe(const MetricMeta& meta) override { buffer_.metas.push_back(meta); }
  Status Append(std::string_view name, const Labels& labels, double value) override {
    buffer_.names.emplace_back(name);
    buffer_.labels.push_back(labels);
    buffer_.samples.push_back({buffer_.names.back(), &buffer_.labels.back(), value, 0});
    return Status::Ok();
  }

 private:
  FlushBuffer& buffer_;
};

void DescribeIngestCounters(Appender& out) {
  const MetricMeta metas[] = {
      {"perfwatch_ingest_samples_total", MetricKind::kCounter,
       "Values accepted from applications, per source (statsd, push, otlp).", ""},
      {"perfwatch_ingest_errors_total", MetricKind::kCounter,
       "Lines, points or bodies from applications that were refused, per source and reason.", ""},
      {"perfwatch_ingest_messages_total", MetricKind::kCounter,
       "Datagrams or HTTP bodies received from applications, per source.", ""},
      {"perfwatch_ingest_bytes_total", MetricKind::kCounter,
       "Bytes received from applications, per source.", "bytes"},
      {"perfwatch_ingest_series", MetricKind::kGauge,
       "Application series alive now, per source (limited by max_series).", ""},
  };
  for (const MetricMeta& m : metas) out.Describe(m);
}

int FirstSource(uint8_t sources) {
  for (size_t i = 0; i < kIngestSourceCount; ++i) {
    if (sources & (1u << i)) return static_cast<int>(i);
  }
  return -1;
}

}  // namespace

void FlushBuffer::Clear() {
  metas.clear();
  samples.clear();
  names.clear();
  labels.clear();
}

void AppMetrics::Flush(Appender& out, TimestampMs now) {
  std::lock_guard flush_lock(state_->flush_mu);
  FlushBuffer& buffer = state_->flush_buffer;
  buffer.Clear();
  std::vector<std::unique_ptr<AppSeries>> dead;  // freed after the samples are out
  {
    std::lock_guard lock(mu_);
    state_->Collect(now, buffer, dead);
  }
  for (const MetricMeta& meta : buffer.metas) out.Describe(meta);
  // Refused samples (the registry is full), per source: [source][full?].
  uint64_t refused[kIngestSourceCount][2] = {};
  for (const FlushBuffer::Sample& s : buffer.samples) {
    Status status = out.Append(s.name, *s.labels, s.value);
    const int source = FirstSource(s.sources);
    if (!status.ok() && source >= 0) {
      ++refused[source][status.code() == Status::Code::kResourceExhausted ? 1 : 0];
    }
  }
  std::lock_guard lock(mu_);
  for (size_t i = 0; i < kIngestSourceCount; ++i) {
    if (refused[i][0]) state_->sources[i].Error("store_refused", refused[i][0]);
    if (refused[i][1]) state_->sources[i].Error("store_series_limit", refused[i][1]);
  }
}

void AppMetrics::State::Collect(TimestampMs now, FlushBuffer& out,
                                std::vector<std::unique_ptr<AppSeries>>& dead) {
  now_ms = now;
  const int64_t buckets = std::max(observers.window_buckets, 1);
  epoch = now / std::max<int64_t>(observers.quantile_window_ms / buckets, 1);
  const bool restart =
      observers.flush_interval_ms <= 0 || now - interval_start_ms >= observers.flush_interval_ms;
  const int64_t ttl = limits.series_ttl_ms;
  Describe(out);
  // One pass emits the live series and retires the expired ones.
  for (auto it = series.begin(); it != series.end();) {
    if (ttl > 0 && now - it->second->last_write_ms > ttl) {
      Retire(*it->second);
      dead.push_back(std::move(it->second));
      it = series.erase(it);
    } else {
      Emit(out, *it->second, restart);
      ++it;
    }
  }
  if (!dead.empty()) {
    // Raw keys of every source may point at what is about to be freed.
    for (SourceState& src : sources) {
      std::erase_if(src.cache, [](const auto& entry) { return entry.second->dead; });
    }
    std::erase_if(components, [](const AppSeries* s) { return s->dead; });
  }
  BufferAppender figures(out);
  derived.Emit(figures, now, last_flush_ms, [this](std::string_view name, const Labels& labels) {
    std::string key(name);
    key += labels.ToString();
    return series.contains(key);
  });
  EmitIngestCounters(figures);
  if (restart) interval_start_ms = now;
  last_flush_ms = now;
}

void AppMetrics::State::Retire(AppSeries& s) {
  s.dead = true;
  for (size_t i = 0; i < kIngestSourceCount; ++i) {
    if (s.sources & (1u << i)) --sources[i].series;
  }
  if (--s.family->series == 0) families.erase(families.find(s.family->name));
  s.family = nullptr;
}

void AppMetrics::State::Describe(FlushBuffer& out) const {
  for (const auto& [name, f] : families) {
    out.metas.push_back(MetricMeta{f->name, MetaKind(f->kind), f->help, f->unit});
    if (f->kind != AppKind::kSummary) continue;
    out.metas.push_back(
        MetricMeta{f->min_name, MetricKind::kGauge,
                   "Smallest " + f->name + " observation of the last flush interval.", f->unit});
    out.metas.push_back(
        MetricMeta{f->max_name, MetricKind::kGauge,
                   "Largest " + f->name + " observation of the last flush interval.", f->unit});
  }
  BufferAppender figures(out);
  DerivedMetrics::Describe(figures);
  DescribeIngestCounters(figures);
}

void AppMetrics::State::Emit(FlushBuffer& out, AppSeries& s, bool restart) {
  const std::string& name = s.family->name;
  DerivedInput& d = s.derived;
  switch (s.kind) {
    case AppKind::kCounter:
      out.samples.push_back({name, &s.labels, s.value, s.sources});
      if (d.role != DerivedRole::kNone) {
        derived.Increase(d.role, d.app, Increase(s.value, d.last_count));
      }
      break;
    case AppKind::kGauge:
      out.samples.push_back({name, &s.labels, s.value, s.sources});
      if (d.role == DerivedRole::kCacheSize) derived.CacheSize(d.app, s.value);
      break;
    case AppKind::kSet: {
      auto& members = s.set->members;
      out.samples.push_back({name, &s.labels, static_cast<double>(members.size()), s.sources});
      if (!restart) break;
      // Drop a big set's buckets too, so one burst does not hold memory.
      if (members.size() > 1024) {
        members = {};
      } else {
        members.clear();
      }
      break;
    }
    case AppKind::kSummary:
      EmitSummary(out, s, restart);
      break;
    case AppKind::kHistogram:
      EmitHistogram(out, s);
      break;
  }
}

void AppMetrics::State::EmitSummary(FlushBuffer& out, AppSeries& s, bool restart) {
  SummaryData& sum = *s.summary;
  const AppFamily& f = *s.family;
  sum.RotateTo(epoch);
  window.Clear();
  for (const DDSketch& bucket : sum.ring) window.Merge(bucket);
  const std::vector<double>& qs = observers.quantiles;
  if (sum.quantile_labels.empty()) {
    for (double q : qs) {
      std::string text;
      AppendPrometheusFloat(text, q);
      std::optional<Labels> labels = WithLabel(s.labels, "quantile", std::move(text));
      if (!labels) break;
      sum.quantile_labels.push_back(std::move(*labels));
    }
  }
  if (!window.empty() && sum.quantile_labels.size() == qs.size()) {
    for (size_t i = 0; i < qs.size(); ++i) {
      out.samples.push_back({f.name, &sum.quantile_labels[i], window.Quantile(qs[i]), s.sources});
    }
  }
  out.samples.push_back({f.count_name, &s.labels, sum.count, s.sources});
  out.samples.push_back({f.sum_name, &s.labels, sum.sum, s.sources});
  if (sum.interval_min <= sum.interval_max) {
    out.samples.push_back({f.min_name, &s.labels, sum.interval_min, s.sources});
    out.samples.push_back({f.max_name, &s.labels, sum.interval_max, s.sources});
  }
  if (restart) {
    sum.interval_min = std::numeric_limits<double>::infinity();
    sum.interval_max = -std::numeric_limits<double>::infinity();
  }
  DerivedInput& d = s.derived;
  if (d.role == DerivedRole::kRequest) {
    const bool reset = sum.count < d.last_count;
    const double count_increase = reset ? sum.count : sum.count - d.last_count;
    const double sum_increase = reset ? sum.sum : sum.sum - d.last_sum;
    d.last_count = sum.count;
    d.last_sum = sum.sum;
    derived.Request(d.app, d.error, count_increase, sum_increase, window);
  }
}

void AppMetrics::State::EmitHistogram(FlushBuffer& out, const AppSeries& s) const {
  const HistogramData& h = *s.histogram;
  if (!h.has_layout) return;
  const AppFamily& f = *s.family;
  double cumulative = 0;
  for (size_t i = 0; i < h.counts.size(); ++i) {
    cumulative += h.counts[i];
    out.samples.push_back({f.bucket_name, &h.le_labels[i], cumulative, s.sources});
  }
  out.samples.push_back({f.count_name, &s.labels, h.count, s.sources});
  out.samples.push_back({f.sum_name, &s.labels, h.sum, s.sources});
}

void AppMetrics::State::EmitIngestCounters(Appender& out) const {
  for (size_t i = 0; i < kIngestSourceCount; ++i) {
    const SourceState& src = sources[i];
    const std::string source(ToString(static_cast<IngestSource>(i)));
    const Labels labels{{"source", source}};
    (void)out.Append("perfwatch_ingest_samples_total", labels, static_cast<double>(src.samples));
    (void)out.Append("perfwatch_ingest_messages_total", labels, static_cast<double>(src.messages));
    (void)out.Append("perfwatch_ingest_bytes_total", labels, static_cast<double>(src.bytes));
    (void)out.Append("perfwatch_ingest_series", labels, static_cast<double>(src.series));
    for (const auto& [reason, n] : src.errors) {
      (void)out.Append("perfwatch_ingest_errors_total",
                       Labels{{"source", source}, {"reason", reason}}, static_cast<double>(n));
    }
  }
}

std::vector<ComponentStats> AppMetrics::Components() const {
  std::lock_guard lock(mu_);
  return state_->Components();
}

std::optional<ComponentStats> AppMetrics::Component(std::string_view name,
                                                    std::string_view app) const {
  for (ComponentStats& c : Components()) {
    if (c.name == name && (app.empty() || c.app == app)) return std::move(c);
  }
  return std::nullopt;
}

std::vector<ComponentStats> AppMetrics::State::Components() const {
  struct Figures {
    explicit Figures(double accuracy) : sketch(accuracy) {}
    DDSketch sketch;
    TimestampMs last_seen_ms = 0;
  };
  // (app, component): series that differ in other labels are one component.
  std::map<std::pair<std::string, std::string>, Figures> by_component;
  for (const AppSeries* s : components) {
    std::string_view component = s->labels.Get("component");
    if (component.empty() || s->summary->lifetime->empty()) continue;
    std::string_view app = s->labels.Get("app");
    if (app.empty()) app = s->labels.Get("service_name");
    auto it =
        by_component
            .try_emplace({std::string(app), std::string(component)}, observers.relative_accuracy)
            .first;
    it->second.sketch.Merge(*s->summary->lifetime);
    it->second.last_seen_ms = std::max(it->second.last_seen_ms, s->last_write_ms);
  }
  std::map<std::string, double, std::less<>> app_totals;
  for (const auto& [key, f] : by_component) app_totals[key.first] += f.sketch.sum();
  std::vector<ComponentStats> stats;
  stats.reserve(by_component.size());
  for (const auto& [key, f] : by_component) {
    const DDSketch& k = f.sketch;
    ComponentStats c;
    c.app = key.first;
    c.name = key.second;
    c.count = static_cast<uint64_t>(std::llround(k.count()));
    c.total_ms = k.sum();
    c.mean_ms = k.sum() / k.count();
    c.min_ms = k.min();
    c.p50_ms = k.Quantile(0.5);
    c.p95_ms = k.Quantile(0.95);
    c.p99_ms = k.Quantile(0.99);
    c.max_ms = k.max();
    const double app_total = app_totals[key.first];
    c.share_percent = app_total > 0 ? k.sum() / app_total * 100 : 0;
    c.last_seen_ms = f.last_seen_ms;
    stats.push_back(std::move(c));
  }
  return stats;
}

}  // namespace perfwatch
