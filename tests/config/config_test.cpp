#include "config/config.h"

#include <gtest/gtest.h>

#include <map>

namespace perfwatch {
namespace {

TEST(ConfigYaml, ReadsEverySection) {
  Config c;
  Status st = ApplyYaml(R"(
server:
  host: 0.0.0.0
  port: 9100
  idle_timeout: 10s
collect:
  interval: 500ms
  procfs: /host/proc
  watch_process: [nginx, "1234"]
  disable: [pressure]
storage:
  data_dir: /var/lib/perfwatch
  memory_retention: 6h
thresholds:
  memory_percent: 75.5
tuning:
  enabled: false
log:
  format: json
  level: debug
)",
                        "test.yaml", c);
  ASSERT_TRUE(st.ok()) << st.message();
  EXPECT_EQ(c.server.host, "0.0.0.0");
  EXPECT_EQ(c.server.port, 9100);
  EXPECT_EQ(c.server.idle_timeout_ms, 10'000);
  EXPECT_EQ(c.collect.interval_ms, 500);
  EXPECT_EQ(c.collect.procfs, "/host/proc");
  EXPECT_EQ(c.collect.watch_processes, (std::vector<std::string>{"nginx", "1234"}));
  EXPECT_EQ(c.collect.disable, (std::vector<std::string>{"pressure"}));
  EXPECT_EQ(c.storage.memory_retention_ms, 6 * 3600 * 1000);
  EXPECT_DOUBLE_EQ(c.thresholds.memory_percent, 75.5);
  EXPECT_FALSE(c.tuning.enabled);
  EXPECT_EQ(c.log.format, LogFormat::kJson);
  EXPECT_EQ(c.log.level, LogLevel::kDebug);
}

TEST(ConfigYaml, ReadsStorageLayoutAndRetentionPerTier) {
  Config c;
  Status st = ApplyYaml(R"(
storage:
  block_duration: 30m
retention:
  raw: 7d
  max_disk: 1GiB
  raw_size: 200MiB
  hour_size: 10MB
)",
                        "test.yaml", c);
  ASSERT_TRUE(st.ok()) << st.message();
  EXPECT_EQ(c.storage.block_duration_ms, 30 * 60'000);
  EXPECT_EQ(c.retention.raw_ms, 7LL * 86'400'000);
  EXPECT_EQ(c.retention.max_disk_bytes, uint64_t{1} << 30);
  EXPECT_EQ(c.retention.raw_bytes, uint64_t{200} << 20);
  EXPECT_EQ(c.retention.minute_bytes, 0u);
  EXPECT_EQ(c.retention.hour_bytes, 10'000'000u);
  EXPECT_TRUE(Validate(c).ok());
  c.storage.block_duration_ms = 7 * 60'000;  // does not divide a day
  EXPECT_NE(Validate(c).message().find("storage.block_duration"), std::string::npos);
}

TEST(ConfigYaml, AcceptsJsonBecauseJsonIsYaml) {
  Config c;
  Status st = ApplyYaml(R"({"collect": {"interval": 30}, "server": {"port": 8081}})", "c.json", c);
  ASSERT_TRUE(st.ok()) << st.message();
  EXPECT_EQ(c.collect.interval_ms, 30'000);
  EXPECT_EQ(c.server.port, 8081);
}

TEST(ConfigYaml, RefusesAnUnknownKeyNamingItAndItsLine) {
  Config c;
  Status st = ApplyYaml("server:\n  port: 80\n  colour: blue\n", "f.yaml", c);
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.message().find("server.colour"), std::string::npos) << st.message();
  EXPECT_NE(st.message().find("line 3"), std::string::npos) << st.message();
  EXPECT_NE(st.message().find("f.yaml"), std::string::npos) << st.message();
}

TEST(ConfigYaml, RefusesAnUnknownSection) {
  Config c;
  Status st = ApplyYaml("nonsense:\n  a: 1\n", "f.yaml", c);
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.message().find("nonsense (line 1): unknown key"), std::string::npos) << st.message();
}

TEST(ConfigYaml, RefusesAWrongTypeNamingKeyLineAndValue) {
  Config c;
  Status st = ApplyYaml("collect:\n  interval: fast\n", "f.yaml", c);
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.message().find("collect.interval (line 2)"), std::string::npos) << st.message();
  EXPECT_NE(st.message().find("fast"), std::string::npos);
  st = ApplyYaml("server:\n  port: 70000\n", "f.yaml", c);
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.message().find("server.port (line 2)"), std::string::npos) << st.message();
  st = ApplyYaml("server:\n  port: [1, 2]\n", "f.yaml", c);
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.message().find("not a list"), std::string::npos) << st.message();
  st = ApplyYaml("tuning:\n  enabled: maybe\n", "f.yaml", c);
  ASSERT_FALSE(st.ok());
}

TEST(ConfigYaml, ReportsSyntaxErrorsWithTheirLine) {
  Config c;
  Status st = ApplyYaml("server:\n  port: 1\n bad: [\n", "f.yaml", c);
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.message().find("line"), std::string::npos) << st.message();
}

TEST(ConfigYaml, LeavesTheConfigUsableAfterAnError) {
  Config c;
  (void)ApplyYaml("server:\n  port: nope\n", "f.yaml", c);
  EXPECT_EQ(c.server.port, 8080);
}

TEST(ConfigYaml, SaveThenLoadRoundTripsEveryField) {
  Config a;
  a.server.port = 9999;
  a.server.token = "s3cret with space";
  a.collect.interval_ms = 2500;
  a.collect.watch_processes = {"postgres", "42"};
  a.thresholds.cpu_percent = 65.25;
  a.tuning.enabled = false;
  a.log.format = LogFormat::kJson;
  std::string yaml = ToYaml(a);
  Config b;
  Status st = ApplyYaml(yaml, "saved", b);
  ASSERT_TRUE(st.ok()) << st.message() << "\n" << yaml;
  EXPECT_EQ(ToYaml(b), yaml);
  EXPECT_EQ(b.server.token, "s3cret with space");
  EXPECT_EQ(b.collect.interval_ms, 2500);
  EXPECT_EQ(b.collect.watch_processes, a.collect.watch_processes);
  EXPECT_DOUBLE_EQ(b.thresholds.cpu_percent, 65.25);
}

// Every tuning setting and every kind of action survives --save-config.
TEST(ConfigYaml, SaveThenLoadRoundTripsTuning) {
  Config a;
  TuningConfig& t = a.tuning;
  t.dry_run = true;
  t.interval_ms = 2000;
  t.cooldown_ms = 90'000;
  t.max_actions_per_hour = 4;
  t.window_ms = 45'000;
  t.rollback = false;
  t.worse_tolerance = 0.125;
  t.emergency_after = 3;
  t.builtin_rules = false;
  t.memory_percent = 91.5;
  t.response_time_ms = 1200;
  t.cache_hit_rate_percent = 55;
  t.builtin_for_ms = 15'000;
  TuningRuleSpec r;
  r.name = "ShrinkCache";
  r.expr = "system_memory_used_percent{host=\"a b\"} > 85";
  r.for_ms = 10'000;
  auto add = [&r](TuningAction::Kind kind) -> TuningAction& {
    r.actions.emplace_back();
    r.actions.back().kind = kind;
    return r.actions.back();
  };
  add(TuningAction::Kind::kScale).factor = 0.7;
  r.actions.back().tunable = "shop/cache.size";
  add(TuningAction::Kind::kSet).value = 8;
  r.actions.back().tunable = "*/pool.size";
  add(TuningAction::Kind::kSet).value = 0;
  r.actions.back().value_is_bool = true;
  r.actions.back().tunable = "shop/compression";
  add(TuningAction::Kind::kToggle).tunable = "async.enabled";
  add(TuningAction::Kind::kExec).argv = {"/usr/bin/env", "two words", "--x=1"};
  r.actions.back().timeout_ms = 30'000;
  add(TuningAction::Kind::kWebhook).url = "http://127.0.0.1:9096/t?a=1&b=2";
  add(TuningAction::Kind::kHook).hook = "cache_warmup";
  r.actions.back().app = "shop";
  r.cooldown_ms = 0;
  r.max_actions_per_hour = 2;
  r.rollback = true;
  r.window_ms = 120'000;
  r.metric = "app_cache_hit_rate_percent";
  r.worse_direction = -1;
  t.rules.push_back(r);
  TuningRuleSpec off;
  off.name = "MemoryOptimization";
  off.enabled = false;
  t.rules.push_back(off);
  ASSERT_TRUE(Validate(a).ok()) << Validate(a).message();

  std::string yaml = ToYaml(a);
  Config b;
  Status st = ApplyYaml(yaml, "saved", b);
  ASSERT_TRUE(st.ok()) << st.message() << "\n" << yaml;
  EXPECT_EQ(ToYaml(b), yaml);
  const TuningConfig& u = b.tuning;
  EXPECT_TRUE(u.dry_run);
  EXPECT_EQ(u.interval_ms, 2000);
  EXPECT_EQ(u.cooldown_ms, 90'000);
  EXPECT_EQ(u.max_actions_per_hour, 4);
  EXPECT_EQ(u.window_ms, 45'000);
  EXPECT_FALSE(u.rollback);
  EXPECT_DOUBLE_EQ(u.worse_tolerance, 0.125);
  EXPECT_EQ(u.emergency_after, 3);
  EXPECT_FALSE(u.builtin_rules);
  EXPECT_DOUBLE_EQ(u.memory_percent, 91.5);
  EXPECT_DOUBLE_EQ(u.response_time_ms, 1200);
  EXPECT_DOUBLE_EQ(u.cache_hit_rate_percent, 55);
  EXPECT_EQ(u.builtin_for_ms, 15'000);
  ASSERT_EQ(u.rules.size(), 2u);
  const TuningRuleSpec& q = u.rules[0];
  EXPECT_EQ(q.name, r.name);
  EXPECT_EQ(q.expr, r.expr);
  EXPECT_EQ(q.for_ms, r.for_ms);
  EXPECT_EQ(q.cooldown_ms, 0);
  EXPECT_EQ(q.max_actions_per_hour, 2);
  EXPECT_EQ(q.rollback, true);
  EXPECT_EQ(q.window_ms, 120'000);
  EXPECT_EQ(q.metric, r.metric);
  EXPECT_EQ(q.worse_direction, -1);
  ASSERT_EQ(q.actions.size(), r.actions.size());
  for (size_t i = 0; i < q.actions.size(); ++i) {
    const TuningAction &x = q.actions[i], &y = r.actions[i];
    EXPECT_EQ(x.kind, y.kind) << i;
    EXPECT_EQ(x.tunable, y.tunable) << i;
    EXPECT_EQ(x.app, y.app) << i;
    EXPECT_DOUBLE_EQ(x.factor, y.factor) << i;
    EXPECT_DOUBLE_EQ(x.value, y.value) << i;
    EXPECT_EQ(x.value_is_bool, y.value_is_bool) << i;
    EXPECT_EQ(x.argv, y.argv) << i;
    EXPECT_EQ(x.url, y.url) << i;
    EXPECT_EQ(x.hook, y.hook) << i;
    EXPECT_EQ(x.timeout_ms, y.timeout_ms) << i;
  }
  EXPECT_FALSE(u.rules[1].enabled);
  EXPECT_EQ(u.rules[1].name, "MemoryOptimization");
}

std::map<std::string, std::string>* g_env = nullptr;
const char* FakeEnv(const char* name) {
  auto it = g_env->find(name);
  return it == g_env->end() ? nullptr : it->second.c_str();
}

TEST(ConfigEnvironment, ReadsSeedVariablesAndPerfwatchOnes) {
  std::map<std::string, std::string> env = {{"MONITORING_INTERVAL", "60"},
                                            {"AUTO_TUNING_ENABLED", "false"},
                                            {"MEMORY_THRESHOLD", "85"},
                                            {"PERFWATCH_SERVER_PORT", "9000"},
                                            {"PERFWATCH_COLLECT_WATCH_PROCESS", "nginx,redis"}};
  g_env = &env;
  Config c;
  Status st = ApplyEnvironment(c, FakeEnv);
  ASSERT_TRUE(st.ok()) << st.message();
  EXPECT_EQ(c.collect.interval_ms, 60'000);
  EXPECT_FALSE(c.tuning.enabled);
  EXPECT_DOUBLE_EQ(c.thresholds.memory_percent, 85);
  EXPECT_EQ(c.server.port, 9000);
  EXPECT_EQ(c.collect.watch_processes, (std::vector<std::string>{"nginx", "redis"}));
}

TEST(ConfigEnvironment, PerfwatchSpellingWinsOverTheSeedOne) {
  std::map<std::string, std::string> env = {{"MONITORING_INTERVAL", "60"},
                                            {"PERFWATCH_COLLECT_INTERVAL", "5s"}};
  g_env = &env;
  Config c;
  ASSERT_TRUE(ApplyEnvironment(c, FakeEnv).ok());
  EXPECT_EQ(c.collect.interval_ms, 5000);
}

TEST(ConfigEnvironment, NamesTheVariableOnABadValue) {
  std::map<std::string, std::string> env = {{"CPU_THRESHOLD", "lots"}};
  g_env = &env;
  Config c;
  Status st = ApplyEnvironment(c, FakeEnv);
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.message().find("CPU_THRESHOLD"), std::string::npos) << st.message();
}

}  // namespace
}  // namespace perfwatch
