#include "alert/alert_db.h"

#include <limits>
#include <nlohmann/json.hpp>

#include "store/sqlite_db.h"

namespace perfwatch {
namespace {

using nlohmann::ordered_json;

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

// NULL (what a NaN was stored as: SQLite has no NaN) reads back as NaN.
double RealOrNaN(const Statement& s, int i) {
  return s.ColOpt(i).value_or(std::numeric_limits<double>::quiet_NaN());
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

void BindAlert(Statement& b, const Alert& a) {
  b.Text(a.id).Text(a.rule).Text(LabelsJson(a.labels)).Text(PairsJson(a.annotations));
  b.Text(a.severity).Text(std::string(AlertStateName(a.state))).Real(a.value);
  b.Int(a.active_since_ms).Int(a.fired_at_ms).Int(a.resolved_at_ms).Int(a.last_sent_ms);
  b.Int(a.keep_firing_since_ms).Int(a.silenced ? 1 : 0).Int(a.acknowledged ? 1 : 0);
  b.Text(a.ack.by).Text(a.ack.comment).Int(a.ack.at_ms).Real(a.ack.value_at_ack);
}

Result<Alert> ReadAlert(const Statement& s) {
  Alert a;
  a.id = s.ColText(0);
  a.rule = s.ColText(1);
  Result<Labels> labels = ParseLabels(s.ColText(2));
  if (!labels.ok()) return Status::Internal("alert " + a.id + ": " + labels.status().message());
  a.labels = std::move(*labels);
  auto annotations = ParsePairs(s.ColText(3), "annotations");
  if (!annotations.ok())
    return Status::Internal("alert " + a.id + ": " + annotations.status().message());
  a.annotations = std::move(*annotations);
  a.severity = s.ColText(4);
  Result<AlertState> state = ParseAlertState(s.ColText(5));
  if (!state.ok()) return Status::Internal("alert " + a.id + ": " + state.status().message());
  a.state = *state;
  a.value = RealOrNaN(s, 6);
  a.active_since_ms = s.ColInt(7);
  a.fired_at_ms = s.ColInt(8);
  a.resolved_at_ms = s.ColInt(9);
  a.last_sent_ms = s.ColInt(10);
  a.keep_firing_since_ms = s.ColInt(11);
  a.silenced = s.ColInt(12) != 0;
  a.acknowledged = s.ColInt(13) != 0;
  a.ack.by = s.ColText(14);
  a.ack.comment = s.ColText(15);
  a.ack.at_ms = s.ColInt(16);
  a.ack.value_at_ack = RealOrNaN(s, 17);
  return a;
}

void BindHistory(Statement& b, const AlertHistoryEntry& e) {
  b.Int(e.t_ms).Text(e.alert_id).Text(e.rule).Text(LabelsJson(e.labels)).Text(e.event);
  b.Text(std::string(AlertStateName(e.from))).Text(std::string(AlertStateName(e.to)));
  b.Real(e.value).Text(e.by).Text(e.comment);
}

Result<AlertHistoryEntry> ReadHistory(const Statement& s) {
  AlertHistoryEntry e;
  e.t_ms = s.ColInt(0);
  e.alert_id = s.ColText(1);
  e.rule = s.ColText(2);
  Result<Labels> labels = ParseLabels(s.ColText(3));
  if (!labels.ok())
    return Status::Internal("history of " + e.alert_id + ": " + labels.status().message());
  e.labels = std::move(*labels);
  e.event = s.ColText(4);
  Result<AlertState> from = ParseAlertState(s.ColText(5));
  Result<AlertState> to = ParseAlertState(s.ColText(6));
  if (!from.ok() || !to.ok()) return Status::Internal("history of " + e.alert_id + ": bad state");
  e.from = *from;
  e.to = *to;
  e.value = RealOrNaN(s, 7);
  e.by = s.ColText(8);
  e.comment = s.ColText(9);
  return e;
}

}  // namespace

std::string AlertDb::PathIn(const std::string& data_dir) { return data_dir + "/perfwatch.db"; }

AlertDb::AlertDb(std::unique_ptr<SqliteDb> db) : path_(db->path()), db_(std::move(db)) {}

AlertDb::~AlertDb() = default;

Result<std::unique_ptr<AlertDb>> AlertDb::Open(const std::string& path,
                                               const AlertDbOptions& options) {
  // synchronous=FULL (SqliteDb) makes every commit fsync the WAL, so a
  // saved alert state survives power loss.
  Result<std::unique_ptr<SqliteDb>> db =
      SqliteDb::Open(path, "alert db", SqliteDbOptions{.busy_timeout_ms = options.busy_timeout_ms});
  if (!db.ok()) return db.status();
  if (Status s = (*db)->InTransaction([&] { return (*db)->Exec(kSchema, "create alert tables"); });
      !s.ok()) {
    return s;
  }
  return std::unique_ptr<AlertDb>(new AlertDb(std::move(*db)));
}

Result<std::vector<Alert>> AlertDb::LoadAlerts() {
  std::lock_guard lock(mu_);
  Statement stmt = db_->Prepare(kSelectAlerts, "load alerts");
  std::vector<Alert> out;
  for (;;) {
    Result<bool> row = stmt.Step();
    if (!row.ok()) return row.status();
    if (!*row) return out;
    Result<Alert> a = ReadAlert(stmt);
    if (!a.ok()) return Status::Internal(path_ + ": " + a.status().message());
    out.push_back(std::move(*a));
  }
}

Status AlertDb::Save(const AlertDbBatch& batch) {
  if (batch.empty()) return Status::Ok();
  std::lock_guard lock(mu_);
  return db_->InTransaction([&] { return SaveLocked(batch); });
}

Status AlertDb::SaveLocked(const AlertDbBatch& batch) {
  for (const Alert& a : batch.upserts) {
    Statement stmt = db_->Prepare(kUpsertAlert, "save alert " + a.id);
    BindAlert(stmt, a);
    if (Status s = stmt.Run(); !s.ok()) return s;
  }
  for (const std::string& id : batch.deletes) {
    Statement stmt = db_->Prepare("DELETE FROM alert_state WHERE id = ?", "delete alert " + id);
    if (Status s = stmt.Text(id).Run(); !s.ok()) return s;
  }
  for (const AlertHistoryEntry& e : batch.history) {
    Statement stmt = db_->Prepare(kInsertHistory, "append history of " + e.alert_id);
    BindHistory(stmt, e);
    if (Status s = stmt.Run(); !s.ok()) return s;
  }
  return Status::Ok();
}

Status AlertDb::AppendHistory(const std::vector<AlertHistoryEntry>& entries) {
  return Save(AlertDbBatch{{}, {}, entries});
}

Result<std::vector<AlertHistoryEntry>> AlertDb::History(TimestampMs since_ms, size_t limit) {
  std::lock_guard lock(mu_);
  Statement stmt = db_->Prepare(
      "SELECT t_ms, alert_id, rule, labels, event, from_state, to_state, value, by, comment "
      "FROM alert_history WHERE t_ms >= ? ORDER BY t_ms DESC, rowid DESC LIMIT ?",
      "read history");
  stmt.Int(since_ms).Int(static_cast<int64_t>(std::min<size_t>(limit, INT64_MAX)));
  std::vector<AlertHistoryEntry> out;
  for (;;) {
    Result<bool> row = stmt.Step();
    if (!row.ok()) return row.status();
    if (!*row) return out;
    Result<AlertHistoryEntry> e = ReadHistory(stmt);
    if (!e.ok()) return Status::Internal(path_ + ": " + e.status().message());
    out.push_back(std::move(*e));
  }
}

Result<int64_t> AlertDb::PruneHistory(TimestampMs before_ms) {
  std::lock_guard lock(mu_);
  Statement stmt = db_->Prepare("DELETE FROM alert_history WHERE t_ms < ?", "prune history");
  if (Status s = stmt.Int(before_ms).Run(); !s.ok()) return s;
  return db_->Changes();
}

Status AlertDb::PutSilence(const Silence& s) {
  std::lock_guard lock(mu_);
  Statement stmt = db_->Prepare(
      "INSERT OR REPLACE INTO silences(id, matchers, starts_at_ms, ends_at_ms, updated_at_ms, "
      "created_by, comment) VALUES(?,?,?,?,?,?,?)",
      "save silence " + s.id);
  stmt.Text(s.id).Text(RenderMatchersJson(s.matchers)).Int(s.starts_at_ms).Int(s.ends_at_ms);
  stmt.Int(s.updated_at_ms).Text(s.created_by).Text(s.comment);
  return stmt.Run();
}

Status AlertDb::DeleteSilence(const std::string& id) {
  std::lock_guard lock(mu_);
  Statement stmt = db_->Prepare("DELETE FROM silences WHERE id = ?", "delete silence " + id);
  if (Status s = stmt.Text(id).Run(); !s.ok()) return s;
  if (db_->Changes() == 0) return Status::NotFound("no silence with id '" + id + "'");
  return Status::Ok();
}

Result<std::vector<Silence>> AlertDb::LoadSilences() {
  std::lock_guard lock(mu_);
  Statement stmt = db_->Prepare(
      "SELECT id, matchers, starts_at_ms, ends_at_ms, updated_at_ms, created_by, comment "
      "FROM silences ORDER BY id",
      "load silences");
  std::vector<Silence> out;
  for (;;) {
    Result<bool> row = stmt.Step();
    if (!row.ok()) return row.status();
    if (!*row) return out;
    Silence s;
    s.id = stmt.ColText(0);
    Result<std::vector<SilenceMatcher>> matchers = ParseMatchersJson(stmt.ColText(1));
    if (!matchers.ok()) {
      return Status::Internal(path_ + ": silence " + s.id + ": " + matchers.status().message());
    }
    s.matchers = std::move(*matchers);
    s.starts_at_ms = stmt.ColInt(2);
    s.ends_at_ms = stmt.ColInt(3);
    s.updated_at_ms = stmt.ColInt(4);
    s.created_by = stmt.ColText(5);
    s.comment = stmt.ColText(6);
    out.push_back(std::move(s));
  }
}

}  // namespace perfwatch
