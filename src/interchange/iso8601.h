#pragma once
// ISO 8601 date-times to Unix milliseconds with plain calendar arithmetic:
// no locale, no time zone database, no global state. Thread-safe.

#include <cstdint>
#include <string_view>

#include "model/sample.h"
#include "model/status.h"

namespace perfwatch {

// Days from 1970-01-01 to y-m-d in the proleptic Gregorian calendar
// (H. Hinnant's days_from_civil); negative before 1970. m in 1..12.
int64_t DaysFromCivil(int64_t y, unsigned m, unsigned d);

// "YYYY-MM-DD", optionally followed by 'T' (or ' ', as Python's str()
// writes) and "hh:mm", ":ss", ".fraction" (digits past milliseconds are
// dropped), then "Z", "+hh:mm", "+hhmm" or "+hh" (or '-'). A time without
// an offset is taken as `naive_offset_minutes` east of UTC. The error says
// which part is wrong.
Result<TimestampMs> ParseIso8601(std::string_view text, int naive_offset_minutes = 0);

}  // namespace perfwatch
