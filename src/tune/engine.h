#pragma once
// TuningEngine: the closed loop. At every evaluation tick it evaluates each
// rule's trigger through the query language (reading the recent window, as
// the alert engine does), and when a trigger has held for its `for`, turns
// the rule's actions into decisions: audit rows first (TuningDb), then work
// for the Actuator. Later ticks collect the Actuator's answers, judge the
// effect of each applied change over `window` before and after, and roll
// back a change that made its metric worse.
//
// Semantics (docs/TUNING.md):
// - A trigger series is identified by its labels; its `app` label (if any)
//   picks the application a bare tunable name refers to. `for` is tracked
//   per series, as an alert's pending state.
// - Cooldown and the hourly cap are per (rule, app) ("" for host-level
//   triggers): after a decision, nothing more from that rule for that app
//   until the cooldown has passed, and never more than
//   max_actions_per_hour decisions in any 60 minutes. A failed or rejected
//   change also starts the cooldown: it is never retried in a loop.
//   The app is the one a change or hook reaches; exec and webhook actions
//   count under the trigger series' app. A decision is all of a rule's
//   actions for one app at one tick; one that only skipped starts nothing.
//   A tunable whose change is still unanswered is not changed again.
// - A change is conformed to the tunable's min/max/step/allowed
//   (ConformValue); a change that would not move the value is "skipped"
//   (recorded once per rule and tunable until the value moves again).
// - Effect: the metric (the rule's `metric`, else the trigger comparison's
//   vector side) is sampled at every evaluation tick, per label set. Its
//   mean over [t - window, t] at the decision and over (t, t + window]
//   after it make metric_before/metric_after. The verdict at t + window:
//   "worse" when it moved in the worse direction by more than
//   worse_tolerance (relative, and more than 1e-9 absolute), "improved"
//   when it moved the other way as much, "unchanged" otherwise. A worse
//   change with rollback on is undone at once (a "rollback" row, delivered
//   as any change, the original row's verdict "rolled_back"); it restarts
//   the rule's cooldown for that app. When the value has moved since (the
//   application re-registered, another rule), the verdict stays "worse".
// - Emergency: `emergency_after` consecutive evaluation ticks with
//   `poor` (status class Poor or Critical) enter emergency mode: every
//   enabled rule's tunable actions are applied for every app they reach
//   (cooldowns ignored, the hourly cap and min/max kept), and the hooks
//   memory_cleanup and emergency_cleanup go to every app that declared
//   them; records carry emergency=true. Mode ends when a tick is not poor;
//   it is entered again only after emergency_after more poor ticks and at
//   least the default cooldown after the last entry.
// - Dry run: decisions are recorded with outcome "dry_run" and logged;
//   nothing is delivered and no value changes; cooldowns still apply so
//   the log says what would happen, once per cooldown.
// - Disabled (--no-auto-tuning): Evaluate does nothing at all.
// - Events (the log, and notifications): auto_tuning_started (a decision
//   sent), auto_tuning_completed (its outcome, and again with the
//   verdict), auto_tuning_failed, auto_tuning_rolled_back,
//   auto_tuning_skipped, consecutive_poor_performance,
//   emergency_mode_entered, emergency_mode_left.
//
// Restart: Open restores each (rule, app)'s last decision time and hourly
// count from the audit, so cooldowns and caps hold across restarts, and
// marks unfinished rows "interrupted" (the verdict; an unanswered row's
// outcome becomes "failed": its answer was lost with the old process).
//
// Thread-safety: Evaluate runs on one thread (the collection thread, which
// owns `source`); Rules, State and History may be called from any thread.
// `source`, `registry`, `db` and `actuator` must outlive the engine.

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "model/status.h"
#include "query/query.h"
#include "tune/actuator.h"
#include "tune/rule_spec.h"
#include "tune/tunables.h"
#include "tune/tuning_db.h"

namespace perfwatch {

struct TuningOptions {
  bool enabled = true;           // AUTO_TUNING_ENABLED, --no-auto-tuning
  bool dry_run = false;          // --dry-run-tuning
  int64_t interval_ms = 10'000;  // evaluation tick (rules, emergency count)
  int64_t default_cooldown_ms = 5 * 60'000;
  int default_max_actions_per_hour = 6;
  int emergency_after = 5;
  int64_t default_window_ms = 60'000;
  bool default_rollback = true;
  double worse_tolerance = 0.05;
};

// A named event for the log and the notification receivers.
struct TuningEvent {
  std::string name;  // "auto_tuning_started", ...
  TimestampMs t_ms = 0;
  std::vector<std::pair<std::string, std::string>> fields;
};
using TuningEventFn = std::function<void(TuningEvent)>;

// One rule as GET /api/v1/tuning/rules shows it.
struct TuningRuleStatus {
  // As configured, except that cooldown, window, cap, rollback and the worse
  // direction hold the values in force (defaults and the trigger's
  // comparison filled in).
  TuningRuleSpec spec;
  std::string health = "unknown";  // "ok", "err" (last_error), "unknown"
  std::string last_error;
  // "inactive", "pending" (trigger true, `for` not yet held), "cooldown",
  // "evaluating" (a change's window is running)
  std::string state = "inactive";
  TimestampMs pending_since_ms = 0;  // earliest pending series
  TimestampMs last_decision_ms = 0;
  TimestampMs cooldown_until_ms = 0;  // latest over its apps
  int decisions_last_hour = 0;        // summed over its apps
  double last_value = 0;              // trigger value of the last evaluation
};

struct TuningState {
  bool enabled = true;
  bool dry_run = false;
  bool emergency = false;
  TimestampMs emergency_since_ms = 0;
  int consecutive_poor = 0;
  int emergency_after = 5;
  TimestampMs last_evaluation_ms = 0;
};

class TuningEngine {
 public:
  // Compiles every enabled rule (errors name the rule and its source).
  static Result<std::unique_ptr<TuningEngine>> Open(TuningOptions options,
                                                    std::vector<TuningRuleSpec> rules,
                                                    const SeriesSource& source,
                                                    TunableRegistry& registry, TuningDb& db,
                                                    TuningActuator& actuator, TuningEventFn events);
  ~TuningEngine();
  TuningEngine(const TuningEngine&) = delete;
  TuningEngine& operator=(const TuningEngine&) = delete;

  // Which selectors the triggers and metrics read and how far back, for
  // WindowCache::SetRangeNeeds; the pointers live as long as the engine.
  std::vector<std::pair<const SeriesSelector*, int64_t>> RangeNeeds() const;

  // Call at every collection tick. Collects finished deliveries at once;
  // evaluates rules and the emergency count when interval_ms has passed
  // since the last evaluation. `poor`: the status class now is Poor or
  // Critical.
  void Evaluate(TimestampMs at_ms, bool poor);

  std::vector<TuningRuleStatus> Rules() const;
  TuningState State() const;

 private:
  struct Impl;
  explicit TuningEngine(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace perfwatch
