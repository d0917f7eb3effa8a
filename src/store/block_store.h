#pragma once
// BlockStore: sealed history on disk, in one SQLite file
// (<data-dir>/perfwatch.db). Blocks (store/block_codec.h) are BLOBs keyed by
// (series, tier, start time); series and their metadata are a table of their
// own, with durable ids; later tables (alerts, tuning audit, runs) live in the
// same file. docs/FORMATS.md ("Blocks on disk") gives the schema.
//
// The file is in WAL journal mode with synchronous=NORMAL: a write is one
// transaction, so a crash or a full disk never leaves half a batch, and a
// power loss can lose at most the last transactions (the WAL of perfwatch's
// own write-ahead log covers those). auto_vacuum=INCREMENTAL, so Reclaim()
// gives freed pages back to the file system without rewriting the file.
//
// Not thread-safe: one connection, used by one thread at a time (the store's
// background writer). Readers open their own connection with OpenReadOnly;
// WAL mode lets them read while the writer writes.

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "model/metric.h"
#include "model/sample.h"
#include "model/status.h"
#include "store/block_codec.h"
#include "store/retention.h"
#include "store/tiers.h"

struct sqlite3;
struct sqlite3_stmt;

namespace perfwatch {

// The command-line flag that moves a corrupt database aside; named in the
// error that Open returns for one.
inline constexpr std::string_view kResetCorruptDbFlag = "--reset-corrupt-db";

// A series as stored: `id` is durable (the same across restarts, never
// reused while the row exists), unlike the in-memory SeriesId.
struct StoredSeries {
  int64_t id = 0;
  std::string name;
  std::string labels;  // canonical text, Labels::ToString(): {a="x",b="y"} or ""
  MetricKind kind = MetricKind::kGauge;
  std::string help;
  std::string unit;
};

// No block's last point is a day or more after its first (the hour tier's
// block is a day); PutBlocks refuses one that is, and Blocks relies on it.
inline constexpr int64_t kMaxBlockSpanMs = 86'400'000;

struct BlockWrite {
  int64_t series_id = 0;
  Tier tier = Tier::kRaw;
  TimestampMs start_ms = 0;  // first point
  TimestampMs end_ms = 0;    // last point
  uint32_t count = 0;        // points
  BlockKind kind = BlockKind::kSamples;
  std::string_view data;  // the encoded block; must stay alive during PutBlocks
};

struct BlockRef {
  int64_t series_id = 0;
  Tier tier = Tier::kRaw;
  TimestampMs start_ms = 0;
  TimestampMs end_ms = 0;
  uint32_t count = 0;
  BlockKind kind = BlockKind::kSamples;
  std::string data;
};

// What a tier holds (Usage) or what a deletion removed.
struct TierUsage {
  uint64_t blocks = 0;
  uint64_t points = 0;  // samples or rollup points
  uint64_t bytes = 0;   // encoded blocks; the file adds SQLite's pages and indexes
  friend bool operator==(const TierUsage&, const TierUsage&) = default;
};
using RemovedBlocks = TierUsage;

struct BlockStoreOptions {
  // Largest the database file may grow, in bytes; 0 for no limit. A write
  // that needs more fails with IOError exactly as on a full disk (SQLite's
  // max_page_count), leaving what is stored intact.
  uint64_t max_file_bytes = 0;
  // How long a write waits for another connection's lock before failing.
  int busy_timeout_ms = 5000;
};

class BlockStore {
 public:
  // Opens the database at `path`, creating it (and nothing else: its folder
  // must exist) when absent. An existing file that is not a SQLite database,
  // fails PRAGMA quick_check, or belongs to another application is left
  // untouched and reported with an IOError naming the file and
  // kResetCorruptDbFlag (LooksCorrupt() tells it apart from other errors).
  static Result<std::unique_ptr<BlockStore>> Open(const std::string& path,
                                                  const BlockStoreOptions& options = {});
  // A reader's connection to a database a writer has created (Unavailable
  // before the writer created its tables). Every write fails.
  static Result<std::unique_ptr<BlockStore>> OpenReadOnly(const std::string& path);

  // True for the error Open returns for a corrupt or foreign file.
  static bool LooksCorrupt(const Status& status);
  // Renames `path` (and its -wal and -shm files) to
  // `path`.corrupt-<UTC time>[-n] and returns the new name; the next Open
  // then starts afresh. Must not be called while a BlockStore has it open.
  static Result<std::string> MoveAside(const std::string& path);

  BlockStore(const BlockStore&) = delete;
  BlockStore& operator=(const BlockStore&) = delete;
  ~BlockStore();

  const std::string& path() const { return path_; }

  // The durable id of (name, labels), creating the row when absent; the
  // metadata (kind, help, unit; meta.name is ignored) replaces what was
  // stored.
  Result<int64_t> PutSeries(std::string_view name, std::string_view labels, const MetricMeta& meta);
  // Every stored series, by id.
  Result<std::vector<StoredSeries>> LoadSeries();

  // Writes all blocks in one transaction: all or none; InvalidArgument for
  // a block spanning kMaxBlockSpanMs or more. A block with the key
  // (series_id, tier, start_ms) of a stored one replaces it. SQLITE_FULL and
  // I/O errors come back as IOError, with nothing of the batch written.
  Status PutBlocks(std::span<const BlockWrite> blocks);
  // Blocks of one series and tier that overlap [from_ms, to_ms], by start.
  Result<std::vector<BlockRef>> Blocks(int64_t series_id, Tier tier, TimestampMs from_ms,
                                       TimestampMs to_ms);

  Result<TierUsage> Usage(Tier tier);
  // The latest end_ms of the tier's blocks, 0 when it has none.
  Result<TimestampMs> NewestEnd(Tier tier);

  // Small named values of the store's own (meta table): "" when unset.
  Result<std::string> GetMeta(std::string_view key);
  Status PutMeta(std::string_view key, std::string_view value);
  // Every block's key, extent and size, without its bytes (retention plans
  // from these; store/retention.h).
  Result<std::vector<BlockInfo>> ListBlocks();
  // Deletes the blocks with these keys (series, tier, start_ms) in one
  // transaction: all or none. Keys that are not stored are skipped.
  Result<RemovedBlocks> DeleteBlocks(std::span<const BlockInfo> blocks);

  // Gives the pages that deletions freed back to the file system
  // (incremental_vacuum, then a truncating WAL checkpoint).
  Status Reclaim();
  // Copies the WAL into the database file and truncates the WAL. Readers in
  // the middle of a read can make it partial; it never fails for that.
  Status Checkpoint();
  // Bytes on disk: the database file, its -wal and its -shm.
  Result<uint64_t> FileBytes() const;
  // PRAGMA integrity_check; the first problems it reports as the error.
  Status CheckIntegrity();

 private:
  struct Statements;
  BlockStore(std::string path, sqlite3* db);
  // A connection with SQLite's open `flags`, extended result codes on.
  static Result<std::unique_ptr<BlockStore>> Connect(const std::string& path, int flags,
                                                     int busy_timeout_ms);
  // True for a database without tables; corrupt for one of another
  // application.
  Result<bool> IsEmptyPerfwatchDb();
  Status Configure(bool fresh, const BlockStoreOptions& options);
  Status Prepare();
  // The Status for SQLite result code `rc` of `what`, naming the file.
  Status Error(int rc, std::string_view what) const;
  Status Exec(const char* sql, std::string_view what);
  Result<std::string> QueryText(const char* sql);
  Status CheckSchemaVersion();
  // Runs `body` in one write transaction; rolls back when it fails.
  Status Transact(std::string_view what, const std::function<Status()>& body);

  std::string path_;
  sqlite3* db_;  // owned
  std::unique_ptr<Statements> stmts_;
};

// The block layout `db` was created with (meta keys block_window_ms and
// hour_block_ms), recording `wanted` in a database that has none yet. A
// stored layout that ValidateBlockLayout refuses is reported as corrupt.
Result<BlockLayout> LoadOrRecordLayout(BlockStore& db, const BlockLayout& wanted);

}  // namespace perfwatch
