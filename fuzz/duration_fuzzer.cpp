// ParseDuration on arbitrary text. Every parsed value is whole milliseconds,
// so FormatDuration must spell it in a way ParseDuration reads back exactly.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "model/duration.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto ms = perfwatch::ParseDuration(text);
  if (!ms.ok()) return 0;
  if (*ms < 0) __builtin_trap();
  const std::string formatted = perfwatch::FormatDuration(*ms);
  auto again = perfwatch::ParseDuration(formatted);
  if (!again.ok() || *again != *ms) __builtin_trap();
  // The formatted spelling is canonical: formatting it again changes nothing.
  if (perfwatch::FormatDuration(*again) != formatted) __builtin_trap();
  return 0;
}
