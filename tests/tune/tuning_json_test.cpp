// The tuning routes' bodies, parsed back with nlohmann::json and compared
// field by field, plus the exact text of the choices a client sees
// (integers without ".0", true/false for bool tunables, null for absent).

#include "tune/tuning_json.h"

#include <gtest/gtest.h>

#include <limits>
#include <nlohmann/json.hpp>

namespace perfwatch {
namespace {

using json = nlohmann::json;

constexpr TimestampMs kT = 1'714'564'800'000;  // 2024-05-01T12:00:00Z

Tunable CacheSize() {
  Tunable t;
  t.spec.app = "shop";
  t.spec.name = "cache.size";
  t.spec.value = 700;
  t.spec.min = 100;
  t.spec.max = 5000;
  t.spec.step = 1;
  t.spec.unit = "items";
  t.spec.description = "LRU entries \"max\"";
  t.spec.webhook = "http://127.0.0.1:9096/tune";
  t.spec.hooks = {"cache_warmup", "memory_cleanup"};
  t.registered_ms = kT;
  t.seen_ms = kT + 5250;
  TunableChange reg;
  reg.t_ms = kT;
  reg.previous = 1000;
  reg.value = 1000;
  reg.outcome = "registered";
  TunableChange applied;
  applied.id = 12;
  applied.t_ms = kT + 60'000;
  applied.previous = 1000;
  applied.value = 700;
  applied.outcome = "applied";
  applied.rule = "MemoryOptimization";
  applied.reason = "system_memory_used_percent = 91.2 > 85 for 30s";
  t.history = {reg, applied};
  return t;
}

Tunable AsyncEnabled() {
  Tunable t;
  t.spec.app = "shop";
  t.spec.name = "async.enabled";
  t.spec.kind = TunableSpec::Kind::kBool;
  t.spec.value = 1;
  t.registered_ms = kT;
  t.seen_ms = kT;
  TunableChange c;
  c.id = 3;
  c.t_ms = kT + 1;
  c.previous = 0;
  c.value = 1;
  c.outcome = "applied";
  t.history = {c};
  return t;
}

TEST(TuningJson, ATunableHasEveryFieldWithIntegersAndNulls) {
  const std::string text = TunableJson(CacheSize());
  // Whole numbers are written as integers.
  EXPECT_NE(text.find("\"value\":700,"), std::string::npos) << text;
  EXPECT_NE(text.find("\"min\":100,\"max\":5000,\"step\":1,"), std::string::npos) << text;
  EXPECT_EQ(text.find(".0,"), std::string::npos) << text;
  const json j = json::parse(text);
  EXPECT_EQ(j["app"], "shop");
  EXPECT_EQ(j["name"], "cache.size");
  EXPECT_EQ(j["kind"], "number");
  EXPECT_EQ(j["value"], 700);
  EXPECT_TRUE(j["allowed"].is_array());
  EXPECT_TRUE(j["allowed"].empty());
  EXPECT_EQ(j["unit"], "items");
  EXPECT_EQ(j["description"], "LRU entries \"max\"");
  EXPECT_EQ(j["webhook"], "http://127.0.0.1:9096/tune");
  EXPECT_EQ(j["hooks"], json({"cache_warmup", "memory_cleanup"}));
  EXPECT_EQ(j["registered"], "2024-05-01T12:00:00.000Z");
  EXPECT_EQ(j["seen"], "2024-05-01T12:00:05.250Z");
  ASSERT_EQ(j["history"].size(), 2u);
  EXPECT_TRUE(j["history"][0]["id"].is_null());  // a registration has no audit row
  EXPECT_EQ(j["history"][0]["outcome"], "registered");
  EXPECT_EQ(j["history"][1]["id"], 12);
  EXPECT_EQ(j["history"][1]["time"], "2024-05-01T12:01:00.000Z");
  EXPECT_EQ(j["history"][1]["previous"], 1000);
  EXPECT_EQ(j["history"][1]["value"], 700);
  EXPECT_EQ(j["history"][1]["rule"], "MemoryOptimization");
  EXPECT_EQ(j["history"][1]["reason"], "system_memory_used_percent = 91.2 > 85 for 30s");
}

TEST(TuningJson, ABoolTunableIsTrueOrFalseWithNullLimits) {
  const json j = json::parse(TunableJson(AsyncEnabled()));
  EXPECT_EQ(j["kind"], "bool");
  EXPECT_EQ(j["value"], true);
  EXPECT_TRUE(j["min"].is_null());
  EXPECT_TRUE(j["max"].is_null());
  EXPECT_TRUE(j["step"].is_null());
  EXPECT_EQ(j["history"][0]["previous"], false);
  EXPECT_EQ(j["history"][0]["value"], true);
}

TEST(TuningJson, FractionsAndAllowedValuesKeepTheirKind) {
  Tunable t = CacheSize();
  t.spec.value = 0.25;
  t.spec.min.reset();
  t.spec.step = 0;
  t.spec.allowed = {0.25, 0.5, 2};
  t.history.clear();
  t.seen_ms = 0;
  const std::string text = TunableJson(t);
  EXPECT_NE(text.find("\"allowed\":[0.25,0.5,2]"), std::string::npos) << text;
  const json j = json::parse(text);
  EXPECT_DOUBLE_EQ(j["value"].get<double>(), 0.25);
  EXPECT_TRUE(j["min"].is_null());
  EXPECT_TRUE(j["step"].is_null());
  EXPECT_TRUE(j["seen"].is_null());
  EXPECT_TRUE(j["history"].empty());
}

TEST(TuningJson, TunablesAreAPrometheusStyleEnvelope) {
  const json j = json::parse(TunablesJson({CacheSize(), AsyncEnabled()}));
  EXPECT_EQ(j["status"], "success");
  ASSERT_EQ(j["data"].size(), 2u);
  EXPECT_EQ(j["data"][1]["name"], "async.enabled");
  EXPECT_EQ(json::parse(TunablesJson({})), json::parse(R"({"status":"success","data":[]})"));
}

TEST(TuningJson, HistoryRecordsNullWhatIsAbsent) {
  TuningRecord applied;
  applied.id = 7;
  applied.t_ms = kT;
  applied.rule = "MemoryOptimization";
  applied.action = "scale";
  applied.description = "scale 0.7 shop/cache.size";
  applied.app = "shop";
  applied.tunable = "cache.size";
  applied.before = 1000;
  applied.after = 700;
  applied.outcome = "applied";
  applied.reason = "system_memory_used_percent = 91.2 > 85 for 30s";
  applied.verdict = "improved";
  applied.metric = "system_memory_used_percent{}";
  applied.metric_before = 91.25;
  applied.metric_after = 80;
  applied.evaluated_ms = kT + 60'000;
  TuningRecord rollback;
  rollback.id = 8;
  rollback.t_ms = kT + 1;
  rollback.rule = "R";
  rollback.action = "rollback";
  rollback.emergency = true;
  rollback.rollback_of = 7;
  rollback.outcome = "failed";
  rollback.error = "connection refused";
  TuningRecord exec;
  exec.id = 9;
  exec.action = "exec";
  exec.metric_before = std::numeric_limits<double>::quiet_NaN();
  const std::string text = TuningHistoryJson({applied, rollback, exec});
  EXPECT_NE(text.find("\"before\":1000,\"after\":700,"), std::string::npos) << text;
  const json j = json::parse(text);
  EXPECT_EQ(j["status"], "success");
  ASSERT_EQ(j["data"].size(), 3u);
  const json& a = j["data"][0];
  for (const char* key : {"id", "time", "rule", "action", "description", "app", "tunable", "before",
                          "after", "outcome", "error", "reason", "emergency", "rollback_of",
                          "verdict", "metric", "metric_before", "metric_after", "evaluated"}) {
    EXPECT_TRUE(a.contains(key)) << key;
  }
  EXPECT_EQ(a.size(), 19u);
  EXPECT_EQ(a["id"], 7);
  EXPECT_EQ(a["time"], "2024-05-01T12:00:00.000Z");
  EXPECT_EQ(a["description"], "scale 0.7 shop/cache.size");
  EXPECT_EQ(a["emergency"], false);
  EXPECT_TRUE(a["rollback_of"].is_null());
  EXPECT_DOUBLE_EQ(a["metric_before"].get<double>(), 91.25);
  EXPECT_EQ(a["metric_after"], 80);
  EXPECT_EQ(a["evaluated"], "2024-05-01T12:01:00.000Z");
  const json& r = j["data"][1];
  EXPECT_EQ(r["rollback_of"], 7);
  EXPECT_EQ(r["emergency"], true);
  EXPECT_EQ(r["error"], "connection refused");
  EXPECT_TRUE(r["before"].is_null());
  EXPECT_TRUE(r["after"].is_null());
  EXPECT_TRUE(r["evaluated"].is_null());
  EXPECT_EQ(r["verdict"], "n/a");
  EXPECT_TRUE(j["data"][2]["metric_before"].is_null());  // NaN has no JSON spelling
  EXPECT_TRUE(j["data"][2]["time"].is_null());
}

TEST(TuningJson, RulesCarryTheStateAndEachRulesStatus) {
  TuningState state;
  state.enabled = true;
  state.dry_run = true;
  state.emergency = true;
  state.emergency_since_ms = kT;
  state.consecutive_poor = 6;
  state.emergency_after = 5;
  state.last_evaluation_ms = kT + 10'000;
  TuningRuleStatus user;
  user.spec.name = "ShrinkCache";
  user.spec.expr = "system_memory_used_percent > 85";
  user.spec.for_ms = 10'000;
  user.spec.cooldown_ms = 300'000;
  user.spec.window_ms = 1500;
  user.spec.worse_direction = -1;
  user.spec.source = "perfwatch.yaml:3";
  TuningAction scale;
  scale.kind = TuningAction::Kind::kScale;
  scale.factor = 0.7;
  scale.tunable = "shop/cache.size";
  TuningAction hook;
  hook.kind = TuningAction::Kind::kHook;
  hook.hook = "memory_cleanup";
  user.spec.actions = {scale, hook};
  user.health = "ok";
  user.state = "cooldown";
  user.last_decision_ms = kT;
  user.cooldown_until_ms = kT + 300'000;
  user.decisions_last_hour = 1;
  user.last_value = 91.5;
  TuningRuleStatus builtin;
  builtin.spec.name = "CachePerformanceOptimization";
  builtin.spec.builtin = true;
  builtin.spec.max_actions_per_hour = 4;
  builtin.spec.rollback = false;
  builtin.spec.source = "built-in";
  builtin.health = "err";
  builtin.last_error = "no series";
  builtin.last_value = std::numeric_limits<double>::infinity();

  const json j = json::parse(TuningRulesJson(state, {user, builtin}));
  EXPECT_EQ(j["status"], "success");
  const json& s = j["data"]["state"];
  EXPECT_EQ(s, json::parse(R"({"enabled":true,"dry_run":true,"emergency":true,
      "emergency_since":"2024-05-01T12:00:00.000Z","consecutive_poor":6,"emergency_after":5,
      "last_evaluation":"2024-05-01T12:00:10.000Z"})"));
  ASSERT_EQ(j["data"]["rules"].size(), 2u);
  const json& u = j["data"]["rules"][0];
  EXPECT_EQ(u["name"], "ShrinkCache");
  EXPECT_EQ(u["expr"], "system_memory_used_percent > 85");
  EXPECT_EQ(u["for"], 10);
  EXPECT_EQ(u["cooldown"], 300);
  EXPECT_DOUBLE_EQ(u["window"].get<double>(), 1.5);
  EXPECT_TRUE(u["max_actions_per_hour"].is_null());  // the default applies
  EXPECT_TRUE(u["rollback"].is_null());
  EXPECT_EQ(u["worse"], "lower");
  EXPECT_EQ(u["actions"], json({scale.Describe(), hook.Describe()}));
  EXPECT_EQ(u["builtin"], false);
  EXPECT_EQ(u["source"], "perfwatch.yaml:3");
  EXPECT_EQ(u["health"], "ok");
  EXPECT_EQ(u["state"], "cooldown");
  EXPECT_TRUE(u["pending_since"].is_null());
  EXPECT_EQ(u["last_decision"], "2024-05-01T12:00:00.000Z");
  EXPECT_EQ(u["cooldown_until"], "2024-05-01T12:05:00.000Z");
  EXPECT_EQ(u["decisions_last_hour"], 1);
  EXPECT_DOUBLE_EQ(u["last_value"].get<double>(), 91.5);
  const json& b = j["data"]["rules"][1];
  EXPECT_EQ(b["builtin"], true);
  EXPECT_EQ(b["max_actions_per_hour"], 4);
  EXPECT_EQ(b["rollback"], false);
  EXPECT_TRUE(b["cooldown"].is_null());
  EXPECT_TRUE(b["worse"].is_null());
  EXPECT_EQ(b["for"], 0);
  EXPECT_EQ(b["health"], "err");
  EXPECT_EQ(b["last_error"], "no series");
  EXPECT_TRUE(b["last_value"].is_null());
  EXPECT_TRUE(b["actions"].empty());
}

}  // namespace
}  // namespace perfwatch
