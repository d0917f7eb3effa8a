#pragma once
// Metadata of a metric family: what /metrics prints as # HELP / # TYPE.
// Value type.

#include <string>
#include <string_view>

namespace perfwatch {

// A summary or histogram family is described under its base name; its
// series are base{quantile=...}, base_sum and base_count (summary) or
// base_bucket{le=...}, base_sum and base_count (histogram), as in the
// Prometheus text format.
enum class MetricKind { kGauge, kCounter, kSummary, kHistogram };

// "gauge", "counter", "summary", "histogram".
std::string_view ToString(MetricKind kind);
// The inverse of ToString; anything else is a gauge.
MetricKind ParseMetricKind(std::string_view text);

struct MetricMeta {
  std::string name;  // full name, base units and _total suffix included
  MetricKind kind = MetricKind::kGauge;
  std::string help;
  std::string unit;  // "seconds", "bytes", "percent", "" for dimensionless
};

}  // namespace perfwatch
