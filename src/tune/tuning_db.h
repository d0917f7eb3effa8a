#pragma once
// TuningDb: tunables and the tuning audit in SQLite, in <data_dir>/
// perfwatch.db on a connection and tables of their own (as AlertDb):
//
//   tunables        one row per (app, name): the spec as JSON, the value
//                   now, registered/seen times. Survives restarts, so a
//                   change can be delivered before the app re-registers.
//   tunable_history registrations and outcomes per tunable (pruned to
//                   kMaxTunableHistory per tunable).
//   tuning_audit    one row per decision: rule, action, target, values
//                   before/after, outcome, the effect verdict.
//
// Each write is one transaction with synchronous=FULL; busy_timeout waits
// for the block store's and AlertDb's connections. Open DurableStore on the
// file first (it refuses a non-empty file it did not create).
//
// Thread-safe: one connection, every method under an internal mutex.

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "model/status.h"
#include "tune/tunable.h"

namespace perfwatch {

class SqliteDb;

// One row of tuning_audit: a decision and what became of it.
struct TuningRecord {
  int64_t id = 0;  // assigned by Insert
  TimestampMs t_ms = 0;
  std::string rule;
  // "scale" "set" "toggle" "exec" "webhook" "hook" "rollback"
  std::string action;
  std::string description;       // TuningAction::Describe(), or "rollback of #12"
  std::string app;               // "" for exec/webhook
  std::string tunable;           // "cache.size"; the hook name for "hook"; "" for exec/webhook
  std::optional<double> before;  // tunable value before
  std::optional<double> after;   // the value asked for
  // "pending" (sent, no answer yet), "applied" (confirmed: 2xx, exit 0),
  // "rejected" (the application refused: a 4xx), "failed" (unreachable,
  // timeout, 5xx after retries, exit != 0, no delivery channel),
  // "dry_run", "skipped" (nothing to change: at its limit, cap reached).
  std::string outcome = "pending";
  std::string error;   // why rejected/failed/skipped
  std::string reason;  // "system_memory_used_percent = 91.2 > 85 for 10s"
  bool emergency = false;
  int64_t rollback_of = 0;  // for "rollback": the record it undid
  // Effect evaluation: "pending" (window not over), "improved",
  // "unchanged", "worse", "rolled_back" (worse and undone), "n/a" (no
  // metric, not applied), "interrupted" (perfwatch restarted mid-window).
  std::string verdict = "n/a";
  std::string metric;                   // the series compared, e.g. system_memory_used_percent{}
  std::optional<double> metric_before;  // average over the window before
  std::optional<double> metric_after;   // average over the window after
  TimestampMs evaluated_ms = 0;
};

struct TuningAuditFilter {
  TimestampMs since_ms = 0;
  std::string rule;    // "" = all
  std::string app;     // "" = all
  size_t limit = 100;  // newest first
};

struct TuningDbOptions {
  std::string path;  // <data_dir>/perfwatch.db
  int busy_timeout_ms = 5000;
  int64_t audit_retention_ms = 90LL * 86'400'000;
};

class TuningDb {
 public:
  // Creates the tables when missing. Fails naming the file and SQLite's
  // message.
  static Result<std::unique_ptr<TuningDb>> Open(const TuningDbOptions& options);
  ~TuningDb();
  TuningDb(const TuningDb&) = delete;
  TuningDb& operator=(const TuningDb&) = delete;

  // Tunables (TunableRegistry is the only writer).
  Status SaveTunable(const Tunable& tunable);  // upsert spec/value/times
  // The upsert and one history entry in one transaction, so the value and
  // its history never disagree on disk.
  Status SaveTunable(const Tunable& tunable, const TunableChange& change);
  Status AppendTunableHistory(const std::string& app, const std::string& name,
                              const TunableChange& change);
  Result<std::vector<Tunable>> LoadTunables() const;  // with their history

  // Audit. Insert assigns record.id; Update rewrites every field of the
  // row with that id.
  Result<int64_t> Insert(const TuningRecord& record);
  Status Update(const TuningRecord& record);
  Result<std::vector<TuningRecord>> Audit(const TuningAuditFilter& filter) const;
  Result<TuningRecord> Get(int64_t id) const;
  // Rows with verdict "pending" or outcome "pending" (for the engine after
  // a restart: it marks them "interrupted").
  Result<std::vector<TuningRecord>> Unfinished() const;
  // Deletes audit rows older than the retention.
  Status Prune(TimestampMs now_ms);

 private:
  TuningDb(std::unique_ptr<SqliteDb> db, TuningDbOptions options);
  std::unique_ptr<SqliteDb> db_;
  TuningDbOptions options_;
  mutable std::mutex mu_;
};

}  // namespace perfwatch
