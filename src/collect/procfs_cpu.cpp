#include "collect/procfs_cpu.h"

#include <unistd.h>

#include "collect/proc_text.h"
#include "collect/sample_writer.h"

namespace perfwatch {
namespace {

constexpr MetricDef kCpuSeconds{"system_cpu_seconds_total", MetricKind::kCounter, "seconds",
                                "Time each CPU spent in each mode since boot."};
constexpr MetricDef kCpuUsage{
    "system_cpu_usage_percent", MetricKind::kGauge, "percent",
    "Busy share of CPU time since the previous tick (no cpu label: all CPUs together)."};
constexpr MetricDef kCpuCount{"system_cpus", MetricKind::kGauge, "", "Number of online CPUs."};
constexpr MetricDef kDefs[] = {kCpuSeconds, kCpuUsage, kCpuCount};

}  // namespace

CpuCollector::CpuCollector(const HostPaths& paths, double ticks_per_second)
    : stat_(paths.procfs + "/stat"),
      ticks_per_second_(ticks_per_second > 0 ? ticks_per_second
                                             : static_cast<double>(sysconf(_SC_CLK_TCK))) {}

CpuCollector::Core& CpuCollector::CoreAt(int cpu) {
  if (static_cast<size_t>(cpu) >= cores_.size()) cores_.resize(cpu + 1);
  Core& core = cores_[cpu];
  if (!core.known) {
    std::string id = std::to_string(cpu);
    for (size_t m = 0; m < kCpuModes.size(); ++m) {
      core.mode_labels[m] = Labels{{"cpu", id}, {"mode", std::string(kCpuModes[m])}};
    }
    core.cpu_label = Labels{{"cpu", id}};
    core.known = true;
  }
  return core;
}

Status CpuCollector::Collect(Appender& out) {
  Result<std::string_view> text = stat_.Read(reader_);
  if (!text.ok()) return text.status();
  Result<ProcStat> stat = ParseProcStat(*text);
  if (!stat.ok()) return PrefixPath(stat_.path(), stat.status());

  if (!described_) {
    DescribeAll(out, kDefs);
    described_ = true;
  }
  SampleWriter w(out);
  w.Add(kCpuCount, Labels(), static_cast<double>(stat->cores.size()));
  if (has_prev_all_) {
    if (auto pct = BusyPercent(prev_all_, stat->all)) w.Add(kCpuUsage, Labels(), *pct);
  }
  prev_all_ = stat->all;
  has_prev_all_ = true;

  for (const CoreTimes& c : stat->cores) {
    Core& core = CoreAt(c.cpu);
    std::array<uint64_t, 8> modes = c.times.Modes();
    for (size_t m = 0; m < modes.size(); ++m) {
      w.Add(kCpuSeconds, core.mode_labels[m], static_cast<double>(modes[m]) / ticks_per_second_);
    }
    if (core.has_prev) {
      if (auto pct = BusyPercent(core.prev, c.times)) w.Add(kCpuUsage, core.cpu_label, *pct);
    }
    core.prev = c.times;
    core.has_prev = true;
  }
  return w.Finish();
}

}  // namespace perfwatch
