#pragma once
// Collector: reads one part of the host (CPU, memory, a watched process...)
// and appends samples into an Appender. It never stores, serves or draws.
//
// A collector may keep state between ticks (previous counters, to derive a
// percent), so each instance is used by one thread at a time: the
// collection loop's. Parsers live beside each collector as pure functions
// over text, tested on captured fixture files.

#include <chrono>
#include <string>
#include <string_view>

#include "model/appender.h"
#include "model/status.h"

namespace perfwatch {

// Where the host's pseudo-filesystems are, so perfwatch can watch a host from
// inside a container (node_exporter's --path.procfs/--path.sysfs/--path.rootfs).
struct HostPaths {
  std::string procfs = "/proc";
  std::string sysfs = "/sys";
  std::string rootfs = "/";  // prefix for mountpoints when calling statvfs
};

class Collector {
 public:
  virtual ~Collector() = default;

  // Short stable name: the `collector` label of perfwatch_collector_* metrics.
  virtual std::string_view name() const = 0;

  // Appends this tick's samples. A non-OK status means the source is missing
  // or unreadable this tick; samples appended before the failure are kept,
  // and the loop reports perfwatch_collector_success{collector} 0.
  virtual Status Collect(Appender& out) = 0;

  // Expensive collectors (a scan of every /proc/PID) ask to run less often
  // than every tick; the loop skips them until this much time has passed.
  virtual std::chrono::milliseconds min_interval() const { return std::chrono::milliseconds(0); }
};

}  // namespace perfwatch
