#pragma once
// The model of one recorded run (`perfwatch run`, docs/RUNS.md): what ran,
// how it ended, its resources as totals and as a timeline of the process
// tree, and the application data (StatsD lines) the program sent while it
// ran. Plain value types; safe to copy between threads.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace perfwatch {

// "running": reserved when the command started, not finished yet (or
// perfwatch was killed before it could finish the record). "ok": exit 0.
// "failed": a non-zero exit, killed by a signal, or could not start.
// "interrupted": perfwatch was asked to stop (Ctrl-C, SIGTERM) mid-run.
enum class RunStatus : uint8_t { kRunning, kOk, kFailed, kInterrupted };
std::string_view ToString(RunStatus status);
std::optional<RunStatus> ParseRunStatus(std::string_view text);

// One sample of the process tree, every RecordOptions::sample_interval.
struct TimelinePoint {
  int64_t t_ms = 0;        // since the command started
  double cpu_percent = 0;  // since the previous point; 100 = one core busy
  double rss_bytes = 0;    // sum over the live members of the tree
  int64_t threads = 0;
  int64_t processes = 0;
  uint64_t read_bytes = 0;   // cumulative storage reads of the tree
  uint64_t write_bytes = 0;  // cumulative storage writes of the tree
};

// One value of one StatsD line; a line with several values ("x:1:2|ms")
// gives several points.
struct AppPoint {
  int64_t t_ms = 0;    // since the command started, when perfwatch received it
  std::string metric;  // the name as sent
  std::string type;    // StatsD type: "c", "g", "ms", "h", "d", "s"
  double value = 0;    // counters: already divided by the sample rate; sets: 1
  std::string tags;    // DogStatsD tags, sorted, "k:v,k2:v2"; "" when none
};

// Everything one metric (name + type + tags) received during the run.
// Counters: sum is the total. Gauges: last is the final value (a delta
// "+2"/"-2" applied to the one before). Sets: count is members received,
// last the number of distinct ones. p50/p95 are for timings (ms, h, d)
// only: exact while every value was kept, else within 1% (a DDSketch).
struct MetricSummary {
  std::string metric;
  std::string type;
  std::string tags;
  int64_t count = 0;
  double sum = 0, min = 0, max = 0, mean = 0, last = 0;
  std::optional<double> p50, p95;
  // A stable key for matching a metric across runs: "name|type|tags".
  std::string Key() const { return metric + "|" + type + "|" + tags; }
};

struct RunRecord {
  int64_t id = 0;  // assigned by RunDb::Reserve
  std::string name;
  std::vector<std::string> argv;
  std::string host;
  int64_t started_ms = 0;  // ms since the epoch
  int64_t ended_ms = 0;    // 0 while running
  RunStatus status = RunStatus::kRunning;
  int exit_code = 0;  // the command's; -1 when killed by a signal or not started
  int signal = 0;     // the signal that ended it, else 0
  std::string error;  // why it failed to start, or how it ended ("killed by signal 9 (Killed)")

  double wall_seconds = 0;
  double user_seconds = 0;  // the whole tree, reaped orphans included
  double system_seconds = 0;
  double cpu_percent = 0;     // mean: (user + system) / wall * 100
  double peak_rss_bytes = 0;  // of the whole tree
  uint64_t read_bytes = 0;    // storage IO of the tree over the run
  uint64_t write_bytes = 0;
  int64_t sample_interval_ms = 100;

  int64_t app_points_received = 0;  // values received (kept + dropped)
  int64_t app_points_dropped = 0;   // beyond the cap on kept points
  int64_t app_bad_lines = 0;        // StatsD lines that did not parse
  std::string statsd_address;       // where it listened, "127.0.0.1:PORT"

  int64_t metric_count = 0;            // metrics.size(), also when not loaded
  std::vector<MetricSummary> metrics;  // sorted by Key()
  std::vector<TimelinePoint> timeline;
  std::vector<AppPoint> app_points;

  // The exit status a shell would give: the exit code, 128 + signal when
  // killed, 127 when it could not start.
  int ShellExitStatus() const;
};

}  // namespace perfwatch
