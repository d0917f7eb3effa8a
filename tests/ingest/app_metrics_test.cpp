#include "ingest/app_metrics.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cmath>
#include <map>
#include <thread>

#include "emit_util.h"
#include "model/registry.h"
#include "model/tick.h"

namespace perfwatch {
namespace {

constexpr IngestSource kStatsd = IngestSource::kStatsd;
constexpr IngestSource kPush = IngestSource::kPush;
constexpr IngestSource kOtlp = IngestSource::kOtlp;
constexpr int64_t kMinute = 60'000;

TimestampMs WallNowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

using ingest_test::Flusher;

AppSeries* MustCreate(AppMetrics::Batch& b, std::string_view key, AppKind kind,
                      std::string_view name, Labels labels = {}) {
  Result<AppSeries*> s = b.Create(key, kind, name, std::move(labels));
  EXPECT_TRUE(s.ok()) << s.status().ToString();
  return s.ok() ? *s : nullptr;
}

TEST(AppMetrics, EmitsCountersAndGauges) {
  AppMetrics m;
  {
    auto b = m.Begin(kStatsd);
    AppSeries* c = MustCreate(b, "orders|c", AppKind::kCounter, "orders_total", {{"shop", "a"}});
    EXPECT_TRUE(b.Add(c, 1));
    EXPECT_TRUE(b.Add(c, 2.5));
    EXPECT_EQ(b.Find("orders|c"), c);
    EXPECT_EQ(b.Find("nothing|c"), nullptr);
    AppSeries* g = MustCreate(b, "temp|g", AppKind::kGauge, "temp");
    EXPECT_TRUE(b.Set(g, 10));
    EXPECT_TRUE(b.Add(g, -3));
  }
  Flusher f;
  auto out = f.Flush(m, WallNowMs());
  EXPECT_EQ(out["orders_total{shop=\"a\"}"], 3.5);
  EXPECT_EQ(out["temp"], 7);
  ASSERT_TRUE(f.registry.Meta("orders_total"));
  EXPECT_EQ(f.registry.Meta("orders_total")->kind, MetricKind::kCounter);
  EXPECT_EQ(f.registry.Meta("temp")->kind, MetricKind::kGauge);
}

TEST(AppMetrics, ACumulativeCounterTakesEachValueAndRefusesBadOnes) {
  AppMetrics m;
  {
    auto b = m.Begin(kPush);
    AppSeries* c = MustCreate(b, "x_total", AppKind::kCounter, "x_total");
    EXPECT_TRUE(b.Set(c, 100));
    EXPECT_TRUE(b.Set(c, 150));
    EXPECT_TRUE(b.Set(c, 5));  // a reset
    EXPECT_FALSE(b.Set(c, -1));
    EXPECT_FALSE(b.Add(c, -1));
    EXPECT_FALSE(b.Add(c, NAN));
    EXPECT_FALSE(b.Observe(c, 1));
    EXPECT_TRUE(b.Add(c, 1));
  }
  EXPECT_EQ(m.ErrorCount(kPush, "negative_counter"), 2u);
  EXPECT_EQ(m.ErrorCount(kPush, "bad_value"), 1u);
  EXPECT_EQ(m.ErrorCount(kPush, "type_conflict"), 1u);
  Flusher f;
  EXPECT_EQ(f.Flush(m, WallNowMs())["x_total"], 6);
}

TEST(AppMetrics, ASetCountsUniqueMembersPerFlushInterval) {
  AppMetrics m;
  Flusher f;
  {
    auto b = m.Begin(kStatsd);
    AppSeries* s = MustCreate(b, "users|s", AppKind::kSet, "users");
    for (std::string_view member : {"ann", "bob", "ann", "", "bob"}) {
      EXPECT_TRUE(b.AddMember(s, member));
    }
  }
  const TimestampMs t0 = WallNowMs();
  EXPECT_EQ(f.Flush(m, t0)["users"], 3);
  EXPECT_EQ(f.Flush(m, t0 + 1000)["users"], 0);
}

TEST(AppMetrics, ASetStopsAtItsMemberLimitAndCountsTheExcess) {
  AppMetrics m;
  {
    auto b = m.Begin(kStatsd);
    AppSeries* s = MustCreate(b, "ids|s", AppKind::kSet, "ids");
    for (int i = 0; i < 100'005; ++i) b.AddMember(s, std::to_string(i));
    EXPECT_TRUE(b.AddMember(s, "7"));  // a member already there is fine
  }
  EXPECT_EQ(m.ErrorCount(kStatsd, "set_too_large"), 5u);
  Flusher f;
  EXPECT_EQ(f.Flush(m, WallNowMs())["ids"], 100'000);
}

TEST(AppMetrics, ASummaryEmitsWindowQuantilesCumulativeCountAndIntervalExtremes) {
  AppMetrics m;
  Flusher f;
  {
    auto b = m.Begin(kStatsd);
    AppSeries* s = MustCreate(b, "api|ms", AppKind::kSummary, "api_milliseconds", {{"r", "x"}});
    for (int v = 1; v <= 100; ++v) EXPECT_TRUE(b.Observe(s, v));
    EXPECT_TRUE(b.Observe(s, 1000, 0.5));
    EXPECT_FALSE(b.Observe(s, INFINITY));
    EXPECT_FALSE(b.Observe(s, 1, 0));
    EXPECT_FALSE(b.Add(s, 1));
  }
  const TimestampMs t0 = WallNowMs();
  auto out = f.Flush(m, t0);
  EXPECT_NEAR(out["api_milliseconds{quantile=\"0.5\",r=\"x\"}"], 50, 0.5);
  EXPECT_NEAR(out["api_milliseconds{quantile=\"0.9\",r=\"x\"}"], 90, 0.9);
  EXPECT_NEAR(out["api_milliseconds{quantile=\"0.95\",r=\"x\"}"], 95, 0.95);
  EXPECT_NEAR(out["api_milliseconds{quantile=\"0.99\",r=\"x\"}"], 99, 0.99);
  EXPECT_EQ(out["api_milliseconds_count{r=\"x\"}"], 100.5);
  EXPECT_EQ(out["api_milliseconds_sum{r=\"x\"}"], 5050 + 500);
  EXPECT_EQ(out["api_milliseconds_min{r=\"x\"}"], 1);
  EXPECT_EQ(out["api_milliseconds_max{r=\"x\"}"], 1000);
  EXPECT_EQ(m.ErrorCount(kStatsd, "bad_value"), 2u);
  ASSERT_TRUE(f.registry.Meta("api_milliseconds"));
  EXPECT_EQ(f.registry.Meta("api_milliseconds")->kind, MetricKind::kSummary);

  // The next interval saw nothing: no extremes, the window and totals stay.
  out = f.Flush(m, t0 + 1000);
  EXPECT_FALSE(out.contains("api_milliseconds_min{r=\"x\"}"));
  EXPECT_FALSE(out.contains("api_milliseconds_max{r=\"x\"}"));
  EXPECT_TRUE(out.contains("api_milliseconds{quantile=\"0.5\",r=\"x\"}"));
  EXPECT_EQ(out["api_milliseconds_count{r=\"x\"}"], 100.5);
}

TEST(AppMetrics, SummaryQuantilesSlideOutOfTheWindow) {
  AppMetrics m;  // 60 s window in 6 age buckets of 10 s, rotated by Flush
  Flusher f;
  const TimestampMs t0 = WallNowMs() / kMinute * kMinute;
  auto observe = [&](double v, double weight) {
    auto b = m.Begin(kStatsd);
    AppSeries* s = b.Find("lat|ms");
    if (s == nullptr) s = MustCreate(b, "lat|ms", AppKind::kSummary, "lat_milliseconds");
    EXPECT_TRUE(b.Observe(s, v, weight));
  };
  const std::string p50 = "lat_milliseconds{quantile=\"0.5\"}";
  const std::string p99 = "lat_milliseconds{quantile=\"0.99\"}";
  observe(10, 5);  // the bucket of t0
  f.Flush(m, t0);
  f.Flush(m, t0 + 30'000);
  observe(1000, 1);  // the bucket of t0 + 30 s
  f.Flush(m, t0 + 50'000);
  observe(1000, 3);  // the bucket of t0 + 50 s
  auto out = f.Flush(m, t0 + 59'999);
  EXPECT_NEAR(out[p50], 10, 0.1);
  EXPECT_NEAR(out[p99], 1000, 10);

  out = f.Flush(m, t0 + 60'000);  // t0's bucket rotates out
  EXPECT_NEAR(out[p50], 1000, 10);
  EXPECT_EQ(out["lat_milliseconds_count"], 9);
  observe(1, 1);  // the bucket of t0 + 60 s
  out = f.Flush(m, t0 + 99'999);
  EXPECT_NEAR(out[p50], 1000, 10);  // t0 + 50 s is still inside
  out = f.Flush(m, t0 + 110'000);
  EXPECT_EQ(out[p50], 1);
  out = f.Flush(m, t0 + 200'000);
  EXPECT_FALSE(out.contains(p50));
  EXPECT_EQ(out["lat_milliseconds_count"], 10);
  EXPECT_EQ(out["lat_milliseconds_sum"], 50 + 1000 + 3000 + 1);
}

TEST(AppMetrics, AHistogramFedByObserveUsesTheConfiguredBuckets) {
  ObserverOptions options;
  options.buckets = {0.005, 1, 2.5};
  AppMetrics m({}, options);
  {
    auto b = m.Begin(kStatsd);
    AppSeries* h = MustCreate(b, "size|h", AppKind::kHistogram, "size", {{"k", "v"}});
    for (double v : {0.001, 0.005, 0.5, 1.0, 2.0, 3.0, 100.0}) EXPECT_TRUE(b.Observe(h, v));
    EXPECT_TRUE(b.Observe(h, 2, 10));
  }
  Flusher f;
  auto out = f.Flush(m, WallNowMs());
  EXPECT_EQ(out["size_bucket{k=\"v\",le=\"0.005\"}"], 2);
  EXPECT_EQ(out["size_bucket{k=\"v\",le=\"1\"}"], 4);
  EXPECT_EQ(out["size_bucket{k=\"v\",le=\"2.5\"}"], 15);
  EXPECT_EQ(out["size_bucket{k=\"v\",le=\"+Inf\"}"], 17);
  EXPECT_EQ(out["size_count{k=\"v\"}"], 17);
  EXPECT_DOUBLE_EQ(out["size_sum{k=\"v\"}"], 0.001 + 0.005 + 0.5 + 1 + 2 + 3 + 100 + 20);
  EXPECT_EQ(f.registry.Meta("size")->kind, MetricKind::kHistogram);
}

TEST(AppMetrics, SetHistogramAddsDeltasReplacesCumulativesAndKeepsItsLayout) {
  AppMetrics m;
  Flusher f;
  const double bounds[] = {0.1, 1};
  const double other[] = {0.1, 2};
  const uint64_t c1[] = {1, 2, 3};
  const uint64_t c2[] = {10, 0, 0};
  {
    auto b = m.Begin(kOtlp);
    AppSeries* d = MustCreate(b, "d", AppKind::kHistogram, "lat_seconds", {{"t", "delta"}});
    EXPECT_TRUE(b.SetHistogram(d, bounds, c1, 4.5, /*delta=*/true));
    EXPECT_TRUE(b.SetHistogram(d, bounds, c2, 0.5, /*delta=*/true));
    AppSeries* c = MustCreate(b, "c", AppKind::kHistogram, "lat_seconds", {{"t", "cum"}});
    EXPECT_TRUE(b.SetHistogram(c, bounds, c1, 4.5, /*delta=*/false));
    EXPECT_TRUE(b.SetHistogram(c, bounds, c2, 0.5, /*delta=*/false));
    EXPECT_FALSE(b.SetHistogram(c, other, c1, 1, false));
    EXPECT_FALSE(b.SetHistogram(c, std::span<const double>(bounds, 1), c1, 1, false));
    const double unsorted[] = {1, 0.1};
    EXPECT_FALSE(b.SetHistogram(c, unsorted, c1, 1, false));
    EXPECT_FALSE(b.SetHistogram(c, bounds, c1, NAN, false));
  }
  EXPECT_EQ(m.ErrorCount(kOtlp, "bucket_layout_changed"), 1u);
  EXPECT_EQ(m.ErrorCount(kOtlp, "bad_histogram"), 2u);
  EXPECT_EQ(m.ErrorCount(kOtlp, "bad_value"), 1u);
  auto out = f.Flush(m, WallNowMs());
  EXPECT_EQ(out["lat_seconds_bucket{le=\"0.1\",t=\"delta\"}"], 11);
  EXPECT_EQ(out["lat_seconds_bucket{le=\"1\",t=\"delta\"}"], 13);
  EXPECT_EQ(out["lat_seconds_bucket{le=\"+Inf\",t=\"delta\"}"], 16);
  EXPECT_EQ(out["lat_seconds_count{t=\"delta\"}"], 16);
  EXPECT_EQ(out["lat_seconds_sum{t=\"delta\"}"], 5);
  EXPECT_EQ(out["lat_seconds_bucket{le=\"+Inf\",t=\"cum\"}"], 10);
  EXPECT_EQ(out["lat_seconds_count{t=\"cum\"}"], 10);
  EXPECT_EQ(out["lat_seconds_sum{t=\"cum\"}"], 0.5);
}

TEST(AppMetrics, RefusesSamplesOutOfOrderOrTooOld) {
  AppMetrics m;
  const TimestampMs now = WallNowMs();
  Flusher f;
  {
    auto b = m.Begin(kPush);
    AppSeries* g = MustCreate(b, "g", AppKind::kGauge, "g");
    EXPECT_TRUE(b.Set(g, 1, now - 2000));
    EXPECT_TRUE(b.Set(g, 2, now - 1000));
    EXPECT_FALSE(b.Set(g, 3, now - 1500));
    EXPECT_TRUE(b.Set(g, 4, now - 1000));  // the same time again is fine
    EXPECT_FALSE(b.Set(g, 5, now - 6 * kMinute));
    AppSeries* h = MustCreate(b, "h", AppKind::kHistogram, "h");
    const double bounds[] = {1};
    const uint64_t counts[] = {1, 1};
    EXPECT_TRUE(b.SetHistogram(h, bounds, counts, 1, false, now));
    EXPECT_FALSE(b.SetHistogram(h, bounds, counts, 1, false, now - 10));
  }
  EXPECT_EQ(m.ErrorCount(kPush, "out_of_order"), 2u);
  EXPECT_EQ(m.ErrorCount(kPush, "too_old"), 1u);
  EXPECT_EQ(f.Flush(m, now)["g"], 4);
}

TEST(AppMetrics, RefusesEachLimitWithItsReason) {
  IngestLimits limits;
  limits.max_series = 2;
  limits.max_name_bytes = 12;
  limits.max_labels = 2;
  limits.max_label_value_bytes = 5;
  AppMetrics m(limits);
  {
    auto b = m.Begin(kPush);
    auto bad = b.Create("1x", AppKind::kGauge, "1x", {});
    EXPECT_EQ(bad.status().code(), Status::Code::kInvalidArgument);
    EXPECT_FALSE(b.Create("k", AppKind::kGauge, "a_name_too_long", {}).ok());
    EXPECT_FALSE(b.Create("k", AppKind::kGauge, "a", {{"label_too_long_", "v"}}).ok());
    EXPECT_FALSE(b.Create("k", AppKind::kGauge, "a", {{"a", "1"}, {"b", "2"}, {"c", "3"}}).ok());
    EXPECT_FALSE(b.Create("k", AppKind::kGauge, "a", {{"a", "123456"}}).ok());
    EXPECT_TRUE(b.Create("k1", AppKind::kGauge, "a", {{"a", "12345"}, {"b", "2"}}).ok());
    EXPECT_TRUE(b.Create("k2", AppKind::kGauge, "b", {}).ok());
    auto full = b.Create("k3", AppKind::kGauge, "c", {});
    EXPECT_EQ(full.status().code(), Status::Code::kResourceExhausted);
    EXPECT_EQ(b.Find("k3"), nullptr);
    EXPECT_TRUE(b.Create("k4", AppKind::kGauge, "b", {}).ok());  // an existing series is fine
  }
  EXPECT_EQ(m.ErrorCount(kPush, "bad_name"), 1u);
  EXPECT_EQ(m.ErrorCount(kPush, "name_too_long"), 2u);
  EXPECT_EQ(m.ErrorCount(kPush, "too_many_labels"), 1u);
  EXPECT_EQ(m.ErrorCount(kPush, "label_value_too_long"), 1u);
  EXPECT_EQ(m.ErrorCount(kPush, "series_limit"), 1u);
  EXPECT_EQ(m.SeriesCount(kPush), 2u);
  EXPECT_EQ(m.SeriesCount(kStatsd), 0u);
  {
    auto b = m.Begin(kStatsd);  // the limit is per source
    EXPECT_TRUE(b.Create("c", AppKind::kGauge, "c", {}).ok());
  }
}

TEST(AppMetrics, RefusesAKindClashOnANameAndOnTheNamesAFamilyEmits) {
  AppMetrics m;
  {
    auto b = m.Begin(kPush);
    MustCreate(b, "x", AppKind::kCounter, "x_total", {{"a", "1"}});
    EXPECT_FALSE(b.Create("y", AppKind::kGauge, "x_total", {{"a", "1"}}).ok());
    EXPECT_FALSE(b.Create("y", AppKind::kGauge, "x_total", {{"a", "2"}}).ok());
    MustCreate(b, "lat", AppKind::kSummary, "lat");
    EXPECT_FALSE(b.Create("lc", AppKind::kCounter, "lat_count", {}).ok());
    EXPECT_FALSE(b.Create("lm", AppKind::kGauge, "lat_max", {}).ok());
    EXPECT_TRUE(b.Create("lb", AppKind::kGauge, "lat_bucket", {}).ok());  // summaries have none
    MustCreate(b, "rq", AppKind::kCounter, "req_sum");
    EXPECT_FALSE(b.Create("rh", AppKind::kHistogram, "req", {}).ok());
    EXPECT_FALSE(b.Create("rs", AppKind::kSummary, "req", {}).ok());
  }
  EXPECT_EQ(m.ErrorCount(kPush, "type_conflict"), 6u);
}

TEST(AppMetrics, TwoSourcesAndTwoRawKeysShareOneSeries) {
  AppMetrics m;
  AppSeries* from_statsd;
  {
    auto b = m.Begin(kStatsd);
    from_statsd = MustCreate(b, "hits|c", AppKind::kCounter, "hits_total", {{"app", "a"}});
    EXPECT_EQ(MustCreate(b, "hits|c|#app:a", AppKind::kCounter, "hits_total", {{"app", "a"}}),
              from_statsd);
    b.Add(from_statsd, 1);
    b.Add(b.Find("hits|c|#app:a"), 1);
  }
  {
    auto b = m.Begin(kPush);
    AppSeries* pushed =
        MustCreate(b, "hits_total{app=\"a\"}", AppKind::kCounter, "hits_total", {{"app", "a"}});
    EXPECT_EQ(pushed, from_statsd);
    b.Add(pushed, 3);
    EXPECT_FALSE(b.Create("h", AppKind::kGauge, "hits_total", {{"app", "a"}}).ok());
  }
  EXPECT_EQ(m.SeriesCount(kStatsd), 1u);
  EXPECT_EQ(m.SeriesCount(kPush), 1u);
  Flusher f;
  auto out = f.Flush(m, WallNowMs());
  EXPECT_EQ(out["hits_total{app=\"a\"}"], 5);
  EXPECT_EQ(out["perfwatch_ingest_series{source=\"statsd\"}"], 1);
  EXPECT_EQ(out["perfwatch_ingest_series{source=\"push\"}"], 1);
}

TEST(AppMetrics, ARawKeyCacheOverFourTimesTheSeriesLimitStartsAgain) {
  IngestLimits limits;
  limits.max_series = 2;
  AppMetrics m(limits);
  auto b = m.Begin(kStatsd);
  for (char i = '0'; i < '8'; ++i) MustCreate(b, std::string{'k', i}, AppKind::kGauge, "g");
  EXPECT_NE(b.Find("k0"), nullptr);
  MustCreate(b, "k8", AppKind::kGauge, "g");
  EXPECT_EQ(b.Find("k0"), nullptr);
  EXPECT_NE(b.Find("k8"), nullptr);
  EXPECT_EQ(MustCreate(b, "k0", AppKind::kGauge, "g"), b.Find("k8"));
}

TEST(AppMetrics, ASeriesNotWrittenForItsTtlExpiresAndFreesItsSlot) {
  IngestLimits limits;
  limits.max_series = 1;
  limits.series_ttl_ms = kMinute;
  AppMetrics m(limits);
  Flusher f;
  {
    auto b = m.Begin(kStatsd);
    b.Add(MustCreate(b, "old|c", AppKind::kCounter, "old_total"), 1);
    EXPECT_FALSE(b.Create("new|c", AppKind::kCounter, "new_total", {}).ok());
  }
  const TimestampMs t0 = WallNowMs();
  EXPECT_TRUE(f.Flush(m, t0 + kMinute - 1000).contains("old_total"));
  auto out = f.Flush(m, t0 + kMinute + 1000);
  EXPECT_FALSE(out.contains("old_total"));
  EXPECT_EQ(out["perfwatch_ingest_series{source=\"statsd\"}"], 0);
  EXPECT_EQ(m.SeriesCount(kStatsd), 0u);
  {
    auto b = m.Begin(kStatsd);
    EXPECT_EQ(b.Find("old|c"), nullptr);
    b.Add(MustCreate(b, "new|c", AppKind::kCounter, "new_total"), 1);
    // The family is gone too: its name may now be another kind.
    EXPECT_FALSE(b.Create("old|g", AppKind::kGauge, "old_total", {}).ok());  // limit is 1
  }
  EXPECT_EQ(m.ErrorCount(kStatsd, "type_conflict"), 0u);
  EXPECT_EQ(m.ErrorCount(kStatsd, "series_limit"), 2u);
}

TEST(AppMetrics, CountsMessagesBytesSamplesAndErrorsPerSource) {
  AppMetrics m;
  {
    auto b = m.Begin(kStatsd);
    b.Message(100);
    b.Message(50);
    b.Accepted(3);
    b.Accepted();
    b.Reject("bad_line");
    b.Reject("bad_line", 2);
  }
  m.CountError(kOtlp, "body_too_large");
  EXPECT_EQ(m.AcceptedCount(kStatsd), 4u);
  Flusher f;
  auto out = f.Flush(m, WallNowMs());
  EXPECT_EQ(out["perfwatch_ingest_messages_total{source=\"statsd\"}"], 2);
  EXPECT_EQ(out["perfwatch_ingest_bytes_total{source=\"statsd\"}"], 150);
  EXPECT_EQ(out["perfwatch_ingest_samples_total{source=\"statsd\"}"], 4);
  EXPECT_EQ(out["perfwatch_ingest_errors_total{reason=\"bad_line\",source=\"statsd\"}"], 3);
  EXPECT_EQ(out["perfwatch_ingest_errors_total{reason=\"body_too_large\",source=\"otlp\"}"], 1);
  EXPECT_EQ(out["perfwatch_ingest_samples_total{source=\"push\"}"], 0);
  ASSERT_TRUE(f.registry.Meta("perfwatch_ingest_errors_total"));
  EXPECT_EQ(f.registry.Meta("perfwatch_ingest_errors_total")->kind, MetricKind::kCounter);
}

TEST(AppMetrics, TwoWritersAndAFlusherKeepEveryValue) {
  AppMetrics m;
  constexpr int kBatches = 2000;
  constexpr int kPerBatch = 50;
  std::atomic<bool> done{false};
  auto writer = [&](IngestSource source) {
    for (int i = 0; i < kBatches; ++i) {
      auto b = m.Begin(source);
      for (int j = 0; j < kPerBatch; ++j) {
        const std::string key{'c', static_cast<char>('0' + j % 5)};
        AppSeries* s = b.Find(key);
        if (s == nullptr) s = *b.Create(key, AppKind::kCounter, key + "_total", {});
        if (b.Add(s, 1)) b.Accepted();
        AppSeries* t = b.Find("t");
        if (t == nullptr) t = *b.Create("t", AppKind::kSummary, "t_milliseconds", {});
        b.Observe(t, j);
      }
    }
  };
  Flusher f;
  std::thread flusher([&] {
    while (!done) f.Flush(m, WallNowMs());
  });
  std::thread a(writer, kStatsd);
  std::thread b(writer, kPush);
  a.join();
  b.join();
  done = true;
  flusher.join();
  auto out = f.Flush(m, WallNowMs());
  double total = 0;
  for (std::string_view name : {"c0_total", "c1_total", "c2_total", "c3_total", "c4_total"}) {
    total += out[std::string(name)];
  }
  EXPECT_EQ(total, 2.0 * kBatches * kPerBatch);
  EXPECT_EQ(out["t_milliseconds_count"], 2.0 * kBatches * kPerBatch);
  EXPECT_EQ(m.AcceptedCount(kStatsd) + m.AcceptedCount(kPush), 2u * kBatches * kPerBatch);
}

TEST(SanitizeMetricName, ReplacesEveryOtherByteAndPrefixesALeadingDigit) {
  EXPECT_EQ(SanitizeMetricName("api.request-time"), "api_request_time");
  EXPECT_EQ(SanitizeMetricName("a__b..c"), "a__b__c");
  EXPECT_EQ(SanitizeMetricName("ns:sub.x"), "ns:sub_x");
  EXPECT_EQ(SanitizeMetricName("9lives"), "_9lives");
  EXPECT_EQ(SanitizeMetricName("caf\xc3\xa9"), "caf__");
  EXPECT_EQ(SanitizeMetricName(""), "");
  EXPECT_TRUE(IsValidMetricName(SanitizeMetricName("1 2/3")));
}

TEST(SanitizeLabelName, DropsColonsAndTheReservedDoubleUnderscore) {
  EXPECT_EQ(SanitizeLabelName("http.status"), "http_status");
  EXPECT_EQ(SanitizeLabelName("a:b"), "a_b");
  EXPECT_EQ(SanitizeLabelName("__name__"), "_name__");
  EXPECT_EQ(SanitizeLabelName("...x"), "_x");
  EXPECT_EQ(SanitizeLabelName("2xx"), "_2xx");
  for (std::string_view raw : {"__", "._x", "__9", "service.name", "_ok"}) {
    EXPECT_TRUE(IsValidLabelName(SanitizeLabelName(raw))) << raw;
  }
}

}  // namespace
}  // namespace perfwatch
