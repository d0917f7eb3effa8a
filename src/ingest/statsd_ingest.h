#pragma once
// StatsdIngester: StatsD / DogStatsD datagrams into AppMetrics. Each line is
// parsed (statsd_parser.h), its series found by the raw key
// "name|type|tags" (value, rate and timestamp excluded), and its values
// written. Only on a cache miss is the name mapped and are the tags turned
// into Labels (docs/METRICS.md, "StatsD"):
//
//   type   series name                      kind              write per value
//   c      name_total ("_total" added once)  kCounter          Add(value / rate, T)
//   g      name                             kGauge            Set(value, T); Add(±value, T) when
//   signed ms     name_milliseconds (added once)   kSummary          Observe(value, 1 / rate) h, d
//   name                             histogram_kind    Observe(value, 1 / rate) s      name kSet
//   AddMember(member)
//
// Names go through SanitizeMetricName (dots and other bytes outside
// [a-zA-Z0-9_:] become '_'), tag keys through SanitizeLabelName; a key
// given twice keeps its last value, a tag with an empty value is dropped,
// a key alone is the value "true". A "quantile" tag on a summary or an "le"
// tag on a histogram would collide with the label perfwatch adds: refused
// as "bad_tags". The rate is ignored for gauges and sets, the timestamp for
// summaries, histograms and sets.
//
// Counting: each datagram (Message), each value written (Accepted), each
// refused line by its parser reason or Create's / the write's reason.
//
// Not thread-safe: one per receiving thread. It reuses its buffers, so the
// hot path (a cached series) does not allocate.

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "ingest/app_metrics.h"
#include "ingest/statsd_parser.h"

namespace perfwatch {

// The perfwatch name of a StatsD metric of `type` (the table above).
std::string StatsdSeriesName(std::string_view name, StatsdType type);

class StatsdIngester {
 public:
  explicit StatsdIngester(AppKind histogram_kind = AppKind::kHistogram,
                          StatsdParseOptions parse = {});

  // Writes every line of one datagram through `batch` and counts the
  // datagram. Returns the number of non-empty lines.
  size_t IngestDatagram(AppMetrics::Batch& batch, std::string_view datagram);

 private:
  void IngestLine(AppMetrics::Batch& batch, std::string_view text);
  // The series of line_ (found or created), or null when refused and counted.
  AppSeries* SeriesOfLine(AppMetrics::Batch& batch);
  AppSeries* CreateSeries(AppMetrics::Batch& batch);
  AppKind KindOf(StatsdType type) const;
  size_t WriteValues(AppMetrics::Batch& batch, AppSeries* series);

  const AppKind histogram_kind_;
  const StatsdParseOptions parse_;
  StatsdLine line_;  // reused from line to line
  std::string key_;  // reused raw cache key
};

}  // namespace perfwatch
