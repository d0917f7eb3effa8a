#pragma once
// The Prometheus text exposition format 0.0.4 (what /metrics endpoints serve
// and what POST /api/v1/push accepts), parsed line by line into callbacks
// without copying: the handler gets each sample's series text exactly as
// written ("name" or "name{a=\"x\"}") so a consumer can look it up in a
// cache and parse the labels only for a series it has not seen.
//
// Malformed lines are reported to the handler with their 1-based line
// number and a short reason, and parsing goes on with the next line.
// Pure functions; thread-safe.

#include <cstddef>
#include <optional>
#include <string_view>

#include "model/labels.h"
#include "model/metric.h"
#include "model/sample.h"
#include "model/status.h"

namespace perfwatch {

enum class PromTextType { kUntyped, kCounter, kGauge, kSummary, kHistogram };

class PromTextHandler {
 public:
  virtual ~PromTextHandler() = default;
  // A "# TYPE name type" line.
  virtual void Type(std::string_view family, PromTextType type) { (void)family, (void)type; }
  // A "# HELP name text" line; `help` still escaped as written.
  virtual void Help(std::string_view family, std::string_view help) { (void)family, (void)help; }
  // One sample. `series` is the name and label set as written (no spaces
  // around); `name` its metric name. `timestamp_ms` when the line has one.
  virtual void Sample(size_t line, std::string_view series, std::string_view name, double value,
                      std::optional<TimestampMs> timestamp_ms) = 0;
  // A rejected line: `reason` is a short token for perfwatch_ingest_errors_total
  // ("bad_name", "bad_labels", "bad_value", "bad_timestamp", "bad_line",
  // "line_too_long"...), `message` says what and where for a person.
  virtual void Error(size_t line, std::string_view reason, std::string_view message) = 0;
};

struct PromTextOptions {
  size_t max_line_bytes = 64 * 1024;
  // OpenMetrics 1.0 text (application/openmetrics-text): timestamps are
  // float seconds, and an exemplar (" # {...} value [ts]") may follow a
  // sample; it is skipped. Otherwise 0.0.4: integer milliseconds.
  bool openmetrics = false;
};

// Parses all of `text`. Returns how many sample lines were handed over.
size_t ParsePromText(std::string_view text, PromTextHandler& handler,
                     const PromTextOptions& options = {});

// The labels of a series text given to PromTextHandler::Sample (validated
// by Labels::Make: reserved names, duplicates, lengths). The error says
// which label and where.
Status ParseSeriesLabels(std::string_view series, Labels* labels);

}  // namespace perfwatch
