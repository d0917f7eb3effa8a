// The list-valued sections (rules:, notify:) and the alerting/status keys.

#include <gtest/gtest.h>

#include "config/config.h"

namespace perfwatch {
namespace {

TEST(AlertingConfig, ReadsTheIssuesExampleAsWritten) {
  Config c;
  Status st = ApplyYaml(R"(
rules:
  - name: HighCpu
    expr: avg_over_time(system_cpu_usage_percent[10s]) > 80
    for: 30s
    severity: warning
    annotations: {summary: "CPU at {{ $value }}%"}
notify:
  - type: webhook
    url: http://127.0.0.1:9095/hook
)",
                        "perfwatch.yaml", c);
  ASSERT_TRUE(st.ok()) << st.message();
  ASSERT_EQ(c.rules.size(), 1u);
  EXPECT_EQ(c.rules[0].name, "HighCpu");
  EXPECT_EQ(c.rules[0].for_ms, 30'000);
  EXPECT_EQ(c.rules[0].severity, "warning");
  ASSERT_EQ(c.rules[0].annotations.size(), 1u);
  EXPECT_EQ(c.rules[0].annotations[0].second, "CPU at {{ $value }}%");
  ASSERT_EQ(c.notify.size(), 1u);
  EXPECT_EQ(c.notify[0].type, "webhook");
  EXPECT_EQ(c.notify[0].url, "http://127.0.0.1:9095/hook");
  EXPECT_EQ(c.notify[0].name, "webhook");
}

TEST(AlertingConfig, ReceiversOfEveryType) {
  Config c;
  Status st = ApplyYaml(R"(
notify:
  - type: console
  - {type: log, path: /var/log/perfwatch/alerts.log}
  - type: exec
    command: [/usr/local/bin/page, --team, ops]
    timeout: 10s
  - type: alertmanager
    url: http://127.0.0.1:9093
    headers: {Authorization: Bearer abc}
    max_attempts: 2
    backoff: 250ms
alerting:
  group_by: [alertname, instance]
  group_wait: 5s
  repeat_interval: 30m
  builtin_rules: false
)",
                        "f.yaml", c);
  ASSERT_TRUE(st.ok()) << st.message();
  ASSERT_EQ(c.notify.size(), 4u);
  EXPECT_EQ(c.notify[2].command,
            (std::vector<std::string>{"/usr/local/bin/page", "--team", "ops"}));
  EXPECT_EQ(c.notify[2].timeout_ms, 10'000);
  EXPECT_EQ(c.notify[3].headers.at(0).second, "Bearer abc");
  EXPECT_EQ(c.notify[3].max_attempts, 2);
  EXPECT_EQ(c.notify[3].backoff_ms, 250);
  EXPECT_EQ(c.alerting.grouping.group_by, (std::vector<std::string>{"alertname", "instance"}));
  EXPECT_EQ(c.alerting.grouping.group_wait_ms, 5000);
  EXPECT_EQ(c.alerting.grouping.repeat_interval_ms, 1'800'000);
  EXPECT_FALSE(c.alerting.builtin_rules);
}

TEST(AlertingConfig, BadReceiversNameTheEntryAndLine) {
  struct Case {
    const char* yaml;
    const char* expect;
  };
  const Case cases[] = {
      {"notify:\n  - type: pager\n", "notify[0].type (line 2): unknown type \"pager\""},
      {"notify:\n  - type: webhook\n", "notify[0] (line 2): webhook needs url"},
      {"notify:\n  - type: exec\n    command: /bin/page\n", "expected a list (argv)"},
      {"notify:\n  - type: log\n    path: x\n    colour: red\n",
       "notify[0].colour (line 4): unknown key"},
      {"notify: {type: console}\n", "expected a list of receivers"},
      {"notify:\n  - type: webhook\n    url: http://x/\n    timeout: soon\n",
       "notify[0].timeout (line 4)"},
  };
  for (const Case& c : cases) {
    Config config;
    Status st = ApplyYaml(c.yaml, "f.yaml", config);
    ASSERT_FALSE(st.ok()) << c.yaml;
    EXPECT_NE(st.message().find(c.expect), std::string::npos) << st.message();
    EXPECT_NE(st.message().find("f.yaml"), std::string::npos) << st.message();
  }
}

TEST(AlertingConfig, ABadRuleIsRefusedWithItsLine) {
  Config c;
  Status st = ApplyYaml("rules:\n  - name: X\n    expr: rate(x[5m]\n", "f.yaml", c);
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.message().find("f.yaml:3"), std::string::npos) << st.message();
}

TEST(AlertingConfig, SaveConfigRoundTripsRulesAndReceivers) {
  Config c;
  ASSERT_TRUE(ApplyYaml(R"(
rule_files: [/etc/perfwatch/rules/*.yml]
rules:
  - name: DiskFull
    expr: system_disk_used_percent{mountpoint="/"} > 90
    keep_firing_while: system_disk_used_percent{mountpoint="/"} > 85
    for: 5m
    severity: critical
    labels: {team: ops}
    annotations: {summary: "{{ $labels.mountpoint }} at {{ $value }}%"}
notify:
  - type: exec
    command: [/bin/true]
status:
  critical:
    memory_percent: 97
)",
                        "a.yaml", c)
                  .ok());
  Config back;
  Status st = ApplyYaml(ToYaml(c), "saved.yaml", back);
  ASSERT_TRUE(st.ok()) << st.message() << "\n" << ToYaml(c);
  EXPECT_EQ(back.rule_files, c.rule_files);
  ASSERT_EQ(back.rules.size(), 1u);
  EXPECT_EQ(back.rules[0].expr, c.rules[0].expr);
  EXPECT_EQ(back.rules[0].keep_firing_while, c.rules[0].keep_firing_while);
  EXPECT_EQ(back.rules[0].for_ms, 300'000);
  EXPECT_EQ(back.rules[0].labels, c.rules[0].labels);
  EXPECT_EQ(back.rules[0].annotations, c.rules[0].annotations);
  ASSERT_EQ(back.notify.size(), 1u);
  EXPECT_EQ(back.notify[0].command, c.notify[0].command);
  EXPECT_EQ(back.status.critical.memory_percent, 97);
}

TEST(StatusConfig, ClassesMustGetWorseInOrder) {
  Config c;
  ASSERT_TRUE(ApplyYaml("status:\n  fair:\n    cpu_percent: 20\n", "s.yaml", c).ok());
  Status st = Validate(c);
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.message().find("status.fair.cpu_percent"), std::string::npos) << st.message();

  Config hit;
  ASSERT_TRUE(ApplyYaml("status:\n  critical:\n    cache_hit_percent: 80\n", "s.yaml", hit).ok());
  EXPECT_FALSE(Validate(hit).ok()) << "a higher hit rate cannot be critical";

  Config threshold;
  threshold.thresholds.memory_percent = 99;  // past critical's 95
  EXPECT_FALSE(Validate(threshold).ok());
  EXPECT_TRUE(Validate(Config{}).ok());
}

}  // namespace
}  // namespace perfwatch
