#pragma once
// ProcessTree follows one process and everything it starts. A sample reads
// the stat and io of the tree's members, through files it keeps open
// (procfs regenerates them on each pread from offset 0, so a kept file
// spares the path walk, open and close); it lists <procfs> only when a
// process may have been created since the last listing: the last PID the
// kernel handed out and the number of threads on the host, both in
// <procfs>/loadavg, are unchanged otherwise. So a sample of a settled tree
// costs one read per member file plus one, whatever runs on the host; one
// that lists also reads the stat of PIDs it has not seen (to learn their
// parent). The shortcut is taken only when <procfs> is the procfs of this
// process's PID namespace (its "self" names getpid(); loadavg speaks for
// the reader's namespace) and its loadavg is procfs's own (not a FUSE
// overlay such as LXCFS's) and moving; otherwise every sample lists. A
// sample lists at least once a second anyway, should a kernel keep loadavg
// still. A child that is reparented to perfwatch (a sub-reaper, see
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
// An idle member's io is re-read at most every kIdleIoRefresh, so its IO
// may show up to that late. RSS, threads and processes are the live members' sums at the moment of
// the sample; a zombie counts for CPU and IO only.
//
// Open files: <procfs> itself, its loadavg, and the stat and io of up to
// kMaxKeptMembers members (each closed once its process is gone); members
// beyond that are read with open, read and close. One thread at a time.
// Movable, not copyable.

#include <chrono>
#include <cstdint>
#include <memory>
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
  // Members whose stat and io stay open between samples (two descriptors
  // each); the rest are opened per read. Leaves room under the usual
  // 1024-descriptor limit for everything else the process holds.
  static constexpr size_t kMaxKeptMembers = 256;
  // A member whose CPU time has not moved since its io was last read, and
  // that is neither running nor in disk sleep, cannot have done IO since,
  // except for a few microseconds of it below stat's 10 ms CPU resolution:
  // its io is read again only after this long. This halves the cost of
  // sampling a large, mostly idle tree; an idle member's IO figures lag by
  // at most this much.
  static constexpr std::chrono::seconds kIdleIoRefresh{1};

  // `root` is the PID whose descendants are followed; `self` (perfwatch's
  // own PID) is where orphans of the tree are reparented. Construct it right
  // after spawning the root: the first sample's cpu_percent runs from here.
  ProcessTree(int64_t root, int64_t self, std::string procfs = "/proc",
              ProcUnits units = ProcUnits::FromSysconf());

  // Reads the members, listing <procfs> first when needed (see above).
  // Never fails: a member that vanished mid-read is counted as gone.
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

  // Counters for tests and benchmarks: samples that listed <procfs>, and
  // member files open now.
  uint64_t listings() const { return listings_; }
  size_t kept_files() const { return kept_files_; }

 private:
  // A descriptor kept between samples; -1 when none. Move-only.
  class KeptFile {
   public:
    KeptFile() = default;
    KeptFile(KeptFile&& other) noexcept;
    KeptFile& operator=(KeptFile&& other) noexcept;
    ~KeptFile();
    int fd() const { return fd_; }
    void Reset(int fd = -1);

   private:
    int fd_ = -1;
  };
  struct DirCloser {
    void operator()(DIR* dir) const;
  };
  // What one sample learns of one PID. Only members' figures are kept fresh.
  struct Known {
    uint64_t inode = 0;  // of /proc/PID as readdir gives it; 0: read again
    uint64_t seen = 0;   // generation_ it was last listed or read as a member
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
    // When io was last read: cpu_ticks then, and the sample's time.
    uint64_t io_cpu_ticks = UINT64_MAX;
    std::chrono::steady_clock::time_point io_read_at;
    KeptFile stat_file, io_file;  // members only, see kMaxKeptMembers
  };
  // The host's task counters in <procfs>/loadavg: the last PID handed out
  // in this PID namespace and the number of threads. A process created (or
  // one that exits) changes at least one of them.
  struct HostTasks {
    int64_t last_pid = -1;
    int64_t threads = -1;
    bool operator==(const HostTasks&) const = default;
  };
  enum class Membership { kMember, kOutside, kUndecided };

  bool ReadHostTasks(HostTasks& tasks);
  // A listing at least this often whatever loadavg says (a safety net that
  // costs one listing a second).
  static constexpr std::chrono::seconds kRelistAfter{1};

  bool MustList(const HostTasks* tasks, std::chrono::steady_clock::time_point now) const;
  void List();
  void SettleListing(const HostTasks& tasks);
  void ReadFresh();
  bool ReadWhole(int fd, std::string_view& text);
  bool ReadMemberFile(int64_t pid, const char* file, KeptFile* kept, std::string_view& text);
  void Drop(KeptFile& file);
  bool ReadStat(int64_t pid, Known& k, bool keep);
  void ReadIo(int64_t pid, Known& k);
  Membership Resolve(int64_t pid, int depth);
  void ReadMembers(bool full_io);
  void KeepIo(const Known& k);
  void ForgetVanished(bool listed);

  int64_t root_, self_;
  std::string procfs_;
  ProcUnits units_;
  ProcReader reader_;
  std::unique_ptr<DIR, DirCloser> dir_;              // <procfs>, rewound for each listing
  KeptFile loadavg_;                                 // open only when the shortcut applies
  HostTasks listed_tasks_;                           // loadavg as read before the last listing
  bool relist_ = true;                               // the next sample lists whatever loadavg says
  std::chrono::steady_clock::time_point listed_at_;  // of the last listing
  int64_t unconfirmed_pid_ = 0;                      // a newest PID the last listing did not show
  std::unordered_map<int64_t, Known> known_;
  // The live members as of the last sample; pointers into known_ (whose
  // nodes stay put until erased).
  std::vector<std::pair<int64_t, Known*>> members_;
  std::vector<int64_t> fresh_;  // PIDs whose stat this sample reads first
  uint64_t generation_ = 0;
  std::chrono::steady_clock::time_point sample_at_;  // of the sample being taken
  uint64_t listings_ = 0;
  size_t kept_files_ = 0;
  uint64_t root_start_ = 0;  // the root's start time, once seen
  bool root_seen_ = false;
  double reaped_cpu_seconds_ = 0;
  uint64_t gone_read_bytes_ = 0, gone_write_bytes_ = 0, gone_read_chars_ = 0, gone_write_chars_ = 0;
  double prev_cpu_seconds_ = 0;
  std::chrono::steady_clock::time_point prev_at_;
  char buf_[4096];  // one read of a member file or loadavg, which are far smaller
};

}  // namespace perfwatch
