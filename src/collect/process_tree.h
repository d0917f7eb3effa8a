#pragma once
// ProcessTree follows one process and everything it starts: every sample
// walks the PID list of /proc once, reads the stat of PIDs it has not seen
// (to learn their parent) and of the tree's members (their figures), so a
// sample costs about as much as the tree is large, not as the host is busy.
// A child that is reparented to perfwatch (a sub-reaper, see
// bench/spawn.h) stays in the tree.
//
// Membership is decided once per process, when it is first seen: the root
// (the first process seen under its PID); a process whose parent is a member
// and started no later than it; and a child of `self` that started no
// earlier than the root (an orphan of the tree whose parent exited before
// any sample saw it), so the caller must start no other child while it
// follows a tree. A member stays one until it is reaped; a PID whose
// /proc directory changed inode (procfs gives a new process a new inode) is
// read again, so a reused PID is not mistaken for the process it replaced.
// Non-members are read once and then only listed: a process can leave the
// tree only by being reaped, and join it only at fork or by reparenting to
// an ancestor, which a non-member's ancestors are not.
//
// CPU is cumulative and complete: the live members' utime + stime plus
// their cutime + cstime (children they reaped), plus what the caller adds
// for the children it reaped itself (AddReapedCpu). It never decreases (a
// child auto-reaped by a parent that ignores SIGCHLD takes its CPU with it;
// the figure then holds until the parent's own time catches up). IO is the
// live members' /proc/PID/io plus the last figures of members that are
// gone, except those reaped by a live member: the kernel adds a reaped
// child's IO to its parent's /proc/PID/io, as it adds its CPU to cutime.
// An io file that cannot be read (another user's process) counts as zero.
// RSS, threads and processes are the live members' sums at the moment of the
// sample; a zombie counts for CPU and IO only.
//
// One thread at a time; the object holds no file open between samples.
// Movable, not copyable.

#include <chrono>
#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include "collect/procfs_pid.h"

namespace perfwatch {

struct TreeSample {
  std::chrono::steady_clock::time_point at;
  int64_t processes = 0;     // live members, the root included
  int64_t threads = 0;       // sum of their num_threads
  double rss_bytes = 0;      // sum of their resident set sizes
  double cpu_seconds = 0;    // cumulative since the tree started, see above
  double cpu_percent = 0;    // since the previous sample; 100 = one core busy
  uint64_t read_bytes = 0;   // cumulative storage reads (io: read_bytes)
  uint64_t write_bytes = 0;  // cumulative storage writes (io: write_bytes)
  uint64_t read_chars = 0;   // cumulative read() bytes (io: rchar)
  uint64_t write_chars = 0;  // cumulative write() bytes (io: wchar)
  bool root_alive = false;   // false once the root is gone (or a zombie)
};

// A PID as a listing of /proc gives it, with its directory's inode (which
// a new process under a reused PID does not share).
struct ListedPid {
  int64_t pid = 0;
  uint64_t inode = 0;
};

class ProcessTree {
 public:
  // `root` is the PID whose descendants are followed; `self` (perfwatch's
  // own PID) is where orphans of the tree are reparented. Construct it right
  // after spawning the root: the first sample's cpu_percent runs from here.
  ProcessTree(int64_t root, int64_t self, std::string procfs = "/proc",
              ProcUnits units = ProcUnits::FromSysconf());

  // Walks /proc once. Never fails: a member that vanished mid-read is
  // counted as gone.
  TreeSample Sample();

  // The processes in `procfs` now. A caller about to spawn the root lists
  // them first and hands them to Exclude: none can be a member, so the first
  // sample reads only what started since, not every process on the host
  // (about 15 us each; 2 ms for 100). Empty when procfs cannot be listed.
  static std::vector<ListedPid> ListNow(const std::string& procfs = "/proc");
  // Takes `before` (from ListNow, before the root was spawned) as outside
  // the tree without reading them; call it before the first Sample.
  void Exclude(const std::vector<ListedPid>& before);

  // CPU seconds of tree members the caller reaped (wait4 rusage), added to
  // every later sample's cpu_seconds.
  void AddReapedCpu(double seconds) { reaped_cpu_seconds_ += seconds; }

 private:
  // What one sample learns of one PID. Only members' figures are kept fresh.
  struct Known {
    uint64_t inode = 0;  // of /proc/PID as readdir gives it; 0: read again
    uint64_t seen = 0;   // generation_ of the last listing that held it
    int64_t ppid = 0;
    uint64_t start_time = 0;  // clock ticks after boot
    bool member = false;
    bool relisted = false;   // listed again under a new inode this sample
    bool fresh = false;      // its stat is read first this sample, membership undecided
    uint64_t stat_read = 0;  // generation_ of its last stat read
    char state = '?';
    int64_t threads = 0, rss_pages = 0;
    uint64_t cpu_ticks = 0;  // utime + stime + cutime + cstime
    uint64_t read_bytes = 0, write_bytes = 0, read_chars = 0, write_chars = 0;
  };
  enum class Membership { kMember, kOutside, kUndecided };

  void List(DIR* dir);
  bool ReadStat(int dir_fd, int64_t pid, Known& k);
  void ReadIo(int dir_fd, int64_t pid, Known& k);
  Membership Resolve(int64_t pid, int depth);
  void KeepIo(const Known& k);
  void ForgetVanished();

  int64_t root_, self_;
  std::string procfs_;
  ProcUnits units_;
  ProcReader reader_;
  std::unordered_map<int64_t, Known> known_;
  std::vector<int64_t> fresh_;  // PIDs whose stat this sample reads first
  uint64_t generation_ = 0;
  uint64_t root_start_ = 0;  // the root's start time, once seen
  bool root_seen_ = false;
  double reaped_cpu_seconds_ = 0;
  uint64_t gone_read_bytes_ = 0, gone_write_bytes_ = 0, gone_read_chars_ = 0, gone_write_chars_ = 0;
  double prev_cpu_seconds_ = 0;
  std::chrono::steady_clock::time_point prev_at_;
};

}  // namespace perfwatch
