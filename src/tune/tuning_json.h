#pragma once
// JSON bodies of the tuning routes (docs/API.md). Pure functions;
// thread-safe. Times are RFC 3339 in UTC with milliseconds, null when 0
// (never); durations ("for", "cooldown", "window") are seconds; whole
// numbers are written without a fraction; NaN, infinities and unset
// optionals (a rule's cooldown when it takes the default, a record's
// before/after, rollback_of 0) are null.
//
//   Tunable:  {"app","name","kind":"number"|"bool","value","min","max",
//              "step","allowed","unit","description","webhook","hooks",
//              "registered","seen" (RFC 3339),
//              "history":[{"id","time","previous","value","outcome","rule",
//                          "reason"}]}
//   (bool values as true/false; absent min/max/step as null; a history
//   entry's id is the audit row, null for a registration)
//   Record:   {"id","time","rule","action","description","app","tunable",
//              "before","after","outcome","error","reason","emergency",
//              "rollback_of","verdict","metric","metric_before",
//              "metric_after","evaluated"}
//   Rule:     {"name","expr","for","cooldown","max_actions_per_hour",
//              "rollback","window","metric","worse" ("higher"|"lower"|null),
//              "actions":[descriptions],
//              "builtin","source","health","last_error","state",
//              "pending_since","last_decision","cooldown_until",
//              "decisions_last_hour","last_value"}
//   State:    {"enabled","dry_run","emergency","emergency_since",
//              "consecutive_poor","emergency_after","last_evaluation"}

#include <string>
#include <vector>

#include "tune/engine.h"
#include "tune/tunable.h"
#include "tune/tuning_db.h"

namespace perfwatch {

std::string TunableJson(const Tunable& tunable);
// {"status":"success","data":[Tunable...]}
std::string TunablesJson(const std::vector<Tunable>& tunables);
// {"status":"success","data":[Record...]}
std::string TuningHistoryJson(const std::vector<TuningRecord>& records);
// {"status":"success","data":{"state":State,"rules":[Rule...]}}
std::string TuningRulesJson(const TuningState& state, const std::vector<TuningRuleStatus>& rules);

}  // namespace perfwatch
