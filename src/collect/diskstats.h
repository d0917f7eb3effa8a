#pragma once
// DiskstatsCollector ("diskstats"): I/O counters and utilization of each
// whole block device, from /proc/diskstats. One thread at a time.

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "collect/clock.h"
#include "collect/collector.h"
#include "collect/proc_reader.h"
#include "collect/series_cache.h"
#include "model/labels.h"

namespace perfwatch {

// One /proc/diskstats line (Documentation/admin-guide/iostats.rst).
struct DiskStats {
  std::string_view device;    // a view into the parsed text
  uint64_t reads = 0;         // reads completed
  uint64_t read_sectors = 0;  // 512-byte sectors, whatever the device's block size
  uint64_t read_ms = 0;
  uint64_t writes = 0;
  uint64_t written_sectors = 0;
  uint64_t write_ms = 0;
  uint64_t io_ms = 0;  // time with at least one I/O in flight
};

// Every device line, in file order. Lines need the 14 fields of Linux 2.6+;
// the 7-field partition lines of 2.6.0–2.6.24 fill reads, sectors and writes
// only. Errors name the line.
Result<std::vector<DiskStats>> ParseDiskstats(std::string_view text);

// node_exporter's default device exclusion, without std::regex:
// ^(z?ram|loop|fd|(h|s|v|xv)d[a-z]|nvme\d+n\d+p)\d+$ (RAM disks, loop
// devices, floppies, and partitions of whole disks already counted).
bool IsIgnoredDiskDevice(std::string_view device);

class DiskstatsCollector final : public Collector {
 public:
  explicit DiskstatsCollector(const HostPaths& paths, CollectClock clock = {});

  std::string_view name() const override { return "diskstats"; }
  Status Collect(Appender& out) override;

 private:
  struct Device {
    Labels labels;  // {device}
    uint64_t prev_io_ms = 0;
    bool has_prev = false;
  };

  ProcFile diskstats_;
  CollectClock clock_;
  ProcReader reader_;
  bool described_ = false;
  SeriesCache<Device> devices_;
  std::chrono::steady_clock::time_point prev_time_;
};

}  // namespace perfwatch
