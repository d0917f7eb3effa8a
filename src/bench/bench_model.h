#pragma once
// What `perfwatch bench` measures and reports, independent of how it ran or
// how it is written out: per-run records, the statistics hyperfine reports
// (mean, standard deviation, median, min, max, outliers by median absolute
// deviation, relative speed with its uncertainty) and the resource figures
// perfwatch adds (peak RSS, CPU %, throughput, success rate).
// Plain values and pure functions; thread-compatible.

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace perfwatch {

// One timed run of one command.
struct BenchRun {
  double wall_seconds = 0;  // shell spawning time already subtracted
  double user_seconds = 0;
  double system_seconds = 0;
  double peak_rss_bytes = 0;  // of the whole process tree
  double cpu_percent = 0;     // (user + system) / wall * 100
  int exit_code = 0;          // -1 when killed by a signal
  int signal = 0;
  bool ok() const { return exit_code == 0 && signal == 0; }
};

struct Stats {
  double mean = 0, stddev = 0, median = 0, min = 0, max = 0;
  double mad = 0;    // median absolute deviation
  int outliers = 0;  // values with |x - median| / MAD > 14.826, hyperfine's rule
};

// Sample standard deviation (n-1), as hyperfine; 0 for fewer than two values.
// All zeros for an empty vector.
Stats ComputeStats(const std::vector<double>& values);

// One benchmarked command (one parameter combination).
struct CommandResult {
  std::string command;  // as shown and exported, parameters substituted
  std::vector<std::pair<std::string, std::string>> parameters;  // {name, value}, in order
  std::vector<BenchRun> runs;         // timed runs only, in order (not warm-ups)
  std::optional<double> input_bytes;  // --input-bytes / --input size, for MB/s
  // Set when the command's benchmark ended early: it failed without
  // --ignore-failure, could not be started, or was interrupted.
  std::string error;
  bool interrupted = false;

  // The statistics of successful runs (all runs with --ignore-failure).
  Stats time, user, system;
  double success_rate = 0;    // ok runs / runs, 0..1
  double peak_rss_bytes = 0;  // max over runs
  double peak_rss_median_bytes = 0;
  double cpu_percent = 0;                 // mean over the runs in `time`
  std::optional<double> throughput_mb_s;  // input_bytes / 1e6 / time.mean
};

// Fills the derived fields of `r` (time ... throughput_mb_s) from r.runs.
// With ignore_failure the statistics cover all runs; otherwise only ok ones.
void Summarize(CommandResult& r, bool ignore_failure);

struct Relative {
  double ratio = 1;        // mean / fastest mean (1 for the fastest)
  double uncertainty = 0;  // ratio * sqrt((s/m)^2 + (s_f/m_f)^2)
  bool fastest = false;
};

// Relative speeds of the results that have at least one counted run, by the
// fastest mean; results without runs get ratio 0. Sizes match `results`.
std::vector<Relative> RelativeSpeeds(const std::vector<CommandResult>& results);

// The whole benchmark as reported and exported.
struct BenchReport {
  std::vector<CommandResult> results;
  bool interrupted = false;        // Ctrl-C: results hold what ran
  double shell_spawn_seconds = 0;  // subtracted from every wall time (0 with -N)
  std::string shell;               // "sh", or "none" with -N / `--`
  std::string started_at;          // RFC 3339 UTC
  std::string host;                // hostname
  int warmup = 0;
};

}  // namespace perfwatch
