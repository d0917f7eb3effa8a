#pragma once
// What `perfwatch bench` shows on the terminal, in hyperfine's layout:
// "Benchmark 1: CMD", the "Time (mean ± σ)" and "Range (min … max)" lines,
// perfwatch's peak RSS, CPU, throughput and success rate lines, hyperfine's
// warnings, the "Summary" of relative speeds, and a progress bar on stderr.
// BenchTerminal is the BenchObserver that prints all this as the runner
// goes. Not thread-safe: used from the runner's thread only.

#include <chrono>
#include <cstddef>
#include <cstdio>
#include <string>
#include <vector>

#include "bench/bench_model.h"
#include "bench/runner.h"

namespace perfwatch {

enum class BenchTimeUnit { kAuto, kMicrosecond, kMillisecond, kSecond };
// The order of the summary (and of the Markdown export with kMeanTime).
enum class BenchSort { kAuto, kCommand, kMeanTime };

// "12.3 ms", "1.234 s", "850.2 µs" as hyperfine writes them: with kAuto
// the unit suits `seconds`; `used` (optional) gets the unit chosen, so the
// figures that go with it can share it.
std::string FormatBenchTime(double seconds, BenchTimeUnit unit, BenchTimeUnit* used = nullptr);
// "512 B", "1.8 MiB".
std::string FormatBenchBytes(double bytes);

struct BenchTerminalOptions {
  bool colors = false;    // ANSI colours on stdout and stderr
  bool progress = false;  // a progress bar on stderr
  bool quiet = false;     // --style none: no results, warnings or summary
  BenchTimeUnit time_unit = BenchTimeUnit::kAuto;
  BenchSort sort = BenchSort::kAuto;
  // What the warnings refer to (hyperfine's wording depends on them).
  bool ignore_failure = false;
  int warmup = 0;
  bool prepare_in_use = false;
  // perfwatch's own peak RSS when it starts the commands. The kernel charges
  // the spawning process's memory to a child until the child execs (its
  // ru_maxrss starts there), so a smaller command reads as this size: such
  // figures are shown as "≤". /usr/bin/time -v has the same floor at its own
  // size (about 1 MiB). 0: unknown.
  double rss_floor_bytes = 0;
};

// The lines after "Benchmark N: ..." for a result with counted runs:
// time, range, peak RSS and CPU, throughput, success rate.
std::string FormatBenchResult(const CommandResult& result, const BenchTerminalOptions& options);
// hyperfine's warnings ("  Warning: ...") for a result; `through_shell`:
// whether the shell's spawning time was subtracted from its runs.
std::vector<std::string> BenchWarnings(const CommandResult& result, bool through_shell,
                                       const BenchTerminalOptions& options);
// "Summary\n  'X' ran\n    1.99 ± 0.02 times faster than 'Y'\n"; empty
// with fewer than two results that have runs.
std::string FormatBenchSummary(const BenchReport& report, const BenchTerminalOptions& options);

// Prints the runner's progress and each result as it comes. `out` gets the
// results (stdout), `err` the warnings, errors and progress bar (stderr);
// both must outlive it.
class BenchTerminal : public BenchObserver {
 public:
  BenchTerminal(const BenchTerminalOptions& options, std::FILE* out, std::FILE* err);
  ~BenchTerminal() override;

  void OnCommandStart(size_t index, size_t count, const BenchCommand& command) override;
  void OnProgress(const BenchProgress& progress) override;
  void OnCommandDone(size_t index, const BenchReport& report) override;

  // Erases the progress bar, if drawn.
  void ClearProgress();

 private:
  void DrawProgress(const std::string& message, int done, int total, double eta_seconds);

  BenchTerminalOptions options_;
  std::FILE* out_;
  std::FILE* err_;
  bool bar_drawn_ = false;
  bool through_shell_ = false;  // of the command being benchmarked
  int spinner_ = 0;
  std::chrono::steady_clock::time_point last_draw_;
  std::string last_kind_;
};

}  // namespace perfwatch
