#pragma once
// ProcessStatesCollector ("processes"): how many processes are in each
// scheduler state, and how many threads exist, from every /proc/PID/stat.
// Scanning every PID costs far more than the other collectors, so it asks
// the loop to run it only every `interval` (5 s by default).
// One thread at a time.

#include <array>
#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>

#include "collect/collector.h"
#include "collect/proc_reader.h"
#include "model/labels.h"

namespace perfwatch {

// Values of the `state` label. proc(5) letters: R running; S sleeping;
// D disk_sleep; Z zombie; T and t stopped (job control, tracing); I idle
// (kernel threads); anything else (X dead, W paging, P parked...) other.
inline constexpr std::array<std::string_view, 7> kProcessStates = {
    "running", "sleeping", "disk_sleep", "zombie", "stopped", "idle", "other"};

// Index into kProcessStates of a stat state letter.
size_t ProcessStateIndex(char state);

class ProcessStatesCollector final : public Collector {
 public:
  explicit ProcessStatesCollector(const HostPaths& paths,
                                  std::chrono::milliseconds interval = std::chrono::seconds(5));
  ~ProcessStatesCollector() override;
  ProcessStatesCollector(const ProcessStatesCollector&) = delete;
  ProcessStatesCollector& operator=(const ProcessStatesCollector&) = delete;

  std::string_view name() const override { return "processes"; }
  // Processes that exit during the scan are skipped; a malformed stat is
  // skipped too and reported (InvalidArgument naming it) after the counts.
  Status Collect(Appender& out) override;
  std::chrono::milliseconds min_interval() const override { return interval_; }

 private:
  std::string procfs_;
  std::chrono::milliseconds interval_;
  ProcReader reader_;
  bool described_ = false;
  std::array<Labels, kProcessStates.size()> state_labels_;
  // Open /proc/PID/stat descriptors kept between scans: a pread on a kept
  // descriptor costs about half of an open+read+close. A descriptor of a
  // process that died (or whose PID was reused) reads ESRCH and is reopened;
  // PIDs gone from /proc are closed after each scan. At most kMaxKeptFds.
  std::unordered_map<int, int> stat_fds_;
  static constexpr size_t kMaxKeptFds = 2048;

  Result<std::string_view> ReadStat(int dir_fd, int pid, const char* relative);
};

}  // namespace perfwatch
