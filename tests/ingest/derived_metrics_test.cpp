// The derived application metrics and component figures of AppMetrics.

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <map>

#include "emit_util.h"
#include "ingest/app_metrics.h"
#include "model/registry.h"
#include "model/tick.h"

namespace perfwatch {
namespace {

constexpr IngestSource kStatsd = IngestSource::kStatsd;
constexpr IngestSource kPush = IngestSource::kPush;
constexpr int64_t kMinute = 60'000;

TimestampMs MinuteStart() {
  const TimestampMs now = std::chrono::duration_cast<std::chrono::milliseconds>(
                              std::chrono::system_clock::now().time_since_epoch())
                              .count();
  return now / kMinute * kMinute;
}

using ingest_test::Flusher;

// Finds or creates series `name{labels}` in `b` under a raw key of both.
AppSeries* Series(AppMetrics::Batch& b, AppKind kind, std::string_view name, Labels labels = {}) {
  const std::string key = std::string(name) + labels.ToString();
  if (AppSeries* s = b.Find(key)) return s;
  Result<AppSeries*> s = b.Create(key, kind, name, std::move(labels));
  EXPECT_TRUE(s.ok()) << key << ": " << s.status().ToString();
  return s.ok() ? *s : nullptr;
}

TEST(DerivedMetrics, RequestTimersGiveRateMeanP95AndErrorRatePerApp) {
  AppMetrics m;
  Flusher f;
  const TimestampMs t0 = MinuteStart();
  f.Flush(m, t0);
  std::vector<double> all;
  {
    auto b = m.Begin(kStatsd);
    for (int i = 1; i <= 100; ++i) {
      const double ms = 3.7 * i * i / 10;
      const bool error = i % 10 == 0;
      Labels labels{{"status", error ? "500" : "200"}};
      EXPECT_TRUE(b.Observe(Series(b, AppKind::kSummary, "shop_request_milliseconds", labels), ms));
      all.push_back(ms);
    }
  }
  auto out = f.Flush(m, t0 + 10'000);
  std::sort(all.begin(), all.end());
  double sum = 0;
  for (double v : all) sum += v;
  EXPECT_DOUBLE_EQ(out["app_requests_per_second{app=\"shop\"}"], 10);
  EXPECT_NEAR(out["app_response_time_avg_seconds{app=\"shop\"}"], sum / 100 / 1000, 1e-12);
  EXPECT_DOUBLE_EQ(out["app_error_rate_percent{app=\"shop\"}"], 10);
  const double p95 = all[94] / 1000;  // rank 0.95 * 99, the lower one
  EXPECT_NEAR(out["app_response_time_p95_seconds{app=\"shop\"}"], p95, p95 * 0.01);

  // A window later with no requests: rate 0, the rest omitted.
  out = f.Flush(m, t0 + 80'000);
  EXPECT_EQ(out["app_requests_per_second{app=\"shop\"}"], 0);
  EXPECT_FALSE(out.contains("app_response_time_avg_seconds{app=\"shop\"}"));
  EXPECT_FALSE(out.contains("app_response_time_p95_seconds{app=\"shop\"}"));
  EXPECT_FALSE(out.contains("app_error_rate_percent{app=\"shop\"}"));
  ASSERT_TRUE(f.registry.Meta("app_response_time_p95_seconds"));
  EXPECT_EQ(f.registry.Meta("app_response_time_p95_seconds")->unit, "seconds");
  EXPECT_EQ(f.registry.Meta("app_error_rate_percent")->unit, "percent");
}

TEST(DerivedMetrics, TheRateCoversTheWindowNotTheLastFlush) {
  AppMetrics m;
  Flusher f;
  const TimestampMs t0 = MinuteStart();
  f.Flush(m, t0);
  for (int second = 1; second <= 120; ++second) {
    {
      auto b = m.Begin(kStatsd);
      // 2 requests a second for the first minute, then 8.
      const int n = second <= 60 ? 2 : 8;
      for (int i = 0; i < n; ++i)
        b.Observe(Series(b, AppKind::kSummary, "request_milliseconds"), 5);
    }
    auto out = f.Flush(m, t0 + second * 1000);
    if (second == 60) {
      EXPECT_DOUBLE_EQ(out["app_requests_per_second{app=\"default\"}"], 2);
    }
    if (second == 90) {
      EXPECT_DOUBLE_EQ(out["app_requests_per_second{app=\"default\"}"], 5);
    }
    if (second == 120) {
      EXPECT_DOUBLE_EQ(out["app_requests_per_second{app=\"default\"}"], 8);
    }
  }
}

TEST(DerivedMetrics, TheAppAndErrorsComeFromLabelsOrTheNamePrefix) {
  AppMetrics m;
  Flusher f;
  const TimestampMs t0 = MinuteStart();
  f.Flush(m, t0);
  struct Case {
    std::string_view name;
    Labels labels;
  };
  const Case cases[] = {
      {"request_milliseconds", {{"app", "a"}, {"status", "error"}}},
      {"request_milliseconds", {{"service_name", "b"}, {"code", "503"}}},
      {"request_milliseconds", {{"status_code", "404"}}},
      {"c_request_milliseconds", {{"error", "TRUE"}}},
      {"d_request_milliseconds", {{"http_status_code", "5xx"}}},
      {"e_request_milliseconds", {{"status", "FAILED"}}},
      {"e_request_milliseconds", {{"status", "ok"}}},
      {"f_request_milliseconds", {{"app", "a"}, {"status", "200"}}},
  };
  {
    auto b = m.Begin(kPush);
    for (const Case& c : cases) b.Observe(Series(b, AppKind::kSummary, c.name, c.labels), 1);
  }
  auto out = f.Flush(m, t0 + 1000);
  EXPECT_EQ(out["app_error_rate_percent{app=\"a\"}"], 50);
  EXPECT_EQ(out["app_error_rate_percent{app=\"b\"}"], 100);
  EXPECT_EQ(out["app_error_rate_percent{app=\"default\"}"], 0);
  EXPECT_EQ(out["app_error_rate_percent{app=\"c\"}"], 100);
  EXPECT_EQ(out["app_error_rate_percent{app=\"d\"}"], 100);
  EXPECT_EQ(out["app_error_rate_percent{app=\"e\"}"], 50);
  EXPECT_EQ(out["app_requests_per_second{app=\"a\"}"], 2);
  EXPECT_FALSE(out.contains("app_requests_per_second{app=\"f\"}"));
}

TEST(DerivedMetrics, CacheCountersGiveTheHitRateAndGaugesTheSize) {
  AppMetrics m;
  Flusher f;
  const TimestampMs t0 = MinuteStart();
  f.Flush(m, t0);
  {
    auto b = m.Begin(kStatsd);
    b.Add(Series(b, AppKind::kCounter, "shop_cache_hits_total"), 90);
    b.Add(Series(b, AppKind::kCounter, "shop_cache_misses_total"), 10);
    b.Add(Series(b, AppKind::kCounter, "cache_hit_total", {{"app", "web"}}), 3);
    b.Add(Series(b, AppKind::kCounter, "cache_miss_total", {{"app", "web"}}), 1);
    b.Set(Series(b, AppKind::kGauge, "shop_cache_size"), 500);
    b.Set(Series(b, AppKind::kGauge, "cache_size", {{"app", "web"}, {"cache", "a"}}), 7);
    b.Set(Series(b, AppKind::kGauge, "cache_size", {{"app", "web"}, {"cache", "b"}}), 3);
  }
  auto out = f.Flush(m, t0 + 1000);
  EXPECT_EQ(out["app_cache_hit_rate_percent{app=\"shop\"}"], 90);
  EXPECT_EQ(out["app_cache_hit_rate_percent{app=\"web\"}"], 75);
  EXPECT_EQ(out["app_cache_size{app=\"shop\"}"], 500);
  EXPECT_EQ(out["app_cache_size{app=\"web\"}"], 10);
  EXPECT_FALSE(out.contains("app_requests_per_second{app=\"shop\"}"));
  {
    auto b = m.Begin(kStatsd);
    b.Add(Series(b, AppKind::kCounter, "shop_cache_misses_total"), 100);
  }
  out = f.Flush(m, t0 + 2000);
  EXPECT_EQ(out["app_cache_hit_rate_percent{app=\"shop\"}"], 45);  // 90 of 200 in the window
  out = f.Flush(m, t0 + 100'000);
  EXPECT_FALSE(out.contains("app_cache_hit_rate_percent{app=\"shop\"}"));  // no lookups
  EXPECT_EQ(out["app_cache_size{app=\"shop\"}"], 500);
}

TEST(DerivedMetrics, BytesCountersGiveThroughputFromDeltasAndCumulativeValues) {
  AppMetrics m;
  Flusher f;
  const TimestampMs t0 = MinuteStart();
  f.Flush(m, t0);
  {
    auto b = m.Begin(kStatsd);
    b.Add(Series(b, AppKind::kCounter, "etl_bytes_total"), 50e6);
  }
  {
    auto b = m.Begin(kPush);
    // A pushed cumulative counter's first value is its start, not traffic.
    b.Set(Series(b, AppKind::kCounter, "bytes_total", {{"app", "p"}}), 1e9);
  }
  auto out = f.Flush(m, t0 + 10'000);
  EXPECT_DOUBLE_EQ(out["app_throughput_mb_per_second{app=\"etl\"}"], 5);
  EXPECT_EQ(out["app_throughput_mb_per_second{app=\"p\"}"], 0);
  {
    auto b = m.Begin(kPush);
    b.Set(Series(b, AppKind::kCounter, "bytes_total", {{"app", "p"}}), 1.1e9);
  }
  out = f.Flush(m, t0 + 20'000);
  EXPECT_DOUBLE_EQ(out["app_throughput_mb_per_second{app=\"p\"}"], 5);  // 100 MB in 20 s
  {
    auto b = m.Begin(kPush);
    b.Set(Series(b, AppKind::kCounter, "bytes_total", {{"app", "p"}}), 2e8);  // a restart
  }
  out = f.Flush(m, t0 + 40'000);
  EXPECT_DOUBLE_EQ(out["app_throughput_mb_per_second{app=\"p\"}"], 7.5);  // 300 MB in 40 s
}

TEST(DerivedMetrics, AnApplicationsOwnSeriesOfADerivedNameWins) {
  AppMetrics m;
  Flusher f;
  const TimestampMs t0 = MinuteStart();
  f.Flush(m, t0);
  {
    auto b = m.Begin(kPush);
    b.Set(Series(b, AppKind::kGauge, "app_requests_per_second", {{"app", "shop"}}), 42);
    b.Observe(Series(b, AppKind::kSummary, "shop_request_milliseconds"), 5);
  }
  auto out = f.Flush(m, t0 + 1000);  // Flusher fails on a duplicate
  EXPECT_EQ(out["app_requests_per_second{app=\"shop\"}"], 42);
  EXPECT_EQ(out["app_response_time_avg_seconds{app=\"shop\"}"], 0.005);
}

TEST(DerivedMetrics, AnAppWhoseSeriesExpiredIsNoLongerEmitted) {
  IngestLimits limits;
  limits.series_ttl_ms = kMinute;
  AppMetrics m(limits);
  Flusher f;
  const TimestampMs t0 = MinuteStart();
  {
    auto b = m.Begin(kStatsd);
    b.Observe(Series(b, AppKind::kSummary, "gone_request_milliseconds"), 5);
  }
  EXPECT_TRUE(f.Flush(m, t0).contains("app_response_time_avg_seconds{app=\"gone\"}"));
  auto out = f.Flush(m, t0 + 5 * kMinute);
  EXPECT_FALSE(out.contains("app_requests_per_second{app=\"gone\"}"));
}

TEST(AppMetricsComponents, GivesFiguresAndShareOfTheAppsTotal) {
  AppMetrics m;
  {
    auto b = m.Begin(kStatsd);
    const std::string_view name = "component_duration_milliseconds";
    for (int v = 10; v <= 100; v += 10) {
      Labels labels{{"app", "etl"}, {"component", "load"}, {"host", v % 20 ? "a" : "b"}};
      b.Observe(Series(b, AppKind::kSummary, name, labels), v);
    }
    for (double v : {500, 550, 600}) {
      b.Observe(Series(b, AppKind::kSummary, name, {{"app", "etl"}, {"component", "train"}}), v);
    }
    b.Observe(Series(b, AppKind::kSummary, name, {{"app", "web"}, {"component", "load"}}), 5);
    b.Observe(Series(b, AppKind::kSummary, name, {{"component", "solo"}}), 1);
    b.Observe(Series(b, AppKind::kSummary, name, {{"app", "nameless"}}), 1);
  }
  std::vector<ComponentStats> all = m.Components();
  ASSERT_EQ(all.size(), 4u);
  EXPECT_EQ(all[0].app, "");
  EXPECT_EQ(all[0].name, "solo");
  EXPECT_EQ(all[1].name, "load");
  EXPECT_EQ(all[2].name, "train");
  EXPECT_EQ(all[3].app, "web");

  const ComponentStats& load = all[1];
  EXPECT_EQ(load.app, "etl");
  EXPECT_EQ(load.count, 10u);
  EXPECT_EQ(load.total_ms, 550);
  EXPECT_EQ(load.mean_ms, 55);
  EXPECT_EQ(load.min_ms, 10);
  EXPECT_EQ(load.max_ms, 100);
  EXPECT_NEAR(load.p50_ms, 50, 0.5);
  EXPECT_NEAR(load.p95_ms, 90, 0.9);
  EXPECT_NEAR(load.p99_ms, 90, 0.9);
  EXPECT_DOUBLE_EQ(load.share_percent, 25);
  EXPECT_DOUBLE_EQ(all[2].share_percent, 75);
  EXPECT_DOUBLE_EQ(all[3].share_percent, 100);
  EXPECT_GT(load.last_seen_ms, 0);

  EXPECT_EQ(m.Component("load")->app, "etl");
  EXPECT_EQ(m.Component("load", "web")->total_ms, 5);
  EXPECT_FALSE(m.Component("load", "other"));
  EXPECT_FALSE(m.Component("missing"));
}

TEST(AppMetricsComponents, KeepFiguresSinceFirstSeenBeyondTheQuantileWindow) {
  AppMetrics m;
  Flusher f;
  const TimestampMs t0 = MinuteStart();
  {
    auto b = m.Begin(kStatsd);
    AppSeries* s =
        Series(b, AppKind::kSummary, "component_duration_milliseconds", {{"component", "step"}});
    for (int i = 0; i < 100; ++i) b.Observe(s, 7);
  }
  f.Flush(m, t0);
  auto out = f.Flush(m, t0 + 5 * kMinute);
  EXPECT_FALSE(
      out.contains("component_duration_milliseconds{component=\"step\",quantile=\"0.5\"}"));
  ASSERT_TRUE(m.Component("step"));
  EXPECT_EQ(m.Component("step")->count, 100u);
  EXPECT_EQ(m.Component("step")->p95_ms, 7);
}

}  // namespace
}  // namespace perfwatch
