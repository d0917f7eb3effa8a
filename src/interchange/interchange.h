#pragma once
// Import and export of sample history as files: OpenMetrics text (as
// `promtool tsdb create-blocks-from openmetrics` reads it), CSV, and JSON
// (perfwatch's history shape, plus the seed tool's performance history).
// The formats are written down in src/interchange/README.md.
//
// Everything streams: readers pull bounded chunks from a std::istream and
// hand each sample to a HistorySink as soon as it is parsed; writers are
// sinks that hand their text to a callback in chunks. Neither ever holds a
// whole history. Pure code: no files, sockets or clocks of its own.
//
// Readers and writers are not thread-safe; use one per thread.

#include <cstddef>
#include <cstdint>
#include <functional>
#include <iosfwd>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "model/metric.h"
#include "model/registry.h"
#include "model/sample.h"
#include "model/status.h"

namespace perfwatch {

enum class HistoryFormat { kOpenMetrics, kCsv, kJson };

// "openmetrics", "csv" or "json"; the error lists the allowed names.
Result<HistoryFormat> ParseHistoryFormat(std::string_view name);
std::string_view ToString(HistoryFormat format);
// The HTTP Content-Type of an export in `format`.
std::string_view ContentType(HistoryFormat format);

// Where samples go. A reader calls BeginSeries, then AddSample for each
// sample of that series, and BeginSeries again whenever the series changes.
// The same series may begin more than once (CSV rows in any order, seed
// snapshots interleave nine series); a sink that needs distinct series
// interns the keys itself. Readers never call BeginSeries for a series
// without samples. A non-OK Status from the sink stops the read and is
// returned with the line number prefixed.
class HistorySink {
 public:
  virtual ~HistorySink() = default;
  // `key` is valid (IsValidMetricName, Labels::Make) and lives only for the
  // call. `meta` is null when the input does not describe the metric;
  // otherwise meta->name == key.name.
  virtual Status BeginSeries(const SeriesKey& key, const MetricMeta* meta) = 0;
  virtual Status AddSample(Sample sample) = 0;
};

// Accepts everything: for a validating first pass (see README.md, "Import
// without half-written history").
class NullSink final : public HistorySink {
 public:
  Status BeginSeries(const SeriesKey&, const MetricMeta*) override { return Status::Ok(); }
  Status AddSample(Sample) override { return Status::Ok(); }
};

struct ReadOptions {
  // False (the default, and what import uses): the first bad record stops
  // the read with an error naming its line. True: bad records (an
  // OpenMetrics or CSV line, a JSON point or snapshot) are counted in
  // ReadStats::skipped and the read goes on; errors that lose the reader's
  // place (JSON syntax, a missing "# EOF", an unterminated CSV quote) and
  // errors from the sink still stop it.
  bool skip_bad_records = false;
  // Longest OpenMetrics or CSV line accepted, in bytes.
  size_t max_line_bytes = size_t{1} << 20;
  // A JSON series whose "points" come before its "metric" and "labels"
  // keys is held in memory until the object ends, up to this many points.
  size_t max_buffered_points = 1'000'000;
  // Minutes east of UTC assumed for ISO 8601 times written without an
  // offset (the seed tool wrote local time). 0: such times are UTC.
  int naive_time_offset_minutes = 0;
};

// How many errors ReadStats keeps word for word (the rest are only counted).
inline constexpr size_t kMaxKeptErrors = 10;
inline constexpr size_t kMaxKeptUnknownKeys = 16;

struct ReadStats {
  uint64_t lines = 0;    // lines read so far
  uint64_t samples = 0;  // samples handed to the sink
  uint64_t skipped = 0;  // bad records skipped (skip_bad_records)
  // "line N: why" of the first kMaxKeptErrors skipped records.
  std::vector<std::string> skipped_errors;
  // Seed snapshots: keys outside the mapping table, skipped; the first
  // kMaxKeptUnknownKeys distinct names are kept.
  uint64_t unknown_keys = 0;
  std::vector<std::string> unknown_key_names;
};

// Reads `in` to its end (OpenMetrics: to "# EOF") into `sink`. `stats`, if
// not null, is filled whether or not the read succeeds, so a caller can say
// how much was written before an error. Errors are kInvalidArgument
// "line 17: expected a value after the labels" (with ", column C" where it
// helps), kIOError when the stream fails, or the sink's own Status.
Status ReadHistory(HistoryFormat format, std::istream& in, HistorySink& sink,
                   const ReadOptions& options = {}, ReadStats* stats = nullptr);

// Receives a writer's text, in order, in pieces of about
// WriteOptions::chunk_bytes. The views are valid only during the call.
using ChunkOutput = std::function<void(std::string_view)>;

struct WriteOptions {
  // Text is handed to the ChunkOutput once this many bytes are buffered.
  size_t chunk_bytes = 64 * 1024;
};

// A sink that writes a file format. Series should come grouped by metric
// name (OpenMetrics wants each family's lines together); a series with no
// samples writes nothing. BeginSeries refuses an invalid metric name.
class HistoryWriter : public HistorySink {
 public:
  // Writes the format's end ("# EOF", closing brackets) and hands over what
  // is buffered. Call exactly once, last.
  virtual void Finish() = 0;
};

// `out` must stay callable until Finish returns.
std::unique_ptr<HistoryWriter> MakeHistoryWriter(HistoryFormat format, ChunkOutput out,
                                                 const WriteOptions& options = {});

}  // namespace perfwatch
