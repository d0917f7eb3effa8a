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
