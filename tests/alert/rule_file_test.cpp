#include "alert/rule_file.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "alert/builtin_rules.h"
#include "alert/rules_check.h"
#include "alert/template.h"
#include "query/query.h"

namespace perfwatch {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Pair;
using StringPairs = std::vector<std::pair<std::string, std::string>>;

std::string ErrorOf(std::string_view yaml) {
  Result<std::vector<RuleSpec>> r = ParseRulesYaml(yaml, "r.yaml");
  EXPECT_FALSE(r.ok()) << "parsed although it should not:\n" << yaml;
  return r.ok() ? "" : r.status().message();
}

TEST(RuleFile, ReadsPrometheusGroups) {
  Result<std::vector<RuleSpec>> r = ParseRulesYaml(R"(groups:
  - name: host
    interval: 30s
    rules:
      - alert: HighCpu
        expr: avg_over_time(system_cpu_usage_percent[10s]) > 80
        for: 1h30m
        keep_firing_for: 5m
        labels:
          severity: critical
          team: ops
        annotations:
          summary: "CPU at {{ $value }}%"
  - name: app
    rules:
      - alert: Slow
        expr: app_response_time_avg_seconds > 1
)",
                                                   "prom.yaml");
  ASSERT_TRUE(r.ok()) << r.status().message();
  ASSERT_EQ(r->size(), 2u);
  const RuleSpec& cpu = (*r)[0];
  EXPECT_EQ(cpu.name, "HighCpu");
  EXPECT_EQ(cpu.expr, "avg_over_time(system_cpu_usage_percent[10s]) > 80");
  EXPECT_EQ(cpu.for_ms, 5'400'000);
  EXPECT_EQ(cpu.keep_firing_for_ms, 300'000);
  // labels.severity becomes the rule's severity; the engine adds the label.
  EXPECT_EQ(cpu.severity, "critical");
  EXPECT_THAT(cpu.labels, ElementsAre(Pair("team", "ops")));
  EXPECT_THAT(cpu.annotations, ElementsAre(Pair("summary", "CPU at {{ $value }}%")));
  EXPECT_EQ(cpu.source, "prom.yaml:5");
  EXPECT_TRUE(cpu.enabled);
  EXPECT_EQ((*r)[1].name, "Slow");
  EXPECT_EQ((*r)[1].severity, "warning");
  EXPECT_EQ((*r)[1].for_ms, 0);
  EXPECT_EQ((*r)[1].source, "prom.yaml:16");
}

TEST(RuleFile, ReadsOurListAndRulesKeyLayouts) {
  const char* kList = R"(- name: HighMemoryUsage
  expr: system_memory_used_percent > 85
  keep_firing_while: system_memory_used_percent > 80
  severity: critical
  for: 30s
- alert: HighCpuUsage
  enabled: false
)";
  Result<std::vector<RuleSpec>> list = ParseRulesYaml(kList, "list.yaml");
  ASSERT_TRUE(list.ok()) << list.status().message();
  ASSERT_EQ(list->size(), 2u);
  EXPECT_EQ((*list)[0].keep_firing_while, "system_memory_used_percent > 80");
  EXPECT_EQ((*list)[0].severity, "critical");
  EXPECT_EQ((*list)[0].for_ms, 30'000);
  // A disabled rule needs no expr: it only switches a built-in off.
  EXPECT_EQ((*list)[1].name, "HighCpuUsage");
  EXPECT_FALSE((*list)[1].enabled);

  Result<std::vector<RuleSpec>> keyed =
      ParseRulesYaml("rules:\n  - name: A\n    expr: up == 0\n", "keyed.yaml");
  ASSERT_TRUE(keyed.ok()) << keyed.status().message();
  ASSERT_EQ(keyed->size(), 1u);
  EXPECT_EQ((*keyed)[0].source, "keyed.yaml:2");
}

TEST(RuleFile, EmptyFileHoldsNoRules) {
  for (const char* text : {"", "# only a comment\n", "groups: []\n", "rules:\n"}) {
    Result<std::vector<RuleSpec>> r = ParseRulesYaml(text, "e.yaml");
    ASSERT_TRUE(r.ok()) << text << ": " << r.status().message();
    EXPECT_TRUE(r->empty());
  }
}

TEST(RuleFile, ParsesTheConfigsRulesNode) {
  YAML::Node root = YAML::Load("rules:\n  - name: A\n    expr: up == 0\n");
  Result<std::vector<RuleSpec>> r = ParseRulesNode(root["rules"], "perfwatch.yaml");
  ASSERT_TRUE(r.ok()) << r.status().message();
  ASSERT_EQ(r->size(), 1u);
  EXPECT_EQ((*r)[0].source, "perfwatch.yaml:2");
}

TEST(RuleFile, RefusesRecordingRulesSayingWhere) {
  std::string e = ErrorOf(R"(groups:
  - name: g
    rules:
      - record: job:up:sum
        expr: sum(up)
)");
  EXPECT_THAT(e, HasSubstr("r.yaml:4:9: recording rules are not supported (record: job:up:sum)"));
}

TEST(RuleFile, RefusesUnknownKeysAtEveryLevel) {
  EXPECT_THAT(ErrorOf("rules:\n  - name: A\n    expr: up\n    sevrity: page\n"),
              HasSubstr("r.yaml:4:5: unknown key \"sevrity\" in rule"));
  EXPECT_THAT(ErrorOf("groups:\n  - name: g\n    limit: 3\n    rules: []\n"),
              HasSubstr("r.yaml:3:5: unknown key \"limit\" in group"));
  EXPECT_THAT(ErrorOf("alerts: []\n"), HasSubstr("r.yaml:1:1: unknown key \"alerts\""));
}

TEST(RuleFile, RefusesWrongTypes) {
  EXPECT_THAT(ErrorOf("- name: A\n  expr: up\n  for: soon\n"),
              HasSubstr("r.yaml:3:8: for: invalid duration \"soon\""));
  EXPECT_THAT(ErrorOf("- name: A\n  expr: up\n  labels: [a, b]\n"),
              HasSubstr("r.yaml:3:11: labels: expected a mapping"));
  EXPECT_THAT(ErrorOf("- name: A\n  expr: [up]\n"),
              HasSubstr("r.yaml:2:9: expr: expected a string"));
  EXPECT_THAT(ErrorOf("- name: A\n  expr: up\n  enabled: maybe\n"),
              HasSubstr("r.yaml:3:12: enabled: expected true or false"));
  EXPECT_THAT(ErrorOf("- name: A\n  expr: up\n  annotations: {summary: {a: b}}\n"),
              HasSubstr("r.yaml:3:26: annotations.summary: expected a string"));
  EXPECT_THAT(ErrorOf("groups: {name: g}\n"), HasSubstr("r.yaml:1:9: groups: expected a list"));
  EXPECT_THAT(ErrorOf("- just a string\n"), HasSubstr("r.yaml:1:3: expected a rule"));
}

TEST(RuleFile, RefusesMissingNameOrExpr) {
  EXPECT_THAT(ErrorOf("- expr: up\n"), HasSubstr("r.yaml:1:3: rule has no name"));
  EXPECT_THAT(ErrorOf("- name: A\n  for: 1m\n"), HasSubstr("r.yaml:1:3: rule \"A\" has no expr"));
  EXPECT_THAT(ErrorOf("- name: \"\"\n  expr: up\n"),
              HasSubstr("r.yaml:1:9: rule name must not be empty"));
  EXPECT_THAT(ErrorOf("- name: A\n  alert: B\n  expr: up\n"),
              HasSubstr("r.yaml:2:3: name and alert both given"));
}

TEST(RuleFile, RefusesDuplicateNamesKeysAndGroups) {
  EXPECT_THAT(ErrorOf("- name: A\n  expr: up\n- name: A\n  expr: up == 0\n"),
              HasSubstr("r.yaml:3:9: duplicate rule name \"A\" (first defined at r.yaml:1)"));
  EXPECT_THAT(ErrorOf("- name: A\n  expr: up\n  expr: down\n"),
              HasSubstr("r.yaml:3:3: duplicate key \"expr\""));
  EXPECT_THAT(ErrorOf("groups:\n  - name: g\n    rules: []\n  - name: g\n    rules: []\n"),
              HasSubstr("r.yaml:4:11: duplicate group name \"g\""));
}

TEST(RuleFile, RefusesInvalidLabelNames) {
  EXPECT_THAT(ErrorOf("- name: A\n  expr: up\n  labels: {team-name: x}\n"),
              HasSubstr("r.yaml:3:12: labels: invalid name \"team-name\""));
  EXPECT_THAT(ErrorOf("- name: A\n  expr: up\n  labels: {__meta: x}\n"),
              HasSubstr("invalid name \"__meta\""));
  EXPECT_THAT(ErrorOf("- name: A\n  expr: up\n  labels: {alertname: B}\n"),
              HasSubstr("alertname is set from the rule's name"));
  EXPECT_THAT(ErrorOf("- name: A\n  expr: up\n  annotations: {\"a b\": x}\n"),
              HasSubstr("annotations: invalid name \"a b\""));
}

TEST(RuleFile, RefusesContradictorySeverities) {
  EXPECT_THAT(ErrorOf("- name: A\n  expr: up\n  severity: info\n  labels: {severity: critical}\n"),
              HasSubstr("r.yaml:4:22: labels.severity \"critical\" contradicts severity \"info\""));
  Result<std::vector<RuleSpec>> same = ParseRulesYaml(
      "- name: A\n  expr: up\n  severity: info\n  labels: {severity: info}\n", "r.yaml");
  ASSERT_TRUE(same.ok()) << same.status().message();
  EXPECT_EQ((*same)[0].severity, "info");
  EXPECT_TRUE((*same)[0].labels.empty());
}

TEST(RuleFile, ReportsEveryErrorOfAFile) {
  std::string e = ErrorOf("- name: A\n  expr: up\n  for: x\n- name: B\n  bogus: 1\n  expr: up\n");
  EXPECT_THAT(e, HasSubstr("r.yaml:3:8: for:"));
  EXPECT_THAT(e, HasSubstr("\nr.yaml:5:3: unknown key \"bogus\""));
}

TEST(RuleFile, ReportsYamlSyntaxErrorsWithPosition) {
  EXPECT_THAT(ErrorOf("rules: [\n  {name: A\n"), HasSubstr("r.yaml:"));
  EXPECT_THAT(ErrorOf("rules:\n  - name: A\n   expr: up\n"), ::testing::StartsWith("r.yaml:3:"));
}

// Expression errors point at the character in the file, whatever quoting
// the value uses. ParseExpr reports "column 6: expected an expression" for
// "foo >" and column 11 for the '>' in `foo{a="b" > 1`.
TEST(RuleFile, MapsExpressionErrorsToFileColumns) {
  EXPECT_THAT(ErrorOf("- name: A\n  expr: foo >\n"),
              HasSubstr("r.yaml:2:14: expr: expected an expression, found end of input"));
  EXPECT_THAT(ErrorOf("- name: A\n  expr: \"foo{a=\\\"b\\\" > 1\"\n"),
              HasSubstr("r.yaml:2:22: expr: expected ',' or '}'"));
  EXPECT_THAT(ErrorOf("- name: A\n  expr: 'foo{a=\"b\" > 1'\n"),
              HasSubstr("r.yaml:2:20: expr: expected ',' or '}'"));
  // Block scalar: the error is on the block's second line.
  EXPECT_THAT(ErrorOf("- name: A\n  expr: |\n    sum by (job)\n      (rate(x[5x]))\n"),
              HasSubstr("r.yaml:4:15: expr: expected a duration"));
  // Folded plain scalar over two lines.
  EXPECT_THAT(ErrorOf("- name: A\n  expr: foo >\n    bar >>\n"),
              HasSubstr("r.yaml:3:10: expr: expected an expression, found '>'"));
  EXPECT_THAT(ErrorOf("- name: A\n  expr: up\n  keep_firing_while: (up\n"),
              HasSubstr("r.yaml:3:25: keep_firing_while: expected ')'"));
}

TEST(RuleFile, ConfigNodeWithoutTextStillPointsNearTheError) {
  YAML::Node root = YAML::Load("rules:\n  - name: A\n    expr: foo >\n");
  Result<std::vector<RuleSpec>> r = ParseRulesNode(root["rules"], "perfwatch.yaml");
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.status().message(), HasSubstr("perfwatch.yaml:3:16: expr: expected an expression"));
}

class RuleFilesOnDisk : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = ::testing::TempDir() + "rule_files_XXXXXX";
    ASSERT_NE(mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string Write(const std::string& name, const std::string& text) {
    std::string path = dir_ + "/" + name;
    std::ofstream(path) << text;
    return path;
  }
  std::string dir_;
};

TEST_F(RuleFilesOnDisk, ExpandsGlobsInOrder) {
  Write("b.rules.yaml", "- name: B\n  expr: up\n");
  Write("a.rules.yaml", "groups:\n  - name: g\n    rules:\n      - alert: A\n        expr: up\n");
  Write("notes.txt", "not yaml rules at all: [");
  Result<std::vector<RuleSpec>> r = LoadRuleFiles({dir_ + "/*.rules.yaml"});
  ASSERT_TRUE(r.ok()) << r.status().message();
  ASSERT_EQ(r->size(), 2u);
  EXPECT_EQ((*r)[0].name, "A");
  EXPECT_EQ((*r)[0].source, dir_ + "/a.rules.yaml:4");
  EXPECT_EQ((*r)[1].name, "B");
}

TEST_F(RuleFilesOnDisk, PatternsMatchingNothingAreEmptyButMissingFilesAreNot) {
  Result<std::vector<RuleSpec>> none = LoadRuleFiles({dir_ + "/*.yml"});
  ASSERT_TRUE(none.ok()) << none.status().message();
  EXPECT_TRUE(none->empty());
  Result<std::vector<RuleSpec>> missing = LoadRuleFiles({dir_ + "/absent.yaml"});
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), Status::Code::kNotFound);
  EXPECT_THAT(missing.status().message(), HasSubstr("absent.yaml"));
}

TEST_F(RuleFilesOnDisk, RefusesADirectoryMatchedByAPattern) {
  std::filesystem::create_directory(dir_ + "/sub.yaml");
  Result<std::vector<RuleSpec>> r = LoadRuleFiles({dir_ + "/*.yaml"});
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.status().message(), HasSubstr("sub.yaml: is a directory"));
}

TEST_F(RuleFilesOnDisk, RefusesANameDefinedInTwoFiles) {
  std::string a = Write("a.yaml", "- name: Same\n  expr: up\n");
  std::string b = Write("b.yaml", "- name: Other\n  expr: up\n- name: Same\n  expr: up\n");
  Result<std::vector<RuleSpec>> r = LoadRuleFiles({a, b});
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.status().message(),
              HasSubstr(b + ":3:9: duplicate rule name \"Same\" (first defined at " + a + ":1)"));
}

TEST_F(RuleFilesOnDisk, ErrorsNameTheFile) {
  std::string bad = Write("bad.yaml", "- name: A\n  expr: rate(x[5x])\n");
  Result<std::vector<RuleSpec>> r = LoadRuleFiles({bad});
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.status().message(), HasSubstr(bad + ":2:16: expr: expected a duration"));
}

TEST_F(RuleFilesOnDisk, RulesCheckPrintsLikePromtool) {
  std::string good = std::string(PERFWATCH_TEST_DATA) + "/alert/matchers_aggregation.rules.yaml";
  std::string bad = Write("bad.yaml", "- name: A\n  expr: foo >\n- record: r\n  expr: up\n");
  std::string bad_template =
      Write("tmpl.yaml", "- name: A\n  expr: up\n  annotations: {summary: \"{{ $value \"}\n");
  std::ostringstream out, err;
  EXPECT_EQ(RunRulesCheck({good}, out, err), 0);
  EXPECT_EQ(out.str(), "Checking " + good + "\n  SUCCESS: 7 rules found\n\n");
  EXPECT_EQ(err.str(), "");

  out.str("");
  EXPECT_EQ(RunRulesCheck({bad, good, bad_template, dir_ + "/absent.yaml"}, out, err), 1);
  EXPECT_THAT(out.str(), HasSubstr("Checking " + bad + "\n\nChecking " + good +
                                   "\n  SUCCESS: 7 rules found\n\nChecking " + bad_template));
  EXPECT_THAT(err.str(), HasSubstr("  FAILED:\n" + bad + ":2:14: expr: expected an expression"));
  EXPECT_THAT(err.str(), HasSubstr("\n" + bad + ":3:3: recording rules are not supported"));
  EXPECT_THAT(err.str(), HasSubstr(bad_template + ":1: rule \"A\": annotation \"summary\": "));
  EXPECT_THAT(err.str(), HasSubstr("absent.yaml: cannot open rule file"));
}

TEST_F(RuleFilesOnDisk, EveryScenarioRuleFileChecks) {
  for (const auto& entry :
       std::filesystem::recursive_directory_iterator(std::string(PERFWATCH_TEST_DATA) + "/alert")) {
    std::string path = entry.path().string();
    if (!path.ends_with(".rules.yaml")) continue;
    std::ostringstream out, err;
    EXPECT_EQ(RunRulesCheck({path}, out, err), 0) << err.str();
  }
}

TEST(BuiltinRules, FollowTheThresholds) {
  std::vector<RuleSpec> rules = BuiltinRules({75, 65.5, 800, 3});
  auto find = [&](std::string_view name) -> const RuleSpec& {
    for (const RuleSpec& r : rules) {
      if (r.name == name) return r;
    }
    ADD_FAILURE() << "no built-in " << name;
    return rules.front();
  };
  EXPECT_EQ(find("HighMemoryUsage").expr, "system_memory_used_percent > 75");
  EXPECT_EQ(find("HighMemoryUsage").keep_firing_while, "system_memory_used_percent > 70");
  EXPECT_EQ(find("CriticalMemoryUsage").severity, "critical");
  EXPECT_EQ(find("HighCpuUsage").expr,
            "avg_over_time(system_cpu_usage_percent{cpu=\"\"}[30s]) > 65.5");
  EXPECT_EQ(find("HighResponseTime").expr, "app_response_time_avg_seconds * 1000 > 800");
  EXPECT_EQ(find("HighErrorRate").expr, "app_error_rate_percent > 5");
  EXPECT_EQ(find("LowCacheHitRate").keep_firing_while, "app_cache_hit_rate_percent < 65");
  EXPECT_EQ(find("ConsecutivePoorPerformance").expr, "perfwatch_status_poor_streak >= 3");
}

TEST(BuiltinRules, AllParseAndTheirTemplatesCheck) {
  std::vector<RuleSpec> rules = BuiltinRules({});
  ASSERT_EQ(rules.size(), 7u);
  for (const RuleSpec& r : rules) {
    EXPECT_EQ(r.source, "built-in");
    EXPECT_TRUE(ParseExpr(r.expr).ok()) << r.name << ": " << ParseExpr(r.expr).status().message();
    if (!r.keep_firing_while.empty()) {
      EXPECT_TRUE(ParseExpr(r.keep_firing_while).ok()) << r.name;
    }
    ASSERT_EQ(r.annotations.size(), 2u) << r.name;
    for (const auto& [name, text] : r.annotations) {
      Status st = CheckTemplate(text);
      EXPECT_TRUE(st.ok()) << r.name << " " << name << ": " << st.message();
    }
    EXPECT_THAT(r.annotations[0].second, HasSubstr("{{ $value }}")) << r.name;
  }
}

TEST(MergeRules, UserRulesReplaceDisableOrAdd) {
  std::vector<RuleSpec> user;
  RuleSpec cpu;
  cpu.name = "HighCpuUsage";
  cpu.expr = "system_cpu_usage_percent > 99";
  RuleSpec off;
  off.name = "LowCacheHitRate";
  off.enabled = false;
  RuleSpec mine;
  mine.name = "DiskFull";
  mine.expr = "system_disk_used_percent > 90";
  user = {cpu, off, mine};
  std::vector<RuleSpec> merged = MergeRules(BuiltinRules({}), user);
  std::vector<std::string> names;
  for (const RuleSpec& r : merged) names.push_back(r.name);
  EXPECT_THAT(names, ElementsAre("HighMemoryUsage", "CriticalMemoryUsage", "HighCpuUsage",
                                 "HighResponseTime", "HighErrorRate", "ConsecutivePoorPerformance",
                                 "DiskFull"));
  EXPECT_EQ(merged[2].expr, "system_cpu_usage_percent > 99");
  EXPECT_EQ(merged[2].source, "");

  std::vector<RuleSpec> only_user = MergeRules(BuiltinRules({}), user, false);
  names.clear();
  for (const RuleSpec& r : only_user) names.push_back(r.name);
  EXPECT_THAT(names, ElementsAre("HighCpuUsage", "DiskFull"));
}

}  // namespace
}  // namespace perfwatch
