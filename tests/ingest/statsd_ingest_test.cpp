// StatsdIngester: StatsD lines into AppMetrics and out of Flush, in process.

#include "ingest/statsd_ingest.h"

#include <gtest/gtest.h>

#include <cmath>
#include <string>

#include "statsd_test_util.h"

namespace perfwatch {
namespace {

using statsd_test::Emit;
using statsd_test::NowMs;
using statsd_test::ValueOf;

class StatsdIngest : public ::testing::Test {
 protected:
  void Ingest(std::string_view datagram) {
    AppMetrics::Batch batch = metrics_.Begin(IngestSource::kStatsd);
    ingester_.IngestDatagram(batch, datagram);
  }
  uint64_t Errors(std::string_view reason) const {
    return metrics_.ErrorCount(IngestSource::kStatsd, reason);
  }

  AppMetrics metrics_;
  StatsdIngester ingester_;
};

TEST(StatsdSeriesName, MapsEachTypeAsDocumented) {
  EXPECT_EQ(StatsdSeriesName("shop.orders", StatsdType::kCounter), "shop_orders_total");
  EXPECT_EQ(StatsdSeriesName("shop.orders_total", StatsdType::kCounter), "shop_orders_total");
  EXPECT_EQ(StatsdSeriesName("fuel.level", StatsdType::kGauge), "fuel_level");
  EXPECT_EQ(StatsdSeriesName("api.request", StatsdType::kTimer), "api_request_milliseconds");
  EXPECT_EQ(StatsdSeriesName("db_milliseconds", StatsdType::kTimer), "db_milliseconds");
  EXPECT_EQ(StatsdSeriesName("song.length", StatsdType::kHistogram), "song_length");
  EXPECT_EQ(StatsdSeriesName("page.views", StatsdType::kDistribution), "page_views");
  EXPECT_EQ(StatsdSeriesName("users.uniques", StatsdType::kSet), "users_uniques");
  EXPECT_EQ(StatsdSeriesName("my-app/req time", StatsdType::kGauge), "my_app_req_time");
  EXPECT_EQ(StatsdSeriesName("5xx.count", StatsdType::kGauge), "_5xx_count");
}

TEST_F(StatsdIngest, CountersAddValueOverRate) {
  Ingest("shop.orders:1|c\nshop.orders:2|c|@0.5\nshop.orders_total:3:1|c\n");
  auto out = Emit(metrics_);
  EXPECT_EQ(ValueOf(out, "shop_orders_total"), 1 + 4 + 3 + 1);
  EXPECT_EQ(metrics_.SeriesCount(IngestSource::kStatsd), 1u);
  EXPECT_EQ(metrics_.AcceptedCount(IngestSource::kStatsd), 4u);
}

TEST_F(StatsdIngest, GaugesSetOrMoveBySignedDeltas) {
  Ingest("fuel:10|g\nfuel:+5|g\nfuel:-3|g");
  EXPECT_EQ(ValueOf(Emit(metrics_), "fuel"), 12);
  Ingest("fuel:0:-4.5|g");  // the Etsy way to a negative gauge
  EXPECT_EQ(ValueOf(Emit(metrics_), "fuel"), -4.5);
  Ingest("fuel:7|g|@0.1");  // a rate does not scale a gauge
  EXPECT_EQ(ValueOf(Emit(metrics_), "fuel"), 7);
}

TEST_F(StatsdIngest, TimersBecomeMillisecondSummaries) {
  std::string datagram;
  for (int v = 1; v <= 1000; ++v) datagram += "api.request:" + std::to_string(v) + "|ms\n";
  Ingest(datagram);
  Ingest("api.request:1000|ms|@0.1");  // ten more of 1000
  auto out = Emit(metrics_);
  EXPECT_EQ(ValueOf(out, "api_request_milliseconds_count"), 1000 + 10);
  EXPECT_EQ(ValueOf(out, "api_request_milliseconds_sum"), 500500 + 10000);
  EXPECT_EQ(ValueOf(out, "api_request_milliseconds_min"), 1);
  EXPECT_EQ(ValueOf(out, "api_request_milliseconds_max"), 1000);
  // Within 1% of the two ranks around q * (n - 1) of the 1010 observations.
  const struct {
    const char* q;
    double low, high;
  } quantiles[] = {{"0.5", 505, 506}, {"0.9", 909, 910}, {"0.95", 959, 960}, {"0.99", 1000, 1000}};
  for (const auto& [q, low, high] : quantiles) {
    double v = ValueOf(out, std::string("api_request_milliseconds{quantile=\"") + q + "\"}");
    EXPECT_GE(v, low * 0.99) << q;
    EXPECT_LE(v, high * 1.01) << q;
  }
}

TEST_F(StatsdIngest, HistogramsAndDistributionsShareBucketedSeries) {
  Ingest("payload:300|h\npayload:700:3|h\npayload:2|d|@0.5");
  auto out = Emit(metrics_);
  EXPECT_EQ(ValueOf(out, "payload_count"), 5);
  EXPECT_EQ(ValueOf(out, "payload_sum"), 300 + 700 + 3 + 4);
  EXPECT_EQ(ValueOf(out, "payload_bucket{le=\"2.5\"}"), 2);
  EXPECT_EQ(ValueOf(out, "payload_bucket{le=\"5\"}"), 3);
  EXPECT_EQ(ValueOf(out, "payload_bucket{le=\"500\"}"), 4);
  EXPECT_EQ(ValueOf(out, "payload_bucket{le=\"+Inf\"}"), 5);
}

TEST(StatsdIngestOptions, HistogramsCanBeSummaries) {
  AppMetrics metrics;
  StatsdIngester ingester(AppKind::kSummary);
  {
    AppMetrics::Batch batch = metrics.Begin(IngestSource::kStatsd);
    ingester.IngestDatagram(batch, "render:4|d\nrender:6|h");
  }
  auto out = Emit(metrics);
  EXPECT_EQ(ValueOf(out, "render_count"), 2);
  EXPECT_NEAR(ValueOf(out, "render{quantile=\"0.5\"}"), 4, 0.04);
  EXPECT_EQ(ValueOf(out, "render_max"), 6);
  EXPECT_EQ(out.count("render_bucket{le=\"5\"}"), 0u);
}

TEST_F(StatsdIngest, SetsCountDistinctMembersPerInterval) {
  Ingest("users:alice|s\nusers:bob|s\nusers:alice|s\nusers:a:b|s");
  EXPECT_EQ(ValueOf(Emit(metrics_), "users"), 3);
  Ingest("users:carol|s");
  EXPECT_EQ(ValueOf(Emit(metrics_), "users"), 1);
}

TEST_F(StatsdIngest, TagsBecomeLabels) {
  Ingest("req:1|c|#env:prod,status-code:200,beta,env:dev,empty:,__meta:x\n");
  EXPECT_EQ(ValueOf(Emit(metrics_),
                    "req_total{_meta=\"x\",beta=\"true\",env=\"dev\","
                    "status_code=\"200\"}"),
            1);
}

TEST_F(StatsdIngest, TagOrderAndRateDoNotSplitASeries) {
  Ingest("req:1|c|#a:1,b:2|T" + std::to_string(NowMs() / 1000 - 1) +
         "\nreq:1|c|@0.5|#b:2,a:1\nreq:1|c|#a:1,b:2");
  EXPECT_EQ(metrics_.SeriesCount(IngestSource::kStatsd), 1u);
  EXPECT_EQ(ValueOf(Emit(metrics_), "req_total{a=\"1\",b=\"2\"}"), 4);
}

TEST_F(StatsdIngest, KeepsGoodLinesOfAPacketWithBadOnes) {
  Ingest("a:1|c\nbad\nb:2|c|@Infinity\n\xff:1|c\nc:-1|c\nd:1|c|#:v\nc:3|c\n_sc|x|0\n");
  auto out = Emit(metrics_);
  EXPECT_EQ(ValueOf(out, "a_total"), 1);
  EXPECT_EQ(ValueOf(out, "c_total"), 3);
  EXPECT_EQ(out.count("b_total"), 0u);
  EXPECT_EQ(metrics_.AcceptedCount(IngestSource::kStatsd), 2u);
  EXPECT_EQ(Errors("missing_value"), 1u);
  EXPECT_EQ(Errors("bad_sample_rate"), 1u);
  EXPECT_EQ(Errors("bad_utf8"), 1u);
  EXPECT_EQ(Errors("negative_counter"), 1u);
  EXPECT_EQ(Errors("bad_tags"), 1u);
  EXPECT_EQ(Errors("unsupported"), 1u);
  EXPECT_EQ(ValueOf(out,
                    "perfwatch_ingest_errors_total{reason=\"bad_sample_rate\","
                    "source=\"statsd\"}"),
            1);
  EXPECT_EQ(ValueOf(out, "perfwatch_ingest_messages_total{source=\"statsd\"}"), 1);
}

TEST_F(StatsdIngest, RefusesTagsThatCollideWithAddedLabels) {
  Ingest("t:1|ms|#quantile:x\nh:1|h|#le:5\nt:1|ms|#Quantile:x");
  EXPECT_EQ(Errors("bad_tags"), 2u);
  EXPECT_EQ(metrics_.AcceptedCount(IngestSource::kStatsd), 1u);
}

TEST_F(StatsdIngest, TagsBeyondTheLimitsAreRefusedWithTheirReason) {
  std::string many = "x:1|c|#";
  for (int i = 0; i < 40; ++i) many.append("k").append(std::to_string(i)).append(":v,");
  Ingest(many);
  std::string long_value = "x:1|c|#k:";
  long_value.append(2000, 'v');
  Ingest(long_value);
  Ingest(std::string(300, 'n') + ":1|g");
  EXPECT_EQ(Errors("too_many_labels"), 1u);
  EXPECT_EQ(Errors("label_value_too_long"), 1u);
  EXPECT_EQ(Errors("name_too_long"), 1u);
  EXPECT_EQ(metrics_.SeriesCount(IngestSource::kStatsd), 0u);
}

TEST_F(StatsdIngest, AKindClashIsRefused) {
  Ingest("x:1|g\nx:a|s");
  EXPECT_EQ(Errors("type_conflict"), 1u);
  EXPECT_EQ(ValueOf(Emit(metrics_), "x"), 1);
}

TEST_F(StatsdIngest, TimestampsOrderCountersAndGauges) {
  const int64_t now_s = NowMs() / 1000;
  Ingest("g:5|g|T" + std::to_string(now_s) + "\ng:9|g|T" + std::to_string(now_s - 3600));
  Ingest("g:7|g|T" + std::to_string(now_s - 10));
  EXPECT_EQ(Errors("too_old"), 1u);
  EXPECT_EQ(Errors("out_of_order"), 1u);
  EXPECT_EQ(ValueOf(Emit(metrics_), "g"), 5);
}

TEST_F(StatsdIngest, CountsLinesAndMessages) {
  AppMetrics::Batch batch = metrics_.Begin(IngestSource::kStatsd);
  EXPECT_EQ(ingester_.IngestDatagram(batch, "a:1|c\r\n\nb:1|c\nbad\n"), 3u);
  EXPECT_EQ(ingester_.IngestDatagram(batch, ""), 0u);
}

TEST_F(StatsdIngest, OverflowingRatesAreRefusedNotStored) {
  Ingest("x:1e308|c|@0.0001\nt:1|ms|@1e-320");
  EXPECT_EQ(Errors("bad_value"), 2u);
  auto out = Emit(metrics_);
  for (const auto& [series, value] : out) EXPECT_TRUE(std::isfinite(value)) << series;
}

}  // namespace
}  // namespace perfwatch
