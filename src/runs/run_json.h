#pragma once
// Runs as JSON, the one shape for `perfwatch runs --json`, `perfwatch run
// --json`, GET /api/v1/runs and /api/v1/runs/{id} (docs/RUNS.md has an
// example of each), and back, so `perfwatch runs --url` reads a serving
// perfwatch's answers into the same RunRecord. Pure functions; thread-safe.
//
// The timeline is columnar ({"t_ms":[...],"cpu_percent":[...],...}): an
// hour at 100 ms is 36,000 points, a third of the size as objects, and
// what a chart library takes.

#include <string>
#include <string_view>
#include <vector>

#include "model/status.h"
#include "runs/run_record.h"

namespace perfwatch {

// One run: the row's fields and "metrics", then "timeline" and
// "app_points" when asked for.
std::string RunJson(const RunRecord& run, bool timeline = true, bool app_points = true);
// {"runs":[...]} without metrics, timelines or points.
std::string RunListJson(const std::vector<RunRecord>& runs);

// The inverse of RunJson / RunListJson; InvalidArgument naming the field
// that is missing or of the wrong type.
Result<RunRecord> ParseRunJson(std::string_view text);
Result<std::vector<RunRecord>> ParseRunListJson(std::string_view text);

}  // namespace perfwatch
