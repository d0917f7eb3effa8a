#pragma once
// Byte sizes as config and flags take them (--max-disk 2GiB). Pure
// functions; thread-safe.

#include <cstdint>
#include <string>
#include <string_view>

#include "model/status.h"

namespace perfwatch {

// A whole or decimal number and an optional unit, case-insensitive,
// optionally after a space. B or none: bytes; KiB MiB GiB TiB and the bare
// K M G T: powers of 1024 (as systemd and `ls -h`); KB MB GB TB: powers of
// 1000 (as disks are sold). Rounded to the nearest byte. "2GiB", "500MB",
// "1.5G", "1048576". Errors name the text.
Result<uint64_t> ParseByteSize(std::string_view text);

// The shortest spelling ParseByteSize reads back exactly: 2147483648 ->
// "2GiB", 500000000 -> "500MB", 1500 -> "1500B".
std::string FormatByteSize(uint64_t bytes);

}  // namespace perfwatch
