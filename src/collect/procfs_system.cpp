#include "collect/procfs_system.h"

#include "collect/proc_text.h"
#include "collect/procfs_stat.h"
#include "collect/sample_writer.h"

namespace perfwatch {
namespace {

constexpr MetricDef kLoad1{"system_load1", MetricKind::kGauge, "",
                           "Run-queue length averaged over 1 minute."};
constexpr MetricDef kLoad5{"system_load5", MetricKind::kGauge, "",
                           "Run-queue length averaged over 5 minutes."};
constexpr MetricDef kLoad15{"system_load15", MetricKind::kGauge, "",
                            "Run-queue length averaged over 15 minutes."};
constexpr MetricDef kContextSwitches{"system_context_switches_total", MetricKind::kCounter, "",
                                     "Context switches since boot."};
constexpr MetricDef kInterrupts{"system_interrupts_total", MetricKind::kCounter, "",
                                "Interrupts serviced since boot."};
constexpr MetricDef kForks{"system_forks_total", MetricKind::kCounter, "",
                           "Processes and threads created since boot."};
constexpr MetricDef kProcsRunning{"system_procs_running", MetricKind::kGauge, "",
                                  "Threads runnable now."};
constexpr MetricDef kProcsBlocked{"system_procs_blocked", MetricKind::kGauge, "",
                                  "Threads blocked on I/O now."};
constexpr MetricDef kBootTime{"system_boot_time_seconds", MetricKind::kGauge, "seconds",
                              "Boot time, seconds since the Unix epoch."};
constexpr MetricDef kUptime{"system_uptime_seconds", MetricKind::kGauge, "seconds",
                            "Seconds since boot."};
constexpr MetricDef kDefs[] = {kLoad1, kLoad5,        kLoad15,       kContextSwitches, kInterrupts,
                               kForks, kProcsRunning, kProcsBlocked, kBootTime,        kUptime};

}  // namespace

Result<LoadAverage> ParseLoadavg(std::string_view text) {
  LineScanner lines(text);
  std::string_view line;
  lines.Next(line);
  FieldScanner fields(line);
  LoadAverage load;
  if (!fields.NextNumber(load.load1) || !fields.NextNumber(load.load5) ||
      !fields.NextNumber(load.load15)) {
    return LineError(1, "expected three load averages", line);
  }
  return load;
}

Result<double> ParseUptime(std::string_view text) {
  LineScanner lines(text);
  std::string_view line;
  lines.Next(line);
  FieldScanner fields(line);
  double uptime = 0;
  if (!fields.NextNumber(uptime)) return LineError(1, "expected seconds since boot", line);
  return uptime;
}

SystemCollector::SystemCollector(const HostPaths& paths)
    : loadavg_(paths.procfs + "/loadavg"),
      stat_(paths.procfs + "/stat"),
      uptime_(paths.procfs + "/uptime") {}

Status SystemCollector::Collect(Appender& out) {
  if (!described_) {
    DescribeAll(out, kDefs);
    described_ = true;
  }
  SampleWriter w(out);
  Status load = CollectLoadavg(w);
  Status stat = CollectStat(w);
  Status uptime = CollectUptime(w);
  return w.Finish(!load.ok() ? load : !stat.ok() ? stat : uptime);
}

Status SystemCollector::CollectLoadavg(SampleWriter& w) {
  Result<std::string_view> text = loadavg_.Read(reader_);
  if (!text.ok()) return text.status();
  Result<LoadAverage> load = ParseLoadavg(*text);
  if (!load.ok()) return PrefixPath(loadavg_.path(), load.status());
  const Labels none;
  w.Add(kLoad1, none, load->load1);
  w.Add(kLoad5, none, load->load5);
  w.Add(kLoad15, none, load->load15);
  return Status::Ok();
}

Status SystemCollector::CollectStat(SampleWriter& w) {
  Result<std::string_view> text = stat_.Read(reader_);
  if (!text.ok()) return text.status();
  Result<ProcStat> stat = ParseProcStat(*text);
  if (!stat.ok()) return PrefixPath(stat_.path(), stat.status());
  const Labels none;
  w.Add(kContextSwitches, none, static_cast<double>(stat->context_switches));
  w.Add(kInterrupts, none, static_cast<double>(stat->interrupts));
  w.Add(kForks, none, static_cast<double>(stat->forks));
  w.Add(kProcsRunning, none, static_cast<double>(stat->procs_running));
  w.Add(kProcsBlocked, none, static_cast<double>(stat->procs_blocked));
  w.Add(kBootTime, none, static_cast<double>(stat->boot_time));
  return Status::Ok();
}

Status SystemCollector::CollectUptime(SampleWriter& w) {
  Result<std::string_view> text = uptime_.Read(reader_);
  if (!text.ok()) return text.status();
  Result<double> uptime = ParseUptime(*text);
  if (!uptime.ok()) return PrefixPath(uptime_.path(), uptime.status());
  w.Add(kUptime, Labels(), *uptime);
  return Status::Ok();
}

}  // namespace perfwatch
