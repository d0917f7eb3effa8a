#include "interchange/prom_text.h"

#include <charconv>
#include <cmath>
#include <limits>
#include <vector>

namespace perfwatch {
namespace {

bool IsNameStart(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; }
bool IsNameChar(char c) { return IsNameStart(c) || (c >= '0' && c <= '9'); }

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    char x = a[i] >= 'A' && a[i] <= 'Z' ? static_cast<char>(a[i] - 'A' + 'a') : a[i];
    if (x != b[i]) return false;
  }
  return true;
}

// Out of range in from_chars: an underflow when the exponent is negative or
// the digits before it are all zeros, an overflow otherwise.
bool IsUnderflow(std::string_view digits) {
  size_t e = digits.find_first_of("eE");
  if (e != std::string_view::npos) return e + 1 < digits.size() && digits[e + 1] == '-';
  return digits.find_first_of("123456789") == std::string_view::npos;
}

// Offset of the first backslash in `raw` that starts no valid escape.
size_t BadEscapeOffset(std::string_view raw) {
  for (size_t i = 0; i < raw.size(); ++i) {
    if (raw[i] != '\\') continue;
    if (i + 1 == raw.size() || (raw[i + 1] != '\\' && raw[i + 1] != '"' && raw[i + 1] != 'n')) {
      return i;
    }
    ++i;
  }
  return 0;
}

// Scans a quoted label value starting after its opening quote; *pos ends
// after the closing quote.
Status ParseLabelValue(std::string_view text, size_t* pos, std::string* value) {
  size_t start = *pos;
  size_t i = start;
  bool escaped = false;
  while (i < text.size() && text[i] != '"') {
    if (text[i] == '\n') {
      *pos = i;
      return Status::InvalidArgument("raw newline in label value (write \\n)");
    }
    if (text[i] == '\\') {
      escaped = true;
      ++i;
      if (i == text.size()) break;
    }
    ++i;
  }
  if (i >= text.size()) {
    *pos = start - 1;
    return Status::InvalidArgument("unterminated label value");
  }
  std::string_view raw = text.substr(start, i - start);
  value->clear();
  if (escaped && !UnescapePromText(raw, value)) {
    *pos = start + BadEscapeOffset(raw);
    return Status::InvalidArgument("bad escape in label value (allowed: \\\\, \\\" and \\n)");
  }
  if (!escaped) value->assign(raw);
  if (!IsValidUtf8(*value)) {
    *pos = start;
    return Status::InvalidArgument("label value is not valid UTF-8");
  }
  *pos = i + 1;
  return Status::Ok();
}

}  // namespace

Status ParseLabelSet(std::string_view text, size_t* pos, Labels* labels) {
  size_t open = *pos;
  size_t i = open + 1;
  std::vector<Label> parsed;
  if (i < text.size() && text[i] == '}') {
    *pos = i + 1;
    *labels = Labels();
    return Status::Ok();
  }
  for (;;) {
    size_t name_start = i;
    if (i >= text.size() || !IsNameStart(text[i])) {
      *pos = i;
      return Status::InvalidArgument("expected a label name");
    }
    while (i < text.size() && IsNameChar(text[i])) ++i;
    Label label{std::string(text.substr(name_start, i - name_start)), {}};
    if (i >= text.size() || text[i] != '=') {
      *pos = i;
      return Status::InvalidArgument("expected '=' after label name \"" + label.name + "\"");
    }
    if (++i >= text.size() || text[i] != '"') {
      *pos = i;
      return Status::InvalidArgument("expected a quoted value for label \"" + label.name + "\"");
    }
    ++i;
    if (Status s = ParseLabelValue(text, &i, &label.value); !s.ok()) {
      *pos = i;
      return s;
    }
    parsed.push_back(std::move(label));
    if (i < text.size() && text[i] == '}') break;
    if (i >= text.size() || text[i] != ',') {
      *pos = i;
      return Status::InvalidArgument("expected ',' or '}' after a label");
    }
    ++i;
  }
  Result<Labels> made = Labels::Make(std::move(parsed));
  if (!made.ok()) {
    *pos = open;
    return made.status();
  }
  *labels = std::move(made).value();
  *pos = i + 1;
  return Status::Ok();
}

bool ParsePromFloat(std::string_view text, double* value) {
  if (text.empty() || text.find_first_of("pP_") != std::string_view::npos) return false;
  bool negative = text[0] == '-';
  std::string_view rest = text[0] == '-' || text[0] == '+' ? text.substr(1) : text;
  if (EqualsIgnoreCase(rest, "inf") || EqualsIgnoreCase(rest, "infinity")) {
    *value = negative ? -std::numeric_limits<double>::infinity()
                      : std::numeric_limits<double>::infinity();
    return true;
  }
  if (EqualsIgnoreCase(text, "nan")) {
    *value = std::numeric_limits<double>::quiet_NaN();
    return true;
  }
  if (rest.empty() || !((rest[0] >= '0' && rest[0] <= '9') || rest[0] == '.')) return false;
  double parsed = 0;
  auto [end, ec] = std::from_chars(rest.data(), rest.data() + rest.size(), parsed);
  if (end != rest.data() + rest.size()) return false;
  if (ec == std::errc::result_out_of_range) {
    if (!IsUnderflow(rest)) return false;
    parsed = 0;
  } else if (ec != std::errc()) {
    return false;
  }
  *value = negative ? -parsed : parsed;
  return true;
}

bool ParseSecondsAsMs(std::string_view text, TimestampMs* ms) {
  double seconds = 0;
  if (!ParsePromFloat(text, &seconds) || !std::isfinite(seconds)) return false;
  double scaled = seconds * 1000.0;
  // 2^63 is exactly representable; anything at or beyond it does not fit.
  if (!(std::fabs(scaled) < 9223372036854775808.0)) return false;
  *ms = std::llround(scaled);
  return true;
}

void AppendMsAsSeconds(std::string& out, TimestampMs ms) {
  // t/1000 rounded to a double may land just below the millisecond, which
  // promtool's truncation would turn into ms-1: step to a neighbouring
  // double that both truncation and rounding read as `ms`.
  double seconds = static_cast<double>(ms) / 1000.0;
  for (int step = 0; step < 8; ++step) {
    double scaled = seconds * 1000.0;
    auto truncated = static_cast<TimestampMs>(std::trunc(scaled));
    if (truncated == ms && std::llround(scaled) == ms) break;
    bool too_small = ms >= 0 ? truncated < ms : std::llround(scaled) < ms;
    double toward = too_small ? std::numeric_limits<double>::infinity()
                              : -std::numeric_limits<double>::infinity();
    seconds = std::nextafter(seconds, toward);
  }
  char buf[32];
  auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), seconds);
  out.append(buf, end);
}

bool IsValidUtf8(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      ++i;
      continue;
    }
    size_t len = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC2 ? 2 : 0;
    if (len == 0 || c > 0xF4 || i + len > s.size()) return false;
    for (size_t k = 1; k < len; ++k) {
      if ((static_cast<unsigned char>(s[i + k]) & 0xC0) != 0x80) return false;
    }
    auto c1 = static_cast<unsigned char>(s[i + 1]);
    if ((c == 0xE0 && c1 < 0xA0) || (c == 0xED && c1 >= 0xA0) || (c == 0xF0 && c1 < 0x90) ||
        (c == 0xF4 && c1 >= 0x90)) {
      return false;
    }
    i += len;
  }
  return true;
}

bool UnescapePromText(std::string_view text, std::string* out) {
  out->clear();
  out->reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '\\') {
      *out += text[i];
      continue;
    }
    if (++i == text.size()) return false;
    switch (text[i]) {
      case '\\':
        *out += '\\';
        break;
      case '"':
        *out += '"';
        break;
      case 'n':
        *out += '\n';
        break;
      default:
        return false;
    }
  }
  return true;
}

}  // namespace perfwatch
