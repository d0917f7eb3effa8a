#include "collect/process.h"

#include <gtest/gtest.h>

#include "test_support.h"

namespace perfwatch {
namespace {

using namespace std::chrono_literals;
using std::string_view_literals::operator""sv;
using testing::RecordingAppender;
using testing::SwitchableProc;

constexpr double kBootTime = 1795257072;  // btime of tick1/proc/stat

TEST(ProcessNameMatches, MatchesCommOrTheBasenameOfArgvZero) {
  EXPECT_TRUE(ProcessNameMatches("sleep", "sleep\n",
                                 "/bin/sleep\0"
                                 "1000\0"sv));
  // comm is cut to 15 bytes; argv[0] keeps the whole name.
  EXPECT_TRUE(ProcessNameMatches("pw-long-running-worker", "pw-long-running\n",
                                 "/tmp/pw-long-running-worker\0"
                                 "1000\0"sv));
  EXPECT_TRUE(ProcessNameMatches("pw-long-running", "pw-long-running\n", ""));
  // Only argv[0] counts, not later arguments.
  EXPECT_FALSE(ProcessNameMatches("worker", "bash\n", "/usr/bin/bash\0worker\0"sv));
  EXPECT_FALSE(ProcessNameMatches("bin", "bash\n", "/usr/bin/\0"sv));
  EXPECT_FALSE(ProcessNameMatches("sleep", "sleeper\n", ""));
}

// Fixed clocks: steady advances by hand; wall is tick1's uptime after btime.
struct FakeClock {
  std::chrono::steady_clock::time_point steady{};
  CollectClock Make() {
    return CollectClock{[this] { return steady; },
                        [] {
                          return std::chrono::system_clock::time_point(
                              std::chrono::duration_cast<std::chrono::system_clock::duration>(
                                  std::chrono::duration<double>(kBootTime + 298.29)));
                        }};
  }
};

TEST(WatchedProcessCollector, ReportsEveryPidMatchingANameOrAPid) {
  SwitchableProc proc;
  proc.PointAt("tick1");
  FakeClock clock;
  WatchedProcessCollector c(proc.host(),
                            {"pwburner", "pw-long-running-worker", "sleep", "5797", "nosuch"},
                            clock.Make(), ProcUnits{100, 4096});
  RecordingAppender out;
  ASSERT_TRUE(c.Collect(out).ok());

  constexpr std::string_view kBurner = R"({name="pwburner",pid="5796"})";
  EXPECT_EQ(*out.Get("process_up", R"({name="pwburner"})"), 1);
  EXPECT_DOUBLE_EQ(*out.Get("process_cpu_seconds_total", kBurner), 1.56);
  EXPECT_EQ(*out.Get("process_resident_memory_bytes", kBurner), 778.0 * 4096);
  EXPECT_EQ(*out.Get("process_virtual_memory_bytes", kBurner), 4464640);
  EXPECT_EQ(*out.Get("process_threads", kBurner), 1);
  EXPECT_EQ(*out.Get("process_open_fds", kBurner), 5);
  // Started 29674 ticks = 296.74 s after boot; now is 298.29 s after boot.
  EXPECT_NEAR(*out.Get("process_uptime_seconds", kBurner), 1.55, 1e-6);
  EXPECT_FALSE(out.Get("process_cpu_usage_percent", kBurner).has_value());

  // Matched through argv[0]: comm is "pw-long-running".
  EXPECT_EQ(*out.Get("process_threads", R"({name="pw-long-running-worker",pid="5797"})"), 1);
  // A name matches every process with it: a sleeper, a stopped one, a zombie.
  for (std::string_view pid : {"5798", "5799", "5801"}) {
    std::string labels = R"({name="sleep",pid=")" + std::string(pid) + "\"}";
    EXPECT_TRUE(out.Get("process_cpu_seconds_total", labels).has_value()) << labels;
  }
  EXPECT_EQ(out.Count("process_cpu_seconds_total"), 6u);
  EXPECT_EQ(*out.Get("process_resident_memory_bytes", R"({name="sleep",pid="5801"})"), 0)
      << "a zombie";
  EXPECT_EQ(*out.Get("process_up", R"({name="5797"})"), 1);
  EXPECT_EQ(*out.Get("process_resident_memory_bytes", R"({name="5797",pid="5797"})"), 412.0 * 4096);
  EXPECT_EQ(*out.Get("process_up", R"({name="nosuch"})"), 0);

  proc.PointAt("tick2");
  clock.steady += 2240ms;
  RecordingAppender second;
  ASSERT_TRUE(c.Collect(second).ok());
  // utime 156 → 268: 1.12 s of CPU in 2.24 s.
  EXPECT_DOUBLE_EQ(*second.Get("process_cpu_usage_percent", kBurner), 50.0);
}

TEST(WatchedProcessCollector, ForgetsAVanishedPidAndFindsItsSuccessorOnTheNextTick) {
  SwitchableProc proc;
  proc.PointAt("tick1");
  FakeClock clock;
  WatchedProcessCollector c(proc.host(), {"pwburner", "5796"}, clock.Make(), ProcUnits{100, 4096});
  RecordingAppender first;
  ASSERT_TRUE(c.Collect(first).ok());
  EXPECT_EQ(*first.Get("process_up", R"({name="pwburner"})"), 1);

  proc.PointAt("comm_spaces");  // 5796 has exited
  clock.steady += 1s;
  RecordingAppender gone;
  ASSERT_TRUE(c.Collect(gone).ok());
  EXPECT_EQ(*gone.Get("process_up", R"({name="pwburner"})"), 0);
  EXPECT_EQ(*gone.Get("process_up", R"({name="5796"})"), 0);
  EXPECT_EQ(gone.Count("process_cpu_seconds_total"), 0u);

  proc.PointAt("tick1");  // back (a restart): rescanned at once, not after 10 s
  clock.steady += 1s;
  RecordingAppender back;
  ASSERT_TRUE(c.Collect(back).ok());
  EXPECT_EQ(*back.Get("process_up", R"({name="pwburner"})"), 1);
  EXPECT_EQ(*back.Get("process_up", R"({name="5796"})"), 1);
}

TEST(WatchedProcessCollector, ScansForNewProcessesAtMostEveryTenSeconds) {
  SwitchableProc proc;
  proc.PointAt("comm_spaces");
  FakeClock clock;
  WatchedProcessCollector c(proc.host(), {"pwburner"}, clock.Make(), ProcUnits{100, 4096});
  RecordingAppender out;
  ASSERT_TRUE(c.Collect(out).ok());
  EXPECT_EQ(*out.Get("process_up", R"({name="pwburner"})"), 0);

  proc.PointAt("tick1");  // it starts
  clock.steady += 5s;
  RecordingAppender early;
  ASSERT_TRUE(c.Collect(early).ok());
  EXPECT_EQ(*early.Get("process_up", R"({name="pwburner"})"), 0);

  clock.steady += 5s;
  RecordingAppender later;
  ASSERT_TRUE(c.Collect(later).ok());
  EXPECT_EQ(*later.Get("process_up", R"({name="pwburner"})"), 1);
}

TEST(WatchedProcessCollector, MatchesCommsWithSpacesAndParentheses) {
  FakeClock clock;
  WatchedProcessCollector c(testing::FixtureHost("comm_spaces"),
                            {"my (weird) proc", "my (weird) proc) x"}, clock.Make(),
                            ProcUnits{100, 4096});
  RecordingAppender out;
  ASSERT_TRUE(c.Collect(out).ok());
  EXPECT_DOUBLE_EQ(*out.Get("process_cpu_seconds_total", R"({name="my (weird) proc",pid="4242"})"),
                   3.0);  // utime 250 + stime 50 ticks
  EXPECT_EQ(*out.Get("process_threads", R"({name="my (weird) proc) x",pid="4242"})"), 3);
  EXPECT_EQ(*out.Get("process_open_fds", R"({name="my (weird) proc",pid="4242"})"), 3);
}

TEST(WatchedProcessCollector, IgnoresEmptyAndRepeatedTargets) {
  FakeClock clock;
  WatchedProcessCollector c(testing::FixtureHost("tick1"), {"", "pwburner", "pwburner"},
                            clock.Make(), ProcUnits{100, 4096});
  RecordingAppender out;
  ASSERT_TRUE(c.Collect(out).ok());
  EXPECT_EQ(out.Count("process_up"), 1u);
  EXPECT_EQ(out.Count("process_cpu_seconds_total"), 1u);
}

TEST(WatchedProcessCollector, MissingProcfsIsUnavailable) {
  WatchedProcessCollector c(testing::FixtureHost("no_such_fixture"), {"sleep"});
  RecordingAppender out;
  EXPECT_EQ(c.Collect(out).code(), Status::Code::kUnavailable);
  EXPECT_EQ(*out.Get("process_up", R"({name="sleep"})"), 0);
}

}  // namespace
}  // namespace perfwatch
