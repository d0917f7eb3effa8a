#include "runs/run_db.h"

#include <sqlite3.h>

#include <cmath>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <utility>

#include "store/block_store.h"

namespace perfwatch {
namespace {

// The block store's PRAGMA application_id ("pwdb"), as AlertDb and TuningDb
// check it.
constexpr int32_t kPerfwatchApplicationId = 0x70776462;

// run_timeline and run_points are keyed by (run_id, seq) WITHOUT ROWID, so
// a run's rows are contiguous and read or deleted as one range. runs.id is
// AUTOINCREMENT: PERFWATCH_RUN_ID handed to a command must never name
// another run later.
constexpr const char* kSchema = R"sql(
CREATE TABLE IF NOT EXISTS runs(
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  name TEXT NOT NULL,
  argv TEXT NOT NULL,
  host TEXT NOT NULL,
  started_ms INTEGER NOT NULL,
  ended_ms INTEGER NOT NULL,
  status TEXT NOT NULL CHECK(length(status) > 0),
  exit_code INTEGER NOT NULL,
  signal INTEGER NOT NULL,
  error TEXT NOT NULL,
  wall_seconds REAL NOT NULL,
  user_seconds REAL NOT NULL,
  system_seconds REAL NOT NULL,
  cpu_percent REAL NOT NULL,
  peak_rss_bytes REAL NOT NULL,
  read_bytes INTEGER NOT NULL,
  write_bytes INTEGER NOT NULL,
  sample_interval_ms INTEGER NOT NULL,
  app_points_received INTEGER NOT NULL,
  app_points_dropped INTEGER NOT NULL,
  app_bad_lines INTEGER NOT NULL,
  statsd_address TEXT NOT NULL,
  metric_count INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS runs_by_name ON runs(name, id);
CREATE TABLE IF NOT EXISTS run_metrics(
  run_id INTEGER NOT NULL,
  metric TEXT NOT NULL,
  type TEXT NOT NULL,
  tags TEXT NOT NULL,
  count INTEGER NOT NULL,
  sum REAL NOT NULL,
  min REAL NOT NULL,
  max REAL NOT NULL,
  mean REAL NOT NULL,
  last REAL NOT NULL,
  p50 REAL,
  p95 REAL,
  PRIMARY KEY(run_id, metric, type, tags)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS run_timeline(
  run_id INTEGER NOT NULL,
  seq INTEGER NOT NULL,
  t_ms INTEGER NOT NULL,
  cpu_percent REAL NOT NULL,
  rss_bytes REAL NOT NULL,
  threads INTEGER NOT NULL,
  processes INTEGER NOT NULL,
  read_bytes INTEGER NOT NULL,
  write_bytes INTEGER NOT NULL,
  PRIMARY KEY(run_id, seq)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS run_points(
  run_id INTEGER NOT NULL,
  seq INTEGER NOT NULL,
  t_ms INTEGER NOT NULL,
  metric TEXT NOT NULL,
  type TEXT NOT NULL,
  value REAL NOT NULL,
  tags TEXT NOT NULL,
  PRIMARY KEY(run_id, seq)
) WITHOUT ROWID;
)sql";

constexpr const char* kRunColumns =
    "id, name, argv, host, started_ms, ended_ms, status, exit_code, signal, error, wall_seconds, "
    "user_seconds, system_seconds, cpu_percent, peak_rss_bytes, read_bytes, write_bytes, "
    "sample_interval_ms, app_points_received, app_points_dropped, app_bad_lines, statsd_address, "
    "metric_count";

constexpr const char* kChildTables[] = {"run_metrics", "run_timeline", "run_points"};

struct StmtDeleter {
  void operator()(sqlite3_stmt* s) const { sqlite3_finalize(s); }
};
using StmtPtr = std::unique_ptr<sqlite3_stmt, StmtDeleter>;

Status SqlError(sqlite3* db, const std::string& path, int rc, const std::string& what) {
  const std::string detail = sqlite3_errcode(db) == rc ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
  const std::string msg = path + ": runs: " + what + ": " + detail;
  switch (rc & 0xFF) {
    case SQLITE_CONSTRAINT:
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
    case SQLITE_MISUSE:
    case SQLITE_ERROR:
      return Status::Internal(msg);
    default:
      return Status::IOError(msg);
  }
}

// One prepared statement; binds in order from 1 and reports every failure
// through SqlError. Reusable row after row with Reset.
class Statement {
 public:
  Statement(sqlite3* db, const std::string& path, const std::string& sql, std::string what)
      : db_(db), path_(path), what_(std::move(what)) {
    sqlite3_stmt* raw = nullptr;
    rc_ = sqlite3_prepare_v2(db, sql.c_str(), -1, &raw, nullptr);
    stmt_.reset(raw);
  }
  Status status() const { return rc_ == SQLITE_OK ? Status::Ok() : Error(rc_); }
  sqlite3_stmt* get() const { return stmt_.get(); }

  Statement& Text(const std::string& s) {
    Note(sqlite3_bind_text(stmt_.get(), ++bound_, s.data(), static_cast<int>(s.size()),
                           SQLITE_TRANSIENT));
    return *this;
  }
  Statement& Int(int64_t v) {
    Note(sqlite3_bind_int64(stmt_.get(), ++bound_, v));
    return *this;
  }
  // NaN and infinities bind as 0: SQLite has no NaN and the columns are
  // NOT NULL; only a failed measurement produces one.
  Statement& Real(double v) {
    Note(sqlite3_bind_double(stmt_.get(), ++bound_, std::isfinite(v) ? v : 0));
    return *this;
  }
  Statement& Opt(const std::optional<double>& v) {
    Note(v && std::isfinite(*v) ? sqlite3_bind_double(stmt_.get(), ++bound_, *v)
                                : sqlite3_bind_null(stmt_.get(), ++bound_));
    return *this;
  }

  // Runs a statement that returns no rows, then resets it for the next.
  Status Run() {
    if (rc_ != SQLITE_OK) return Error(rc_);
    const int rc = sqlite3_step(stmt_.get());
    sqlite3_reset(stmt_.get());
    sqlite3_clear_bindings(stmt_.get());
    bound_ = 0;
    return rc == SQLITE_DONE ? Status::Ok() : Error(rc);
  }
  // Steps once: true for a row, false at the end.
  Result<bool> Step() {
    if (rc_ != SQLITE_OK) return Error(rc_);
    const int rc = sqlite3_step(stmt_.get());
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) return false;
    return Error(rc);
  }
  std::string ColText(int i) const {
    const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(stmt_.get(), i));
    return p == nullptr ? std::string() : std::string(p, sqlite3_column_bytes(stmt_.get(), i));
  }
  int64_t ColInt(int i) const { return sqlite3_column_int64(stmt_.get(), i); }
  double ColReal(int i) const { return sqlite3_column_double(stmt_.get(), i); }
  std::optional<double> ColOpt(int i) const {
    if (sqlite3_column_type(stmt_.get(), i) == SQLITE_NULL) return std::nullopt;
    return ColReal(i);
  }

 private:
  void Note(int rc) {
    if (rc_ == SQLITE_OK) rc_ = rc;
  }
  Status Error(int rc) const { return SqlError(db_, path_, rc, what_); }
  sqlite3* db_;
  const std::string& path_;
  std::string what_;
  StmtPtr stmt_;
  int rc_ = SQLITE_OK;
  int bound_ = 0;
};

Status Exec(sqlite3* db, const std::string& path, const std::string& sql, const std::string& what) {
  const int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr);
  return rc == SQLITE_OK ? Status::Ok() : SqlError(db, path, rc, what);
}

// Runs `body` in one IMMEDIATE transaction: all of it is committed or none.
template <typename Fn>
Status InTransaction(sqlite3* db, const std::string& path, Fn&& body) {
  if (Status s = Exec(db, path, "BEGIN IMMEDIATE", "begin"); !s.ok()) return s;
  Status s = body();
  if (s.ok()) s = Exec(db, path, "COMMIT", "commit");
  if (!s.ok()) (void)Exec(db, path, "ROLLBACK", "rollback");
  return s;
}

Result<int64_t> QueryInt(sqlite3* db, const std::string& path, const std::string& sql,
                         const std::string& what) {
  Statement stmt(db, path, sql, what);
  Result<bool> row = stmt.Step();
  if (!row.ok()) return row.status();
  return *row ? stmt.ColInt(0) : 0;
}

// A missing or empty file becomes a perfwatch database through the block
// store itself (application_id, page size, auto_vacuum and its tables), so
// a serving perfwatch started here later finds the file it expects.
Status CreateFileIfMissing(const RunDbOptions& options) {
  std::error_code ec;
  const bool exists = std::filesystem::exists(options.path, ec);
  if (exists && std::filesystem::file_size(options.path, ec) > 0 && !ec) return Status::Ok();
  if (!options.create) {
    return Status::Unavailable(options.path + " does not exist: no runs recorded there yet");
  }
  Result<std::unique_ptr<BlockStore>> store = BlockStore::Open(options.path);
  return store.ok() ? Status::Ok() : store.status();
}

Status Configure(sqlite3* db, const std::string& path) {
  Result<int64_t> app_id = QueryInt(db, path, "PRAGMA application_id", "read application_id");
  if (!app_id.ok()) return app_id.status();
  if (*app_id != 0 && *app_id != kPerfwatchApplicationId) {
    return Status::InvalidArgument(path + ": not a perfwatch database (application_id " +
                                   std::to_string(*app_id) + ")");
  }
  // WAL is a property of the file (the block store sets it too); FULL makes
  // the commit of a finished run fsync the WAL, so the record survives a
  // power loss right after `perfwatch run` reported it.
  if (Status s = Exec(db, path, "PRAGMA journal_mode = WAL", "set WAL journal mode"); !s.ok()) {
    return s;
  }
  if (Status s = Exec(db, path, "PRAGMA synchronous = FULL", "set synchronous"); !s.ok()) return s;
  // Readers (the API, `perfwatch runs`) open a connection per use: checking
  // first keeps them from taking the write lock when the tables exist.
  Result<int64_t> tables = QueryInt(db, path,
                                    "SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND "
                                    "name IN ('runs', 'run_metrics', 'run_timeline', 'run_points')",
                                    "look up the runs tables");
  if (!tables.ok()) return tables.status();
  if (*tables == 4) return Status::Ok();
  return InTransaction(db, path, [&] { return Exec(db, path, kSchema, "create runs tables"); });
}

std::string ArgvJson(const std::vector<std::string>& argv) {
  return nlohmann::json(argv).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::vector<std::string> ParseArgv(const std::string& text) {
  nlohmann::json j = nlohmann::json::parse(text, nullptr, false);
  std::vector<std::string> out;
  if (!j.is_array()) return out;
  for (const auto& a : j) {
    if (a.is_string()) out.push_back(a.get<std::string>());
  }
  return out;
}

// Binds every column of kRunColumns but id, in order.
void BindRun(Statement& s, const RunRecord& r) {
  s.Text(r.name).Text(ArgvJson(r.argv)).Text(r.host).Int(r.started_ms).Int(r.ended_ms);
  s.Text(std::string(ToString(r.status))).Int(r.exit_code).Int(r.signal).Text(r.error);
  s.Real(r.wall_seconds).Real(r.user_seconds).Real(r.system_seconds).Real(r.cpu_percent);
  s.Real(r.peak_rss_bytes).Int(static_cast<int64_t>(r.read_bytes));
  s.Int(static_cast<int64_t>(r.write_bytes)).Int(r.sample_interval_ms);
  s.Int(r.app_points_received).Int(r.app_points_dropped).Int(r.app_bad_lines);
  s.Text(r.statsd_address).Int(static_cast<int64_t>(r.metrics.size()));
}

RunRecord ReadRun(const Statement& s) {
  RunRecord r;
  r.id = s.ColInt(0);
  r.name = s.ColText(1);
  r.argv = ParseArgv(s.ColText(2));
  r.host = s.ColText(3);
  r.started_ms = s.ColInt(4);
  r.ended_ms = s.ColInt(5);
  r.status = ParseRunStatus(s.ColText(6)).value_or(RunStatus::kFailed);
  r.exit_code = static_cast<int>(s.ColInt(7));
  r.signal = static_cast<int>(s.ColInt(8));
  r.error = s.ColText(9);
  r.wall_seconds = s.ColReal(10);
  r.user_seconds = s.ColReal(11);
  r.system_seconds = s.ColReal(12);
  r.cpu_percent = s.ColReal(13);
  r.peak_rss_bytes = s.ColReal(14);
  r.read_bytes = static_cast<uint64_t>(s.ColInt(15));
  r.write_bytes = static_cast<uint64_t>(s.ColInt(16));
  r.sample_interval_ms = s.ColInt(17);
  r.app_points_received = s.ColInt(18);
  r.app_points_dropped = s.ColInt(19);
  r.app_bad_lines = s.ColInt(20);
  r.statsd_address = s.ColText(21);
  r.metric_count = s.ColInt(22);
  return r;
}

Status DeleteChildren(sqlite3* db, const std::string& path, int64_t id) {
  for (const char* table : kChildTables) {
    Statement del(db, path, std::string("DELETE FROM ") + table + " WHERE run_id = ?",
                  "delete run " + std::to_string(id));
    if (Status s = del.Int(id).Run(); !s.ok()) return s;
  }
  return Status::Ok();
}

Status InsertChildren(sqlite3* db, const std::string& path, const RunRecord& r) {
  const std::string what = "save run " + std::to_string(r.id);
  Statement metric(db, path,
                   "INSERT INTO run_metrics(run_id, metric, type, tags, count, sum, min, max, "
                   "mean, last, p50, p95) VALUES(?,?,?,?,?,?,?,?,?,?,?,?)",
                   what + " metrics");
  for (const MetricSummary& m : r.metrics) {
    metric.Int(r.id).Text(m.metric).Text(m.type).Text(m.tags).Int(m.count).Real(m.sum);
    metric.Real(m.min).Real(m.max).Real(m.mean).Real(m.last).Opt(m.p50).Opt(m.p95);
    if (Status s = metric.Run(); !s.ok()) return s;
  }
  Statement point(db, path,
                  "INSERT INTO run_timeline(run_id, seq, t_ms, cpu_percent, rss_bytes, threads, "
                  "processes, read_bytes, write_bytes) VALUES(?,?,?,?,?,?,?,?,?)",
                  what + " timeline");
  for (size_t i = 0; i < r.timeline.size(); ++i) {
    const TimelinePoint& p = r.timeline[i];
    point.Int(r.id).Int(static_cast<int64_t>(i)).Int(p.t_ms).Real(p.cpu_percent).Real(p.rss_bytes);
    point.Int(p.threads).Int(p.processes).Int(static_cast<int64_t>(p.read_bytes));
    point.Int(static_cast<int64_t>(p.write_bytes));
    if (Status s = point.Run(); !s.ok()) return s;
  }
  Statement app(db, path,
                "INSERT INTO run_points(run_id, seq, t_ms, metric, type, value, tags) "
                "VALUES(?,?,?,?,?,?,?)",
                what + " application data");
  for (size_t i = 0; i < r.app_points.size(); ++i) {
    const AppPoint& p = r.app_points[i];
    app.Int(r.id).Int(static_cast<int64_t>(i)).Int(p.t_ms).Text(p.metric).Text(p.type);
    app.Real(p.value).Text(p.tags);
    if (Status s = app.Run(); !s.ok()) return s;
  }
  return Status::Ok();
}

// Deletes every run older than the newest `max_runs`. Ids only grow, so
// the cut is one id and each table loses one key range.
Status Prune(sqlite3* db, const std::string& path, size_t max_runs) {
  if (max_runs == 0) return Status::Ok();
  Result<int64_t> cut = QueryInt(
      db, path,
      "SELECT id FROM runs ORDER BY id DESC LIMIT 1 OFFSET " + std::to_string(max_runs - 1),
      "find runs to prune");
  if (!cut.ok()) return cut.status();
  if (*cut == 0) return Status::Ok();
  for (const char* table : {"runs", "run_metrics", "run_timeline", "run_points"}) {
    const std::string column = std::string(table) == "runs" ? "id" : "run_id";
    Statement del(db, path, std::string("DELETE FROM ") + table + " WHERE " + column + " < ?",
                  "prune runs");
    if (Status s = del.Int(*cut).Run(); !s.ok()) return s;
  }
  return Status::Ok();
}

Status LoadMetrics(sqlite3* db, const std::string& path, RunRecord& r) {
  Statement stmt(db, path,
                 "SELECT metric, type, tags, count, sum, min, max, mean, last, p50, p95 FROM "
                 "run_metrics WHERE run_id = ? ORDER BY metric, type, tags",
                 "load metrics of run " + std::to_string(r.id));
  stmt.Int(r.id);
  for (;;) {
    Result<bool> row = stmt.Step();
    if (!row.ok()) return row.status();
    if (!*row) return Status::Ok();
    MetricSummary m;
    m.metric = stmt.ColText(0);
    m.type = stmt.ColText(1);
    m.tags = stmt.ColText(2);
    m.count = stmt.ColInt(3);
    m.sum = stmt.ColReal(4);
    m.min = stmt.ColReal(5);
    m.max = stmt.ColReal(6);
    m.mean = stmt.ColReal(7);
    m.last = stmt.ColReal(8);
    m.p50 = stmt.ColOpt(9);
    m.p95 = stmt.ColOpt(10);
    r.metrics.push_back(std::move(m));
  }
}

Status LoadTimeline(sqlite3* db, const std::string& path, RunRecord& r) {
  Statement stmt(db, path,
                 "SELECT t_ms, cpu_percent, rss_bytes, threads, processes, read_bytes, "
                 "write_bytes FROM run_timeline WHERE run_id = ? ORDER BY seq",
                 "load timeline of run " + std::to_string(r.id));
  stmt.Int(r.id);
  for (;;) {
    Result<bool> row = stmt.Step();
    if (!row.ok()) return row.status();
    if (!*row) return Status::Ok();
    r.timeline.push_back(TimelinePoint{
        stmt.ColInt(0), stmt.ColReal(1), stmt.ColReal(2), stmt.ColInt(3), stmt.ColInt(4),
        static_cast<uint64_t>(stmt.ColInt(5)), static_cast<uint64_t>(stmt.ColInt(6))});
  }
}

Status LoadPoints(sqlite3* db, const std::string& path, RunRecord& r) {
  Statement stmt(db, path,
                 "SELECT t_ms, metric, type, value, tags FROM run_points WHERE run_id = ? "
                 "ORDER BY seq",
                 "load application data of run " + std::to_string(r.id));
  stmt.Int(r.id);
  for (;;) {
    Result<bool> row = stmt.Step();
    if (!row.ok()) return row.status();
    if (!*row) return Status::Ok();
    r.app_points.push_back(AppPoint{stmt.ColInt(0), stmt.ColText(1), stmt.ColText(2),
                                    stmt.ColReal(3), stmt.ColText(4)});
  }
}

}  // namespace

std::string RunDb::PathIn(const std::string& data_dir) { return data_dir + "/perfwatch.db"; }

RunDb::RunDb(sqlite3* db, RunDbOptions options) : db_(db), options_(std::move(options)) {}

RunDb::~RunDb() { sqlite3_close_v2(db_); }

Result<std::unique_ptr<RunDb>> RunDb::Open(const RunDbOptions& options) {
  if (Status s = CreateFileIfMissing(options); !s.ok()) return s;
  sqlite3* raw = nullptr;
  const int rc = sqlite3_open_v2(options.path.c_str(), &raw,
                                 SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, nullptr);
  std::unique_ptr<RunDb> db(new RunDb(raw, options));
  if (rc != SQLITE_OK) return SqlError(raw, options.path, rc, "open");
  sqlite3_extended_result_codes(raw, 1);
  sqlite3_busy_timeout(raw, options.busy_timeout_ms);
  if (Status s = Configure(raw, options.path); !s.ok()) return s;
  return db;
}

Result<int64_t> RunDb::Reserve(const RunRecord& run) {
  std::lock_guard lock(mu_);
  int64_t id = 0;
  Status s = InTransaction(db_, options_.path, [&] {
    Statement insert(db_, options_.path,
                     std::string("INSERT INTO runs(") + (kRunColumns + 4) +
                         ") VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                     "reserve run " + run.name);
    BindRun(insert, run);
    if (Status st = insert.Run(); !st.ok()) return st;
    id = sqlite3_last_insert_rowid(db_);
    return Status::Ok();
  });
  if (!s.ok()) return s;
  return id;
}

Status RunDb::Finish(const RunRecord& run) {
  std::lock_guard lock(mu_);
  const std::string what = "finish run " + std::to_string(run.id);
  return InTransaction(db_, options_.path, [&] {
    Statement update(db_, options_.path,
                     "UPDATE runs SET name = ?, argv = ?, host = ?, started_ms = ?, ended_ms = ?, "
                     "status = ?, exit_code = ?, signal = ?, error = ?, wall_seconds = ?, "
                     "user_seconds = ?, system_seconds = ?, cpu_percent = ?, peak_rss_bytes = ?, "
                     "read_bytes = ?, write_bytes = ?, sample_interval_ms = ?, "
                     "app_points_received = ?, app_points_dropped = ?, app_bad_lines = ?, "
                     "statsd_address = ?, metric_count = ? WHERE id = ?",
                     what);
    BindRun(update, run);
    update.Int(run.id);
    if (Status s = update.Run(); !s.ok()) return s;
    if (sqlite3_changes(db_) == 0) {
      return Status::NotFound("run " + std::to_string(run.id) + " is not stored (deleted?)");
    }
    if (Status s = DeleteChildren(db_, options_.path, run.id); !s.ok()) return s;
    if (Status s = InsertChildren(db_, options_.path, run); !s.ok()) return s;
    return Prune(db_, options_.path, options_.max_runs);
  });
}

Result<std::vector<RunRecord>> RunDb::List(const RunFilter& filter) const {
  std::lock_guard lock(mu_);
  std::string sql = std::string("SELECT ") + kRunColumns +
                    " FROM runs WHERE (?1 = '' OR name = ?1)" +
                    " AND (?2 = 0 OR id < ?2) ORDER BY id DESC";
  if (filter.limit > 0) sql += " LIMIT " + std::to_string(filter.limit);
  Statement stmt(db_, options_.path, sql, "list runs");
  stmt.Text(filter.name).Int(filter.before_id);
  std::vector<RunRecord> out;
  for (;;) {
    Result<bool> row = stmt.Step();
    if (!row.ok()) return row.status();
    if (!*row) return out;
    out.push_back(ReadRun(stmt));
  }
}

Result<RunRecord> RunDb::Get(int64_t id, const RunParts& parts) const {
  std::lock_guard lock(mu_);
  // One read transaction: the run and its rows are one snapshot even while
  // another process finishes or prunes runs.
  if (Status s = Exec(db_, options_.path, "BEGIN", "begin"); !s.ok()) return s;
  Result<RunRecord> out = [&]() -> Result<RunRecord> {
    Statement stmt(db_, options_.path,
                   std::string("SELECT ") + kRunColumns + " FROM runs WHERE id = ?",
                   "get run " + std::to_string(id));
    stmt.Int(id);
    Result<bool> row = stmt.Step();
    if (!row.ok()) return row.status();
    if (!*row) return Status::NotFound("no run with id " + std::to_string(id));
    RunRecord r = ReadRun(stmt);
    if (Status s = LoadMetrics(db_, options_.path, r); !s.ok()) return s;
    if (parts.timeline) {
      if (Status s = LoadTimeline(db_, options_.path, r); !s.ok()) return s;
    }
    if (parts.app_points) {
      if (Status s = LoadPoints(db_, options_.path, r); !s.ok()) return s;
    }
    return r;
  }();
  (void)Exec(db_, options_.path, "COMMIT", "end read");
  return out;
}

Status RunDb::Delete(int64_t id) {
  std::lock_guard lock(mu_);
  return InTransaction(db_, options_.path, [&] {
    Statement del(db_, options_.path, "DELETE FROM runs WHERE id = ?",
                  "delete run " + std::to_string(id));
    if (Status s = del.Int(id).Run(); !s.ok()) return s;
    if (sqlite3_changes(db_) == 0) return Status::NotFound("no run with id " + std::to_string(id));
    return DeleteChildren(db_, options_.path, id);
  });
}

}  // namespace perfwatch
