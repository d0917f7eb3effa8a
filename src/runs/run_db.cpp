#include "runs/run_db.h"

#include <cmath>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <utility>

#include "store/block_store.h"
#include "store/sqlite_db.h"

namespace perfwatch {
namespace {

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

Result<int64_t> QueryInt(SqliteDb& db, const std::string& sql, const std::string& what) {
  Statement stmt = db.Prepare(sql, what);
  Result<bool> row = stmt.Step();
  if (!row.ok()) return row.status();
  return *row ? stmt.ColInt(0) : 0;
}

// NaN and infinities store as 0: SQLite has no NaN and the columns are
// NOT NULL; only a failed measurement produces one.
double Finite(double v) { return std::isfinite(v) ? v : 0; }

// An infinite quantile (absent or NaN already bind as NULL) is stored as
// absent too.
std::optional<double> FiniteOpt(const std::optional<double>& v) {
  return v && std::isfinite(*v) ? v : std::nullopt;
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

Status CreateTables(SqliteDb& db) {
  // Readers (the API, `perfwatch runs`) open a connection per use: checking
  // first keeps them from taking the write lock when the tables exist.
  Result<int64_t> tables = QueryInt(db,
                                    "SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND "
                                    "name IN ('runs', 'run_metrics', 'run_timeline', 'run_points')",
                                    "look up the runs tables");
  if (!tables.ok()) return tables.status();
  if (*tables == 4) return Status::Ok();
  return db.InTransaction([&] { return db.Exec(kSchema, "create runs tables"); });
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
  s.Real(Finite(r.wall_seconds)).Real(Finite(r.user_seconds)).Real(Finite(r.system_seconds));
  s.Real(Finite(r.cpu_percent)).Real(Finite(r.peak_rss_bytes));
  s.Int(static_cast<int64_t>(r.read_bytes));
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

Status DeleteChildren(SqliteDb& db, int64_t id) {
  for (const char* table : kChildTables) {
    Statement del = db.Prepare(std::string("DELETE FROM ") + table + " WHERE run_id = ?",
                               "delete run " + std::to_string(id));
    if (Status s = del.Int(id).Run(); !s.ok()) return s;
  }
  return Status::Ok();
}

Status InsertChildren(SqliteDb& db, const RunRecord& r) {
  const std::string what = "save run " + std::to_string(r.id);
  Statement metric = db.Prepare(
      "INSERT INTO run_metrics(run_id, metric, type, tags, count, sum, min, max, "
      "mean, last, p50, p95) VALUES(?,?,?,?,?,?,?,?,?,?,?,?)",
      what + " metrics");
  for (const MetricSummary& m : r.metrics) {
    metric.Int(r.id).Text(m.metric).Text(m.type).Text(m.tags).Int(m.count);
    metric.Real(Finite(m.sum)).Real(Finite(m.min)).Real(Finite(m.max)).Real(Finite(m.mean));
    metric.Real(Finite(m.last)).Opt(FiniteOpt(m.p50)).Opt(FiniteOpt(m.p95));
    if (Status s = metric.Run(); !s.ok()) return s;
  }
  Statement point = db.Prepare(
      "INSERT INTO run_timeline(run_id, seq, t_ms, cpu_percent, rss_bytes, threads, "
      "processes, read_bytes, write_bytes) VALUES(?,?,?,?,?,?,?,?,?)",
      what + " timeline");
  for (size_t i = 0; i < r.timeline.size(); ++i) {
    const TimelinePoint& p = r.timeline[i];
    point.Int(r.id).Int(static_cast<int64_t>(i)).Int(p.t_ms);
    point.Real(Finite(p.cpu_percent)).Real(Finite(p.rss_bytes));
    point.Int(p.threads).Int(p.processes).Int(static_cast<int64_t>(p.read_bytes));
    point.Int(static_cast<int64_t>(p.write_bytes));
    if (Status s = point.Run(); !s.ok()) return s;
  }
  Statement app = db.Prepare(
      "INSERT INTO run_points(run_id, seq, t_ms, metric, type, value, tags) "
      "VALUES(?,?,?,?,?,?,?)",
      what + " application data");
  for (size_t i = 0; i < r.app_points.size(); ++i) {
    const AppPoint& p = r.app_points[i];
    app.Int(r.id).Int(static_cast<int64_t>(i)).Int(p.t_ms).Text(p.metric).Text(p.type);
    app.Real(Finite(p.value)).Text(p.tags);
    if (Status s = app.Run(); !s.ok()) return s;
  }
  return Status::Ok();
}

// Deletes every run older than the newest `max_runs`. Ids only grow, so
// the cut is one id and each table loses one key range.
Status Prune(SqliteDb& db, size_t max_runs) {
  if (max_runs == 0) return Status::Ok();
  Result<int64_t> cut = QueryInt(
      db, "SELECT id FROM runs ORDER BY id DESC LIMIT 1 OFFSET " + std::to_string(max_runs - 1),
      "find runs to prune");
  if (!cut.ok()) return cut.status();
  if (*cut == 0) return Status::Ok();
  for (const char* table : {"runs", "run_metrics", "run_timeline", "run_points"}) {
    const std::string column = std::string(table) == "runs" ? "id" : "run_id";
    Statement del =
        db.Prepare(std::string("DELETE FROM ") + table + " WHERE " + column + " < ?", "prune runs");
    if (Status s = del.Int(*cut).Run(); !s.ok()) return s;
  }
  return Status::Ok();
}

Status LoadMetrics(SqliteDb& db, RunRecord& r) {
  Statement stmt = db.Prepare(
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

Status LoadTimeline(SqliteDb& db, RunRecord& r) {
  Statement stmt = db.Prepare(
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

Status LoadPoints(SqliteDb& db, RunRecord& r) {
  Statement stmt = db.Prepare(
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

RunDb::RunDb(std::unique_ptr<SqliteDb> db, RunDbOptions options)
    : db_(std::move(db)), options_(std::move(options)) {}

RunDb::~RunDb() = default;

Result<std::unique_ptr<RunDb>> RunDb::Open(const RunDbOptions& options) {
  if (Status s = CreateFileIfMissing(options); !s.ok()) return s;
  // The file exists by now: a missing one here was deleted under us.
  // FULL makes the commit of a finished run fsync the WAL, so the record
  // survives a power loss right after `perfwatch run` reported it.
  Result<std::unique_ptr<SqliteDb>> db = SqliteDb::Open(
      options.path, "runs",
      SqliteDbOptions{.create_if_missing = false, .busy_timeout_ms = options.busy_timeout_ms});
  if (!db.ok()) return db.status();
  if (Status s = CreateTables(**db); !s.ok()) return s;
  return std::unique_ptr<RunDb>(new RunDb(std::move(*db), options));
}

Result<int64_t> RunDb::Reserve(const RunRecord& run) {
  std::lock_guard lock(mu_);
  int64_t id = 0;
  Status s = db_->InTransaction([&] {
    Statement insert = db_->Prepare(std::string("INSERT INTO runs(") + (kRunColumns + 4) +
                                        ") VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                                    "reserve run " + run.name);
    BindRun(insert, run);
    if (Status st = insert.Run(); !st.ok()) return st;
    id = db_->LastInsertRowid();
    return Status::Ok();
  });
  if (!s.ok()) return s;
  return id;
}

Status RunDb::Finish(const RunRecord& run) {
  std::lock_guard lock(mu_);
  const std::string what = "finish run " + std::to_string(run.id);
  return db_->InTransaction([&] {
    Statement update = db_->Prepare(
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
    if (db_->Changes() == 0) {
      return Status::NotFound("run " + std::to_string(run.id) + " is not stored (deleted?)");
    }
    if (Status s = DeleteChildren(*db_, run.id); !s.ok()) return s;
    if (Status s = InsertChildren(*db_, run); !s.ok()) return s;
    return Prune(*db_, options_.max_runs);
  });
}

Result<std::vector<RunRecord>> RunDb::List(const RunFilter& filter) const {
  std::lock_guard lock(mu_);
  std::string sql = std::string("SELECT ") + kRunColumns +
                    " FROM runs WHERE (?1 = '' OR name = ?1)" +
                    " AND (?2 = 0 OR id < ?2) ORDER BY id DESC";
  if (filter.limit > 0) sql += " LIMIT " + std::to_string(filter.limit);
  Statement stmt = db_->Prepare(sql, "list runs");
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
  return db_->InSnapshot([&]() -> Result<RunRecord> {
    Statement stmt = db_->Prepare(std::string("SELECT ") + kRunColumns + " FROM runs WHERE id = ?",
                                  "get run " + std::to_string(id));
    stmt.Int(id);
    Result<bool> row = stmt.Step();
    if (!row.ok()) return row.status();
    if (!*row) return Status::NotFound("no run with id " + std::to_string(id));
    RunRecord r = ReadRun(stmt);
    if (Status s = LoadMetrics(*db_, r); !s.ok()) return s;
    if (parts.timeline) {
      if (Status s = LoadTimeline(*db_, r); !s.ok()) return s;
    }
    if (parts.app_points) {
      if (Status s = LoadPoints(*db_, r); !s.ok()) return s;
    }
    return r;
  });
}

Status RunDb::Delete(int64_t id) {
  std::lock_guard lock(mu_);
  return db_->InTransaction([&] {
    Statement del =
        db_->Prepare("DELETE FROM runs WHERE id = ?", "delete run " + std::to_string(id));
    if (Status s = del.Int(id).Run(); !s.ok()) return s;
    if (db_->Changes() == 0) return Status::NotFound("no run with id " + std::to_string(id));
    return DeleteChildren(*db_, id);
  });
}

}  // namespace perfwatch
