#pragma once
// Metadata of a metric family: what /metrics prints as # HELP / # TYPE.
// Value type.

#include <string>
#include <string_view>

namespace perfwatch {

enum class MetricKind { kGauge, kCounter };

std::string_view ToString(MetricKind kind);  // "gauge" / "counter"

struct MetricMeta {
  std::string name;  // full name, base units and _total suffix included
  MetricKind kind = MetricKind::kGauge;
  std::string help;
  std::string unit;  // "seconds", "bytes", "percent", "" for dimensionless
};

}  // namespace perfwatch
