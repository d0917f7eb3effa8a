#pragma once
// Text and JSON helpers shared by analysis/ (private to this folder).
// Pure functions; thread-safe.

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "model/labels.h"

namespace perfwatch::analysis_format {

// Fixed-point with `decimals` digits: Fixed(96.24, 1) -> "96.2".
std::string Fixed(double value, int decimals);

// The shortest spelling that reads back the same: 95 -> "95", 0.5 -> "0.5".
std::string Shortest(double value);

// A rough human duration: "45 s", "25 min", "14 h", "3 d 4 h", "2 y 5 d"
// (two units at most; minutes, hours and days are rounded).
std::string HumanDuration(int64_t ms);

// Bytes per second with binary prefixes: "1.5 MiB/s".
std::string HumanRate(double bytes_per_second);

// A value in a summary row's unit ("%", "ms", "B/s", "/s", "MB/s", "" for
// load): "96.2%", "120 ms", "1.5 MiB/s", "0.42"; "-" for NaN.
std::string WithUnit(double value, std::string_view unit);

// "2023-11-14 22:13:20" (UTC).
std::string UtcTime(int64_t ms);
// "2023-11-14T22:13:20Z", for machines and <time datetime>.
std::string IsoTime(int64_t ms);

// {"mountpoint":"/"}; an empty object for no labels.
nlohmann::json LabelsJson(const Labels& labels);

// A number, or null for NaN and infinities (JSON has neither).
nlohmann::json NumberJson(double value);

}  // namespace perfwatch::analysis_format
