#pragma once
// Prometheus-style durations ("500ms", "15s", "1m", "1h30m", "2d") and plain
// numbers of seconds ("30", "0.5"), as used by config, flags and query
// parameters. Pure functions; thread-safe.

#include <cstdint>
#include <string>
#include <string_view>

#include "model/status.h"

namespace perfwatch {

// Milliseconds. Errors name the text and what was expected.
Result<int64_t> ParseDuration(std::string_view text);

// The shortest exact spelling: 90000 -> "1m30s", 1500 -> "1500ms".
std::string FormatDuration(int64_t ms);

}  // namespace perfwatch
