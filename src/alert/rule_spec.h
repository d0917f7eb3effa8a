#pragma once
// RuleSpec: one alerting rule as written in the config (`rules:`), a rule
// file (`rule_files:`, Prometheus's `groups:` layout or a plain list) or
// built in. Plain data, parsed by alert/rule_file.h and compiled by the
// engine; value type.

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace perfwatch {

struct RuleSpec {
  std::string name;  // becomes the alert's `alertname` label
  std::string expr;  // the firing condition (query/query.h)
  // Hysteresis: once firing, the alert stays firing while this expression
  // still returns its series, so a value hovering at the line does not
  // flap ("x > 80" fires, "x > 75" holds). Empty: `expr` alone decides.
  std::string keep_firing_while;
  int64_t for_ms = 0;              // pending this long before firing
  int64_t keep_firing_for_ms = 0;  // Prometheus's keep_firing_for
  std::string severity = "warning";
  std::vector<std::pair<std::string, std::string>> labels;       // added to the alert
  std::vector<std::pair<std::string, std::string>> annotations;  // {{ $value }}, {{ $labels.x }}
  bool enabled = true;  // false switches a built-in rule off by name
  // Where it was written ("perfwatch.yaml:12" or "built-in"), for messages.
  std::string source;
};

}  // namespace perfwatch
