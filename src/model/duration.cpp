#include "model/duration.h"

#include <charconv>
#include <cmath>

namespace perfwatch {
namespace {

constexpr int64_t kMaxMs = int64_t{10} * 365 * 24 * 3600 * 1000;  // ten years

struct Unit {
  std::string_view suffix;
  int64_t ms;
};
// "ms" before "m" so the longest suffix wins.
constexpr Unit kUnits[] = {
    {"ms", 1},         {"s", 1000},        {"m", 60'000},        {"h", 3'600'000},
    {"d", 86'400'000}, {"w", 604'800'000}, {"y", 31'536'000'000}};

Status Bad(std::string_view text, std::string_view why) {
  return Status::InvalidArgument("invalid duration \"" + std::string(text) +
                                 "\": " + std::string(why) + " (examples: 500ms, 15s, 1m, 1h30m)");
}

}  // namespace

Result<int64_t> ParseDuration(std::string_view text) {
  if (text.empty()) return Bad(text, "empty");
  // A bare number is seconds, possibly fractional (seed 000's MONITORING_INTERVAL=60).
  double seconds = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), seconds);
  if (ec == std::errc() && end == text.data() + text.size()) {
    if (!(seconds >= 0) || seconds * 1000 > static_cast<double>(kMaxMs)) {
      return Bad(text, "out of range");
    }
    return static_cast<int64_t>(std::llround(seconds * 1000));
  }
  int64_t total = 0;
  std::string_view rest = text;
  while (!rest.empty()) {
    int64_t n = 0;
    auto [p, err] = std::from_chars(rest.data(), rest.data() + rest.size(), n);
    if (err != std::errc() || n < 0) return Bad(text, "expected a whole number");
    rest.remove_prefix(p - rest.data());
    const Unit* unit = nullptr;
    for (const Unit& u : kUnits) {
      if (rest.starts_with(u.suffix)) {
        unit = &u;
        break;
      }
    }
    if (!unit) return Bad(text, "expected a unit: ms, s, m, h, d, w or y");
    rest.remove_prefix(unit->suffix.size());
    if (n > kMaxMs / unit->ms || total + n * unit->ms > kMaxMs) return Bad(text, "out of range");
    total += n * unit->ms;
  }
  return total;
}

std::string FormatDuration(int64_t ms) {
  if (ms == 0) return "0s";
  if (ms % 1000 != 0) return std::to_string(ms) + "ms";
  std::string out;
  int64_t rest = ms / 1000;
  constexpr std::pair<int64_t, char> kParts[] = {{86400, 'd'}, {3600, 'h'}, {60, 'm'}, {1, 's'}};
  for (auto [size, suffix] : kParts) {
    if (rest >= size) {
      out += std::to_string(rest / size);
      out += suffix;
      rest %= size;
    }
  }
  return out;
}

}  // namespace perfwatch
