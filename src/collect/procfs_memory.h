#pragma once
// MemoryCollector ("memory"): RAM and swap from /proc/meminfo.
// One thread at a time.

#include <cstdint>
#include <string>
#include <string_view>

#include "collect/collector.h"
#include "collect/proc_reader.h"

namespace perfwatch {

// The /proc/meminfo fields perfwatch reports, converted from kB to bytes.
struct MemInfo {
  uint64_t total = 0;      // MemTotal
  uint64_t free = 0;       // MemFree
  uint64_t available = 0;  // MemAvailable; before Linux 3.14: MemFree + Buffers + Cached
  uint64_t buffers = 0;    // Buffers
  uint64_t cached = 0;     // Cached (page cache; SReclaimable not added)
  uint64_t swap_total = 0;
  uint64_t swap_free = 0;
};

// Needs MemTotal and MemFree; other missing fields stay 0. Errors name the line.
Result<MemInfo> ParseMeminfo(std::string_view text);

class MemoryCollector final : public Collector {
 public:
  explicit MemoryCollector(const HostPaths& paths);

  std::string_view name() const override { return "memory"; }
  Status Collect(Appender& out) override;

 private:
  ProcFile meminfo_;
  ProcReader reader_;
  bool described_ = false;
};

}  // namespace perfwatch
