#pragma once
// `perfwatch check` without --url: one collection from /proc, /sys and
// statvfs through perfwatch's own collectors and parsers, judged against
// thresholds given as flags (docs/CHECK.md). Blocks for `sample` (CPU
// percents need two readings). Thread-safe: every call owns its readers.

#include <chrono>
#include <string>
#include <vector>

#include "collect/collector.h"
#include "commands/check_verdict.h"

namespace perfwatch {

// Defaults: seed 004's alerting thresholds (CPU 80 %, memory 85 %, disk
// 90 %) as warnings, seed 000's Critical class bounds (CPU 90 %, memory
// 95 %) as criticals.
struct LocalCheckOptions {
  HostPaths paths;
  // Time between the two /proc/stat readings behind the CPU percent.
  std::chrono::milliseconds sample{1000};
  Threshold cpu{80, 90};                // percent busy, all CPUs together
  Threshold memory{85, 95};             // percent of MemTotal not available
  Threshold swap{};                     // percent of swap used; off by default
  Threshold disk{90, 95};               // df's used percent, per path
  Threshold load{2, 4};                 // 1-minute load average per online CPU
  Threshold process_rss{};              // bytes, the largest matching process
  std::vector<std::string> disks{"/"};  // paths inside rootfs
  // Names (comm or argv[0], as --watch-process) or PIDs that must run.
  std::vector<std::string> processes;
};

// Items in the order cpu, memory, swap, load, each disk, each process. A
// figure that cannot be read is UNKNOWN; a disk path that cannot be
// statted and a process that does not run are CRITICAL.
std::vector<CheckItem> RunLocalCheck(const LocalCheckOptions& options);

}  // namespace perfwatch
