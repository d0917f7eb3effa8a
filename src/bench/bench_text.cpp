#include "bench/bench_text.h"

#include <array>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdio>

#include "model/html.h"

namespace perfwatch::bench_text {

std::string Escape(std::string_view text) { return html::Escape(text); }

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
