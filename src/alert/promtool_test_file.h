#pragma once
// Rule unit-test files in `promtool test rules` format: rule files to load,
// input series in promtool's expanding notation ("1+2x3 _ stale"), and the
// firing alerts expected at given times. perfwatch runs the same files
// through its own engine (tests/alert/scenario_test.cpp) so both tools can
// be held to the same firing and resolving times. Only alert_rule_test is
// supported; promql_expr_test and other keys are refused.
// Pure functions; thread-safe.

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "model/labels.h"
#include "model/status.h"

namespace perfwatch {

struct SeriesValue {
  enum class Kind { kValue, kMissing, kStale };
  Kind kind = Kind::kValue;
  double value = 0;
};

// "a+bxN" -> a, a+b, ..., a+N*b (N+1 values); "a-bxN"; "axN" (N+1 times a);
// "_" missing; "_xN" N missing; "stale"; plain numbers, Inf, NaN.
Result<std::vector<SeriesValue>> ExpandSeriesValues(std::string_view text);

struct InputSeries {
  std::string metric;
  Labels labels;
  std::vector<SeriesValue> values;  // the i-th at i * interval
};

struct ExpectedAlert {
  // As written: without alertname, which promtool adds itself.
  std::vector<std::pair<std::string, std::string>> labels;
  std::vector<std::pair<std::string, std::string>> annotations;
};

struct AlertRuleTest {
  int64_t eval_time_ms = 0;
  std::string alertname;
  std::vector<ExpectedAlert> exp_alerts;  // the FIRING alerts only
};

struct PromtoolTestCase {
  std::string name;
  int64_t interval_ms = 0;  // 0: the file's evaluation_interval
  std::vector<InputSeries> input_series;
  std::vector<AlertRuleTest> alert_rule_tests;
};

struct PromtoolTestFile {
  std::vector<std::string> rule_files;  // as written (relative to the file)
  int64_t evaluation_interval_ms = 60'000;
  std::vector<PromtoolTestCase> tests;
};

// Errors read "SOURCE:LINE:COLUMN: message".
Result<PromtoolTestFile> ParsePromtoolTestFile(std::string_view text, std::string_view source);

}  // namespace perfwatch
