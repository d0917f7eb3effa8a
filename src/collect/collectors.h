#pragma once
// The public face of collect/: the options of the host collectors and the
// factory that builds the default set. Other subsystems include this header
// and collector.h only.

#include <chrono>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "collect/collector.h"

namespace perfwatch {

struct CollectOptions {
  // Where procfs, sysfs and the root filesystem are (/host/proc... when
  // perfwatch watches its host from a container).
  HostPaths paths;
  // --watch-process: PIDs or process names; empty means no "process" collector.
  std::vector<std::string> watch_processes;
  // Collector names (KnownCollectorNames) to leave out; unknown names are
  // ignored here, config validation rejects them.
  std::vector<std::string> disabled;
  // How often the "processes" collector (a scan of every /proc/PID) runs.
  std::chrono::milliseconds processes_interval{5000};
  // How often the "tcp" collector runs: counting sockets walks the kernel's
  // whole socket hash table (about 0.3 ms on a 24 GiB host, whatever the
  // number of connections).
  std::chrono::milliseconds tcp_interval{5000};
};

// The default collectors, in KnownCollectorNames order, minus the disabled
// ones (and minus "process" when nothing is watched).
std::vector<std::unique_ptr<Collector>> MakeCollectors(const CollectOptions& options);

// cpu, memory, system, processes, filesystem, diskstats, netdev, tcp,
// pressure, process, self: for --help and config validation.
std::vector<std::string_view> KnownCollectorNames();

}  // namespace perfwatch
