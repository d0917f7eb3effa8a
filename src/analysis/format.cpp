#include "analysis/format.h"

#include <cmath>
#include <cstdio>
#include <ctime>

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

std::string WithUnit(double v, std::string_view unit) {
  if (std::isnan(v)) return "-";
  if (unit == "B/s") return HumanRate(v);
  if (unit.empty()) return Fixed(v, std::fabs(v) >= 1000 ? 0 : 2);
  const std::string number = Fixed(v, std::fabs(v) >= 100 && unit != "%" ? 0 : 1);
  if (unit == "%" || unit == "/s") return number + std::string(unit);
  return number + " " + std::string(unit);
}

namespace {

std::string FormatUtc(int64_t ms, const char* format) {
  const std::time_t secs = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, format, &tm);
  return buf;
}

}  // namespace

std::string UtcTime(int64_t ms) { return FormatUtc(ms, "%Y-%m-%d %H:%M:%S"); }

std::string IsoTime(int64_t ms) { return FormatUtc(ms, "%Y-%m-%dT%H:%M:%SZ"); }

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
