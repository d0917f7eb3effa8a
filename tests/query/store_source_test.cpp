#include "query/store_source.h"

#include <gtest/gtest.h>

#include "model/tick.h"
#include "store/mem_store.h"

namespace perfwatch {
namespace {

class StoreSourceTest : public ::testing::Test {
 protected:
  explicit StoreSourceTest(MemStoreOptions options = {})
      : store_(options), source_(registry_, store_) {}

  void Commit(TimestampMs t, const std::vector<std::pair<SeriesId, double>>& samples) {
    Tick tick(registry_, t);
    for (auto [id, v] : samples) tick.AppendInterned(id, v);
    ASSERT_TRUE(store_.Commit(tick).ok());
  }

  SeriesRegistry registry_;
  MemStore store_;
  StoreSource source_;
};

TEST_F(StoreSourceTest, ReadsRawSamplesOpenOnTheLeftInTheOrderGiven) {
  SeriesId a = *registry_.Intern("m", Labels{{"i", "b"}});
  SeriesId b = *registry_.Intern("m", Labels{{"i", "a"}});
  SeriesId silent = *registry_.Intern("m", Labels{{"i", "c"}});
  for (int t = 1; t <= 5; ++t) Commit(t * 1000, {{a, t}, {b, t * 10}});
  auto s = source_.Samples({b, silent, a}, 2000, 4000);
  ASSERT_TRUE(s.ok());
  ASSERT_EQ(s->size(), 2u);
  EXPECT_EQ((*s)[0].first, b);
  EXPECT_EQ((*s)[0].second, (std::vector<Sample>{{3000, 30}, {4000, 40}}));
  EXPECT_EQ((*s)[1].first, a);
  // Select orders by labels, not by id.
  EXPECT_EQ(source_.Select(*SeriesSelector::Parse("m")), (std::vector<SeriesId>{b, a, silent}));
  EXPECT_EQ(source_.Key(a).labels.Get("i"), "b");
}

TEST_F(StoreSourceTest, LatestFindsASampleOlderThanTheNarrowWindows) {
  SeriesId old_one = *registry_.Intern("m", Labels{{"i", "old"}});
  SeriesId fresh = *registry_.Intern("m", Labels{{"i", "fresh"}});
  Commit(100'000, {{old_one, 1}});
  for (int t = 300; t <= 400; ++t) Commit(t * 1000, {{fresh, t}});
  std::vector<std::pair<SeriesId, Sample>> got;
  Status st = source_.VisitLatest({old_one, fresh}, 100'000 - 1, 400'000,
                                  [&](SeriesId id, const Sample& s) { got.emplace_back(id, s); });
  ASSERT_TRUE(st.ok());
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0], (std::pair<SeriesId, Sample>{old_one, {100'000, 1}}));
  EXPECT_EQ(got[1], (std::pair<SeriesId, Sample>{fresh, {400'000, 400}}));
}

class SmallStoreSourceTest : public StoreSourceTest {
 protected:
  SmallStoreSourceTest() : StoreSourceTest(MemStoreOptions{.max_points_per_query = 20}) {}
};

TEST_F(SmallStoreSourceTest, PassesTheStorePointLimitUp) {
  SeriesId a = *registry_.Intern("c_total", {});
  for (int t = 0; t <= 60; ++t) Commit(t * 1000, {{a, t}});
  Result<QueryValue> v = Evaluate(*ParseExpr("rate(c_total[1m])"), source_, 60'000);
  ASSERT_FALSE(v.ok());
  EXPECT_EQ(v.status().code(), Status::Code::kResourceExhausted);
  // An instant selector reads only the last 10 s first, within the limit.
  Result<QueryValue> instant = Evaluate(*ParseExpr("c_total"), source_, 60'000);
  ASSERT_TRUE(instant.ok()) << instant.status().message();
  ASSERT_EQ(instant->vector.size(), 1u);
  EXPECT_EQ(instant->vector[0].value, 60);
  Result<QueryValue> narrow = Evaluate(*ParseExpr("rate(c_total[10s])"), source_, 60'000);
  ASSERT_TRUE(narrow.ok());
  EXPECT_EQ(narrow->vector[0].value, 1);
}

}  // namespace
}  // namespace perfwatch
