#pragma once
// Seed 000's four auto-tuning behaviours as TuningRuleSpecs (the fourth,
// the emergency mode, is TuningEngine's and not a rule). They act only on
// what applications declared: a built-in action naming a tunable or hook no
// application has does nothing and records nothing.
//
//   MemoryOptimization         system_memory_used_percent > memory_percent
//                              for 30s: scale cache.size 0.7, set
//                              memory_optimization.enabled true, hook
//                              memory_cleanup
//   ResponseTimeOptimization   app_response_time_avg_seconds >
//                              response_time_ms/1000 for 30s: set
//                              async.enabled true, hook
//                              move_heavy_to_background
//   CachePerformanceOptimization app_cache_hit_rate_percent <
//                              cache_hit_rate_percent for 30s: scale
//                              cache.ttl_seconds 1.5, hook cache_warmup
//
// Pure; thread-compatible.

#include <vector>

#include "model/status.h"
#include "tune/rule_spec.h"

namespace perfwatch {

struct TuningThresholds {
  double memory_percent = 85;
  double response_time_ms = 1500;
  double cache_hit_rate_percent = 60;
  int64_t for_ms = 30'000;
};

std::vector<TuningRuleSpec> BuiltinTuningRules(const TuningThresholds& thresholds);

// The built-ins (when `with_builtin`) with the user's rules: a user rule
// replaces a built-in of the same name, `enabled: false` drops one. Two user
// rules with one name are an error naming both sources.
Result<std::vector<TuningRuleSpec>> MergeTuningRules(std::vector<TuningRuleSpec> builtin,
                                                     std::vector<TuningRuleSpec> user);

}  // namespace perfwatch
