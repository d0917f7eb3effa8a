#include "collect/procfs_pid.h"

#include <gtest/gtest.h>

#include "test_support.h"

namespace perfwatch {
namespace {

using testing::FixturePath;
using testing::ReadFixture;

TEST(PidStat, ParsesARealStatLine) {
  std::string text = ReadFixture("tick1/proc/5796/stat");
  Result<PidStat> s = ParsePidStat(text);
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_EQ(s->pid, 5796);
  EXPECT_EQ(s->comm, "pwburner");
  EXPECT_EQ(s->state, 'R');
  EXPECT_EQ(s->utime, 156u);
  EXPECT_EQ(s->stime, 0u);
  EXPECT_EQ(s->num_threads, 1);
  EXPECT_EQ(s->start_time, 29674u);
  EXPECT_EQ(s->vsize, 4464640u);
  EXPECT_EQ(s->rss_pages, 778);
}

TEST(PidStat, TakesCommUpToTheLastParenthesis) {
  std::string text = ReadFixture("comm_spaces/proc/4242/stat");  // comm points into it
  Result<PidStat> s = ParsePidStat(text);
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_EQ(s->comm, "my (weird) proc) x");
  EXPECT_EQ(s->state, 'S');
  EXPECT_EQ(s->utime, 250u);
  EXPECT_EQ(s->stime, 50u);
  EXPECT_EQ(s->num_threads, 3);
  EXPECT_EQ(s->rss_pages, 2560);
}

TEST(PidStat, RejectsTruncatedOrGarbageLinesNamingTheField) {
  Result<PidStat> s = ParsePidStat(ReadFixture("garbage/proc/self/stat"));
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.status().message().find("field 14"), std::string::npos) << s.status().message();
  EXPECT_FALSE(ParsePidStat("hello world\n").ok());
  EXPECT_FALSE(ParsePidStat("x (a) S").ok());
  EXPECT_FALSE(ParsePidStat("").ok());
}

TEST(CountDirEntries, CountsFilesAndReportsMissingDirectories) {
  Result<int64_t> n = CountDirEntries(FixturePath("comm_spaces/proc/4242/fd"));
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(*n, 3);
  EXPECT_EQ(CountDirEntries(FixturePath("no/such/dir")).status().code(),
            Status::Code::kUnavailable);
}

TEST(ProcessSampler, DerivesCpuPercentFromTwoReadings) {
  testing::SwitchableProc proc;
  proc.PointAt("tick1");
  ProcessSampler sampler(proc.host().procfs + "/5796", ProcUnits{100, 4096});
  ProcReader reader;
  auto t0 = std::chrono::steady_clock::time_point{};
  Result<ProcessUsage> first = sampler.Sample(reader, t0);
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  EXPECT_FALSE(first->cpu_percent.has_value());
  EXPECT_DOUBLE_EQ(first->cpu_seconds, 1.56);
  EXPECT_EQ(first->resident_bytes, 778.0 * 4096);
  EXPECT_EQ(*first->open_fds, 5);

  proc.PointAt("tick2");
  Result<ProcessUsage> second = sampler.Sample(reader, t0 + std::chrono::milliseconds(2240));
  ASSERT_TRUE(second.ok());
  // utime 156 → 268 ticks: 1.12 s of CPU in 2.24 s of wall time.
  EXPECT_DOUBLE_EQ(*second->cpu_percent, 50.0);
}

TEST(ProcessSampler, StartsOverWhenThePidIsReused) {
  testing::SwitchableProc proc;
  proc.PointAt("tick1");
  ProcessSampler sampler(proc.host().procfs + "/5796", ProcUnits{100, 4096});
  ProcReader reader;
  auto t0 = std::chrono::steady_clock::time_point{};
  ASSERT_TRUE(sampler.Sample(reader, t0).ok());
  // Same PID, another start time: another process, whose CPU time is no delta of the first's.
  proc.PointAt("pid_reused");
  Result<ProcessUsage> u = sampler.Sample(reader, t0 + std::chrono::seconds(1));
  ASSERT_TRUE(u.ok());
  EXPECT_FALSE(u->cpu_percent.has_value());
  EXPECT_DOUBLE_EQ(u->cpu_seconds, 5.2);
}

}  // namespace
}  // namespace perfwatch
