#include "ingest/push.h"

#include <gtest/gtest.h>

#include <cmath>
#include <string>

#include "push_test_util.h"

namespace perfwatch {
namespace {

using push_test::EmitPrefix;
using push_test::NowMs;

PushResult PushText(AppMetrics& m, std::string_view body) {
  AppMetrics::Batch batch = m.Begin(IngestSource::kPush);
  return IngestPromText(body, batch);
}

PushResult PushJson(AppMetrics& m, std::string_view body) {
  AppMetrics::Batch batch = m.Begin(IngestSource::kPush);
  return IngestJsonSamples(body, batch);
}

TEST(PushText, StoresCountersGaugesSummariesAndHistogramsByType) {
  AppMetrics m;
  PushResult r = PushText(m,
                          "# HELP shop_orders_total Orders placed.\n"
                          "# TYPE shop_orders_total counter\n"
                          "shop_orders_total{shop=\"a\"} 17\n"
                          "# TYPE shop_queue gauge\n"
                          "shop_queue 3.5\n"
                          "shop_untyped 9\n"
                          "# TYPE shop_rpc_seconds summary\n"
                          "shop_rpc_seconds{quantile=\"0.5\"} 0.25\n"
                          "shop_rpc_seconds_sum 12\n"
                          "shop_rpc_seconds_count 40\n"
                          "# TYPE shop_size_bytes histogram\n"
                          "shop_size_bytes_bucket{le=\"100\"} 2\n"
                          "shop_size_bytes_bucket{le=\"+Inf\"} 5\n"
                          "shop_size_bytes_sum 900\n"
                          "shop_size_bytes_count 5\n");
  EXPECT_EQ(r.accepted, 10u);
  EXPECT_EQ(r.rejected, 0u);
  EXPECT_TRUE(r.errors.empty());
  auto e = EmitPrefix(m, "shop_");
  EXPECT_EQ(e["shop_orders_total{shop=\"a\"}"], 17);
  EXPECT_EQ(e["shop_queue"], 3.5);
  EXPECT_EQ(e["shop_untyped"], 9);
  EXPECT_EQ(e["shop_rpc_seconds{quantile=\"0.5\"}"], 0.25);
  EXPECT_EQ(e["shop_rpc_seconds_count"], 40);
  EXPECT_EQ(e["shop_size_bytes_bucket{le=\"+Inf\"}"], 5);
  EXPECT_EQ(e["shop_size_bytes_sum"], 900);
  EXPECT_EQ(e.size(), 10u);
  EXPECT_EQ(m.AcceptedCount(IngestSource::kPush), 10u);
}

TEST(PushText, CountersAreAbsoluteAndAHitReusesTheSeries) {
  AppMetrics m;
  const std::string body = "# TYPE jobs_total counter\njobs_total{q=\"x\"} 5\n";
  PushText(m, body);
  PushText(m, "# TYPE jobs_total counter\njobs_total{q=\"x\"} 8\n");
  EXPECT_EQ(EmitPrefix(m, "jobs_")["jobs_total{q=\"x\"}"], 8);
  EXPECT_EQ(m.SeriesCount(IngestSource::kPush), 1u);
  // A counter cannot go negative; the refusal is counted and reported.
  PushResult r = PushText(m, "# TYPE jobs_total counter\njobs_total{q=\"x\"} -1\n");
  EXPECT_EQ(r.rejected, 1u);
  EXPECT_EQ(m.ErrorCount(IngestSource::kPush, "negative_counter"), 1u);
}

TEST(PushText, KeepsGoodLinesAndReportsBadOnesWithLineNumbers) {
  AppMetrics m;
  PushResult r = PushText(m, "ok_one 1\nbad{ 2\nok_two 3\nbad_value x\n");
  EXPECT_EQ(r.accepted, 2u);
  EXPECT_EQ(r.rejected, 2u);
  ASSERT_EQ(r.errors.size(), 2u);
  EXPECT_NE(r.errors[0].find("line 2"), std::string::npos) << r.errors[0];
  EXPECT_NE(r.errors[1].find("line 4"), std::string::npos) << r.errors[1];
  EXPECT_EQ(m.ErrorCount(IngestSource::kPush, "bad_labels"), 1u);
  EXPECT_EQ(m.ErrorCount(IngestSource::kPush, "bad_value"), 1u);
  EXPECT_EQ(EmitPrefix(m, "ok_").size(), 2u);
}

TEST(PushText, ReportsOnlyTheFirstTenErrors) {
  AppMetrics m;
  std::string body;
  for (int i = 0; i < 25; ++i) body += "bad line " + std::to_string(i) + "\n";
  PushResult r = PushText(m, body);
  EXPECT_EQ(r.rejected, 25u);
  EXPECT_EQ(r.errors.size(), kMaxPushErrors);
}

TEST(PushText, RefusesReservedLabelNames) {
  AppMetrics m;
  PushResult r = PushText(m, "m{__name__=\"x\"} 1\n");
  EXPECT_EQ(r.rejected, 1u);
  EXPECT_EQ(m.ErrorCount(IngestSource::kPush, "bad_labels"), 1u);
}

TEST(PushText, PassesTimestampsSoOldAndOutOfOrderSamplesAreRefused) {
  AppMetrics m;
  const TimestampMs now = NowMs();
  PushResult r =
      PushText(m, "t_g 1 " + std::to_string(now - 1000) + "\nt_g 2 " + std::to_string(now - 2000) +
                      "\nt_old 3 " + std::to_string(now - 3'600'000) + "\n");
  EXPECT_EQ(r.accepted, 1u);
  EXPECT_EQ(r.rejected, 2u);
  EXPECT_EQ(m.ErrorCount(IngestSource::kPush, "out_of_order"), 1u);
  EXPECT_EQ(m.ErrorCount(IngestSource::kPush, "too_old"), 1u);
  EXPECT_EQ(EmitPrefix(m, "t_g")["t_g"], 1);
}

TEST(PushText, DropsSamplesPastTheSeriesLimitAsLimited) {
  IngestLimits limits;
  limits.max_series = 2;
  AppMetrics m(limits);
  PushResult r = PushText(m, "a 1\nb 2\nc 3\nd 4\na 5\n");
  EXPECT_EQ(r.accepted, 3u);
  EXPECT_EQ(r.limited, 2u);
  EXPECT_EQ(r.rejected, 0u);
  EXPECT_EQ(m.ErrorCount(IngestSource::kPush, "series_limit"), 2u);
}

TEST(PushJson, StoresSamplesWithDefaultTypesAndTimestamps) {
  AppMetrics m;
  const TimestampMs now = NowMs();
  PushResult r = PushJson(m, R"([
    {"name": "j_jobs_total", "labels": {"queue": "a"}, "value": 12},
    {"name": "j_temperature", "value": 21.5, "timestamp": )" +
                                 std::to_string(now - 10) + R"(},
    {"name": "j_flag", "value": "NaN", "type": "gauge"},
    {"name": "j_seen", "value": 4, "type": "counter", "timestamp": "2999-01-01T00:00:00Z"}
  ])");
  EXPECT_EQ(r.accepted, 4u) << (r.errors.empty() ? "" : r.errors[0]);
  auto e = EmitPrefix(m, "j_");
  EXPECT_EQ(e["j_jobs_total{queue=\"a\"}"], 12);
  EXPECT_EQ(e["j_temperature"], 21.5);
  EXPECT_TRUE(std::isnan(e["j_flag"]));
  EXPECT_EQ(e["j_seen"], 4);
}

TEST(PushJson, ObservesSummaryAndHistogramValues) {
  AppMetrics m;
  PushResult r = PushJson(m, R"({"samples": [
    {"name": "o_request_milliseconds", "type": "summary", "values": [10, 20, 30]},
    {"name": "o_size_bytes", "type": "histogram", "values": [3, 700], "labels": {"k": "v"}}
  ]})");
  EXPECT_EQ(r.accepted, 5u);
  auto e = EmitPrefix(m, "o_");
  EXPECT_EQ(e["o_request_milliseconds_count"], 3);
  EXPECT_EQ(e["o_request_milliseconds_sum"], 60);
  EXPECT_EQ(e["o_size_bytes_count{k=\"v\"}"], 2);
  EXPECT_EQ(e["o_size_bytes_bucket{k=\"v\",le=\"5\"}"], 1);
}

struct JsonCase {
  std::string sample;
  std::string reason;
};

TEST(PushJson, RefusesEachMalformedSampleAndKeepsTheOthers) {
  const std::vector<JsonCase> cases = {
      {R"("just a string")", "bad_sample"},
      {R"({"value": 1})", "bad_name"},
      {R"({"name": 5, "value": 1})", "bad_name"},
      {R"({"name": "my.metric", "value": 1})", "bad_name"},
      {R"({"name": "m", "value": 1, "type": "meter"})", "bad_type"},
      {R"({"name": "m", "value": 1, "labels": ["a"]})", "bad_labels"},
      {R"({"name": "m", "value": 1, "labels": {"a": 1}})", "bad_labels"},
      {R"({"name": "m", "value": 1, "labels": {"1a": "x"}})", "bad_labels"},
      {R"({"name": "m", "value": 1, "labels": {"__x": "x"}})", "bad_labels"},
      {R"({"name": "m"})", "missing_value"},
      {R"({"name": "m", "value": "lots"})", "bad_value"},
      {R"({"name": "m", "value": true})", "bad_value"},
      {R"({"name": "m", "value": 1, "timestamp": "yesterday"})", "bad_timestamp"},
      {R"({"name": "m", "value": 1, "timestamp": 1.5})", "bad_timestamp"},
      {R"({"name": "m", "type": "summary", "values": 3})", "missing_value"},
      {R"({"name": "m", "type": "summary", "values": [1, "x"]})", "bad_value"},
  };
  for (const JsonCase& c : cases) {
    AppMetrics m;
    PushResult r = PushJson(m, "[{\"name\": \"g_before\", \"value\": 1}, " + c.sample +
                                   ", {\"name\": \"g_after\", \"value\": 2}]");
    EXPECT_EQ(r.accepted, 2u) << c.sample;
    EXPECT_EQ(r.rejected, 1u) << c.sample;
    EXPECT_FALSE(r.unreadable);
    ASSERT_EQ(r.errors.size(), 1u) << c.sample;
    EXPECT_TRUE(r.errors[0].starts_with("samples[1]: ")) << r.errors[0];
    EXPECT_EQ(m.ErrorCount(IngestSource::kPush, c.reason), 1u) << c.sample << " " << r.errors[0];
    EXPECT_EQ(EmitPrefix(m, "g_").size(), 2u);
  }
}

TEST(PushJson, AnUnreadableBodyIsRefusedWhole) {
  for (std::string_view body : {"", "[1, 2", "{\"x\": 1}", "42", "{\"samples\": 3}"}) {
    AppMetrics m;
    PushResult r = PushJson(m, body);
    EXPECT_TRUE(r.unreadable) << body;
    EXPECT_EQ(r.accepted, 0u);
    ASSERT_EQ(r.errors.size(), 1u);
    EXPECT_EQ(m.ErrorCount(IngestSource::kPush, "bad_json"), 1u) << body;
  }
}

TEST(PushJson, ASeriesLimitDropsEveryValueOfTheSample) {
  IngestLimits limits;
  limits.max_series = 1;
  AppMetrics m(limits);
  PushResult r = PushJson(m, R"([{"name": "l_a", "value": 1},
    {"name": "l_b", "type": "summary", "values": [1, 2, 3]}])");
  EXPECT_EQ(r.accepted, 1u);
  EXPECT_EQ(r.limited, 3u);
  EXPECT_EQ(m.ErrorCount(IngestSource::kPush, "series_limit"), 3u);
}

TEST(PushResultJson, WritesCountsAndErrors) {
  PushResult r;
  r.accepted = 3;
  r.rejected = 1;
  r.errors = {"line 2: \"bad\""};
  EXPECT_EQ(PushResultJson(r), R"({"accepted":3,"errors":["line 2: \"bad\""],"rejected":1})");
  r.limited = 4;
  EXPECT_NE(PushResultJson(r).find("\"limited\":4"), std::string::npos);
}

}  // namespace
}  // namespace perfwatch
