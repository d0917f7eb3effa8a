#include "query/window_cache.h"

#include <gtest/gtest.h>

#include <optional>

#include "model/tick.h"

namespace perfwatch {
namespace {

class WindowCacheTest : public ::testing::Test {
 protected:
  SeriesId Intern(const std::string& name, Labels labels) {
    return *registry_.Intern(name, labels);
  }
  // One tick at t_ms with `value` for each id.
  void Feed(WindowCache& cache, TimestampMs t_ms, const std::vector<SeriesId>& ids, double value) {
    Tick tick(registry_, t_ms);
    for (SeriesId id : ids) tick.AppendInterned(id, value);
    cache.Observe(tick);
  }
  std::vector<Sample> Held(const WindowCache& cache, SeriesId id) {
    auto s = cache.Samples({id}, INT64_MIN, INT64_MAX);
    EXPECT_TRUE(s.ok());
    return s->empty() ? std::vector<Sample>{} : (*s)[0].second;
  }

  SeriesRegistry registry_;
};

TEST_F(WindowCacheTest, KeepsTheWindowUntilNeedsAreSet) {
  SeriesId a = Intern("a", {});
  WindowCache cache(registry_, 30'000);
  for (int i = 0; i <= 100; ++i) Feed(cache, i * 1000, {a}, i);
  std::vector<Sample> held = Held(cache, a);
  ASSERT_EQ(held.size(), 31u);  // 70 s..100 s
  EXPECT_EQ(held.front(), (Sample{70'000, 70}));
  EXPECT_EQ(held.back(), (Sample{100'000, 100}));

  cache.set_window(5'000);
  Feed(cache, 101'000, {a}, 101);
  EXPECT_EQ(Held(cache, a).size(), 6u);
}

TEST_F(WindowCacheTest, KeepsOnlyWhatRangeSelectorsRead) {
  SeriesId ranged = Intern("cpu", Labels{{"i", "a"}});
  SeriesId instant = Intern("cpu", Labels{{"i", "b"}});
  SeriesId other = Intern("mem", {});
  WindowCache cache(registry_, 3600'000);
  ParsedExpr rule = *ParseExpr(R"(avg_over_time(cpu{i="a"}[10s]) > 1 or cpu or mem)");
  cache.SetRangeNeeds(rule.selector_ranges());
  for (int i = 0; i <= 60; ++i) Feed(cache, i * 1000, {ranged, instant, other}, i);
  EXPECT_EQ(Held(cache, ranged).size(), 11u);  // [50 s, 60 s]
  EXPECT_EQ(Held(cache, instant), (std::vector<Sample>{{60'000, 60}}));
  EXPECT_EQ(Held(cache, other).size(), 1u);
  EXPECT_EQ(cache.sample_count(), 13u);
  // A series interned later gets its need from the selectors too.
  SeriesId late = Intern("cpu", Labels{{"i", "a"}, {"j", "x"}});
  for (int i = 61; i <= 80; ++i) Feed(cache, i * 1000, {late}, i);
  EXPECT_EQ(Held(cache, late).size(), 11u);
}

TEST_F(WindowCacheTest, DropsSamplesThatGoBackInTime) {
  SeriesId a = Intern("a", {});
  WindowCache cache(registry_, 60'000);
  Feed(cache, 2000, {a}, 2);
  Feed(cache, 1000, {a}, 1);
  Feed(cache, 2000, {a}, 3);
  EXPECT_EQ(Held(cache, a), (std::vector<Sample>{{2000, 2}}));
}

TEST_F(WindowCacheTest, SelectFindsSeriesInternedAfterTheFirstCall) {
  Intern("cpu", Labels{{"i", "b"}});
  Intern("mem", Labels{{"i", "a"}});
  WindowCache cache(registry_, 60'000);
  SeriesSelector sel = *SeriesSelector::Parse("cpu");
  EXPECT_EQ(cache.Select(sel).size(), 1u);
  SeriesId added = Intern("cpu", Labels{{"i", "a"}});
  std::vector<SeriesId> ids = cache.Select(sel);
  ASSERT_EQ(ids.size(), 2u);
  EXPECT_EQ(ids[0], added);  // label order: i="a" before i="b"
  EXPECT_EQ(cache.Select(*SeriesSelector::Parse(R"({__name__=~".+",i="a"})")).size(), 2u);
}

TEST_F(WindowCacheTest, SelectIsNotFooledByAReusedSelectorAddress) {
  Intern("cpu", {});
  Intern("mem", {});
  WindowCache cache(registry_, 60'000);
  std::optional<SeriesSelector> sel = *SeriesSelector::Parse("cpu");
  ASSERT_EQ(cache.Select(*sel).size(), 1u);
  EXPECT_EQ(cache.Key(cache.Select(*sel)[0]).name, "cpu");
  sel.emplace(*SeriesSelector::Parse("mem"));  // same address, other selector
  ASSERT_EQ(cache.Select(*sel).size(), 1u);
  EXPECT_EQ(cache.Key(cache.Select(*sel)[0]).name, "mem");
}

TEST_F(WindowCacheTest, EvaluatesRulesFromTheWindow) {
  SeriesId c = Intern("req_total", Labels{{"i", "a"}});
  WindowCache cache(registry_, 60'000);
  ParsedExpr rule = *ParseExpr("rate(req_total[1m]) > 0.5");
  cache.SetRangeNeeds(rule.selector_ranges());
  for (int i = 0; i <= 120; ++i) Feed(cache, i * 1000, {c}, i);
  Result<QueryValue> v = Evaluate(rule, cache, 120'000);
  ASSERT_TRUE(v.ok());
  ASSERT_EQ(v->vector.size(), 1u);
  EXPECT_EQ(v->vector[0].value, 1);
  EXPECT_EQ(v->vector[0].labels.ToString(), R"({i="a"})");
  // The series keeps a minute for the rate, so an earlier instant is served.
  Result<QueryValue> earlier = Evaluate(*ParseExpr("req_total"), cache, 119'500);
  ASSERT_TRUE(earlier.ok());
  ASSERT_EQ(earlier->vector.size(), 1u);
  EXPECT_EQ(earlier->vector[0].value, 119);
}

}  // namespace
}  // namespace perfwatch
