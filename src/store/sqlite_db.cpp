#include "store/sqlite_db.h"

#include <sqlite3.h>

#include <cmath>
#include <utility>

namespace perfwatch {

Statement::Statement(const SqliteDb* db, const std::string& sql, std::string what)
    : db_(db), what_(std::move(what)) {
  rc_ = sqlite3_prepare_v2(db->db_, sql.c_str(), static_cast<int>(sql.size() + 1), &stmt_, nullptr);
}

Statement::Statement(Statement&& other) noexcept
    : db_(other.db_),
      what_(std::move(other.what_)),
      stmt_(std::exchange(other.stmt_, nullptr)),
      rc_(other.rc_),
      bound_(other.bound_) {}

Statement& Statement::operator=(Statement&& other) noexcept {
  if (this != &other) {
    sqlite3_finalize(stmt_);
    db_ = other.db_;
    what_ = std::move(other.what_);
    stmt_ = std::exchange(other.stmt_, nullptr);
    rc_ = other.rc_;
    bound_ = other.bound_;
  }
  return *this;
}

Statement::~Statement() { sqlite3_finalize(stmt_); }

Status Statement::status() const { return rc_ == SQLITE_OK ? Status::Ok() : Error(rc_); }

void Statement::Note(int rc) {
  if (rc_ == SQLITE_OK) rc_ = rc;
}

Status Statement::Error(int rc) const { return db_->Error(rc, what_); }

Statement& Statement::Text(const std::string& s) {
  Note(sqlite3_bind_text(stmt_, ++bound_, s.data(), static_cast<int>(s.size()), SQLITE_TRANSIENT));
  return *this;
}

Statement& Statement::Int(int64_t v) {
  Note(sqlite3_bind_int64(stmt_, ++bound_, v));
  return *this;
}

Statement& Statement::Real(double v) {
  Note(std::isnan(v) ? sqlite3_bind_null(stmt_, ++bound_)
                     : sqlite3_bind_double(stmt_, ++bound_, v));
  return *this;
}

Statement& Statement::Opt(const std::optional<double>& v) { return Real(v.value_or(std::nan(""))); }

Status Statement::Run() {
  if (rc_ != SQLITE_OK) return Error(rc_);
  const int rc = sqlite3_step(stmt_);
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
  bound_ = 0;
  return rc == SQLITE_DONE ? Status::Ok() : Error(rc);
}

Result<bool> Statement::Step() {
  if (rc_ != SQLITE_OK) return Error(rc_);
  const int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  return Error(rc);
}

std::string Statement::ColText(int i) const {
  const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(stmt_, i));
  return p == nullptr ? std::string() : std::string(p, sqlite3_column_bytes(stmt_, i));
}

int64_t Statement::ColInt(int i) const { return sqlite3_column_int64(stmt_, i); }

double Statement::ColReal(int i) const { return sqlite3_column_double(stmt_, i); }

std::optional<double> Statement::ColOpt(int i) const {
  if (sqlite3_column_type(stmt_, i) == SQLITE_NULL) return std::nullopt;
  return ColReal(i);
}

SqliteDb::SqliteDb(std::string path, std::string label, sqlite3* db)
    : path_(std::move(path)), label_(std::move(label)), db_(db) {}

SqliteDb::~SqliteDb() { sqlite3_close_v2(db_); }

Result<std::unique_ptr<SqliteDb>> SqliteDb::Open(const std::string& path, std::string label,
                                                 const SqliteDbOptions& options) {
  int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX;
  if (options.create_if_missing) flags |= SQLITE_OPEN_CREATE;
  sqlite3* raw = nullptr;
  const int rc = sqlite3_open_v2(path.c_str(), &raw, flags, nullptr);
  // sqlite3_open_v2 hands back a handle even when it fails; the owner
  // closes it either way.
  std::unique_ptr<SqliteDb> db(new SqliteDb(path, std::move(label), raw));
  if (rc != SQLITE_OK) return db->Error(rc, "open");
  sqlite3_extended_result_codes(raw, 1);
  sqlite3_busy_timeout(raw, options.busy_timeout_ms);
  if (Status s = db->Configure(); !s.ok()) return s;
  return db;
}

Status SqliteDb::Configure() {
  int64_t app_id = 0;
  {
    // Scoped: a statement not yet finalized holds a read transaction, and
    // journal_mode cannot change inside one.
    Statement stmt = Prepare("PRAGMA application_id", "read application_id");
    Result<bool> row = stmt.Step();
    if (!row.ok()) return row.status();
    if (*row) app_id = stmt.ColInt(0);
  }
  if (app_id != 0 && app_id != kPerfwatchApplicationId) {
    return Status::InvalidArgument(path_ + ": not a perfwatch database (application_id " +
                                   std::to_string(app_id) + ")");
  }
  // WAL is a property of the file (the block store sets it too); FULL is
  // per connection.
  if (Status s = Exec("PRAGMA journal_mode = WAL", "set WAL journal mode"); !s.ok()) return s;
  return Exec("PRAGMA synchronous = FULL", "set synchronous");
}

Status SqliteDb::Exec(const std::string& sql, const std::string& what) {
  const int rc = sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, nullptr);
  return rc == SQLITE_OK ? Status::Ok() : Error(rc, what);
}

Statement SqliteDb::Prepare(const std::string& sql, std::string what) const {
  return Statement(this, sql, std::move(what));
}

int64_t SqliteDb::LastInsertRowid() const { return sqlite3_last_insert_rowid(db_); }

int64_t SqliteDb::Changes() const { return sqlite3_changes(db_); }

Status SqliteDb::Error(int rc, const std::string& what) const {
  // The connection's message is more specific ("UNIQUE constraint failed:
  // runs.id") but only describes rc if rc was its last error.
  const std::string detail = sqlite3_errcode(db_) == rc ? sqlite3_errmsg(db_) : sqlite3_errstr(rc);
  const std::string msg = path_ + ": " + label_ + ": " + what + ": " + detail;
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

}  // namespace perfwatch
