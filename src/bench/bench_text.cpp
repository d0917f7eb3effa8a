#include "bench/bench_text.h"

#include <array>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdio>

namespace perfwatch::bench_text {

namespace {

constexpr std::string_view kReplacement = "\xEF\xBF\xBD";  // U+FFFD

// The length of the valid UTF-8 sequence at the start of `s`, or 0.
size_t ValidSequence(std::string_view s) {
  const auto byte = [&](size_t i) { return static_cast<uint8_t>(s[i]); };
  const uint8_t b0 = byte(0);
  size_t len = 0;
  uint32_t min = 0;
  uint32_t cp = 0;
  if (b0 < 0x80) return 1;
  if ((b0 & 0xE0) == 0xC0) {
    len = 2, min = 0x80, cp = b0 & 0x1F;
  } else if ((b0 & 0xF0) == 0xE0) {
    len = 3, min = 0x800, cp = b0 & 0x0F;
  } else if ((b0 & 0xF8) == 0xF0) {
    len = 4, min = 0x10000, cp = b0 & 0x07;
  } else {
    return 0;
  }
  if (s.size() < len) return 0;
  for (size_t i = 1; i < len; ++i) {
    if ((byte(i) & 0xC0) != 0x80) return 0;
    cp = (cp << 6) | (byte(i) & 0x3F);
  }
  if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
  return len;
}

const char* Entity(char c) {
  switch (c) {
    case '&':
      return "&amp;";
    case '<':
      return "&lt;";
    case '>':
      return "&gt;";
    case '"':
      return "&quot;";
    case '\'':
      return "&#39;";
    default:
      return nullptr;
  }
}

}  // namespace

std::string Escape(std::string_view text) {
  std::string out;
  out.reserve(text.size() + text.size() / 8);
  size_t i = 0;
  while (i < text.size()) {
    if (const char* entity = Entity(text[i])) {
      out += entity;
      ++i;
      continue;
    }
    const auto u = static_cast<uint8_t>(text[i]);
    const bool control = u < 0x20 && u != '\t' && u != '\n' && u != '\r';
    const size_t len = control ? 0 : ValidSequence(text.substr(i));
    if (len == 0) {
      out += kReplacement;
      ++i;
      continue;
    }
    out.append(text.substr(i, len));
    i += len;
  }
  return out;
}

std::string Shortest(double v) {
  if (!std::isfinite(v)) return "";
  std::array<char, 32> buf{};
  const auto [end, ec] = std::to_chars(buf.data(), buf.data() + buf.size(), v);
  if (ec != std::errc()) return "";
  return std::string(buf.data(), end);
}

std::string Significant(double v) {
  const double a = std::abs(v);
  return Fixed(v, a >= 99.95 ? 0 : a >= 9.995 ? 1 : 2);
}

std::string Fixed(double v, int decimals) {
  if (!std::isfinite(v)) return "-";
  std::array<char, 64> buf{};
  std::snprintf(buf.data(), buf.size(), "%.*f", decimals, v);
  std::string s = buf.data();
  if (s.find_first_not_of("-0.") == std::string::npos && s[0] == '-') s.erase(0, 1);  // "-0.0"
  return s;
}

TimeUnit TimeUnitFor(double seconds) {
  const double a = std::abs(seconds);
  if (a >= 1) return {"s", 1};
  if (a >= 1e-3 || a == 0) return {"ms", 1e3};
  return {"µs", 1e6};
}

std::string HumanSeconds(double seconds) {
  if (!std::isfinite(seconds)) return "-";
  const TimeUnit unit = TimeUnitFor(seconds);
  return Significant(seconds * unit.per_second) + " " + unit.name;
}

std::string HumanBytes(double bytes) {
  if (!std::isfinite(bytes)) return "-";
  static constexpr const char* kUnits[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  size_t i = 0;
  double v = bytes;
  while (std::abs(v) >= 1024 && i + 1 < std::size(kUnits)) {
    v /= 1024;
    ++i;
  }
  return (i == 0 ? Fixed(v, 0) : Significant(v)) + " " + kUnits[i];
}

}  // namespace perfwatch::bench_text
