#pragma once
// The status-class table of seed 000, every bound configurable (`status:`
// in the config). Plain value type; analysis/status_class.h applies it.
//
// A bound applies only when its metric exists: a host with no application
// metrics is classified by memory and CPU alone.

#include <cstdint>

namespace perfwatch {

struct StatusBounds {
  double memory_percent;
  double cpu_percent;
  double response_time_ms;
  double error_rate_percent;
  double cache_hit_percent;  // a LOWER hit rate is worse
};

struct StatusOptions {
  // Excellent: every metric better than these.
  StatusBounds excellent{40, 30, 200, 1, 90};
  // Fair: any metric worse than these.
  StatusBounds fair{60, 50, 500, 5, 70};
  // Poor: any metric past the alert thresholds (--memory-threshold,
  // --cpu-threshold, --response-threshold fill the first three).
  StatusBounds poor{80, 70, 1000, 10, 60};
  // Critical: any metric worse than these.
  StatusBounds critical{95, 90, 5000, 20, 30};
  // Seed 000: this many Poor-or-worse evaluations in a row raise
  // consecutive_poor_performance.
  uint32_t consecutive_poor = 5;
};

}  // namespace perfwatch
