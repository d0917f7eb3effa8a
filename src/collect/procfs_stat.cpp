#include "collect/procfs_stat.h"

#include <algorithm>

#include "collect/proc_text.h"

namespace perfwatch {
namespace {

constexpr int kMaxCpus = 1 << 16;

// Reads up to ten columns after the "cpu"/"cpuN" label; fails with fewer
// than four or on a non-number.
bool ParseCpuColumns(FieldScanner& fields, CpuTimes& t) {
  uint64_t* columns[] = {&t.user, &t.nice,    &t.system, &t.idle,  &t.iowait,
                         &t.irq,  &t.softirq, &t.steal,  &t.guest, &t.guest_nice};
  int n = 0;
  std::string_view field;
  while (n < 10 && fields.Next(field)) {
    if (!ParseNumber(field, *columns[n])) return false;
    ++n;
  }
  return n >= 4;
}

bool ParseCounter(std::string_view rest, uint64_t& value) {
  FieldScanner fields(rest);
  return fields.NextNumber(value);
}

}  // namespace

Result<ProcStat> ParseProcStat(std::string_view text) {
  ProcStat stat;
  bool have_all = false;
  LineScanner lines(text);
  std::string_view line;
  while (lines.Next(line)) {
    FieldScanner fields(line);
    std::string_view key;
    if (!fields.Next(key)) continue;
    if (key.starts_with("cpu")) {
      CpuTimes times;
      if (!ParseCpuColumns(fields, times)) {
        return LineError(lines.number(), "expected at least 4 numbers after " + std::string(key),
                         line);
      }
      if (key.size() == 3) {
        stat.all = times;
        have_all = true;
        continue;
      }
      int cpu = 0;
      // Linux caps NR_CPUS at 8192; a bound keeps a corrupt name from
      // sizing the collector's per-core table.
      if (!ParseNumber(key.substr(3), cpu) || cpu < 0 || cpu >= kMaxCpus) {
        return LineError(lines.number(), "bad cpu name", line);
      }
      stat.cores.push_back(CoreTimes{cpu, times});
      continue;
    }
    uint64_t* target = nullptr;
    if (key == "ctxt") {
      target = &stat.context_switches;
    } else if (key == "intr") {
      target = &stat.interrupts;
    } else if (key == "processes") {
      target = &stat.forks;
    } else if (key == "procs_running") {
      target = &stat.procs_running;
    } else if (key == "procs_blocked") {
      target = &stat.procs_blocked;
    } else if (key == "btime") {
      target = &stat.boot_time;
    }
    if (target != nullptr && !ParseCounter(fields.rest(), *target)) {
      return LineError(lines.number(), "expected a number after " + std::string(key), line);
    }
  }
  if (!have_all) return Status::InvalidArgument("no \"cpu\" line");
  return stat;
}

std::optional<double> BusyPercent(const CpuTimes& prev, const CpuTimes& cur) {
  uint64_t prev_total = prev.Total();
  uint64_t cur_total = cur.Total();
  if (cur_total <= prev_total) return std::nullopt;
  // Idle and iowait can step back a little on NO_HZ kernels, so busy is
  // computed in signed arithmetic and the result clamped.
  double d_total = static_cast<double>(cur_total - prev_total);
  double d_busy = static_cast<double>(cur.Busy()) - static_cast<double>(prev.Busy());
  return std::clamp(100.0 * d_busy / d_total, 0.0, 100.0);
}

}  // namespace perfwatch
