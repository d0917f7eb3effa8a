#include "collect/procfs_cpu.h"

#include <gtest/gtest.h>

#include "collect/procfs_stat.h"
#include "test_support.h"

namespace perfwatch {
namespace {

using testing::FixtureHost;
using testing::ReadFixture;
using testing::RecordingAppender;
using testing::SwitchableProc;

TEST(ProcStat, ParsesEveryCpuLineOfARealSnapshot) {
  Result<ProcStat> s = ParseProcStat(ReadFixture("tick1/proc/stat"));
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_EQ(s->all.user, 8428u);
  EXPECT_EQ(s->all.idle, 47009u);
  EXPECT_EQ(s->all.steal, 22u);
  ASSERT_EQ(s->cores.size(), 2u);
  EXPECT_EQ(s->cores[1].cpu, 1);
  EXPECT_EQ(s->cores[1].times.iowait, 623u);
  EXPECT_EQ(s->cores[1].times.softirq, 52u);
}

TEST(ProcStat, ComputesBusyPercentExcludingIowaitAndGuest) {
  // guest (40) and guest_nice (5) are already inside user and nice.
  Result<ProcStat> a = ParseProcStat("cpu  100 10 50 800 20 5 5 10 40 5\n");
  Result<ProcStat> b = ParseProcStat("cpu  160 10 70 860 40 5 5 10 80 5\n");
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(a->all.Total(), 1000u);
  EXPECT_EQ(a->all.Busy(), 180u);
  // Δtotal = 60+20+60+20 = 160; Δbusy = 60+20 = 80 (idle and iowait are not busy).
  EXPECT_DOUBLE_EQ(*BusyPercent(a->all, b->all), 50.0);
}

TEST(ProcStat, BusyPercentIsAbsentWhenNoTimePassedOrCountersWentBack) {
  CpuTimes t{.user = 10, .idle = 10};
  EXPECT_FALSE(BusyPercent(t, t).has_value());
  CpuTimes earlier{.user = 5, .idle = 5};
  EXPECT_FALSE(BusyPercent(t, earlier).has_value());
}

TEST(ProcStat, ParsesOldKernelsWithFourOrSevenColumns) {
  Result<ProcStat> s = ParseProcStat(ReadFixture("old_kernel/proc/stat"));
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_EQ(s->all.idle, 1480u);
  EXPECT_EQ(s->all.iowait, 0u);
  EXPECT_EQ(s->all.steal, 0u);
  ASSERT_EQ(s->cores.size(), 2u);
  EXPECT_EQ(s->cores[0].times.iowait, 5u);
  EXPECT_EQ(s->cores[0].times.softirq, 2u);
  EXPECT_EQ(s->cores[1].times.iowait, 0u);
  EXPECT_EQ(s->interrupts, 1234u);
  EXPECT_EQ(s->procs_blocked, 1u);
}

TEST(ProcStat, RejectsGarbageNamingTheLine) {
  Result<ProcStat> s = ParseProcStat(ReadFixture("garbage/proc/stat"));
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().code(), Status::Code::kInvalidArgument);
  EXPECT_NE(s.status().message().find("line 2"), std::string::npos) << s.status().message();
  EXPECT_NE(s.status().message().find("cpu0"), std::string::npos);
  EXPECT_FALSE(ParseProcStat("hello world\n").ok());
  EXPECT_FALSE(ParseProcStat("cpu 1 2 3\n").ok());
  EXPECT_FALSE(ParseProcStat("cpu 1 2 3 4\ncpu99999999 1 2 3 4\n").ok());
}

TEST(CpuCollector, ReportsSecondsPerModeButNoPercentOnTheFirstTick) {
  CpuCollector c(FixtureHost("tick1"), /*ticks_per_second=*/100);
  RecordingAppender out;
  ASSERT_TRUE(c.Collect(out).ok());
  EXPECT_DOUBLE_EQ(*out.Get("system_cpu_seconds_total", R"({cpu="0",mode="user"})"), 38.04);
  EXPECT_DOUBLE_EQ(*out.Get("system_cpu_seconds_total", R"({cpu="1",mode="iowait"})"), 6.23);
  EXPECT_DOUBLE_EQ(*out.Get("system_cpu_seconds_total", R"({cpu="1",mode="steal"})"), 0.13);
  EXPECT_EQ(out.Count("system_cpu_seconds_total"), 16u);  // 2 cores × 8 modes
  EXPECT_EQ(*out.Get("system_cpus"), 2);
  EXPECT_EQ(out.Count("system_cpu_usage_percent"), 0u);
  ASSERT_NE(out.Meta("system_cpu_seconds_total"), nullptr);
  EXPECT_EQ(out.Meta("system_cpu_seconds_total")->kind, MetricKind::kCounter);
}

TEST(CpuCollector, ComputesPercentFromTwoRealSnapshots) {
  SwitchableProc proc;
  proc.PointAt("tick1");
  CpuCollector c(proc.host(), 100);
  RecordingAppender first;
  ASSERT_TRUE(c.Collect(first).ok());
  proc.PointAt("tick2");
  RecordingAppender out;
  ASSERT_TRUE(c.Collect(out).ok());
  // All: total 59289 → 59510 (Δ221), busy 11626 → 11753 (Δ127).
  EXPECT_EQ(*out.Get("system_cpu_usage_percent"), 57.466);  // 100 × 127 / 221 to 0.001
  // cpu0 spent its whole Δ111 in user: the busy loop ran there.
  EXPECT_DOUBLE_EQ(*out.Get("system_cpu_usage_percent", R"({cpu="0"})"), 100.0);
  // cpu1: total 29643 → 29753 (Δ110), busy 6536 → 6551 (Δ15).
  EXPECT_EQ(*out.Get("system_cpu_usage_percent", R"({cpu="1"})"), 13.636);  // 100 × 15 / 110
  EXPECT_TRUE(out.metas.empty()) << "Describe only on the first Collect";
}

TEST(CpuCollector, MissingStatIsUnavailableNamingThePath) {
  CpuCollector c(FixtureHost("no_such_fixture"), 100);
  RecordingAppender out;
  Status s = c.Collect(out);
  EXPECT_EQ(s.code(), Status::Code::kUnavailable);
  EXPECT_NE(s.message().find("no_such_fixture/proc/stat: No such file or directory"),
            std::string::npos)
      << s.message();
}

TEST(CpuCollector, GarbageIsInvalidArgumentNamingFileAndLine) {
  CpuCollector c(FixtureHost("garbage"), 100);
  RecordingAppender out;
  Status s = c.Collect(out);
  EXPECT_EQ(s.code(), Status::Code::kInvalidArgument);
  EXPECT_NE(s.message().find("garbage/proc/stat: line 2:"), std::string::npos) << s.message();
  EXPECT_TRUE(out.samples.empty());
}

}  // namespace
}  // namespace perfwatch
