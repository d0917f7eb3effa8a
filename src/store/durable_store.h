#pragma once
// DurableStore: the Store perfwatch serves from when it has a data
// directory. It composes the pieces of store/:
//
//   Commit(tick) ─► WAL (fsync policy) ─► head MemStore (recent raw samples)
//                                      └► minute/hour RollupBuilders
//   every window (BlockLayout, 2 h by default) the closed window is sealed
//   by a background writer thread into SQLite: one raw block and one minute
//   block per series, and the day's hour block (rewritten each window);
//   then old WAL segments are removed and retention runs
//   (store/retention.h: age per tier, tier size caps, then the disk cap
//   over the whole data directory).
//
// Everything at or after `sealed_until` lives in the head (and the WAL);
// everything before it lives in SQLite, so a query reads each instant from
// exactly one place. Queries pick the coarsest tier that serves their step
// (store/tiers.h).
//
// Thread-safety: Commit from one thread (the collection loop); Query,
// Stats and Storage from any thread. `registry` must outlive the store.

#include <atomic>
#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "model/registry.h"
#include "store/block_store.h"
#include "store/mem_store.h"
#include "store/rollup.h"
#include "store/store.h"
#include "store/tiers.h"
#include "store/wal.h"

namespace perfwatch {

struct DurableStoreOptions {
  std::string data_dir;  // holds perfwatch.db and wal/
  // Recent raw samples kept in memory (default 2 h); raised to one block
  // window when shorter, since a window is sealed from memory.
  MemStoreOptions head;
  WalSync wal_sync;  // default: fsync at most every second
  // max_disk_bytes caps the whole data directory: blocks, SQLite's own
  // pages and the WAL.
  RetentionConfig retention;
  int64_t interval_ms = 1000;  // collection interval: the raw tier's resolution
  // For a new database; an existing one keeps the layout it was created
  // with (logged when the two differ).
  BlockLayout blocks;
  // Move a corrupt perfwatch.db aside instead of refusing to start.
  bool reset_corrupt_db = false;
};

struct StorageStats {
  TierUsage tiers[3];   // by Tier
  uint64_t series = 0;  // series with history in the database
  uint64_t file_bytes = 0;
  uint64_t wal_bytes = 0;
  uint64_t wal_segments = 0;
  uint64_t errors = 0;           // failed block writes or WAL appends
  uint64_t out_of_order = 0;     // samples dropped: not newer than their series' last
  TimestampMs sealed_until = 0;  // samples before this are in SQLite
  TimestampMs last_cleanup_ms = 0;
  std::string last_cleanup;  // what the last retention pass removed
};

class DurableStore final : public Store {
 public:
  // Opens (or creates) the data directory, loads stored series into
  // `registry`, replays the WAL into the head, and starts the writer thread.
  // A corrupt database is refused with a message naming the file and
  // --reset-corrupt-db, unless options.reset_corrupt_db moves it aside.
  static Result<std::unique_ptr<DurableStore>> Open(SeriesRegistry& registry,
                                                    DurableStoreOptions options);
  ~DurableStore() override;  // seals nothing further; flushes the WAL and joins
  DurableStore(const DurableStore&) = delete;
  DurableStore& operator=(const DurableStore&) = delete;

  // Appends to the WAL before the head, so an acknowledged tick survives a
  // crash. If the WAL cannot be written the tick is still kept in memory and
  // the failure counted. A tick not newer than the newest one committed or
  // sealed (the clock went backwards) is dropped whole and its samples
  // counted as out of order; it returns OK, as nothing failed.
  Status Commit(const Tick& tick) override;
  Result<std::vector<SeriesPoints>> Query(const std::vector<SeriesId>& ids,
                                          const QueryRange& range) const override;
  StoreStats Stats() const override;
  StorageStats Storage() const;

  // What the start-up replay found (damage is logged by the caller).
  const ReplayStats& replay() const { return replay_; }

 private:
  struct SealJob;
  struct Pending;  // closed rollup points not yet in SQLite

  DurableStore(SeriesRegistry& registry, DurableStoreOptions options);
  Status LoadSeries();
  Status ReplayWal();
  void CommitToHeadAndRollups(const Tick& tick);
  void MaybeSeal(TimestampMs t);
  void WriterLoop();
  Status WriteJob(SealJob& job);
  void RunRetention(TimestampMs now);
  // Bytes of the data directory that are not block bytes: SQLite's pages,
  // indexes and journal, and the WAL. Retention leaves room for them.
  uint64_t OverheadBytes(uint64_t block_bytes) const;
  Result<std::vector<Sample>> QueryTier(SeriesId id, Tier tier, const QueryRange& range) const;
  Result<std::vector<Sample>> RawSamples(SeriesId id, TimestampMs from, TimestampMs to,
                                         Aggregation agg) const;
  Result<std::vector<RollupPoint>> TierPoints(SeriesId id, Tier tier, TimestampMs from,
                                              TimestampMs to) const;
  Result<std::vector<BlockRef>> DurableBlocks(SeriesId id, Tier tier, TimestampMs from,
                                              TimestampMs before) const;
  Status AppendFinerTail(SeriesId id, Tier tier, TimestampMs from, TimestampMs to,
                         std::vector<RollupPoint>* points) const;

  SeriesRegistry& registry_;
  const DurableStoreOptions options_;
  MemStore head_;
  std::unique_ptr<Wal> wal_;
  std::unique_ptr<BlockStore> writer_db_;          // writer thread only
  uint64_t last_batch_bytes_ = 0;                  // writer thread only
  mutable std::unique_ptr<BlockStore> reader_db_;  // protected by reader_mu_
  mutable std::mutex reader_mu_;
  ReplayStats replay_;

  // Collection thread only.
  RollupBuilder minute_;
  RollupBuilder hour_;
  TimestampMs window_end_ = 0;                // end of the raw window being filled
  TimestampMs newest_ = 0;                    // latest tick committed (or sealed)
  bool going_backwards_ = false;              // the last tick was dropped as too old
  uint64_t removable_segment_ = 0;            // WAL segments before this are sealed
  std::atomic<uint64_t> pending_removal_{0};  // set by the writer, applied by Commit

  // Shared between the collection thread, the writer and queries.
  mutable std::mutex mu_;
  std::unique_ptr<Pending> pending_;                  // protected by mu_
  std::unordered_map<std::string, int64_t> durable_;  // key text -> id, protected by mu_
  TimestampMs sealed_until_ = 0;                      // protected by mu_
  std::deque<std::unique_ptr<SealJob>> jobs_;         // protected by mu_
  // The writer's last attempt failed (a full or refusing disk); only then
  // is the backlog capped. protected by mu_
  bool writer_failing_ = false;
  bool stopping_ = false;  // protected by mu_
  std::condition_variable wake_;
  StorageStats last_stats_;  // protected by mu_ (cleanup text, errors)
  std::atomic<uint64_t> errors_{0};
  std::atomic<uint64_t> backwards_samples_{0};  // samples of ticks dropped by Commit
  std::thread writer_;
};

}  // namespace perfwatch
