#include "model/metric.h"

namespace perfwatch {

std::string_view ToString(MetricKind kind) {
  return kind == MetricKind::kCounter ? "counter" : "gauge";
}

}  // namespace perfwatch
