#pragma once
// The built-in alerting rules of seed 000 (memory, CPU, response time,
// error rate, cache hit rate, consecutive poor evaluations), and how a
// user's rules combine with them: a user rule of the same name replaces a
// built-in, `enabled: false` switches one off. docs/ALERTS.md lists them.
// Pure functions; thread-safe.

#include <cstdint>
#include <vector>

#include "alert/rule_spec.h"

namespace perfwatch {

// The config's thresholds (--memory-threshold, --cpu-threshold,
// --response-threshold and their environment variables; `status:` for the
// streak length). Defaults are seed 000's.
struct BuiltinThresholds {
  double memory_percent = 80;      // HighMemoryUsage fires above this
  double cpu_percent = 70;         // HighCpuUsage: the host's CPU, averaged over 30s
  double response_time_ms = 1000;  // HighResponseTime: app_response_time_avg_seconds, in ms
  uint32_t consecutive_poor = 5;   // ConsecutivePoorPerformance: Poor-or-worse in a row
};

// The built-ins, each with source "built-in", in a fixed order.
std::vector<RuleSpec> BuiltinRules(const BuiltinThresholds& thresholds);

// Built-ins (unless `builtin_enabled` is false) then the user's rules; a
// user rule named like a built-in takes its place. Disabled rules are left
// out of the result.
std::vector<RuleSpec> MergeRules(std::vector<RuleSpec> builtin, std::vector<RuleSpec> user,
                                 bool builtin_enabled = true);

}  // namespace perfwatch
