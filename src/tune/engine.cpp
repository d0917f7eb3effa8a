// TuningEngine: rules, triggers, restart and status. Decisions are in
// engine_decide.cpp, answers and effect verdicts in engine_effect.cpp.

#include "tune/engine.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <set>

#include "model/duration.h"
#include "tune/engine_impl.h"

namespace perfwatch {
namespace {

constexpr size_t kRestoreRows = 10'000;

std::string Where(const TuningRuleSpec& spec) {
  std::string w = "tuning rule " + (spec.name.empty() ? std::string("(unnamed)") : spec.name);
  if (!spec.source.empty()) w += " (" + spec.source + ")";
  return w;
}

Status CheckSpec(const TuningRuleSpec& spec, const std::string& where) {
  if (spec.name.empty()) return Status::InvalidArgument(where + ": the rule has no name");
  if (spec.name == kEmergencyRule) {
    return Status::InvalidArgument(where + ": the name " + spec.name + " is reserved");
  }
  if (spec.actions.empty()) return Status::InvalidArgument(where + ": the rule has no actions");
  if (spec.for_ms < 0 || spec.cooldown_ms.value_or(0) < 0) {
    return Status::InvalidArgument(where + ": for and cooldown must not be negative");
  }
  if (spec.window_ms && *spec.window_ms <= 0) {
    return Status::InvalidArgument(where + ": window must be positive");
  }
  if (spec.max_actions_per_hour && *spec.max_actions_per_hour < 1) {
    return Status::InvalidArgument(where + ": max_actions_per_hour must be at least 1");
  }
  return Status::Ok();
}

Result<CompiledTuningRule> CompileRule(const TuningRuleSpec& spec, const TuningOptions& o) {
  const std::string where = Where(spec);
  if (Status st = CheckSpec(spec, where); !st.ok()) return st;
  Result<ParsedExpr> trigger = ParseExpr(spec.expr);
  if (!trigger.ok()) {
    return Status::InvalidArgument(where + ": expr: " + trigger.status().message());
  }
  CompiledTuningRule rule{.spec = spec, .trigger = std::move(*trigger), .metric = std::nullopt};
  if (!spec.metric.empty()) {
    Result<ParsedExpr> metric = ParseExpr(spec.metric);
    if (!metric.ok()) {
      return Status::InvalidArgument(where + ": metric: " + metric.status().message());
    }
    rule.metric = std::move(*metric);
  } else {
    rule.metric = rule.trigger.comparison_operand();
  }
  rule.worse =
      spec.worse_direction != 0 ? spec.worse_direction : rule.trigger.comparison_direction();
  if (!rule.metric) rule.worse = 0;
  rule.cooldown_ms = spec.cooldown_ms.value_or(o.default_cooldown_ms);
  rule.window_ms = spec.window_ms.value_or(o.default_window_ms);
  rule.max_per_hour = spec.max_actions_per_hour.value_or(o.default_max_actions_per_hour);
  rule.rollback = spec.rollback.value_or(o.default_rollback);
  return rule;
}

}  // namespace

std::string FormatNumber(double v) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.6g", v);
  return buf;
}

std::string FormatValue(TunableSpec::Kind kind, double v) {
  if (kind == TunableSpec::Kind::kBool) return v != 0 ? "true" : "false";
  return FormatNumber(v);
}

Labels WithoutName(const Labels& labels) {
  std::vector<Label> kept;
  for (const Label& l : labels) {
    if (l.name != "__name__") kept.push_back(l);
  }
  Result<Labels> made = Labels::Make(std::move(kept));
  return made.ok() ? *made : Labels{};
}

Status TuningEngine::Impl::Compile(std::vector<TuningRuleSpec> specs) {
  std::set<std::string> names;
  for (TuningRuleSpec& spec : specs) {
    if (!spec.enabled) continue;
    if (!names.insert(spec.name).second) {
      return Status::InvalidArgument(Where(spec) + ": another rule has the name " + spec.name);
    }
    Result<CompiledTuningRule> rule = CompileRule(spec, options);
    if (!rule.ok()) return rule.status();
    rules.push_back(std::move(*rule));
  }
  runtime.resize(rules.size());
  return Status::Ok();
}

// Cooldowns, caps, the "skipped" memory and the last emergency from the
// audit; rows a previous run left unfinished become "interrupted".
Status TuningEngine::Impl::Restore() {
  TuningAuditFilter filter;
  filter.limit = kRestoreRows;
  Result<std::vector<TuningRecord>> rows = db.Audit(filter);
  if (!rows.ok()) return rows.status();
  std::set<std::tuple<std::string, std::string, std::string>> seen;
  for (const TuningRecord& row : *rows) {  // newest first
    if (row.emergency && last_emergency_ms == 0) last_emergency_ms = row.t_ms;
    auto key = std::make_tuple(row.rule, row.app, row.tunable);
    if (seen.insert(key).second && row.outcome == "skipped" && row.before) {
      skipped[key] = *row.before;
    }
    if (row.outcome == "skipped") continue;
    Throttle& t = throttles[{row.rule, row.app}];
    t.last_decision_ms = std::max(t.last_decision_ms, row.t_ms);  // a rollback restarts it
    if (row.action == "rollback") continue;
    // One decision may have written several rows (one per action) at one time.
    if (t.hour.empty() || t.hour.front() != row.t_ms) t.hour.push_front(row.t_ms);
  }
  Result<std::vector<TuningRecord>> unfinished = db.Unfinished();
  if (!unfinished.ok()) return unfinished.status();
  for (TuningRecord& row : *unfinished) {
    if (row.outcome == "pending") {
      row.outcome = "failed";
      row.error = "perfwatch stopped before the change was confirmed";
    }
    row.verdict = "interrupted";
    if (Status st = db.Update(row); !st.ok()) return st;
  }
  return Status::Ok();
}

void TuningEngine::Impl::Tick(TimestampMs at, bool poor) {
  const bool answered = CollectDone(at);
  if (last_evaluation_ms != 0 && at - last_evaluation_ms < options.interval_ms) {
    if (answered) Publish(at);
    return;
  }
  last_evaluation_ms = at;
  for (size_t r = 0; r < rules.size(); ++r) SampleMetric(r, at);
  AccumulateEffects(at);
  JudgeDue(at);
  CountPoor(at, poor);
  for (size_t r = 0; r < rules.size(); ++r) EvaluateTrigger(r, at);
  Publish(at);
  if (at - last_prune_ms >= kHourMs) {
    last_prune_ms = at;
    // A failed prune is retried next hour; the audit only grows meanwhile.
    (void)db.Prune(at);
  }
}

void TuningEngine::Impl::EvaluateTrigger(size_t r, TimestampMs at) {
  const CompiledTuningRule& rule = rules[r];
  RuleRuntime& rt = runtime[r];
  Result<QueryValue> value = perfwatch::Evaluate(rule.trigger, source, at);
  if (value.ok() && value->kind != QueryValue::Kind::kVector) {
    value =
        Status::InvalidArgument("the expression returns a scalar; a tuning rule needs a vector");
  }
  if (!value.ok()) {  // a failed evaluation says nothing about pending series
    rt.health = "err";
    rt.last_error = value.status().message();
    return;
  }
  rt.health = "ok";
  rt.last_error.clear();
  rt.last_value = value->vector.empty() ? 0 : value->vector.front().value;
  std::map<std::string, TriggerSeries> now;
  for (VectorSample& s : value->vector) {
    std::string key = s.labels.ToString();
    auto old = rt.series.find(key);
    TimestampMs since = old == rt.series.end() ? at : old->second.since_ms;
    now.emplace(std::move(key), TriggerSeries{std::move(s.labels), s.value, since});
  }
  rt.series = std::move(now);
  for (const auto& [key, series] : rt.series) {
    if (at - series.since_ms >= rule.spec.for_ms) Fire(r, series, at);
  }
}

TuningRuleStatus TuningEngine::Impl::StatusOf(size_t r, TimestampMs at) const {
  const CompiledTuningRule& rule = rules[r];
  const RuleRuntime& rt = runtime[r];
  TuningRuleStatus s;
  s.spec = rule.spec;
  // The values in force, so a reader never has to know the defaults.
  s.spec.cooldown_ms = rule.cooldown_ms;
  s.spec.window_ms = rule.window_ms;
  s.spec.max_actions_per_hour = rule.max_per_hour;
  s.spec.rollback = rule.rollback;
  if (s.spec.worse_direction == 0) s.spec.worse_direction = rule.worse;
  s.health = rt.health;
  s.last_error = rt.last_error;
  s.last_value = rt.last_value;
  for (const auto& [key, series] : rt.series) {
    if (at - series.since_ms >= rule.spec.for_ms) continue;
    if (s.pending_since_ms == 0 || series.since_ms < s.pending_since_ms) {
      s.pending_since_ms = series.since_ms;
    }
  }
  // The map is ordered by (rule, app): only this rule's range is walked.
  for (auto it = throttles.lower_bound({rule.spec.name, std::string()});
       it != throttles.end() && it->first.first == rule.spec.name; ++it) {
    const Throttle& t = it->second;
    if (t.last_decision_ms == 0) continue;
    s.last_decision_ms = std::max(s.last_decision_ms, t.last_decision_ms);
    s.cooldown_until_ms = std::max(s.cooldown_until_ms, t.last_decision_ms + rule.cooldown_ms);
    s.decisions_last_hour += static_cast<int>(std::count_if(
        t.hour.begin(), t.hour.end(), [&](TimestampMs d) { return d > at - kHourMs; }));
  }
  const bool evaluating = std::any_of(open.begin(), open.end(), [&](const auto& entry) {
    return entry.second.rule == r && entry.second.record.verdict == "pending";
  });
  if (evaluating) {
    s.state = "evaluating";
  } else if (s.cooldown_until_ms > at) {
    s.state = "cooldown";
  } else if (s.pending_since_ms != 0) {
    s.state = "pending";
  }
  return s;
}

void TuningEngine::Impl::Publish(TimestampMs at) {
  std::vector<TuningRuleStatus> next;
  next.reserve(rules.size());
  for (size_t r = 0; r < rules.size(); ++r) next.push_back(StatusOf(r, at));
  TuningState st;
  st.enabled = options.enabled;
  st.dry_run = options.dry_run;
  st.emergency = emergency;
  st.emergency_since_ms = emergency_since_ms;
  st.consecutive_poor = consecutive_poor;
  st.emergency_after = options.emergency_after;
  st.last_evaluation_ms = last_evaluation_ms;
  std::lock_guard lock(mu);
  status = std::move(next);
  state = st;
}

TuningEngine::TuningEngine(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
TuningEngine::~TuningEngine() = default;

Result<std::unique_ptr<TuningEngine>> TuningEngine::Open(
    TuningOptions options, std::vector<TuningRuleSpec> rules, const SeriesSource& source,
    TunableRegistry& registry, TuningDb& db, TuningActuator& actuator, TuningEventFn events) {
  if (options.interval_ms <= 0 || options.emergency_after < 1) {
    return Status::InvalidArgument("tuning: interval must be positive, emergency_after at least 1");
  }
  auto impl = std::make_unique<Impl>(options, source, registry, db, actuator, std::move(events));
  if (Status st = impl->Compile(std::move(rules)); !st.ok()) return st;
  if (Status st = impl->Restore(); !st.ok()) {
    return Status::IOError("tuning: restoring from the audit: " + st.message());
  }
  // Until the first evaluation, the status is as of the wall clock, the
  // time base Evaluate is called with.
  impl->Publish(std::chrono::duration_cast<std::chrono::milliseconds>(
                    std::chrono::system_clock::now().time_since_epoch())
                    .count());
  return std::unique_ptr<TuningEngine>(new TuningEngine(std::move(impl)));
}

std::vector<std::pair<const SeriesSelector*, int64_t>> TuningEngine::RangeNeeds() const {
  std::vector<std::pair<const SeriesSelector*, int64_t>> out;
  for (const CompiledTuningRule& rule : impl_->rules) {
    for (const auto& need : rule.trigger.selector_ranges()) out.push_back(need);
    if (!rule.metric) continue;
    for (const auto& need : rule.metric->selector_ranges()) out.push_back(need);
  }
  return out;
}

void TuningEngine::Evaluate(TimestampMs at_ms, bool poor) {
  if (!impl_->options.enabled) return;
  impl_->Tick(at_ms, poor);
}

std::vector<TuningRuleStatus> TuningEngine::Rules() const {
  std::lock_guard lock(impl_->mu);
  return impl_->status;
}

TuningState TuningEngine::State() const {
  std::lock_guard lock(impl_->mu);
  return impl_->state;
}

}  // namespace perfwatch
