#include "tune/builtin_rules.h"

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

TuningAction Scale(std::string tunable, double factor) {
  TuningAction a;
  a.kind = TuningAction::Kind::kScale;
  a.tunable = std::move(tunable);
  a.factor = factor;
  return a;
}

TuningAction SetTrue(std::string tunable) {
  TuningAction a;
  a.kind = TuningAction::Kind::kSet;
  a.tunable = std::move(tunable);
  a.value = 1;
  a.value_is_bool = true;
  return a;
}

TuningAction Hook(std::string hook) {
  TuningAction a;
  a.kind = TuningAction::Kind::kHook;
  a.hook = std::move(hook);
  return a;
}

TuningRuleSpec Rule(std::string name, std::string expr, int64_t for_ms,
                    std::vector<TuningAction> actions) {
  TuningRuleSpec r;
  r.name = std::move(name);
  r.expr = std::move(expr);
  r.for_ms = for_ms;
  r.actions = std::move(actions);
  r.builtin = true;
  r.source = "built-in";
  return r;
}

}  // namespace

// Bare tunable names: the app comes from the trigger's `app` label, or,
// for the host-level memory trigger, every app that declared the name.
std::vector<TuningRuleSpec> BuiltinTuningRules(const TuningThresholds& t) {
  std::vector<TuningRuleSpec> rules;
  rules.push_back(Rule(
      "MemoryOptimization", "system_memory_used_percent > " + Num(t.memory_percent), t.for_ms,
      {Scale("cache.size", 0.7), SetTrue("memory_optimization.enabled"), Hook("memory_cleanup")}));
  rules.push_back(Rule("ResponseTimeOptimization",
                       "app_response_time_avg_seconds > " + Num(t.response_time_ms / 1000),
                       t.for_ms, {SetTrue("async.enabled"), Hook("move_heavy_to_background")}));
  rules.push_back(Rule("CachePerformanceOptimization",
                       "app_cache_hit_rate_percent < " + Num(t.cache_hit_rate_percent), t.for_ms,
                       {Scale("cache.ttl_seconds", 1.5), Hook("cache_warmup")}));
  return rules;
}

Result<std::vector<TuningRuleSpec>> MergeTuningRules(std::vector<TuningRuleSpec> builtin,
                                                     std::vector<TuningRuleSpec> user) {
  for (size_t i = 0; i < user.size(); ++i) {
    for (size_t j = 0; j < i; ++j) {
      if (user[i].name != user[j].name) continue;
      return Status::InvalidArgument("tuning rule " + user[i].name + " is defined twice (" +
                                     user[j].source + " and " + user[i].source + ")");
    }
  }
  std::vector<TuningRuleSpec> merged = std::move(builtin);
  for (TuningRuleSpec& r : user) {
    auto same = std::find_if(merged.begin(), merged.end(),
                             [&](const TuningRuleSpec& b) { return b.name == r.name; });
    if (same != merged.end()) {
      *same = std::move(r);
    } else {
      merged.push_back(std::move(r));
    }
  }
  std::erase_if(merged, [](const TuningRuleSpec& r) { return !r.enabled; });
  return merged;
}

}  // namespace perfwatch
