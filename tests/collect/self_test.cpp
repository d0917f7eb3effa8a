#include "collect/self.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include "test_support.h"

namespace perfwatch {
namespace {

using namespace std::chrono_literals;
using testing::RecordingAppender;

TEST(SelfCollector, ReportsItsOwnProcessFromProcSelf) {
  // The fixture's proc/self is a copy of the busy loop's /proc/PID.
  testing::SwitchableProc proc;
  proc.PointAt("tick1");
  std::chrono::steady_clock::time_point now{};
  CollectClock clock{[&] { return now; }, {}};
  SelfCollector c(proc.host(), clock, ProcUnits{100, 4096});
  RecordingAppender out;
  ASSERT_TRUE(c.Collect(out).ok());
  EXPECT_DOUBLE_EQ(*out.Get("perfwatch_cpu_seconds_total"), 1.56);
  EXPECT_EQ(*out.Get("perfwatch_resident_memory_bytes"), 778.0 * 4096);
  EXPECT_EQ(*out.Get("perfwatch_virtual_memory_bytes"), 4464640);
  EXPECT_EQ(*out.Get("perfwatch_threads"), 1);
  EXPECT_EQ(*out.Get("perfwatch_open_fds"), 5);
  EXPECT_DOUBLE_EQ(*out.Get("perfwatch_start_time_seconds"), 1795257072 + 296.74);
  EXPECT_FALSE(out.Get("perfwatch_cpu_usage_percent").has_value());

  proc.PointAt("tick2");
  now += 1120ms;
  RecordingAppender second;
  ASSERT_TRUE(c.Collect(second).ok());
  EXPECT_DOUBLE_EQ(*second.Get("perfwatch_cpu_usage_percent"), 100.0);  // 1.12 s in 1.12 s
}

TEST(SelfCollector, ReadsTheLiveProcessItRunsIn) {
  SelfCollector c(HostPaths{});
  RecordingAppender out;
  ASSERT_TRUE(c.Collect(out).ok());
  EXPECT_GT(*out.Get("perfwatch_resident_memory_bytes"), 0);
  EXPECT_GE(*out.Get("perfwatch_threads"), 1);
  EXPECT_GE(*out.Get("perfwatch_open_fds"), 3);  // stdin, stdout, stderr at least
  double start = *out.Get("perfwatch_start_time_seconds");
  double now =
      std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
  EXPECT_LE(start, now + 1);
  EXPECT_GT(start, now - 24 * 3600) << "this test process started today";
}

TEST(SelfCollector, MalformedStatIsInvalidArgumentNamingTheFile) {
  SelfCollector c(testing::FixtureHost("garbage"));
  RecordingAppender out;
  Status s = c.Collect(out);
  EXPECT_EQ(s.code(), Status::Code::kInvalidArgument);
  EXPECT_NE(s.message().find("garbage/proc/self/stat: field 14"), std::string::npos) << s.message();
}

}  // namespace
}  // namespace perfwatch
