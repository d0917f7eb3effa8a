#include "store/durable_store.h"

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <random>
#include <thread>

namespace perfwatch {
namespace {

using namespace std::chrono_literals;

constexpr int64_t kHourMs = 3'600'000;

TimestampMs Now() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

class DurableStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = ::testing::TempDir() + "/durable_" +
           ::testing::UnitTest::GetInstance()->current_test_info()->name();
    std::filesystem::remove_all(dir_);
    // Six hours ago, on an hour boundary: inside every tier's horizon.
    start_ = (Now() - 6 * kHourMs) / kHourMs * kHourMs;
  }

  DurableStoreOptions Options() const {
    DurableStoreOptions o;
    o.data_dir = dir_;
    o.wal_sync = WalSync{WalSync::Mode::kOff};
    o.interval_ms = 10'000;
    o.blocks.window_ms = kHourMs;  // the tests count blocks by the hour
    return o;
  }

  std::unique_ptr<DurableStore> OpenStore(SeriesRegistry& registry) {
    Result<std::unique_ptr<DurableStore>> s = DurableStore::Open(registry, Options());
    EXPECT_TRUE(s.ok()) << s.status().message();
    return s.ok() ? std::move(*s) : nullptr;
  }

  // One sample of a and b every 10 s for `seconds`, value = seconds since start.
  void Feed(DurableStore& store, SeriesRegistry& registry, int64_t from_s, int64_t to_s) {
    for (int64_t s = from_s; s < to_s; s += 10) {
      Tick tick(registry, start_ + s * 1000);
      ASSERT_TRUE(tick.Append("a", {}, static_cast<double>(s)).ok());
      ASSERT_TRUE(tick.Append("b", Labels{{"k", "v"}}, -static_cast<double>(s)).ok());
      ASSERT_TRUE(store.Commit(tick).ok());
    }
  }

  static void WaitSealed(const DurableStore& store, TimestampMs until) {
    for (int i = 0; i < 500 && store.Storage().sealed_until < until; ++i) {
      std::this_thread::sleep_for(20ms);
    }
    ASSERT_GE(store.Storage().sealed_until, until);
  }

  static std::vector<Sample> Raw(const DurableStore& store, SeriesRegistry& registry,
                                 const std::string& name, TimestampMs from, TimestampMs to) {
    std::vector<SeriesId> ids = registry.SeriesOf(name);
    Result<std::vector<SeriesPoints>> r = store.Query(ids, {from, to, 0, Aggregation::kAvg});
    EXPECT_TRUE(r.ok()) << r.status().message();
    return r.ok() && !r->empty() ? (*r)[0].points : std::vector<Sample>{};
  }

  std::string dir_;
  TimestampMs start_ = 0;
};

TEST_F(DurableStoreTest, SealedWindowsAndTheHeadAnswerTogetherWithoutGapsOrDuplicates) {
  SeriesRegistry registry;
  auto store = OpenStore(registry);
  ASSERT_TRUE(store);
  Feed(*store, registry, 0, 2 * 3600 + 600);  // two sealed hours and ten minutes
  WaitSealed(*store, start_ + 2 * kHourMs);
  std::vector<Sample> a = Raw(*store, registry, "a", start_, start_ + 3 * kHourMs);
  ASSERT_EQ(a.size(), (2 * 3600 + 600) / 10u);
  for (size_t i = 0; i < a.size(); ++i) {
    ASSERT_EQ(a[i].t_ms, start_ + static_cast<int64_t>(i) * 10'000);
    ASSERT_EQ(a[i].value, static_cast<double>(i * 10));
  }
  StorageStats s = store->Storage();
  EXPECT_EQ(s.tiers[0].points, 2u * 2 * 360);  // two series, two windows
  EXPECT_GT(s.tiers[1].points, 0u);
  EXPECT_GT(s.file_bytes, 0u);
}

TEST_F(DurableStoreTest, HistorySurvivesARestart) {
  {
    SeriesRegistry registry;
    auto store = OpenStore(registry);
    ASSERT_TRUE(store);
    Feed(*store, registry, 0, 3600 + 1200);
    WaitSealed(*store, start_ + kHourMs);
  }
  SeriesRegistry registry;  // a new process: ids are assigned afresh
  auto store = OpenStore(registry);
  ASSERT_TRUE(store);
  // The sealed hour comes from SQLite, the 20 minutes after it from the WAL.
  std::vector<Sample> b = Raw(*store, registry, "b", start_, start_ + 2 * kHourMs);
  ASSERT_EQ(b.size(), (3600 + 1200) / 10u);
  EXPECT_EQ(b.back().value, -(3600.0 + 1200 - 10));
  EXPECT_EQ(registry.Key(registry.SeriesOf("b")[0]).labels.Get("k"), "v");
  // And it keeps going where it left off.
  Feed(*store, registry, 3600 + 1200, 3 * 3600 + 10);
  WaitSealed(*store, start_ + 3 * kHourMs);
  EXPECT_EQ(Raw(*store, registry, "a", start_, start_ + 4 * kHourMs).size(), (3 * 3600 + 10) / 10u);
}

TEST_F(DurableStoreTest, LongStepsAreAnsweredFromTheMinuteTierWithRawSemantics) {
  SeriesRegistry registry;
  auto store = OpenStore(registry);
  ASSERT_TRUE(store);
  Feed(*store, registry, 0, 3 * 3600 + 60);
  WaitSealed(*store, start_ + 3 * kHourMs);
  std::vector<SeriesId> ids = registry.SeriesOf("a");
  for (Aggregation agg :
       {Aggregation::kAvg, Aggregation::kMin, Aggregation::kMax, Aggregation::kLast}) {
    Result<std::vector<SeriesPoints>> r =
        store->Query(ids, {start_, start_ + 3 * kHourMs - 1, 600'000, agg});
    ASSERT_TRUE(r.ok()) << r.status().message();
    ASSERT_EQ(r->size(), 1u);
    ASSERT_EQ((*r)[0].points.size(), 18u);  // 3 h in 10-minute buckets
    // Bucket k holds values 600k .. 600k + 590, step 10.
    for (size_t k = 0; k < 18; ++k) {
      const Sample& p = (*r)[0].points[k];
      double lo = 600.0 * k, hi = lo + 590;
      double want = agg == Aggregation::kAvg ? (lo + hi) / 2 : agg == Aggregation::kMin ? lo : hi;
      EXPECT_EQ(p.t_ms, start_ + static_cast<int64_t>(k) * 600'000);
      EXPECT_DOUBLE_EQ(p.value, want) << "bucket " << k;
    }
  }
}

// The 1-hour tier only has closed hours; a query at a 1-hour step must still
// reach up to the last sample (the dashboard's 30-day chart ends at "now").
TEST_F(DurableStoreTest, HourStepsIncludeTheOpenHourFromTheFinerTiers) {
  SeriesRegistry registry;
  auto store = OpenStore(registry);
  ASSERT_TRUE(store);
  // Two closed hours, then 25 min 30 s of the third: closed minutes and the
  // open minute's raw samples.
  Feed(*store, registry, 0, 2 * 3600 + 25 * 60 + 30);
  std::vector<SeriesId> ids = registry.SeriesOf("a");
  for (Aggregation agg : {Aggregation::kMax, Aggregation::kLast, Aggregation::kAvg}) {
    Result<std::vector<SeriesPoints>> r =
        store->Query(ids, {start_, start_ + 3 * kHourMs - 1, kHourMs, agg});
    ASSERT_TRUE(r.ok()) << r.status().message();
    ASSERT_EQ(r->size(), 1u);
    ASSERT_EQ((*r)[0].points.size(), 3u) << "the open hour is missing";
    const Sample& open = (*r)[0].points[2];
    EXPECT_EQ(open.t_ms, start_ + 2 * kHourMs);
    const double first = 7200, last = 7200 + 25 * 60 + 20;  // values are seconds since start
    const double want = agg == Aggregation::kAvg ? (first + last) / 2 : last;
    EXPECT_DOUBLE_EQ(open.value, want);
  }
  // A range that ends before any hour closed is answered too (a new install).
  Result<std::vector<SeriesPoints>> fresh = store->Query(
      ids, {start_ + 2 * kHourMs, start_ + 3 * kHourMs - 1, kHourMs, Aggregation::kMax});
  ASSERT_TRUE(fresh.ok());
  ASSERT_EQ(fresh->size(), 1u);
  EXPECT_DOUBLE_EQ((*fresh)[0].points.at(0).value, 7200 + 25 * 60 + 20);
}
TEST_F(DurableStoreTest, ACorruptDatabaseIsRefusedNamingTheFileAndTheFlag) {
  std::filesystem::create_directories(dir_);
  std::string db = dir_ + "/perfwatch.db";
  std::ofstream(db) << std::string(8192, 'x');
  SeriesRegistry registry;
  Result<std::unique_ptr<DurableStore>> s = DurableStore::Open(registry, Options());
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.status().message().find(db), std::string::npos) << s.status().message();
  EXPECT_NE(s.status().message().find("--reset-corrupt-db"), std::string::npos);
  EXPECT_EQ(std::filesystem::file_size(db), 8192u);  // untouched

  DurableStoreOptions reset = Options();
  reset.reset_corrupt_db = true;
  Result<std::unique_ptr<DurableStore>> fresh = DurableStore::Open(registry, reset);
  ASSERT_TRUE(fresh.ok()) << fresh.status().message();
  bool moved_aside = false;
  for (const auto& e : std::filesystem::directory_iterator(dir_)) {
    moved_aside |= e.path().filename().string().starts_with("perfwatch.db.corrupt");
  }
  EXPECT_TRUE(moved_aside);
}

TEST_F(DurableStoreTest, RetentionDropsRawBlocksPastTheirAgeButKeepsRollups) {
  SeriesRegistry registry;
  DurableStoreOptions o = Options();
  o.retention.raw.max_age_ms = 2 * kHourMs;  // relative to the sealed window's end
  auto s = DurableStore::Open(registry, o);
  ASSERT_TRUE(s.ok()) << s.status().message();
  DurableStore& store = **s;
  Feed(store, registry, 0, 4 * 3600 + 10);
  WaitSealed(store, start_ + 4 * kHourMs);
  for (int i = 0; i < 100 && store.Storage().tiers[0].blocks > 4; ++i) {
    std::this_thread::sleep_for(20ms);
  }
  StorageStats stats = store.Storage();
  EXPECT_EQ(stats.tiers[0].blocks, 2u * 2);  // hours 3 and 4 of two series remain
  EXPECT_EQ(stats.tiers[1].blocks, 4u * 2);  // every minute block remains
  EXPECT_NE(stats.last_cleanup.find("raw 2 blocks"), std::string::npos) << stats.last_cleanup;
  EXPECT_NE(stats.last_cleanup.find("by age"), std::string::npos) << stats.last_cleanup;
}

// A clock that jumps back (NTP step, VM restore) must not write its ticks
// among kept history, neither in memory nor into a sealed window, and not
// after a restart either; they are counted, and collection resumes once the
// clock passes the newest tick again.
TEST_F(DurableStoreTest, TicksFromAClockThatJumpedBackAreDroppedAndCounted) {
  const auto history = [&](DurableStore& store, SeriesRegistry& registry) {
    return Raw(store, registry, "a", start_, start_ + 5 * kHourMs);
  };
  std::vector<Sample> before;
  {
    SeriesRegistry registry;
    auto store = OpenStore(registry);
    ASSERT_TRUE(store);
    Feed(*store, registry, 0, 2 * 3600 + 600);
    WaitSealed(*store, start_ + 2 * kHourMs);
    before = history(*store, registry);
    Feed(*store, registry, 2 * 3600 - 300, 2 * 3600 + 300);  // into the head
    Feed(*store, registry, 1800, 1900);                      // into a sealed window
    EXPECT_EQ(store->Stats().out_of_order, 2u * (60 + 10));
    EXPECT_EQ(store->Storage().out_of_order, 2u * (60 + 10));
    EXPECT_EQ(history(*store, registry).size(), before.size());
    Feed(*store, registry, 2 * 3600 + 600, 2 * 3600 + 620);  // the clock caught up
    EXPECT_EQ(history(*store, registry).size(), before.size() + 2);
  }
  std::filesystem::remove_all(dir_ + "/wal");  // nothing in memory after the restart
  SeriesRegistry registry;
  auto store = OpenStore(registry);
  ASSERT_TRUE(store);
  Feed(*store, registry, 3000, 3100);  // behind what is sealed
  EXPECT_EQ(store->Stats().out_of_order, 2u * 10);
  std::vector<Sample> after = history(*store, registry);
  ASSERT_EQ(after.size(), 2u * 3600 / 10);  // the sealed hours, unchanged
  for (size_t i = 0; i < after.size(); ++i) ASSERT_EQ(after[i].t_ms, before[i].t_ms);
}

uint64_t DirBytes(const std::string& dir) {
  uint64_t total = 0;
  for (const auto& e : std::filesystem::recursive_directory_iterator(dir)) {
    if (e.is_regular_file()) total += e.file_size();
  }
  return total;
}

// Five hours of 40 series of random values (nothing for zstd to find) into
// a 1 MiB budget, sealed every 5 minutes: after every clean-up the whole
// data directory (blocks, SQLite's pages, both WALs) fits the cap; each
// tier keeps the same share of its history, so the 1-minute and 1-hour
// tiers reach back further than raw; recent raw history is intact.
TEST_F(DurableStoreTest, TheDataDirectoryStaysWithinTheDiskCap) {
  constexpr uint64_t kCap = 1 << 20;
  constexpr int kSeries = 40;
  constexpr int64_t kWindowMs = 5 * 60'000;
  SeriesRegistry registry;
  DurableStoreOptions o = Options();
  o.interval_ms = 1000;
  o.blocks.window_ms = kWindowMs;
  o.retention.max_disk_bytes = kCap;
  o.head.max_points_per_query = 10'000'000;
  o.head.retention_ms = kWindowMs;  // so raw answers come from disk
  auto s = DurableStore::Open(registry, o);
  ASSERT_TRUE(s.ok()) << s.status().message();
  DurableStore& store = **s;
  std::mt19937_64 rng(7);
  std::uniform_real_distribution<double> value(0, 1e6);
  uint64_t peak = 0;
  bool capped = false;
  const int64_t windows = 5 * kHourMs / kWindowMs;
  for (int64_t w = 0; w < windows; ++w) {
    for (int64_t t = w * kWindowMs; t < (w + 1) * kWindowMs; t += 1000) {
      Tick tick(registry, start_ + t);
      for (int i = 0; i < kSeries; ++i) {
        ASSERT_TRUE(tick.Append("v", Labels{{"i", std::to_string(i)}}, value(rng)).ok());
      }
      ASSERT_TRUE(store.Commit(tick).ok());
    }
    if (w == 0) continue;  // the tick closing window w - 1 was committed
    const TimestampMs sealed = start_ + w * kWindowMs;
    WaitSealed(store, sealed);
    for (int i = 0; i < 500 && store.Storage().last_cleanup_ms < sealed; ++i) {
      std::this_thread::sleep_for(10ms);
    }
    ASSERT_GE(store.Storage().last_cleanup_ms, sealed);
    const uint64_t bytes = DirBytes(dir_);
    peak = std::max(peak, bytes);
    EXPECT_LE(bytes, kCap) << "after window " << w << ": " << store.Storage().last_cleanup;
    capped = capped || store.Storage().last_cleanup.find("by disk cap") != std::string::npos;
  }
  std::cout << "peak " << peak << " bytes of a " << kCap << "-byte cap\n";
  EXPECT_TRUE(capped) << "the test never reached the cap";
  EXPECT_GT(peak, kCap * 3 / 4) << "the cap was not used";
  const StorageStats stats = store.Storage();
  // Oldest point left per tier: rollups outlive raw under the cap.
  auto oldest = [&](int64_t step) {
    Result<std::vector<SeriesPoints>> r = store.Query(
        registry.SeriesOf("v"), {start_, start_ + 6 * kHourMs, step, Aggregation::kAvg});
    TimestampMs first = INT64_MAX;
    if (!r.ok()) {
      ADD_FAILURE() << r.status().message();
      return first;
    }
    for (const SeriesPoints& sp : *r) first = std::min(first, sp.points.front().t_ms);
    return first;
  };
  EXPECT_LT(oldest(kHourMs), oldest(60'000));
  EXPECT_LT(oldest(60'000), oldest(0));
  EXPECT_GT(stats.tiers[0].blocks, 0u);
  // The last sealed window is whole in raw.
  std::vector<Sample> recent = Raw(store, registry, "v", start_ + (windows - 2) * kWindowMs,
                                   start_ + (windows - 1) * kWindowMs - 1);
  EXPECT_EQ(recent.size(), static_cast<size_t>(kWindowMs / 1000));
}

}  // namespace
}  // namespace perfwatch
