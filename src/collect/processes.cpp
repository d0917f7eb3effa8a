#include "collect/processes.h"

#include <dirent.h>
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>

#include "collect/proc_text.h"
#include "collect/procfs_pid.h"
#include "collect/sample_writer.h"

namespace perfwatch {
namespace {

constexpr MetricDef kProcesses{"system_processes", MetricKind::kGauge, "",
                               "Processes in each scheduler state."};
constexpr MetricDef kThreads{"system_threads", MetricKind::kGauge, "",
                             "Threads of all processes together."};
constexpr MetricDef kDefs[] = {kProcesses, kThreads};

bool IsPid(const char* name) {
  if (*name == '\0') return false;
  for (; *name != '\0'; ++name) {
    if (*name < '0' || *name > '9') return false;
  }
  return true;
}

}  // namespace

size_t ProcessStateIndex(char state) {
  switch (state) {
    case 'R':
      return 0;
    case 'S':
      return 1;
    case 'D':
      return 2;
    case 'Z':
      return 3;
    case 'T':
    case 't':
      return 4;
    case 'I':
      return 5;
    default:
      return 6;
  }
}

ProcessStatesCollector::ProcessStatesCollector(const HostPaths& paths,
                                               std::chrono::milliseconds interval)
    : procfs_(paths.procfs), interval_(interval) {
  for (size_t i = 0; i < kProcessStates.size(); ++i) {
    state_labels_[i] = Labels{{"state", std::string(kProcessStates[i])}};
  }
}

ProcessStatesCollector::~ProcessStatesCollector() {
  for (const auto& [pid, fd] : stat_fds_) ::close(fd);
}

Result<std::string_view> ProcessStatesCollector::ReadStat(int dir_fd, int pid,
                                                          const char* relative) {
  if (auto it = stat_fds_.find(pid); it != stat_fds_.end()) {
    Result<std::string_view> text = reader_.ReadFromStart(it->second, relative);
    if (text.ok()) return text;
    ::close(it->second);  // died or PID reused: reopen below
    stat_fds_.erase(it);
  }
  if (stat_fds_.size() >= kMaxKeptFds) return reader_.ReadAt(dir_fd, relative);
  int fd = ::openat(dir_fd, relative, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return FileError(relative, errno);
  stat_fds_.emplace(pid, fd);
  return reader_.ReadFromStart(fd, relative);
}

Status ProcessStatesCollector::Collect(Appender& out) {
  DIR* dir = ::opendir(procfs_.c_str());
  if (dir == nullptr) return FileError(procfs_, errno);
  std::array<uint64_t, kProcessStates.size()> counts{};
  uint64_t threads = 0;
  Status bad;
  char relative[sizeof(dirent::d_name) + 16];
  std::unordered_map<int, int> seen;
  seen.reserve(stat_fds_.size());
  while (const dirent* e = ::readdir(dir)) {
    if (!IsPid(e->d_name)) continue;
    int pid = std::atoi(e->d_name);
    std::snprintf(relative, sizeof(relative), "%s/stat", e->d_name);
    Result<std::string_view> text = ReadStat(::dirfd(dir), pid, relative);
    if (auto it = stat_fds_.find(pid); it != stat_fds_.end()) seen.emplace(*it);
    if (!text.ok()) continue;  // exited since readdir
    Result<PidStat> stat = ParsePidStat(*text);
    if (!stat.ok()) {
      if (bad.ok()) bad = PrefixPath(procfs_ + "/" + relative, stat.status());
      continue;
    }
    ++counts[ProcessStateIndex(stat->state)];
    threads += static_cast<uint64_t>(stat->num_threads);
  }
  ::closedir(dir);
  for (const auto& [pid, fd] : stat_fds_) {
    if (!seen.contains(pid)) ::close(fd);
  }
  stat_fds_ = std::move(seen);

  if (!described_) {
    DescribeAll(out, kDefs);
    described_ = true;
  }
  SampleWriter w(out);
  for (size_t i = 0; i < counts.size(); ++i) {
    w.Add(kProcesses, state_labels_[i], static_cast<double>(counts[i]));
  }
  w.Add(kThreads, Labels(), static_cast<double>(threads));
  return w.Finish(std::move(bad));
}

}  // namespace perfwatch
