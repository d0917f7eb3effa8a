#pragma once
// HistoryExport: a resumable walk of stored history out through a
// HistoryWriter, one piece of text (about WriteOptions::chunk_bytes) per
// call. `perfwatch export` drains it into a file; GET /api/v1/export pulls
// it one piece per socket write, so neither ever holds a whole export.
//
// Memory: the raw samples of one query window of one series (at most an
// hour of it, less when the store refuses the window as too many points)
// plus the writer's buffer and the piece being handed out.
//
// Not thread-safe: one caller at a time (calls may come from different
// threads, as a server strand does, if they never overlap). `registry` and
// `store` must outlive the export.

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "interchange/interchange.h"
#include "model/registry.h"
#include "model/sample.h"
#include "model/status.h"
#include "store/store.h"

namespace perfwatch {

struct ExportRange {
  TimestampMs from_ms = 0;  // inclusive
  TimestampMs to_ms = 0;    // inclusive
};

class HistoryExport {
 public:
  // Exports the raw samples of `ids` within `range`, series grouped by
  // metric name (as writers want them) and otherwise in id order.
  // Precondition: range.from_ms <= range.to_ms.
  HistoryExport(const SeriesRegistry& registry, const Store& store, std::vector<SeriesId> ids,
                ExportRange range, HistoryFormat format, const WriteOptions& options = {});
  ~HistoryExport();
  HistoryExport(const HistoryExport&) = delete;
  HistoryExport& operator=(const HistoryExport&) = delete;

  // Replaces *out with the next piece of the export. True while more may
  // follow; false once the export is complete (*out then holds its last
  // piece, possibly empty). An error (the store failed) is returned again by
  // every later call: what was handed out so far is a truncated export.
  Result<bool> Next(std::string* out);

  // Samples handed to the writer so far.
  uint64_t samples() const { return samples_; }

 private:
  // One step of work: feed buffered samples, query the next window, move to
  // the next series, or finish. Stops early once a piece is pending.
  Status Advance();
  Status FeedBuffered();
  Status QueryNextWindow();
  void StartSeries();

  const SeriesRegistry& registry_;
  const Store& store_;
  const std::vector<SeriesId> ids_;
  const ExportRange range_;
  std::unique_ptr<HistoryWriter> writer_;
  std::string pending_;  // text the writer handed over, not yet returned

  size_t current_ = 0;           // index into ids_ of the series being walked
  size_t next_series_ = 0;       // index into ids_ of the next series to walk
  bool in_series_ = false;       // ids_[current_] has windows left to query
  bool series_begun_ = false;    // BeginSeries was called for it
  TimestampMs window_from_ = 0;  // next window's start
  int64_t window_ms_ = 0;        // next window's length
  std::vector<Sample> window_;   // the current window's samples
  size_t window_pos_ = 0;        // first sample of window_ not yet fed
  uint64_t samples_ = 0;
  bool finished_ = false;
  Status error_;
};

}  // namespace perfwatch
