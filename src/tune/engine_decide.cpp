// TuningEngine's decisions: which tunables and hooks an action reaches,
// cooldowns and hourly caps per (rule, app), what a change becomes after
// ConformValue, the audit row written before the Actuator gets the work,
// and the emergency mode.

#include <cmath>
#include <optional>

#include "model/duration.h"
#include "tune/engine_impl.h"

namespace perfwatch {
namespace {

// "x > 85 for 10s: value 91.2 at {app="shop"}".
std::string Reason(const CompiledTuningRule& rule, const TriggerSeries& s) {
  std::string out = rule.spec.expr;
  if (rule.spec.for_ms > 0) out += " for " + FormatDuration(rule.spec.for_ms);
  out += ": value " + FormatNumber(s.value);
  const Labels labels = WithoutName(s.labels);
  if (!labels.empty()) out += " at " + labels.ToString();
  return out;
}

// True when no action names an app of its own ("shop/cache.size",
// "*/cache.size", a hook with `app:`), so every target is the trigger's app.
bool ReachesOnlyTriggerApp(const TuningRuleSpec& spec) {
  for (const TuningAction& a : spec.actions) {
    if (ChangesTunable(a.kind) && a.tunable.find('/') != std::string::npos) return false;
    if (a.kind == TuningAction::Kind::kHook && !a.app.empty()) return false;
  }
  return true;
}

double Proposed(const TuningAction& action, double before) {
  switch (action.kind) {
    case TuningAction::Kind::kScale:
      return before * action.factor;
    case TuningAction::Kind::kSet:
      return action.value;
    default:  // kToggle
      return before != 0 ? 0 : 1;
  }
}

// Why a change did not move the value, for the "skipped" row.
std::string WhyUnmoved(const TunableSpec& spec, double value) {
  const std::string shown = FormatValue(spec.kind, value);
  if (spec.min && value <= *spec.min) return spec.name + " is at its minimum (" + shown + ")";
  if (spec.max && value >= *spec.max) return spec.name + " is at its maximum (" + shown + ")";
  return spec.name + " is already " + shown;
}

}  // namespace

void TrimHour(Throttle& t, TimestampMs at) {
  while (!t.hour.empty() && t.hour.front() <= at - kHourMs) t.hour.pop_front();
}

Throttle& TuningEngine::Impl::ThrottleOf(const std::string& rule, const std::string& app,
                                         TimestampMs at) {
  Throttle& t = throttles[{rule, app}];
  TrimHour(t, at);
  return t;
}

// A trigger series held for `for`: each app its actions reach that is out
// of its cooldown gets one decision.
void TuningEngine::Impl::Fire(size_t r, const TriggerSeries& series, TimestampMs at) {
  const CompiledTuningRule& rule = rules[r];
  const std::string trigger_app(series.labels.Get("app"));
  auto cooling = [&](const std::string& app) {
    const Throttle& t = ThrottleOf(rule.spec.name, app, at);
    return t.last_decision_ms != 0 && at - t.last_decision_ms < rule.cooldown_ms;
  };
  // A held per-app trigger in its cooldown is the common case under steady
  // load: when every action can only reach the trigger's own app, one check
  // skips resolving targets and formatting the reason.
  if (!trigger_app.empty() && ReachesOnlyTriggerApp(rule.spec) && cooling(trigger_app)) return;
  std::map<std::string, std::vector<ActionTarget>> by_app;
  for (const TuningAction& action : rule.spec.actions) {
    for (ActionTarget& target : Resolve(action, trigger_app)) {
      by_app[target.app].push_back(std::move(target));
    }
  }
  std::optional<Firing> firing;
  for (const auto& [app, targets] : by_app) {
    if (cooling(app)) continue;
    if (!firing) firing = Firing{series.labels, Reason(rule, series), false};
    DecideGroup(r, app, targets, *firing, at);
  }
}

// Tunables: "app/name", "*/name" (every app that declared it) or "name"
// (the trigger's app, else every app). Hooks: the action's app, else the
// trigger's, else every app that declared the hook. Exec and webhook
// actions belong to the trigger's app ("" for host-level triggers).
std::vector<ActionTarget> TuningEngine::Impl::Resolve(const TuningAction& action,
                                                      std::string_view trigger_app) const {
  std::vector<ActionTarget> out;
  if (ChangesTunable(action.kind)) {
    const size_t slash = action.tunable.find('/');
    const std::string name =
        slash == std::string::npos ? action.tunable : action.tunable.substr(slash + 1);
    std::vector<std::string> apps;
    if (slash != std::string::npos && action.tunable.substr(0, slash) != "*") {
      apps.push_back(action.tunable.substr(0, slash));
    } else if (slash == std::string::npos && !trigger_app.empty()) {
      apps.emplace_back(trigger_app);
    } else {
      apps = registry.AppsWith(name);
    }
    for (std::string& app : apps) out.push_back({&action, std::move(app), name, ""});
    return out;
  }
  if (action.kind == TuningAction::Kind::kHook) {
    const std::string_view want = !action.app.empty() ? std::string_view(action.app) : trigger_app;
    for (auto& [app, webhook] : registry.AppsWithHook(action.hook)) {
      if (want.empty() || app == want) out.push_back({&action, app, action.hook, webhook});
    }
    return out;
  }
  out.push_back({&action, std::string(trigger_app), "", ""});
  return out;
}

// One decision of rule `r` for `app`: every target, under the hourly cap.
// Starts the cooldown when anything was sent (or, in a dry run, logged).
void TuningEngine::Impl::DecideGroup(size_t r, const std::string& app,
                                     const std::vector<ActionTarget>& targets, const Firing& firing,
                                     TimestampMs at) {
  const CompiledTuningRule& rule = rules[r];
  Throttle& t = ThrottleOf(rule.spec.name, app, at);
  if (static_cast<int>(t.hour.size()) >= rule.max_per_hour) {
    if (!t.cap_recorded) RecordCapSkip(r, app, firing, at);
    t.cap_recorded = true;
    return;
  }
  bool decided = false;
  for (const ActionTarget& target : targets) {
    decided = (ChangesTunable(target.action->kind) ? DecideTunable(r, target, firing, at)
                                                   : DecideDelivery(r, target, firing, at)) ||
              decided;
  }
  if (!decided) return;
  t.last_decision_ms = at;
  t.hour.push_back(at);
  t.cap_recorded = false;
}

bool TuningEngine::Impl::InFlight(const std::string& app, const std::string& tunable) const {
  for (const auto& [id, d] : open) {
    if (d.tunable_change && d.record.outcome == "pending" && d.record.app == app &&
        d.record.tunable == tunable) {
      return true;
    }
  }
  return false;
}

bool TuningEngine::Impl::DecideTunable(size_t r, const ActionTarget& target, const Firing& firing,
                                       TimestampMs at) {
  std::optional<Tunable> tunable = registry.Get(target.app, target.name);
  // Not declared (yet): nothing to do or record. A change still in flight
  // is waited for rather than compounded.
  if (!tunable || InFlight(target.app, target.name)) return false;
  const TunableSpec& spec = tunable->spec;
  const TuningAction& action = *target.action;
  const double before = spec.value;
  const double after = ConformValue(spec, Proposed(action, before));
  const auto key = std::make_tuple(rules[r].spec.name, target.app, target.name);
  if (after == before) {
    auto done = skipped.find(key);
    if (done == skipped.end() || done->second != before) {
      RecordSkip(r, target, *tunable, firing, WhyUnmoved(spec, before), at);
    }
    return false;
  }
  skipped.erase(key);
  OpenDecision d;
  d.rule = r;
  d.tunable_change = true;
  d.value_kind = spec.kind;
  TuningRecord& rec = d.record;
  rec.t_ms = at;
  rec.rule = rules[r].spec.name;
  rec.action = ActionKindName(action.kind);
  rec.description = action.Describe();
  rec.app = target.app;
  rec.tunable = target.name;
  rec.before = before;
  rec.after = after;
  rec.reason = firing.reason;
  rec.emergency = firing.emergency;
  ActuatorWork work;
  work.kind = action.kind;
  work.app = target.app;
  work.name = target.name;
  work.webhook = spec.webhook;
  work.value_kind = spec.kind;
  work.previous = before;
  work.value = after;
  work.timeout_ms = action.timeout_ms;
  return Start(std::move(d), std::move(work), firing, at);
}

// Hooks, exec and webhook actions: nothing to conform, nothing to roll back.
bool TuningEngine::Impl::DecideDelivery(std::optional<size_t> r, const ActionTarget& target,
                                        const Firing& firing, TimestampMs at) {
  const TuningAction& action = *target.action;
  OpenDecision d;
  d.rule = r;
  TuningRecord& rec = d.record;
  rec.t_ms = at;
  rec.rule = r ? rules[*r].spec.name : std::string(kEmergencyRule);
  rec.action = ActionKindName(action.kind);
  rec.description = action.Describe();
  rec.app = target.app;
  rec.tunable = action.kind == TuningAction::Kind::kHook ? target.name : "";
  rec.reason = firing.reason;
  rec.emergency = firing.emergency;
  ActuatorWork work;
  work.kind = action.kind;
  work.app = target.app;
  work.name = target.name;
  work.webhook = action.kind == TuningAction::Kind::kHook ? target.hook_webhook : action.url;
  work.argv = action.argv;
  work.timeout_ms = action.timeout_ms;
  return Start(std::move(d), std::move(work), firing, at);
}

// The audit row first; then the Actuator (or, in a dry run, only the log
// and the tunable's history).
bool TuningEngine::Impl::Start(OpenDecision d, ActuatorWork work, const Firing& firing,
                               TimestampMs at, std::string event) {
  TuningRecord& rec = d.record;
  rec.outcome = options.dry_run ? "dry_run" : "pending";
  if (!options.dry_run && d.rule && rec.action != "rollback") StartEffect(d, firing.labels);
  if (!Persist(d, /*insert=*/true)) return false;
  EmitRecord(std::move(event), d, at);
  if (options.dry_run) {
    if (d.tunable_change) {
      (void)registry.RecordChange(
          rec.app, rec.tunable,
          TunableChange{rec.id, at, *rec.before, *rec.after, "dry_run", rec.rule, rec.reason});
    }
    return true;
  }
  work.record_id = rec.id;
  work.rule = rec.rule;
  work.reason = rec.reason;
  work.emergency = rec.emergency;
  work.rollback = rec.action == "rollback";
  const int64_t id = rec.id;
  open.emplace(id, std::move(d));
  actuator.Submit(std::move(work));
  return true;
}

void TuningEngine::Impl::RecordSkip(size_t r, const ActionTarget& target, const Tunable& tunable,
                                    const Firing& firing, std::string why, TimestampMs at) {
  OpenDecision d;
  d.rule = r;
  d.value_kind = tunable.spec.kind;
  TuningRecord& rec = d.record;
  rec.t_ms = at;
  rec.rule = rules[r].spec.name;
  rec.action = ActionKindName(target.action->kind);
  rec.description = target.action->Describe();
  rec.app = target.app;
  rec.tunable = target.name;
  rec.before = tunable.spec.value;
  rec.after = tunable.spec.value;
  rec.outcome = "skipped";
  rec.error = std::move(why);
  rec.reason = firing.reason;
  rec.emergency = firing.emergency;
  skipped[std::make_tuple(rec.rule, rec.app, rec.tunable)] = tunable.spec.value;
  if (Persist(d, /*insert=*/true)) EmitRecord("auto_tuning_skipped", d, at);
}

void TuningEngine::Impl::RecordCapSkip(size_t r, const std::string& app, const Firing& firing,
                                       TimestampMs at) {
  const CompiledTuningRule& rule = rules[r];
  OpenDecision d;
  d.rule = r;
  TuningRecord& rec = d.record;
  rec.t_ms = at;
  rec.rule = rule.spec.name;
  rec.action = ActionKindName(rule.spec.actions.front().kind);
  rec.description = "hourly cap reached";
  rec.app = app;
  rec.outcome = "skipped";
  rec.error = "max_actions_per_hour (" + std::to_string(rule.max_per_hour) + ") reached";
  rec.reason = firing.reason;
  rec.emergency = firing.emergency;
  if (Persist(d, /*insert=*/true)) EmitRecord("auto_tuning_skipped", d, at);
}

void TuningEngine::Impl::CountPoor(TimestampMs at, bool poor) {
  if (!poor) {
    consecutive_poor = 0;
    if (!emergency) return;
    emergency = false;
    Emit("emergency_mode_left", at,
         {{"since", std::to_string(emergency_since_ms)},
          {"duration", FormatDuration(at - emergency_since_ms)}});
    emergency_since_ms = 0;
    return;
  }
  ++consecutive_poor;
  if (consecutive_poor == options.emergency_after) {
    Emit("consecutive_poor_performance", at,
         {{"consecutive_poor", std::to_string(consecutive_poor)},
          {"emergency_after", std::to_string(options.emergency_after)}});
  }
  if (emergency || consecutive_poor < options.emergency_after) return;
  if (last_emergency_ms != 0 && at - last_emergency_ms < options.default_cooldown_ms) return;
  EnterEmergency(at);
}

// Every rule's tunable actions for every app they reach (cooldowns
// ignored, caps and limits kept), then the clean-up hooks.
void TuningEngine::Impl::EnterEmergency(TimestampMs at) {
  emergency = true;
  emergency_since_ms = at;
  last_emergency_ms = at;
  const std::string reason =
      "emergency mode: " + std::to_string(consecutive_poor) + " consecutive poor evaluations";
  Emit("emergency_mode_entered", at,
       {{"consecutive_poor", std::to_string(consecutive_poor)}, {"reason", reason}});
  const Firing firing{Labels{}, reason, true};
  for (size_t r = 0; r < rules.size(); ++r) {
    std::map<std::string, std::vector<ActionTarget>> by_app;
    for (const TuningAction& action : rules[r].spec.actions) {
      if (!ChangesTunable(action.kind)) continue;
      for (ActionTarget& target : Resolve(action, "")) {
        by_app[target.app].push_back(std::move(target));
      }
    }
    for (const auto& [app, targets] : by_app) DecideGroup(r, app, targets, firing, at);
  }
  for (const char* hook : {"memory_cleanup", "emergency_cleanup"}) {
    TuningAction action;
    action.kind = TuningAction::Kind::kHook;
    action.hook = hook;
    for (const ActionTarget& target : Resolve(action, "")) {
      DecideDelivery(std::nullopt, target, firing, at);
    }
  }
}

}  // namespace perfwatch
