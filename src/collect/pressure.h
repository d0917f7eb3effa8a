#pragma once
// PressureCollector ("pressure"): pressure stall information (PSI, Linux
// 4.20+) for cpu, memory and io, from /proc/pressure. One thread at a time.

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "collect/collector.h"
#include "collect/proc_reader.h"
#include "model/labels.h"

namespace perfwatch {

// One line: "some avg10=0.00 avg60=0.00 avg300=0.00 total=0".
struct PressureLine {
  double avg10 = 0;  // percent of wall time stalled, over 10 s
  double avg60 = 0;
  double avg300 = 0;
  uint64_t total_us = 0;  // microseconds stalled since boot
};

struct Pressure {
  std::optional<PressureLine> some;  // at least one task stalled
  std::optional<PressureLine> full;  // all non-idle tasks stalled; absent for cpu before 5.13
};

// Errors name the line.
Result<Pressure> ParsePressure(std::string_view text);

inline constexpr std::array<std::string_view, 3> kPressureResources = {"cpu", "memory", "io"};

class PressureCollector final : public Collector {
 public:
  explicit PressureCollector(const HostPaths& paths);

  std::string_view name() const override { return "pressure"; }
  // Unavailable when a file is missing (kernel without PSI, psi=0, or a
  // container); the resources that could be read are still appended.
  Status Collect(Appender& out) override;

 private:
  // Labels of one (resource, kind) pair.
  struct Series {
    Labels stalled;                 // {resource, kind}
    std::array<Labels, 3> percent;  // {resource, kind, window} for 10s, 60s, 300s
  };

  std::vector<ProcFile> files_;  // one per kPressureResources entry
  std::array<std::array<Series, 2>, kPressureResources.size()> series_;  // [resource][some, full]
  ProcReader reader_;
  bool described_ = false;
};

}  // namespace perfwatch
