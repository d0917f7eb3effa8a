#pragma once
// AlertDb: alert state, alert history and silences in SQLite, in the same
// file as the block store (<data_dir>/perfwatch.db) but on a connection and
// tables of its own:
//
//   alert_state    one row per tracked alert (pending, firing, recently
//                  resolved): what the engine needs to carry on after a
//                  restart without notifying twice (last_sent_ms).
//   alert_history  one row per transition, acknowledgement or silencing.
//   silences       Alertmanager-shaped silences.
//
// Every write is one transaction with PRAGMA synchronous=FULL, so a batch
// that returned Ok is on disk and a batch that failed (or was cut short by
// a crash) left nothing behind. The block store keeps the file in WAL
// journal mode; both connections wait up to busy_timeout_ms for each other.
//
// Open the block store (DurableStore) on the file first: it refuses a
// non-empty file that it did not create itself.
//
// Thread-safe: one connection, every method under an internal mutex.

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "alert/alert.h"
#include "alert/silence.h"
#include "model/status.h"

namespace perfwatch {

class SqliteDb;

// One row of alert_history.
struct AlertHistoryEntry {
  TimestampMs t_ms = 0;
  std::string alert_id;
  std::string rule;
  Labels labels;
  // "transition" (from -> to), "acknowledged", "silenced" or "unsilenced"
  // (from == to == the state at the time).
  std::string event = "transition";
  AlertState from = AlertState::kInactive;
  AlertState to = AlertState::kInactive;
  double value = 0;
  std::string by;       // acknowledged: who
  std::string comment;  // acknowledged: the comment; silenced: the silence id
};

// What one evaluation (or one acknowledgement) changed.
struct AlertDbBatch {
  std::vector<Alert> upserts;        // alert_state rows to insert or replace
  std::vector<std::string> deletes;  // alert ids no longer tracked
  std::vector<AlertHistoryEntry> history;
  bool empty() const { return upserts.empty() && deletes.empty() && history.empty(); }
};

struct AlertDbOptions {
  // How long a write waits for the block store's connection to release the
  // file before failing with IOError.
  int busy_timeout_ms = 5000;
};

class AlertDb {
 public:
  // "<data_dir>/perfwatch.db".
  static std::string PathIn(const std::string& data_dir);

  // Opens (creating if missing) the file and the alert tables. Refuses a
  // SQLite file that belongs to another application.
  static Result<std::unique_ptr<AlertDb>> Open(const std::string& path,
                                               const AlertDbOptions& options = {});
  ~AlertDb();
  AlertDb(const AlertDb&) = delete;
  AlertDb& operator=(const AlertDb&) = delete;

  // Every alert_state row.
  Result<std::vector<Alert>> LoadAlerts();
  // Applies the whole batch in one transaction, or nothing.
  Status Save(const AlertDbBatch& batch);
  Status AppendHistory(const std::vector<AlertHistoryEntry>& entries);
  // Entries with t_ms >= since_ms, newest first, at most `limit`.
  Result<std::vector<AlertHistoryEntry>> History(TimestampMs since_ms, size_t limit);
  // Deletes history older than `before_ms`; returns how many rows went.
  Result<int64_t> PruneHistory(TimestampMs before_ms);

  Status PutSilence(const Silence& silence);    // insert or replace by id
  Status DeleteSilence(const std::string& id);  // NotFound when absent
  Result<std::vector<Silence>> LoadSilences();

  const std::string& path() const { return path_; }

 private:
  explicit AlertDb(std::unique_ptr<SqliteDb> db);
  Status SaveLocked(const AlertDbBatch& batch);

  const std::string path_;
  std::mutex mu_;
  const std::unique_ptr<SqliteDb> db_;  // protected by mu_
};

}  // namespace perfwatch
