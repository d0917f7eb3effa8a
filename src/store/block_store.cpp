#include "store/block_store.h"

#include <sqlite3.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <limits>
#include <map>

namespace perfwatch {
namespace {

namespace fs = std::filesystem;

// PRAGMA application_id: "pwdb", so `file` and perfwatch recognise the file.
constexpr int32_t kApplicationId = 0x70776462;
constexpr int kSchemaVersion = 1;
// SQLite's default page size; larger pages measured no smaller (FORMATS.md).
constexpr size_t kPageSize = 4096;
// The WAL is truncated to this size when it restarts after a checkpoint.
constexpr int64_t kJournalSizeLimit = 1 << 20;

// The blocks table is a rowid table with a unique index on the key rather
// than WITHOUT ROWID: WITHOUT ROWID rows are index b-tree records, whose
// content moves to overflow pages above ~1 KiB, which wastes most of a page
// for the typical 1-4 KiB block (FORMATS.md has the measurement). Rows are
// appended in rowid order, so leaf pages fill completely.
constexpr const char* kSchema = R"sql(
CREATE TABLE IF NOT EXISTS meta(
  key TEXT PRIMARY KEY,
  value TEXT NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS series(
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL,
  labels TEXT NOT NULL,
  kind TEXT NOT NULL DEFAULT 'gauge',
  help TEXT NOT NULL DEFAULT '',
  unit TEXT NOT NULL DEFAULT '',
  UNIQUE(name, labels)
);
CREATE TABLE IF NOT EXISTS blocks(
  series_id INTEGER NOT NULL,
  tier INTEGER NOT NULL,
  start_ms INTEGER NOT NULL,
  end_ms INTEGER NOT NULL,
  count INTEGER NOT NULL,
  encoding INTEGER NOT NULL,
  data BLOB NOT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS blocks_by_key ON blocks(series_id, tier, start_ms);
INSERT OR IGNORE INTO meta(key, value) VALUES('schema_version', '1');
)sql";

struct StmtDeleter {
  void operator()(sqlite3_stmt* s) const { sqlite3_finalize(s); }
};
using StmtPtr = std::unique_ptr<sqlite3_stmt, StmtDeleter>;

// Resets a cached statement and its bindings when the scope ends.
class ScopedReset {
 public:
  explicit ScopedReset(sqlite3_stmt* stmt) : stmt_(stmt) {}
  ScopedReset(const ScopedReset&) = delete;
  ScopedReset& operator=(const ScopedReset&) = delete;
  ~ScopedReset() {
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
  }

 private:
  sqlite3_stmt* stmt_;
};

Status CorruptFile(const std::string& path, std::string_view reason) {
  return Status::IOError(path + " is corrupt (" + std::string(reason) + "); start with " +
                         std::string(kResetCorruptDbFlag) + " to move it aside and start afresh");
}

uint32_t ReadBigEndian(const unsigned char* p, int bytes) {
  uint32_t v = 0;
  for (int i = 0; i < bytes; ++i) v = (v << 8) | p[i];
  return v;
}

// Checks the 100-byte SQLite header (https://sqlite.org/fileformat.html)
// before SQLite opens the file: not SQLite, or shorter than its pages.
Status CheckFileHeader(const std::string& path, uint64_t size) {
  std::array<unsigned char, 100> header{};
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::IOError("cannot read " + path);
  if (size < header.size()) {
    return CorruptFile(path, std::to_string(size) + " bytes is shorter than a SQLite header");
  }
  in.read(reinterpret_cast<char*>(header.data()), header.size());
  if (!in) return Status::IOError("cannot read " + path);
  constexpr std::string_view kMagic("SQLite format 3\0", 16);
  if (std::string_view(reinterpret_cast<const char*>(header.data()), 16) != kMagic) {
    return CorruptFile(path, "not a SQLite database");
  }
  uint32_t page_size = ReadBigEndian(&header[16], 2);
  if (page_size == 1) page_size = 65536;
  if (page_size < 512 || page_size > 65536 || (page_size & (page_size - 1)) != 0) {
    return CorruptFile(path, "bad page size " + std::to_string(page_size));
  }
  if (size % page_size != 0) {
    return CorruptFile(path, "truncated: " + std::to_string(size) +
                                 " bytes is not a whole number of " + std::to_string(page_size) +
                                 "-byte pages");
  }
  // The page count at offset 28 is valid when the change counter (24)
  // matches the version-valid-for number (92). A file shorter than that is
  // truncated only when no write-ahead log holds the rest: a checkpoint
  // cut short by a crash writes page 1 before the file's last pages, and
  // SQLite copies them again from the -wal on open.
  const uint64_t pages = ReadBigEndian(&header[28], 4);
  std::error_code ec;
  const uint64_t wal_size = std::filesystem::file_size(path + "-wal", ec);
  const bool wal_has_frames = !ec && wal_size > 32;  // 32 bytes: the WAL header alone
  if (ReadBigEndian(&header[24], 4) == ReadBigEndian(&header[92], 4) && pages * page_size > size &&
      !wal_has_frames) {
    return CorruptFile(path, "truncated: " + std::to_string(size) + " bytes of " +
                                 std::to_string(pages * page_size));
  }
  return Status::Ok();
}

std::string UtcStamp() {
  const std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  char buf[32];
  std::strftime(buf, sizeof(buf), "%Y%m%dT%H%M%SZ", &tm);
  return buf;
}

// Bytes a blocks row takes in its table leaf page: the cell (size and rowid
// varints, record header, five integers, the part of the blob SQLite keeps
// local, the overflow page number) and its 2-byte pointer. A record larger
// than kMaxLocal keeps kMinLocal plus what does not fill a whole overflow
// page (https://sqlite.org/fileformat.html, "Cell Payload Overflow Pages").
size_t LeafBytes(size_t blob_bytes) {
  constexpr size_t kRecordOverhead = 30;  // record header and integer columns, at most
  constexpr size_t kCellOverhead = 2 + 3 + 4;
  constexpr size_t kMaxLocal = kPageSize - 35;
  constexpr size_t kMinLocal = (kPageSize - 12) * 32 / 255 - 23;
  const size_t record = blob_bytes + kRecordOverhead;
  if (record <= kMaxLocal) return record + kCellOverhead;
  const size_t local = kMinLocal + (record - kMinLocal) % (kPageSize - 4);
  return (local <= kMaxLocal ? local : kMinLocal) + 4 + kCellOverhead;
}

// The order to insert a batch in. Rows get increasing rowids and SQLite
// appends to the last leaf page until a row does not fit, leaving the rest of
// that page empty; a block's leaf part ranges from 40 bytes to 4 KiB, so
// arrival order leaves pages a fifth empty. Best-fit decreasing into
// page-sized bins, written bin after bin, halves the file's overhead at 2-hour
// blocks (FORMATS.md, "Blocks on disk").
std::vector<size_t> PackingOrder(std::span<const BlockWrite> blocks) {
  constexpr size_t kLeafRoom = kPageSize - 8;  // after the leaf page header
  std::vector<size_t> by_size(blocks.size());
  for (size_t i = 0; i < by_size.size(); ++i) by_size[i] = i;
  std::stable_sort(by_size.begin(), by_size.end(), [&](size_t a, size_t b) {
    return LeafBytes(blocks[a].data.size()) > LeafBytes(blocks[b].data.size());
  });
  std::vector<std::vector<size_t>> bins;
  std::multimap<size_t, size_t> room;  // bytes left -> bin
  for (size_t i : by_size) {
    const size_t need = LeafBytes(blocks[i].data.size());
    auto fit = room.lower_bound(need);
    if (fit == room.end()) {
      bins.push_back({i});
      room.emplace(kLeafRoom - std::min(need, kLeafRoom), bins.size() - 1);
      continue;
    }
    const auto [left, bin] = *fit;
    room.erase(fit);
    bins[bin].push_back(i);
    room.emplace(left - need, bin);
  }
  std::vector<size_t> order;
  order.reserve(blocks.size());
  for (const std::vector<size_t>& bin : bins) order.insert(order.end(), bin.begin(), bin.end());
  return order;
}

std::string_view ColumnText(sqlite3_stmt* stmt, int i) {
  const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(stmt, i));
  return text == nullptr ? std::string_view()
                         : std::string_view(text, sqlite3_column_bytes(stmt, i));
}

}  // namespace

struct BlockStore::Statements {
  StmtPtr find_series;
  StmtPtr upsert_series;
  StmtPtr load_series;
  StmtPtr put_block;
  StmtPtr blocks;
  StmtPtr usage;
  StmtPtr list_blocks;
  StmtPtr delete_block;
};

BlockStore::BlockStore(std::string path, sqlite3* db) : path_(std::move(path)), db_(db) {}

BlockStore::~BlockStore() {
  stmts_.reset();  // statements before their connection
  sqlite3_close_v2(db_);
}

Status BlockStore::Error(int rc, std::string_view what) const {
  const std::string detail =
      db_ != nullptr && sqlite3_errcode(db_) == rc ? sqlite3_errmsg(db_) : sqlite3_errstr(rc);
  switch (rc & 0xFF) {
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
      return CorruptFile(path_, std::string(what) + ": " + detail);
    case SQLITE_FULL:
    case SQLITE_IOERR:
    case SQLITE_CANTOPEN:
    case SQLITE_READONLY:
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
    case SQLITE_PERM:
    case SQLITE_NOMEM:
      return Status::IOError(path_ + ": " + std::string(what) + ": " + detail);
    default:
      return Status::Internal(path_ + ": " + std::string(what) + ": " + detail);
  }
}

Status BlockStore::Exec(const char* sql, std::string_view what) {
  const int rc = sqlite3_exec(db_, sql, nullptr, nullptr, nullptr);
  return rc == SQLITE_OK ? Status::Ok() : Error(rc, what);
}

// The rows of `sql`'s first column joined by "; " (at most 10 rows).
Result<std::string> BlockStore::QueryText(const char* sql) {
  sqlite3_stmt* raw = nullptr;
  int rc = sqlite3_prepare_v2(db_, sql, -1, &raw, nullptr);
  StmtPtr stmt(raw);
  if (rc != SQLITE_OK) return Error(rc, sql);
  std::string out;
  for (int row = 0; (rc = sqlite3_step(raw)) == SQLITE_ROW; ++row) {
    if (row == 10) continue;
    if (row > 0) out += "; ";
    out += ColumnText(raw, 0);
  }
  if (rc != SQLITE_DONE) return Error(rc, sql);
  return out;
}

Result<std::unique_ptr<BlockStore>> BlockStore::Connect(const std::string& path, int flags,
                                                        int busy_timeout_ms) {
  sqlite3* db = nullptr;
  const int rc = sqlite3_open_v2(path.c_str(), &db, flags | SQLITE_OPEN_NOMUTEX, nullptr);
  std::unique_ptr<BlockStore> store(new BlockStore(path, db));
  if (rc != SQLITE_OK) return store->Error(rc, "open");
  sqlite3_extended_result_codes(db, 1);
  sqlite3_busy_timeout(db, busy_timeout_ms);
  return store;
}

Result<bool> BlockStore::IsEmptyPerfwatchDb() {
  Result<std::string> tables = QueryText("SELECT count(*) FROM sqlite_schema");
  if (!tables.ok()) return tables.status();
  if (*tables == "0") return true;
  Result<std::string> id = QueryText("PRAGMA application_id");
  if (!id.ok()) return id.status();
  if (*id != std::to_string(kApplicationId)) {
    return CorruptFile(path_, "not a perfwatch database: application_id " + *id);
  }
  return false;
}

Result<std::unique_ptr<BlockStore>> BlockStore::Open(const std::string& path,
                                                     const BlockStoreOptions& options) {
  std::error_code ec;
  const bool exists = fs::exists(path, ec);
  const uint64_t size = exists ? fs::file_size(path, ec) : 0;
  if (ec) return Status::IOError(path + ": " + ec.message());
  bool fresh = true;
  if (size > 0) {
    if (Status s = CheckFileHeader(path, size); !s.ok()) return s;
    // Checked over a read-only connection, so nothing (not even a WAL
    // checkpoint on close) writes to a file that turns out to be corrupt.
    Result<std::unique_ptr<BlockStore>> checker =
        Connect(path, SQLITE_OPEN_READONLY, options.busy_timeout_ms);
    if (!checker.ok()) return checker.status();
    Result<bool> empty = (*checker)->IsEmptyPerfwatchDb();
    if (!empty.ok()) return empty.status();
    Result<std::string> check = (*checker)->QueryText("PRAGMA quick_check");
    if (!check.ok()) return check.status();
    if (*check != "ok") return CorruptFile(path, "quick_check: " + *check);
    fresh = *empty;
  }
  Result<std::unique_ptr<BlockStore>> store =
      Connect(path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, options.busy_timeout_ms);
  if (!store.ok()) return store.status();
  if (Status s = (*store)->Configure(fresh, options); !s.ok()) return s;
  if (Status s = (*store)->Prepare(); !s.ok()) return s;
  return store;
}

Result<std::unique_ptr<BlockStore>> BlockStore::OpenReadOnly(const std::string& path) {
  Result<std::unique_ptr<BlockStore>> store =
      Connect(path, SQLITE_OPEN_READONLY, BlockStoreOptions{}.busy_timeout_ms);
  if (!store.ok()) return store.status();
  Result<bool> empty = (*store)->IsEmptyPerfwatchDb();
  if (!empty.ok()) return empty.status();
  if (*empty) return Status::Unavailable(path + " has no perfwatch tables yet");
  if (Status s = (*store)->CheckSchemaVersion(); !s.ok()) return s;
  if (Status s = (*store)->Prepare(); !s.ok()) return s;
  return store;
}

Status BlockStore::Configure(bool fresh, const BlockStoreOptions& options) {
  if (fresh) {
    // Both take effect only before the first table exists.
    const std::string page_size = "PRAGMA page_size = " + std::to_string(kPageSize);
    if (Status s = Exec(page_size.c_str(), "set page size"); !s.ok()) return s;
    if (Status s = Exec("PRAGMA auto_vacuum = INCREMENTAL", "set auto_vacuum"); !s.ok()) return s;
  }
  Result<std::string> mode = QueryText("PRAGMA journal_mode = WAL");
  if (!mode.ok()) return mode.status();
  if (*mode != "wal") return Status::IOError(path_ + ": cannot use WAL journal mode: " + *mode);
  const std::string pragmas = "PRAGMA synchronous = NORMAL; PRAGMA journal_size_limit = " +
                              std::to_string(kJournalSizeLimit) + ";";
  if (Status s = Exec(pragmas.c_str(), "configure"); !s.ok()) return s;
  if (options.max_file_bytes > 0) {
    Result<std::string> page_size = QueryText("PRAGMA page_size");
    if (!page_size.ok()) return page_size.status();
    const uint64_t pages = std::max<uint64_t>(1, options.max_file_bytes / std::stoull(*page_size));
    const std::string limit = "PRAGMA max_page_count = " + std::to_string(pages);
    if (Status s = Exec(limit.c_str(), "set max_page_count"); !s.ok()) return s;
  }
  const std::string schema =
      "BEGIN IMMEDIATE; PRAGMA application_id = " + std::to_string(kApplicationId) + ";" + kSchema +
      "COMMIT;";
  if (fresh) {
    if (Status s = Exec(schema.c_str(), "create schema"); !s.ok()) {
      (void)Exec("ROLLBACK", "rollback");
      return s;
    }
    return Status::Ok();
  }
  return CheckSchemaVersion();
}

Status BlockStore::CheckSchemaVersion() {
  Result<std::string> version = QueryText("SELECT value FROM meta WHERE key = 'schema_version'");
  if (!version.ok()) return version.status();
  if (*version != std::to_string(kSchemaVersion)) {
    return Status::Internal(path_ + " has schema version '" + *version +
                            "'; this perfwatch reads version " + std::to_string(kSchemaVersion) +
                            ": upgrade perfwatch");
  }
  return Status::Ok();
}

Status BlockStore::Prepare() {
  stmts_ = std::make_unique<Statements>();
  const std::pair<StmtPtr*, const char*> sql[] = {
      {&stmts_->find_series,
       "SELECT id, kind, help, unit FROM series WHERE name = ?1 AND labels = ?2"},
      {&stmts_->upsert_series,
       "INSERT INTO series(name, labels, kind, help, unit) VALUES(?1, ?2, ?3, ?4, ?5) "
       "ON CONFLICT(name, labels) DO UPDATE SET kind = excluded.kind, help = excluded.help, "
       "unit = excluded.unit RETURNING id"},
      {&stmts_->load_series, "SELECT id, name, labels, kind, help, unit FROM series ORDER BY id"},
      {&stmts_->put_block,
       "INSERT OR REPLACE INTO blocks(series_id, tier, start_ms, end_ms, count, encoding, data) "
       "VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7)"},
      {&stmts_->blocks,
       "SELECT start_ms, end_ms, count, encoding, data FROM blocks WHERE series_id = ?1 AND "
       "tier = ?2 AND start_ms > ?5 AND start_ms <= ?4 AND end_ms >= ?3 ORDER BY start_ms"},
      {&stmts_->usage,
       "SELECT count(*), coalesce(sum(count), 0), coalesce(sum(length(data)), 0) FROM blocks "
       "WHERE tier = ?1"},
      {&stmts_->list_blocks,
       "SELECT series_id, tier, start_ms, end_ms, count, length(data) FROM blocks"},
      {&stmts_->delete_block,
       "DELETE FROM blocks WHERE series_id = ?1 AND tier = ?2 AND start_ms = ?3 "
       "RETURNING count, length(data)"},
  };
  for (const auto& [stmt, text] : sql) {
    sqlite3_stmt* raw = nullptr;
    const int rc = sqlite3_prepare_v3(db_, text, -1, SQLITE_PREPARE_PERSISTENT, &raw, nullptr);
    stmt->reset(raw);
    if (rc != SQLITE_OK) return Error(rc, "prepare");
  }
  return Status::Ok();
}

Status BlockStore::Transact(std::string_view what, const std::function<Status()>& body) {
  if (Status s = Exec("BEGIN IMMEDIATE", what); !s.ok()) return s;
  Status s = body();
  if (s.ok()) s = Exec("COMMIT", what);
  // SQLite rolls back by itself after some errors (SQLITE_FULL, I/O).
  if (!s.ok() && sqlite3_get_autocommit(db_) == 0) (void)Exec("ROLLBACK", what);
  return s;
}

Result<int64_t> BlockStore::PutSeries(std::string_view name, std::string_view labels,
                                      const MetricMeta& meta) {
  const std::string_view kind = ToString(meta.kind);
  sqlite3_stmt* find = stmts_->find_series.get();
  {
    ScopedReset reset(find);
    sqlite3_bind_text(find, 1, name.data(), static_cast<int>(name.size()), SQLITE_STATIC);
    sqlite3_bind_text(find, 2, labels.data(), static_cast<int>(labels.size()), SQLITE_STATIC);
    const int rc = sqlite3_step(find);
    if (rc == SQLITE_ROW && ColumnText(find, 1) == kind && ColumnText(find, 2) == meta.help &&
        ColumnText(find, 3) == meta.unit) {
      return sqlite3_column_int64(find, 0);
    }
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) return Error(rc, "find series");
  }
  sqlite3_stmt* upsert = stmts_->upsert_series.get();
  ScopedReset reset(upsert);
  sqlite3_bind_text(upsert, 1, name.data(), static_cast<int>(name.size()), SQLITE_STATIC);
  sqlite3_bind_text(upsert, 2, labels.data(), static_cast<int>(labels.size()), SQLITE_STATIC);
  sqlite3_bind_text(upsert, 3, kind.data(), static_cast<int>(kind.size()), SQLITE_STATIC);
  sqlite3_bind_text(upsert, 4, meta.help.data(), static_cast<int>(meta.help.size()), SQLITE_STATIC);
  sqlite3_bind_text(upsert, 5, meta.unit.data(), static_cast<int>(meta.unit.size()), SQLITE_STATIC);
  int64_t id = 0;
  Status s = Transact("put series", [&] {
    const int rc = sqlite3_step(upsert);
    if (rc != SQLITE_ROW) return Error(rc, "put series");
    id = sqlite3_column_int64(upsert, 0);
    // Finish the statement so COMMIT does not wait for it.
    const int done = sqlite3_step(upsert);
    return done == SQLITE_DONE ? Status::Ok() : Error(done, "put series");
  });
  if (!s.ok()) return s;
  return id;
}

Result<std::vector<StoredSeries>> BlockStore::LoadSeries() {
  sqlite3_stmt* stmt = stmts_->load_series.get();
  ScopedReset reset(stmt);
  std::vector<StoredSeries> out;
  int rc = SQLITE_OK;
  while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
    StoredSeries& s = out.emplace_back();
    s.id = sqlite3_column_int64(stmt, 0);
    s.name = ColumnText(stmt, 1);
    s.labels = ColumnText(stmt, 2);
    s.kind = ParseMetricKind(ColumnText(stmt, 3));
    s.help = ColumnText(stmt, 4);
    s.unit = ColumnText(stmt, 5);
  }
  if (rc != SQLITE_DONE) return Error(rc, "load series");
  return out;
}

Status BlockStore::PutBlocks(std::span<const BlockWrite> blocks) {
  for (const BlockWrite& b : blocks) {
    if (b.end_ms < b.start_ms || b.end_ms - b.start_ms >= kMaxBlockSpanMs) {
      return Status::InvalidArgument("block of series " + std::to_string(b.series_id) + " spans " +
                                     std::to_string(b.start_ms) + ".." + std::to_string(b.end_ms) +
                                     ": more than a day or backwards");
    }
  }
  sqlite3_stmt* put = stmts_->put_block.get();
  Status s = Transact("put blocks", [&] {
    for (size_t i : PackingOrder(blocks)) {
      const BlockWrite& b = blocks[i];
      ScopedReset reset(put);
      sqlite3_bind_int64(put, 1, b.series_id);
      sqlite3_bind_int(put, 2, static_cast<int>(b.tier));
      sqlite3_bind_int64(put, 3, b.start_ms);
      sqlite3_bind_int64(put, 4, b.end_ms);
      sqlite3_bind_int64(put, 5, b.count);
      sqlite3_bind_int(put, 6, static_cast<int>(b.kind));
      sqlite3_bind_blob64(put, 7, b.data.data(), b.data.size(), SQLITE_STATIC);
      const int rc = sqlite3_step(put);
      if (rc != SQLITE_DONE) return Error(rc, "put blocks");
    }
    return Status::Ok();
  });
  if (!s.ok()) return s;
  // Keeps the WAL from holding a copy of every batch until the automatic
  // checkpoint at 1,000 pages.
  return Checkpoint();
}

Result<std::vector<BlockRef>> BlockStore::Blocks(int64_t series_id, Tier tier, TimestampMs from_ms,
                                                 TimestampMs to_ms) {
  sqlite3_stmt* stmt = stmts_->blocks.get();
  ScopedReset reset(stmt);
  sqlite3_bind_int64(stmt, 1, series_id);
  sqlite3_bind_int(stmt, 2, static_cast<int>(tier));
  sqlite3_bind_int64(stmt, 3, from_ms);
  sqlite3_bind_int64(stmt, 4, to_ms);
  // No block spans a day, so one that ends at or after from_ms starts after
  // from_ms - a day: the index scan starts there, not at the series' oldest
  // block (two years of hour blocks would be 730 rows read per query).
  TimestampMs lowest = 0;
  if (__builtin_sub_overflow(from_ms, kMaxBlockSpanMs, &lowest)) {
    lowest = std::numeric_limits<TimestampMs>::min();
  }
  sqlite3_bind_int64(stmt, 5, lowest);
  std::vector<BlockRef> out;
  int rc = SQLITE_OK;
  while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
    BlockRef& b = out.emplace_back();
    b.series_id = series_id;
    b.tier = tier;
    b.start_ms = sqlite3_column_int64(stmt, 0);
    b.end_ms = sqlite3_column_int64(stmt, 1);
    b.count = static_cast<uint32_t>(sqlite3_column_int64(stmt, 2));
    b.kind = static_cast<BlockKind>(sqlite3_column_int(stmt, 3));
    const void* data = sqlite3_column_blob(stmt, 4);
    b.data.assign(static_cast<const char*>(data),
                  static_cast<size_t>(sqlite3_column_bytes(stmt, 4)));
  }
  if (rc != SQLITE_DONE) return Error(rc, "read blocks");
  return out;
}

Result<TierUsage> BlockStore::Usage(Tier tier) {
  sqlite3_stmt* stmt = stmts_->usage.get();
  ScopedReset reset(stmt);
  sqlite3_bind_int(stmt, 1, static_cast<int>(tier));
  const int rc = sqlite3_step(stmt);
  if (rc != SQLITE_ROW) return Error(rc, "usage");
  return TierUsage{static_cast<uint64_t>(sqlite3_column_int64(stmt, 0)),
                   static_cast<uint64_t>(sqlite3_column_int64(stmt, 1)),
                   static_cast<uint64_t>(sqlite3_column_int64(stmt, 2))};
}

Result<TimestampMs> BlockStore::NewestEnd(Tier tier) {
  // Rare (start-up only), so a one-off statement rather than a cached one.
  sqlite3_stmt* stmt = nullptr;
  int rc = sqlite3_prepare_v2(db_, "SELECT COALESCE(MAX(end_ms), 0) FROM blocks WHERE tier = ?1",
                              -1, &stmt, nullptr);
  if (rc != SQLITE_OK) return Error(rc, "newest block");
  sqlite3_bind_int(stmt, 1, static_cast<int>(tier));
  rc = sqlite3_step(stmt);
  TimestampMs end = rc == SQLITE_ROW ? sqlite3_column_int64(stmt, 0) : 0;
  sqlite3_finalize(stmt);
  if (rc != SQLITE_ROW) return Error(rc, "newest block");
  return end;
}

Result<std::string> BlockStore::GetMeta(std::string_view key) {
  sqlite3_stmt* stmt = nullptr;
  int rc = sqlite3_prepare_v2(db_, "SELECT value FROM meta WHERE key = ?1", -1, &stmt, nullptr);
  if (rc != SQLITE_OK) return Error(rc, "read meta");
  sqlite3_bind_text(stmt, 1, key.data(), static_cast<int>(key.size()), SQLITE_STATIC);
  rc = sqlite3_step(stmt);
  std::string value;
  if (rc == SQLITE_ROW) {
    const unsigned char* text = sqlite3_column_text(stmt, 0);
    if (text) value = reinterpret_cast<const char*>(text);
  }
  sqlite3_finalize(stmt);
  if (rc != SQLITE_ROW && rc != SQLITE_DONE) return Error(rc, "read meta");
  return value;
}

Status BlockStore::PutMeta(std::string_view key, std::string_view value) {
  sqlite3_stmt* stmt = nullptr;
  int rc = sqlite3_prepare_v2(db_, "INSERT OR REPLACE INTO meta(key, value) VALUES(?1, ?2)", -1,
                              &stmt, nullptr);
  if (rc != SQLITE_OK) return Error(rc, "write meta");
  sqlite3_bind_text(stmt, 1, key.data(), static_cast<int>(key.size()), SQLITE_STATIC);
  sqlite3_bind_text(stmt, 2, value.data(), static_cast<int>(value.size()), SQLITE_STATIC);
  rc = sqlite3_step(stmt);
  sqlite3_finalize(stmt);
  return rc == SQLITE_DONE ? Status::Ok() : Error(rc, "write meta");
}

Result<std::vector<BlockInfo>> BlockStore::ListBlocks() {
  sqlite3_stmt* stmt = stmts_->list_blocks.get();
  ScopedReset reset(stmt);
  std::vector<BlockInfo> out;
  int rc = SQLITE_OK;
  while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
    BlockInfo b;
    b.series = sqlite3_column_int64(stmt, 0);
    b.tier = static_cast<Tier>(sqlite3_column_int(stmt, 1));
    b.start_ms = sqlite3_column_int64(stmt, 2);
    b.end_ms = sqlite3_column_int64(stmt, 3);
    b.samples = static_cast<uint64_t>(sqlite3_column_int64(stmt, 4));
    b.bytes = static_cast<uint64_t>(sqlite3_column_int64(stmt, 5));
    out.push_back(b);
  }
  if (rc != SQLITE_DONE) return Error(rc, "list blocks");
  return out;
}

Result<RemovedBlocks> BlockStore::DeleteBlocks(std::span<const BlockInfo> blocks) {
  RemovedBlocks removed;
  Status s = Transact("delete blocks", [&]() -> Status {
    sqlite3_stmt* del = stmts_->delete_block.get();
    for (const BlockInfo& b : blocks) {
      ScopedReset reset(del);
      sqlite3_bind_int64(del, 1, b.series);
      sqlite3_bind_int(del, 2, static_cast<int>(b.tier));
      sqlite3_bind_int64(del, 3, b.start_ms);
      int rc = SQLITE_OK;
      while ((rc = sqlite3_step(del)) == SQLITE_ROW) {
        ++removed.blocks;
        removed.points += static_cast<uint64_t>(sqlite3_column_int64(del, 0));
        removed.bytes += static_cast<uint64_t>(sqlite3_column_int64(del, 1));
      }
      if (rc != SQLITE_DONE) return Error(rc, "delete blocks");
    }
    return Status::Ok();
  });
  if (!s.ok()) return s;
  return removed;
}

Status BlockStore::Reclaim() {
  if (Status s = Exec("PRAGMA incremental_vacuum", "reclaim"); !s.ok()) return s;
  return Checkpoint();
}

Status BlockStore::Checkpoint() {
  const int rc =
      sqlite3_wal_checkpoint_v2(db_, nullptr, SQLITE_CHECKPOINT_TRUNCATE, nullptr, nullptr);
  return rc == SQLITE_OK || rc == SQLITE_BUSY ? Status::Ok() : Error(rc, "checkpoint");
}

Result<uint64_t> BlockStore::FileBytes() const {
  uint64_t total = 0;
  for (const char* suffix : {"", "-wal", "-shm"}) {
    std::error_code ec;
    const uint64_t size = fs::file_size(path_ + suffix, ec);
    if (!ec) {
      total += size;
    } else if (ec != std::errc::no_such_file_or_directory) {
      return Status::IOError(path_ + suffix + ": " + ec.message());
    }
  }
  return total;
}

Status BlockStore::CheckIntegrity() {
  Result<std::string> result = QueryText("PRAGMA integrity_check");
  if (!result.ok()) return result.status();
  if (*result != "ok") return CorruptFile(path_, "integrity_check: " + *result);
  return Status::Ok();
}

bool BlockStore::LooksCorrupt(const Status& status) {
  return status.code() == Status::Code::kIOError &&
         status.message().find(" is corrupt (") != std::string::npos &&
         status.message().find(kResetCorruptDbFlag) != std::string::npos;
}

Result<std::string> BlockStore::MoveAside(const std::string& path) {
  const std::string stem = path + ".corrupt-" + UtcStamp();
  std::string aside = stem;
  std::error_code ec;
  for (int n = 1; fs::exists(aside, ec) || fs::exists(aside + "-wal", ec); ++n) {
    aside = stem + "-" + std::to_string(n);
  }
  fs::rename(path, aside, ec);
  if (ec) return Status::IOError("cannot move " + path + " to " + aside + ": " + ec.message());
  // The WAL belongs to the old file: left behind, SQLite would replay it
  // into the fresh database.
  for (const char* suffix : {"-wal", "-shm"}) {
    if (!fs::exists(path + suffix, ec)) continue;
    fs::rename(path + suffix, aside + suffix, ec);
    if (ec) {
      return Status::IOError("cannot move " + path + suffix + " to " + aside + suffix + ": " +
                             ec.message());
    }
  }
  return aside;
}

Result<BlockLayout> LoadOrRecordLayout(BlockStore& db, const BlockLayout& wanted) {
  Result<std::string> window = db.GetMeta("block_window_ms");
  if (!window.ok()) return window.status();
  Result<std::string> day = db.GetMeta("hour_block_ms");
  if (!day.ok()) return day.status();
  if (window->empty() || day->empty()) {
    if (Status s = ValidateBlockLayout(wanted); !s.ok()) return s;
    if (Status s = db.PutMeta("block_window_ms", std::to_string(wanted.window_ms)); !s.ok()) {
      return s;
    }
    if (Status s = db.PutMeta("hour_block_ms", std::to_string(wanted.hour_block_ms)); !s.ok()) {
      return s;
    }
    return wanted;
  }
  BlockLayout stored;
  const auto parse = [](const std::string& text, int64_t* out) {
    const char* end = text.data() + text.size();
    return std::from_chars(text.data(), end, *out).ptr == end;
  };
  if (!parse(*window, &stored.window_ms) || !parse(*day, &stored.hour_block_ms) ||
      !ValidateBlockLayout(stored).ok()) {
    return CorruptFile(db.path(), "block layout " + *window + "/" + *day);
  }
  return stored;
}

}  // namespace perfwatch
