#include "collect/filesystem.h"

#include <gtest/gtest.h>

#include <map>

#include "test_support.h"

namespace perfwatch {
namespace {

using testing::FixtureHost;
using testing::ReadFixture;
using testing::RecordingAppender;

std::vector<std::string> Mountpoints(const std::vector<MountEntry>& mounts) {
  std::vector<std::string> out;
  for (const MountEntry& m : mounts) out.push_back(m.mountpoint);
  return out;
}

TEST(MountPath, DecodesOctalEscapes) {
  EXPECT_EQ(DecodeMountPath(R"(/mnt/My\040Disk)"), "/mnt/My Disk");
  EXPECT_EQ(DecodeMountPath(R"(/a\011b\012c\134d)"), "/a\tb\nc\\d");
  EXPECT_EQ(DecodeMountPath(R"(/trailing\04)"), R"(/trailing\04)");
  EXPECT_EQ(DecodeMountPath(R"(/not\8octal)"), R"(/not\8octal)");
}

TEST(Mounts, SkipsPseudoFilesystemsAndDedupesMountpointsLastWins) {
  Result<std::vector<MountEntry>> parsed = ParseMounts(ReadFixture("mounts/proc/1/mounts"));
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  EXPECT_EQ(parsed->size(), 16u);
  std::vector<MountEntry> selected = SelectMounts(*parsed);
  EXPECT_EQ(Mountpoints(selected), (std::vector<std::string>{"/", "/run", "/mnt/My Disk", "/data",
                                                             "/devices", "/mnt/tab\tand\\back"}));
  // /data is mounted twice; the later mount hides the earlier one.
  EXPECT_EQ(selected[3], (MountEntry{"/dev/sdd1", "/data", "ext4"}));
}

TEST(Mounts, KeepsOverlayOnlyAtTheRoot) {
  EXPECT_FALSE(IsIgnoredMount({"overlay", "/", "overlay"}));  // a container's root
  EXPECT_TRUE(IsIgnoredMount({"overlay", "/srv/merged", "overlay"}));
  EXPECT_TRUE(IsIgnoredMount({"/dev/sde1", "/var/lib/docker/volumes/x", "ext4"}));
  EXPECT_TRUE(IsIgnoredMount({"tmpfs", "/dev/shm", "tmpfs"}));
  EXPECT_FALSE(IsIgnoredMount({"tmpfs", "/tmp", "tmpfs"}));
}

TEST(Mounts, RejectsATruncatedLineNamingIt) {
  Result<std::vector<MountEntry>> parsed = ParseMounts(ReadFixture("garbage/proc/1/mounts"));
  ASSERT_FALSE(parsed.ok());
  EXPECT_NE(parsed.status().message().find("line 2"), std::string::npos);
}

TEST(DiskUsedPercent, FollowsDfLeavingRootsReserveOut) {
  // statvfs of this machine's root: df shows 18% (it rounds up).
  FsStats s{4096, 66053021, 61752306, 20783582, 16777216, 16349230};
  EXPECT_DOUBLE_EQ(DiskUsedPercent(s), 100.0 * 4300715 / (4300715 + 20783582));
  EXPECT_EQ(DiskUsedPercent(FsStats{}), 0);
}

TEST(FilesystemCollector, ReportsEachSelectedMountThroughRootfs) {
  std::map<std::string, FsStats> fake = {
      {"/host/", {4096, 1000, 400, 300, 500, 200}},
      {"/host/run", {4096, 10, 10, 10, 100, 100}},
      {"/host/mnt/My Disk", {1024, 2000, 1000, 1000, 50, 25}},
      {"/host/data", {4096, 100, 50, 50, 10, 5}},
      {"/host/devices", {4096, 100, 50, 50, 10, 5}},
      {"/host/mnt/tab\tand\\back", {4096, 100, 50, 50, 10, 5}},
  };
  std::vector<std::string> asked;
  HostPaths paths = FixtureHost("mounts");
  paths.rootfs = "/host/";
  FilesystemCollector c(paths, [&](const std::string& path) -> Result<FsStats> {
    asked.push_back(path);
    auto it = fake.find(path);
    if (it == fake.end()) return Status::IOError("statvfs " + path + ": unexpected");
    return it->second;
  });
  RecordingAppender out;
  ASSERT_TRUE(c.Collect(out).ok());
  EXPECT_EQ(asked.size(), 6u);
  EXPECT_EQ(*out.Get("system_disk_size_bytes", R"({mountpoint="/"})"), 4096.0 * 1000);
  EXPECT_EQ(*out.Get("system_disk_free_bytes", R"({mountpoint="/"})"), 4096.0 * 400);
  EXPECT_EQ(*out.Get("system_disk_avail_bytes", R"({mountpoint="/"})"), 4096.0 * 300);
  // 100 × 600 / 900, to 0.001 points.
  EXPECT_EQ(*out.Get("system_disk_used_percent", R"({mountpoint="/"})"), 66.667);
  EXPECT_EQ(*out.Get("system_disk_files", R"({mountpoint="/"})"), 500);
  EXPECT_EQ(*out.Get("system_disk_files_free", R"({mountpoint="/"})"), 200);
  EXPECT_EQ(*out.Get("system_disk_size_bytes", R"({mountpoint="/mnt/My Disk"})"), 1024.0 * 2000);
  EXPECT_EQ(*out.Get("system_filesystem_info",
                     R"({device="/dev/sdd1",fstype="ext4",mountpoint="/data"})"),
            1);
  EXPECT_EQ(out.Count("system_filesystem_info"), 6u);
}

TEST(FilesystemCollector, SkipsAMountWhoseStatfsFailsUnlessAllFail) {
  HostPaths paths = FixtureHost("mounts");
  FilesystemCollector some(paths, [](const std::string& path) -> Result<FsStats> {
    if (path == "/data") return Status::IOError("statvfs /data: Permission denied");
    return FsStats{4096, 10, 5, 5, 1, 1};
  });
  RecordingAppender out;
  EXPECT_TRUE(some.Collect(out).ok());
  EXPECT_EQ(out.Count("system_disk_size_bytes"), 5u);
  EXPECT_FALSE(out.Get("system_disk_size_bytes", R"({mountpoint="/data"})").has_value());

  FilesystemCollector none(paths, [](const std::string& path) -> Result<FsStats> {
    return Status::IOError("statvfs " + path + ": Stale file handle");
  });
  EXPECT_EQ(none.Collect(out).code(), Status::Code::kIOError);
}

TEST(FilesystemCollector, FallsBackToSelfMountsAndFailsWhenNeitherExists) {
  RecordingAppender out;
  FilesystemCollector c(FixtureHost("no_such_fixture"));
  Status s = c.Collect(out);
  EXPECT_EQ(s.code(), Status::Code::kUnavailable);
  EXPECT_NE(s.message().find("no_such_fixture/proc/self/mounts"), std::string::npos) << s.message();
}

TEST(FilesystemCollector, StatsTheLiveRootFilesystem) {
  HostPaths live;
  FilesystemCollector c(live);
  RecordingAppender out;
  ASSERT_TRUE(c.Collect(out).ok());
  std::optional<double> size = out.Get("system_disk_size_bytes", R"({mountpoint="/"})");
  ASSERT_TRUE(size.has_value());
  EXPECT_GT(*size, 0);
  double used = *out.Get("system_disk_used_percent", R"({mountpoint="/"})");
  EXPECT_GE(used, 0);
  EXPECT_LE(used, 100);
  // The second tick reuses the mount table (unchanged, per poll) and stats it again.
  RecordingAppender again;
  ASSERT_TRUE(c.Collect(again).ok());
  EXPECT_EQ(again.Count("system_filesystem_info"), out.Count("system_filesystem_info"));
  EXPECT_TRUE(again.Get("system_disk_size_bytes", R"({mountpoint="/"})").has_value());
}

}  // namespace
}  // namespace perfwatch
