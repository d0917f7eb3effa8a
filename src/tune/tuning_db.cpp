#include "tune/tuning_db.h"

#include <sqlite3.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <nlohmann/json.hpp>
#include <utility>

namespace perfwatch {
namespace {

using nlohmann::ordered_json;

// The block store's PRAGMA application_id ("pwdb"), as AlertDb checks it.
constexpr int32_t kPerfwatchApplicationId = 0x70776462;

// tunables.spec is the tunable as POST /api/v1/tunables takes it, so the
// parser that checks clients also checks what comes back from disk.
// tuning_audit ids are AUTOINCREMENT: history rows name them, and a pruned
// id must never come back as another decision.
constexpr const char* kSchema = R"sql(
CREATE TABLE IF NOT EXISTS tunables(
  app TEXT NOT NULL CHECK(length(app) > 0),
  name TEXT NOT NULL CHECK(length(name) > 0),
  spec TEXT NOT NULL,
  value REAL NOT NULL,
  registered_ms INTEGER NOT NULL,
  seen_ms INTEGER NOT NULL,
  PRIMARY KEY(app, name)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS tunable_history(
  seq INTEGER PRIMARY KEY,
  app TEXT NOT NULL,
  name TEXT NOT NULL,
  record_id INTEGER NOT NULL,
  t_ms INTEGER NOT NULL,
  previous REAL NOT NULL,
  value REAL NOT NULL,
  outcome TEXT NOT NULL CHECK(length(outcome) > 0),
  rule TEXT NOT NULL,
  reason TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS tunable_history_by_tunable ON tunable_history(app, name, seq);
CREATE TABLE IF NOT EXISTS tuning_audit(
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  t_ms INTEGER NOT NULL,
  rule TEXT NOT NULL,
  action TEXT NOT NULL CHECK(length(action) > 0),
  description TEXT NOT NULL,
  app TEXT NOT NULL,
  tunable TEXT NOT NULL,
  before_value REAL,
  after_value REAL,
  outcome TEXT NOT NULL CHECK(length(outcome) > 0),
  error TEXT NOT NULL,
  reason TEXT NOT NULL,
  emergency INTEGER NOT NULL,
  rollback_of INTEGER NOT NULL,
  verdict TEXT NOT NULL,
  metric TEXT NOT NULL,
  metric_before REAL,
  metric_after REAL,
  evaluated_ms INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS tuning_audit_by_time ON tuning_audit(t_ms);
)sql";

constexpr const char* kAuditColumns =
    "id, t_ms, rule, action, description, app, tunable, before_value, after_value, outcome, "
    "error, reason, emergency, rollback_of, verdict, metric, metric_before, metric_after, "
    "evaluated_ms";

struct StmtDeleter {
  void operator()(sqlite3_stmt* s) const { sqlite3_finalize(s); }
};
using StmtPtr = std::unique_ptr<sqlite3_stmt, StmtDeleter>;

// Binds in order. An absent or NaN value binds as NULL (SQLite has no NaN).
class Binder {
 public:
  explicit Binder(sqlite3_stmt* stmt) : stmt_(stmt) {}
  Binder& Text(const std::string& s) {
    rc_ |= sqlite3_bind_text(stmt_, ++i_, s.data(), static_cast<int>(s.size()), SQLITE_TRANSIENT);
    return *this;
  }
  Binder& Int(int64_t v) {
    rc_ |= sqlite3_bind_int64(stmt_, ++i_, v);
    return *this;
  }
  Binder& Real(double v) {
    rc_ |= std::isnan(v) ? sqlite3_bind_null(stmt_, ++i_) : sqlite3_bind_double(stmt_, ++i_, v);
    return *this;
  }
  Binder& Opt(const std::optional<double>& v) { return Real(v.value_or(std::nan(""))); }
  int rc() const { return rc_; }

 private:
  sqlite3_stmt* stmt_;
  int i_ = 0;
  int rc_ = SQLITE_OK;
};

std::string ColText(sqlite3_stmt* s, int i) {
  const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(s, i));
  return p == nullptr ? std::string() : std::string(p, sqlite3_column_bytes(s, i));
}

std::optional<double> ColOpt(sqlite3_stmt* s, int i) {
  if (sqlite3_column_type(s, i) == SQLITE_NULL) return std::nullopt;
  return sqlite3_column_double(s, i);
}

Status SqlError(sqlite3* db, const std::string& path, int rc, const std::string& what) {
  const std::string detail = sqlite3_errcode(db) == rc ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
  const std::string msg = path + ": tuning db: " + what + ": " + detail;
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

// One statement on one connection; every call reports through SqlError.
class Statement {
 public:
  Statement(sqlite3* db, const std::string& path, const char* sql, std::string what)
      : db_(db), path_(path), what_(std::move(what)) {
    sqlite3_stmt* raw = nullptr;
    rc_ = sqlite3_prepare_v2(db, sql, -1, &raw, nullptr);
    stmt_.reset(raw);
  }
  Status status() const { return rc_ == SQLITE_OK ? Status::Ok() : Error(rc_); }
  sqlite3_stmt* get() const { return stmt_.get(); }
  Status Error(int rc) const { return SqlError(db_, path_, rc, what_); }
  // Runs a statement that returns no rows.
  Status Run(const Binder& b) {
    if (rc_ != SQLITE_OK) return Error(rc_);
    if (b.rc() != SQLITE_OK) return Error(b.rc());
    const int rc = sqlite3_step(stmt_.get());
    return rc == SQLITE_DONE ? Status::Ok() : Error(rc);
  }
  // Steps once: true for a row, false at the end.
  Result<bool> Step() {
    const int rc = sqlite3_step(stmt_.get());
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) return false;
    return Error(rc);
  }

 private:
  sqlite3* db_;
  const std::string& path_;
  std::string what_;
  StmtPtr stmt_;
  int rc_ = SQLITE_OK;
};

Status Exec(sqlite3* db, const std::string& path, const char* sql, const std::string& what) {
  const int rc = sqlite3_exec(db, sql, nullptr, nullptr, nullptr);
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

std::string SpecJson(const TunableSpec& spec) {
  ordered_json j = ordered_json::object();
  j["app"] = spec.app;
  j["name"] = spec.name;
  if (spec.kind == TunableSpec::Kind::kBool) {
    j["value"] = spec.value != 0;
  } else {
    j["value"] = spec.value;
    if (spec.min) j["min"] = *spec.min;
    if (spec.max) j["max"] = *spec.max;
    if (spec.step != 0) j["step"] = spec.step;
    if (!spec.allowed.empty()) j["allowed"] = spec.allowed;
  }
  j["unit"] = spec.unit;
  j["description"] = spec.description;
  j["webhook"] = spec.webhook;
  j["hooks"] = spec.hooks;
  return j.dump(-1, ' ', false, ordered_json::error_handler_t::replace);
}

Status UpsertTunable(sqlite3* db, const std::string& path, const Tunable& tunable) {
  const TunableSpec& spec = tunable.spec;
  Statement stmt(db, path,
                 "INSERT OR REPLACE INTO tunables(app, name, spec, value, registered_ms, "
                 "seen_ms) VALUES(?,?,?,?,?,?)",
                 "save tunable " + spec.app + "/" + spec.name);
  if (Status s = stmt.status(); !s.ok()) return s;
  Binder b(stmt.get());
  b.Text(spec.app).Text(spec.name).Text(SpecJson(spec)).Real(spec.value);
  b.Int(tunable.registered_ms).Int(tunable.seen_ms);
  return stmt.Run(b);
}

// Appends and prunes the tunable's history to its newest kMaxTunableHistory.
Status AppendHistory(sqlite3* db, const std::string& path, const std::string& app,
                     const std::string& name, const TunableChange& change) {
  const std::string what = "append history of " + app + "/" + name;
  Statement insert(db, path,
                   "INSERT INTO tunable_history(app, name, record_id, t_ms, previous, value, "
                   "outcome, rule, reason) VALUES(?,?,?,?,?,?,?,?,?)",
                   what);
  if (Status s = insert.status(); !s.ok()) return s;
  Binder b(insert.get());
  b.Text(app).Text(name).Int(change.id).Int(change.t_ms).Real(change.previous);
  b.Real(change.value).Text(change.outcome).Text(change.rule).Text(change.reason);
  if (Status s = insert.Run(b); !s.ok()) return s;
  Statement prune(db, path,
                  "DELETE FROM tunable_history WHERE app = ?1 AND name = ?2 AND seq NOT IN "
                  "(SELECT seq FROM tunable_history WHERE app = ?1 AND name = ?2 "
                  "ORDER BY seq DESC LIMIT ?3)",
                  "prune " + what);
  if (Status s = prune.status(); !s.ok()) return s;
  Binder p(prune.get());
  p.Text(app).Text(name).Int(static_cast<int64_t>(kMaxTunableHistory));
  return prune.Run(p);
}

void BindRecord(Binder& b, const TuningRecord& r) {
  b.Int(r.t_ms).Text(r.rule).Text(r.action).Text(r.description).Text(r.app).Text(r.tunable);
  b.Opt(r.before).Opt(r.after).Text(r.outcome).Text(r.error).Text(r.reason);
  b.Int(r.emergency ? 1 : 0).Int(r.rollback_of).Text(r.verdict).Text(r.metric);
  b.Opt(r.metric_before).Opt(r.metric_after).Int(r.evaluated_ms);
}

TuningRecord ReadRecord(sqlite3_stmt* s) {
  TuningRecord r;
  r.id = sqlite3_column_int64(s, 0);
  r.t_ms = sqlite3_column_int64(s, 1);
  r.rule = ColText(s, 2);
  r.action = ColText(s, 3);
  r.description = ColText(s, 4);
  r.app = ColText(s, 5);
  r.tunable = ColText(s, 6);
  r.before = ColOpt(s, 7);
  r.after = ColOpt(s, 8);
  r.outcome = ColText(s, 9);
  r.error = ColText(s, 10);
  r.reason = ColText(s, 11);
  r.emergency = sqlite3_column_int64(s, 12) != 0;
  r.rollback_of = sqlite3_column_int64(s, 13);
  r.verdict = ColText(s, 14);
  r.metric = ColText(s, 15);
  r.metric_before = ColOpt(s, 16);
  r.metric_after = ColOpt(s, 17);
  r.evaluated_ms = sqlite3_column_int64(s, 18);
  return r;
}

Result<std::vector<TuningRecord>> ReadRecords(Statement& stmt) {
  std::vector<TuningRecord> out;
  for (;;) {
    Result<bool> row = stmt.Step();
    if (!row.ok()) return row.status();
    if (!*row) return out;
    out.push_back(ReadRecord(stmt.get()));
  }
}

Status CheckApplicationId(sqlite3* db, const std::string& path) {
  Statement stmt(db, path, "PRAGMA application_id", "read application_id");
  if (Status s = stmt.status(); !s.ok()) return s;
  Result<bool> row = stmt.Step();
  if (!row.ok()) return row.status();
  const int64_t app_id = *row ? sqlite3_column_int64(stmt.get(), 0) : 0;
  if (app_id != 0 && app_id != kPerfwatchApplicationId) {
    return Status::InvalidArgument(path + ": not a perfwatch database (application_id " +
                                   std::to_string(app_id) + ")");
  }
  return Status::Ok();
}

Status Configure(sqlite3* db, const std::string& path) {
  if (Status s = CheckApplicationId(db, path); !s.ok()) return s;
  // WAL is a property of the file (the block store sets it too); FULL makes
  // every commit fsync the WAL, so a decision in the audit survives power loss.
  if (Status s = Exec(db, path, "PRAGMA journal_mode = WAL", "set WAL journal mode"); !s.ok()) {
    return s;
  }
  if (Status s = Exec(db, path, "PRAGMA synchronous = FULL", "set synchronous"); !s.ok()) return s;
  return InTransaction(db, path, [&] { return Exec(db, path, kSchema, "create tuning tables"); });
}

Status LoadHistoryFrom(sqlite3* db, const std::string& path,
                       const std::map<std::pair<std::string, std::string>, size_t>& index,
                       std::vector<Tunable>& tunables) {
  Statement rows(db, path,
                 "SELECT app, name, record_id, t_ms, previous, value, outcome, rule, reason "
                 "FROM tunable_history ORDER BY seq",
                 "load tunable history");
  if (Status s = rows.status(); !s.ok()) return s;
  for (;;) {
    Result<bool> row = rows.Step();
    if (!row.ok()) return row.status();
    if (!*row) return Status::Ok();
    sqlite3_stmt* s = rows.get();
    auto it = index.find({ColText(s, 0), ColText(s, 1)});
    if (it == index.end()) continue;
    TunableChange c;
    c.id = sqlite3_column_int64(s, 2);
    c.t_ms = sqlite3_column_int64(s, 3);
    c.previous = sqlite3_column_double(s, 4);
    c.value = sqlite3_column_double(s, 5);
    c.outcome = ColText(s, 6);
    c.rule = ColText(s, 7);
    c.reason = ColText(s, 8);
    tunables[it->second].history.push_back(std::move(c));
  }
}

Result<std::vector<Tunable>> LoadTunablesFrom(sqlite3* db, const std::string& path) {
  Statement rows(db, path,
                 "SELECT app, name, spec, value, registered_ms, seen_ms FROM tunables "
                 "ORDER BY app, name",
                 "load tunables");
  if (Status s = rows.status(); !s.ok()) return s;
  std::vector<Tunable> out;
  std::map<std::pair<std::string, std::string>, size_t> index;
  for (;;) {
    Result<bool> row = rows.Step();
    if (!row.ok()) return row.status();
    if (!*row) break;
    const std::string id = ColText(rows.get(), 0) + "/" + ColText(rows.get(), 1);
    Result<TunableSpec> spec = ParseTunableJson(ColText(rows.get(), 2));
    if (!spec.ok()) {
      return Status::Internal(path + ": tunable " + id + ": " + spec.status().message());
    }
    Tunable t;
    t.spec = std::move(*spec);
    t.spec.value = sqlite3_column_double(rows.get(), 3);
    t.registered_ms = sqlite3_column_int64(rows.get(), 4);
    t.seen_ms = sqlite3_column_int64(rows.get(), 5);
    index[{t.spec.app, t.spec.name}] = out.size();
    out.push_back(std::move(t));
  }
  if (Status s = LoadHistoryFrom(db, path, index, out); !s.ok()) return s;
  return out;
}

}  // namespace

TuningDb::TuningDb(sqlite3* db, TuningDbOptions options) : db_(db), options_(std::move(options)) {}

TuningDb::~TuningDb() { sqlite3_close_v2(db_); }

Result<std::unique_ptr<TuningDb>> TuningDb::Open(const TuningDbOptions& options) {
  sqlite3* raw = nullptr;
  const int rc =
      sqlite3_open_v2(options.path.c_str(), &raw,
                      SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
  std::unique_ptr<TuningDb> db(new TuningDb(raw, options));
  if (rc != SQLITE_OK) return SqlError(raw, options.path, rc, "open");
  sqlite3_extended_result_codes(raw, 1);
  sqlite3_busy_timeout(raw, options.busy_timeout_ms);
  if (Status s = Configure(raw, options.path); !s.ok()) return s;
  return db;
}

Status TuningDb::SaveTunable(const Tunable& tunable) {
  std::lock_guard lock(mu_);
  return InTransaction(db_, options_.path,
                       [&] { return UpsertTunable(db_, options_.path, tunable); });
}

Status TuningDb::SaveTunable(const Tunable& tunable, const TunableChange& change) {
  std::lock_guard lock(mu_);
  return InTransaction(db_, options_.path, [&] {
    if (Status s = UpsertTunable(db_, options_.path, tunable); !s.ok()) return s;
    return AppendHistory(db_, options_.path, tunable.spec.app, tunable.spec.name, change);
  });
}

Status TuningDb::AppendTunableHistory(const std::string& app, const std::string& name,
                                      const TunableChange& change) {
  std::lock_guard lock(mu_);
  return InTransaction(db_, options_.path,
                       [&] { return AppendHistory(db_, options_.path, app, name, change); });
}

Result<std::vector<Tunable>> TuningDb::LoadTunables() const {
  std::lock_guard lock(mu_);
  // One read transaction, so tunables and history are one snapshot.
  if (Status s = Exec(db_, options_.path, "BEGIN", "begin"); !s.ok()) return s;
  Result<std::vector<Tunable>> out = LoadTunablesFrom(db_, options_.path);
  (void)Exec(db_, options_.path, "COMMIT", "end read");
  return out;
}

Result<int64_t> TuningDb::Insert(const TuningRecord& record) {
  std::lock_guard lock(mu_);
  int64_t id = 0;
  Status s = InTransaction(db_, options_.path, [&] {
    Statement stmt(db_, options_.path,
                   "INSERT INTO tuning_audit(t_ms, rule, action, description, app, tunable, "
                   "before_value, after_value, outcome, error, reason, emergency, rollback_of, "
                   "verdict, metric, metric_before, metric_after, evaluated_ms) "
                   "VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                   "insert decision of rule " + record.rule);
    if (Status s = stmt.status(); !s.ok()) return s;
    Binder b(stmt.get());
    BindRecord(b, record);
    Status run = stmt.Run(b);
    id = sqlite3_last_insert_rowid(db_);
    return run;
  });
  if (!s.ok()) return s;
  return id;
}

Status TuningDb::Update(const TuningRecord& record) {
  std::lock_guard lock(mu_);
  const std::string what = "update decision #" + std::to_string(record.id);
  return InTransaction(db_, options_.path, [&] {
    Statement stmt(db_, options_.path,
                   "UPDATE tuning_audit SET t_ms = ?, rule = ?, action = ?, description = ?, "
                   "app = ?, tunable = ?, before_value = ?, after_value = ?, outcome = ?, "
                   "error = ?, reason = ?, emergency = ?, rollback_of = ?, verdict = ?, "
                   "metric = ?, metric_before = ?, metric_after = ?, evaluated_ms = ? "
                   "WHERE id = ?",
                   what);
    if (Status s = stmt.status(); !s.ok()) return s;
    Binder b(stmt.get());
    BindRecord(b, record);
    b.Int(record.id);
    if (Status s = stmt.Run(b); !s.ok()) return s;
    if (sqlite3_changes(db_) == 0) {
      return Status::NotFound(options_.path + ": tuning decision #" + std::to_string(record.id) +
                              " not found");
    }
    return Status::Ok();
  });
}

Result<std::vector<TuningRecord>> TuningDb::Audit(const TuningAuditFilter& filter) const {
  std::lock_guard lock(mu_);
  const std::string sql = std::string("SELECT ") + kAuditColumns +
                          " FROM tuning_audit WHERE t_ms >= ?1 AND (?2 = '' OR rule = ?2) AND "
                          "(?3 = '' OR app = ?3) ORDER BY t_ms DESC, id DESC LIMIT ?4";
  Statement stmt(db_, options_.path, sql.c_str(), "read audit");
  if (Status s = stmt.status(); !s.ok()) return s;
  Binder b(stmt.get());
  b.Int(filter.since_ms).Text(filter.rule).Text(filter.app);
  b.Int(static_cast<int64_t>(std::min<size_t>(filter.limit, INT64_MAX)));
  if (b.rc() != SQLITE_OK) return stmt.Error(b.rc());
  return ReadRecords(stmt);
}

Result<TuningRecord> TuningDb::Get(int64_t id) const {
  std::lock_guard lock(mu_);
  const std::string sql =
      std::string("SELECT ") + kAuditColumns + " FROM tuning_audit WHERE id = ?";
  Statement stmt(db_, options_.path, sql.c_str(), "read decision #" + std::to_string(id));
  if (Status s = stmt.status(); !s.ok()) return s;
  Binder b(stmt.get());
  b.Int(id);
  if (b.rc() != SQLITE_OK) return stmt.Error(b.rc());
  Result<std::vector<TuningRecord>> rows = ReadRecords(stmt);
  if (!rows.ok()) return rows.status();
  if (rows->empty()) {
    return Status::NotFound(options_.path + ": tuning decision #" + std::to_string(id) +
                            " not found");
  }
  return std::move(rows->front());
}

Result<std::vector<TuningRecord>> TuningDb::Unfinished() const {
  std::lock_guard lock(mu_);
  const std::string sql = std::string("SELECT ") + kAuditColumns +
                          " FROM tuning_audit WHERE verdict = 'pending' OR outcome = 'pending' "
                          "ORDER BY id";
  Statement stmt(db_, options_.path, sql.c_str(), "read unfinished decisions");
  if (Status s = stmt.status(); !s.ok()) return s;
  return ReadRecords(stmt);
}

Status TuningDb::Prune(TimestampMs now_ms) {
  std::lock_guard lock(mu_);
  return InTransaction(db_, options_.path, [&] {
    Statement stmt(db_, options_.path, "DELETE FROM tuning_audit WHERE t_ms < ?", "prune audit");
    if (Status s = stmt.status(); !s.ok()) return s;
    Binder b(stmt.get());
    b.Int(now_ms - options_.audit_retention_ms);
    return stmt.Run(b);
  });
}

}  // namespace perfwatch
