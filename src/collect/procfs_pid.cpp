#include "collect/procfs_pid.h"

#include <dirent.h>
#include <unistd.h>

#include <cerrno>
#include <utility>

#include "collect/clock.h"
#include "collect/proc_text.h"
#include "collect/procfs_stat.h"

namespace perfwatch {
namespace {

bool IsDotOrDotDot(const char* name) {
  return name[0] == '.' && (name[1] == '\0' || (name[1] == '.' && name[2] == '\0'));
}

}  // namespace

Result<PidStat> ParsePidStat(std::string_view text) {
  size_t open = text.find('(');
  size_t close = text.rfind(')');
  if (open == std::string_view::npos || close == std::string_view::npos || close < open) {
    return Status::InvalidArgument("expected \"PID (comm) state ...\"");
  }
  PidStat s;
  std::string_view pid = text.substr(0, open);
  while (!pid.empty() && IsBlank(pid.back())) pid.remove_suffix(1);
  if (!ParseNumber(pid, s.pid)) {
    return Status::InvalidArgument("field 1 (pid) is not a number");
  }
  s.comm = text.substr(open + 1, close - open - 1);
  FieldScanner fields(text.substr(close + 1));
  std::string_view state;
  if (!fields.Next(state) || state.size() != 1) {
    return Status::InvalidArgument("field 3 (state) is not one letter");
  }
  s.state = state[0];
  // Fields 4..13 are skipped; each read below names its field for errors.
  if (!fields.Skip(10) || !fields.NextNumber(s.utime)) {
    return Status::InvalidArgument("field 14 (utime) is not a number");
  }
  if (!fields.NextNumber(s.stime))
    return Status::InvalidArgument("field 15 (stime) is not a number");
  if (!fields.Skip(4) || !fields.NextNumber(s.num_threads)) {
    return Status::InvalidArgument("field 20 (num_threads) is not a number");
  }
  if (!fields.Skip(1) || !fields.NextNumber(s.start_time)) {
    return Status::InvalidArgument("field 22 (starttime) is not a number");
  }
  if (!fields.NextNumber(s.vsize))
    return Status::InvalidArgument("field 23 (vsize) is not a number");
  if (!fields.NextNumber(s.rss_pages)) {
    return Status::InvalidArgument("field 24 (rss) is not a number");
  }
  return s;
}

Result<int64_t> CountDirEntries(const std::string& path) {
  DIR* dir = ::opendir(path.c_str());
  if (dir == nullptr) return FileError(path, errno);
  int64_t n = 0;
  while (const dirent* e = ::readdir(dir)) n += !IsDotOrDotDot(e->d_name);
  ::closedir(dir);
  return n;
}

DirEntryCounter::DirEntryCounter(std::string path, bool keep_open)
    : path_(std::move(path)), keep_open_(keep_open) {}

DirEntryCounter::~DirEntryCounter() {
  if (dir_ != nullptr) ::closedir(dir_);
}

DirEntryCounter::DirEntryCounter(DirEntryCounter&& other) noexcept
    : path_(std::move(other.path_)),
      keep_open_(other.keep_open_),
      dir_(std::exchange(other.dir_, nullptr)) {}

DirEntryCounter& DirEntryCounter::operator=(DirEntryCounter&& other) noexcept {
  if (this != &other) {
    if (dir_ != nullptr) ::closedir(dir_);
    path_ = std::move(other.path_);
    keep_open_ = other.keep_open_;
    dir_ = std::exchange(other.dir_, nullptr);
  }
  return *this;
}

Result<int64_t> DirEntryCounter::Count() {
  if (!keep_open_) return CountDirEntries(path_);
  if (dir_ == nullptr) {
    dir_ = ::opendir(path_.c_str());
    if (dir_ == nullptr) return FileError(path_, errno);
  } else {
    ::rewinddir(dir_);
  }
  int64_t n = 0;
  errno = 0;
  while (const dirent* e = ::readdir(dir_)) n += !IsDotOrDotDot(e->d_name);
  if (errno != 0) {
    Status s = FileError(path_, errno);
    ::closedir(dir_);
    dir_ = nullptr;
    return s;
  }
  return n;
}

Result<uint64_t> ReadBootTime(ProcReader& reader, const std::string& procfs) {
  std::string path = procfs + "/stat";
  Result<std::string_view> text = reader.Read(path);
  if (!text.ok()) return text.status();
  Result<ProcStat> stat = ParseProcStat(*text);
  if (!stat.ok()) return PrefixPath(path, stat.status());
  return stat->boot_time;
}

ProcUnits ProcUnits::FromSysconf() {
  return ProcUnits{static_cast<double>(sysconf(_SC_CLK_TCK)),
                   static_cast<double>(sysconf(_SC_PAGESIZE))};
}

ProcessSampler::ProcessSampler(std::string pid_dir, ProcUnits units, bool keep_open)
    : stat_(pid_dir + "/stat"),
      keep_open_(keep_open),
      fds_(pid_dir + "/fd", keep_open),
      units_(units) {}

Result<ProcessUsage> ProcessSampler::Sample(ProcReader& reader,
                                            std::chrono::steady_clock::time_point now) {
  Result<std::string_view> text = keep_open_ ? stat_.Read(reader) : reader.Read(stat_.path());
  if (!text.ok()) return text.status();
  Result<PidStat> stat = ParsePidStat(*text);
  if (!stat.ok()) return PrefixPath(stat_.path(), stat.status());

  ProcessUsage u;
  uint64_t cpu_ticks = stat->utime + stat->stime;
  u.cpu_seconds = static_cast<double>(cpu_ticks) / units_.ticks_per_second;
  u.resident_bytes = static_cast<double>(stat->rss_pages) * units_.page_size;
  u.virtual_bytes = static_cast<double>(stat->vsize);
  u.threads = static_cast<double>(stat->num_threads);
  u.start_time_ticks = static_cast<double>(stat->start_time);
  if (has_prev_ && stat->start_time == prev_start_time_ && cpu_ticks >= prev_cpu_ticks_) {
    double wall = SecondsBetween(prev_time_, now);
    if (wall > 0) {
      double cpu = static_cast<double>(cpu_ticks - prev_cpu_ticks_) / units_.ticks_per_second;
      u.cpu_percent = 100.0 * cpu / wall;
    }
  }
  has_prev_ = true;
  prev_cpu_ticks_ = cpu_ticks;
  prev_start_time_ = stat->start_time;
  prev_time_ = now;

  if (Result<int64_t> fds = fds_.Count(); fds.ok()) {
    u.open_fds = static_cast<double>(*fds);
  }
  return u;
}

}  // namespace perfwatch
