#pragma once
// SeriesSelector: a metric name with optional label matchers, as Prometheus
// writes them: system_cpu_usage_percent{cpu="0"}, up{job=~"node|api"},
// {__name__=~"system_disk_.*"}. Regular expressions are RE2's syntax, fully
// anchored, as in PromQL; RE2 matches in time linear in the input, so a
// pattern sent in a query can never tie up a server thread (std::regex
// backtracks exponentially on patterns such as "s*******").
// Immutable after Parse; safe to share across threads.

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "model/registry.h"
#include "model/status.h"

namespace re2 {
class RE2;
}

namespace perfwatch {

struct LabelMatcher {
  enum class Op { kEqual, kNotEqual, kRegexMatch, kRegexNoMatch };
  std::string name;
  Op op = Op::kEqual;
  std::string value;
  std::shared_ptr<const re2::RE2> regex;  // set for the regex ops

  bool Matches(std::string_view label_value) const;
};

class SeriesSelector {
 public:
  // Errors name the problem and its byte offset: "expected '=' at 14".
  static Result<SeriesSelector> Parse(std::string_view text);

  // "" when the selector names no metric (then a __name__ matcher does).
  const std::string& metric() const { return metric_; }
  const std::vector<LabelMatcher>& matchers() const { return matchers_; }
  bool Matches(const SeriesKey& key) const;

  // Every series of `registry` the selector matches, in id order.
  std::vector<SeriesId> Select(const SeriesRegistry& registry) const;

 private:
  std::string metric_;
  std::vector<LabelMatcher> matchers_;  // __name__ matchers included
};

}  // namespace perfwatch
