#include "alert/builtin_rules.h"

#include <algorithm>
#include <string>
#include <utility>

#include "model/labels.h"

namespace perfwatch {
namespace {

std::string Num(double v) {
  std::string out;
  AppendPrometheusFloat(out, v);
  return out;
}

RuleSpec Rule(std::string name, std::string expr, std::string keep_firing_while, int64_t for_ms,
              std::string severity, std::string summary, std::string description) {
  RuleSpec r;
  r.name = std::move(name);
  r.expr = std::move(expr);
  r.keep_firing_while = std::move(keep_firing_while);
  r.for_ms = for_ms;
  r.severity = std::move(severity);
  r.annotations = {{"summary", std::move(summary)}, {"description", std::move(description)}};
  r.source = "built-in";
  return r;
}

constexpr int64_t kSecond = 1000;

}  // namespace

std::vector<RuleSpec> BuiltinRules(const BuiltinThresholds& t) {
  const std::string mem = Num(t.memory_percent);
  const std::string cpu = Num(t.cpu_percent);
  const std::string resp = Num(t.response_time_ms);
  // The host's total CPU is the series without a `cpu` label; averaging
  // over 30s keeps one busy tick from alerting.
  const std::string host_cpu = "avg_over_time(system_cpu_usage_percent{cpu=\"\"}[30s])";
  std::vector<RuleSpec> rules;
  rules.push_back(Rule("HighMemoryUsage", "system_memory_used_percent > " + mem,
                       "system_memory_used_percent > " + Num(t.memory_percent - 5), 30 * kSecond,
                       "warning", "Memory usage at {{ $value }}%",
                       "System memory use is above " + mem + "% (it clears below " +
                           Num(t.memory_percent - 5) + "%)."));
  rules.push_back(Rule("CriticalMemoryUsage", "system_memory_used_percent > 95",
                       "system_memory_used_percent > 90", 10 * kSecond, "critical",
                       "Memory usage critical at {{ $value }}%",
                       "System memory use is above 95%; the host is close to swapping or "
                       "the OOM killer."));
  rules.push_back(Rule("HighCpuUsage", host_cpu + " > " + cpu,
                       host_cpu + " > " + Num(t.cpu_percent - 5), 15 * kSecond, "warning",
                       "CPU usage at {{ $value }}% (30s average)",
                       "The host's CPU use, averaged over 30s, is above " + cpu + "%."));
  rules.push_back(Rule("HighResponseTime", "app_response_time_avg_seconds * 1000 > " + resp, "",
                       30 * kSecond, "warning", "Average response time {{ $value }} ms",
                       "The application's average response time is above " + resp + " ms."));
  rules.push_back(Rule("HighErrorRate", "app_error_rate_percent > 5", "", 30 * kSecond, "warning",
                       "Error rate at {{ $value }}%",
                       "More than 5% of the application's requests fail."));
  rules.push_back(Rule("LowCacheHitRate", "app_cache_hit_rate_percent < 60",
                       "app_cache_hit_rate_percent < 65", 60 * kSecond, "warning",
                       "Cache hit rate down to {{ $value }}%",
                       "The application's cache hit rate is below 60% (it clears above 65%)."));
  rules.push_back(Rule("ConsecutivePoorPerformance",
                       "perfwatch_status_poor_streak >= " + std::to_string(t.consecutive_poor), "",
                       0, "critical", "{{ $value }} evaluations in a row classed Poor or worse",
                       "The status class has been Poor or Critical for " +
                           std::to_string(t.consecutive_poor) +
                           " or more evaluations in a row (seed 000's emergency trigger)."));
  return rules;
}

std::vector<RuleSpec> MergeRules(std::vector<RuleSpec> builtin, std::vector<RuleSpec> user,
                                 bool builtin_enabled) {
  std::vector<RuleSpec> merged;
  if (builtin_enabled) merged = std::move(builtin);
  for (RuleSpec& r : user) {
    auto same = std::find_if(merged.begin(), merged.end(),
                             [&](const RuleSpec& b) { return b.name == r.name; });
    if (same != merged.end()) {
      *same = std::move(r);
    } else {
      merged.push_back(std::move(r));
    }
  }
  std::erase_if(merged, [](const RuleSpec& r) { return !r.enabled; });
  return merged;
}

}  // namespace perfwatch
