#pragma once
// Bottleneck detection: looks at the last window of history for the
// resource that limits the host, and says how sure it is (severity), why
// (evidence: the expression evaluated, its labels, value and threshold) and
// what to do (recommendations with priority and effort, seed 003).
//
// Kinds: cpu_bound, memory_pressure, swap_thrashing, io_saturation,
// network_errors, fd_exhaustion, pressure_stall. Each is judged from the
// metrics present; a kind whose metrics are absent is never reported.
// Every evidence expression except the swap growth slope is plain
// query-language text that GET /api/v1/query answers the same way.
//
// Pure functions of the source's data; thread-safe when the source is.
// The source must outlive the call.

#include <cstdint>
#include <string>
#include <vector>

#include "model/labels.h"
#include "model/sample.h"
#include "model/status.h"
#include "query/query.h"

namespace perfwatch {

struct Evidence {
  std::string expr;  // e.g. avg_over_time(system_cpu_usage_percent{cpu=""}[5m])
  Labels labels;     // the series it is about (device, interface, ...)
  double value = 0;
  double threshold = 0;  // the bound it was compared with; NaN for context only
  int64_t window_ms = 0;
};

struct Recommendation {
  std::string text;
  std::string priority;  // high | medium | low
  std::string effort;    // low | medium | high
};

struct Bottleneck {
  std::string kind;      // cpu_bound, memory_pressure, ...
  std::string severity;  // warning | critical
  std::string summary;   // one line for a terminal
  std::vector<Evidence> evidence;
  std::vector<Recommendation> recommendations;
};

// Every threshold is compared with the value averaged over the window.
struct BottleneckOptions {
  int64_t window_ms = 5 * 60 * 1000;
  // Host CPU busy %, all CPUs together.
  double cpu_warning_percent = 80;
  double cpu_critical_percent = 95;
  // Runnable threads per core (system_procs_running / system_cpus): a
  // queue longer than the cores makes a busy CPU critical.
  double runnable_per_core_critical = 2;
  double memory_warning_percent = 90;
  double memory_critical_percent = 95;
  // Swap used growing at least this fast while memory is above
  // swap_memory_percent is thrashing; 4x as fast is critical.
  double swap_growth_warning_bytes_per_s = 256 * 1024;
  double swap_memory_percent = 85;
  // Device busy % (iostat %util).
  double disk_util_warning_percent = 80;
  double disk_util_critical_percent = 95;
  // Share of all CPU time spent waiting for I/O.
  double iowait_warning_percent = 20;
  double iowait_critical_percent = 50;
  // Threads blocked on I/O (system_procs_blocked), averaged.
  double blocked_warning = 2;
  // Pressure stall %, averaged over the window (kernel 10 s averages).
  double psi_some_warning_percent = 20;
  double psi_some_critical_percent = 50;
  double psi_full_warning_percent = 5;
  double psi_full_critical_percent = 20;
  // Network errors per second above which an interface is reported;
  // drops get a higher bar since some NICs drop unknown protocols routinely.
  double net_errors_warning_per_s = 0;
  double net_drops_warning_per_s = 1;
  double net_critical_per_s = 10;
  // Open fds over the process's limit. The limit comes from this metric,
  // labelled like process_open_fds; without it fd_exhaustion is not judged.
  std::string fd_limit_metric = "process_max_fds";
  double fd_warning_ratio = 0.8;
  double fd_critical_ratio = 0.95;
};

// Bottlenecks found in (now - window, now], critical first. A kind whose
// reads pass the store's point limit (a many-core host, a fast interval) is
// skipped, and says so in `notes` when given. Fails when the source fails
// otherwise (or on a bug in an expression, with its text).
Result<std::vector<Bottleneck>> DetectBottlenecks(const SeriesSource& source, TimestampMs now,
                                                  const BottleneckOptions& options,
                                                  std::vector<std::string>* notes = nullptr);

}  // namespace perfwatch
