#pragma once
// Text pieces the OpenMetrics and CSV formats share: label sets in the
// Prometheus `{a="x",b="y"}` syntax, float values and seconds timestamps
// spelled the way promtool (Go's strconv) reads them. Pure functions;
// thread-safe.

#include <cstddef>
#include <string>
#include <string_view>

#include "model/labels.h"
#include "model/sample.h"
#include "model/status.h"

namespace perfwatch {

// Parses the label set that starts at text[*pos] == '{' through its '}'
// and advances *pos past it. Names are [a-zA-Z_][a-zA-Z0-9_]*, values are
// double-quoted UTF-8 with the escapes \\, \" and \n only; no spaces, no
// trailing comma (promtool rejects both). The result goes through
// Labels::Make (reserved "__" names, duplicates, limits). On error, *pos is
// the offset of the offending byte.
Status ParseLabelSet(std::string_view text, size_t* pos, Labels* labels);

// Go's strconv.ParseFloat as promtool applies it: decimal or exponent form
// with an optional sign, "Inf"/"Infinity" with an optional sign and "NaN"
// in any case; no hex, no '_'. Underflow gives ±0, overflow is an error.
bool ParsePromFloat(std::string_view text, double* value);

// An OpenMetrics timestamp (seconds, a float) as milliseconds, rounded to
// the nearest; false for NaN, ±Inf or beyond the int64 range.
bool ParseSecondsAsMs(std::string_view text, TimestampMs* ms);
// Seconds, spelled so that both the nearest millisecond and promtool's
// int64(seconds * 1000) read back `ms` (|ms| up to 2^53).
void AppendMsAsSeconds(std::string& out, TimestampMs ms);

// Whether `text` is well-formed UTF-8 (no overlong forms or surrogates).
bool IsValidUtf8(std::string_view text);

// Undoes the \\, \" and \n escapes of a label value or OpenMetrics HELP
// text; false on any other escape or a lone trailing backslash.
bool UnescapePromText(std::string_view text, std::string* out);

}  // namespace perfwatch
