#include "interchange/history_export.h"

#include <gtest/gtest.h>

#include <climits>
#include <limits>

#include "history_test_util.h"
#include "store/mem_store.h"

namespace perfwatch {
namespace {

constexpr TimestampMs kT0 = 1'700'000'000'000;
constexpr int64_t kHourMs = 3'600'000;

// Passes queries to a real store, counting them; every query after the
// first `fail_after` fails as a broken disk would.
class CountingStore final : public Store {
 public:
  explicit CountingStore(const Store& inner) : inner_(inner) {}
  Status Commit(const Tick&) override { return Status::Ok(); }
  Result<std::vector<SeriesPoints>> Query(const std::vector<SeriesId>& ids,
                                          const QueryRange& range) const override {
    if (++queries > fail_after) return Status::IOError("disk on fire");
    return inner_.Query(ids, range);
  }
  StoreStats Stats() const override { return inner_.Stats(); }

  mutable int queries = 0;
  int fail_after = INT_MAX;

 private:
  const Store& inner_;
};

// Three hours of three series, committed as ticks: two series of one metric
// registered around a third, so the export has to regroup them by name.
class HistoryExportTest : public ::testing::Test {
 protected:
  explicit HistoryExportTest(size_t max_points_per_query = 11000)
      : store_(MemStoreOptions{.retention_ms = int64_t{1} << 50,
                               .max_points_per_query = max_points_per_query}) {
    for (TimestampMs t = kT0; t <= kT0 + 3 * kHourMs; t += 1000) {
      Tick tick(registry_, t);
      tick.Describe({"app_latency_seconds", MetricKind::kGauge, "Latency.", "seconds"});
      double v = static_cast<double>((t - kT0) / 1000 % 97) / 8;
      EXPECT_TRUE(tick.Append("app_latency_seconds", {{"path", "/a"}}, v).ok());
      // app_up reports every 10 s in the first and the last hour only.
      bool up_reports = (t - kT0) % 10'000 == 0 && (t < kT0 + kHourMs || t > kT0 + 2 * kHourMs);
      if (up_reports) {
        EXPECT_TRUE(tick.Append("app_up", {}, 1).ok());
      }
      EXPECT_TRUE(tick.Append("app_latency_seconds", {{"path", "/b"}}, -v).ok());
      EXPECT_TRUE(store_.Commit(tick).ok());
      for (const auto& [id, value] : tick.samples()) Remember(id, t, value);
    }
  }

  void Remember(SeriesId id, TimestampMs t, double value) {
    const SeriesKey& key = registry_.Key(id);
    CollectedSeries* series = nullptr;
    for (CollectedSeries& s : expected_) {
      if (s.key.name == key.name && s.key.labels == key.labels) series = &s;
    }
    if (series == nullptr) {
      series = &expected_.emplace_back(CollectedSeries{key, registry_.Meta(key.name), {}});
    }
    series->samples.push_back({t, value});
  }

  // What the writer makes of the samples in [from, to], grouped by name.
  std::string Expected(HistoryFormat format, TimestampMs from, TimestampMs to) const {
    std::vector<CollectedSeries> wanted;
    for (const char* name : {"app_latency_seconds", "app_up"}) {
      for (const CollectedSeries& s : expected_) {
        if (s.key.name != name) continue;
        CollectedSeries& w = wanted.emplace_back(CollectedSeries{s.key, s.meta, {}});
        for (Sample x : s.samples) {
          if (x.t_ms >= from && x.t_ms <= to) w.samples.push_back(x);
        }
      }
    }
    return WriteText(format, wanted);
  }

  std::vector<SeriesId> AllIds() const {
    std::vector<SeriesId> ids;
    for (SeriesId id = 0; id < registry_.size(); ++id) ids.push_back(id);
    return ids;
  }

  // Every piece of an export, in order; fails the test on an error.
  static std::vector<std::string> Drain(HistoryExport& history) {
    std::vector<std::string> pieces;
    for (bool more = true; more;) {
      std::string piece;
      Result<bool> next = history.Next(&piece);
      EXPECT_TRUE(next.ok()) << next.status().ToString();
      if (!next.ok()) break;
      pieces.push_back(std::move(piece));
      more = *next;
    }
    return pieces;
  }

  static std::string Join(const std::vector<std::string>& pieces) {
    std::string out;
    for (const std::string& p : pieces) out += p;
    return out;
  }

  SeriesRegistry registry_;
  MemStore store_;
  std::vector<CollectedSeries> expected_;
};

TEST_F(HistoryExportTest, WritesWhatTheStoreHoldsAsTheWriterWouldInEveryFormat) {
  for (HistoryFormat format :
       {HistoryFormat::kCsv, HistoryFormat::kJson, HistoryFormat::kOpenMetrics}) {
    HistoryExport history(registry_, store_, AllIds(), {kT0, kT0 + 3 * kHourMs}, format);
    std::string text = Join(Drain(history));
    EXPECT_EQ(text, Expected(format, kT0, kT0 + 3 * kHourMs)) << ToString(format);
    EXPECT_EQ(history.samples(), 2 * 10801u + 720u);
  }
}

TEST_F(HistoryExportTest, GroupsSeriesByMetricNameWhateverTheirIdOrder) {
  HistoryExport history(registry_, store_, AllIds(), {kT0, kT0 + 5000}, HistoryFormat::kCsv);
  std::string text = Join(Drain(history));
  size_t b = text.find("/b");
  size_t up = text.find("app_up");
  ASSERT_NE(b, std::string::npos);
  ASSERT_NE(up, std::string::npos);
  EXPECT_LT(b, up) << text;
}

TEST_F(HistoryExportTest, RangeIsInclusiveAtBothEnds) {
  HistoryExport history(registry_, store_, AllIds(), {kT0 + 10'000, kT0 + 20'000},
                        HistoryFormat::kCsv);
  std::string text = Join(Drain(history));
  EXPECT_EQ(text, Expected(HistoryFormat::kCsv, kT0 + 10'000, kT0 + 20'000));
  EXPECT_NE(text.find(std::to_string(kT0 + 20'000)), std::string::npos);
  EXPECT_EQ(history.samples(), 2 * 11u + 2u);
}

TEST_F(HistoryExportTest, HandsOutOneWriterChunkPerPiece) {
  HistoryExport history(registry_, store_, AllIds(), {kT0, kT0 + 3 * kHourMs}, HistoryFormat::kCsv,
                        {.chunk_bytes = 4096});
  std::vector<std::string> pieces = Drain(history);
  ASSERT_GT(pieces.size(), 100u);
  for (size_t i = 0; i + 1 < pieces.size(); ++i) {
    // A chunk is handed over once it reaches 4096 bytes: one CSV line over at most.
    EXPECT_GE(pieces[i].size(), 4096u) << i;
    EXPECT_LT(pieces[i].size(), 4096u + 128) << i;
  }
  EXPECT_EQ(Join(pieces), Expected(HistoryFormat::kCsv, kT0, kT0 + 3 * kHourMs));
}

TEST_F(HistoryExportTest, CrossesDecadesWithoutDataInAFewDozenQueriesPerSeries) {
  CountingStore counting(store_);
  HistoryExport history(registry_, counting, AllIds(), {0, kT0 + 3 * kHourMs},
                        HistoryFormat::kJson);
  EXPECT_EQ(Join(Drain(history)), Expected(HistoryFormat::kJson, 0, kT0 + 3 * kHourMs));
  // 54 empty years are ~40 doublings of an hour; then an hour per query.
  EXPECT_LT(counting.queries, 3 * (45 + 4 + 2));
}

TEST_F(HistoryExportTest, TheWholeInt64RangeEndsWithoutOverflow) {
  CountingStore counting(store_);
  constexpr TimestampMs kMin = std::numeric_limits<TimestampMs>::min();
  constexpr TimestampMs kMax = std::numeric_limits<TimestampMs>::max();
  HistoryExport history(registry_, counting, AllIds(), {kMin, kMax}, HistoryFormat::kCsv);
  EXPECT_EQ(Join(Drain(history)), Expected(HistoryFormat::kCsv, kMin, kMax));
  EXPECT_LT(counting.queries, 3 * (2 * 64 + 4));
}

TEST_F(HistoryExportTest, NothingSelectedIsTheFormatsEmptyDocument) {
  for (HistoryFormat format :
       {HistoryFormat::kCsv, HistoryFormat::kJson, HistoryFormat::kOpenMetrics}) {
    HistoryExport history(registry_, store_, {}, {kT0, kT0 + kHourMs}, format);
    std::string piece = "stale";
    Result<bool> next = history.Next(&piece);
    ASSERT_TRUE(next.ok());
    EXPECT_FALSE(*next);
    EXPECT_EQ(piece, WriteText(format, {})) << ToString(format);
    // Done stays done.
    next = history.Next(&piece);
    ASSERT_TRUE(next.ok());
    EXPECT_FALSE(*next);
    EXPECT_EQ(piece, "");
  }
}

TEST_F(HistoryExportTest, AStoreFailureEndsTheExportWithItsErrorEveryTime) {
  CountingStore counting(store_);
  counting.fail_after = 3;
  HistoryExport history(registry_, counting, AllIds(), {kT0, kT0 + 3 * kHourMs},
                        HistoryFormat::kCsv, {.chunk_bytes = 4096});
  std::string piece, text;
  Result<bool> next = true;
  while (next.ok() && *next) {
    next = history.Next(&piece);
    text += piece;
  }
  ASSERT_FALSE(next.ok());
  EXPECT_EQ(next.status().message(), "disk on fire");
  // Three hours of series /a went out before the fourth query failed.
  EXPECT_GT(text.size(), 100'000u);
  EXPECT_EQ(history.samples(), 10'800u);
  next = history.Next(&piece);
  ASSERT_FALSE(next.ok());
  EXPECT_EQ(next.status().message(), "disk on fire");
  EXPECT_EQ(piece, "");
}

// A store that answers at most 500 points per query, where an hour holds 3600.
class DenseHistoryExportTest : public HistoryExportTest {
 protected:
  DenseHistoryExportTest() : HistoryExportTest(500) {}
};

TEST_F(DenseHistoryExportTest, HalvesTheWindowUntilTheStoreAnswers) {
  HistoryExport history(registry_, store_, AllIds(), {kT0, kT0 + 3 * kHourMs},
                        HistoryFormat::kOpenMetrics);
  EXPECT_EQ(Join(Drain(history)), Expected(HistoryFormat::kOpenMetrics, kT0, kT0 + 3 * kHourMs));
}

}  // namespace
}  // namespace perfwatch
