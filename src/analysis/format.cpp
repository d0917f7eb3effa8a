#include "analysis/format.h"

#include <cmath>
#include <cstdio>

namespace perfwatch::analysis_format {

std::string Fixed(double value, int decimals) {
  if (std::isnan(value)) return "NaN";
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, value);
  return buf;
}

std::string Shortest(double value) {
  std::string out;
  AppendPrometheusFloat(out, value);
  return out;
}

namespace {

std::string TwoUnits(int64_t big, std::string_view big_unit, int64_t small,
                     std::string_view small_unit) {
  std::string out = std::to_string(big);
  out.append(" ").append(big_unit);
  if (small > 0) out.append(" ").append(std::to_string(small)).append(" ").append(small_unit);
  return out;
}

}  // namespace

std::string HumanDuration(int64_t ms) {
  if (ms < 0) ms = 0;
  const int64_t s = (ms + 500) / 1000;
  if (s < 60) return std::to_string(s) + " s";
  const int64_t min = (s + 30) / 60;
  if (min < 60) return std::to_string(min) + " min";
  if (min < 10 * 60) return TwoUnits(min / 60, "h", min % 60, "min");
  const int64_t h = (min + 30) / 60;
  if (h < 48) return std::to_string(h) + " h";
  if (h < 365 * 24) return TwoUnits(h / 24, "d", h % 24, "h");
  const int64_t d = (h + 12) / 24;
  return TwoUnits(d / 365, "y", d % 365, "d");
}

std::string HumanRate(double bytes_per_second) {
  static constexpr std::string_view kUnits[] = {"B/s", "KiB/s", "MiB/s", "GiB/s", "TiB/s"};
  if (std::isnan(bytes_per_second)) return "NaN";
  double v = bytes_per_second;
  size_t unit = 0;
  while (std::fabs(v) >= 1024 && unit + 1 < std::size(kUnits)) {
    v /= 1024;
    ++unit;
  }
  return Fixed(v, unit == 0 ? 0 : 1) + " " + std::string(kUnits[unit]);
}

nlohmann::json LabelsJson(const Labels& labels) {
  nlohmann::json out = nlohmann::json::object();
  for (const Label& l : labels) out[l.name] = l.value;
  return out;
}

nlohmann::json NumberJson(double value) {
  if (!std::isfinite(value)) return nullptr;
  return value;
}

}  // namespace perfwatch::analysis_format
