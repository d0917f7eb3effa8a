#pragma once
// CRC-32C (Castagnoli), the checksum of sealed chunks: it catches every
// single-bit and burst error up to 32 bits in a chunk read back from disk.
// Pure function; thread-safe.

#include <cstdint>
#include <string_view>

namespace perfwatch {

// CRC-32C of `data`, continuing from `crc` (0 to start).
uint32_t Crc32c(std::string_view data, uint32_t crc = 0);

}  // namespace perfwatch
