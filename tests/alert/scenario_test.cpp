// Data-driven rule scenarios (tests/data/alert/*.test.yaml, promtool's
// unit-test format): each file runs through Debian's `promtool test rules`
// and through perfwatch (series -> WindowCache -> AlertEngine), and both
// must produce the expected firing alerts at every eval_time. Files under
// ours/ use perfwatch-only fields (keep_firing_while) and skip promtool.
//
// Severity: our engine gives every alert a severity label (the rule's,
// "warning" by default); promtool only has the labels a rule sets. The
// scenario rules therefore all set labels.severity, which our parser turns
// into the rule's severity, so both tools produce the same label set and
// the comparison is exact.

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <map>
#include <sstream>

#include "alert/engine.h"
#include "alert/promtool_test_file.h"
#include "alert/rule_file.h"
#include "model/registry.h"
#include "model/tick.h"
#include "query/window_cache.h"

namespace perfwatch {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using Kind = SeriesValue::Kind;

constexpr const char* kPromtool = "/usr/bin/promtool";
// Scenario time 0 is this instant, so no timestamp is 0 ("never").
constexpr TimestampMs kBaseMs = 1'700'000'000'000;

std::vector<std::string> ScenarioFiles(const std::string& subdir) {
  std::vector<std::string> files;
  fs::path dir = fs::path(PERFWATCH_TEST_DATA) / "alert" / subdir;
  for (const auto& entry : fs::directory_iterator(dir)) {
    std::string name = entry.path().filename().string();
    if (name.ends_with(".test.yaml")) files.push_back(entry.path().string());
  }
  std::sort(files.begin(), files.end());
  return files;
}

std::string TestName(const ::testing::TestParamInfo<std::string>& info) {
  std::string stem = fs::path(info.param).filename().string();
  stem = stem.substr(0, stem.size() - std::string_view(".test.yaml").size());
  std::replace_if(
      stem.begin(), stem.end(), [](char c) { return !std::isalnum(c); }, '_');
  return stem;
}

// Runs a command, returning its exit status and combined output.
int RunCommand(const std::string& command, std::string& output) {
  FILE* pipe = popen((command + " 2>&1").c_str(), "r");
  if (!pipe) return -1;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, pipe)) > 0) output.append(buf, n);
  int status = pclose(pipe);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

// One alert as promtool prints it: labels and annotations, each sorted.
struct AlertView {
  std::map<std::string, std::string> labels;
  std::map<std::string, std::string> annotations;
  friend auto operator<=>(const AlertView&, const AlertView&) = default;
};

std::string Describe(const std::vector<AlertView>& alerts) {
  std::ostringstream out;
  out << "[";
  for (const AlertView& a : alerts) {
    out << "\n    {";
    for (const auto& [k, v] : a.labels) out << k << "=\"" << v << "\" ";
    out << "} annotations {";
    for (const auto& [k, v] : a.annotations) out << k << "=\"" << v << "\" ";
    out << "}";
  }
  out << (alerts.empty() ? "]" : "\n  ]");
  return out.str();
}

std::vector<AlertView> Expected(const AlertRuleTest& test) {
  std::vector<AlertView> out;
  for (const ExpectedAlert& e : test.exp_alerts) {
    AlertView v;
    v.labels.insert(e.labels.begin(), e.labels.end());
    v.labels["alertname"] = test.alertname;  // promtool adds it too
    v.annotations.insert(e.annotations.begin(), e.annotations.end());
    out.push_back(std::move(v));
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::vector<AlertView> Firing(const AlertEngine& engine, const std::string& alertname) {
  std::vector<AlertView> out;
  for (const Alert& a : engine.Alerts()) {
    if (a.rule != alertname || a.state != AlertState::kFiring) continue;
    AlertView v;
    for (const Label& l : a.labels) v.labels[l.name] = l.value;
    v.annotations.insert(a.annotations.begin(), a.annotations.end());
    out.push_back(std::move(v));
  }
  std::sort(out.begin(), out.end());
  return out;
}

// Feeds the case's samples to a WindowCache tick by tick and evaluates the
// rules every evaluation interval, as promtool does from time 0 to the
// last eval_time; returns a description of every mismatch.
std::vector<std::string> RunCase(const PromtoolTestCase& c, int64_t eval_interval_ms,
                                 const std::vector<RuleSpec>& rules) {
  std::vector<std::string> failures;
  SeriesRegistry registry;
  WindowCache cache(registry, 3'600'000);
  Result<std::unique_ptr<AlertEngine>> engine = AlertEngine::Open({}, cache, nullptr, nullptr);
  if (!engine.ok()) return {"AlertEngine::Open: " + engine.status().message()};
  if (Status st = (*engine)->SetRules(rules); !st.ok()) return {"SetRules: " + st.message()};
  cache.SetRangeNeeds((*engine)->RangeNeeds().needs);

  std::vector<SeriesId> ids;
  size_t samples = 0;
  for (const InputSeries& s : c.input_series) {
    Result<SeriesId> id = registry.Intern(s.metric, s.labels);
    if (!id.ok()) return {"Intern " + s.metric + ": " + id.status().message()};
    ids.push_back(*id);
    samples = std::max(samples, s.values.size());
    for (const SeriesValue& v : s.values) {
      if (v.kind == Kind::kStale) return {"stale markers have no perfwatch equivalent yet"};
    }
  }
  int64_t last_eval = 0;
  for (const AlertRuleTest& t : c.alert_rule_tests) {
    last_eval = std::max(last_eval, t.eval_time_ms);
    if (t.eval_time_ms % eval_interval_ms != 0) {
      failures.push_back("eval_time " + std::to_string(t.eval_time_ms) +
                         "ms is not a multiple of the evaluation interval");
    }
  }
  size_t next = 0;  // the next sample index to feed
  for (int64_t at = 0; at <= last_eval; at += eval_interval_ms) {
    for (; next < samples && static_cast<int64_t>(next) * c.interval_ms <= at; ++next) {
      Tick tick(registry, kBaseMs + static_cast<int64_t>(next) * c.interval_ms);
      for (size_t i = 0; i < ids.size(); ++i) {
        const std::vector<SeriesValue>& values = c.input_series[i].values;
        if (next < values.size() && values[next].kind == Kind::kValue) {
          tick.AppendInterned(ids[i], values[next].value);
        }
      }
      cache.Observe(tick);
    }
    (*engine)->Evaluate(kBaseMs + at);
    for (const AlertRuleTest& t : c.alert_rule_tests) {
      if (t.eval_time_ms != at) continue;
      std::vector<AlertView> want = Expected(t);
      std::vector<AlertView> got = Firing(**engine, t.alertname);
      if (want != got) {
        failures.push_back("alertname: " + t.alertname + ", time: " + std::to_string(at / 1000) +
                           "s\n  exp: " + Describe(want) + "\n  got: " + Describe(got));
      }
    }
  }
  for (const RuleStatus& r : (*engine)->Rules()) {
    if (r.health == "err") failures.push_back("rule " + r.spec.name + ": " + r.last_error);
  }
  return failures;
}

void RunOurs(const std::string& path) {
  Result<std::string> text = ReadRuleFile(path);
  ASSERT_TRUE(text.ok()) << text.status().message();
  Result<PromtoolTestFile> file = ParsePromtoolTestFile(*text, path);
  ASSERT_TRUE(file.ok()) << file.status().message();
  std::vector<std::string> patterns;
  for (const std::string& f : file->rule_files) {
    patterns.push_back((fs::path(path).parent_path() / f).string());
  }
  Result<std::vector<RuleSpec>> rules = LoadRuleFiles(patterns);
  ASSERT_TRUE(rules.ok()) << rules.status().message();
  ASSERT_FALSE(rules->empty());
  ASSERT_FALSE(file->tests.empty());
  for (const PromtoolTestCase& c : file->tests) {
    ASSERT_FALSE(c.alert_rule_tests.empty());
    for (const std::string& f : RunCase(c, file->evaluation_interval_ms, *rules)) {
      ADD_FAILURE() << path << " " << c.name << "\n" << f;
    }
  }
}

// The comparison can fail: a wrong expected annotation and a firing time
// one evaluation early are both reported.
TEST(ScenarioRunner, ReportsWrongExpectations) {
  std::string dir = std::string(PERFWATCH_TEST_DATA) + "/alert/";
  Result<std::string> text = ReadRuleFile(dir + "threshold.test.yaml");
  ASSERT_TRUE(text.ok()) << text.status().message();
  std::string edited = *text;
  for (auto [from, to] :
       {std::pair<std::string, std::string>{"Memory at 85% on a", "Memory at 86% on a"},
        {"eval_time: 6m", "eval_time: 5m"}}) {
    size_t at = edited.find(from);
    ASSERT_NE(at, std::string::npos) << from;
    edited.replace(at, from.size(), to);
  }
  Result<PromtoolTestFile> file = ParsePromtoolTestFile(edited, "edited.yaml");
  ASSERT_TRUE(file.ok()) << file.status().message();
  Result<std::vector<RuleSpec>> rules = LoadRuleFiles({dir + "threshold.rules.yaml"});
  ASSERT_TRUE(rules.ok()) << rules.status().message();
  std::vector<std::string> failures =
      RunCase(file->tests.at(0), file->evaluation_interval_ms, *rules);
  ASSERT_EQ(failures.size(), 2u);
  EXPECT_THAT(failures[0], HasSubstr("alertname: MemoryHigh, time: 60s"));
  EXPECT_THAT(failures[0], HasSubstr("Memory at 86% on a"));
  EXPECT_THAT(failures[1], HasSubstr("alertname: MemoryHighSustained, time: 300s"));
}

class PromtoolScenario : public ::testing::TestWithParam<std::string> {};

TEST_P(PromtoolScenario, PromtoolPasses) {
  if (!fs::exists(kPromtool)) GTEST_SKIP() << kPromtool << " is not installed";
  std::string output;
  int rc = RunCommand(std::string(kPromtool) + " test rules '" + GetParam() + "'", output);
  EXPECT_EQ(rc, 0) << output;
  EXPECT_THAT(output, HasSubstr("SUCCESS"));
}

TEST_P(PromtoolScenario, PerfwatchAgrees) { RunOurs(GetParam()); }

INSTANTIATE_TEST_SUITE_P(Scenarios, PromtoolScenario, ::testing::ValuesIn(ScenarioFiles("")),
                         TestName);

class OwnScenario : public ::testing::TestWithParam<std::string> {};

TEST_P(OwnScenario, PerfwatchPasses) { RunOurs(GetParam()); }

INSTANTIATE_TEST_SUITE_P(Scenarios, OwnScenario, ::testing::ValuesIn(ScenarioFiles("ours")),
                         TestName);

TEST(ScenarioFiles, ThereAreSome) {
  EXPECT_GE(ScenarioFiles("").size(), 4u);
  EXPECT_GE(ScenarioFiles("ours").size(), 1u);
}

std::vector<double> Values(std::string_view text) {
  Result<std::vector<SeriesValue>> r = ExpandSeriesValues(text);
  EXPECT_TRUE(r.ok()) << text << ": " << r.status().message();
  std::vector<double> out;
  if (!r.ok()) return out;
  for (const SeriesValue& v : *r) {
    out.push_back(v.kind == Kind::kValue ? v.value : v.kind == Kind::kMissing ? -1000 : -2000);
  }
  return out;
}

// The examples of Prometheus's unit-testing documentation.
TEST(SeriesNotation, ExpandsLikePromtool) {
  using ::testing::ElementsAre;
  EXPECT_THAT(Values("-2+4x3"), ElementsAre(-2, 2, 6, 10));
  EXPECT_THAT(Values(" 1-2x4"), ElementsAre(1, -1, -3, -5, -7));
  EXPECT_THAT(Values(" 1x4"), ElementsAre(1, 1, 1, 1, 1));
  EXPECT_THAT(Values(" 1 _x3 stale"), ElementsAre(1, -1000, -1000, -1000, -2000));
  EXPECT_THAT(Values("0.5+0.25x2 1e3 _"), ElementsAre(0.5, 0.75, 1, 1000, -1000));
  EXPECT_THAT(Values("1e-3+1e+3x1"), ElementsAre(0.001, 1000.001));
  std::vector<double> special = Values("Inf -Inf NaN");
  ASSERT_EQ(special.size(), 3u);
  EXPECT_EQ(special[0], INFINITY);
  EXPECT_EQ(special[1], -INFINITY);
  EXPECT_TRUE(std::isnan(special[2]));
}

TEST(SeriesNotation, RefusesGarbage) {
  for (const char* bad : {"1+", "abc", "1x", "1+2xq", "1xx2", "_+1x2", "1x-3"}) {
    EXPECT_FALSE(ExpandSeriesValues(bad).ok()) << bad;
  }
}

TEST(PromtoolTestFile, ReadsCasesAndDefaults) {
  Result<PromtoolTestFile> f = ParsePromtoolTestFile(R"(rule_files: [a.yaml, b.yaml]
evaluation_interval: 10s
tests:
  - input_series:
      - series: 'up{job="x", instance="1"}'
        values: '1 0'
    alert_rule_test:
      - eval_time: 20s
        alertname: Down
        exp_alerts:
          - exp_labels: {job: x}
            exp_annotations: {summary: "down"}
      - eval_time: 1m
        alertname: Down
)",
                                                     "t.yaml");
  ASSERT_TRUE(f.ok()) << f.status().message();
  EXPECT_EQ(f->rule_files, (std::vector<std::string>{"a.yaml", "b.yaml"}));
  EXPECT_EQ(f->evaluation_interval_ms, 10'000);
  ASSERT_EQ(f->tests.size(), 1u);
  const PromtoolTestCase& c = f->tests[0];
  EXPECT_EQ(c.interval_ms, 10'000);  // defaults to evaluation_interval
  ASSERT_EQ(c.input_series.size(), 1u);
  EXPECT_EQ(c.input_series[0].metric, "up");
  EXPECT_EQ(c.input_series[0].labels.ToString(), "{instance=\"1\",job=\"x\"}");
  ASSERT_EQ(c.alert_rule_tests.size(), 2u);
  EXPECT_EQ(c.alert_rule_tests[0].eval_time_ms, 20'000);
  ASSERT_EQ(c.alert_rule_tests[0].exp_alerts.size(), 1u);
  EXPECT_EQ(c.alert_rule_tests[0].exp_alerts[0].annotations[0].second, "down");
  EXPECT_TRUE(c.alert_rule_tests[1].exp_alerts.empty());
}

TEST(PromtoolTestFile, RefusesWhatItCannotRunWithPositions) {
  auto error = [](std::string_view text) {
    Result<PromtoolTestFile> f = ParsePromtoolTestFile(text, "t.yaml");
    EXPECT_FALSE(f.ok()) << text;
    return f.ok() ? std::string() : f.status().message();
  };
  EXPECT_THAT(error("tests:\n  - promql_expr_test: []\n"),
              HasSubstr("t.yaml:2:5: unsupported key \"promql_expr_test\""));
  EXPECT_THAT(error("tests:\n  - input_series:\n      - series: up\n        values: '1 q'\n"),
              HasSubstr("t.yaml:4:17: value \"q\": expected a number"));
  EXPECT_THAT(error("tests:\n  - input_series:\n      - series: 'up{a=~\"b\"}'\n"),
              HasSubstr("t.yaml:3:17: a series is a name and label=\"value\" pairs"));
  EXPECT_THAT(error("evaluation_interval: soon\n"), HasSubstr("t.yaml:1:22: invalid duration"));
  EXPECT_THAT(error("tests: [\n"), HasSubstr("t.yaml:"));
}

}  // namespace
}  // namespace perfwatch
