#include "analysis/recommendations.h"

namespace perfwatch::recommendations {

const std::vector<Recommendation>& Cpu() {
  static const std::vector<Recommendation> kAdvice = {
      {"Find the top CPU consumers (process_cpu_usage_percent of watched processes, or "
       "top -o %CPU / pidstat 1) and profile the hottest one (perf top -p PID)",
       "high", "low"},
      {"Move heavy or batch work off the request path (background queues, async "
       "processing) and lower its priority (nice, cgroup cpu.weight)",
       "medium", "medium"},
      {"Cache the results of expensive computations instead of recomputing them", "medium",
       "medium"},
      {"If the run queue stays above the core count, add cores or spread the work over more "
       "hosts",
       "low", "high"},
  };
  return kAdvice;
}

const std::vector<Recommendation>& Memory() {
  static const std::vector<Recommendation> kAdvice = {
      {"Find the largest resident processes (process_resident_memory_bytes, or ps aux "
       "--sort=-rss) and check them for leaks: a resident size that only grows",
       "high", "low"},
      {"Shrink in-process caches (seed 000 cuts cache sizes by 30%) or bound them by bytes",
       "medium", "medium"},
      {"Cap batch jobs with memory limits (systemd MemoryMax=, cgroup memory.max) so one job "
       "cannot starve the host",
       "medium", "low"},
      {"Add RAM or move a service to another host", "low", "high"},
  };
  return kAdvice;
}

const std::vector<Recommendation>& Swap() {
  static const std::vector<Recommendation> kAdvice = {
      {"Add RAM or reduce the working set: a process that swaps runs at disk speed", "high",
       "high"},
      {"Find which processes are swapped out (grep VmSwap /proc/*/status) and restart or "
       "resize the one that grew",
       "high", "low"},
      {"Lower vm.swappiness (e.g. 10) so the kernel drops page cache before swapping out "
       "anonymous memory",
       "medium", "low"},
      {"Put swap on the fastest device, or use zram", "low", "medium"},
  };
  return kAdvice;
}

const std::vector<Recommendation>& Io() {
  static const std::vector<Recommendation> kAdvice = {
      {"Find the processes doing the I/O (iotop -o, pidstat -d 1) and look for unindexed "
       "queries, full scans or chatty logging",
       "high", "low"},
      {"Batch or buffer small writes, and move logs and temporary files off the busy device",
       "medium", "medium"},
      {"Serve hot reads from memory (a larger page cache or an application cache)", "medium",
       "medium"},
      {"Move hot data to faster storage (NVMe) or spread it over more devices", "low", "high"},
  };
  return kAdvice;
}

const std::vector<Recommendation>& Network() {
  static const std::vector<Recommendation> kAdvice = {
      {"Read the interface's counters with ethtool -S IFACE: CRC and frame errors point at a "
       "cable, a port or a duplex mismatch",
       "high", "low"},
      {"If drops rise with traffic, enlarge the receive ring (ethtool -G IFACE rx 4096) and "
       "net.core.netdev_max_backlog",
       "medium", "low"},
      {"Spread NIC interrupts over cores (irqbalance, RSS) when one core handles them all", "low",
       "medium"},
  };
  return kAdvice;
}

const std::vector<Recommendation>& Fds() {
  static const std::vector<Recommendation> kAdvice = {
      {"Look for a descriptor leak: ls -l /proc/PID/fd or lsof -p PID, grouped by target; "
       "sockets or files that only accumulate",
       "high", "low"},
      {"Reuse connections (pools, keep-alive) and close idle ones", "medium", "medium"},
      {"If the count matches the real load, raise the limit (systemd LimitNOFILE=, "
       "ulimit -n)",
       "medium", "low"},
  };
  return kAdvice;
}

std::vector<Recommendation> Pressure(const std::set<std::string>& resources) {
  std::vector<Recommendation> out;
  if (resources.count("cpu")) {
    out.push_back(
        {"Tasks wait for CPU: reduce concurrency or move work off this host (see "
         "the CPU consumers)",
         "high", "medium"});
  }
  if (resources.count("memory")) {
    out.push_back(
        {"Tasks stall in memory reclaim: free memory (smaller caches, fewer "
         "processes) before the OOM killer does it",
         "high", "medium"});
  }
  if (resources.count("io")) {
    out.push_back(
        {"Tasks stall on I/O: find the heaviest readers and writers (iotop -o) and "
         "cut or batch their I/O",
         "high", "low"});
  }
  out.push_back(
      {"Protect important services with cgroup weights (cpu.weight, io.weight) or "
       "PSI-driven limits (systemd-oomd)",
       "low", "medium"});
  return out;
}

}  // namespace perfwatch::recommendations
