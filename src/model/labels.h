#pragma once
// Labels: a sorted set of name="value" pairs that, with the metric name,
// identify a series. Immutable once built; safe to share across threads.

#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "model/status.h"

namespace perfwatch {

// Prometheus data model rules: metric names [a-zA-Z_:][a-zA-Z0-9_:]*,
// label names [a-zA-Z_][a-zA-Z0-9_]* and not starting with "__".
bool IsValidMetricName(std::string_view name);
bool IsValidLabelName(std::string_view name);

struct Label {
  std::string name;
  std::string value;
  friend bool operator==(const Label&, const Label&) = default;
  friend auto operator<=>(const Label&, const Label&) = default;
};

// Limits that keep one bad client from exhausting memory.
inline constexpr size_t kMaxLabelsPerSeries = 32;
inline constexpr size_t kMaxLabelValueBytes = 1024;

class Labels {
 public:
  Labels() = default;
  // For literals in trusted code (collectors): sorts and drops empty values
  // (as Make does), does not validate.
  Labels(std::initializer_list<Label> labels);

  // Sorts and validates names, duplicates and lengths; the error names the
  // offending label.
  static Result<Labels> Make(std::vector<Label> labels);

  // Value of `name`, or "" when absent (Prometheus treats both the same).
  std::string_view Get(std::string_view name) const;
  bool empty() const { return labels_.empty(); }
  size_t size() const { return labels_.size(); }
  auto begin() const { return labels_.begin(); }
  auto end() const { return labels_.end(); }

  // {a="x",b="y"} with Prometheus escaping of \, " and newline; "" if empty.
  std::string ToString() const;

  friend bool operator==(const Labels&, const Labels&) = default;

 private:
  explicit Labels(std::vector<Label> sorted) : labels_(std::move(sorted)) {}
  std::vector<Label> labels_;  // sorted by name, names unique
};

// Escapes a label value for the Prometheus text format.
void AppendEscapedLabelValue(std::string& out, std::string_view value);

// A sample value as the Prometheus and OpenMetrics text formats spell it:
// the shortest decimal that reads back to the same double, NaN, +Inf, -Inf.
void AppendPrometheusFloat(std::string& out, double value);

}  // namespace perfwatch
