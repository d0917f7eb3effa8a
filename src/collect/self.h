#pragma once
// SelfCollector ("self"): perfwatch's own CPU, memory, threads and open
// files, from <procfs>/self. One thread at a time.

#include <optional>
#include <string>
#include <string_view>

#include "collect/clock.h"
#include "collect/collector.h"
#include "collect/proc_reader.h"
#include "collect/procfs_pid.h"

namespace perfwatch {

class SelfCollector final : public Collector {
 public:
  explicit SelfCollector(const HostPaths& paths, CollectClock clock = {},
                         ProcUnits units = ProcUnits::FromSysconf());

  std::string_view name() const override { return "self"; }
  Status Collect(Appender& out) override;

 private:
  std::string procfs_;
  CollectClock clock_;
  ProcUnits units_;
  ProcReader reader_;
  ProcessSampler sampler_;
  bool described_ = false;
  std::optional<uint64_t> boot_time_;  // btime; read once
};

}  // namespace perfwatch
