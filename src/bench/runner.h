#pragma once
// The engine of `perfwatch bench`: expands the command templates of a
// benchmark over its parameters (ExpandCommands, runner_expand.cpp), then
// runs each command (setup, warm-ups, timed runs with a prepare command
// before each, cleanup) through MeasureCommand and collects a BenchReport
// (RunBenchmark, runner.cpp). It prints nothing: progress and finished
// results go to a BenchObserver, so the command line draws the progress
// bar and tests record the calls.
//
// The number of timed runs follows hyperfine: exactly --runs, or else
// max(min_runs, floor(min_time / time of the first run and its prepare
// command)), capped by max_runs.
//
// Thread-safety: RunBenchmark runs everything on the calling thread, one
// call at a time per process (MeasureCommand's rule). The stop flag is the
// one thing it shares: another thread or a signal handler may set it.

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "bench/bench_model.h"
#include "model/status.h"

namespace perfwatch {

// One parameter and its values, in the order they are benchmarked.
struct ParameterValues {
  std::string name;
  std::vector<std::string> values;
};

// -L/--parameter-list NAME V1,V2,...: the values split at commas (empty
// ones kept: ",-O2" is "" and "-O2"). InvalidArgument for a name that is
// empty or not made of letters, digits and '_'.
Result<ParameterValues> ParameterList(const std::string& name, const std::string& values);

// -P/--parameter-scan NAME MIN MAX with -D/--parameter-step-size STEP
// (empty: 1, and MIN and MAX must then be integers): MIN, MIN+STEP, ... up
// to MAX inclusive, computed in decimal so 0.1 steps do not drift, written
// as hyperfine writes them ("0", "0.5", "1.0"). At most 100000 values.
Result<ParameterValues> ParameterScan(const std::string& name, const std::string& min,
                                      const std::string& max, const std::string& step);

// `text` with every "{NAME}" of `parameters` replaced by its value.
std::string SubstituteParameters(
    const std::string& text, const std::vector<std::pair<std::string, std::string>>& parameters);

// One command as given on the command line, before parameters are
// substituted.
struct CommandTemplate {
  // A command line: run as `SHELL -c LINE`, or split with SplitCommandLine
  // and run directly when the plan has no shell...
  std::string command_line;
  // ...or, when not empty, an argv run as given, never through a shell
  // (`perfwatch bench -- prog args`); command_line is ignored then.
  std::vector<std::string> argv;
  std::string name;     // -n/--command-name; empty: the command itself
  std::string setup;    // -s/--setup: once before the warm-ups; empty: none
  std::string prepare;  // -p/--prepare: before every run; empty: none
  std::string cleanup;  // --cleanup: once after the runs; empty: none
};

// What the command line asked for.
struct BenchPlan {
  std::vector<CommandTemplate> commands;
  // Every combination is benchmarked, for each combination every command;
  // the first parameter varies fastest (hyperfine's order).
  std::vector<ParameterValues> parameters;
  // The shell for command lines and setup/prepare/cleanup; empty: none
  // (-N), command lines are split and run directly.
  std::string shell = "sh";
  std::string input_path;               // --input: stdin of every run, {NAME} substituted
  std::optional<uint64_t> input_bytes;  // --input-bytes; else the size of input_path
  std::vector<std::string> extra_env;   // "NAME=value" for every command
};

// One command ready to run: parameters substituted, command lines turned
// into argv.
struct BenchCommand {
  std::string name;  // as shown and exported
  std::vector<std::pair<std::string, std::string>> parameters;
  std::vector<std::string> argv;  // what is timed
  // argv is {shell, "-c", line}: the shell's spawning time is subtracted.
  bool through_shell = false;
  std::vector<std::string> setup, prepare, cleanup;  // argv; empty: none
  std::string stdin_path;                            // empty: /dev/null
  std::optional<double> input_bytes;                 // else the size of stdin_path
  std::vector<std::string> extra_env;
};

// The plan's commands for every parameter combination. The name is the -n
// name or the command line, substituted, with " (NAME = value)" appended
// for each parameter the command does not mention (as hyperfine shows it).
// InvalidArgument for a plan without commands, or for a command line
// SplitCommandLine rejects (-N), naming it.
Result<std::vector<BenchCommand>> ExpandCommands(const BenchPlan& plan);

// Where a run stands, for progress bars.
struct BenchProgress {
  enum class Phase { kShellSpawn, kWarmup, kTimed };
  Phase phase = Phase::kTimed;
  int done = 0;   // runs finished in this phase
  int total = 0;  // runs planned; 0 while unknown (before the first timed run)
  // Mean wall time of the timed runs so far (the "current estimate"), and
  // of the phase's runs for the others; seconds.
  double mean_seconds = 0;
};

// Receives what RunBenchmark does, on RunBenchmark's thread. Every method
// has an empty default.
class BenchObserver {
 public:
  virtual ~BenchObserver() = default;
  // Before the first run of command `index` of `count`.
  virtual void OnCommandStart(size_t /*index*/, size_t /*count*/, const BenchCommand& /*command*/) {
  }
  // After every run (shell spawning measurement, warm-up or timed).
  virtual void OnProgress(const BenchProgress& /*progress*/) {}
  // After command `index` ended (all its runs, a failure, or the stop
  // flag). `report` holds it, summarized, as its last result, with every
  // command before it; report.interrupted is final only at the end.
  virtual void OnCommandDone(size_t /*index*/, const BenchReport& /*report*/) {}
};

struct RunnerOptions {
  int warmup = 0;               // -w: untimed runs before the timed ones
  std::optional<int> runs;      // -r: exactly this many timed runs
  int min_runs = 10;            // -m
  std::optional<int> max_runs;  // -M
  double min_time_seconds = 3;  // --min-time: how long the timed runs should take at least
  // -i: keep going after a run that failed; its statistics count every run.
  bool ignore_failure = false;
  bool show_output = false;  // --show-output: the commands' output goes to the terminal
  // Runs of `SHELL -c ''` whose mean wall, user and system times are
  // subtracted from every run through the shell; 0: none subtracted.
  int shell_spawn_runs = 50;
  std::string shell = "sh";
  // MeasureOptions::sample_interval for the timed and warm-up runs.
  std::chrono::milliseconds sample_interval{50};
  // Once true, the current run is stopped (SIGTERM) and discarded, nothing
  // more runs and the report is marked interrupted. May be null; must
  // outlive RunBenchmark.
  const std::atomic<bool>* stop = nullptr;
};

// Runs `commands` in order. A command that cannot start, fails without
// ignore_failure, or whose setup/prepare/cleanup fails gets an error in its
// result (with the runs done so far) and the next command still runs; the
// stop flag or a run ended by SIGINT ends everything with
// report.interrupted. `observer` may be null; it must outlive the call.
BenchReport RunBenchmark(const std::vector<BenchCommand>& commands, const RunnerOptions& options,
                         BenchObserver* observer);

// The program a shell command line starts, when it certainly does not
// exist: the first word of a simple command (no shell syntax, assignment,
// builtin or keyword) that is neither in `path` (a PATH value) nor, when it
// has a '/', an existing file. nullopt when it exists or cannot be told.
std::optional<std::string> MissingProgram(const std::string& command_line, const std::string& path);

}  // namespace perfwatch
