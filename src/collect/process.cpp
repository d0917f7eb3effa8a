#include "collect/process.h"

#include <dirent.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>

#include "collect/proc_text.h"
#include "collect/sample_writer.h"

namespace perfwatch {
namespace {

constexpr MetricDef kUp{"process_up", MetricKind::kGauge, "",
                        "1 when a process matches the watched name or PID, else 0."};
constexpr MetricDef kCpuPercent{
    "process_cpu_usage_percent", MetricKind::kGauge, "percent",
    "CPU time over wall time since the previous tick; 200 = two cores."};
constexpr MetricDef kCpuSeconds{"process_cpu_seconds_total", MetricKind::kCounter, "seconds",
                                "User plus system CPU time of the process."};
constexpr MetricDef kResident{"process_resident_memory_bytes", MetricKind::kGauge, "bytes",
                              "Resident set size."};
constexpr MetricDef kVirtual{"process_virtual_memory_bytes", MetricKind::kGauge, "bytes",
                             "Virtual memory size."};
constexpr MetricDef kThreads{"process_threads", MetricKind::kGauge, "", "Threads of the process."};
constexpr MetricDef kOpenFds{"process_open_fds", MetricKind::kGauge, "",
                             "Open file descriptors (absent when /proc/PID/fd is unreadable)."};
constexpr MetricDef kUptime{"process_uptime_seconds", MetricKind::kGauge, "seconds",
                            "Seconds since the process started."};
constexpr MetricDef kDefs[] = {kUp,      kCpuPercent, kCpuSeconds, kResident,
                               kVirtual, kThreads,    kOpenFds,    kUptime};

// TASK_COMM_LEN − 1: the most of a name /proc/PID/comm shows.
constexpr size_t kCommBytes = 15;

std::optional<int64_t> AsPid(std::string_view s) {
  int64_t pid = 0;
  if (!ParseNumber(s, pid) || pid <= 0) return std::nullopt;
  return pid;
}

std::string_view TrimNewline(std::string_view s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\0')) s.remove_suffix(1);
  return s;
}

}  // namespace

bool ProcessNameMatches(std::string_view name, std::string_view comm, std::string_view cmdline) {
  if (TrimNewline(comm) == name) return true;
  std::string_view argv0 = cmdline.substr(0, cmdline.find('\0'));
  size_t slash = argv0.rfind('/');
  if (slash != std::string_view::npos) argv0.remove_prefix(slash + 1);
  return !argv0.empty() && argv0 == name;
}

WatchedProcessCollector::WatchedProcessCollector(const HostPaths& paths,
                                                 std::vector<std::string> targets,
                                                 CollectClock clock, ProcUnits units)
    : procfs_(paths.procfs), clock_(std::move(clock)), units_(units) {
  for (std::string& name : targets) {
    // An empty name would match every kernel thread; a repeated one would
    // append the same series twice in one tick.
    bool repeated = std::any_of(targets_.begin(), targets_.end(),
                                [&](const Target& t) { return t.name == name; });
    if (name.empty() || repeated) continue;
    Target t;
    t.pid = AsPid(name);
    t.up_labels = Labels{{"name", name}};
    if (t.pid) {
      t.tracked.push_back(MakeTracked(name, *t.pid));
    } else {
      has_name_targets_ = true;
    }
    t.name = std::move(name);
    targets_.push_back(std::move(t));
  }
}

WatchedProcessCollector::Tracked WatchedProcessCollector::MakeTracked(const std::string& name,
                                                                      int64_t pid) const {
  std::string id = std::to_string(pid);
  return Tracked{pid, Labels{{"name", name}, {"pid", id}},
                 ProcessSampler(procfs_ + "/" + id, units_)};
}

Status WatchedProcessCollector::Resolve() {
  DIR* dir = ::opendir(procfs_.c_str());
  if (dir == nullptr) return FileError(procfs_, errno);
  std::vector<std::vector<int64_t>> matches(targets_.size());
  std::vector<bool> comm_match(targets_.size());
  char relative[sizeof(dirent::d_name) + 16];
  while (const dirent* e = ::readdir(dir)) {
    std::optional<int64_t> pid = AsPid(e->d_name);
    if (!pid) continue;
    std::snprintf(relative, sizeof(relative), "%s/comm", e->d_name);
    Result<std::string_view> comm = reader_.ReadAt(::dirfd(dir), relative);
    if (!comm.ok()) continue;
    // The kernel truncates comm to 15 bytes, so a longer name can only be
    // confirmed from argv[0]; cmdline is read only for such a truncated
    // match, which spares one read per PID on every scan.
    bool need_cmdline = false;
    std::string_view trimmed = TrimNewline(*comm);
    for (size_t i = 0; i < targets_.size(); ++i) {
      const std::string& name = targets_[i].name;
      comm_match[i] = !targets_[i].pid && trimmed == name;
      need_cmdline = need_cmdline || (!targets_[i].pid && name.size() > kCommBytes &&
                                      trimmed == std::string_view(name).substr(0, kCommBytes));
    }
    std::string_view cmdline;
    if (need_cmdline) {
      std::snprintf(relative, sizeof(relative), "%s/cmdline", e->d_name);
      Result<std::string_view> text = reader_.ReadAt(::dirfd(dir), relative);
      if (text.ok()) cmdline = *text;
    }
    for (size_t i = 0; i < targets_.size(); ++i) {
      if (targets_[i].pid) continue;
      if (comm_match[i] || ProcessNameMatches(targets_[i].name, {}, cmdline)) {
        matches[i].push_back(*pid);
      }
    }
  }
  ::closedir(dir);

  for (size_t i = 0; i < targets_.size(); ++i) {
    Target& t = targets_[i];
    if (t.pid) continue;
    std::sort(matches[i].begin(), matches[i].end());
    std::vector<Tracked> next;
    next.reserve(matches[i].size());
    for (int64_t pid : matches[i]) {
      auto old = std::find_if(t.tracked.begin(), t.tracked.end(),
                              [pid](const Tracked& tr) { return tr.pid == pid; });
      next.push_back(old != t.tracked.end() ? std::move(*old) : MakeTracked(t.name, pid));
    }
    t.tracked = std::move(next);
  }
  return Status::Ok();
}

Status WatchedProcessCollector::Collect(Appender& out) {
  auto now = clock_.steady();
  if (!boot_time_) {
    if (Result<uint64_t> bt = ReadBootTime(reader_, procfs_); bt.ok()) boot_time_ = *bt;
  }
  Status source;
  if (has_name_targets_ && (rescan_ || now - last_scan_ >= kRescanInterval)) {
    source = Resolve();
    last_scan_ = now;
    rescan_ = false;
  }
  if (!described_) {
    DescribeAll(out, kDefs);
    described_ = true;
  }
  SampleWriter w(out);
  for (Target& t : targets_) CollectTarget(t, now, w);
  return w.Finish(std::move(source));
}

void WatchedProcessCollector::CollectTarget(Target& t, std::chrono::steady_clock::time_point now,
                                            SampleWriter& w) {
  double wall_now = std::chrono::duration<double>(clock_.wall().time_since_epoch()).count();
  bool up = false;
  for (auto it = t.tracked.begin(); it != t.tracked.end();) {
    Result<ProcessUsage> u = it->sampler.Sample(reader_, now);
    if (!u.ok()) {
      // Gone (or unreadable): a name target forgets the PID and rescans
      // next tick, in case the program restarted under a new PID.
      if (!t.pid) {
        it = t.tracked.erase(it);
        rescan_ = true;
      } else {
        ++it;
      }
      continue;
    }
    up = true;
    const Labels& l = it->labels;
    if (u->cpu_percent) w.Add(kCpuPercent, l, *u->cpu_percent);
    w.Add(kCpuSeconds, l, u->cpu_seconds);
    w.Add(kResident, l, u->resident_bytes);
    w.Add(kVirtual, l, u->virtual_bytes);
    w.Add(kThreads, l, u->threads);
    if (u->open_fds) w.Add(kOpenFds, l, *u->open_fds);
    if (boot_time_) {
      double start =
          static_cast<double>(*boot_time_) + u->start_time_ticks / units_.ticks_per_second;
      w.Add(kUptime, l, std::max(0.0, wall_now - start));
    }
    ++it;
  }
  w.Add(kUp, t.up_labels, up ? 1 : 0);
}

}  // namespace perfwatch
