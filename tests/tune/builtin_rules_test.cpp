#include "tune/builtin_rules.h"

#include <gtest/gtest.h>

#include "query/query.h"

namespace perfwatch {
namespace {

TuningRuleSpec User(std::string name, std::string source, bool enabled = true) {
  TuningRuleSpec r;
  r.name = std::move(name);
  r.expr = "x > 1";
  TuningAction a;
  a.kind = TuningAction::Kind::kSet;
  a.tunable = "shop/pool.size";
  a.value = 4;
  r.actions = {a};
  r.enabled = enabled;
  r.source = std::move(source);
  return r;
}

TEST(BuiltinTuningRules, AreSeedsFourBehavioursWithTheirThresholds) {
  TuningThresholds t;
  t.memory_percent = 90;
  t.response_time_ms = 1500;
  t.cache_hit_rate_percent = 55;
  t.for_ms = 20'000;
  std::vector<TuningRuleSpec> rules = BuiltinTuningRules(t);
  ASSERT_EQ(rules.size(), 3u);
  EXPECT_EQ(rules[0].name, "MemoryOptimization");
  EXPECT_EQ(rules[0].expr, "system_memory_used_percent > 90");
  EXPECT_EQ(rules[1].name, "ResponseTimeOptimization");
  EXPECT_EQ(rules[1].expr, "app_response_time_avg_seconds > 1.5");
  EXPECT_EQ(rules[2].name, "CachePerformanceOptimization");
  EXPECT_EQ(rules[2].expr, "app_cache_hit_rate_percent < 55");
  std::vector<std::string> described;
  for (const TuningRuleSpec& r : rules) {
    EXPECT_TRUE(r.builtin);
    EXPECT_EQ(r.source, "built-in");
    EXPECT_EQ(r.for_ms, 20'000);
    for (const TuningAction& a : r.actions) described.push_back(a.Describe());
  }
  EXPECT_EQ(described,
            (std::vector<std::string>{"scale 0.7 cache.size",
                                      "set true memory_optimization.enabled", "hook memory_cleanup",
                                      "set true async.enabled", "hook move_heavy_to_background",
                                      "scale 1.5 cache.ttl_seconds", "hook cache_warmup"}));
}

TEST(BuiltinTuningRules, ExpressionsParseAndNameTheirMetric) {
  const int directions[] = {1, 1, -1};
  const char* metrics[] = {"system_memory_used_percent", "app_response_time_avg_seconds",
                           "app_cache_hit_rate_percent"};
  std::vector<TuningRuleSpec> rules = BuiltinTuningRules({});
  for (size_t i = 0; i < rules.size(); ++i) {
    Result<ParsedExpr> e = ParseExpr(rules[i].expr);
    ASSERT_TRUE(e.ok()) << rules[i].expr << ": " << e.status().message();
    EXPECT_EQ(e->comparison_direction(), directions[i]) << rules[i].expr;
    ASSERT_TRUE(e->comparison_operand().has_value());
    EXPECT_EQ(e->comparison_operand()->text(), metrics[i]);
  }
}

TEST(MergeTuningRules, UserRulesReplaceOrDisableBuiltinsByName) {
  TuningRuleSpec mine = User("ResponseTimeOptimization", "perfwatch.yaml:4");
  Result<std::vector<TuningRuleSpec>> merged = MergeTuningRules(
      BuiltinTuningRules({}), {mine, User("MemoryOptimization", "perfwatch.yaml:9", false),
                               User("Mine", "perfwatch.yaml:12")});
  ASSERT_TRUE(merged.ok()) << merged.status().message();
  ASSERT_EQ(merged->size(), 3u);
  EXPECT_EQ((*merged)[0].name, "ResponseTimeOptimization");
  EXPECT_EQ((*merged)[0].source, "perfwatch.yaml:4");
  EXPECT_EQ((*merged)[0].expr, "x > 1");
  EXPECT_FALSE((*merged)[0].builtin);
  EXPECT_EQ((*merged)[1].name, "CachePerformanceOptimization");
  EXPECT_EQ((*merged)[2].name, "Mine");
}

TEST(MergeTuningRules, WithoutBuiltinsKeepsOnlyEnabledUserRules) {
  Result<std::vector<TuningRuleSpec>> merged =
      MergeTuningRules({}, {User("A", "a.yaml:1"), User("B", "a.yaml:5", false)});
  ASSERT_TRUE(merged.ok());
  ASSERT_EQ(merged->size(), 1u);
  EXPECT_EQ((*merged)[0].name, "A");
}

TEST(MergeTuningRules, TwoUserRulesWithOneNameAreAnErrorNamingBothSources) {
  Result<std::vector<TuningRuleSpec>> merged = MergeTuningRules(
      BuiltinTuningRules({}), {User("Mine", "perfwatch.yaml:3"), User("Mine", "perfwatch.yaml:9")});
  ASSERT_FALSE(merged.ok());
  EXPECT_EQ(merged.status().message(),
            "tuning rule Mine is defined twice (perfwatch.yaml:3 and perfwatch.yaml:9)");
}

}  // namespace
}  // namespace perfwatch
