#include "tune/tuning_json.h"

#include <cmath>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>

// RFC 3339 with milliseconds, as the alert routes write times.
#include "alert/silence.h"

namespace perfwatch {
namespace {

// Keys in the order docs/API.md shows them.
using Json = nlohmann::ordered_json;

// Whole numbers as integers ("1000", not "1000.0"); NaN and infinities have
// no JSON spelling and become null.
Json Number(double v) {
  if (!std::isfinite(v)) return nullptr;
  constexpr double kExactInt = 9007199254740992.0;  // 2^53
  if (v == std::trunc(v) && std::abs(v) < kExactInt) return static_cast<int64_t>(v);
  return v;
}

Json Number(const std::optional<double>& v) { return v ? Number(*v) : Json(nullptr); }

// A bool tunable's value as true/false (it holds 0 or 1).
Json Value(const TunableSpec& spec, double v) {
  if (spec.kind == TunableSpec::Kind::kBool) return v >= 0.5;
  return Number(v);
}

// 0 is "never" or "not yet".
Json Time(TimestampMs t_ms) { return t_ms > 0 ? Json(FormatRfc3339Ms(t_ms)) : Json(nullptr); }

Json Seconds(int64_t ms) { return Number(static_cast<double>(ms) / 1000.0); }

Json Seconds(const std::optional<int64_t>& ms) { return ms ? Seconds(*ms) : Json(nullptr); }

Json Id(int64_t id) { return id > 0 ? Json(id) : Json(nullptr); }

std::string Dump(const Json& j) { return j.dump(-1, ' ', false, Json::error_handler_t::replace); }

Json ChangeObject(const TunableSpec& spec, const TunableChange& c) {
  Json j;
  j["id"] = Id(c.id);
  j["time"] = Time(c.t_ms);
  j["previous"] = Value(spec, c.previous);
  j["value"] = Value(spec, c.value);
  j["outcome"] = c.outcome;
  j["rule"] = c.rule;
  j["reason"] = c.reason;
  return j;
}

Json TunableObject(const Tunable& t) {
  const TunableSpec& s = t.spec;
  Json j;
  j["app"] = s.app;
  j["name"] = s.name;
  j["kind"] = s.kind == TunableSpec::Kind::kBool ? "bool" : "number";
  j["value"] = Value(s, s.value);
  j["min"] = Number(s.min);
  j["max"] = Number(s.max);
  j["step"] = s.step > 0 ? Number(s.step) : Json(nullptr);
  Json allowed = Json::array();
  for (double v : s.allowed) allowed.push_back(Value(s, v));
  j["allowed"] = std::move(allowed);
  j["unit"] = s.unit;
  j["description"] = s.description;
  j["webhook"] = s.webhook;
  j["hooks"] = s.hooks;
  j["registered"] = Time(t.registered_ms);
  j["seen"] = Time(t.seen_ms);
  Json history = Json::array();
  for (const TunableChange& c : t.history) history.push_back(ChangeObject(s, c));
  j["history"] = std::move(history);
  return j;
}

Json RecordObject(const TuningRecord& r) {
  Json j;
  j["id"] = r.id;
  j["time"] = Time(r.t_ms);
  j["rule"] = r.rule;
  j["action"] = r.action;
  j["description"] = r.description;
  j["app"] = r.app;
  j["tunable"] = r.tunable;
  j["before"] = Number(r.before);
  j["after"] = Number(r.after);
  j["outcome"] = r.outcome;
  j["error"] = r.error;
  j["reason"] = r.reason;
  j["emergency"] = r.emergency;
  j["rollback_of"] = Id(r.rollback_of);
  j["verdict"] = r.verdict;
  j["metric"] = r.metric;
  j["metric_before"] = Number(r.metric_before);
  j["metric_after"] = Number(r.metric_after);
  j["evaluated"] = Time(r.evaluated_ms);
  return j;
}

Json RuleObject(const TuningRuleStatus& status) {
  const TuningRuleSpec& r = status.spec;
  Json j;
  j["name"] = r.name;
  j["expr"] = r.expr;
  j["for"] = Seconds(r.for_ms);
  j["cooldown"] = Seconds(r.cooldown_ms);
  j["max_actions_per_hour"] =
      r.max_actions_per_hour ? Json(*r.max_actions_per_hour) : Json(nullptr);
  j["rollback"] = r.rollback ? Json(*r.rollback) : Json(nullptr);
  j["window"] = Seconds(r.window_ms);
  j["metric"] = r.metric;
  j["worse"] = r.worse_direction > 0   ? Json("higher")
               : r.worse_direction < 0 ? Json("lower")
                                       : Json(nullptr);
  Json actions = Json::array();
  for (const TuningAction& a : r.actions) actions.push_back(a.Describe());
  j["actions"] = std::move(actions);
  j["builtin"] = r.builtin;
  j["source"] = r.source;
  j["health"] = status.health;
  j["last_error"] = status.last_error;
  j["state"] = status.state;
  j["pending_since"] = Time(status.pending_since_ms);
  j["last_decision"] = Time(status.last_decision_ms);
  j["cooldown_until"] = Time(status.cooldown_until_ms);
  j["decisions_last_hour"] = status.decisions_last_hour;
  j["last_value"] = Number(status.last_value);
  return j;
}

Json StateObject(const TuningState& s) {
  Json j;
  j["enabled"] = s.enabled;
  j["dry_run"] = s.dry_run;
  j["emergency"] = s.emergency;
  j["emergency_since"] = Time(s.emergency_since_ms);
  j["consecutive_poor"] = s.consecutive_poor;
  j["emergency_after"] = s.emergency_after;
  j["last_evaluation"] = Time(s.last_evaluation_ms);
  return j;
}

Json Success(Json data) {
  Json j;
  j["status"] = "success";
  j["data"] = std::move(data);
  return j;
}

}  // namespace

std::string TunableJson(const Tunable& tunable) { return Dump(TunableObject(tunable)); }

std::string TunablesJson(const std::vector<Tunable>& tunables) {
  Json data = Json::array();
  for (const Tunable& t : tunables) data.push_back(TunableObject(t));
  return Dump(Success(std::move(data)));
}

std::string TuningHistoryJson(const std::vector<TuningRecord>& records) {
  Json data = Json::array();
  for (const TuningRecord& r : records) data.push_back(RecordObject(r));
  return Dump(Success(std::move(data)));
}

std::string TuningRulesJson(const TuningState& state, const std::vector<TuningRuleStatus>& rules) {
  Json list = Json::array();
  for (const TuningRuleStatus& r : rules) list.push_back(RuleObject(r));
  Json data;
  data["state"] = StateObject(state);
  data["rules"] = std::move(list);
  return Dump(Success(std::move(data)));
}

}  // namespace perfwatch
