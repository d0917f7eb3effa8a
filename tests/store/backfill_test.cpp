#include "store/backfill.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "store/durable_store.h"

namespace perfwatch {
namespace {

constexpr int64_t kHour = 3'600'000;
constexpr int64_t kDay = 86'400'000;

class BackfillTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = ::testing::TempDir() + "/backfill_" +
           ::testing::UnitTest::GetInstance()->current_test_info()->name();
    std::filesystem::remove_all(dir_);
    const TimestampMs now = std::chrono::duration_cast<std::chrono::milliseconds>(
                                std::chrono::system_clock::now().time_since_epoch())
                                .count();
    day_ = (now - 3 * kDay) / kDay * kDay;  // a whole day three days ago
  }

  // Samples of `name` every 10 s over [from, to), value = seconds since day_.
  void Add(Backfill& b, const std::string& name, TimestampMs from, TimestampMs to) {
    for (TimestampMs t = from; t < to; t += 10'000) {
      ASSERT_TRUE(
          b.Add({name, Labels{{"k", "v"}}}, nullptr, {t, static_cast<double>((t - day_) / 1000)})
              .ok());
    }
  }

  std::vector<Sample> Query(const std::string& name, int64_t step) {
    SeriesRegistry registry;
    DurableStoreOptions o;
    o.data_dir = dir_;
    o.interval_ms = 10'000;
    o.head.max_points_per_query = 1 << 20;
    Result<std::unique_ptr<DurableStore>> store = DurableStore::Open(registry, o);
    EXPECT_TRUE(store.ok()) << store.status().ToString();
    if (!store.ok()) return {};
    Result<std::vector<SeriesPoints>> r =
        (*store)->Query(registry.SeriesOf(name), {day_, day_ + kDay - 1, step, Aggregation::kAvg});
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() && !r->empty() ? (*r)[0].points : std::vector<Sample>{};
  }

  std::string dir_;
  TimestampMs day_ = 0;
};

// Series interleaved in the input, one of them in two separate runs: every
// sample lands once, and the day's hour block covers both runs.
TEST_F(BackfillTest, InterleavedSeriesAndSplitRunsLandOnceInEveryTier) {
  {
    Result<std::unique_ptr<Backfill>> b = Backfill::Open(dir_);
    ASSERT_TRUE(b.ok()) << b.status().ToString();
    Add(**b, "a", day_, day_ + 5 * kHour);
    Add(**b, "b", day_, day_ + kDay);
    Add(**b, "a", day_ + 5 * kHour, day_ + kDay);
    ASSERT_TRUE((*b)->Finish().ok());
    EXPECT_EQ((*b)->stats().series, 2u);
    EXPECT_EQ((*b)->stats().samples, 2u * 8640);
  }
  for (const char* name : {"a", "b"}) {
    std::vector<Sample> raw = Query(name, 0);
    ASSERT_EQ(raw.size(), 8640u) << name;
    for (size_t i = 0; i < raw.size(); ++i) {
      ASSERT_EQ(raw[i].t_ms, day_ + static_cast<int64_t>(i) * 10'000) << name;
    }
    // Hour tier: 24 points, each the mean of its hour's 360 samples.
    std::vector<Sample> hours = Query(name, kHour);
    ASSERT_EQ(hours.size(), 24u) << name;
    for (size_t h = 0; h < 24; ++h) {
      EXPECT_DOUBLE_EQ(hours[h].value, 3600.0 * h + 1795) << name << " hour " << h;
    }
    EXPECT_EQ(Query(name, 60'000).size(), 1440u) << name;
  }
}

TEST_F(BackfillTest, ImportingTheSameSamplesTwiceChangesNothing) {
  uint64_t blocks_first = 0;
  for (int pass = 0; pass < 2; ++pass) {
    Result<std::unique_ptr<Backfill>> b = Backfill::Open(dir_);
    ASSERT_TRUE(b.ok()) << b.status().ToString();
    Add(**b, "a", day_ + kHour, day_ + 7 * kHour);
    ASSERT_TRUE((*b)->Finish().ok());
    if (pass == 0) blocks_first = (*b)->stats().blocks;
  }
  EXPECT_EQ(Query("a", 0).size(), 6u * 360);
  Result<std::unique_ptr<BlockStore>> db = BlockStore::Open(dir_ + "/perfwatch.db");
  ASSERT_TRUE(db.ok());
  EXPECT_EQ((*db)->ListBlocks()->size(), blocks_first);
}

}  // namespace
}  // namespace perfwatch
