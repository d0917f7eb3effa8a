#include "interchange/seed_history.h"

namespace perfwatch {
namespace {

// Help texts of metrics that perfwatch's collectors also write are the
// collectors' own, so an import never re-describes them differently.
constexpr SeedMetricMapping kMappings[] = {
    {"memory_usage", "system_memory_used_percent", "", "", 1, "percent", "100 * used / total."},
    {"cpu_usage", "system_cpu_usage_percent", "", "", 1, "percent",
     "Busy share of CPU time since the previous tick (no cpu label: all CPUs together)."},
    {"active_connections", "system_tcp_connections", "state", "established", 1, "",
     "TCP sockets in each state, IPv4 and IPv6 together."},
    {"response_time_avg", "app_response_time_avg_seconds", "", "", 1000, "seconds",
     "Mean response time of the application's requests."},
    {"response_time_p95", "app_response_time_p95_seconds", "", "", 1000, "seconds",
     "95th percentile response time of the application's requests."},
    {"requests_per_second", "app_requests_per_second", "", "", 1, "",
     "Requests the application handled per second."},
    {"error_rate", "app_error_rate_percent", "", "", 1, "percent",
     "Share of the application's requests that failed."},
    {"cache_hit_rate", "app_cache_hit_rate_percent", "", "", 1, "percent",
     "Share of cache lookups that found their entry."},
    {"cache_size", "app_cache_size", "", "", 1, "", "Entries held in the application's cache."},
};

}  // namespace

std::span<const SeedMetricMapping> SeedMetricMappings() { return kMappings; }

const SeedMetricMapping* FindSeedMetric(std::string_view key) {
  for (const SeedMetricMapping& m : kMappings) {
    if (m.key == key) return &m;
  }
  return nullptr;
}

SeriesKey SeedSeriesKey(const SeedMetricMapping& m) {
  SeriesKey key{std::string(m.metric), {}};
  if (!m.label_name.empty()) {
    key.labels = Labels{{std::string(m.label_name), std::string(m.label_value)}};
  }
  return key;
}

MetricMeta SeedMetricMeta(const SeedMetricMapping& m) {
  return {std::string(m.metric), MetricKind::kGauge, std::string(m.help), std::string(m.unit)};
}

}  // namespace perfwatch
