#pragma once
// Backfill: writes historical samples (perfwatch import) straight into the
// SQLite blocks of a data directory — raw, 1-minute and 1-hour tiers — and
// merges with blocks already there, so importing the same file twice or
// importing over collected history never duplicates a sample.
//
// It holds the data directory's lock for its lifetime: while a perfwatch
// serves the directory, Open refuses with a message saying so, and two
// writers never meet. Memory is bounded: a series' samples are written when
// the next series starts or when `flush_samples` are buffered.
//
// One thread at a time.

#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <string>
#include <unordered_set>
#include <vector>

#include "model/registry.h"
#include "model/sample.h"
#include "model/status.h"
#include "store/block_store.h"
#include "store/rollup.h"

namespace perfwatch {

struct BackfillStats {
  uint64_t series = 0;
  uint64_t samples = 0;
  uint64_t blocks = 0;  // blocks written (raw, minute and hour)
};

class Backfill {
 public:
  // Blocks follow the database's layout; `layout` is recorded for a new one.
  static Result<std::unique_ptr<Backfill>> Open(const std::string& data_dir,
                                                const BlockLayout& layout = {});
  ~Backfill();
  Backfill(const Backfill&) = delete;
  Backfill& operator=(const Backfill&) = delete;

  // Samples of one series may come in any order and in several runs.
  Status Add(const SeriesKey& key, const MetricMeta* meta, const Sample& sample);
  // Writes what is buffered. Call once at the end; Add after it is an error.
  Status Finish();
  const BackfillStats& stats() const { return stats_; }

 private:
  struct Lock;
  Backfill(std::unique_ptr<Lock> lock, std::unique_ptr<BlockStore> db, BlockLayout layout);
  // Blocks waiting to be written together: PutBlocks packs a batch into
  // pages (best fit), which one- or two-block transactions cannot.
  struct Batch {
    std::deque<std::string> bytes;  // what `writes` point at
    std::vector<BlockWrite> writes;
    std::unordered_set<int64_t> series;
    size_t total = 0;
  };
  Status FlushSeries();
  // One window's raw and 1-minute blocks, merged with any stored ones;
  // returns its minutes for the day's hour block.
  Result<std::vector<RollupPoint>> WriteWindow(int64_t durable, TimestampMs window,
                                               std::vector<Sample> samples);
  // The day's hour block from its 1-minute points: `fresh` by window for
  // the windows of this flush, the stored blocks for the others.
  Status RebuildHours(int64_t durable, TimestampMs day,
                      const std::map<TimestampMs, std::vector<RollupPoint>>& fresh);
  void Queue(int64_t durable, Tier tier, BlockKind kind, TimestampMs start, TimestampMs end,
             uint32_t count, std::string bytes);
  Status WriteBatch();

  static constexpr size_t kFlushSamples = 1 << 20;  // bounds memory per series
  static constexpr size_t kBatchBytes = 4 << 20;    // bounds memory of the batch

  std::unique_ptr<Lock> lock_;
  std::unique_ptr<BlockStore> db_;
  const BlockLayout layout_;  // as DurableStore seals
  std::string current_;       // canonical key text of the buffered series
  SeriesKey key_;
  MetricMeta meta_;
  std::vector<Sample> buffer_;
  std::unordered_set<std::string> seen_;  // keys already counted in stats_.series
  Batch batch_;
  BackfillStats stats_;
};

}  // namespace perfwatch
