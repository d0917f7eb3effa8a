#pragma once
// Reading one process from /proc/PID: the stat parser and ProcessSampler,
// shared by the processes, process (watched) and self collectors.

#include <dirent.h>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "collect/proc_reader.h"
#include "model/status.h"

namespace perfwatch {

// The /proc/PID/stat fields perfwatch uses (field numbers of proc(5)).
struct PidStat {
  int64_t pid = 0;          // 1
  std::string_view comm;    // 2, without the parentheses; a view into the parsed text
  char state = '?';         // 3: R S D Z T t X I ...
  uint64_t utime = 0;       // 14, clock ticks
  uint64_t stime = 0;       // 15, clock ticks
  int64_t num_threads = 0;  // 20
  uint64_t start_time = 0;  // 22, clock ticks after boot
  uint64_t vsize = 0;       // 23, bytes
  int64_t rss_pages = 0;    // 24
};

// comm may hold spaces and parentheses ("(my (app) x)"), so it runs from the
// first '(' to the LAST ')'. Errors say which field was bad.
Result<PidStat> ParsePidStat(std::string_view text);

// Entries of the directory `path` other than "." and ".." (open files of
// /proc/PID/fd). Unavailable when it is gone, IOError on EACCES (another
// user's process).
Result<int64_t> CountDirEntries(const std::string& path);

// Counts the entries of one directory, each time it is asked. With
// keep_open it holds the directory open and rewinds it instead of reopening
// (procfs lists /proc/PID/fd afresh from offset 0), which halves the cost for
// perfwatch's own /proc/self/fd. Move-only; one thread at a time.
class DirEntryCounter {
 public:
  DirEntryCounter(std::string path, bool keep_open);
  ~DirEntryCounter();
  DirEntryCounter(DirEntryCounter&& other) noexcept;
  DirEntryCounter& operator=(DirEntryCounter&& other) noexcept;

  // Errors follow CountDirEntries.
  Result<int64_t> Count();

 private:
  std::string path_;
  bool keep_open_;
  DIR* dir_ = nullptr;  // open between calls only with keep_open_
};

// btime of <procfs>/stat: boot time in seconds since the epoch.
Result<uint64_t> ReadBootTime(ProcReader& reader, const std::string& procfs);

// Converts stat fields to base units; sysconf values unless a test fixes them.
struct ProcUnits {
  double ticks_per_second = 100;  // USER_HZ
  double page_size = 4096;        // bytes
  static ProcUnits FromSysconf();
};

// One reading of a process in base units.
struct ProcessUsage {
  double cpu_seconds = 0;             // utime + stime
  std::optional<double> cpu_percent;  // since the previous reading; 200 = two cores busy
  double resident_bytes = 0;
  double virtual_bytes = 0;
  double threads = 0;
  std::optional<double> open_fds;  // absent when fd/ is unreadable (EACCES)
  double start_time_ticks = 0;     // clock ticks after boot
};

// ProcessSampler follows one process directory (/proc/PID or /proc/self)
// across ticks, keeping the previous CPU time for the percent. A different
// start time means the PID was reused, and the percent starts over.
// One thread at a time.
class ProcessSampler {
 public:
  // keep_open holds stat and fd/ open between samples: right for /proc/self,
  // wrong for another PID (a kept file would outlive the process it names,
  // which the sampler detects by its reads failing).
  ProcessSampler(std::string pid_dir, ProcUnits units, bool keep_open = false);

  // Unavailable when the process is gone; InvalidArgument when stat is
  // malformed (both name the file).
  Result<ProcessUsage> Sample(ProcReader& reader, std::chrono::steady_clock::time_point now);

 private:
  ProcFile stat_;  // used through stat_.Read only when keep_open
  bool keep_open_;
  DirEntryCounter fds_;
  ProcUnits units_;
  bool has_prev_ = false;
  uint64_t prev_cpu_ticks_ = 0;
  uint64_t prev_start_time_ = 0;
  std::chrono::steady_clock::time_point prev_time_;
};

}  // namespace perfwatch
