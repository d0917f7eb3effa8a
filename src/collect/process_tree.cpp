#include "collect/process_tree.h"

#include <dirent.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <sys/statfs.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <string>
#include <utility>

#include "collect/clock.h"
#include "collect/proc_text.h"

namespace perfwatch {
namespace {

// The stat fields ParsePidStat leaves out: ppid (4), cutime (16) and
// cstime (17), read from after the last ')' as ParsePidStat reads the rest.
struct TreeFields {
  int64_t ppid = 0;
  int64_t cutime = 0, cstime = 0;  // clock_t in the kernel, never negative
};

bool ParseTreeFields(std::string_view text, TreeFields& f) {
  size_t close = text.rfind(')');
  if (close == std::string_view::npos) return false;
  FieldScanner fields(text.substr(close + 1));
  // state (3), ppid (4), then fields 5..15, cutime (16), cstime (17).
  return fields.Skip(1) && fields.NextNumber(f.ppid) && fields.Skip(11) &&
         fields.NextNumber(f.cutime) && fields.NextNumber(f.cstime);
}

// "rchar: 1\nwchar: 2\n...": the four counters ProcessTree sums.
void ParseIo(std::string_view text, uint64_t& rchar, uint64_t& wchar, uint64_t& read_bytes,
             uint64_t& write_bytes) {
  LineScanner lines(text);
  std::string_view line;
  while (lines.Next(line)) {
    size_t colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    std::string_view key = line.substr(0, colon);
    FieldScanner value(line.substr(colon + 1));
    uint64_t* dest = key == "rchar"         ? &rchar
                     : key == "wchar"       ? &wchar
                     : key == "read_bytes"  ? &read_bytes
                     : key == "write_bytes" ? &write_bytes
                                            : nullptr;
    uint64_t n = 0;
    if (dest != nullptr && value.NextNumber(n)) *dest = n;
  }
}

bool ParsePid(const char* name, int64_t& pid) {
  if (name[0] < '1' || name[0] > '9') return false;
  return ParseNumber(std::string_view(name), pid);
}

// "0.52 0.58 0.59 2/517 12345\n": threads (after the '/') and the last PID.
bool ParseLoadavgTasks(std::string_view text, int64_t& threads, int64_t& last_pid) {
  FieldScanner fields(text.substr(0, text.find('\n')));
  std::string_view tasks, last;
  if (!fields.Skip(3) || !fields.Next(tasks) || !fields.Next(last)) return false;
  size_t slash = tasks.find('/');
  return slash != std::string_view::npos && ParseNumber(tasks.substr(slash + 1), threads) &&
         ParseNumber(last, last_pid);
}

// Whether `procfs` shows this process's PID namespace: its "self" names
// getpid(). Only then does its loadavg count the PIDs it lists (loadavg
// speaks for the reader's namespace, whatever the mount).
bool IsOwnProcfs(const std::string& procfs) {
  char target[32];
  ssize_t n = ::readlink((procfs + "/self").c_str(), target, sizeof target - 1);
  if (n <= 0) return false;
  int64_t pid = 0;
  return ParseNumber(std::string_view(target, static_cast<size_t>(n)), pid) && pid == ::getpid();
}

// <procfs>/loadavg, open, when it is the kernel's own: on procfs (not a
// FUSE file such as LXCFS's, refreshed now and then), and moving (its last
// PID no older than `root`, spawned before; an emulated kernel may show
// "0/0 0"). Else -1: every sample lists. A PID space that wrapped since the
// spawn fails the test too, harmlessly.
int OpenLoadavg(const std::string& procfs, int64_t root) {
  if (!IsOwnProcfs(procfs)) return -1;
  int fd = ::open((procfs + "/loadavg").c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return -1;
  struct statfs fs {};
  char text[128];
  ssize_t n = ::pread(fd, text, sizeof text - 1, 0);
  int64_t threads = 0, last_pid = 0;
  if (::fstatfs(fd, &fs) != 0 || fs.f_type != PROC_SUPER_MAGIC || n <= 0 ||
      !ParseLoadavgTasks(std::string_view(text, static_cast<size_t>(n)), threads, last_pid) ||
      threads <= 0 || last_pid < root) {
    ::close(fd);
    return -1;
  }
  return fd;
}

}  // namespace

ProcessTree::KeptFile::KeptFile(KeptFile&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}

ProcessTree::KeptFile& ProcessTree::KeptFile::operator=(KeptFile&& other) noexcept {
  if (this != &other) Reset(std::exchange(other.fd_, -1));
  return *this;
}

ProcessTree::KeptFile::~KeptFile() { Reset(); }

void ProcessTree::KeptFile::Reset(int fd) {
  if (fd_ >= 0) ::close(fd_);
  fd_ = fd;
}

void ProcessTree::DirCloser::operator()(DIR* dir) const { ::closedir(dir); }

ProcessTree::ProcessTree(int64_t root, int64_t self, std::string procfs, ProcUnits units)
    : root_(root),
      self_(self),
      procfs_(std::move(procfs)),
      units_(units),
      dir_(::opendir(procfs_.c_str())),
      prev_at_(std::chrono::steady_clock::now()) {
  loadavg_.Reset(OpenLoadavg(procfs_, root_));
}

std::vector<ListedPid> ProcessTree::ListNow(const std::string& procfs) {
  std::vector<ListedPid> out;
  if (DIR* dir = ::opendir(procfs.c_str())) {
    while (const dirent* e = ::readdir(dir)) {
      int64_t pid = 0;
      if (ParsePid(e->d_name, pid)) out.push_back({pid, e->d_ino});
    }
    ::closedir(dir);
  }
  return out;
}

void ProcessTree::Exclude(const std::vector<ListedPid>& before) {
  known_.reserve(before.size() + 16);
  for (const ListedPid& p : before) {
    if (p.pid == root_) continue;  // cannot be listed before its spawn; safe anyway
    Known& k = known_[p.pid];
    k.inode = p.inode;  // listed again under this inode: skipped unread
  }
}

// The whole of an open procfs file. A PID's stat and io and loadavg are
// each made by one seq_file show call, which a read with room to spare
// returns entire: one pread from offset 0 (which regenerates the text)
// instead of reading on to a 0. A full buffer may mean more: read on.
bool ProcessTree::ReadWhole(int fd, std::string_view& text) {
  ssize_t n = 0;
  do {
    n = ::pread(fd, buf_, sizeof buf_, 0);
  } while (n < 0 && errno == EINTR);
  if (n <= 0) return false;  // ESRCH: the process is gone (reaped)
  if (static_cast<size_t>(n) < sizeof buf_) {
    text = std::string_view(buf_, static_cast<size_t>(n));
    return true;
  }
  Result<std::string_view> whole = reader_.ReadFromStart(fd, "procfs file");
  if (!whole.ok()) return false;
  text = *whole;
  return true;
}

bool ProcessTree::ReadHostTasks(HostTasks& tasks) {
  std::string_view text;
  return loadavg_.fd() >= 0 && ReadWhole(loadavg_.fd(), text) &&
         ParseLoadavgTasks(text, tasks.threads, tasks.last_pid);
}

// `tasks` is null when loadavg cannot say (not this namespace's procfs).
// And at least every kRelistAfter, should a kernel keep loadavg still.
bool ProcessTree::MustList(const HostTasks* tasks,
                           std::chrono::steady_clock::time_point now) const {
  return tasks == nullptr || relist_ || !(*tasks == listed_tasks_) ||
         now - listed_at_ >= kRelistAfter;
}

// <procfs>/PID/`file`, through `kept` (opened on first use and kept while
// fewer than kMaxKeptMembers members' files are open), or opened for this
// read alone when `kept` is null or the cap is reached. A kept file that
// fails to read is closed: its process is gone (or, for io, unreadable,
// which the next sample tries afresh).
bool ProcessTree::ReadMemberFile(int64_t pid, const char* file, KeptFile* kept,
                                 std::string_view& text) {
  if (kept != nullptr && kept->fd() >= 0) {
    if (ReadWhole(kept->fd(), text)) return true;
    Drop(*kept);
    return false;
  }
  char path[48];
  std::snprintf(path, sizeof path, "%lld/%s", static_cast<long long>(pid), file);
  int fd = ::openat(::dirfd(dir_.get()), path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  bool ok = ReadWhole(fd, text);
  if (ok && kept != nullptr && kept_files_ < 2 * kMaxKeptMembers) {
    kept->Reset(fd);
    ++kept_files_;
  } else {
    ::close(fd);
  }
  return ok;
}

void ProcessTree::Drop(KeptFile& file) {
  if (file.fd() < 0) return;
  file.Reset();
  --kept_files_;
}

// `keep`: through the member's kept stat file; a PID read first (membership
// undecided) is opened for this read alone.
bool ProcessTree::ReadStat(int64_t pid, Known& k, bool keep) {
  std::string_view text;
  if (!ReadMemberFile(pid, "stat", keep ? &k.stat_file : nullptr, text)) return false;
  Result<PidStat> stat = ParsePidStat(text);
  TreeFields extra;
  if (!stat.ok() || !ParseTreeFields(text, extra)) return false;
  k.stat_read = generation_;
  k.ppid = extra.ppid;
  k.start_time = stat->start_time;
  k.state = stat->state;
  k.threads = stat->num_threads;
  k.rss_pages = stat->rss_pages;
  k.cpu_ticks = stat->utime + stat->stime +
                static_cast<uint64_t>(std::max<int64_t>(0, extra.cutime)) +
                static_cast<uint64_t>(std::max<int64_t>(0, extra.cstime));
  return true;
}

void ProcessTree::ReadIo(int64_t pid, Known& k) {
  // Unreadable (EACCES for another user's process, or a zombie): the last
  // figures stand, zero if there were none.
  std::string_view text;
  if (ReadMemberFile(pid, "io", &k.io_file, text)) {
    ParseIo(text, k.read_chars, k.write_chars, k.read_bytes, k.write_bytes);
  }
}

void ProcessTree::KeepIo(const Known& k) {
  gone_read_bytes_ += k.read_bytes;
  gone_write_bytes_ += k.write_bytes;
  gone_read_chars_ += k.read_chars;
  gone_write_chars_ += k.write_chars;
}

// Lists <procfs> once: marks every PID seen, and queues for a stat read the
// ones not seen before or whose directory is a new one (whose kept files,
// if any, name the process that had the directory before).
void ProcessTree::List() {
  ++listings_;
  ::rewinddir(dir_.get());
  while (const dirent* e = ::readdir(dir_.get())) {
    int64_t pid = 0;
    if (!ParsePid(e->d_name, pid)) continue;
    Known& k = known_[pid];
    k.seen = generation_;
    if (k.inode != 0 && k.inode == e->d_ino) continue;
    k.relisted = k.inode != 0;
    k.inode = e->d_ino;
    k.fresh = true;
    Drop(k.stat_file);
    Drop(k.io_file);
    fresh_.push_back(pid);
  }
}

// After a listing that followed the loadavg reading `tasks`. The kernel
// hands out a PID before the process shows in <procfs>: when the newest PID
// was not listed and <procfs>/PID does not answer (a thread answers), it
// may be one not yet visible, so the next sample lists again; by then it
// has shown, or is gone for good, and a second miss of the same PID settles.
void ProcessTree::SettleListing(const HostTasks& tasks) {
  listed_tasks_ = tasks;
  auto newest = known_.find(tasks.last_pid);
  if (newest != known_.end() && newest->second.seen == generation_) return;
  char name[24];
  std::snprintf(name, sizeof name, "%lld", static_cast<long long>(tasks.last_pid));
  if (::faccessat(::dirfd(dir_.get()), name, F_OK, 0) == 0) return;
  if (tasks.last_pid == unconfirmed_pid_) return;
  unconfirmed_pid_ = tasks.last_pid;
  relist_ = true;
}

// A PID listed again under a new inode: the same process if its start time
// is unchanged, else a reused PID whose old member is gone.
void ProcessTree::ReadFresh() {
  for (int64_t pid : fresh_) {
    Known& k = known_[pid];
    bool relisted = k.relisted, was_member = k.member;
    uint64_t old_start = k.start_time;
    if (!ReadStat(pid, k, false)) {
      k.seen = 0;  // vanished since the listing
      continue;
    }
    if (relisted && old_start == k.start_time) {
      k.fresh = false;
    } else if (was_member) {
      KeepIo(k);  // the io figures are still the old member's
      k.member = false;
      k.read_bytes = k.write_bytes = k.read_chars = k.write_chars = 0;
    }
  }
}

ProcessTree::Membership ProcessTree::Resolve(int64_t pid, int depth) {
  auto it = known_.find(pid);
  // Not listed at all: hidden (hidepid) or in another PID namespace.
  if (it == known_.end()) return Membership::kOutside;
  if (it->second.seen != generation_) return Membership::kUndecided;  // vanished since
  Known& k = it->second;
  if (!k.fresh) return k.member ? Membership::kMember : Membership::kOutside;
  if (depth > 4096) return Membership::kUndecided;  // a cycle of stale parents
  Membership m = Membership::kOutside;
  if (pid == root_) {
    if (!root_seen_ || k.start_time == root_start_) m = Membership::kMember;
  } else if (k.ppid == self_) {
    if (root_seen_ && k.start_time >= root_start_) m = Membership::kMember;
  } else if (k.ppid > 0) {
    auto parent = known_.find(k.ppid);
    if (parent != known_.end() && parent->second.start_time > k.start_time) {
      m = Membership::kOutside;  // a stale entry: the parent cannot be younger
    } else {
      m = Resolve(k.ppid, depth + 1);
    }
  }
  if (m == Membership::kUndecided) {
    // The parent vanished between the listing and its stat read: the child is
    // reparented by now, so read it again next sample.
    k.inode = 0;
    relist_ = true;
  } else {
    k.member = m == Membership::kMember;
  }
  k.fresh = false;
  return m;
}

// Reads the stat (unless this sample's listing did) and io of every live
// member: those listed this sample, or, without a listing, those that were
// members last sample (no process can have joined since). Without
// `full_io`, an idle member's io only every kIdleIoRefresh; a sample that
// lists /proc (a process was created or reaped: a reaped child's IO moves
// to its parent's io) reads every member's.
void ProcessTree::ReadMembers(bool full_io) {
  for (auto& [pid, k] : members_) {
    if (k->stat_read != generation_) {
      if (!ReadStat(pid, *k, true)) {
        k->seen = 0;  // gone
        continue;
      }
      k->seen = generation_;
    }
    const bool idle = k->cpu_ticks == k->io_cpu_ticks && k->state != 'R' && k->state != 'D';
    if (!full_io && idle && sample_at_ - k->io_read_at < kIdleIoRefresh) continue;
    ReadIo(pid, *k);
    k->io_cpu_ticks = k->cpu_ticks;
    k->io_read_at = sample_at_;
  }
}

// Drops PIDs gone from the listing, or without a listing the members whose
// stat could not be read. A member reaped by a live member had its IO added
// to that member's io file by the kernel; any other was reaped by `self`
// (or by a member gone too), so its last figures are kept.
void ProcessTree::ForgetVanished(bool listed) {
  auto gone = [&](const Known& k) {
    if (!k.member) return;
    auto parent = known_.find(k.ppid);
    bool reaped_by_member = parent != known_.end() && parent->second.member &&
                            parent->second.seen == generation_ && parent->second.state != 'Z';
    if (!reaped_by_member) KeepIo(k);
  };
  if (!listed) {
    // Every gone member first: a parent's entry must outlive the check of
    // its children.
    for (auto& [pid, k] : members_) {
      if (k->seen != generation_) gone(*k);
    }
    for (auto& [pid, k] : members_) {
      if (k->seen == generation_) continue;
      Drop(k->stat_file);
      Drop(k->io_file);
      known_.erase(pid);
      k = nullptr;
    }
    std::erase_if(members_, [](const auto& m) { return m.second == nullptr; });
    return;
  }
  for (auto& [pid, k] : known_) {
    if (k.seen != generation_) gone(k);
  }
  for (auto it = known_.begin(); it != known_.end();) {
    if (it->second.seen == generation_) {
      ++it;
      continue;
    }
    Drop(it->second.stat_file);
    Drop(it->second.io_file);
    it = known_.erase(it);
  }
  members_.clear();
  for (auto& [pid, k] : known_) {
    if (k.member) members_.emplace_back(pid, &k);
  }
}

TreeSample ProcessTree::Sample() {
  TreeSample s;
  s.at = std::chrono::steady_clock::now();
  sample_at_ = s.at;
  ++generation_;
  fresh_.clear();
  if (!dir_) dir_.reset(::opendir(procfs_.c_str()));
  bool listed = false;
  if (dir_) {
    HostTasks tasks;
    bool counted = ReadHostTasks(tasks);
    listed = MustList(counted ? &tasks : nullptr, s.at);
    if (listed) {
      relist_ = false;
      listed_at_ = s.at;
      List();
      ReadFresh();
      // The root first: the rule for children of `self` needs its start time.
      if (Resolve(root_, 0) == Membership::kMember && !root_seen_) {
        root_seen_ = true;
        root_start_ = known_[root_].start_time;
      }
      for (int64_t pid : fresh_) Resolve(pid, 0);
      if (counted) SettleListing(tasks);
      members_.clear();
      for (auto& [pid, k] : known_) {
        if (k.member && k.seen == generation_) members_.emplace_back(pid, &k);
      }
    }
    ReadMembers(listed);
  }
  ForgetVanished(listed || !dir_);

  uint64_t cpu_ticks = 0;
  s.read_bytes = gone_read_bytes_;
  s.write_bytes = gone_write_bytes_;
  s.read_chars = gone_read_chars_;
  s.write_chars = gone_write_chars_;
  for (const auto& [pid, kp] : members_) {
    const Known& k = *kp;
    cpu_ticks += k.cpu_ticks;
    s.read_bytes += k.read_bytes;
    s.write_bytes += k.write_bytes;
    s.read_chars += k.read_chars;
    s.write_chars += k.write_chars;
    if (k.state == 'Z' || k.state == 'X') continue;
    if (pid == root_) s.root_alive = true;
    ++s.processes;
    s.threads += k.threads;
    s.rss_bytes += static_cast<double>(k.rss_pages) * units_.page_size;
  }
  double cpu = static_cast<double>(cpu_ticks) / units_.ticks_per_second + reaped_cpu_seconds_;
  s.cpu_seconds = std::max(cpu, prev_cpu_seconds_);
  double wall = SecondsBetween(prev_at_, s.at);
  if (wall > 0) s.cpu_percent = 100.0 * (s.cpu_seconds - prev_cpu_seconds_) / wall;
  prev_cpu_seconds_ = s.cpu_seconds;
  prev_at_ = s.at;
  return s;
}

}  // namespace perfwatch
