#pragma once
// CpuCollector ("cpu"): per-core time per mode and busy percent from
// /proc/stat. Percents need two samples, so the first tick has none.
//
// One thread at a time (the collection loop's), like every Collector.

#include <array>
#include <string>
#include <string_view>
#include <vector>

#include "collect/collector.h"
#include "collect/proc_reader.h"
#include "collect/procfs_stat.h"
#include "model/labels.h"

namespace perfwatch {

class CpuCollector final : public Collector {
 public:
  // `ticks_per_second` converts USER_HZ; 0 means sysconf(_SC_CLK_TCK).
  explicit CpuCollector(const HostPaths& paths, double ticks_per_second = 0);

  std::string_view name() const override { return "cpu"; }
  Status Collect(Appender& out) override;

 private:
  // Labels and the previous sample of one core, built when it first appears.
  struct Core {
    bool known = false;
    std::array<Labels, kCpuModes.size()> mode_labels;  // {cpu, mode}
    Labels cpu_label;                                  // {cpu}
    CpuTimes prev;
    bool has_prev = false;
  };
  Core& CoreAt(int cpu);

  ProcFile stat_;
  double ticks_per_second_;
  ProcReader reader_;
  bool described_ = false;
  CpuTimes prev_all_;
  bool has_prev_all_ = false;
  std::vector<Core> cores_;  // indexed by CPU number
};

}  // namespace perfwatch
