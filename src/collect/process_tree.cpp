#include "collect/process_tree.h"

#include <dirent.h>
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
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

}  // namespace

ProcessTree::ProcessTree(int64_t root, int64_t self, std::string procfs, ProcUnits units)
    : root_(root),
      self_(self),
      procfs_(std::move(procfs)),
      units_(units),
      prev_at_(std::chrono::steady_clock::now()) {}

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

bool ProcessTree::ReadStat(int dir_fd, int64_t pid, Known& k) {
  char path[32];
  std::snprintf(path, sizeof path, "%lld/stat", static_cast<long long>(pid));
  Result<std::string_view> text = reader_.ReadAt(dir_fd, path);
  if (!text.ok()) return false;
  Result<PidStat> stat = ParsePidStat(*text);
  TreeFields extra;
  if (!stat.ok() || !ParseTreeFields(*text, extra)) return false;
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

void ProcessTree::ReadIo(int dir_fd, int64_t pid, Known& k) {
  char path[32];
  std::snprintf(path, sizeof path, "%lld/io", static_cast<long long>(pid));
  // Unreadable (EACCES for another user's process, or a zombie): the last
  // figures stand, zero if there were none.
  Result<std::string_view> text = reader_.ReadAt(dir_fd, path);
  if (text.ok()) ParseIo(*text, k.read_chars, k.write_chars, k.read_bytes, k.write_bytes);
}

void ProcessTree::KeepIo(const Known& k) {
  gone_read_bytes_ += k.read_bytes;
  gone_write_bytes_ += k.write_bytes;
  gone_read_chars_ += k.read_chars;
  gone_write_chars_ += k.write_chars;
}

// Lists <procfs> once: marks every PID seen, and queues for a stat read the
// ones not seen before or whose directory is a new one.
void ProcessTree::List(DIR* dir) {
  while (const dirent* e = ::readdir(dir)) {
    int64_t pid = 0;
    if (!ParsePid(e->d_name, pid)) continue;
    Known& k = known_[pid];
    k.seen = generation_;
    if (k.inode != 0 && k.inode == e->d_ino) continue;
    k.relisted = k.inode != 0;
    k.inode = e->d_ino;
    k.fresh = true;
    fresh_.push_back(pid);
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
  } else {
    k.member = m == Membership::kMember;
  }
  k.fresh = false;
  return m;
}

// Drops PIDs gone from the listing. A member reaped by a live member had its
// IO added to that member's io file by the kernel; any other was reaped by
// `self` (or by a member gone too), so its last figures are kept.
void ProcessTree::ForgetVanished() {
  for (auto it = known_.begin(); it != known_.end();) {
    const Known& k = it->second;
    if (k.seen == generation_) {
      ++it;
      continue;
    }
    if (k.member) {
      auto parent = known_.find(k.ppid);
      bool reaped_by_member = parent != known_.end() && parent->second.member &&
                              parent->second.seen == generation_ && parent->second.state != 'Z';
      if (!reaped_by_member) KeepIo(k);
    }
    it = known_.erase(it);
  }
}

TreeSample ProcessTree::Sample() {
  TreeSample s;
  s.at = std::chrono::steady_clock::now();
  ++generation_;
  fresh_.clear();
  if (DIR* dir = ::opendir(procfs_.c_str())) {
    int dir_fd = ::dirfd(dir);
    List(dir);
    // A PID listed again under a new inode: the same process if its start
    // time is unchanged, else a reused PID whose old member is gone.
    for (int64_t pid : fresh_) {
      Known& k = known_[pid];
      Known before = k;
      if (!ReadStat(dir_fd, pid, k)) {
        k.seen = 0;  // vanished since the listing
        continue;
      }
      if (before.relisted && before.start_time == k.start_time) {
        k.fresh = false;
      } else if (before.member) {
        KeepIo(before);
        k.member = false;
        k.read_bytes = k.write_bytes = k.read_chars = k.write_chars = 0;
      }
    }
    // The root first: the rule for children of `self` needs its start time.
    if (Resolve(root_, 0) == Membership::kMember && !root_seen_) {
      root_seen_ = true;
      root_start_ = known_[root_].start_time;
    }
    for (int64_t pid : fresh_) Resolve(pid, 0);
    for (auto& [pid, k] : known_) {
      if (!k.member || k.seen != generation_) continue;
      if (k.stat_read != generation_ && !ReadStat(dir_fd, pid, k)) {
        k.seen = 0;
        continue;
      }
      ReadIo(dir_fd, pid, k);
    }
    ::closedir(dir);
  }
  ForgetVanished();

  uint64_t cpu_ticks = 0;
  s.read_bytes = gone_read_bytes_;
  s.write_bytes = gone_write_bytes_;
  s.read_chars = gone_read_chars_;
  s.write_chars = gone_write_chars_;
  for (const auto& [pid, k] : known_) {
    if (!k.member) continue;
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
