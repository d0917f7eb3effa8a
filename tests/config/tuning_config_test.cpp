// The `tuning:` section: both forms, every action kind, every error with
// its line, and the tuning.* ranges.

#include <gtest/gtest.h>

#include <limits>
#include <map>
#include <string>

#include "config/config.h"

namespace perfwatch {
namespace {

TEST(TuningConfig, ReadsTheIssuesListFormAsWritten) {
  Config c;
  Status st = ApplyYaml(R"(
tuning:
  - name: ShrinkCacheOnMemoryPressure
    expr: system_memory_used_percent > 85
    for: 10s
    action: {tunable: shop/cache.size, scale: 0.7}
    cooldown: 5m
)",
                        "perfwatch.yaml", c);
  ASSERT_TRUE(st.ok()) << st.message();
  ASSERT_EQ(c.tuning.rules.size(), 1u);
  const TuningRuleSpec& r = c.tuning.rules[0];
  EXPECT_EQ(r.name, "ShrinkCacheOnMemoryPressure");
  EXPECT_EQ(r.expr, "system_memory_used_percent > 85");
  EXPECT_EQ(r.for_ms, 10'000);
  EXPECT_EQ(r.cooldown_ms, 300'000);
  EXPECT_FALSE(r.max_actions_per_hour.has_value());
  EXPECT_FALSE(r.rollback.has_value());
  EXPECT_FALSE(r.window_ms.has_value());
  EXPECT_TRUE(r.enabled);
  EXPECT_FALSE(r.builtin);
  EXPECT_EQ(r.source, "perfwatch.yaml:3");
  ASSERT_EQ(r.actions.size(), 1u);
  EXPECT_EQ(r.actions[0].kind, TuningAction::Kind::kScale);
  EXPECT_EQ(r.actions[0].tunable, "shop/cache.size");
  EXPECT_DOUBLE_EQ(r.actions[0].factor, 0.7);
  // The settings keep their defaults.
  EXPECT_TRUE(c.tuning.enabled);
  EXPECT_EQ(c.tuning.interval_ms, 10'000);
  EXPECT_TRUE(Validate(c).ok()) << Validate(c).message();
}

TEST(TuningConfig, ReadsTheMapFormWithEverySetting) {
  Config c;
  Status st = ApplyYaml(R"(
tuning:
  enabled: false
  dry_run: true
  interval: 5s
  cooldown: 2m
  max_actions_per_hour: 3
  window: 30s
  rollback: false
  worse_tolerance: 0.1
  emergency_after: 7
  builtin_rules: false
  memory_percent: 90
  response_time_ms: 800
  cache_hit_rate_percent: 40.5
  for: 1m
  rules:
    - name: MoreWorkers
      expr: app_response_time_avg_seconds{app="shop"} > 0.5
      actions:
        - {tunable: pool.size, scale: "+50%"}
        - {hook: move_heavy_to_background}
      max_actions_per_hour: 2
      rollback: true
      window: 2m
      metric: app_response_time_avg_seconds
      worse: higher
)",
                        "f.yaml", c);
  ASSERT_TRUE(st.ok()) << st.message();
  const TuningConfig& t = c.tuning;
  EXPECT_FALSE(t.enabled);
  EXPECT_TRUE(t.dry_run);
  EXPECT_EQ(t.interval_ms, 5000);
  EXPECT_EQ(t.cooldown_ms, 120'000);
  EXPECT_EQ(t.max_actions_per_hour, 3);
  EXPECT_EQ(t.window_ms, 30'000);
  EXPECT_FALSE(t.rollback);
  EXPECT_DOUBLE_EQ(t.worse_tolerance, 0.1);
  EXPECT_EQ(t.emergency_after, 7);
  EXPECT_FALSE(t.builtin_rules);
  EXPECT_DOUBLE_EQ(t.memory_percent, 90);
  EXPECT_DOUBLE_EQ(t.response_time_ms, 800);
  EXPECT_DOUBLE_EQ(t.cache_hit_rate_percent, 40.5);
  EXPECT_EQ(t.builtin_for_ms, 60'000);
  ASSERT_EQ(t.rules.size(), 1u);
  const TuningRuleSpec& r = t.rules[0];
  EXPECT_EQ(r.source, "f.yaml:18");
  EXPECT_EQ(r.for_ms, 0);
  EXPECT_FALSE(r.cooldown_ms.has_value());
  EXPECT_EQ(r.max_actions_per_hour, 2);
  EXPECT_EQ(r.rollback, true);
  EXPECT_EQ(r.window_ms, 120'000);
  EXPECT_EQ(r.metric, "app_response_time_avg_seconds");
  EXPECT_EQ(r.worse_direction, 1);
  ASSERT_EQ(r.actions.size(), 2u);
  EXPECT_DOUBLE_EQ(r.actions[0].factor, 1.5);
  EXPECT_EQ(r.actions[0].tunable, "pool.size");
  EXPECT_EQ(r.actions[1].kind, TuningAction::Kind::kHook);
  EXPECT_EQ(r.actions[1].hook, "move_heavy_to_background");
  EXPECT_EQ(r.actions[1].app, "");
  EXPECT_TRUE(Validate(c).ok()) << Validate(c).message();
}

TEST(TuningConfig, ReadsEveryActionKind) {
  Config c;
  Status st = ApplyYaml(R"(
tuning:
  rules:
    - name: Everything
      expr: system_memory_used_percent > 85
      worse: lower
      actions:
        - {tunable: "*/cache.size", scale: "-30%"}
        - {tunable: shop/workers, set: 8}
        - {tunable: shop/async.enabled, set: true}
        - {tunable: shop/compression, set: false}
        - {tunable: async.enabled, toggle: true}
        - {exec: [/usr/local/bin/purge, --all, "two words"], timeout: 30s}
        - {webhook: "http://127.0.0.1:9096/tuning?x=1"}
        - {hook: cache_warmup, app: shop, timeout: 2s}
)",
                        "f.yaml", c);
  ASSERT_TRUE(st.ok()) << st.message();
  ASSERT_EQ(c.tuning.rules.size(), 1u);
  const std::vector<TuningAction>& a = c.tuning.rules[0].actions;
  ASSERT_EQ(a.size(), 8u);
  EXPECT_EQ(c.tuning.rules[0].worse_direction, -1);
  EXPECT_EQ(a[0].kind, TuningAction::Kind::kScale);
  EXPECT_EQ(a[0].tunable, "*/cache.size");
  EXPECT_DOUBLE_EQ(a[0].factor, 0.7);
  EXPECT_EQ(a[1].kind, TuningAction::Kind::kSet);
  EXPECT_DOUBLE_EQ(a[1].value, 8);
  EXPECT_FALSE(a[1].value_is_bool);
  EXPECT_EQ(a[2].kind, TuningAction::Kind::kSet);
  EXPECT_DOUBLE_EQ(a[2].value, 1);
  EXPECT_TRUE(a[2].value_is_bool);
  EXPECT_DOUBLE_EQ(a[3].value, 0);
  EXPECT_TRUE(a[3].value_is_bool);
  EXPECT_EQ(a[4].kind, TuningAction::Kind::kToggle);
  EXPECT_EQ(a[4].tunable, "async.enabled");
  EXPECT_EQ(a[5].kind, TuningAction::Kind::kExec);
  EXPECT_EQ(a[5].argv, (std::vector<std::string>{"/usr/local/bin/purge", "--all", "two words"}));
  EXPECT_EQ(a[5].timeout_ms, 30'000);
  EXPECT_EQ(a[6].kind, TuningAction::Kind::kWebhook);
  EXPECT_EQ(a[6].url, "http://127.0.0.1:9096/tuning?x=1");
  EXPECT_EQ(a[6].timeout_ms, 10'000);
  EXPECT_EQ(a[7].kind, TuningAction::Kind::kHook);
  EXPECT_EQ(a[7].hook, "cache_warmup");
  EXPECT_EQ(a[7].app, "shop");
  EXPECT_EQ(a[7].timeout_ms, 2000);
}

TEST(TuningConfig, ADisabledRuleMayBeJustAName) {
  Config c;
  Status st = ApplyYaml("tuning:\n  - {name: MemoryOptimization, enabled: false}\n", "f.yaml", c);
  ASSERT_TRUE(st.ok()) << st.message();
  ASSERT_EQ(c.tuning.rules.size(), 1u);
  EXPECT_FALSE(c.tuning.rules[0].enabled);
  EXPECT_TRUE(c.tuning.rules[0].actions.empty());
}

TEST(TuningConfig, AnEmptySectionIsNoRules) {
  Config c;
  c.tuning.rules.resize(1);
  ASSERT_TRUE(ApplyYaml("tuning:\n", "f.yaml", c).ok());
  EXPECT_EQ(c.tuning.rules.size(), 1u);  // nothing said, nothing changed
  Status st = ApplyYaml("tuning: []\n", "f.yaml", c);
  ASSERT_TRUE(st.ok()) << st.message();
  EXPECT_TRUE(c.tuning.rules.empty());
}

// Each mistake, the key path it names and its line.
TEST(TuningConfig, EveryErrorNamesTheKeyAndItsLine) {
  struct Case {
    const char* yaml;
    const char* expect;
  };
  const std::string head = "tuning:\n  rules:\n    - name: R\n      expr: x > 1\n";
  const Case cases[] = {
      {"      action: {tunable: a/b, scale: fast}\n",
       "f.yaml: tuning.rules[0].action.scale (line 5): expected a positive factor or a percentage "
       "like \"-30%\", got \"fast\""},
      {"      action: {tunable: a/b, scale: 0}\n",
       "tuning.rules[0].action.scale (line 5): expected a positive factor"},
      {"      action: {tunable: a/b, scale: -100%}\n",
       "tuning.rules[0].action.scale (line 5): expected a positive factor"},
      {"      action: {tunable: a/b, scale: 30%}\n",
       "tuning.rules[0].action.scale (line 5): expected a positive factor"},
      {"      action: {tunable: a/b, scale: 1}\n",
       "tuning.rules[0].action.scale (line 5): \"1\" changes nothing"},
      {"      action: {tunable: a/b, set: lots}\n",
       "tuning.rules[0].action.set (line 5): expected a number, true or false, got \"lots\""},
      {"      action: {tunable: a/b, toggle: false}\n",
       "tuning.rules[0].action.toggle (line 5): expected true"},
      {"      action: {exec: \"rm -rf /tmp/x\"}\n",
       "tuning.rules[0].action.exec (line 5): expected a list (argv)"},
      {"      action: {exec: []}\n",
       "tuning.rules[0].action.exec (line 5): expected a non-empty list (argv)"},
      {"      action: {exec: [\"\", x]}\n",
       "tuning.rules[0].action.exec (line 5): argv[0] (the program) must not be empty"},
      {"      action: {webhook: \"https://example.com/x\"}\n",
       "tuning.rules[0].action.webhook (line 5): "},
      {"      action: {hook: \"clean up\"}\n",
       "tuning.rules[0].action.hook (line 5): expected a name"},
      {"      action: {tunable: a/b}\n",
       "tuning.rules[0].action (line 5): expected one of scale, set, toggle, exec, webhook, hook"},
      {"      action: {scale: 0.5}\n", "tuning.rules[0].action (line 5): scale needs tunable"},
      {"      action: {tunable: a/b, scale: 0.5, set: 3}\n",
       "tuning.rules[0].action.set (line 5): scale and set both given"},
      {"      action: {tunable: a/b, exec: [x]}\n",
       "tuning.rules[0].action.tunable (line 5): goes with scale, set or toggle, not exec"},
      {"      action: {tunable: a/b, scale: 0.5, app: shop}\n",
       "tuning.rules[0].action.app (line 5): goes with hook only"},
      {"      action: {tunable: \"a/b/c\", scale: 0.5}\n",
       "tuning.rules[0].action.tunable (line 5): expected NAME, APP/NAME or */NAME"},
      {"      action: {tunable: a/b, scale: 0.5, colour: red}\n",
       "tuning.rules[0].action.colour (line 5): unknown key"},
      {"      action: {tunable: a/b, scale: 0.5, timeout: 0s}\n",
       "tuning.rules[0].action.timeout (line 5): must be at least 1ms"},
      {"      action: [{tunable: a/b, scale: 0.5}]\n",
       "tuning.rules[0].action (line 5): expected a mapping"},
      {"      actions:\n        - {hook: x}\n        - {tunable: a/b, scale: nope}\n",
       "tuning.rules[0].actions[1].scale (line 7): expected a positive factor"},
      {"      actions: []\n",
       "tuning.rules[0].actions (line 5): expected a non-empty list of actions"},
      {"      action: {hook: x}\n      actions: [{hook: y}]\n",
       "tuning.rules[0].actions (line 6): action and actions both given"},
      {"      action: {hook: x}\n      for: soon\n", "tuning.rules[0].for (line 6): "},
      {"      action: {hook: x}\n      cooldown: -5s\n", "tuning.rules[0].cooldown (line 6): "},
      {"      action: {hook: x}\n      window: 0s\n",
       "tuning.rules[0].window (line 6): must be at least 1ms"},
      {"      action: {hook: x}\n      max_actions_per_hour: 0\n",
       "tuning.rules[0].max_actions_per_hour (line 6): expected a whole number from 1 to 3600"},
      {"      action: {hook: x}\n      rollback: maybe\n",
       "tuning.rules[0].rollback (line 6): expected true or false"},
      {"      action: {hook: x}\n      worse: sideways\n",
       "tuning.rules[0].worse (line 6): expected higher or lower, got \"sideways\""},
      {"      action: {hook: x}\n      metric: \"rate(x)\"\n", "tuning.rules[0].metric (line 6): "},
      {"      action: {hook: x}\n      severity: high\n",
       "tuning.rules[0].severity (line 6): unknown key (expected name, expr"},
      {"      action: {hook: x}\n      for: 1s\n      for: 2s\n",
       "tuning.rules[0].for (line 7): given twice"},
      {"", "tuning.rules[0] (line 3): missing action"},
  };
  for (const Case& k : cases) {
    Config c;
    Status st = ApplyYaml(head + k.yaml, "f.yaml", c);
    ASSERT_FALSE(st.ok()) << k.yaml;
    EXPECT_NE(st.message().find(k.expect), std::string::npos)
        << "got: " << st.message() << "\nwanted: " << k.expect;
  }
  const Case rule_cases[] = {
      {"tuning:\n  - expr: x > 1\n    action: {hook: x}\n", "tuning[0] (line 2): missing name"},
      {"tuning:\n  - name: R\n    action: {hook: x}\n", "tuning[0] (line 2): missing expr"},
      {"tuning:\n  - name: R\n    expr: \"x >\"\n    action: {hook: x}\n",
       "tuning[0].expr (line 3): column"},
      {"tuning:\n  - name: \"\"\n", "tuning[0].name (line 2): must not be empty"},
      {"tuning:\n  - just a string\n", "tuning[0] (line 2): expected a rule"},
      {"tuning: 5\n", "tuning (line 1): expected a list of rules or a mapping of settings"},
      {"tuning:\n  rules: {name: R}\n", "tuning.rules (line 2): expected a list of tuning rules"},
      {"tuning:\n  colour: red\n", "tuning.colour (line 2): unknown key"},
      {"tuning:\n  interval: 50ms\n", "tuning.interval (line 2): "},
      {"tuning:\n  max_actions_per_hour: 0\n", "tuning.max_actions_per_hour (line 2): "},
      {"tuning:\n  emergency_after: 0\n", "tuning.emergency_after (line 2): "},
      {"tuning:\n  worse_tolerance: -0.1\n", "tuning.worse_tolerance (line 2): "},
      {"tuning:\n  memory_percent: inf\n", "tuning.memory_percent (line 2): "},
      {"tuning:\n  - {name: R, expr: x > 1, action: {hook: x}}\n  - {name: R, expr: y > 1, "
       "action: {hook: y}}\n",
       "tuning[1].name (line 3): duplicate rule name \"R\" (first defined at f.yaml:2)"},
  };
  for (const Case& k : rule_cases) {
    Config c;
    Status st = ApplyYaml(k.yaml, "f.yaml", c);
    ASSERT_FALSE(st.ok()) << k.yaml;
    EXPECT_NE(st.message().find(k.expect), std::string::npos)
        << "got: " << st.message() << "\nwanted: " << k.expect;
  }
}

TEST(TuningConfig, ValidateChecksTheRanges) {
  struct Case {
    void (*change)(TuningConfig&);
    const char* expect;
  };
  const Case cases[] = {
      {[](TuningConfig& t) { t.interval_ms = 99; }, "tuning.interval: must be at least 100ms"},
      {[](TuningConfig& t) { t.cooldown_ms = -1; }, "tuning.cooldown: must not be negative"},
      {[](TuningConfig& t) { t.max_actions_per_hour = 0; }, "tuning.max_actions_per_hour"},
      {[](TuningConfig& t) { t.emergency_after = 0; }, "tuning.emergency_after"},
      {[](TuningConfig& t) { t.window_ms = 5000; },
       "tuning.window: 5s is shorter than tuning.interval (10s)"},
      {[](TuningConfig& t) { t.worse_tolerance = 1; }, "tuning.worse_tolerance: must be"},
      {[](TuningConfig& t) { t.memory_percent = std::numeric_limits<double>::quiet_NaN(); },
       "tuning.memory_percent"},
      {[](TuningConfig& t) { t.response_time_ms = std::numeric_limits<double>::infinity(); },
       "tuning.response_time_ms"},
      {[](TuningConfig& t) {
         t.rules.resize(1);
         t.rules[0].name = "R";
         t.rules[0].source = "f.yaml:4";
         t.rules[0].window_ms = 1000;
       },
       "tuning rule \"R\" (f.yaml:4): window 1s is shorter than tuning.interval (10s)"},
      {[](TuningConfig& t) {
         t.rules.resize(2);
         t.rules[0].name = t.rules[1].name = "R";
         t.rules[0].source = "a.yaml:1";
         t.rules[1].source = "a.yaml:9";
       },
       "tuning rule \"R\" (a.yaml:9): duplicate name (first at a.yaml:1)"},
  };
  for (const Case& k : cases) {
    Config c;
    ASSERT_TRUE(Validate(c).ok());
    k.change(c.tuning);
    Status st = Validate(c);
    ASSERT_FALSE(st.ok()) << k.expect;
    EXPECT_NE(st.message().find(k.expect), std::string::npos)
        << "got: " << st.message() << "\nwanted: " << k.expect;
  }
}

TEST(TuningConfig, TheEnvironmentSetsTheSettings) {
  static const std::map<std::string, std::string> env = {{"AUTO_TUNING_ENABLED", "false"},
                                                         {"PERFWATCH_TUNING_DRY_RUN", "true"},
                                                         {"PERFWATCH_TUNING_COOLDOWN", "90s"}};
  Config c;
  Status st = ApplyEnvironment(c, [](const char* name) -> const char* {
    auto it = env.find(name);
    return it == env.end() ? nullptr : it->second.c_str();
  });
  ASSERT_TRUE(st.ok()) << st.message();
  EXPECT_FALSE(c.tuning.enabled);
  EXPECT_TRUE(c.tuning.dry_run);
  EXPECT_EQ(c.tuning.cooldown_ms, 90'000);
}

}  // namespace
}  // namespace perfwatch
