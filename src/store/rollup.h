#pragma once
// Rollups: one RollupPoint summarizes a series over a fixed bucket of time
// (1 minute from raw samples, 1 hour from 1-minute points) so long ranges are
// answered from few points. RollupBuilder folds a stream of samples or finer
// points into closed buckets as they end.
//
// NaN semantics match MemStore's step queries, so a tier answers exactly as
// raw would: min, max, sum and count skip NaN samples; `last` is the bucket's
// last sample as is, NaN included. A bucket of only NaN samples still exists
// (count 0, last NaN) and every aggregation of it is NaN.

#include <cstdint>
#include <functional>
#include <limits>
#include <optional>
#include <span>
#include <vector>

#include "model/registry.h"
#include "model/sample.h"
#include "model/status.h"
#include "store/store.h"

namespace perfwatch {

struct RollupPoint {
  TimestampMs t = 0;  // bucket start, a multiple of the bucket width
  double min = std::numeric_limits<double>::quiet_NaN();  // NaN while count == 0
  double max = std::numeric_limits<double>::quiet_NaN();
  double sum = 0;
  uint64_t count = 0;  // samples that are not NaN
  double last = std::numeric_limits<double>::quiet_NaN();
};

// floor(t / width) * width, saturating at INT64_MIN. width > 0.
TimestampMs AlignDown(TimestampMs t, int64_t width);

// The summary of a's samples followed by b's (b is the later one); stamped
// a.t. A bucket builder sets t itself.
RollupPoint Combine(const RollupPoint& a, const RollupPoint& b);

// What MemStore's Bucketer answers for the same samples: avg = sum / count,
// min, max (NaN when count == 0), last.
double Value(const RollupPoint& point, Aggregation agg);

// Receives each closed bucket; per series, buckets arrive oldest first.
using RollupSink = std::function<void(SeriesId, const RollupPoint&)>;

// Per-series streaming aggregator into buckets of `bucket_ms`. Memory holds
// one open bucket per series, indexed by SeriesId (ids are dense, as the
// registry issues them).
//
// Input of each series must move forward in time: a sample (or point) not
// after the series' previous one, or inside a bucket already emitted, is
// refused and counted. FeedRollup's points must be of a width dividing
// bucket_ms (1-minute points into 1-hour buckets), so none straddles two.
//
// Not thread-safe: one thread (the one committing ticks) feeds and flushes.
// The sink is called from Feed, FeedRollup, Flush and FlushAll, on the
// caller's thread; it must not call back into this builder.
class RollupBuilder {
 public:
  RollupBuilder(int64_t bucket_ms, RollupSink sink);

  // Adds a raw sample; emits the series' open bucket first when `sample`
  // belongs to a later one. Fails (InvalidArgument) on out-of-order input.
  Status Feed(SeriesId id, const Sample& sample);

  // Merges a finer rollup point (its t is its own bucket start).
  Status FeedRollup(SeriesId id, const RollupPoint& point);

  // Emits every open bucket that ended at or before `now` (start + width <=
  // now). Call it with a time no later sample can precede, such as the
  // committed tick's time; later input inside an emitted bucket is refused.
  void Flush(TimestampMs now);

  // Emits every open bucket, finished or not (at shutdown); later input
  // inside those buckets is refused.
  void FlushAll();

  // The series' open bucket so far, so a query can include the bucket in
  // progress; nullopt when none is open.
  std::optional<RollupPoint> Open(SeriesId id) const;

  int64_t bucket_ms() const { return bucket_ms_; }
  size_t open_buckets() const { return open_buckets_; }
  uint64_t refused() const { return refused_; }

 private:
  struct SeriesState {
    RollupPoint open;
    bool has_open = false;
    TimestampMs next_t = std::numeric_limits<TimestampMs>::min();  // earliest input accepted
  };

  SeriesState& StateOf(SeriesId id);
  Status Refuse(SeriesId id, TimestampMs t, const SeriesState& state);
  // Emits the open bucket when `t` lies past it; then makes sure one is open.
  void Advance(SeriesId id, SeriesState& state, TimestampMs t);
  void Emit(SeriesId id, SeriesState& state);

  const int64_t bucket_ms_;
  const RollupSink sink_;
  std::vector<SeriesState> series_;  // indexed by SeriesId
  size_t open_buckets_ = 0;
  uint64_t refused_ = 0;
};

// One series' time-ordered samples (or finer points) as closed buckets of
// `bucket_ms`, the last one included even if unfinished: for rolling up a
// sealed block at once. Input not after its predecessor is skipped.
std::vector<RollupPoint> RollUp(std::span<const Sample> samples, int64_t bucket_ms);
std::vector<RollupPoint> RollUp(std::span<const RollupPoint> points, int64_t bucket_ms);

}  // namespace perfwatch
