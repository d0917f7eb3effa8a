#pragma once
// Parser of /proc/stat, shared by the cpu and system collectors (and by the
// process collectors, which need btime). Pure functions over text.

#include <array>
#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "model/status.h"

namespace perfwatch {

// Time spent per mode in USER_HZ ticks, as one "cpu" line of /proc/stat
// gives it. Columns an older kernel lacks (iowait, irq and softirq before
// 2.6, steal before 2.6.11, guest before 2.6.24, guest_nice before 2.6.33)
// stay 0.
struct CpuTimes {
  uint64_t user = 0;
  uint64_t nice = 0;
  uint64_t system = 0;
  uint64_t idle = 0;
  uint64_t iowait = 0;
  uint64_t irq = 0;
  uint64_t softirq = 0;
  uint64_t steal = 0;
  uint64_t guest = 0;       // already counted in user
  uint64_t guest_nice = 0;  // already counted in nice

  // The eight modes that partition time, in the order of kCpuModes.
  std::array<uint64_t, 8> Modes() const {
    return {user, nice, system, idle, iowait, irq, softirq, steal};
  }
  // guest and guest_nice are left out: the kernel counts them in user/nice.
  uint64_t Total() const { return user + nice + system + idle + iowait + irq + softirq + steal; }
  uint64_t Busy() const { return Total() - idle - iowait; }
};

// Values of the `mode` label, in CpuTimes::Modes() order.
inline constexpr std::array<std::string_view, 8> kCpuModes = {"user",   "nice", "system",  "idle",
                                                              "iowait", "irq",  "softirq", "steal"};

struct CoreTimes {
  int cpu = 0;  // N of "cpuN"; offline CPUs have no line, so N can skip
  CpuTimes times;
};

struct ProcStat {
  CpuTimes all;                   // the "cpu" line: every CPU together
  std::vector<CoreTimes> cores;   // "cpuN" lines in file order
  uint64_t context_switches = 0;  // ctxt
  uint64_t interrupts = 0;        // first number of intr
  uint64_t forks = 0;             // processes
  uint64_t procs_running = 0;
  uint64_t procs_blocked = 0;
  uint64_t boot_time = 0;  // btime, seconds since the epoch
};

// Needs the "cpu" line with at least the four columns every kernel has;
// unknown lines are skipped so newer kernels keep parsing. Errors name the
// line ("line 2: expected at least 4 numbers after cpu0: ...").
Result<ProcStat> ParseProcStat(std::string_view text);

// 100·Δbusy/Δtotal between two samples of one CPU (what top, btop and psutil
// report), clamped to [0, 100]; nullopt when no time passed or a counter went
// backwards (CPU hotplug, a reset).
std::optional<double> BusyPercent(const CpuTimes& prev, const CpuTimes& cur);

}  // namespace perfwatch
