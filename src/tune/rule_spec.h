#pragma once
// TuningRuleSpec: one closed-loop tuning rule as written in the config
// (`tuning.rules:` or the top-level `tuning:` list) or built in (seed 000's
// four, builtin_rules.h). Plain data, parsed by config/ and compiled by
// TuningEngine; value type.
//
//   tuning:
//     rules:
//       - name: ShrinkCacheOnMemoryPressure
//         expr: system_memory_used_percent > 85
//         for: 10s
//         action: {tunable: shop/cache.size, scale: 0.7}
//         cooldown: 5m

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace perfwatch {

struct TuningAction {
  enum class Kind {
    kScale,    // tunable value * factor ("scale: 0.7", "scale: -30%", "scale: +50%")
    kSet,      // tunable = value ("set: 8", "set: true")
    kToggle,   // a bool tunable flipped ("toggle: true")
    kExec,     // argv run through posix_spawnp, never a shell ("exec: [cmd, arg]")
    kWebhook,  // POST of the decision as JSON to `url` ("webhook: http://...")
    kHook,     // a named clean-up hook the application handles ("hook: cache_warmup")
  };
  Kind kind = Kind::kScale;
  // kScale/kSet/kToggle: "app/name", or "name" alone: the app is taken from
  // the trigger series' `app` label, and when the series has none, every
  // app that declared `name`. "*/name" = every app that declared it.
  // kHook: optional app ("shop"); "" = the trigger's app, else every app
  // that declared the hook.
  std::string tunable;
  std::string app;                // kHook only
  double factor = 1.0;            // kScale
  double value = 0.0;             // kSet (bool tunables: 0 or 1)
  bool value_is_bool = false;     // kSet: written "set: true/false" (Describe shows it so)
  std::vector<std::string> argv;  // kExec
  std::string url;                // kWebhook
  std::string hook;               // kHook
  int64_t timeout_ms = 10'000;    // kExec, kWebhook, deliveries
  // "scale 0.7 shop/cache.size", "exec /usr/bin/x a b": for the audit.
  std::string Describe() const;
};

// "scale", "set", "toggle", "exec", "webhook", "hook": the audit's
// `action` and PERFWATCH_ACTION.
const char* ActionKindName(TuningAction::Kind kind);
// scale, set and toggle change a tunable's value (and can be rolled back).
bool ChangesTunable(TuningAction::Kind kind);

struct TuningRuleSpec {
  std::string name;
  std::string expr;  // the trigger (query/query.h), usually "metric > threshold"
  int64_t for_ms = 0;
  std::vector<TuningAction> actions;
  // Unset: TuningOptions' defaults.
  std::optional<int64_t> cooldown_ms;
  std::optional<int> max_actions_per_hour;
  std::optional<bool> rollback;      // roll back a change that made things worse
  std::optional<int64_t> window_ms;  // effect evaluation window (before and after)
  // The metric whose before/after decides the verdict. "" = the vector side
  // of the trigger's comparison ("system_memory_used_percent" for
  // "system_memory_used_percent > 85"); a trigger that is not such a
  // comparison then gets no verdict ("n/a"), only its audit row.
  std::string metric;
  // Which direction of `metric` is worse: +1 higher, -1 lower, 0 = from the
  // trigger's comparison (">" means higher is worse).
  int worse_direction = 0;
  bool enabled = true;  // false switches a built-in rule off by name
  bool builtin = false;
  std::string source;  // "perfwatch.yaml:12" or "built-in"
};

}  // namespace perfwatch
