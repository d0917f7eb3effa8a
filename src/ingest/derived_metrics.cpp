#include "ingest/derived_metrics.h"

#include <algorithm>
#include <cctype>
#include <charconv>

namespace perfwatch {
namespace {

constexpr std::string_view kRequestSuffix = "request_milliseconds";

struct CounterConvention {
  std::string_view suffix;
  DerivedRole role;
};
// Cache conventions first: "x_cache_bytes_total" is throughput of app "x_cache".
constexpr CounterConvention kCounterConventions[] = {
    {"cache_hits_total", DerivedRole::kCacheHits},
    {"cache_hit_total", DerivedRole::kCacheHits},
    {"cache_misses_total", DerivedRole::kCacheMisses},
    {"cache_miss_total", DerivedRole::kCacheMisses},
    {"bytes_total", DerivedRole::kBytes},
};

// True when `name` is `suffix` or "<prefix>_<suffix>"; sets the prefix.
bool MatchesConvention(std::string_view name, std::string_view suffix, std::string_view* prefix) {
  if (name == suffix) {
    *prefix = {};
    return true;
  }
  if (name.size() <= suffix.size() + 1 || !name.ends_with(suffix)) return false;
  if (name[name.size() - suffix.size() - 1] != '_') return false;
  *prefix = name.substr(0, name.size() - suffix.size() - 1);
  return true;
}

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

bool IsErrorStatus(std::string_view status) {
  int code = 0;
  auto [end, ec] = std::from_chars(status.data(), status.data() + status.size(), code);
  if (ec == std::errc() && end == status.data() + status.size()) return code >= 500;
  for (std::string_view word : {"error", "err", "fail", "failed", "failure", "5xx"}) {
    if (EqualsIgnoreCase(status, word)) return true;
  }
  return false;
}

}  // namespace

std::string AppOf(const Labels& labels, std::string_view prefix) {
  for (std::string_view label : {"app", "service_name"}) {
    std::string_view v = labels.Get(label);
    if (!v.empty()) return std::string(v);
  }
  return prefix.empty() ? std::string("default") : std::string(prefix);
}

bool IsErrorRequest(const Labels& labels) {
  if (EqualsIgnoreCase(labels.Get("error"), "true")) return true;
  for (std::string_view label : {"status", "status_code", "code", "http_status_code"}) {
    std::string_view v = labels.Get(label);
    if (!v.empty()) return IsErrorStatus(v);
  }
  return false;
}

DerivedInput ClassifySeries(std::string_view name, AppKind kind, const Labels& labels) {
  DerivedInput in;
  std::string_view prefix;
  if (kind == AppKind::kSummary) {
    if (name == kComponentTimerName) {
      in.role = DerivedRole::kComponent;
    } else if (MatchesConvention(name, kRequestSuffix, &prefix)) {
      in.role = DerivedRole::kRequest;
      in.app = AppOf(labels, prefix);
      in.error = IsErrorRequest(labels);
    }
  } else if (kind == AppKind::kCounter) {
    for (const CounterConvention& c : kCounterConventions) {
      if (MatchesConvention(name, c.suffix, &prefix)) {
        in.role = c.role;
        in.app = AppOf(labels, prefix);
        break;
      }
    }
  } else if (kind == AppKind::kGauge && MatchesConvention(name, "cache_size", &prefix)) {
    in.role = DerivedRole::kCacheSize;
    in.app = AppOf(labels, prefix);
  }
  return in;
}

DerivedMetrics::DerivedMetrics(int64_t window_ms, double relative_accuracy)
    : window_ms_(std::max<int64_t>(window_ms, 1)), relative_accuracy_(relative_accuracy) {}

DerivedMetrics::App& DerivedMetrics::Find(const std::string& app) {
  auto it = apps_.find(app);
  if (it == apps_.end()) it = apps_.emplace(app, App(relative_accuracy_)).first;
  return it->second;
}

void DerivedMetrics::Request(const std::string& app, bool error, double count_increase,
                             double sum_increase, const DDSketch& window) {
  App& a = Find(app);
  a.requests = true;
  a.totals.requests += count_increase;
  a.totals.request_ms += sum_increase;
  if (error) a.totals.errors += count_increase;
  a.latency.Merge(window);
}

void DerivedMetrics::Increase(DerivedRole role, const std::string& app, double increase) {
  App& a = Find(app);
  switch (role) {
    case DerivedRole::kCacheHits:
      a.cache = true;
      a.totals.hits += increase;
      break;
    case DerivedRole::kCacheMisses:
      a.cache = true;
      a.totals.misses += increase;
      break;
    case DerivedRole::kBytes:
      a.bytes = true;
      a.totals.bytes += increase;
      break;
    default:
      break;
  }
}

void DerivedMetrics::CacheSize(const std::string& app, double value) {
  App& a = Find(app);
  a.cache_size_seen = true;
  a.cache_size += value;
}

const std::pair<TimestampMs, DerivedMetrics::Totals>& DerivedMetrics::Base(App& a,
                                                                           TimestampMs now) const {
  const TimestampMs start = now - window_ms_;
  while (a.snapshots.size() >= 2 && a.snapshots[1].first <= start) a.snapshots.pop_front();
  return a.snapshots.front();
}

void DerivedMetrics::Emit(Appender& out, TimestampMs now, TimestampMs previous_flush_ms,
                          const TakenFn& taken) {
  for (auto it = apps_.begin(); it != apps_.end();) {
    App& a = it->second;
    if (!(a.requests || a.cache || a.cache_size_seen || a.bytes)) {
      it = apps_.erase(it);  // every series of the app expired
      continue;
    }
    EmitApp(out, it->first, a, now, previous_flush_ms, taken);
    a.requests = a.cache = a.cache_size_seen = a.bytes = false;
    a.cache_size = 0;
    a.latency.Clear();
    ++it;
  }
}

void DerivedMetrics::EmitApp(Appender& out, const std::string& name, App& a, TimestampMs now,
                             TimestampMs previous_flush_ms, const TakenFn& taken) {
  if (!a.snapshots.empty() && now < a.snapshots.back().first) a.snapshots.clear();
  if (a.snapshots.empty()) {
    // A new app's series all started after the previous Flush.
    const bool had_flush = previous_flush_ms > 0 && previous_flush_ms < now;
    a.snapshots.emplace_back(had_flush ? previous_flush_ms : now, Totals{});
  }
  a.snapshots.emplace_back(now, a.totals);
  const auto& [base_ms, base] = Base(a, now);
  const double seconds = static_cast<double>(now - base_ms) / 1000;
  const Totals& t = a.totals;
  const double requests = t.requests - base.requests;
  const double lookups = (t.hits - base.hits) + (t.misses - base.misses);

  const Labels labels{{"app", name}};
  auto emit = [&](std::string_view metric, double value) {
    if (!taken(metric, labels)) (void)out.Append(metric, labels, value);
  };
  if (a.requests) {
    if (seconds > 0) emit("app_requests_per_second", requests / seconds);
    if (requests > 0) {
      emit("app_response_time_avg_seconds", (t.request_ms - base.request_ms) / requests / 1000);
      emit("app_error_rate_percent", (t.errors - base.errors) / requests * 100);
    }
    if (!a.latency.empty()) emit("app_response_time_p95_seconds", a.latency.Quantile(0.95) / 1000);
  }
  if (a.cache && lookups > 0) {
    emit("app_cache_hit_rate_percent", (t.hits - base.hits) / lookups * 100);
  }
  if (a.cache_size_seen) emit("app_cache_size", a.cache_size);
  if (a.bytes && seconds > 0) {
    emit("app_throughput_mb_per_second", (t.bytes - base.bytes) / seconds / 1e6);
  }
}

void DerivedMetrics::Describe(Appender& out) {
  struct Family {
    std::string_view name, unit, help;
  };
  // Help texts of the names seed history imports match interchange/seed_history.cpp.
  static constexpr Family kFamilies[] = {
      {"app_requests_per_second", "", "Requests the application handled per second."},
      {"app_response_time_avg_seconds", "seconds",
       "Mean response time of the application's requests."},
      {"app_response_time_p95_seconds", "seconds",
       "95th percentile response time of the application's requests."},
      {"app_error_rate_percent", "percent", "Share of the application's requests that failed."},
      {"app_cache_hit_rate_percent", "percent", "Share of cache lookups that found their entry."},
      {"app_cache_size", "", "Entries held in the application's cache."},
      {"app_throughput_mb_per_second", "megabytes_per_second",
       "Bytes the application processed per second, in MB (10^6 bytes)."},
  };
  for (const Family& f : kFamilies) {
    out.Describe(MetricMeta{std::string(f.name), MetricKind::kGauge, std::string(f.help),
                            std::string(f.unit)});
  }
}

}  // namespace perfwatch
