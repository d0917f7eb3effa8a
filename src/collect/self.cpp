#include "collect/self.h"

#include "collect/sample_writer.h"

namespace perfwatch {
namespace {

constexpr MetricDef kCpuSeconds{"perfwatch_cpu_seconds_total", MetricKind::kCounter, "seconds",
                                "User plus system CPU time perfwatch has used."};
constexpr MetricDef kCpuPercent{"perfwatch_cpu_usage_percent", MetricKind::kGauge, "percent",
                                "perfwatch's CPU time over wall time since the previous tick."};
constexpr MetricDef kResident{"perfwatch_resident_memory_bytes", MetricKind::kGauge, "bytes",
                              "perfwatch's resident set size."};
constexpr MetricDef kVirtual{"perfwatch_virtual_memory_bytes", MetricKind::kGauge, "bytes",
                             "perfwatch's virtual memory size."};
constexpr MetricDef kThreads{"perfwatch_threads", MetricKind::kGauge, "", "perfwatch's threads."};
constexpr MetricDef kOpenFds{"perfwatch_open_fds", MetricKind::kGauge, "",
                             "perfwatch's open file descriptors."};
constexpr MetricDef kStartTime{"perfwatch_start_time_seconds", MetricKind::kGauge, "seconds",
                               "When perfwatch started, seconds since the Unix epoch."};
constexpr MetricDef kDefs[] = {kCpuSeconds, kCpuPercent, kResident, kVirtual,
                               kThreads,    kOpenFds,    kStartTime};

}  // namespace

SelfCollector::SelfCollector(const HostPaths& paths, CollectClock clock, ProcUnits units)
    : procfs_(paths.procfs),
      clock_(std::move(clock)),
      units_(units),
      sampler_(paths.procfs + "/self", units, /*keep_open=*/true) {}

Status SelfCollector::Collect(Appender& out) {
  if (!boot_time_) {
    if (Result<uint64_t> bt = ReadBootTime(reader_, procfs_); bt.ok()) boot_time_ = *bt;
  }
  Result<ProcessUsage> u = sampler_.Sample(reader_, clock_.steady());
  if (!u.ok()) return u.status();
  if (!described_) {
    DescribeAll(out, kDefs);
    described_ = true;
  }
  const Labels none;
  SampleWriter w(out);
  w.Add(kCpuSeconds, none, u->cpu_seconds);
  if (u->cpu_percent) w.Add(kCpuPercent, none, *u->cpu_percent);
  w.Add(kResident, none, u->resident_bytes);
  w.Add(kVirtual, none, u->virtual_bytes);
  w.Add(kThreads, none, u->threads);
  if (u->open_fds) w.Add(kOpenFds, none, *u->open_fds);
  if (boot_time_) {
    w.Add(kStartTime, none,
          static_cast<double>(*boot_time_) + u->start_time_ticks / units_.ticks_per_second);
  }
  return w.Finish();
}

}  // namespace perfwatch
