#pragma once
// FilesystemCollector ("filesystem"): size, free space and inodes of each
// real mounted filesystem, from the mount table and statvfs(3).
// One thread at a time.

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "collect/collector.h"
#include "collect/proc_reader.h"
#include "model/labels.h"

namespace perfwatch {

struct MountEntry {
  std::string device;
  std::string mountpoint;  // octal escapes (\040 for a space) decoded
  std::string fstype;
  friend bool operator==(const MountEntry&, const MountEntry&) = default;
};

// /proc/PID/mounts (fstab(5) layout). Errors name the line.
Result<std::vector<MountEntry>> ParseMounts(std::string_view text);

// Decodes the \ooo escapes the kernel writes for space, tab, newline and
// backslash in mount paths.
std::string DecodeMountPath(std::string_view escaped);

// node_exporter's defaults: pseudo filesystem types, overlay except at "/",
// and mountpoints under /dev, /proc, /sys, /run/credentials,
// /var/lib/docker and /var/lib/containers.
bool IsIgnoredMount(const MountEntry& mount);

// The mounts to report: one per mountpoint (the last entry wins, as it is
// the one mounted on top), then the ignored ones dropped, in the order each
// mountpoint first appears.
std::vector<MountEntry> SelectMounts(std::vector<MountEntry> mounts);

// What statvfs(3) says, in its own units (blocks of `fragment_size` bytes).
struct FsStats {
  uint64_t fragment_size = 0;  // f_frsize
  uint64_t blocks = 0;         // f_blocks
  uint64_t blocks_free = 0;    // f_bfree: free, root's reserve included
  uint64_t blocks_avail = 0;   // f_bavail: free to unprivileged users
  uint64_t files = 0;          // f_files
  uint64_t files_free = 0;     // f_ffree
};

// statvfs of a path; tests substitute their own.
using StatFsFunc = std::function<Result<FsStats>(const std::string& path)>;
Result<FsStats> StatVfs(const std::string& path);

// df's used percent: 100·used/(used + avail) with used = blocks − bfree, so
// root's reserve counts as neither; 0 for an empty filesystem.
double DiskUsedPercent(const FsStats& s);

class FilesystemCollector final : public Collector {
 public:
  // Reads mounts from <procfs>/1/mounts (the host's, when procfs is the
  // host's /proc), falling back to <procfs>/self/mounts; statfs is called
  // on <rootfs><mountpoint>.
  explicit FilesystemCollector(const HostPaths& paths, StatFsFunc statfs = StatVfs);

  std::string_view name() const override { return "filesystem"; }
  // A mount whose statfs fails (permission, a stale mount) is skipped; the
  // collector fails only when every statfs failed.
  Status Collect(Appender& out) override;

 private:
  struct Mount {
    std::string stat_path;  // rootfs + mountpoint
    Labels labels;          // {mountpoint}
    Labels info_labels;     // {mountpoint, device, fstype}
  };
  Status RefreshMounts();
  const ProcFile& mounts_source() const { return from_self_mounts_ ? self_mounts_ : init_mounts_; }

  ProcFile init_mounts_;  // <procfs>/1/mounts
  ProcFile self_mounts_;  // <procfs>/self/mounts
  std::string rootfs_;
  StatFsFunc statfs_;
  ProcReader reader_;
  bool described_ = false;
  // Mounts change rarely: the table is reread only when the kernel flags a
  // change on the open file, and reparsed only when its text changed.
  bool from_self_mounts_ = false;  // which file the table came from
  bool have_mounts_ = false;
  std::string last_mounts_text_;
  std::vector<Mount> mounts_;
};

}  // namespace perfwatch
