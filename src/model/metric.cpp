#include "model/metric.h"

namespace perfwatch {

std::string_view ToString(MetricKind kind) {
  switch (kind) {
    case MetricKind::kCounter:
      return "counter";
    case MetricKind::kSummary:
      return "summary";
    case MetricKind::kHistogram:
      return "histogram";
    case MetricKind::kGauge:
      break;
  }
  return "gauge";
}

MetricKind ParseMetricKind(std::string_view text) {
  if (text == "counter") return MetricKind::kCounter;
  if (text == "summary") return MetricKind::kSummary;
  if (text == "histogram") return MetricKind::kHistogram;
  return MetricKind::kGauge;
}

}  // namespace perfwatch
