#pragma once
// NetdevCollector ("netdev"): traffic, error and drop counters of each
// network interface, from /proc/net/dev. One thread at a time.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "collect/collector.h"
#include "collect/proc_reader.h"
#include "collect/series_cache.h"
#include "model/labels.h"

namespace perfwatch {

struct NetDevStats {
  std::string_view interface;  // a view into the parsed text
  uint64_t receive_bytes = 0;
  uint64_t receive_packets = 0;
  uint64_t receive_errors = 0;
  uint64_t receive_drops = 0;
  uint64_t transmit_bytes = 0;
  uint64_t transmit_packets = 0;
  uint64_t transmit_errors = 0;
  uint64_t transmit_drops = 0;
};

// Skips the two header lines; each interface line is "name: 16 counters"
// (old kernels leave no space after the colon). Errors name the line.
Result<std::vector<NetDevStats>> ParseNetDev(std::string_view text);

class NetdevCollector final : public Collector {
 public:
  explicit NetdevCollector(const HostPaths& paths);

  std::string_view name() const override { return "netdev"; }
  Status Collect(Appender& out) override;

 private:
  ProcFile netdev_;
  ProcReader reader_;
  bool described_ = false;
  SeriesCache<Labels> interfaces_;  // {interface}
};

}  // namespace perfwatch
