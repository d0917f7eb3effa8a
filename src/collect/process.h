#pragma once
// WatchedProcessCollector ("process"): CPU, memory, threads, open files and
// uptime of the processes named by --watch-process, labelled {name, pid}.
// A target that is all digits is a PID, watched directly; any other target
// is a process name, matched like pgrep against every /proc/PID's comm (for
// names longer than comm's 15 bytes, against the basename of argv[0]), and
// every matching PID is reported.
// One thread at a time.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "collect/clock.h"
#include "collect/collector.h"
#include "collect/proc_reader.h"
#include "collect/procfs_pid.h"
#include "model/labels.h"

namespace perfwatch {

class SampleWriter;

// Whether `name` names a process whose /proc/PID/comm is `comm` (trailing
// newline allowed) or whose /proc/PID/cmdline (NUL-separated) starts with an
// argv[0] whose basename is `name`. argv[0] is needed because comm is cut
// to 15 bytes; the scan reads cmdline only when comm is such a cut prefix.
bool ProcessNameMatches(std::string_view name, std::string_view comm, std::string_view cmdline);

class WatchedProcessCollector final : public Collector {
 public:
  // Names are re-resolved by scanning /proc at most this often, and on the
  // tick after a watched PID vanished.
  static constexpr std::chrono::seconds kRescanInterval{10};

  // Empty and repeated targets are ignored.
  WatchedProcessCollector(const HostPaths& paths, std::vector<std::string> targets,
                          CollectClock clock = {}, ProcUnits units = ProcUnits::FromSysconf());

  std::string_view name() const override { return "process"; }
  // A target with no live process is not an error: process_up{name} says 0.
  Status Collect(Appender& out) override;

 private:
  struct Tracked {
    int64_t pid;
    Labels labels;  // {name, pid}
    ProcessSampler sampler;
  };
  struct Target {
    std::string name;            // as given: a PID or a process name
    std::optional<int64_t> pid;  // set for a PID target
    Labels up_labels;            // {name}
    std::vector<Tracked> tracked;
  };

  Tracked MakeTracked(const std::string& name, int64_t pid) const;
  // Rebuilds the PIDs of every name target from a scan of procfs, keeping
  // the samplers (and so the CPU deltas) of PIDs that still match.
  Status Resolve();
  void CollectTarget(Target& target, std::chrono::steady_clock::time_point now, SampleWriter& w);

  std::string procfs_;
  CollectClock clock_;
  ProcUnits units_;
  ProcReader reader_;
  std::vector<Target> targets_;
  bool has_name_targets_ = false;
  bool described_ = false;
  bool rescan_ = true;
  std::chrono::steady_clock::time_point last_scan_;
  std::optional<uint64_t> boot_time_;  // btime; read once
};

}  // namespace perfwatch
