#include "analysis/bottlenecks.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <functional>

#include "synthetic_host.h"

namespace perfwatch {
namespace {

using ::testing::HasSubstr;

constexpr TimestampMs kStart = SyntheticHost::kStart;
constexpr TimestampMs kNow = kStart + 10 * 60 * 1000;  // ten minutes of history

class BottlenecksTest : public ::testing::Test {
 protected:
  // Ten minutes of 1 s ticks in which `change` alters the idle state.
  std::vector<Bottleneck> Detect(const std::function<void(HostState&)>& change,
                                 BottleneckOptions options = {}) {
    host_.Run(kStart, kNow, 1000, [&](TimestampMs) {
      HostState s;
      change(s);
      return s;
    });
    Result<std::vector<Bottleneck>> found = DetectBottlenecks(host_.source, kNow, options);
    EXPECT_TRUE(found.ok()) << found.status().ToString();
    return found.ok() ? *found : std::vector<Bottleneck>{};
  }

  SyntheticHost host_;
};

const Bottleneck* Find(const std::vector<Bottleneck>& all, std::string_view kind) {
  for (const Bottleneck& b : all) {
    if (b.kind == kind) return &b;
  }
  return nullptr;
}

std::vector<std::string> Kinds(const std::vector<Bottleneck>& all) {
  std::vector<std::string> kinds;
  for (const Bottleneck& b : all) kinds.push_back(b.kind);
  return kinds;
}

TEST_F(BottlenecksTest, IdleHostHasNone) {
  EXPECT_THAT(Kinds(Detect([](HostState&) {})), ::testing::IsEmpty());
}

TEST_F(BottlenecksTest, BusyCpuIsCpuBound) {
  auto found = Detect([](HostState& s) { s.cpu_percent = 88; });
  EXPECT_THAT(Kinds(found), ::testing::ElementsAre("cpu_bound"));
  const Bottleneck& b = found[0];
  EXPECT_EQ(b.severity, "warning");
  EXPECT_THAT(b.summary, HasSubstr("88.0%"));
  ASSERT_FALSE(b.evidence.empty());
  EXPECT_EQ(b.evidence[0].expr, "avg_over_time(system_cpu_usage_percent{cpu=\"\"}[5m])");
  EXPECT_NEAR(b.evidence[0].value, 88, 1e-9);
  EXPECT_EQ(b.evidence[0].window_ms, 5 * 60 * 1000);
  ASSERT_FALSE(b.recommendations.empty());
  EXPECT_EQ(b.recommendations[0].priority, "high");
  EXPECT_THAT(b.recommendations[0].text, HasSubstr("process_cpu_usage_percent"));
}

TEST_F(BottlenecksTest, LongRunQueueMakesCpuCritical) {
  auto found = Detect([](HostState& s) {
    s.cpu_percent = 85;
    s.procs_running = 12;  // 3 per core
  });
  const Bottleneck* b = Find(found, "cpu_bound");
  ASSERT_NE(b, nullptr);
  EXPECT_EQ(b->severity, "critical");
  EXPECT_THAT(b->summary, HasSubstr("3.0 runnable threads per core"));
}

TEST_F(BottlenecksTest, OnlyTheWindowCounts) {
  // Busy for the first half of the ten minutes, idle in the 5 m window.
  host_.Run(kStart, kNow, 1000, [](TimestampMs t) {
    HostState s;
    if (t < kNow - 6 * 60 * 1000) s.cpu_percent = 99;
    return s;
  });
  auto found = DetectBottlenecks(host_.source, kNow, {});
  ASSERT_TRUE(found.ok());
  EXPECT_THAT(Kinds(*found), ::testing::IsEmpty());
}

TEST_F(BottlenecksTest, HighMemoryIsMemoryPressure) {
  auto warning = Detect([](HostState& s) { s.memory_percent = 92; });
  const Bottleneck* b = Find(warning, "memory_pressure");
  ASSERT_NE(b, nullptr);
  EXPECT_EQ(b->severity, "warning");
  EXPECT_THAT(b->summary, HasSubstr("memory 92.0% used"));
}

TEST_F(BottlenecksTest, MemoryStallsAloneAreCriticalPressure) {
  auto found = Detect([](HostState& s) { s.psi_memory_full = 25; });
  const Bottleneck* b = Find(found, "memory_pressure");
  ASSERT_NE(b, nullptr);
  EXPECT_EQ(b->severity, "critical");
}

TEST_F(BottlenecksTest, GrowingSwapWithFullMemoryIsThrashing) {
  host_.Run(kStart, kNow, 1000, [](TimestampMs t) {
    HostState s;
    s.memory_percent = 88;
    s.swap_used_bytes = 512.0 * 1024 * (t - kStart) / 1000;  // 512 KiB/s
    return s;
  });
  auto found = DetectBottlenecks(host_.source, kNow, {});
  ASSERT_TRUE(found.ok());
  const Bottleneck* b = Find(*found, "swap_thrashing");
  ASSERT_NE(b, nullptr);
  EXPECT_EQ(b->severity, "warning");
  EXPECT_NEAR(b->evidence[0].value, 512 * 1024, 1);
  EXPECT_THAT(b->summary, HasSubstr("512.0 KiB/s"));
}

TEST_F(BottlenecksTest, SwapGrowthWithMemoryToSpareIsNotThrashing) {
  host_.Run(kStart, kNow, 1000, [](TimestampMs t) {
    HostState s;
    s.swap_used_bytes = 2048.0 * 1024 * (t - kStart) / 1000;
    return s;
  });
  auto found = DetectBottlenecks(host_.source, kNow, {});
  ASSERT_TRUE(found.ok());
  EXPECT_EQ(Find(*found, "swap_thrashing"), nullptr);
}

TEST_F(BottlenecksTest, BusyDiskAndIoWaitAreIoSaturation) {
  auto found = Detect([](HostState& s) {
    s.disk_util_percent = 97;
    s.iowait_fraction = 0.3;
  });
  const Bottleneck* b = Find(found, "io_saturation");
  ASSERT_NE(b, nullptr);
  EXPECT_EQ(b->severity, "critical");
  EXPECT_THAT(b->summary, HasSubstr("sda busy 97.0%"));
  EXPECT_THAT(b->summary, HasSubstr("30.0% of CPU time waiting for I/O"));
  ASSERT_GE(b->evidence.size(), 2u);
  EXPECT_EQ(b->evidence[0].labels.Get("device"), "sda");
  EXPECT_NEAR(b->evidence[1].value, 30, 0.5);
}

TEST_F(BottlenecksTest, BlockedThreadsAloneAreAWarning) {
  auto found = Detect([](HostState& s) { s.procs_blocked = 5; });
  const Bottleneck* b = Find(found, "io_saturation");
  ASSERT_NE(b, nullptr);
  EXPECT_EQ(b->severity, "warning");
}

TEST_F(BottlenecksTest, ReceiveErrorsAreNetworkErrors) {
  auto found = Detect([](HostState& s) { s.rx_errors_per_s = 2; });
  EXPECT_THAT(Kinds(found), ::testing::ElementsAre("network_errors"));
  EXPECT_EQ(found[0].severity, "warning");
  EXPECT_THAT(found[0].summary, HasSubstr("eth0"));
  EXPECT_EQ(found[0].evidence[0].labels.Get("interface"), "eth0");
  EXPECT_NEAR(found[0].evidence[0].value, 2, 0.05);
}

TEST_F(BottlenecksTest, ProcessNearItsFdLimit) {
  auto found = Detect([](HostState& s) { s.open_fds = 1000; });
  const Bottleneck* b = Find(found, "fd_exhaustion");
  ASSERT_NE(b, nullptr);
  EXPECT_EQ(b->severity, "critical");
  EXPECT_THAT(b->summary, HasSubstr("api (pid 42) uses 1000 of 1024"));
  EXPECT_EQ(b->evidence[0].labels.Get("pid"), "42");
}

TEST_F(BottlenecksTest, NoFdLimitMetricNoFdVerdict) {
  auto found = Detect([](HostState& s) {
    s.open_fds = 1000;
    s.max_fds = -1;
  });
  EXPECT_EQ(Find(found, "fd_exhaustion"), nullptr);
}

TEST_F(BottlenecksTest, CpuStallsArePressureStall) {
  auto found = Detect([](HostState& s) { s.psi_cpu_some = 35; });
  EXPECT_THAT(Kinds(found), ::testing::ElementsAre("pressure_stall"));
  EXPECT_EQ(found[0].severity, "warning");
  EXPECT_THAT(found[0].summary, HasSubstr("stalled on cpu 35.0%"));
  EXPECT_THAT(found[0].recommendations[0].text, HasSubstr("CPU"));
}

TEST_F(BottlenecksTest, CriticalComesFirst) {
  auto found = Detect([](HostState& s) {
    s.cpu_percent = 85;     // warning
    s.memory_percent = 97;  // critical
  });
  EXPECT_THAT(Kinds(found), ::testing::ElementsAre("memory_pressure", "cpu_bound"));
}

TEST_F(BottlenecksTest, ThresholdsAreOptions) {
  BottleneckOptions options;
  options.cpu_warning_percent = 40;
  auto found = Detect([](HostState& s) { s.cpu_percent = 45; }, options);
  EXPECT_THAT(Kinds(found), ::testing::ElementsAre("cpu_bound"));
}

TEST(Bottlenecks, EmptySourceHasNone) {
  SyntheticHost host;
  auto found = DetectBottlenecks(host.source, kNow, {});
  ASSERT_TRUE(found.ok());
  EXPECT_TRUE(found->empty());
}

}  // namespace
}  // namespace perfwatch

namespace perfwatch {
namespace {

TEST(Bottlenecks, KindPastThePointLimitIsSkippedWithANote) {
  MemStoreOptions small = SyntheticHost::BigStore();
  small.max_points_per_query = 1000;  // one series of 5 min fits, four CPUs' do not
  SyntheticHost host(small);
  host.Run(kStart, kNow, 1000, [](TimestampMs) {
    HostState s;
    s.cpu_percent = 90;
    return s;
  });
  std::vector<std::string> notes;
  auto found = DetectBottlenecks(host.source, kNow, {}, &notes);
  ASSERT_TRUE(found.ok()) << found.status().ToString();
  EXPECT_THAT(Kinds(*found), ::testing::ElementsAre("cpu_bound"));
  EXPECT_THAT(notes, ::testing::Contains(HasSubstr("io_saturation not judged")));
  EXPECT_THAT(notes, ::testing::Contains(HasSubstr("pressure_stall not judged")));
}

}  // namespace
}  // namespace perfwatch
