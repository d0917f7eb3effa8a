#pragma once
// One observation of one series. Value type.

#include <cstdint>

namespace perfwatch {

// Milliseconds since the Unix epoch (wall clock, taken once per tick).
using TimestampMs = int64_t;

struct Sample {
  TimestampMs t_ms = 0;
  double value = 0;
  friend bool operator==(const Sample&, const Sample&) = default;
};

}  // namespace perfwatch
