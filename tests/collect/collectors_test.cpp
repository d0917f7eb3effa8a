#include "collect/collectors.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <thread>

#include "collect/sample_writer.h"
#include "model/registry.h"
#include "model/tick.h"
#include "test_support.h"

namespace perfwatch {
namespace {

using namespace std::chrono_literals;
using testing::RecordingAppender;

std::vector<std::string_view> Names(const std::vector<std::unique_ptr<Collector>>& cs) {
  std::vector<std::string_view> names;
  for (const auto& c : cs) names.push_back(c->name());
  return names;
}

TEST(MakeCollectors, BuildsTheDefaultSetInTheKnownOrder) {
  CollectOptions options;
  options.watch_processes = {"sshd"};
  EXPECT_EQ(Names(MakeCollectors(options)), KnownCollectorNames());
}

TEST(MakeCollectors, LeavesOutDisabledCollectorsAndProcessWhenNothingIsWatched) {
  CollectOptions options;
  options.disabled = {"tcp", "pressure", "not_a_collector"};
  EXPECT_EQ(Names(MakeCollectors(options)),
            (std::vector<std::string_view>{"cpu", "memory", "system", "processes", "filesystem",
                                           "diskstats", "netdev", "self"}));
}

TEST(MakeCollectors, PassesTheIntervalsOfTheTwoExpensiveCollectors) {
  CollectOptions options;
  options.processes_interval = 15s;
  options.tcp_interval = 2s;
  for (const auto& c : MakeCollectors(options)) {
    std::chrono::milliseconds want = c->name() == "processes" ? 15000ms
                                     : c->name() == "tcp"     ? 2000ms
                                                              : 0ms;
    EXPECT_EQ(c->min_interval(), want) << c->name();
  }
}

TEST(MakeCollectors, EveryCollectorReportsUnavailableForAMissingProcfs) {
  CollectOptions options;
  options.paths.procfs = "/nonexistent/proc";
  options.watch_processes = {"1"};
  for (const auto& c : MakeCollectors(options)) {
    RecordingAppender out;
    Status s = c->Collect(out);
    if (c->name() == "process") continue;  // no process found: process_up 0, not an error
    EXPECT_EQ(s.code(), Status::Code::kUnavailable) << c->name() << ": " << s.ToString();
    EXPECT_NE(s.message().find("/nonexistent/proc"), std::string::npos) << s.message();
  }
}

// The live host: every collector succeeds (pressure may be absent), twice
// so that the delta-based percents exist, into a real Tick and registry.
TEST(LiveProc, EveryCollectorSucceedsAgainstThisMachine) {
  CollectOptions options;
  options.watch_processes = {std::to_string(::getpid())};
  std::vector<std::unique_ptr<Collector>> collectors = MakeCollectors(options);
  SeriesRegistry registry;
  for (int round = 0; round < 2; ++round) {
    if (round == 1) std::this_thread::sleep_for(50ms);
    Tick tick(registry, 0);
    for (const auto& c : collectors) {
      Status s = c->Collect(tick);
      if (c->name() == "pressure" && s.code() == Status::Code::kUnavailable) continue;
      EXPECT_TRUE(s.ok()) << c->name() << ": " << s.ToString();
    }
    EXPECT_GT(tick.samples().size(), 50u);
  }
  EXPECT_TRUE(registry.Meta("system_cpu_seconds_total").has_value());
  EXPECT_FALSE(registry.SeriesOf("process_cpu_usage_percent").empty());
}

TEST(LiveProc, CpuUsagePercentIsWithinZeroAndOneHundred) {
  CollectOptions options;
  options.disabled = {"memory", "system", "processes", "filesystem", "diskstats",
                      "netdev", "tcp",    "pressure",  "process",    "self"};
  std::vector<std::unique_ptr<Collector>> collectors = MakeCollectors(options);
  ASSERT_EQ(collectors.size(), 1u);
  RecordingAppender first;
  ASSERT_TRUE(collectors[0]->Collect(first).ok());
  // Burn a little CPU so at least one jiffy passes on a quiet machine.
  auto until = std::chrono::steady_clock::now() + 60ms;
  volatile uint64_t spin = 0;
  while (std::chrono::steady_clock::now() < until) spin = spin + 1;
  RecordingAppender out;
  ASSERT_TRUE(collectors[0]->Collect(out).ok());
  std::optional<double> all = out.Get("system_cpu_usage_percent");
  ASSERT_TRUE(all.has_value());
  EXPECT_GE(*all, 0);
  EXPECT_LE(*all, 100);
  EXPECT_GE(out.Count("system_cpu_usage_percent"), 1u);
  for (const auto& s : out.samples) {
    if (s.name == "system_cpu_usage_percent") {
      EXPECT_GE(s.value, 0) << s.labels.ToString();
      EXPECT_LE(s.value, 100) << s.labels.ToString();
    }
  }
}

}  // namespace
TEST(SampleWriter, RoundsPercentagesToAThousandthOfAPointAndNothingElse) {
  RecordingAppender out;
  SampleWriter w(out);
  constexpr MetricDef kPct{"x_percent", MetricKind::kGauge, "percent", ""};
  constexpr MetricDef kSecs{"x_seconds", MetricKind::kGauge, "seconds", ""};
  w.Add(kPct, Labels{{"k", "a"}}, 100.0 * 2 / 3);
  w.Add(kPct, Labels{{"k", "b"}}, std::nan(""));
  w.Add(kSecs, Labels(), 100.0 * 2 / 3);
  ASSERT_TRUE(w.Finish().ok());
  EXPECT_EQ(*out.Get("x_percent", R"({k="a"})"), 66.667);
  EXPECT_TRUE(std::isnan(*out.Get("x_percent", R"({k="b"})")));
  EXPECT_EQ(*out.Get("x_seconds"), 100.0 * 2 / 3);
}

}  // namespace perfwatch
