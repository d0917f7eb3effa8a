#include "collect/procfs_memory.h"

#include <gtest/gtest.h>

#include "test_support.h"

namespace perfwatch {
namespace {

using testing::FixtureHost;
using testing::ReadFixture;
using testing::RecordingAppender;

TEST(Meminfo, ParsesARealSnapshotIntoBytes) {
  Result<MemInfo> m = ParseMeminfo(ReadFixture("tick1/proc/meminfo"));
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  EXPECT_EQ(m->total, 24684096ull * 1024);
  EXPECT_EQ(m->available, 24323616ull * 1024);
  EXPECT_EQ(m->cached, 335640ull * 1024);
  EXPECT_EQ(m->swap_total, 0u);
}

TEST(Meminfo, EstimatesAvailableOnKernelsBefore3_14) {
  Result<MemInfo> m = ParseMeminfo(ReadFixture("old_kernel/proc/meminfo"));
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  EXPECT_EQ(m->available, (100u + 50 + 250) * 1024);  // MemFree + Buffers + Cached
}

TEST(Meminfo, RejectsGarbageNamingTheLine) {
  Result<MemInfo> m = ParseMeminfo(ReadFixture("garbage/proc/meminfo"));
  ASSERT_FALSE(m.ok());
  EXPECT_NE(m.status().message().find("line 2: expected a number"), std::string::npos)
      << m.status().message();
  EXPECT_FALSE(ParseMeminfo("Buffers: 1 kB\n").ok()) << "MemTotal is required";
}

TEST(MemoryCollector, ReportsUsedAsTotalMinusAvailable) {
  MemoryCollector c(FixtureHost("tick1"));
  RecordingAppender out;
  ASSERT_TRUE(c.Collect(out).ok());
  EXPECT_EQ(*out.Get("system_memory_total_bytes"), 25276514304.0);
  EXPECT_EQ(*out.Get("system_memory_available_bytes"), 24907382784.0);
  EXPECT_EQ(*out.Get("system_memory_used_bytes"), 369131520.0);  // 360480 kB
  EXPECT_EQ(*out.Get("system_memory_used_percent"), 1.46);  // 100 × 360480 / 24684096 = 1.4604
  EXPECT_EQ(*out.Get("system_memory_free_bytes"), 24160256.0 * 1024);
  EXPECT_EQ(*out.Get("system_memory_buffers_bytes"), 5956.0 * 1024);
  EXPECT_EQ(*out.Get("system_memory_cached_bytes"), 335640.0 * 1024);
}

TEST(MemoryCollector, SwapPercentIsZeroNotNaNWithoutSwap) {
  MemoryCollector c(FixtureHost("tick1"));
  RecordingAppender out;
  ASSERT_TRUE(c.Collect(out).ok());
  EXPECT_EQ(*out.Get("system_swap_total_bytes"), 0);
  EXPECT_EQ(*out.Get("system_swap_used_bytes"), 0);
  EXPECT_EQ(*out.Get("system_swap_used_percent"), 0);
}

TEST(MemoryCollector, ReportsSwapUse) {
  MemoryCollector c(FixtureHost("old_kernel"));
  RecordingAppender out;
  ASSERT_TRUE(c.Collect(out).ok());
  EXPECT_EQ(*out.Get("system_swap_used_bytes"), 300.0 * 1024);
  EXPECT_DOUBLE_EQ(*out.Get("system_swap_used_percent"), 75.0);
  EXPECT_DOUBLE_EQ(*out.Get("system_memory_used_percent"), 60.0);  // 1000 - 400 of 1000
}

TEST(MemoryCollector, MissingOrGarbageFilesFailWithThePath) {
  RecordingAppender out;
  Status missing = MemoryCollector(FixtureHost("no_such_fixture")).Collect(out);
  EXPECT_EQ(missing.code(), Status::Code::kUnavailable);
  EXPECT_NE(missing.message().find("/proc/meminfo"), std::string::npos);
  Status bad = MemoryCollector(FixtureHost("garbage")).Collect(out);
  EXPECT_EQ(bad.code(), Status::Code::kInvalidArgument);
  EXPECT_NE(bad.message().find("garbage/proc/meminfo: line 2"), std::string::npos) << bad.message();
}

}  // namespace
}  // namespace perfwatch
