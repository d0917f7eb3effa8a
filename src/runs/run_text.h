#pragma once
// Runs as text for a terminal: the list, one run with a compact timeline,
// the summary `perfwatch run` prints at the end, and the side-by-side
// comparison (with its JSON form, which has the same rows). Pure functions
// over RunRecords; thread-safe.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "runs/run_record.h"

namespace perfwatch {

// "12.3 MiB", "512 B".
std::string FormatBytes(double bytes);
// "850 ms", "1.52 s", "2m03s", "1h02m".
std::string FormatSeconds(double seconds);
// Local time "2025-11-21 10:03:04".
std::string FormatLocalTime(int64_t ms_since_epoch);
// One block character per value, `values` averaged down to at most `width`
// characters, scaled from their minimum (or from 0 with `from_zero`, so a
// flat 7 MiB does not look like a saw) to their maximum.
std::string Sparkline(const std::vector<double>& values, size_t width, bool from_zero);

// id, name, started, duration, status/exit, peak RSS, CPU %, metrics.
std::string RunsTable(const std::vector<RunRecord>& runs);
// What `perfwatch run` prints on stderr when the command ends.
std::string RunSummary(const RunRecord& run);
// `perfwatch runs show`: the summary, the timeline as sparklines and a few
// rows, every metric's summary (and a sparkline of each gauge's values).
std::string RunReport(const RunRecord& run);

// One figure of a comparison across runs: a resource total or one
// statistic of one metric. A run without the metric has no value.
struct ComparedFigure {
  std::string label;                          // "wall", "fitness (g) last"
  std::string figure;                         // "wall_seconds", or the statistic: "last", "p95"
  std::string unit;                           // "s", "bytes", "%", "" for application values
  std::string metric, type, tags;             // for metric rows
  std::vector<std::optional<double>> values;  // one per run
  std::vector<std::optional<double>> change_percent;  // vs the first run; first is empty
};
// Rows for runs loaded with their metrics: the resource figures, then for
// each metric found in any run its meaningful statistics (counters: count
// and sum; gauges: last, min, max, mean; timings: count, mean, p50, p95,
// max; sets: distinct).
std::vector<ComparedFigure> CompareRuns(const std::vector<RunRecord>& runs);
std::string CompareText(const std::vector<RunRecord>& runs);
std::string CompareJson(const std::vector<RunRecord>& runs);

}  // namespace perfwatch
