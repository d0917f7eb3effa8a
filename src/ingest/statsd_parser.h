#pragma once
// The StatsD / DogStatsD datagram format, parsed line by line without
// copying or allocating (docs/METRICS.md, "StatsD"):
//
//   name ':' value (':' value)* '|' type ( '|' section )*
//   type     c | g | ms | h | d | s
//   section  '@' rate            0 < rate <= 1, default 1
//            '#' tag (',' tag)*  tag = key [':' value]; a key alone means "true"
//            'c:' container id   accepted and ignored (DogStatsD 1.2)
//            'T' unix seconds    the sample's time (DogStatsD 1.3)
//            'e:' / 'card:'      accepted and ignored (DogStatsD external data,
//                                tag cardinality)
//
// Values are finite decimal numbers (no NaN, Inf, hex or '_'). A gauge value
// signed with '+' or '-' is a delta, an unsigned one replaces the gauge (so a
// gauge is set below zero by "0" then "-5", as in Etsy's statsd). A counter
// value must not be negative: a Prometheus counter never goes down. A set
// takes everything between the first ':' and the first '|' as one member
// (DogStatsD does not pack set values, so a member may contain ':').
//
// Lines are separated by '\n'; a '\r' before it is dropped and empty lines
// are skipped. Each rejected line gets one StatsdError; the other lines of a
// datagram are unaffected. DogStatsD events ("_e{...") and service checks
// ("_sc|...") are refused as kUnsupported.
//
// Pure functions; thread-safe. A StatsdLine is reused from line to line so
// the hot path does not allocate once its value vector has grown.

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>
#include <vector>

#include "model/sample.h"

namespace perfwatch {

enum class StatsdType : uint8_t { kCounter, kGauge, kTimer, kHistogram, kDistribution, kSet };
// The wire spelling: "c", "g", "ms", "h", "d", "s".
std::string_view ToString(StatsdType type);

// Why a line was refused; ToString gives the `reason` label of
// perfwatch_ingest_errors_total{source="statsd"}.
enum class StatsdError : uint8_t {
  kNone,
  kEmptyName,        // "empty_name": ":1|c"
  kMissingValue,     // "missing_value": "x|c", "x:|c"
  kMissingType,      // "missing_type": "x:1", "x:1|"
  kBadType,          // "bad_type": "x:1|q"
  kBadValue,         // "bad_value": "x:abc|c", "x:NaN|g", "x:1::2|ms"
  kBadSampleRate,    // "bad_sample_rate": "x:1|c|@0", "x:1|c|@Infinity"
  kBadTags,          // "bad_tags": a tag with an empty key ("|#:v")
  kBadTimestamp,     // "bad_timestamp": "|T", "|T-1", "|T1.5"
  kBadSection,       // "bad_section": "|x", an empty or repeated section
  kBadUtf8,          // "bad_utf8"
  kLineTooLong,      // "line_too_long"
  kUnsupported,      // "unsupported": DogStatsD events and service checks
  kNegativeCounter,  // "negative_counter": "x:-1|c"
};
std::string_view ToString(StatsdError error);

struct StatsdValue {
  double value = 0;
  bool delta = false;  // a gauge value written with '+' or '-'
};

// One parsed line. Views point into the parsed text.
struct StatsdLine {
  std::string_view name;  // as sent, not yet sanitized; never empty
  StatsdType type = StatsdType::kCounter;
  std::vector<StatsdValue> values;  // one or more; empty for kSet
  std::string_view member;          // kSet only; never empty
  double sample_rate = 1;
  std::string_view tags;         // the "|#" section without '#'; "" when absent
  TimestampMs timestamp_ms = 0;  // from "|T<seconds>"; 0 when absent
};

struct StatsdParseOptions {
  // Longer lines are refused whole (DogStatsD clients send at most 8 KiB
  // datagrams by default; 64 KiB is the UDP maximum).
  size_t max_line_bytes = 16 * 1024;
};

// Parses one line (without its '\n'; an empty one is kEmptyName).
// On kNone `*out` holds the line; otherwise `*out` is unspecified.
StatsdError ParseStatsdLine(std::string_view line, StatsdLine* out,
                            const StatsdParseOptions& options = {});

// A finite decimal number: [+-]? (digits ['.' digits*] | '.' digits) [exponent].
bool ParseStatsdNumber(std::string_view text, double* value);

// Calls visit(line) for each non-empty line of a datagram, '\r' stripped.
template <typename Visit>
void ForEachStatsdLine(std::string_view packet, Visit&& visit) {
  const char* p = packet.data();
  const char* end = p + packet.size();
  while (p < end) {
    const char* nl = static_cast<const char*>(std::memchr(p, '\n', end - p));
    const char* line_end = nl == nullptr ? end : nl;
    size_t n = line_end - p;
    if (n > 0 && p[n - 1] == '\r') --n;
    if (n > 0) visit(std::string_view(p, n));
    p = line_end + 1;
  }
}

// Calls visit(key, value) for each tag of a tags section that
// ParseStatsdLine accepted: empty tags (",,") are skipped, the key ends at
// the first ':', and a tag without ':' has the value "true".
template <typename Visit>
void ForEachStatsdTag(std::string_view tags, Visit&& visit) {
  while (!tags.empty()) {
    size_t comma = tags.find(',');
    std::string_view tag = tags.substr(0, comma);
    if (!tag.empty()) {
      size_t colon = tag.find(':');
      if (colon == std::string_view::npos) {
        visit(tag, std::string_view("true"));
      } else {
        visit(tag.substr(0, colon), tag.substr(colon + 1));
      }
    }
    if (comma == std::string_view::npos) break;
    tags.remove_prefix(comma + 1);
  }
}

}  // namespace perfwatch
