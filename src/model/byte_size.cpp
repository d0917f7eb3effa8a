#include "model/byte_size.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>

namespace perfwatch {
namespace {

struct SizeUnit {
  std::string_view name;  // as FormatByteSize writes it; read case-insensitively
  uint64_t bytes;
};
constexpr uint64_t kKiB = 1024, kKB = 1000;
// FormatByteSize tries those of two letters or more, earlier ones first.
constexpr SizeUnit kSizeUnits[] = {
    {"TiB", kKiB* kKiB* kKiB* kKiB},
    {"TB", kKB* kKB* kKB* kKB},
    {"GiB", kKiB* kKiB* kKiB},
    {"GB", kKB* kKB* kKB},
    {"MiB", kKiB* kKiB},
    {"MB", kKB* kKB},
    {"KiB", kKiB},
    {"KB", kKB},
    {"T", kKiB* kKiB* kKiB* kKiB},
    {"G", kKiB* kKiB* kKiB},
    {"M", kKiB* kKiB},
    {"K", kKiB},
    {"B", 1},
    {"", 1},
};

bool EqualsIgnoringCase(std::string_view a, std::string_view b) {
  return std::equal(a.begin(), a.end(), b.begin(), b.end(), [](char x, char y) {
    return std::tolower(static_cast<unsigned char>(x)) ==
           std::tolower(static_cast<unsigned char>(y));
  });
}

Status BadSize(std::string_view text, std::string_view why) {
  return Status::InvalidArgument("invalid size \"" + std::string(text) + "\": " + std::string(why) +
                                 " (examples: 2GiB, 500MB, 1.5G, 1048576)");
}

const SizeUnit* FindSizeUnit(std::string_view unit) {
  for (const SizeUnit& u : kSizeUnits) {
    if (EqualsIgnoringCase(u.name, unit)) return &u;
  }
  return nullptr;
}

}  // namespace

Result<uint64_t> ParseByteSize(std::string_view text) {
  size_t digits = 0;
  while (digits < text.size() &&
         (std::isdigit(static_cast<unsigned char>(text[digits])) || text[digits] == '.')) {
    ++digits;
  }
  const std::string_view number = text.substr(0, digits);
  std::string_view unit_text = text.substr(digits);
  if (unit_text.size() > 1 && unit_text.front() == ' ') unit_text.remove_prefix(1);
  if (number.empty() || number.front() == '.' || number.back() == '.') {
    return BadSize(text, "expected a number, then a unit");
  }
  const SizeUnit* unit = FindSizeUnit(unit_text);
  if (!unit)
    return BadSize(text, "expected a unit: B, KiB, MiB, GiB, TiB, KB, MB, GB, TB or K, M, G, T");
  const char* first = number.data();
  const char* last = number.data() + number.size();
  if (number.find('.') == std::string_view::npos) {
    uint64_t n = 0;
    uint64_t bytes = 0;
    auto [end, ec] = std::from_chars(first, last, n);
    if (ec != std::errc() || end != last || __builtin_mul_overflow(n, unit->bytes, &bytes)) {
      return BadSize(text, "out of range");
    }
    return bytes;
  }
  double x = 0;
  auto [end, ec] = std::from_chars(first, last, x);
  if (ec != std::errc() || end != last) return BadSize(text, "expected one decimal point");
  const double bytes = std::round(x * static_cast<double>(unit->bytes));
  if (!(bytes < 18446744073709551616.0)) return BadSize(text, "out of range");
  return static_cast<uint64_t>(bytes);
}

std::string FormatByteSize(uint64_t bytes) {
  std::string best = std::to_string(bytes) + "B";
  if (bytes == 0) return best;
  for (const SizeUnit& u : kSizeUnits) {
    if (u.name.size() < 2 || bytes % u.bytes != 0) continue;
    std::string text = std::to_string(bytes / u.bytes) + std::string(u.name);
    if (text.size() < best.size()) best = std::move(text);
  }
  return best;
}

}  // namespace perfwatch
