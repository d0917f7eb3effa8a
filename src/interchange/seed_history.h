#pragma once
// The seed tool's performance history (logs/performance_history_*.json):
// which snapshot key becomes which perfwatch series. The table is also in
// README.md. Constant data; thread-safe.

#include <span>
#include <string_view>

#include "model/metric.h"
#include "model/registry.h"

namespace perfwatch {

struct SeedMetricMapping {
  std::string_view key;         // key in a snapshot object
  std::string_view metric;      // perfwatch metric name
  std::string_view label_name;  // "" or the one label of the series
  std::string_view label_value;
  double divisor;  // stored value = snapshot value / divisor
  std::string_view unit;
  std::string_view help;
};

// Every mapped key, in the order of the README table.
std::span<const SeedMetricMapping> SeedMetricMappings();
// The mapping of `key`, or null when the key is not mapped.
const SeedMetricMapping* FindSeedMetric(std::string_view key);

// The series a mapping writes to, and its metadata (a gauge).
SeriesKey SeedSeriesKey(const SeedMetricMapping& mapping);
MetricMeta SeedMetricMeta(const SeedMetricMapping& mapping);

// The snapshot key holding the time: ISO 8601 text or Unix seconds.
inline constexpr std::string_view kSeedTimestampKey = "timestamp";

}  // namespace perfwatch
