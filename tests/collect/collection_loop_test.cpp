#include "collect/collection_loop.h"

#include <gtest/gtest.h>

#include <atomic>
#include <mutex>
#include <thread>

namespace perfwatch {
namespace {

using namespace std::chrono_literals;

class FakeCollector : public Collector {
 public:
  FakeCollector(std::string name, bool ok, std::chrono::milliseconds min_interval = 0ms)
      : name_(std::move(name)), ok_(ok), min_interval_(min_interval) {}
  std::string_view name() const override { return name_; }
  std::chrono::milliseconds min_interval() const override { return min_interval_; }
  Status Collect(Appender& out) override {
    ++runs;
    (void)out.Append("fake_" + name_, {}, runs);
    return ok_ ? Status::Ok() : Status::Unavailable("/proc/fake: No such file or directory");
  }
  int runs = 0;

 private:
  std::string name_;
  bool ok_;
  std::chrono::milliseconds min_interval_;
};

double ValueOf(const Tick& tick, std::string_view name, std::string_view collector = "") {
  for (const auto& [id, value] : tick.samples()) {
    const SeriesKey& key = tick.registry().Key(id);
    if (key.name == name && key.labels.Get("collector") == collector) return value;
  }
  return -1;
}

TEST(CollectionLoop, ReportsDurationAndSuccessPerCollector) {
  SeriesRegistry reg;
  std::vector<std::unique_ptr<Collector>> cs;
  cs.push_back(std::make_unique<FakeCollector>("good", true));
  cs.push_back(std::make_unique<FakeCollector>("bad", false));
  CollectionLoop loop(reg, std::move(cs), 1s, nullptr);
  auto tick = loop.RunOnce(5000);
  EXPECT_EQ(tick->time(), 5000);
  EXPECT_EQ(ValueOf(*tick, "perfwatch_collector_success", "good"), 1);
  EXPECT_EQ(ValueOf(*tick, "perfwatch_collector_success", "bad"), 0);
  EXPECT_GE(ValueOf(*tick, "perfwatch_collector_duration_seconds", "good"), 0);
  // Samples appended before a failure are kept.
  EXPECT_EQ(ValueOf(*tick, "fake_bad"), 1);
  ASSERT_TRUE(reg.Meta("perfwatch_collector_success").has_value());
}

TEST(CollectionLoop, SkipsCollectorsUntilTheirMinIntervalPasses) {
  SeriesRegistry reg;
  std::vector<std::unique_ptr<Collector>> cs;
  auto slow = std::make_unique<FakeCollector>("slow", true, 1h);
  FakeCollector* slow_ptr = slow.get();
  cs.push_back(std::move(slow));
  CollectionLoop loop(reg, std::move(cs), 1s, nullptr);
  auto first = loop.RunOnce(1000);
  auto second = loop.RunOnce(2000);
  EXPECT_EQ(slow_ptr->runs, 1);
  // Its last values are carried into the ticks it skips.
  EXPECT_EQ(ValueOf(*first, "fake_slow"), 1);
  EXPECT_EQ(ValueOf(*second, "fake_slow"), 1);
  // Its health gauges stay continuous while it is skipped.
  EXPECT_EQ(ValueOf(*second, "perfwatch_collector_success", "slow"), 1);
}

TEST(CollectionLoop, StaggersExpensiveCollectorsOntoDifferentTicks) {
  SeriesRegistry reg;
  std::vector<std::unique_ptr<Collector>> cs;
  auto a = std::make_unique<FakeCollector>("a", true, 5s);
  auto b = std::make_unique<FakeCollector>("b", true, 5s);
  FakeCollector *pa = a.get(), *pb = b.get();
  cs.push_back(std::move(a));
  cs.push_back(std::move(b));
  CollectionLoop loop(reg, std::move(cs), 1s, nullptr);
  (void)loop.RunOnce(100'000);  // the first tick runs everything
  for (int64_t t = 101'000; t < 111'000; t += 1000) {
    int before = pa->runs + pb->runs;
    (void)loop.RunOnce(t);
    EXPECT_LE(pa->runs + pb->runs - before, 1) << "both ran at " << t;
  }
  EXPECT_EQ(pa->runs, 3);  // once at start, then every 5th tick
  EXPECT_EQ(pb->runs, 3);
}

TEST(CollectionLoop, StampsTicksOnAWallAlignedGrid) {
  SeriesRegistry reg;
  std::vector<std::unique_ptr<Collector>> cs;
  cs.push_back(std::make_unique<FakeCollector>("good", true));
  std::mutex mu;
  std::vector<TimestampMs> times;
  CollectionLoop loop(reg, std::move(cs), 100ms, [&](std::shared_ptr<const Tick> t) {
    std::lock_guard lock(mu);
    times.push_back(t->time());
  });
  loop.Start();
  for (int i = 0; i < 100; ++i) {
    std::this_thread::sleep_for(50ms);
    std::lock_guard lock(mu);
    if (times.size() >= 5) break;
  }
  loop.Stop();
  std::lock_guard lock(mu);
  ASSERT_GE(times.size(), 5u);
  // The first tick runs at once; the rest sit on multiples of the interval
  // and strictly increase.
  for (size_t i = 1; i < times.size(); ++i) {
    EXPECT_EQ(times[i] % 100, 0) << times[i];
    EXPECT_GT(times[i], times[i - 1]);
  }
}

TEST(CollectionLoop, StopsPromptlyEvenWithALongInterval) {
  SeriesRegistry reg;
  std::atomic<int> ticks{0};
  CollectionLoop loop(reg, {}, 1h, [&](std::shared_ptr<const Tick>) { ++ticks; });
  loop.Start();
  while (ticks == 0) std::this_thread::sleep_for(1ms);
  loop.Stop();  // must not wait for the hour
  EXPECT_EQ(ticks, 1);
}

}  // namespace
}  // namespace perfwatch
