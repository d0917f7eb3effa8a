#pragma once
// SystemCollector ("system"): load averages (/proc/loadavg), kernel counters
// from /proc/stat, and uptime (/proc/uptime). One thread at a time.

#include <string>
#include <string_view>

#include "collect/collector.h"
#include "collect/proc_reader.h"

namespace perfwatch {

class SampleWriter;

struct LoadAverage {
  double load1 = 0;
  double load5 = 0;
  double load15 = 0;
};

// "0.39 0.25 0.10 1/86 4039": the first three fields.
Result<LoadAverage> ParseLoadavg(std::string_view text);
// "212.48 349.62": seconds since boot (the first field).
Result<double> ParseUptime(std::string_view text);

class SystemCollector final : public Collector {
 public:
  explicit SystemCollector(const HostPaths& paths);

  std::string_view name() const override { return "system"; }
  // Reads all three files even when one fails; returns the first failure.
  Status Collect(Appender& out) override;

 private:
  Status CollectLoadavg(SampleWriter& w);
  Status CollectStat(SampleWriter& w);
  Status CollectUptime(SampleWriter& w);

  ProcFile loadavg_;
  ProcFile stat_;
  ProcFile uptime_;
  ProcReader reader_;
  bool described_ = false;
};

}  // namespace perfwatch
