// The proof that our semantics are Prometheus's: expressions are evaluated
// by our engine, the results are written as the expected samples of a
// promtool unit test over the same input series, and Debian's promtool
// 2.42 (`promtool test rules`) must agree. Promtool 2.42 compares values
// exactly, so the numbers are written with 17 significant digits.

#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "query/query.h"
#include "series_fixture.h"

namespace perfwatch {
namespace {

using testing::InputSeries;
using testing::SeriesFixture;

constexpr const char* kPromtool = "/usr/bin/promtool";
constexpr int64_t kInterval = 60'000;

const std::vector<InputSeries> kSeries = {
    {R"(cpu{instance="a",job="node"})", "10+5x20"},
    {R"(cpu{instance="b",job="node"})", "50-2x20"},
    {R"(cpu{instance="c",job="api"})", "1 2 _ 4 5 6 _ 8 9 10 11 12 13 14 15 16 17 18 19 20 21"},
    {R"(mem{instance="a",job="node"})", "0.5+0.25x20"},
    {R"(mem{instance="b",job="node"})", "90 85 80 75 70 65 60 55 50 45 40"},
    {R"(req_total{instance="a"})", "0+10x10 3+10x9"},
    {R"(req_total{instance="b"})", "100+7x20"},
    {R"(req_total{instance="c"})", "_x12 5 9 14"},
    {R"(errors_total{instance="a"})", "2+0.5x20"},
};

const std::vector<std::string> kExprs = {
    "cpu",
    R"(cpu{instance="a"})",
    R"(cpu{job=~"no.*"})",
    R"(cpu{instance!="a"})",
    R"(cpu{instance!~"a|b"})",
    R"({__name__=~"cpu|mem", instance="a"})",
    R"({job="api"})",
    "cpu > 30",
    "cpu > bool 30",
    "30 < cpu",
    "cpu * 2 + 1",
    "-cpu",
    "-2 ^ 2 + 2 ^ 3 ^ 2",
    "1 + 2 * 3 - 4 / 8 % 3",
    "5 >= bool 5",
    "cpu % 7",
    "avg_over_time(cpu[5m])",
    "min_over_time(cpu[3m])",
    "max_over_time(cpu[3m])",
    "sum_over_time(mem[4m])",
    "count_over_time(cpu[1m])",
    "count_over_time(cpu[5m])",
    "last_over_time(cpu[2m])",
    "quantile_over_time(0.9, cpu[5m])",
    "quantile_over_time(0.25, mem[10m])",
    "quantile_over_time(2, cpu[5m])",
    "rate(req_total[5m])",
    "rate(req_total[90s])",
    "increase(req_total[3m])",
    "increase(req_total[10m])",
    "rate(errors_total[5m])",
    "delta(cpu[5m])",
    "delta(mem[7m])",
    "sum(cpu)",
    "sum by (job) (cpu)",
    "avg(cpu) by (job)",
    "avg(mem)",
    "max without (instance) (cpu)",
    "min(cpu)",
    "count by (job) (cpu)",
    "cpu and mem",
    "cpu or mem",
    "cpu unless mem",
    "mem or cpu",
    "cpu - mem",
    "cpu > mem",
    "cpu < bool mem",
    "abs(cpu - 40)",
    "clamp_min(cpu, 20)",
    "clamp_max(cpu, 30)",
    "rate(req_total[5m]) > 1",
    "sum by (instance) (rate(req_total[5m]))",
    "max by (instance) (cpu) > 20",
    "avg_over_time(cpu{instance=\"c\"}[5m])",
    "cpu offset 2m",
    "rate(req_total[5m] offset 1m)",
    "sum(rate(req_total[5m])) / count(req_total) > 0",
    "(cpu + 1) * (mem > 1)",
};

// Seconds; 25m and 26m sit exactly at and past the 5m lookback after the
// last samples at 20m.
const std::vector<int64_t> kEvalSeconds = {0, 150, 300, 600, 750, 900, 1200, 1500, 1560};

std::string FormatValue(double v) {
  if (std::isinf(v)) return v > 0 ? ".inf" : "-.inf";
  char buf[40];
  std::snprintf(buf, sizeof(buf), "%.17g", v);
  return buf;
}

std::string FormatLabels(const Labels& labels) {
  std::string name, inner;
  for (const Label& l : labels) {
    if (l.name == "__name__") {
      name = l.value;
      continue;
    }
    if (!inner.empty()) inner += ',';
    inner += l.name + "=\"";
    AppendEscapedLabelValue(inner, l.value);
    inner += '"';
  }
  return name + "{" + inner + "}";
}

std::string SingleQuoted(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("''") : std::string(1, c);
  return out + "'";
}

// Appends one promql_expr_test entry holding our result; false when the
// result holds a NaN, which promtool's exact comparison can never match.
bool AppendCase(std::ostream& out, const std::string& expr, int64_t seconds, const QueryValue& v) {
  std::vector<VectorSample> samples = v.vector;
  if (v.kind == QueryValue::Kind::kScalar) samples.push_back(VectorSample{Labels(), v.scalar});
  for (const VectorSample& s : samples) {
    if (std::isnan(s.value)) return false;
  }
  out << "      - expr: " << SingleQuoted(expr) << "\n"
      << "        eval_time: " << seconds << "s\n"
      << "        exp_samples:" << (samples.empty() ? " []" : "") << "\n";
  for (const VectorSample& s : samples) {
    out << "          - labels: " << SingleQuoted(FormatLabels(s.labels)) << "\n"
        << "            value: " << FormatValue(s.value) << "\n";
  }
  return true;
}

std::string RunCommand(const std::string& command, int& status) {
  std::string output;
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) {
    status = -1;
    return "popen failed";
  }
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof(buf), pipe)) > 0) output.append(buf, n);
  status = pclose(pipe);
  return output;
}

TEST(PromtoolOracle, OurResultsPassPromtoolUnitTests) {
  if (!std::filesystem::exists(kPromtool)) GTEST_SKIP() << kPromtool << " is not installed";
  SeriesFixture fx;
  fx.Load(kSeries, kInterval);

  std::ostringstream file;
  file << "rule_files: []\nevaluation_interval: 1m\ntests:\n  - interval: 1m\n"
       << "    input_series:\n";
  for (const InputSeries& s : kSeries) {
    file << "      - series: " << SingleQuoted(s.series) << "\n"
         << "        values: " << SingleQuoted(s.values) << "\n";
  }
  file << "    promql_expr_test:\n";
  int cases = 0;
  for (const std::string& text : kExprs) {
    Result<ParsedExpr> expr = ParseExpr(text);
    ASSERT_TRUE(expr.ok()) << text << ": " << expr.status().message();
    for (int64_t seconds : kEvalSeconds) {
      Result<QueryValue> v = Evaluate(*expr, fx.source, seconds * 1000);
      ASSERT_TRUE(v.ok()) << text << " at " << seconds << "s: " << v.status().message();
      // The window cache must give what the store gives.
      Result<QueryValue> cached = Evaluate(*expr, fx.cache, seconds * 1000);
      ASSERT_TRUE(cached.ok()) << cached.status().message();
      ASSERT_EQ(cached->vector.size(), v->vector.size()) << text << " at " << seconds << "s";
      for (size_t i = 0; i < v->vector.size(); ++i) {
        EXPECT_EQ(cached->vector[i].labels, v->vector[i].labels);
        EXPECT_EQ(std::isnan(cached->vector[i].value) ? 0 : cached->vector[i].value,
                  std::isnan(v->vector[i].value) ? 0 : v->vector[i].value);
      }
      cases += AppendCase(file, text, seconds, *v) ? 1 : 0;
    }
  }
  EXPECT_GT(cases, 400);

  std::filesystem::path dir =
      std::filesystem::temp_directory_path() / ("pw_promtool_oracle_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  std::filesystem::path path = dir / "oracle_test.yml";
  std::ofstream(path) << file.str();
  int status = 0;
  std::string output =
      RunCommand(std::string(kPromtool) + " test rules " + path.string() + " 2>&1", status);
  EXPECT_EQ(status, 0) << "promtool disagrees with our engine (test file " << path << "):\n"
                       << output;
  if (status == 0) std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace perfwatch
