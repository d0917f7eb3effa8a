#include "alert/promtool_test_file.h"

#include <yaml-cpp/yaml.h>

#include <charconv>
#include <cmath>
#include <limits>
#include <set>

#include "model/duration.h"
#include "model/selector.h"

namespace perfwatch {
namespace {

Status Bad(std::string_view what, std::string_view token, std::string_view why) {
  return Status::InvalidArgument(std::string(what) + " \"" + std::string(token) +
                                 "\": " + std::string(why));
}

Result<double> ParseNumber(std::string_view s) {
  bool negative = false;
  std::string_view digits = s;
  if (!digits.empty() && (digits[0] == '+' || digits[0] == '-')) {
    negative = digits[0] == '-';
    digits.remove_prefix(1);
  }
  double v = 0;
  if (digits == "Inf" || digits == "inf") {
    v = std::numeric_limits<double>::infinity();
  } else if (digits == "NaN" || digits == "nan") {
    v = std::numeric_limits<double>::quiet_NaN();
  } else {
    auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), v);
    if (ec != std::errc() || end != digits.data() + digits.size() || digits.empty()) {
      return Bad("value", s, "expected a number");
    }
  }
  return negative ? -v : v;
}

// The position of the + or - between a and b in "a+b", or npos.
size_t OperatorPos(std::string_view head) {
  for (size_t i = 1; i < head.size(); ++i) {
    if ((head[i] == '+' || head[i] == '-') && head[i - 1] != 'e' && head[i - 1] != 'E') return i;
  }
  return std::string_view::npos;
}

Status ExpandToken(std::string_view token, std::vector<SeriesValue>& out) {
  using Kind = SeriesValue::Kind;
  if (token == "_") return out.push_back({Kind::kMissing, 0}), Status::Ok();
  if (token == "stale") return out.push_back({Kind::kStale, 0}), Status::Ok();
  size_t x = token.rfind('x');
  if (x == std::string_view::npos) {
    Result<double> v = ParseNumber(token);
    if (!v.ok()) return v.status();
    return out.push_back({Kind::kValue, *v}), Status::Ok();
  }
  std::string_view head = token.substr(0, x);
  std::string_view count_text = token.substr(x + 1);
  int64_t n = 0;
  auto [end, ec] = std::from_chars(count_text.data(), count_text.data() + count_text.size(), n);
  if (ec != std::errc() || end != count_text.data() + count_text.size() || n < 0 || n > 1'000'000) {
    return Bad("series value", token, "expected a repeat count after x");
  }
  // "_xN" is N missing samples; "axN" and "a+bxN" are N+1 values.
  if (head == "_") return out.insert(out.end(), n, {Kind::kMissing, 0}), Status::Ok();
  size_t op = OperatorPos(head);
  Result<double> a = ParseNumber(head.substr(0, op));
  if (!a.ok()) return a.status();
  double b = 0;
  if (op != std::string_view::npos) {
    Result<double> step = ParseNumber(head.substr(op + 1));
    if (!step.ok()) return step.status();
    b = head[op] == '-' ? -*step : *step;
  }
  for (int64_t i = 0; i <= n; ++i) out.push_back({Kind::kValue, *a + static_cast<double>(i) * b});
  return Status::Ok();
}

class TestFileParser {
 public:
  explicit TestFileParser(std::string_view source) : source_(source) {}
  Result<PromtoolTestFile> Parse(const YAML::Node& root);

 private:
  Status Fail(const YAML::Node& node, std::string_view message) const {
    const YAML::Mark m = node.Mark();
    return Status::InvalidArgument(source_ + ":" + std::to_string(m.line + 1) + ":" +
                                   std::to_string(m.column + 1) + ": " + std::string(message));
  }
  Status CheckKeys(const YAML::Node& map, std::initializer_list<std::string_view> allowed,
                   std::string_view what) const;
  Result<int64_t> Duration(const YAML::Node& node) const;
  Result<PromtoolTestCase> ParseCase(const YAML::Node& node) const;
  Result<InputSeries> ParseSeries(const YAML::Node& node) const;
  Result<AlertRuleTest> ParseAlertTest(const YAML::Node& node) const;
  Result<std::vector<std::pair<std::string, std::string>>> Pairs(const YAML::Node& node) const;

  std::string source_;
};

Status TestFileParser::CheckKeys(const YAML::Node& map,
                                 std::initializer_list<std::string_view> allowed,
                                 std::string_view what) const {
  if (!map.IsMap()) return Fail(map, "expected a mapping for " + std::string(what));
  for (const auto& kv : map) {
    std::string key = kv.first.Scalar();
    bool known = false;
    for (std::string_view a : allowed) known = known || a == key;
    if (!known) return Fail(kv.first, "unsupported key \"" + key + "\" in " + std::string(what));
  }
  return Status::Ok();
}

Result<int64_t> TestFileParser::Duration(const YAML::Node& node) const {
  if (!node.IsScalar()) return Fail(node, "expected a duration");
  Result<int64_t> ms = ParseDuration(node.Scalar());
  if (!ms.ok()) return Fail(node, ms.status().message());
  return *ms;
}

Result<std::vector<std::pair<std::string, std::string>>> TestFileParser::Pairs(
    const YAML::Node& node) const {
  std::vector<std::pair<std::string, std::string>> out;
  if (!node || node.IsNull()) return out;
  if (!node.IsMap()) return Fail(node, "expected a mapping of name: value");
  for (const auto& kv : node) {
    if (!kv.second.IsScalar()) return Fail(kv.second, "expected a string");
    out.emplace_back(kv.first.Scalar(), kv.second.Scalar());
  }
  return out;
}

Result<InputSeries> TestFileParser::ParseSeries(const YAML::Node& node) const {
  if (Status st = CheckKeys(node, {"series", "values"}, "input_series"); !st.ok()) return st;
  if (!node["series"].IsScalar()) return Fail(node, "input_series needs series");
  Result<SeriesSelector> sel = SeriesSelector::Parse(node["series"].Scalar());
  if (!sel.ok()) return Fail(node["series"], sel.status().message());
  InputSeries s;
  s.metric = sel->metric();
  std::vector<Label> labels;
  for (const LabelMatcher& m : sel->matchers()) {
    if (m.op != LabelMatcher::Op::kEqual || m.name == "__name__") {
      return Fail(node["series"], "a series is a name and label=\"value\" pairs");
    }
    labels.push_back({m.name, m.value});
  }
  Result<Labels> made = Labels::Make(std::move(labels));
  if (!made.ok()) return Fail(node["series"], made.status().message());
  s.labels = std::move(*made);
  const YAML::Node& values = node["values"];
  if (values && !values.IsScalar()) return Fail(values, "values: expected a string");
  if (values) {
    Result<std::vector<SeriesValue>> v = ExpandSeriesValues(values.Scalar());
    if (!v.ok()) return Fail(values, v.status().message());
    s.values = std::move(*v);
  }
  return s;
}

Result<AlertRuleTest> TestFileParser::ParseAlertTest(const YAML::Node& node) const {
  if (Status st = CheckKeys(node, {"eval_time", "alertname", "exp_alerts"}, "alert_rule_test");
      !st.ok()) {
    return st;
  }
  AlertRuleTest t;
  Result<int64_t> at = Duration(node["eval_time"]);
  if (!at.ok()) return at.status();
  t.eval_time_ms = *at;
  if (!node["alertname"].IsScalar()) return Fail(node, "alert_rule_test needs alertname");
  t.alertname = node["alertname"].Scalar();
  const YAML::Node& exp = node["exp_alerts"];
  if (!exp || exp.IsNull()) return t;
  if (!exp.IsSequence()) return Fail(exp, "exp_alerts: expected a list");
  for (const YAML::Node& a : exp) {
    if (Status st = CheckKeys(a, {"exp_labels", "exp_annotations"}, "exp_alerts"); !st.ok()) {
      return st;
    }
    auto labels = Pairs(a["exp_labels"]);
    if (!labels.ok()) return labels.status();
    auto annotations = Pairs(a["exp_annotations"]);
    if (!annotations.ok()) return annotations.status();
    t.exp_alerts.push_back({std::move(*labels), std::move(*annotations)});
  }
  return t;
}

Result<PromtoolTestCase> TestFileParser::ParseCase(const YAML::Node& node) const {
  if (Status st =
          CheckKeys(node, {"name", "interval", "input_series", "alert_rule_test"}, "a test");
      !st.ok()) {
    return st;
  }
  PromtoolTestCase c;
  if (node["name"]) c.name = node["name"].Scalar();
  if (node["interval"]) {
    Result<int64_t> ms = Duration(node["interval"]);
    if (!ms.ok()) return ms.status();
    c.interval_ms = *ms;
  }
  for (const YAML::Node& s : node["input_series"]) {
    Result<InputSeries> series = ParseSeries(s);
    if (!series.ok()) return series.status();
    c.input_series.push_back(std::move(*series));
  }
  for (const YAML::Node& t : node["alert_rule_test"]) {
    Result<AlertRuleTest> test = ParseAlertTest(t);
    if (!test.ok()) return test.status();
    c.alert_rule_tests.push_back(std::move(*test));
  }
  return c;
}

Result<PromtoolTestFile> TestFileParser::Parse(const YAML::Node& root) {
  if (Status st = CheckKeys(root, {"rule_files", "evaluation_interval", "tests"}, "the file");
      !st.ok()) {
    return st;
  }
  PromtoolTestFile file;
  for (const YAML::Node& f : root["rule_files"]) {
    if (!f.IsScalar()) return Fail(f, "rule_files: expected file names");
    file.rule_files.push_back(f.Scalar());
  }
  if (root["evaluation_interval"]) {
    Result<int64_t> ms = Duration(root["evaluation_interval"]);
    if (!ms.ok()) return ms.status();
    file.evaluation_interval_ms = *ms;
  }
  if (file.evaluation_interval_ms <= 0) {
    return Fail(root["evaluation_interval"], "evaluation_interval must be positive");
  }
  for (const YAML::Node& t : root["tests"]) {
    Result<PromtoolTestCase> c = ParseCase(t);
    if (!c.ok()) return c.status();
    if (c->interval_ms == 0) c->interval_ms = file.evaluation_interval_ms;
    file.tests.push_back(std::move(*c));
  }
  return file;
}

}  // namespace

Result<std::vector<SeriesValue>> ExpandSeriesValues(std::string_view text) {
  std::vector<SeriesValue> out;
  size_t i = 0;
  while (i < text.size()) {
    if (text[i] == ' ' || text[i] == '\t' || text[i] == '\n') {
      ++i;
      continue;
    }
    size_t end = text.find_first_of(" \t\n", i);
    if (end == std::string_view::npos) end = text.size();
    if (Status st = ExpandToken(text.substr(i, end - i), out); !st.ok()) return st;
    i = end;
  }
  return out;
}

Result<PromtoolTestFile> ParsePromtoolTestFile(std::string_view text, std::string_view source) {
  try {
    YAML::Node root = YAML::Load(std::string(text));
    return TestFileParser(source).Parse(root);
  } catch (const YAML::Exception& e) {
    return Status::InvalidArgument(std::string(source) + ":" + std::to_string(e.mark.line + 1) +
                                   ":" + std::to_string(e.mark.column + 1) + ": " + e.msg);
  }
}

}  // namespace perfwatch
