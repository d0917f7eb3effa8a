// The procfs parsers of collect/ on arbitrary text. The first byte picks the
// parser (modulo the table size), the rest is the file's text. Views the
// parsers return must point into the text; numbers derived from the parse
// must keep their documented ranges.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "collect/diskstats.h"
#include "collect/filesystem.h"
#include "collect/netdev.h"
#include "collect/pressure.h"
#include "collect/process.h"
#include "collect/processes.h"
#include "collect/procfs_memory.h"
#include "collect/procfs_pid.h"
#include "collect/procfs_stat.h"
#include "collect/procfs_system.h"
#include "collect/tcp.h"

namespace {

using namespace perfwatch;

std::string_view g_text;

// A view returned by a parser must lie inside the parsed text.
void CheckView(std::string_view v) {
  if (v.empty()) return;
  if (v.data() < g_text.data() || v.data() + v.size() > g_text.data() + g_text.size()) {
    __builtin_trap();
  }
}

void CheckPercent(double p) {
  if (!(p >= 0 && p <= 100)) __builtin_trap();
}

void ProcStat(std::string_view text) {
  auto stat = ParseProcStat(text);
  if (!stat.ok()) return;
  for (const CoreTimes& core : stat->cores) {
    if (auto busy = BusyPercent(core.times, stat->all)) CheckPercent(*busy);
    if (auto busy = BusyPercent(stat->all, core.times)) CheckPercent(*busy);
  }
  if (auto busy = BusyPercent(CpuTimes{}, stat->all)) CheckPercent(*busy);
}

void Meminfo(std::string_view text) { (void)ParseMeminfo(text); }
void Loadavg(std::string_view text) { (void)ParseLoadavg(text); }
void Uptime(std::string_view text) { (void)ParseUptime(text); }

void PidStat(std::string_view text) {
  auto stat = ParsePidStat(text);
  if (!stat.ok()) return;
  CheckView(stat->comm);
  if (ProcessStateIndex(stat->state) >= kProcessStates.size()) __builtin_trap();
  (void)ProcessNameMatches(stat->comm, stat->comm, text);
}

void Mounts(std::string_view text) {
  auto mounts = ParseMounts(text);
  if (!mounts.ok()) return;
  for (const MountEntry& m : *mounts) (void)IsIgnoredMount(m);
  auto selected = SelectMounts(*mounts);
  if (selected.size() > mounts->size()) __builtin_trap();
  (void)DecodeMountPath(text);
}

void Diskstats(std::string_view text) {
  auto disks = ParseDiskstats(text);
  if (!disks.ok()) return;
  for (const DiskStats& d : *disks) {
    CheckView(d.device);
    (void)IsIgnoredDiskDevice(d.device);
  }
  (void)IsIgnoredDiskDevice(text);
}

void NetDev(std::string_view text) {
  auto devs = ParseNetDev(text);
  if (!devs.ok()) return;
  for (const NetDevStats& d : *devs) CheckView(d.interface);
}

void Tcp(std::string_view text) {
  TcpStateCounts counts{};
  (void)CountTcpStates(text, counts);
}

void PressureText(std::string_view text) {
  auto p = ParsePressure(text);
  // Documented: a text without a "some" line is refused.
  if (p.ok() && !p->some) __builtin_trap();
}

void ProcessName(std::string_view text) {
  // "name\0comm\0cmdline...": the watched-process matcher.
  size_t a = text.find('\0');
  std::string_view name = text.substr(0, a);
  std::string_view rest = a == std::string_view::npos ? "" : text.substr(a + 1);
  size_t b = rest.find('\0');
  std::string_view comm = rest.substr(0, b);
  std::string_view cmdline = b == std::string_view::npos ? "" : rest.substr(b + 1);
  (void)ProcessNameMatches(name, comm, cmdline);
}

using Parser = void (*)(std::string_view);
constexpr Parser kParsers[] = {
    ProcStat,      // 0: /proc/stat
    Meminfo,       // 1: /proc/meminfo
    Loadavg,       // 2: /proc/loadavg
    Uptime,        // 3: /proc/uptime
    PidStat,       // 4: /proc/PID/stat
    Mounts,        // 5: /proc/PID/mounts
    Diskstats,     // 6: /proc/diskstats
    NetDev,        // 7: /proc/net/dev
    Tcp,           // 8: /proc/net/tcp, tcp6
    PressureText,  // 9: /proc/pressure/{cpu,memory,io}
    ProcessName,   // 10: name, comm and cmdline of a watched process
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  constexpr size_t kCount = sizeof(kParsers) / sizeof(kParsers[0]);
  Parser parser = kParsers[data[0] % kCount];
  // libFuzzer's buffer is exactly `size` bytes: ASan sees any read past it.
  g_text = std::string_view(reinterpret_cast<const char*>(data + 1), size - 1);
  parser(g_text);
  return 0;
}
