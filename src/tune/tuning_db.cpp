#include "tune/tuning_db.h"

#include <algorithm>
#include <map>
#include <nlohmann/json.hpp>
#include <utility>

#include "store/sqlite_db.h"

namespace perfwatch {
namespace {

using nlohmann::ordered_json;

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

Status UpsertTunable(SqliteDb& db, const Tunable& tunable) {
  const TunableSpec& spec = tunable.spec;
  Statement stmt = db.Prepare(
      "INSERT OR REPLACE INTO tunables(app, name, spec, value, registered_ms, "
      "seen_ms) VALUES(?,?,?,?,?,?)",
      "save tunable " + spec.app + "/" + spec.name);
  stmt.Text(spec.app).Text(spec.name).Text(SpecJson(spec)).Real(spec.value);
  stmt.Int(tunable.registered_ms).Int(tunable.seen_ms);
  return stmt.Run();
}

// Appends and prunes the tunable's history to its newest kMaxTunableHistory.
Status AppendHistory(SqliteDb& db, const std::string& app, const std::string& name,
                     const TunableChange& change) {
  const std::string what = "append history of " + app + "/" + name;
  Statement insert = db.Prepare(
      "INSERT INTO tunable_history(app, name, record_id, t_ms, previous, value, "
      "outcome, rule, reason) VALUES(?,?,?,?,?,?,?,?,?)",
      what);
  insert.Text(app).Text(name).Int(change.id).Int(change.t_ms).Real(change.previous);
  insert.Real(change.value).Text(change.outcome).Text(change.rule).Text(change.reason);
  if (Status s = insert.Run(); !s.ok()) return s;
  Statement prune = db.Prepare(
      "DELETE FROM tunable_history WHERE app = ?1 AND name = ?2 AND seq NOT IN "
      "(SELECT seq FROM tunable_history WHERE app = ?1 AND name = ?2 "
      "ORDER BY seq DESC LIMIT ?3)",
      "prune " + what);
  prune.Text(app).Text(name).Int(static_cast<int64_t>(kMaxTunableHistory));
  return prune.Run();
}

void BindRecord(Statement& b, const TuningRecord& r) {
  b.Int(r.t_ms).Text(r.rule).Text(r.action).Text(r.description).Text(r.app).Text(r.tunable);
  b.Opt(r.before).Opt(r.after).Text(r.outcome).Text(r.error).Text(r.reason);
  b.Int(r.emergency ? 1 : 0).Int(r.rollback_of).Text(r.verdict).Text(r.metric);
  b.Opt(r.metric_before).Opt(r.metric_after).Int(r.evaluated_ms);
}

TuningRecord ReadRecord(const Statement& s) {
  TuningRecord r;
  r.id = s.ColInt(0);
  r.t_ms = s.ColInt(1);
  r.rule = s.ColText(2);
  r.action = s.ColText(3);
  r.description = s.ColText(4);
  r.app = s.ColText(5);
  r.tunable = s.ColText(6);
  r.before = s.ColOpt(7);
  r.after = s.ColOpt(8);
  r.outcome = s.ColText(9);
  r.error = s.ColText(10);
  r.reason = s.ColText(11);
  r.emergency = s.ColInt(12) != 0;
  r.rollback_of = s.ColInt(13);
  r.verdict = s.ColText(14);
  r.metric = s.ColText(15);
  r.metric_before = s.ColOpt(16);
  r.metric_after = s.ColOpt(17);
  r.evaluated_ms = s.ColInt(18);
  return r;
}

Result<std::vector<TuningRecord>> ReadRecords(Statement& stmt) {
  std::vector<TuningRecord> out;
  for (;;) {
    Result<bool> row = stmt.Step();
    if (!row.ok()) return row.status();
    if (!*row) return out;
    out.push_back(ReadRecord(stmt));
  }
}

Status LoadHistoryFrom(SqliteDb& db,
                       const std::map<std::pair<std::string, std::string>, size_t>& index,
                       std::vector<Tunable>& tunables) {
  Statement rows = db.Prepare(
      "SELECT app, name, record_id, t_ms, previous, value, outcome, rule, reason "
      "FROM tunable_history ORDER BY seq",
      "load tunable history");
  for (;;) {
    Result<bool> row = rows.Step();
    if (!row.ok()) return row.status();
    if (!*row) return Status::Ok();
    auto it = index.find({rows.ColText(0), rows.ColText(1)});
    if (it == index.end()) continue;
    TunableChange c;
    c.id = rows.ColInt(2);
    c.t_ms = rows.ColInt(3);
    c.previous = rows.ColReal(4);
    c.value = rows.ColReal(5);
    c.outcome = rows.ColText(6);
    c.rule = rows.ColText(7);
    c.reason = rows.ColText(8);
    tunables[it->second].history.push_back(std::move(c));
  }
}

Result<std::vector<Tunable>> LoadTunablesFrom(SqliteDb& db) {
  Statement rows = db.Prepare(
      "SELECT app, name, spec, value, registered_ms, seen_ms FROM tunables "
      "ORDER BY app, name",
      "load tunables");
  std::vector<Tunable> out;
  std::map<std::pair<std::string, std::string>, size_t> index;
  for (;;) {
    Result<bool> row = rows.Step();
    if (!row.ok()) return row.status();
    if (!*row) break;
    const std::string id = rows.ColText(0) + "/" + rows.ColText(1);
    Result<TunableSpec> spec = ParseTunableJson(rows.ColText(2));
    if (!spec.ok()) {
      return Status::Internal(db.path() + ": tunable " + id + ": " + spec.status().message());
    }
    Tunable t;
    t.spec = std::move(*spec);
    t.spec.value = rows.ColReal(3);
    t.registered_ms = rows.ColInt(4);
    t.seen_ms = rows.ColInt(5);
    index[{t.spec.app, t.spec.name}] = out.size();
    out.push_back(std::move(t));
  }
  if (Status s = LoadHistoryFrom(db, index, out); !s.ok()) return s;
  return out;
}

}  // namespace

TuningDb::TuningDb(std::unique_ptr<SqliteDb> db, TuningDbOptions options)
    : db_(std::move(db)), options_(std::move(options)) {}

TuningDb::~TuningDb() = default;

Result<std::unique_ptr<TuningDb>> TuningDb::Open(const TuningDbOptions& options) {
  // synchronous=FULL (SqliteDb) makes every commit fsync the WAL, so a
  // decision in the audit survives power loss.
  Result<std::unique_ptr<SqliteDb>> db = SqliteDb::Open(
      options.path, "tuning db", SqliteDbOptions{.busy_timeout_ms = options.busy_timeout_ms});
  if (!db.ok()) return db.status();
  if (Status s = (*db)->InTransaction([&] { return (*db)->Exec(kSchema, "create tuning tables"); });
      !s.ok()) {
    return s;
  }
  return std::unique_ptr<TuningDb>(new TuningDb(std::move(*db), options));
}

Status TuningDb::SaveTunable(const Tunable& tunable) {
  std::lock_guard lock(mu_);
  return db_->InTransaction([&] { return UpsertTunable(*db_, tunable); });
}

Status TuningDb::SaveTunable(const Tunable& tunable, const TunableChange& change) {
  std::lock_guard lock(mu_);
  return db_->InTransaction([&] {
    if (Status s = UpsertTunable(*db_, tunable); !s.ok()) return s;
    return AppendHistory(*db_, tunable.spec.app, tunable.spec.name, change);
  });
}

Status TuningDb::AppendTunableHistory(const std::string& app, const std::string& name,
                                      const TunableChange& change) {
  std::lock_guard lock(mu_);
  return db_->InTransaction([&] { return AppendHistory(*db_, app, name, change); });
}

Result<std::vector<Tunable>> TuningDb::LoadTunables() const {
  std::lock_guard lock(mu_);
  // One read transaction, so tunables and history are one snapshot.
  return db_->InSnapshot([&] { return LoadTunablesFrom(*db_); });
}

Result<int64_t> TuningDb::Insert(const TuningRecord& record) {
  std::lock_guard lock(mu_);
  int64_t id = 0;
  Status s = db_->InTransaction([&] {
    Statement stmt = db_->Prepare(
        "INSERT INTO tuning_audit(t_ms, rule, action, description, app, tunable, "
        "before_value, after_value, outcome, error, reason, emergency, rollback_of, "
        "verdict, metric, metric_before, metric_after, evaluated_ms) "
        "VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
        "insert decision of rule " + record.rule);
    BindRecord(stmt, record);
    Status run = stmt.Run();
    id = db_->LastInsertRowid();
    return run;
  });
  if (!s.ok()) return s;
  return id;
}

Status TuningDb::Update(const TuningRecord& record) {
  std::lock_guard lock(mu_);
  const std::string what = "update decision #" + std::to_string(record.id);
  return db_->InTransaction([&] {
    Statement stmt = db_->Prepare(
        "UPDATE tuning_audit SET t_ms = ?, rule = ?, action = ?, description = ?, "
        "app = ?, tunable = ?, before_value = ?, after_value = ?, outcome = ?, "
        "error = ?, reason = ?, emergency = ?, rollback_of = ?, verdict = ?, "
        "metric = ?, metric_before = ?, metric_after = ?, evaluated_ms = ? "
        "WHERE id = ?",
        what);
    BindRecord(stmt, record);
    stmt.Int(record.id);
    if (Status s = stmt.Run(); !s.ok()) return s;
    if (db_->Changes() == 0) {
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
  Statement stmt = db_->Prepare(sql, "read audit");
  stmt.Int(filter.since_ms).Text(filter.rule).Text(filter.app);
  stmt.Int(static_cast<int64_t>(std::min<size_t>(filter.limit, INT64_MAX)));
  return ReadRecords(stmt);
}

Result<TuningRecord> TuningDb::Get(int64_t id) const {
  std::lock_guard lock(mu_);
  const std::string sql =
      std::string("SELECT ") + kAuditColumns + " FROM tuning_audit WHERE id = ?";
  Statement stmt = db_->Prepare(sql, "read decision #" + std::to_string(id));
  stmt.Int(id);
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
  Statement stmt = db_->Prepare(sql, "read unfinished decisions");
  return ReadRecords(stmt);
}

Status TuningDb::Prune(TimestampMs now_ms) {
  std::lock_guard lock(mu_);
  return db_->InTransaction([&] {
    Statement stmt = db_->Prepare("DELETE FROM tuning_audit WHERE t_ms < ?", "prune audit");
    stmt.Int(now_ms - options_.audit_retention_ms);
    return stmt.Run();
  });
}

}  // namespace perfwatch
