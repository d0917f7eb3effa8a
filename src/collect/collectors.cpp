#include "collect/collectors.h"

#include <algorithm>

#include "collect/diskstats.h"
#include "collect/filesystem.h"
#include "collect/netdev.h"
#include "collect/pressure.h"
#include "collect/process.h"
#include "collect/processes.h"
#include "collect/procfs_cpu.h"
#include "collect/procfs_memory.h"
#include "collect/procfs_system.h"
#include "collect/self.h"
#include "collect/tcp.h"

namespace perfwatch {

std::vector<std::string_view> KnownCollectorNames() {
  return {"cpu",    "memory", "system",   "processes", "filesystem", "diskstats",
          "netdev", "tcp",    "pressure", "process",   "self"};
}

std::vector<std::unique_ptr<Collector>> MakeCollectors(const CollectOptions& options) {
  const HostPaths& p = options.paths;
  std::vector<std::unique_ptr<Collector>> all;
  all.push_back(std::make_unique<CpuCollector>(p));
  all.push_back(std::make_unique<MemoryCollector>(p));
  all.push_back(std::make_unique<SystemCollector>(p));
  all.push_back(std::make_unique<ProcessStatesCollector>(p, options.processes_interval));
  all.push_back(std::make_unique<FilesystemCollector>(p));
  all.push_back(std::make_unique<DiskstatsCollector>(p));
  all.push_back(std::make_unique<NetdevCollector>(p));
  // sock_diag sees the namespace of the live /proc; another procfs root
  // (fixtures, a host's /proc) is read as files.
  all.push_back(std::make_unique<TcpCollector>(
      p, p.procfs == "/proc" ? TcpSource::kNetlink : TcpSource::kProcfs, options.tcp_interval));
  all.push_back(std::make_unique<PressureCollector>(p));
  if (!options.watch_processes.empty()) {
    all.push_back(std::make_unique<WatchedProcessCollector>(p, options.watch_processes));
  }
  all.push_back(std::make_unique<SelfCollector>(p));

  std::erase_if(all, [&](const std::unique_ptr<Collector>& c) {
    return std::find(options.disabled.begin(), options.disabled.end(), c->name()) !=
           options.disabled.end();
  });
  return all;
}

}  // namespace perfwatch
