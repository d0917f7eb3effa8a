#pragma once
// What every collector shares for writing: the static declaration of a metric
// family (MetricDef) and SampleWriter, which appends samples and keeps the
// first refusal so a collector appends all it can and reports once.

#include <cmath>
#include <cstddef>
#include <span>
#include <string_view>

#include "model/appender.h"
#include "model/labels.h"
#include "model/metric.h"
#include "model/status.h"

namespace perfwatch {

// A metric family as a collector declares it; views into string literals.
struct MetricDef {
  std::string_view name;
  MetricKind kind;
  std::string_view unit;  // "seconds", "bytes", "percent", "" for counts
  std::string_view help;
};

// Calls out.Describe for each family. Collectors do it on their first
// Collect only: the registry keeps the first description anyway.
void DescribeAll(Appender& out, std::span<const MetricDef> defs);

// Wraps one Collect call's Appender. `out` must outlive the writer.
// One thread at a time.
class SampleWriter {
 public:
  explicit SampleWriter(Appender& out) : out_(out) {}

  // Percentages are rounded to 0.001 points: they are ratios of counters
  // read microseconds apart, so further digits are noise, and a value with
  // three decimals stores in a fraction of the bytes of a full double (the
  // decimal transform of store/block_codec.h).
  void Add(const MetricDef& def, const Labels& labels, double value) {
    if (def.unit == "percent") value = std::round(value * 1000) / 1000;
    Status s = out_.Append(def.name, labels, value);
    if (!s.ok() && rejected_++ == 0) first_error_ = std::move(s);
  }

  // `source` when it is not ok (the file was missing or malformed); else the
  // first refused append, counted ("3 samples rejected; first: ..."); else ok.
  Status Finish(Status source = Status::Ok());

 private:
  Appender& out_;
  size_t rejected_ = 0;
  Status first_error_;
};

}  // namespace perfwatch
