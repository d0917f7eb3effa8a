#include "ingest/statsd_parser.h"

#include <charconv>
#include <cmath>
#include <limits>
#include <utility>

#include "interchange/prom_text.h"

namespace perfwatch {

namespace {

constexpr auto npos = std::string_view::npos;

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// Most datagrams are ASCII: one OR over the bytes spares the UTF-8 decoder.
bool IsAscii(std::string_view s) {
  unsigned char any = 0;
  for (char c : s) any |= static_cast<unsigned char>(c);
  return any < 0x80;
}

bool ParseType(std::string_view text, StatsdType* type) {
  if (text.size() == 1) {
    switch (text[0]) {
      case 'c':
        *type = StatsdType::kCounter;
        return true;
      case 'g':
        *type = StatsdType::kGauge;
        return true;
      case 'h':
        *type = StatsdType::kHistogram;
        return true;
      case 'd':
        *type = StatsdType::kDistribution;
        return true;
      case 's':
        *type = StatsdType::kSet;
        return true;
      default:
        return false;
    }
  }
  if (text == "ms") {
    *type = StatsdType::kTimer;
    return true;
  }
  return false;
}

// All values of "v1:v2:..." or none: a line with one bad value is refused whole.
StatsdError ParseValues(std::string_view text, StatsdType type, std::vector<StatsdValue>* values) {
  values->clear();
  for (;;) {
    size_t colon = text.find(':');
    std::string_view v = text.substr(0, colon);
    StatsdValue value;
    value.delta = type == StatsdType::kGauge && !v.empty() && (v[0] == '+' || v[0] == '-');
    if (!ParseStatsdNumber(v, &value.value)) return StatsdError::kBadValue;
    if (type == StatsdType::kCounter && value.value < 0) return StatsdError::kNegativeCounter;
    values->push_back(value);
    if (colon == npos) return StatsdError::kNone;
    text.remove_prefix(colon + 1);
  }
}

bool ParseSampleRate(std::string_view text, double* rate) {
  return ParseStatsdNumber(text, rate) && *rate > 0 && *rate <= 1;
}

// Unix seconds, a positive integer, as milliseconds.
bool ParseTimestamp(std::string_view text, TimestampMs* ms) {
  if (text.empty() || !IsDigit(text[0])) return false;
  int64_t seconds = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), seconds);
  if (ec != std::errc() || end != text.data() + text.size()) return false;
  if (seconds <= 0 || seconds > std::numeric_limits<int64_t>::max() / 1000) return false;
  *ms = seconds * 1000;
  return true;
}

// Every non-empty tag needs a key; the value may be empty or absent.
bool ValidTags(std::string_view tags) {
  bool ok = true;
  ForEachStatsdTag(tags, [&ok](std::string_view key, std::string_view) { ok &= !key.empty(); });
  return ok;
}

struct SeenSections {
  bool rate = false, tags = false, timestamp = false, container = false, external = false,
       cardinality = false;
};

// Returns false for a section seen before.
bool Once(bool& seen) { return !std::exchange(seen, true); }

StatsdError ParseSection(std::string_view section, SeenSections& seen, StatsdLine* out) {
  if (section.empty()) return StatsdError::kBadSection;
  switch (section[0]) {
    case '@':
      if (!Once(seen.rate)) return StatsdError::kBadSection;
      return ParseSampleRate(section.substr(1), &out->sample_rate) ? StatsdError::kNone
                                                                   : StatsdError::kBadSampleRate;
    case '#':
      if (!Once(seen.tags)) return StatsdError::kBadSection;
      out->tags = section.substr(1);
      return ValidTags(out->tags) ? StatsdError::kNone : StatsdError::kBadTags;
    case 'T':
      if (!Once(seen.timestamp)) return StatsdError::kBadSection;
      return ParseTimestamp(section.substr(1), &out->timestamp_ms) ? StatsdError::kNone
                                                                   : StatsdError::kBadTimestamp;
    default:
      break;
  }
  if (section.starts_with("c:"))
    return Once(seen.container) ? StatsdError::kNone : StatsdError::kBadSection;
  if (section.starts_with("e:"))
    return Once(seen.external) ? StatsdError::kNone : StatsdError::kBadSection;
  if (section.starts_with("card:")) {
    return Once(seen.cardinality) ? StatsdError::kNone : StatsdError::kBadSection;
  }
  return StatsdError::kBadSection;
}

// `rest` starts after the '|' that follows the values.
StatsdError ParseTypeAndSections(std::string_view rest, StatsdLine* out) {
  size_t pipe = rest.find('|');
  std::string_view type = rest.substr(0, pipe);
  if (type.empty()) return StatsdError::kMissingType;
  if (!ParseType(type, &out->type)) return StatsdError::kBadType;
  SeenSections seen;
  while (pipe != npos) {
    rest.remove_prefix(pipe + 1);
    pipe = rest.find('|');
    StatsdError error = ParseSection(rest.substr(0, pipe), seen, out);
    if (error != StatsdError::kNone) return error;
  }
  return StatsdError::kNone;
}

void ResetLine(StatsdLine* out) {
  out->values.clear();
  out->member = {};
  out->sample_rate = 1;
  out->tags = {};
  out->timestamp_ms = 0;
}

}  // namespace

std::string_view ToString(StatsdType type) {
  switch (type) {
    case StatsdType::kCounter:
      return "c";
    case StatsdType::kGauge:
      return "g";
    case StatsdType::kTimer:
      return "ms";
    case StatsdType::kHistogram:
      return "h";
    case StatsdType::kDistribution:
      return "d";
    case StatsdType::kSet:
      return "s";
  }
  return "?";
}

std::string_view ToString(StatsdError error) {
  switch (error) {
    case StatsdError::kNone:
      return "none";
    case StatsdError::kEmptyName:
      return "empty_name";
    case StatsdError::kMissingValue:
      return "missing_value";
    case StatsdError::kMissingType:
      return "missing_type";
    case StatsdError::kBadType:
      return "bad_type";
    case StatsdError::kBadValue:
      return "bad_value";
    case StatsdError::kBadSampleRate:
      return "bad_sample_rate";
    case StatsdError::kBadTags:
      return "bad_tags";
    case StatsdError::kBadTimestamp:
      return "bad_timestamp";
    case StatsdError::kBadSection:
      return "bad_section";
    case StatsdError::kBadUtf8:
      return "bad_utf8";
    case StatsdError::kLineTooLong:
      return "line_too_long";
    case StatsdError::kUnsupported:
      return "unsupported";
    case StatsdError::kNegativeCounter:
      return "negative_counter";
  }
  return "unknown";
}

bool ParseStatsdNumber(std::string_view text, double* value) {
  const char* p = text.data();
  const char* end = p + text.size();
  bool negative = false;
  if (p < end && (*p == '+' || *p == '-')) negative = *p++ == '-';
  // from_chars alone would take "inf", "nan" and "infinity".
  if (p == end || !(IsDigit(*p) || *p == '.')) return false;
  double v = 0;
  auto [stop, ec] = std::from_chars(p, end, v, std::chars_format::general);
  if (ec != std::errc() || stop != end || !std::isfinite(v)) return false;
  *value = negative ? -v : v;
  return true;
}

StatsdError ParseStatsdLine(std::string_view line, StatsdLine* out,
                            const StatsdParseOptions& options) {
  if (line.size() > options.max_line_bytes) return StatsdError::kLineTooLong;
  if (line.starts_with("_e{") || line.starts_with("_sc|")) return StatsdError::kUnsupported;
  if (!IsAscii(line) && !IsValidUtf8(line)) return StatsdError::kBadUtf8;
  ResetLine(out);
  size_t pipe = line.find('|');
  std::string_view head = line.substr(0, pipe);
  size_t colon = head.find(':');
  if (colon == 0 || head.empty()) return StatsdError::kEmptyName;
  if (colon == npos || colon + 1 == head.size()) return StatsdError::kMissingValue;
  out->name = head.substr(0, colon);
  std::string_view values = head.substr(colon + 1);
  if (pipe == npos) return StatsdError::kMissingType;
  if (StatsdError e = ParseTypeAndSections(line.substr(pipe + 1), out); e != StatsdError::kNone) {
    return e;
  }
  if (out->type == StatsdType::kSet) {
    out->member = values;
    return StatsdError::kNone;
  }
  return ParseValues(values, out->type, &out->values);
}

}  // namespace perfwatch
