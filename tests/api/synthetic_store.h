#pragma once
// A Store test double that makes history up instead of holding it: every
// series has one sample every interval_ms, at any time, with a value derived
// from its id and time. Streaming tests get megabytes of history this way
// without storing them, and can watch how far a reader has pulled (points
// handed out) or make the store fail from a given query on.
//
// Thread-safe: server threads query while the test reads the counters.

#include <atomic>
#include <climits>
#include <vector>

#include "store/store.h"

namespace perfwatch::apitest {

class SyntheticStore final : public Store {
 public:
  explicit SyntheticStore(int64_t interval_ms = 1000) : interval_ms_(interval_ms) {}

  static double ValueAt(SeriesId id, TimestampMs t, int64_t interval_ms) {
    return id * 1000.0 + static_cast<double>(t / interval_ms % 1000) * 0.25;
  }

  Status Commit(const Tick&) override { return Status::Ok(); }

  Result<std::vector<SeriesPoints>> Query(const std::vector<SeriesId>& ids,
                                          const QueryRange& range) const override {
    if (queries.fetch_add(1) >= fail_after.load()) {
      return Status::IOError("synthetic store failed on purpose");
    }
    std::vector<SeriesPoints> out;
    for (SeriesId id : ids) {
      SeriesPoints sp{id, {}};
      TimestampMs first = (range.from_ms + interval_ms_ - 1) / interval_ms_ * interval_ms_;
      for (TimestampMs t = first; t <= range.to_ms; t += interval_ms_) {
        sp.points.push_back({t, ValueAt(id, t, interval_ms_)});
      }
      points.fetch_add(static_cast<int64_t>(sp.points.size()));
      if (!sp.points.empty()) out.push_back(std::move(sp));
    }
    return out;
  }

  StoreStats Stats() const override { return {}; }

  // Queries answered before this many have been made; later ones fail.
  std::atomic<int64_t> fail_after{INT64_MAX};
  mutable std::atomic<int64_t> queries{0};
  mutable std::atomic<int64_t> points{0};  // samples handed out so far

 private:
  const int64_t interval_ms_;
};

}  // namespace perfwatch::apitest
