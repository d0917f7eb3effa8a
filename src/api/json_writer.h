#pragma once
// Appending JSON scalars to a string: the hot path of /api/v1/metrics and
// /ws, hand-rolled because every sample is rendered once per tick and
// nlohmann::json would build a DOM first. Pure functions; thread-safe.

#include <cstdint>
#include <string>
#include <string_view>

namespace perfwatch {

// A JSON string literal, quotes included. Control characters are escaped;
// invalid UTF-8 becomes U+FFFD so the document always parses.
void AppendJsonString(std::string& out, std::string_view text);

// Shortest round-trip form; NaN and ±Inf have no JSON spelling and become null.
void AppendJsonNumber(std::string& out, double value);

void AppendJsonInt(std::string& out, int64_t value);

}  // namespace perfwatch
