#include "collect/diskstats.h"

#include <gtest/gtest.h>

#include "test_support.h"

namespace perfwatch {
namespace {

using namespace std::chrono_literals;
using testing::FixtureHost;
using testing::ReadFixture;
using testing::RecordingAppender;
using testing::SwitchableProc;

TEST(DiskDevice, IgnoresPartitionsRamAndLoopLikeNodeExporter) {
  for (const char* d : {"sda1", "vda2", "hdb10", "xvda1", "nvme0n1p1", "nvme12n3p45", "loop0",
                        "ram15", "zram0", "fd0"}) {
    EXPECT_TRUE(IsIgnoredDiskDevice(d)) << d;
  }
  for (const char* d : {"sda", "vda", "xvdb", "nvme0n1", "dm-0", "md127", "mmcblk0", "sr0", "loop",
                        "sdaa1", "nvme0n1p", "zram", "vd1"}) {
    EXPECT_FALSE(IsIgnoredDiskDevice(d)) << d;
  }
}

TEST(Diskstats, ParsesARealSnapshotWithDiscardAndFlushColumns) {
  std::string text = ReadFixture("tick1/proc/diskstats");  // the result points into it
  Result<std::vector<DiskStats>> disks = ParseDiskstats(text);
  ASSERT_TRUE(disks.ok()) << disks.status().ToString();
  ASSERT_EQ(disks->size(), 10u);
  const DiskStats& vda = (*disks)[8];
  EXPECT_EQ(vda.device, "vda");
  EXPECT_EQ(vda.reads, 29507u);
  EXPECT_EQ(vda.read_sectors, 2687834u);
  EXPECT_EQ(vda.read_ms, 19760u);
  EXPECT_EQ(vda.writes, 19903u);
  EXPECT_EQ(vda.written_sectors, 1759152u);
  EXPECT_EQ(vda.write_ms, 7410u);
  EXPECT_EQ(vda.io_ms, 13948u);
}

TEST(Diskstats, ParsesOldKernelPartitionLinesWithFourCounters) {
  std::string text = ReadFixture("old_kernel/proc/diskstats");  // the result points into it
  Result<std::vector<DiskStats>> disks = ParseDiskstats(text);
  ASSERT_TRUE(disks.ok()) << disks.status().ToString();
  ASSERT_EQ(disks->size(), 3u);
  EXPECT_EQ((*disks)[1].device, "hda1");
  EXPECT_EQ((*disks)[1].writes, 38030u);
  EXPECT_EQ((*disks)[1].io_ms, 0u);
}

TEST(Diskstats, RejectsGarbageNamingTheLine) {
  std::string text = ReadFixture("garbage/proc/diskstats");  // the result points into it
  Result<std::vector<DiskStats>> disks = ParseDiskstats(text);
  ASSERT_FALSE(disks.ok());
  EXPECT_NE(disks.status().message().find("line 2"), std::string::npos) << disks.status().message();
  EXPECT_FALSE(ParseDiskstats("8 0 sda 1 2 x 4 5 6 7 8 9 10 11\n").ok());
}

TEST(DiskstatsCollector, ReportsWholeDisksInBaseUnitsAndUtilizationFromDeltas) {
  SwitchableProc proc;
  proc.PointAt("tick1");
  std::chrono::steady_clock::time_point now{};
  DiskstatsCollector c(proc.host(), CollectClock{[&] { return now; }, {}});
  RecordingAppender out;
  ASSERT_TRUE(c.Collect(out).ok());
  constexpr std::string_view kVda = R"({device="vda"})";
  EXPECT_EQ(*out.Get("system_diskio_read_bytes_total", kVda), 2687834.0 * 512);
  EXPECT_EQ(*out.Get("system_diskio_written_bytes_total", kVda), 1759152.0 * 512);
  EXPECT_EQ(*out.Get("system_diskio_reads_total", kVda), 29507);
  EXPECT_EQ(*out.Get("system_diskio_writes_total", kVda), 19903);
  EXPECT_DOUBLE_EQ(*out.Get("system_diskio_read_time_seconds_total", kVda), 19.76);
  EXPECT_DOUBLE_EQ(*out.Get("system_diskio_write_time_seconds_total", kVda), 7.41);
  EXPECT_DOUBLE_EQ(*out.Get("system_diskio_io_time_seconds_total", kVda), 13.948);
  EXPECT_FALSE(out.Get("system_diskio_utilization_percent", kVda).has_value());
  // zram0 and loop0..7 are skipped.
  EXPECT_EQ(out.Count("system_diskio_reads_total"), 1u);

  proc.PointAt("tick2");
  now += 800ms;
  RecordingAppender second;
  ASSERT_TRUE(c.Collect(second).ok());
  // io_ms 13948 → 13980: busy 32 ms of 800 ms.
  EXPECT_DOUBLE_EQ(*second.Get("system_diskio_utilization_percent", kVda), 4.0);
}

TEST(DiskstatsCollector, ClampsUtilizationToOneHundredPercent) {
  SwitchableProc proc;
  proc.PointAt("tick1");
  std::chrono::steady_clock::time_point now{};
  DiskstatsCollector c(proc.host(), CollectClock{[&] { return now; }, {}});
  RecordingAppender out;
  ASSERT_TRUE(c.Collect(out).ok());
  proc.PointAt("tick2");
  now += 10ms;  // the kernel's 32 ms in a 10 ms window (timer granularity)
  ASSERT_TRUE(c.Collect(out).ok());
  EXPECT_EQ(out.samples.back().name, "system_diskio_utilization_percent");
  EXPECT_EQ(out.samples.back().value, 100);
}

TEST(DiskstatsCollector, MissingFileIsUnavailable) {
  DiskstatsCollector c(FixtureHost("comm_spaces"));
  RecordingAppender out;
  Status s = c.Collect(out);
  EXPECT_EQ(s.code(), Status::Code::kUnavailable);
  EXPECT_NE(s.message().find("comm_spaces/proc/diskstats"), std::string::npos);
}

}  // namespace
}  // namespace perfwatch
