#include "collect/procfs_system.h"

#include <gtest/gtest.h>

#include "test_support.h"

namespace perfwatch {
namespace {

using testing::FixtureHost;
using testing::RecordingAppender;

TEST(Loadavg, ParsesTheThreeAverages) {
  Result<LoadAverage> l = ParseLoadavg("0.59 0.34 0.14 2/99 5859\n");
  ASSERT_TRUE(l.ok());
  EXPECT_DOUBLE_EQ(l->load1, 0.59);
  EXPECT_DOUBLE_EQ(l->load15, 0.14);
  EXPECT_FALSE(ParseLoadavg("0.59\n").ok());
}

TEST(Uptime, ParsesSecondsSinceBoot) {
  Result<double> u = ParseUptime("298.29 470.09\n");
  ASSERT_TRUE(u.ok());
  EXPECT_DOUBLE_EQ(*u, 298.29);
  EXPECT_FALSE(ParseUptime("").ok());
}

TEST(SystemCollector, ReportsLoadCountersAndUptimeOfARealSnapshot) {
  SystemCollector c(FixtureHost("tick1"));
  RecordingAppender out;
  ASSERT_TRUE(c.Collect(out).ok());
  EXPECT_DOUBLE_EQ(*out.Get("system_load1"), 0.59);
  EXPECT_DOUBLE_EQ(*out.Get("system_load5"), 0.34);
  EXPECT_DOUBLE_EQ(*out.Get("system_load15"), 0.14);
  EXPECT_EQ(*out.Get("system_context_switches_total"), 340832);
  EXPECT_EQ(*out.Get("system_interrupts_total"), 183670);
  EXPECT_EQ(*out.Get("system_forks_total"), 5858);
  EXPECT_EQ(*out.Get("system_procs_running"), 3);
  EXPECT_EQ(*out.Get("system_procs_blocked"), 0);
  EXPECT_EQ(*out.Get("system_boot_time_seconds"), 1795257072);
  EXPECT_DOUBLE_EQ(*out.Get("system_uptime_seconds"), 298.29);
  EXPECT_EQ(out.Meta("system_forks_total")->kind, MetricKind::kCounter);
}

TEST(SystemCollector, KeepsWhatItCouldReadAndReportsTheFirstFailure) {
  // old_kernel has /proc/stat but neither loadavg nor uptime.
  SystemCollector c(FixtureHost("old_kernel"));
  RecordingAppender out;
  Status s = c.Collect(out);
  EXPECT_EQ(s.code(), Status::Code::kUnavailable);
  EXPECT_NE(s.message().find("old_kernel/proc/loadavg"), std::string::npos) << s.message();
  EXPECT_EQ(*out.Get("system_context_switches_total"), 5678);
}

TEST(SystemCollector, GarbageIsInvalidArgumentNamingTheFile) {
  SystemCollector c(FixtureHost("garbage"));
  RecordingAppender out;
  Status s = c.Collect(out);
  EXPECT_EQ(s.code(), Status::Code::kInvalidArgument);
  EXPECT_NE(s.message().find("garbage/proc/loadavg: line 1"), std::string::npos) << s.message();
}

}  // namespace
}  // namespace perfwatch
