#include "alert/alert_db.h"

#include <sqlite3.h>

#include <cmath>
#include <limits>
#include <nlohmann/json.hpp>

namespace perfwatch {
namespace {

using nlohmann::ordered_json;

// The block store's PRAGMA application_id ("pwdb"): a file with another
// non-zero id belongs to some other program and is left alone.
constexpr int32_t kPerfwatchApplicationId = 0x70776462;

// CHECKs keep a buggy caller from storing a row that cannot be read back;
// a failed CHECK rolls the whole batch back.
constexpr const char* kSchema = R"sql(
CREATE TABLE IF NOT EXISTS alert_state(
  id TEXT PRIMARY KEY CHECK(length(id) > 0),
  rule TEXT NOT NULL,
  labels TEXT NOT NULL,
  annotations TEXT NOT NULL,
  severity TEXT NOT NULL,
  state TEXT NOT NULL CHECK(state IN ('inactive', 'pending', 'firing', 'resolved')),
  value REAL,
  active_since_ms INTEGER NOT NULL,
  fired_at_ms INTEGER NOT NULL,
  resolved_at_ms INTEGER NOT NULL,
  last_sent_ms INTEGER NOT NULL,
  keep_firing_since_ms INTEGER NOT NULL,
  silenced INTEGER NOT NULL,
  acknowledged INTEGER NOT NULL,
  ack_by TEXT NOT NULL,
  ack_comment TEXT NOT NULL,
  ack_at_ms INTEGER NOT NULL,
  ack_value REAL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS alert_history(
  t_ms INTEGER NOT NULL,
  alert_id TEXT NOT NULL CHECK(length(alert_id) > 0),
  rule TEXT NOT NULL,
  labels TEXT NOT NULL,
  event TEXT NOT NULL,
  from_state TEXT NOT NULL,
  to_state TEXT NOT NULL,
  value REAL,
  by TEXT NOT NULL,
  comment TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS alert_history_by_time ON alert_history(t_ms);
CREATE TABLE IF NOT EXISTS silences(
  id TEXT PRIMARY KEY CHECK(length(id) > 0),
  matchers TEXT NOT NULL,
  starts_at_ms INTEGER NOT NULL,
  ends_at_ms INTEGER NOT NULL,
  updated_at_ms INTEGER NOT NULL,
  created_by TEXT NOT NULL,
  comment TEXT NOT NULL
) WITHOUT ROWID;
)sql";

struct StmtDeleter {
  void operator()(sqlite3_stmt* s) const { sqlite3_finalize(s); }
};
using StmtPtr = std::unique_ptr<sqlite3_stmt, StmtDeleter>;

std::string Dump(const ordered_json& j) {
  return j.dump(-1, ' ', false, ordered_json::error_handler_t::replace);
}

std::string LabelsJson(const Labels& labels) {
  ordered_json obj = ordered_json::object();
  for (const Label& l : labels) obj[l.name] = l.value;
  return Dump(obj);
}

std::string PairsJson(const std::vector<std::pair<std::string, std::string>>& pairs) {
  ordered_json obj = ordered_json::object();
  for (const auto& [k, v] : pairs) obj[k] = v;
  return Dump(obj);
}

Result<std::vector<std::pair<std::string, std::string>>> ParsePairs(std::string_view text,
                                                                    const std::string& what) {
  const ordered_json doc = ordered_json::parse(text, nullptr, false);
  if (doc.is_discarded() || !doc.is_object()) {
    return Status::Internal(what + ": not a JSON object: " + std::string(text.substr(0, 80)));
  }
  std::vector<std::pair<std::string, std::string>> out;
  for (auto it = doc.begin(); it != doc.end(); ++it) {
    if (!it.value().is_string())
      return Status::Internal(what + ": value of '" + it.key() + "' is not a string");
    out.emplace_back(it.key(), it.value().get<std::string>());
  }
  return out;
}

Result<Labels> ParseLabels(std::string_view text) {
  Result<std::vector<std::pair<std::string, std::string>>> pairs = ParsePairs(text, "labels");
  if (!pairs.ok()) return pairs.status();
  std::vector<Label> labels;
  for (auto& [k, v] : *pairs) labels.push_back({std::move(k), std::move(v)});
  return Labels::Make(std::move(labels));
}

// Binds in order: Bind(stmt, a, b, c...). NaN binds as NULL (SQLite has no
// NaN) and reads back as NaN.
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

double ColReal(sqlite3_stmt* s, int i) {
  return sqlite3_column_type(s, i) == SQLITE_NULL ? std::numeric_limits<double>::quiet_NaN()
                                                  : sqlite3_column_double(s, i);
}

constexpr const char* kUpsertAlert =
    "INSERT OR REPLACE INTO alert_state(id, rule, labels, annotations, severity, state, value, "
    "active_since_ms, fired_at_ms, resolved_at_ms, last_sent_ms, keep_firing_since_ms, silenced, "
    "acknowledged, ack_by, ack_comment, ack_at_ms, ack_value) "
    "VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)";
constexpr const char* kSelectAlerts =
    "SELECT id, rule, labels, annotations, severity, state, value, active_since_ms, fired_at_ms, "
    "resolved_at_ms, last_sent_ms, keep_firing_since_ms, silenced, acknowledged, ack_by, "
    "ack_comment, ack_at_ms, ack_value FROM alert_state ORDER BY rule, id";
constexpr const char* kInsertHistory =
    "INSERT INTO alert_history(t_ms, alert_id, rule, labels, event, from_state, to_state, value, "
    "by, comment) VALUES(?,?,?,?,?,?,?,?,?,?)";

void BindAlert(Binder& b, const Alert& a) {
  b.Text(a.id).Text(a.rule).Text(LabelsJson(a.labels)).Text(PairsJson(a.annotations));
  b.Text(a.severity).Text(std::string(AlertStateName(a.state))).Real(a.value);
  b.Int(a.active_since_ms).Int(a.fired_at_ms).Int(a.resolved_at_ms).Int(a.last_sent_ms);
  b.Int(a.keep_firing_since_ms).Int(a.silenced ? 1 : 0).Int(a.acknowledged ? 1 : 0);
  b.Text(a.ack.by).Text(a.ack.comment).Int(a.ack.at_ms).Real(a.ack.value_at_ack);
}

Result<Alert> ReadAlert(sqlite3_stmt* s) {
  Alert a;
  a.id = ColText(s, 0);
  a.rule = ColText(s, 1);
  Result<Labels> labels = ParseLabels(ColText(s, 2));
  if (!labels.ok()) return Status::Internal("alert " + a.id + ": " + labels.status().message());
  a.labels = std::move(*labels);
  auto annotations = ParsePairs(ColText(s, 3), "annotations");
  if (!annotations.ok())
    return Status::Internal("alert " + a.id + ": " + annotations.status().message());
  a.annotations = std::move(*annotations);
  a.severity = ColText(s, 4);
  Result<AlertState> state = ParseAlertState(ColText(s, 5));
  if (!state.ok()) return Status::Internal("alert " + a.id + ": " + state.status().message());
  a.state = *state;
  a.value = ColReal(s, 6);
  a.active_since_ms = sqlite3_column_int64(s, 7);
  a.fired_at_ms = sqlite3_column_int64(s, 8);
  a.resolved_at_ms = sqlite3_column_int64(s, 9);
  a.last_sent_ms = sqlite3_column_int64(s, 10);
  a.keep_firing_since_ms = sqlite3_column_int64(s, 11);
  a.silenced = sqlite3_column_int64(s, 12) != 0;
  a.acknowledged = sqlite3_column_int64(s, 13) != 0;
  a.ack.by = ColText(s, 14);
  a.ack.comment = ColText(s, 15);
  a.ack.at_ms = sqlite3_column_int64(s, 16);
  a.ack.value_at_ack = ColReal(s, 17);
  return a;
}

void BindHistory(Binder& b, const AlertHistoryEntry& e) {
  b.Int(e.t_ms).Text(e.alert_id).Text(e.rule).Text(LabelsJson(e.labels)).Text(e.event);
  b.Text(std::string(AlertStateName(e.from))).Text(std::string(AlertStateName(e.to)));
  b.Real(e.value).Text(e.by).Text(e.comment);
}

Result<AlertHistoryEntry> ReadHistory(sqlite3_stmt* s) {
  AlertHistoryEntry e;
  e.t_ms = sqlite3_column_int64(s, 0);
  e.alert_id = ColText(s, 1);
  e.rule = ColText(s, 2);
  Result<Labels> labels = ParseLabels(ColText(s, 3));
  if (!labels.ok())
    return Status::Internal("history of " + e.alert_id + ": " + labels.status().message());
  e.labels = std::move(*labels);
  e.event = ColText(s, 4);
  Result<AlertState> from = ParseAlertState(ColText(s, 5));
  Result<AlertState> to = ParseAlertState(ColText(s, 6));
  if (!from.ok() || !to.ok()) return Status::Internal("history of " + e.alert_id + ": bad state");
  e.from = *from;
  e.to = *to;
  e.value = ColReal(s, 7);
  e.by = ColText(s, 8);
  e.comment = ColText(s, 9);
  return e;
}

}  // namespace

std::string AlertDb::PathIn(const std::string& data_dir) { return data_dir + "/perfwatch.db"; }

AlertDb::AlertDb(std::string path, sqlite3* db) : path_(std::move(path)), db_(db) {}

AlertDb::~AlertDb() { sqlite3_close_v2(db_); }

Status AlertDb::Error(int rc, const std::string& what) const {
  const std::string detail = sqlite3_errcode(db_) == rc ? sqlite3_errmsg(db_) : sqlite3_errstr(rc);
  const std::string msg = path_ + ": alert db: " + what + ": " + detail;
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

Status AlertDb::Exec(const char* sql, const std::string& what) {
  const int rc = sqlite3_exec(db_, sql, nullptr, nullptr, nullptr);
  return rc == SQLITE_OK ? Status::Ok() : Error(rc, what);
}

Result<std::unique_ptr<AlertDb>> AlertDb::Open(const std::string& path,
                                               const AlertDbOptions& options) {
  sqlite3* raw = nullptr;
  const int rc =
      sqlite3_open_v2(path.c_str(), &raw,
                      SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
  std::unique_ptr<AlertDb> db(new AlertDb(path, raw));
  if (rc != SQLITE_OK) return db->Error(rc, "open");
  sqlite3_extended_result_codes(raw, 1);
  sqlite3_busy_timeout(raw, options.busy_timeout_ms);
  if (Status s = db->Configure(); !s.ok()) return s;
  return db;
}

Status AlertDb::Configure() {
  sqlite3_stmt* raw = nullptr;
  int rc = sqlite3_prepare_v2(db_, "PRAGMA application_id", -1, &raw, nullptr);
  StmtPtr stmt(raw);
  if (rc != SQLITE_OK) return Error(rc, "read application_id");
  rc = sqlite3_step(raw);
  if (rc != SQLITE_ROW) return Error(rc, "read application_id");
  const int64_t app_id = sqlite3_column_int64(raw, 0);
  if (app_id != 0 && app_id != kPerfwatchApplicationId) {
    return Status::InvalidArgument(path_ + ": not a perfwatch database (application_id " +
                                   std::to_string(app_id) + ")");
  }
  stmt.reset();
  // WAL is a property of the file (the block store sets it too); FULL makes
  // every commit fsync the WAL, so a saved alert state survives power loss.
  if (Status s = Exec("PRAGMA journal_mode = WAL", "set WAL journal mode"); !s.ok()) return s;
  if (Status s = Exec("PRAGMA synchronous = FULL", "set synchronous"); !s.ok()) return s;
  const std::string schema = std::string("BEGIN IMMEDIATE;") + kSchema + "COMMIT;";
  if (Status s = Exec(schema.c_str(), "create alert tables"); !s.ok()) {
    (void)Exec("ROLLBACK", "rollback");
    return s;
  }
  return Status::Ok();
}

Result<std::vector<Alert>> AlertDb::LoadAlerts() {
  std::lock_guard lock(mu_);
  sqlite3_stmt* raw = nullptr;
  int rc = sqlite3_prepare_v2(db_, kSelectAlerts, -1, &raw, nullptr);
  StmtPtr stmt(raw);
  if (rc != SQLITE_OK) return Error(rc, "load alerts");
  std::vector<Alert> out;
  while ((rc = sqlite3_step(raw)) == SQLITE_ROW) {
    Result<Alert> a = ReadAlert(raw);
    if (!a.ok()) return Status::Internal(path_ + ": " + a.status().message());
    out.push_back(std::move(*a));
  }
  if (rc != SQLITE_DONE) return Error(rc, "load alerts");
  return out;
}

Status AlertDb::Save(const AlertDbBatch& batch) {
  if (batch.empty()) return Status::Ok();
  std::lock_guard lock(mu_);
  if (Status s = Exec("BEGIN IMMEDIATE", "begin"); !s.ok()) return s;
  Status s = SaveLocked(batch);
  if (s.ok()) s = Exec("COMMIT", "commit");
  if (!s.ok()) (void)Exec("ROLLBACK", "rollback");
  return s;
}

Status AlertDb::SaveLocked(const AlertDbBatch& batch) {
  auto run = [&](const char* sql, const std::string& what, auto&& bind) -> Status {
    sqlite3_stmt* raw = nullptr;
    int rc = sqlite3_prepare_v2(db_, sql, -1, &raw, nullptr);
    StmtPtr stmt(raw);
    if (rc != SQLITE_OK) return Error(rc, what);
    Binder b(raw);
    bind(b);
    if (b.rc() != SQLITE_OK) return Error(b.rc(), what);
    rc = sqlite3_step(raw);
    return rc == SQLITE_DONE ? Status::Ok() : Error(rc, what);
  };
  for (const Alert& a : batch.upserts) {
    Status s = run(kUpsertAlert, "save alert " + a.id, [&](Binder& b) { BindAlert(b, a); });
    if (!s.ok()) return s;
  }
  for (const std::string& id : batch.deletes) {
    Status s = run("DELETE FROM alert_state WHERE id = ?", "delete alert " + id,
                   [&](Binder& b) { b.Text(id); });
    if (!s.ok()) return s;
  }
  for (const AlertHistoryEntry& e : batch.history) {
    Status s = run(kInsertHistory, "append history of " + e.alert_id,
                   [&](Binder& b) { BindHistory(b, e); });
    if (!s.ok()) return s;
  }
  return Status::Ok();
}

Status AlertDb::AppendHistory(const std::vector<AlertHistoryEntry>& entries) {
  return Save(AlertDbBatch{{}, {}, entries});
}

Result<std::vector<AlertHistoryEntry>> AlertDb::History(TimestampMs since_ms, size_t limit) {
  std::lock_guard lock(mu_);
  sqlite3_stmt* raw = nullptr;
  int rc = sqlite3_prepare_v2(db_,
                              "SELECT t_ms, alert_id, rule, labels, event, from_state, to_state, "
                              "value, by, comment FROM alert_history WHERE t_ms >= ? "
                              "ORDER BY t_ms DESC, rowid DESC LIMIT ?",
                              -1, &raw, nullptr);
  StmtPtr stmt(raw);
  if (rc != SQLITE_OK) return Error(rc, "read history");
  Binder b(raw);
  b.Int(since_ms).Int(static_cast<int64_t>(std::min<size_t>(limit, INT64_MAX)));
  std::vector<AlertHistoryEntry> out;
  while ((rc = sqlite3_step(raw)) == SQLITE_ROW) {
    Result<AlertHistoryEntry> e = ReadHistory(raw);
    if (!e.ok()) return Status::Internal(path_ + ": " + e.status().message());
    out.push_back(std::move(*e));
  }
  if (rc != SQLITE_DONE) return Error(rc, "read history");
  return out;
}

Result<int64_t> AlertDb::PruneHistory(TimestampMs before_ms) {
  std::lock_guard lock(mu_);
  sqlite3_stmt* raw = nullptr;
  int rc = sqlite3_prepare_v2(db_, "DELETE FROM alert_history WHERE t_ms < ?", -1, &raw, nullptr);
  StmtPtr stmt(raw);
  if (rc != SQLITE_OK) return Error(rc, "prune history");
  Binder(raw).Int(before_ms);
  rc = sqlite3_step(raw);
  if (rc != SQLITE_DONE) return Error(rc, "prune history");
  return static_cast<int64_t>(sqlite3_changes(db_));
}

Status AlertDb::PutSilence(const Silence& s) {
  std::lock_guard lock(mu_);
  sqlite3_stmt* raw = nullptr;
  int rc = sqlite3_prepare_v2(db_,
                              "INSERT OR REPLACE INTO silences(id, matchers, starts_at_ms, "
                              "ends_at_ms, updated_at_ms, created_by, comment) "
                              "VALUES(?,?,?,?,?,?,?)",
                              -1, &raw, nullptr);
  StmtPtr stmt(raw);
  if (rc != SQLITE_OK) return Error(rc, "save silence " + s.id);
  Binder b(raw);
  b.Text(s.id).Text(RenderMatchersJson(s.matchers)).Int(s.starts_at_ms).Int(s.ends_at_ms);
  b.Int(s.updated_at_ms).Text(s.created_by).Text(s.comment);
  if (b.rc() != SQLITE_OK) return Error(b.rc(), "save silence " + s.id);
  rc = sqlite3_step(raw);
  return rc == SQLITE_DONE ? Status::Ok() : Error(rc, "save silence " + s.id);
}

Status AlertDb::DeleteSilence(const std::string& id) {
  std::lock_guard lock(mu_);
  sqlite3_stmt* raw = nullptr;
  int rc = sqlite3_prepare_v2(db_, "DELETE FROM silences WHERE id = ?", -1, &raw, nullptr);
  StmtPtr stmt(raw);
  if (rc != SQLITE_OK) return Error(rc, "delete silence " + id);
  Binder(raw).Text(id);
  rc = sqlite3_step(raw);
  if (rc != SQLITE_DONE) return Error(rc, "delete silence " + id);
  if (sqlite3_changes(db_) == 0) return Status::NotFound("no silence with id '" + id + "'");
  return Status::Ok();
}

Result<std::vector<Silence>> AlertDb::LoadSilences() {
  std::lock_guard lock(mu_);
  sqlite3_stmt* raw = nullptr;
  int rc = sqlite3_prepare_v2(db_,
                              "SELECT id, matchers, starts_at_ms, ends_at_ms, updated_at_ms, "
                              "created_by, comment FROM silences ORDER BY id",
                              -1, &raw, nullptr);
  StmtPtr stmt(raw);
  if (rc != SQLITE_OK) return Error(rc, "load silences");
  std::vector<Silence> out;
  while ((rc = sqlite3_step(raw)) == SQLITE_ROW) {
    Silence s;
    s.id = ColText(raw, 0);
    Result<std::vector<SilenceMatcher>> matchers = ParseMatchersJson(ColText(raw, 1));
    if (!matchers.ok()) {
      return Status::Internal(path_ + ": silence " + s.id + ": " + matchers.status().message());
    }
    s.matchers = std::move(*matchers);
    s.starts_at_ms = sqlite3_column_int64(raw, 2);
    s.ends_at_ms = sqlite3_column_int64(raw, 3);
    s.updated_at_ms = sqlite3_column_int64(raw, 4);
    s.created_by = ColText(raw, 5);
    s.comment = ColText(raw, 6);
    out.push_back(std::move(s));
  }
  if (rc != SQLITE_DONE) return Error(rc, "load silences");
  return out;
}

}  // namespace perfwatch
