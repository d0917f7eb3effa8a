#include "collect/processes.h"

#include <gtest/gtest.h>

#include "test_support.h"

namespace perfwatch {
namespace {

using testing::FixtureHost;
using testing::RecordingAppender;

TEST(ProcessStateIndex, MapsEveryStatLetterToALabel) {
  EXPECT_EQ(kProcessStates[ProcessStateIndex('R')], "running");
  EXPECT_EQ(kProcessStates[ProcessStateIndex('S')], "sleeping");
  EXPECT_EQ(kProcessStates[ProcessStateIndex('D')], "disk_sleep");
  EXPECT_EQ(kProcessStates[ProcessStateIndex('Z')], "zombie");
  EXPECT_EQ(kProcessStates[ProcessStateIndex('T')], "stopped");
  EXPECT_EQ(kProcessStates[ProcessStateIndex('t')], "stopped");
  EXPECT_EQ(kProcessStates[ProcessStateIndex('I')], "idle");
  EXPECT_EQ(kProcessStates[ProcessStateIndex('X')], "other");
}

TEST(ProcessStatesCollector, CountsRealProcessesByState) {
  // tick1 holds a busy loop (R), a stopped sleep (T), a zombie (Z), three
  // sleepers and two kernel threads (S, S) and kdamond (I).
  ProcessStatesCollector c(FixtureHost("tick1"));
  RecordingAppender out;
  ASSERT_TRUE(c.Collect(out).ok());
  EXPECT_EQ(*out.Get("system_processes", R"({state="running"})"), 1);
  EXPECT_EQ(*out.Get("system_processes", R"({state="sleeping"})"), 4);
  EXPECT_EQ(*out.Get("system_processes", R"({state="disk_sleep"})"), 0);
  EXPECT_EQ(*out.Get("system_processes", R"({state="zombie"})"), 1);
  EXPECT_EQ(*out.Get("system_processes", R"({state="stopped"})"), 1);
  EXPECT_EQ(*out.Get("system_processes", R"({state="idle"})"), 1);
  EXPECT_EQ(*out.Get("system_processes", R"({state="other"})"), 0);
  EXPECT_EQ(*out.Get("system_threads"), 8);
}

TEST(ProcessStatesCollector, AsksToRunEveryFiveSecondsByDefault) {
  EXPECT_EQ(ProcessStatesCollector(FixtureHost("tick1")).min_interval(), std::chrono::seconds(5));
  EXPECT_EQ(ProcessStatesCollector(FixtureHost("tick1"), std::chrono::seconds(30)).min_interval(),
            std::chrono::seconds(30));
}

TEST(ProcessStatesCollector, ReportsAMalformedStatAfterCountingTheRest) {
  ProcessStatesCollector c(FixtureHost("garbage"));
  RecordingAppender out;
  Status s = c.Collect(out);
  EXPECT_EQ(s.code(), Status::Code::kInvalidArgument);
  EXPECT_NE(s.message().find("garbage/proc/4243/stat"), std::string::npos) << s.message();
  EXPECT_EQ(out.Count("system_processes"), kProcessStates.size());
}

TEST(ProcessStatesCollector, MissingProcfsIsUnavailable) {
  ProcessStatesCollector c(FixtureHost("no_such_fixture"));
  RecordingAppender out;
  EXPECT_EQ(c.Collect(out).code(), Status::Code::kUnavailable);
}

}  // namespace
}  // namespace perfwatch
