#pragma once
// POST /api/v1/push: samples an application pushes as Prometheus text
// (0.0.4) or as JSON, written into AppMetrics under their own names (a
// pushed name is refused, not rewritten, when it is not a valid Prometheus
// name).
//
// Prometheus text, by the family's # TYPE (none: untyped):
//   counter                              counter, Set (the absolute cumulative value)
//   gauge, untyped                       gauge, Set
//   summary  name{quantile=...}          gauge per quantile series
//            name_count, name_sum        counters
//   histogram name_bucket{le=...}, name_count, name_sum
//                                        counters, one per series as written
// The raw key of a series is its text as written, so a body that repeats
// the series of the last one costs a hash lookup per sample, no Labels.
//
// JSON: a list of samples, or {"samples": [...]}:
//   {"name": "jobs_done_total", "labels": {"queue": "a"}, "value": 12,
//    "timestamp": 1700000000000 | "2023-11-14T22:13:20Z",   (optional)
//    "type": "counter" | "gauge"}   (optional: counter for a _total name, else gauge)
//   {"name": "request_milliseconds", "type": "summary" | "histogram",
//    "values": [12.5, 30], "labels": {...}}                 (each value observed)
// A value may also be "NaN", "+Inf" or "-Inf".
//
// Timestamps go to AppMetrics, which refuses samples out of order or too old.
// Pure functions of their arguments; thread-safe.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "ingest/app_metrics.h"
#include "ingest/prom_text_parser.h"

namespace perfwatch {

struct PushResult {
  uint64_t accepted = 0;
  uint64_t rejected = 0;  // malformed or refused samples, `limited` excluded
  uint64_t limited = 0;   // dropped for the series limit
  // The first kMaxPushErrors messages, each naming its line or index.
  std::vector<std::string> errors;
  // True when the body as a whole could not be read (JSON that is not JSON
  // or not a list of samples).
  bool unreadable = false;
};

inline constexpr size_t kMaxPushErrors = 10;

PushResult IngestPromText(std::string_view body, AppMetrics::Batch& batch,
                          const PromTextOptions& options = {});
PushResult IngestJsonSamples(std::string_view body, AppMetrics::Batch& batch);
// The same, parsing the JSON before taking AppMetrics' lock (what the route
// does, so a large body does not hold StatsD back while it is parsed);
// counts the body as one message of `message_bytes`.
PushResult IngestJsonSamples(std::string_view body, AppMetrics& metrics, uint64_t message_bytes);

// {"accepted":n,"rejected":m,"limited":k,"errors":[...]} (limited only when
// not zero).
std::string PushResultJson(const PushResult& result);

}  // namespace perfwatch
