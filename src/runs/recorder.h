#pragma once
// RecordRun: one `perfwatch run`. Reserves the run in a RunDb, listens for
// StatsD on 127.0.0.1 (an ephemeral port), starts the command (an argv, no
// shell) with the environment that points StatsD clients there, samples
// its process tree every interval, and finishes the record with what
// came of it: also when the command could not start (status failed, exit
// 127 or 126 as a shell gives) and when it was interrupted (the partial
// timeline and data).
//
// Environment given to the command (docs/RUNS.md):
//   PERFWATCH_STATSD=127.0.0.1:PORT   include/perfwatch/client.hpp
//   STATSD_HOST=127.0.0.1, STATSD_PORT=PORT   common StatsD clients
//   PERFWATCH_RUN_ID, PERFWATCH_RUN_NAME
// plus RecordOptions::extra_env.
//
// One run at a time per process (MeasureCommand's limits); the callbacks
// run on the calling thread.

#include <chrono>
#include <cstddef>
#include <functional>
#include <string>
#include <vector>

#include "model/status.h"
#include "runs/app_data.h"
#include "runs/run_db.h"
#include "runs/run_record.h"

namespace perfwatch {

struct RecordOptions {
  std::vector<std::string> argv;  // argv[0] is looked up in PATH
  std::string name;               // "" = the basename of argv[0]
  // How often the process tree is sampled (the timeline's resolution).
  std::chrono::milliseconds sample_interval{100};
  bool show_output = true;             // false: the command's stdout/stderr to /dev/null
  std::string stdin_path;              // "" = /dev/null
  std::vector<std::string> extra_env;  // "NAME=value", added after perfwatch's own
  // The PERFWATCH_APP the command sees: its tag app:<app> is left out of
  // the recorded metrics (see AppData).
  std::string app;
  size_t max_app_points = AppData::kDefaultMaxPoints;
  // Polled while the command runs: true sends it SIGTERM (SIGKILL after a
  // grace period).
  std::function<bool()> should_stop;
  // Asked when the command has ended: true records the run as interrupted.
  std::function<bool()> interrupted;
  // Called once the run is reserved, just before the command starts.
  std::function<void(const RunRecord&)> on_start;
};

struct RecordedRun {
  RunRecord run;  // complete, with timeline and points
  Status saved;   // whether RunDb::Finish stored it
};

// Fails, without running the command, only when the run cannot be reserved
// in `db` or the StatsD socket cannot be bound; InvalidArgument for an
// empty argv.
Result<RecordedRun> RecordRun(RunDb& db, const RecordOptions& options);

// "/usr/bin/python3" -> "python3".
std::string DefaultRunName(const std::vector<std::string>& argv);

}  // namespace perfwatch
