#pragma once
// MemStore: the in-memory Store. Each series has one open head chunk that
// samples are encoded into as they arrive, and a time-ordered list of sealed,
// immutable chunks (store/chunk.h). Retention drops whole sealed chunks.
//
// Thread-safe: Commit from one thread at a time (the collection loop) while
// any number of threads call Query and Stats. A query copies references to
// sealed chunks, and a copy of the head's bytes, under a shared lock and
// decodes outside it, so long queries never stall Commit.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <shared_mutex>
#include <string>
#include <vector>

#include "store/chunk.h"
#include "store/store.h"

namespace perfwatch {

struct MemStoreOptions {
  // History kept, counted back from the newest committed sample. Sealed
  // chunks whose newest sample is older are dropped, so up to one chunk per
  // series of older samples can still be read.
  int64_t retention_ms = 2 * 3600 * 1000;
  // The head chunk is sealed after this many samples (4 min at 1 s). Each
  // chunk costs 25 bytes of header, trailer and uncompressed first sample.
  size_t chunk_samples = 240;
  // Most points one Query may return, counted over all its series (as in
  // Prometheus); larger answers fail with ResourceExhausted.
  size_t max_points_per_query = 11000;
};

class MemStore final : public Store {
 public:
  explicit MemStore(MemStoreOptions options = {});
  MemStore(const MemStore&) = delete;
  MemStore& operator=(const MemStore&) = delete;

  // Never fails; samples not after their series' last one are counted in
  // StoreStats::out_of_order and dropped.
  Status Commit(const Tick& tick) override;

  // Samples of [from_ms, to_ms] (step_ms == 0), or per-bucket aggregates
  // stamped with the bucket start floor(t / step) * step; a bucket only sees
  // samples inside the range. avg, min and max skip NaN samples and give NaN
  // for a bucket of only NaNs; last gives the bucket's last sample as is.
  // Duplicate ids are answered once; unknown ids yield nothing.
  Result<std::vector<SeriesPoints>> Query(const std::vector<SeriesId>& ids,
                                          const QueryRange& range) const override;

  StoreStats Stats() const override;

 private:
  struct SealedChunk {
    TimestampMs min_t = 0;
    TimestampMs max_t = 0;
    uint32_t count = 0;
    std::string bytes;  // sealed chunk, exactly sized
  };
  using ChunkRef = std::shared_ptr<const SealedChunk>;

  struct Series {
    bool empty() const { return sealed.empty() && head.count() == 0; }
    std::vector<ChunkRef> sealed;  // oldest first, non-overlapping
    ChunkEncoder head;
    bool has_last = false;  // last_t stays after retention empties the series
    TimestampMs last_t = 0;
  };

  // One series' chunks overlapping a query, the head's copy last.
  struct SeriesChunks {
    SeriesId id = 0;
    std::vector<ChunkRef> chunks;
  };

  void AppendLocked(Series& series, TimestampMs t_ms, double value);
  void SealLocked(Series& series);
  void EnforceRetentionLocked();
  std::vector<SeriesChunks> SnapshotLocked(const std::vector<SeriesId>& ids,
                                           const QueryRange& range) const;

  const MemStoreOptions options_;
  mutable std::shared_mutex mu_;
  // protected by mu_:
  std::vector<Series> series_;  // indexed by SeriesId
  TimestampMs newest_ = INT64_MIN;
  TimestampMs next_retention_check_ = INT64_MIN;
  StoreStats stats_;
};

}  // namespace perfwatch
