#pragma once
// RunDb: recorded runs in SQLite, in <data_dir>/perfwatch.db beside the
// block store, alert and tuning tables, on a connection and tables of its
// own (docs/RUNS.md, "Storage"):
//
//   runs          one row per run: what ran, how it ended, the totals
//   run_metrics   one row per (run, metric): the MetricSummary
//   run_timeline  one row per sample of the process tree
//   run_points    one row per application value received
//
// A run is reserved when its command starts (so the command can be told
// its id) and finished in one transaction with everything it recorded;
// then the oldest runs beyond RunDbOptions::max_runs go, in the same
// transaction. perfwatch.db is shared between processes: a `perfwatch run`
// writes while a serving perfwatch reads and writes its own tables; WAL
// and busy_timeout let them take turns. The store's LOCK file is not
// involved (it guards the block store's WAL, not SQLite).
//
// Thread-safe: one connection, every method under an internal mutex.

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "model/status.h"
#include "runs/run_record.h"

namespace perfwatch {

class SqliteDb;

struct RunDbOptions {
  std::string path;  // <data_dir>/perfwatch.db; see PathIn
  // When the file is missing (or empty): true creates it as a perfwatch
  // database (the block store's schema first, so a perfwatch started on
  // this data directory later accepts the file); false fails with
  // kUnavailable, for readers that must not create a data directory.
  bool create = true;
  int busy_timeout_ms = 5000;
  // The newest runs kept; older ones are deleted when a run finishes.
  // 0 keeps all.
  size_t max_runs = 1000;
};

struct RunFilter {
  std::string name;       // exact; "" = every name
  size_t limit = 20;      // newest first; 0 = no limit
  int64_t before_id = 0;  // only ids below this (paging); 0 = no bound
};

// What Get loads besides the run's row and metric summaries.
struct RunParts {
  bool timeline = true;
  bool app_points = true;
};

class RunDb {
 public:
  // Creates the tables when missing. Fails naming the file and SQLite's
  // message; InvalidArgument for a file of another application.
  static Result<std::unique_ptr<RunDb>> Open(const RunDbOptions& options);
  static std::string PathIn(const std::string& data_dir);
  ~RunDb();
  RunDb(const RunDb&) = delete;
  RunDb& operator=(const RunDb&) = delete;

  // Inserts `run` as it is now (normally status running, no timeline) and
  // returns its id, never reused even after the run is deleted.
  Result<int64_t> Reserve(const RunRecord& run);
  // Replaces the reserved run `run.id` with `run`, its metrics, timeline
  // and points, in one transaction, and prunes to max_runs. NotFound when
  // the id is not stored (deleted meanwhile).
  Status Finish(const RunRecord& run);

  // Newest first, without metrics, timeline or points (app counts and
  // metric_count are in the row).
  Result<std::vector<RunRecord>> List(const RunFilter& filter) const;
  // NotFound naming the id.
  Result<RunRecord> Get(int64_t id, const RunParts& parts = {}) const;
  // NotFound naming the id.
  Status Delete(int64_t id);

  const std::string& path() const { return options_.path; }

 private:
  RunDb(std::unique_ptr<SqliteDb> db, RunDbOptions options);
  const std::unique_ptr<SqliteDb> db_;
  const RunDbOptions options_;
  mutable std::mutex mu_;  // serialises use of db_
};

}  // namespace perfwatch
