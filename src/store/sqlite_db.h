#pragma once
// SqliteDb: one SQLite connection to a perfwatch database file
// (<data_dir>/perfwatch.db) with the plumbing that RunDb, TuningDb and
// AlertDb share: the open sequence, statements with chained binders,
// transactions and one mapping of SQLite result codes to Status.
//
// Open refuses a file whose PRAGMA application_id is neither 0 (new or not
// yet claimed) nor kPerfwatchApplicationId (set by the block store), then
// puts the file in WAL journal mode and the connection in synchronous=FULL,
// so every commit fsyncs the WAL and survives power loss once it returned.
// Tables are the caller's: it runs its own schema (usually in
// InTransaction) after Open.
//
// Every error reads "<path>: <label>: <what>: <sqlite message>", where
// label names the owner ("runs", "tuning db", "alert db") and what names
// the operation. Codes that mean a bug or a damaged file (CONSTRAINT,
// CORRUPT, NOTADB, MISUSE, ERROR) become Status::Internal; everything else
// (BUSY after busy_timeout_ms, IOERR, FULL, CANTOPEN...) Status::IOError.
//
// Not thread-safe: the connection is opened with SQLITE_OPEN_NOMUTEX, so
// the owner serialises every use of a SqliteDb and of its Statements (the
// three owners hold a mutex). Several SqliteDb on one file, in one process
// or several, are fine: SQLite's file locks order them.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "model/status.h"

struct sqlite3;
struct sqlite3_stmt;

namespace perfwatch {

// The block store's PRAGMA application_id ("pwdb").
inline constexpr int32_t kPerfwatchApplicationId = 0x70776462;

struct SqliteDbOptions {
  // If true, a missing file is created empty (application_id 0). If false,
  // opening a missing file fails with IOError.
  bool create_if_missing = true;
  // How long a statement waits for another connection's lock before it
  // fails with IOError (SQLITE_BUSY).
  int busy_timeout_ms = 5000;
};

class SqliteDb;

// One prepared statement. Binders bind parameters in order from 1 and
// chain; a failure to prepare or bind is kept and reported by the next
// Run or Step, so a caller binds without checking each call. Run resets
// the statement and its bindings, so one Statement inserts row after row.
// A statement that Step returned a row from holds a read transaction until
// it is destroyed (or steps to the end).
//
// Must not outlive the SqliteDb that prepared it; same thread rules.
class Statement {
 public:
  Statement(Statement&&) noexcept;
  Statement& operator=(Statement&&) noexcept;
  ~Statement();

  // Ok, or why the statement could not be prepared or bound.
  Status status() const;

  Statement& Text(const std::string& s);
  Statement& Int(int64_t v);
  // NaN binds as NULL: SQLite has no NaN (it would store NULL anyway, or
  // fail a NOT NULL column with a clearer error than a silent 0).
  Statement& Real(double v);
  // Absent or NaN binds as NULL.
  Statement& Opt(const std::optional<double>& v);

  // Runs a statement that returns no rows, then resets it for the next.
  [[nodiscard]] Status Run();
  // Steps once: true when a row is ready for the Col* readers, false at
  // the end.
  [[nodiscard]] Result<bool> Step();

  // Columns of the current row, counted from 0. NULL reads as "" and 0.
  std::string ColText(int i) const;
  int64_t ColInt(int i) const;
  double ColReal(int i) const;
  // NULL reads as nullopt.
  std::optional<double> ColOpt(int i) const;

 private:
  friend class SqliteDb;
  Statement(const SqliteDb* db, const std::string& sql, std::string what);
  void Note(int rc);
  Status Error(int rc) const;

  const SqliteDb* db_;
  std::string what_;
  sqlite3_stmt* stmt_ = nullptr;  // owned; finalized by the destructor
  int rc_ = 0;                    // first prepare or bind failure
  int bound_ = 0;
};

class SqliteDb {
 public:
  // Opens `path` read-write and checks and configures the file as above.
  // `label` names the owner in every error message.
  [[nodiscard]] static Result<std::unique_ptr<SqliteDb>> Open(const std::string& path,
                                                              std::string label,
                                                              const SqliteDbOptions& options = {});
  ~SqliteDb();
  SqliteDb(const SqliteDb&) = delete;
  SqliteDb& operator=(const SqliteDb&) = delete;

  const std::string& path() const { return path_; }

  // Runs one or more statements that return no rows.
  [[nodiscard]] Status Exec(const std::string& sql, const std::string& what);
  Statement Prepare(const std::string& sql, std::string what) const;

  // Runs `body` (returning Status) in one BEGIN IMMEDIATE transaction:
  // committed if it returns Ok, rolled back otherwise, so all of it is
  // stored or none. IMMEDIATE takes the write lock up front, so a write
  // waits for another writer at BEGIN instead of failing half-way.
  template <typename Fn>
  [[nodiscard]] Status InTransaction(Fn&& body) {
    if (Status s = Exec("BEGIN IMMEDIATE", "begin"); !s.ok()) return s;
    Status s = body();
    if (s.ok()) s = Exec("COMMIT", "commit");
    if (!s.ok()) (void)Exec("ROLLBACK", "rollback");
    return s;
  }

  // Runs `body` (returning Status or Result<T>) in one read transaction,
  // so everything it reads is one snapshot even while another connection
  // writes. Returns what `body` returned.
  template <typename Fn>
  auto InSnapshot(Fn&& body) -> decltype(body()) {
    if (Status s = Exec("BEGIN", "begin"); !s.ok()) return s;
    auto out = body();
    (void)Exec("COMMIT", "end read");
    return out;
  }

  // The rowid of the last INSERT and the rows the last statement changed
  // on this connection.
  int64_t LastInsertRowid() const;
  int64_t Changes() const;

  // The Status for SQLite result code `rc` from an operation named `what`.
  Status Error(int rc, const std::string& what) const;

 private:
  friend class Statement;
  SqliteDb(std::string path, std::string label, sqlite3* db);
  Status Configure();

  const std::string path_;
  const std::string label_;
  sqlite3* const db_;  // owned; closed by the destructor
};

}  // namespace perfwatch
