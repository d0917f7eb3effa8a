#pragma once
// TuningEngine's private state and steps, shared by engine.cpp (rules,
// triggers, restart, status), engine_decide.cpp (targets, cooldowns, caps,
// records, the emergency mode) and engine_effect.cpp (answers, effect
// verdicts, rollback). Private to tune/.
//
// Thread-safety: everything except `mu` and what it protects belongs to
// the evaluating thread (TuningEngine::Evaluate); readers see only the
// snapshot under `mu`.

#include <cstdint>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "tune/engine.h"

namespace perfwatch {

// Records of the emergency mode's clean-up hooks carry this rule name.
inline constexpr std::string_view kEmergencyRule = "EmergencyMode";
inline constexpr int64_t kHourMs = 3'600'000;

struct CompiledTuningRule {
  TuningRuleSpec spec;
  ParsedExpr trigger;
  std::optional<ParsedExpr> metric;  // what the effect verdict compares
  int worse = 0;                     // +1: higher metric is worse, -1 lower, 0 no verdict
  int64_t cooldown_ms = 0;
  int64_t window_ms = 0;
  int max_per_hour = 0;
  bool rollback = true;
};

// One series a trigger returned, tracked as an alert's pending state.
struct TriggerSeries {
  Labels labels;
  double value = 0;
  TimestampMs since_ms = 0;  // first evaluation tick it was true
};

// Recent samples of one series of a rule's metric.
struct MetricSeries {
  Labels labels;  // without __name__
  std::deque<std::pair<TimestampMs, double>> samples;
};

struct RuleRuntime {
  std::map<std::string, TriggerSeries> series;  // by Labels::ToString()
  std::map<std::string, MetricSeries> metric;   // by MetricKey(labels)
  std::string health = "unknown";
  std::string last_error;
  double last_value = 0;
};

// Cooldown and hourly cap of one (rule, app).
struct Throttle {
  TimestampMs last_decision_ms = 0;
  std::deque<TimestampMs> hour;  // decision times, ascending, trimmed to the last hour
  bool cap_recorded = false;     // a "skipped: cap" row was written since the last decision
};

// A decision whose answer or verdict is still outstanding.
struct OpenDecision {
  TuningRecord record;
  std::optional<size_t> rule;   // index into rules; none for the emergency hooks
  bool tunable_change = false;  // scale/set/toggle/rollback: has a value to roll back
  TunableSpec::Kind value_kind = TunableSpec::Kind::kNumber;
  std::string metric_key;  // the metric series compared; "" = no verdict
  TimestampMs due_ms = 0;  // when the verdict is due (t + window)
  double after_sum = 0;
  int after_count = 0;
};

// One resolved target of an action.
struct ActionTarget {
  const TuningAction* action = nullptr;
  std::string app;   // the tunable's or hook's app; the trigger's app for exec/webhook
  std::string name;  // tunable or hook name
  std::string hook_webhook;
};

// What made a decision: a trigger series, or the emergency mode.
struct Firing {
  Labels labels;  // the trigger series ({} for the emergency mode)
  std::string reason;
  bool emergency = false;
};

struct TuningEngine::Impl {
  Impl(TuningOptions options, const SeriesSource& source, TunableRegistry& registry, TuningDb& db,
       TuningActuator& actuator, TuningEventFn events)
      : options(options),
        source(source),
        registry(registry),
        db(db),
        actuator(actuator),
        events(std::move(events)) {}

  // engine.cpp
  Status Compile(std::vector<TuningRuleSpec> specs);
  Status Restore();
  void Tick(TimestampMs at, bool poor);
  void EvaluateTrigger(size_t r, TimestampMs at);
  void Publish(TimestampMs at);
  TuningRuleStatus StatusOf(size_t r, TimestampMs at) const;

  // engine_decide.cpp
  void Fire(size_t r, const TriggerSeries& series, TimestampMs at);
  std::vector<ActionTarget> Resolve(const TuningAction& action, std::string_view trigger_app) const;
  void DecideGroup(size_t r, const std::string& app, const std::vector<ActionTarget>& targets,
                   const Firing& firing, TimestampMs at);
  bool DecideTunable(size_t r, const ActionTarget& target, const Firing& firing, TimestampMs at);
  bool DecideDelivery(std::optional<size_t> r, const ActionTarget& target, const Firing& firing,
                      TimestampMs at);
  void RecordCapSkip(size_t r, const std::string& app, const Firing& firing, TimestampMs at);
  void RecordSkip(size_t r, const ActionTarget& target, const Tunable& tunable,
                  const Firing& firing, std::string why, TimestampMs at);
  bool Start(OpenDecision decision, ActuatorWork work, const Firing& firing, TimestampMs at,
             std::string event = "auto_tuning_started");
  bool InFlight(const std::string& app, const std::string& tunable) const;
  Throttle& ThrottleOf(const std::string& rule, const std::string& app, TimestampMs at);
  void CountPoor(TimestampMs at, bool poor);
  void EnterEmergency(TimestampMs at);

  // engine_effect.cpp
  bool CollectDone(TimestampMs at);  // true when an answer came
  void Answer(OpenDecision& d, const ActuatorDone& done, TimestampMs at);
  void SampleMetric(size_t r, TimestampMs at);
  void AccumulateEffects(TimestampMs at);
  void StartEffect(OpenDecision& d, const Labels& trigger);
  void JudgeDue(TimestampMs at);
  void Judge(OpenDecision& d, TimestampMs at);
  bool RollBack(const OpenDecision& d, TimestampMs at);
  void Emit(std::string name, TimestampMs at,
            std::vector<std::pair<std::string, std::string>> fields);
  void EmitRecord(std::string name, const OpenDecision& d, TimestampMs at);
  bool Persist(OpenDecision& d, bool insert);

  const TuningOptions options;
  const SeriesSource& source;
  TunableRegistry& registry;
  TuningDb& db;
  TuningActuator& actuator;
  const TuningEventFn events;

  std::vector<CompiledTuningRule> rules;  // fixed after Open: RangeNeeds hands out pointers
  std::vector<RuleRuntime> runtime;       // parallel to rules
  std::map<std::pair<std::string, std::string>, Throttle> throttles;  // (rule, app)
  // (rule, app, tunable) -> the value a "skipped" row was written at.
  std::map<std::tuple<std::string, std::string, std::string>, double> skipped;
  std::map<int64_t, OpenDecision> open;  // by record id
  bool emergency = false;
  TimestampMs emergency_since_ms = 0;
  TimestampMs last_emergency_ms = 0;  // the latest entry
  int consecutive_poor = 0;
  TimestampMs last_evaluation_ms = 0;
  TimestampMs last_prune_ms = 0;  // audit rows past their retention are deleted hourly

  mutable std::mutex mu;
  std::vector<TuningRuleStatus> status;  // protected by mu
  TuningState state;                     // protected by mu
};

// Helpers shared by the engine's files.
std::string FormatNumber(double v);
std::string FormatValue(TunableSpec::Kind kind, double v);
// The labels without __name__, as a map key and for the audit's `metric`.
Labels WithoutName(const Labels& labels);
// Drops decisions older than an hour from t.hour.
void TrimHour(Throttle& t, TimestampMs at);

}  // namespace perfwatch
