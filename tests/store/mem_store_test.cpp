#include "store/mem_store.h"

#include <gtest/gtest.h>

#include <atomic>
#include <cmath>
#include <limits>
#include <map>
#include <random>
#include <string>
#include <thread>
#include <vector>

namespace perfwatch {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

class MemStoreTest : public ::testing::Test {
 protected:
  // Commits one tick with value values[i] for series "s{i}".
  void Commit(MemStore& store, TimestampMs t, const std::vector<double>& values) {
    Tick tick(registry_, t);
    for (size_t i = 0; i < values.size(); ++i) {
      ASSERT_TRUE(tick.Append("s", {{"i", std::to_string(i)}}, values[i]).ok());
    }
    ASSERT_TRUE(store.Commit(tick).ok());
  }

  std::vector<SeriesPoints> Query(const MemStore& store, std::vector<SeriesId> ids,
                                  QueryRange range) {
    Result<std::vector<SeriesPoints>> answer = store.Query(ids, range);
    EXPECT_TRUE(answer.ok()) << answer.status().ToString();
    return answer.ok() ? *answer : std::vector<SeriesPoints>{};
  }

  SeriesRegistry registry_;
};

TEST_F(MemStoreTest, RawQueryReturnsEverySampleInOrderAcrossChunks) {
  MemStore store({.chunk_samples = 10});
  std::vector<Sample> want;
  for (int i = 0; i < 95; ++i) {
    Commit(store, 1000 * i, {i * 1.5});
    want.push_back({1000 * i, i * 1.5});
  }
  const auto answer = Query(store, {0}, {.from_ms = 0, .to_ms = 1'000'000});
  ASSERT_EQ(answer.size(), 1u);
  EXPECT_EQ(answer[0].id, 0u);
  EXPECT_EQ(answer[0].points, want);
}

TEST_F(MemStoreTest, RangeIsInclusiveAtBothEnds) {
  MemStore store({.chunk_samples = 4});
  for (int i = 0; i < 20; ++i) Commit(store, 1000 * i, {static_cast<double>(i)});
  const auto answer = Query(store, {0}, {.from_ms = 3000, .to_ms = 9000});
  ASSERT_EQ(answer.size(), 1u);
  ASSERT_EQ(answer[0].points.size(), 7u);
  EXPECT_EQ(answer[0].points.front(), (Sample{3000, 3}));
  EXPECT_EQ(answer[0].points.back(), (Sample{9000, 9}));
}

// Reference implementation of bucketing, written independently of MemStore.
std::vector<Sample> NaiveBuckets(const std::vector<Sample>& samples, const QueryRange& range) {
  std::map<TimestampMs, std::vector<double>> buckets;
  for (const Sample& s : samples) {
    if (s.t_ms < range.from_ms || s.t_ms > range.to_ms) continue;
    const TimestampMs start =
        static_cast<TimestampMs>(std::floor(static_cast<double>(s.t_ms) / range.step_ms)) *
        range.step_ms;
    buckets[start].push_back(s.value);
  }
  std::vector<Sample> out;
  for (const auto& [start, values] : buckets) {
    std::vector<double> numbers;
    for (double v : values)
      if (!std::isnan(v)) numbers.push_back(v);
    double v = kNaN;
    if (range.agg == Aggregation::kLast) {
      v = values.back();
    } else if (!numbers.empty()) {
      double sum = 0, lo = numbers[0], hi = numbers[0];
      for (double n : numbers) {
        sum += n;
        if (n < lo) lo = n;
        if (n > hi) hi = n;
      }
      v = range.agg == Aggregation::kAvg   ? sum / numbers.size()
          : range.agg == Aggregation::kMin ? lo
                                           : hi;
    }
    out.push_back({start, v});
  }
  return out;
}

void ExpectSamePoints(const std::vector<Sample>& got, const std::vector<Sample>& want) {
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < got.size(); ++i) {
    EXPECT_EQ(got[i].t_ms, want[i].t_ms) << i;
    if (std::isnan(want[i].value)) {
      EXPECT_TRUE(std::isnan(got[i].value)) << i;
    } else {
      EXPECT_DOUBLE_EQ(got[i].value, want[i].value) << i;
    }
  }
}

TEST_F(MemStoreTest, StepQueriesMatchANaiveAggregationOfTheSameData) {
  MemStore store({.chunk_samples = 37, .max_points_per_query = 1'000'000});
  std::mt19937_64 rng(21);
  std::vector<std::vector<Sample>> data(3);
  TimestampMs t = -200'000;  // negative times floor into earlier buckets
  for (int i = 0; i < 2000; ++i) {
    t += 700 + rng() % 900;
    std::vector<double> values;
    for (size_t s = 0; s < data.size(); ++s) {
      const double v = rng() % 13 == 0 ? kNaN : static_cast<double>(rng() % 1000) / 8;
      values.push_back(v);
      data[s].push_back({t, v});
    }
    Commit(store, t, values);
  }
  for (int q = 0; q < 200; ++q) {
    QueryRange range;
    range.from_ms = -250'000 + static_cast<int64_t>(rng() % 1'500'000);
    range.to_ms = range.from_ms + static_cast<int64_t>(rng() % 1'000'000);
    range.step_ms = 1 + static_cast<int64_t>(rng() % 120'000);
    range.agg = static_cast<Aggregation>(q % 4);
    const auto answer = Query(store, {2, 0, 1}, range);
    size_t k = 0;
    for (SeriesId id = 0; id < data.size(); ++id) {
      const std::vector<Sample> want = NaiveBuckets(data[id], range);
      if (want.empty()) continue;
      ASSERT_LT(k, answer.size());
      ASSERT_EQ(answer[k].id, id);
      ExpectSamePoints(answer[k++].points, want);
    }
    EXPECT_EQ(k, answer.size());
  }
}

TEST_F(MemStoreTest, AllNaNBucketGivesNaNAndLastKeepsATrailingNaN) {
  MemStore store;
  Commit(store, 0, {kNaN});
  Commit(store, 1000, {kNaN});
  Commit(store, 60'000, {1});
  Commit(store, 61'000, {kNaN});
  for (Aggregation agg : {Aggregation::kAvg, Aggregation::kMin, Aggregation::kMax}) {
    const auto answer =
        Query(store, {0}, {.from_ms = 0, .to_ms = 120'000, .step_ms = 60'000, .agg = agg});
    ASSERT_EQ(answer[0].points.size(), 2u);
    EXPECT_TRUE(std::isnan(answer[0].points[0].value));
    EXPECT_EQ(answer[0].points[1], (Sample{60'000, 1}));
  }
  const auto last = Query(
      store, {0}, {.from_ms = 0, .to_ms = 120'000, .step_ms = 60'000, .agg = Aggregation::kLast});
  EXPECT_TRUE(std::isnan(last[0].points[1].value));
}

TEST_F(MemStoreTest, SamplesNotAfterTheLastAreDroppedAndCounted) {
  MemStore store({.chunk_samples = 3});
  Commit(store, 1000, {1, 10});
  Commit(store, 2000, {2, 20});
  Commit(store, 1500, {3, 30});  // both series go back in time
  Commit(store, 2000, {4, 40});  // same time again
  Commit(store, 3000, {5, 50});
  EXPECT_EQ(store.Stats().out_of_order, 4u);
  const auto answer = Query(store, {0, 1}, {.from_ms = 0, .to_ms = 10'000});
  ASSERT_EQ(answer.size(), 2u);
  EXPECT_EQ(answer[0].points, (std::vector<Sample>{{1000, 1}, {2000, 2}, {3000, 5}}));
  EXPECT_EQ(answer[1].points, (std::vector<Sample>{{1000, 10}, {2000, 20}, {3000, 50}}));
}

TEST_F(MemStoreTest, RetentionDropsSealedChunksOlderThanTheWindow) {
  MemStore store({.retention_ms = 10'000, .chunk_samples = 5});
  for (int i = 0; i <= 60; ++i) Commit(store, 1000 * i, {static_cast<double>(i)});
  // Newest 60 s, cutoff 50 s: the chunk [45, 49] s is older and goes; [50, 54]
  // and [55, 59] stay, with the head holding 60 s.
  const auto answer = Query(store, {0}, {.from_ms = 0, .to_ms = 100'000});
  ASSERT_EQ(answer.size(), 1u);
  EXPECT_EQ(answer[0].points.front().t_ms, 50'000);
  EXPECT_EQ(answer[0].points.size(), 11u);
  const StoreStats stats = store.Stats();
  EXPECT_EQ(stats.samples, 11u);
  EXPECT_EQ(stats.series, 1u);
}

TEST_F(MemStoreTest, RetentionExpiresTheHeadOfASeriesThatStoppedReporting) {
  MemStore store({.retention_ms = 20'000, .chunk_samples = 100});
  Commit(store, 0, {1, 2});
  for (int i = 1; i <= 40; ++i) {
    Tick tick(registry_, 1000 * i);
    ASSERT_TRUE(tick.Append("s", {{"i", "1"}}, i).ok());  // only series 1 goes on
    ASSERT_TRUE(store.Commit(tick).ok());
  }
  const auto answer = Query(store, {0, 1}, {.from_ms = 0, .to_ms = 100'000});
  ASSERT_EQ(answer.size(), 1u);
  EXPECT_EQ(answer[0].id, 1u);
  const StoreStats stats = store.Stats();
  EXPECT_EQ(stats.series, 1u);
  EXPECT_EQ(stats.samples, 41u);
  Commit(store, 0, {9, 9});  // series 0 still remembers its last time, 0
  EXPECT_EQ(store.Stats().out_of_order, 2u);
}

TEST_F(MemStoreTest, AnswersOverThePointLimitFailWithTheExactCount) {
  MemStore store({.chunk_samples = 50, .max_points_per_query = 100});
  for (int i = 0; i < 80; ++i) Commit(store, 1000 * i, {1, 2, 3});
  Result<std::vector<SeriesPoints>> raw = store.Query({0, 1, 2}, {.from_ms = 0, .to_ms = 80'000});
  ASSERT_FALSE(raw.ok());
  EXPECT_EQ(raw.status().code(), Status::Code::kResourceExhausted);
  EXPECT_NE(raw.status().message().find("query would return 240 points (limit 100)"),
            std::string::npos)
      << raw.status().message();
  EXPECT_NE(raw.status().message().find("larger step"), std::string::npos);
  EXPECT_TRUE(store.Query({0}, {.from_ms = 0, .to_ms = 80'000}).ok());
  EXPECT_TRUE(store.Query({0, 1, 2}, {.from_ms = 0, .to_ms = 80'000, .step_ms = 10'000}).ok());
}

TEST_F(MemStoreTest, UnknownAndEmptyIdsYieldNothing) {
  MemStore store;
  Commit(store, 1000, {1, 2, 3});
  ASSERT_TRUE(registry_.Intern("never_committed", {}).ok());  // id 3
  const auto answer = Query(store, {3, 7, 1'000'000, 1}, {.from_ms = 0, .to_ms = 5000});
  ASSERT_EQ(answer.size(), 1u);
  EXPECT_EQ(answer[0].id, 1u);
  EXPECT_TRUE(Query(store, {0, 1, 2}, {.from_ms = 2000, .to_ms = 5000}).empty());
}

TEST_F(MemStoreTest, AnswerIsOrderedByIdWithDuplicatesOnce) {
  MemStore store;
  Commit(store, 1000, {1, 2, 3});
  const auto answer = Query(store, {2, 0, 2, 1, 0}, {.from_ms = 0, .to_ms = 5000});
  ASSERT_EQ(answer.size(), 3u);
  EXPECT_EQ(answer[0].id, 0u);
  EXPECT_EQ(answer[1].id, 1u);
  EXPECT_EQ(answer[2].id, 2u);
}

TEST_F(MemStoreTest, RejectsANegativeStepAndAnInvertedRange) {
  MemStore store;
  EXPECT_EQ(store.Query({0}, {.from_ms = 0, .to_ms = 10, .step_ms = -1}).status().code(),
            Status::Code::kInvalidArgument);
  EXPECT_EQ(store.Query({0}, {.from_ms = 10, .to_ms = 0}).status().code(),
            Status::Code::kInvalidArgument);
}

TEST_F(MemStoreTest, StatsCountSeriesSamplesAndEncodedBytes) {
  MemStore store({.chunk_samples = 2});
  EXPECT_EQ(store.Stats().bytes, 0u);
  Commit(store, 1000, {1.0});
  // Header 5 + first sample 16 + trailer 4.
  EXPECT_EQ(store.Stats().bytes, 25u);
  Commit(store, 2000, {1.0});  // sealed: 17-bit delta + '0' value, 3 bytes more
  Commit(store, 3000, {2.0, 5.0});
  const StoreStats stats = store.Stats();
  EXPECT_EQ(stats.series, 2u);
  EXPECT_EQ(stats.samples, 4u);
  EXPECT_EQ(stats.bytes, 28u + 25u + 25u);
}

TEST_F(MemStoreTest, ConcurrentQueriesSeeMonotonicTimestampsWhileCommitting) {
  constexpr int kSeries = 20;
  constexpr int kTicks = 20000;
  MemStore store(
      {.retention_ms = 3'000'000, .chunk_samples = 50, .max_points_per_query = 1'000'000});
  std::vector<double> values(kSeries);
  Commit(store, 0, values);  // registers the series before readers start
  std::atomic<bool> done = false;
  std::atomic<int> queries = 0;
  auto reader = [&](int seed) {
    std::mt19937_64 rng(seed);
    while (!done.load()) {
      QueryRange range{.from_ms = 0, .to_ms = INT64_MAX};
      if (rng() % 2) range.step_ms = 1 + rng() % 100'000;
      Result<std::vector<SeriesPoints>> answer = store.Query(
          {static_cast<SeriesId>(rng() % kSeries), static_cast<SeriesId>(rng() % kSeries)}, range);
      ASSERT_TRUE(answer.ok()) << answer.status().ToString();
      for (const SeriesPoints& series : *answer) {
        for (size_t i = 1; i < series.points.size(); ++i) {
          ASSERT_LT(series.points[i - 1].t_ms, series.points[i].t_ms);
        }
      }
      ++queries;
    }
  };
  std::thread r1(reader, 1), r2(reader, 2);
  for (int i = 1; i <= kTicks; ++i) {
    for (int s = 0; s < kSeries; ++s) values[s] = i * 0.5 + s;
    Commit(store, 1000 * i, values);
    if (i % 1000 == 0) Commit(store, 1000 * i - 500, values);  // out of order, dropped
  }
  done = true;
  r1.join();
  r2.join();
  EXPECT_GT(queries.load(), 0);
  const StoreStats stats = store.Stats();
  EXPECT_EQ(stats.out_of_order, static_cast<uint64_t>(kSeries * (kTicks / 1000)));
  EXPECT_EQ(stats.series, static_cast<size_t>(kSeries));
  // Retention keeps 3000 s plus at most one older chunk per series.
  EXPECT_GE(stats.samples, uint64_t{kSeries} * 3001);
  EXPECT_LE(stats.samples, uint64_t{kSeries} * (3001 + 50));
}

}  // namespace
}  // namespace perfwatch
