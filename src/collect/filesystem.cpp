#include "collect/filesystem.h"

#include <linux/magic.h>
#include <poll.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <unordered_map>

#include "collect/proc_text.h"
#include "collect/sample_writer.h"

namespace perfwatch {
namespace {

constexpr MetricDef kSize{"system_disk_size_bytes", MetricKind::kGauge, "bytes",
                          "Filesystem size."};
constexpr MetricDef kFree{"system_disk_free_bytes", MetricKind::kGauge, "bytes",
                          "Free space, root's reserve included."};
constexpr MetricDef kAvail{"system_disk_avail_bytes", MetricKind::kGauge, "bytes",
                           "Free space available to unprivileged users."};
constexpr MetricDef kUsedPercent{"system_disk_used_percent", MetricKind::kGauge, "percent",
                                 "Used share as df computes it: used / (used + avail)."};
constexpr MetricDef kFiles{"system_disk_files", MetricKind::kGauge, "", "Inodes in total."};
constexpr MetricDef kFilesFree{"system_disk_files_free", MetricKind::kGauge, "", "Free inodes."};
constexpr MetricDef kInfo{"system_filesystem_info", MetricKind::kGauge, "",
                          "Always 1; labels say which device and type are mounted where."};
constexpr MetricDef kDefs[] = {kSize, kFree, kAvail, kUsedPercent, kFiles, kFilesFree, kInfo};

constexpr std::array<std::string_view, 23> kIgnoredTypes = {
    "autofs",     "binfmt_misc", "bpf",      "cgroup",  "cgroup2",   "configfs",
    "debugfs",    "devpts",      "devtmpfs", "fusectl", "hugetlbfs", "iso9660",
    "mqueue",     "nsfs",        "proc",     "procfs",  "pstore",    "rpc_pipefs",
    "securityfs", "selinuxfs",   "squashfs", "sysfs",   "tracefs"};

constexpr std::array<std::string_view, 6> kIgnoredMountRoots = {
    "/dev", "/proc", "/sys", "/run/credentials", "/var/lib/docker", "/var/lib/containers"};

bool IsOctal(char c) { return c >= '0' && c <= '7'; }

// proc(5): a /proc/PID/mounts descriptor polls POLLPRI|POLLERR after the
// mount table changed. Anything but procfs (a test fixture) may always have.
bool MountTableUnchanged(const ProcFile& mounts) {
  struct statfs fs;
  if (mounts.fd() < 0 || ::fstatfs(mounts.fd(), &fs) != 0 || fs.f_type != PROC_SUPER_MAGIC) {
    return false;
  }
  pollfd p{mounts.fd(), POLLPRI, 0};
  return ::poll(&p, 1, 0) == 0;
}

}  // namespace

std::string DecodeMountPath(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\\' && i + 3 < s.size() && IsOctal(s[i + 1]) && IsOctal(s[i + 2]) &&
        IsOctal(s[i + 3])) {
      out += static_cast<char>((s[i + 1] - '0') * 64 + (s[i + 2] - '0') * 8 + (s[i + 3] - '0'));
      i += 3;
    } else {
      out += s[i];
    }
  }
  return out;
}

Result<std::vector<MountEntry>> ParseMounts(std::string_view text) {
  std::vector<MountEntry> mounts;
  LineScanner lines(text);
  std::string_view line;
  while (lines.Next(line)) {
    FieldScanner fields(line);
    std::string_view device, mountpoint, fstype;
    if (!fields.Next(device)) continue;
    if (!fields.Next(mountpoint) || !fields.Next(fstype)) {
      return LineError(lines.number(), "expected \"device mountpoint fstype ...\"", line);
    }
    mounts.push_back(
        MountEntry{DecodeMountPath(device), DecodeMountPath(mountpoint), std::string(fstype)});
  }
  return mounts;
}

bool IsIgnoredMount(const MountEntry& m) {
  if (m.fstype == "overlay") return m.mountpoint != "/";
  if (std::find(kIgnoredTypes.begin(), kIgnoredTypes.end(), m.fstype) != kIgnoredTypes.end()) {
    return true;
  }
  std::string_view mp = m.mountpoint;
  for (std::string_view root : kIgnoredMountRoots) {
    if (mp.starts_with(root) && (mp.size() == root.size() || mp[root.size()] == '/')) return true;
  }
  return false;
}

std::vector<MountEntry> SelectMounts(std::vector<MountEntry> mounts) {
  std::unordered_map<std::string_view, size_t> last;  // mountpoint -> index of its last entry
  for (size_t i = 0; i < mounts.size(); ++i) last[mounts[i].mountpoint] = i;
  std::vector<MountEntry> selected;
  std::vector<bool> done(mounts.size());
  for (size_t i = 0; i < mounts.size(); ++i) {
    size_t winner = last[mounts[i].mountpoint];
    if (done[winner]) continue;
    done[winner] = true;
    if (!IsIgnoredMount(mounts[winner])) selected.push_back(mounts[winner]);
  }
  return selected;
}

Result<FsStats> StatVfs(const std::string& path) {
  struct statvfs s;
  if (::statvfs(path.c_str(), &s) != 0) {
    return Status::IOError("statvfs " + path + ": " + std::strerror(errno));
  }
  return FsStats{s.f_frsize, s.f_blocks, s.f_bfree, s.f_bavail, s.f_files, s.f_ffree};
}

double DiskUsedPercent(const FsStats& s) {
  uint64_t used = s.blocks > s.blocks_free ? s.blocks - s.blocks_free : 0;
  uint64_t denominator = used + s.blocks_avail;
  if (denominator == 0) return 0;
  return 100.0 * static_cast<double>(used) / static_cast<double>(denominator);
}

FilesystemCollector::FilesystemCollector(const HostPaths& paths, StatFsFunc statfs)
    : init_mounts_(paths.procfs + "/1/mounts"),
      self_mounts_(paths.procfs + "/self/mounts"),
      rootfs_(paths.rootfs),
      statfs_(std::move(statfs)) {
  while (rootfs_.size() > 1 && rootfs_.back() == '/') rootfs_.pop_back();
  if (rootfs_ == "/") rootfs_.clear();
}

Status FilesystemCollector::RefreshMounts() {
  if (have_mounts_ && MountTableUnchanged(mounts_source())) return Status::Ok();
  Result<std::string_view> text = init_mounts_.Read(reader_);
  from_self_mounts_ = !text.ok();
  if (from_self_mounts_) {
    // /proc/1 can be unreadable without CAP_SYS_PTRACE (hidepid, containers).
    text = self_mounts_.Read(reader_);
    if (!text.ok()) return text.status();
  }
  const std::string* path = &mounts_source().path();
  if (have_mounts_ && *text == last_mounts_text_) return Status::Ok();
  Result<std::vector<MountEntry>> parsed = ParseMounts(*text);
  if (!parsed.ok()) return PrefixPath(*path, parsed.status());
  last_mounts_text_.assign(text->data(), text->size());
  have_mounts_ = true;
  mounts_.clear();
  for (MountEntry& m : SelectMounts(std::move(*parsed))) {
    mounts_.push_back(
        Mount{rootfs_ + m.mountpoint, Labels{{"mountpoint", m.mountpoint}},
              Labels{{"mountpoint", m.mountpoint}, {"device", m.device}, {"fstype", m.fstype}}});
  }
  return Status::Ok();
}

Status FilesystemCollector::Collect(Appender& out) {
  if (Status s = RefreshMounts(); !s.ok()) return s;
  if (!described_) {
    DescribeAll(out, kDefs);
    described_ = true;
  }
  SampleWriter w(out);
  Status first_error;
  size_t failures = 0;
  for (const Mount& m : mounts_) {
    Result<FsStats> s = statfs_(m.stat_path);
    if (!s.ok()) {
      if (failures++ == 0) first_error = s.status();
      continue;
    }
    double frsize = static_cast<double>(s->fragment_size);
    w.Add(kSize, m.labels, static_cast<double>(s->blocks) * frsize);
    w.Add(kFree, m.labels, static_cast<double>(s->blocks_free) * frsize);
    w.Add(kAvail, m.labels, static_cast<double>(s->blocks_avail) * frsize);
    w.Add(kUsedPercent, m.labels, DiskUsedPercent(*s));
    w.Add(kFiles, m.labels, static_cast<double>(s->files));
    w.Add(kFilesFree, m.labels, static_cast<double>(s->files_free));
    w.Add(kInfo, m.info_labels, 1);
  }
  return w.Finish(failures > 0 && failures == mounts_.size() ? first_error : Status::Ok());
}

}  // namespace perfwatch
