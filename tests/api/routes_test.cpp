#include "api/routes.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "api/exposition.h"
#include "api/json_render.h"
#include "fake_store.h"
#include "interchange/interchange.h"

namespace perfwatch {
namespace {

using apitest::FakeStore;
using nlohmann::json;

constexpr TimestampMs kNow = 1'700'000'000'000;

class RoutesTest : public ::testing::Test {
 protected:
  RoutesTest() : handler_(registry_, store_, Options(), [] { return kNow; }) {}

  static ApiOptions Options() {
    ApiOptions o;
    o.version = "1.2.3";
    return o;
  }

  std::shared_ptr<const Tick> MakeTick(TimestampMs t) {
    auto tick = std::make_shared<Tick>(registry_, t);
    tick->Describe({"system_cpu_usage_percent", MetricKind::kGauge, "CPU busy.", "percent"});
    tick->Describe({"net_received_bytes_total", MetricKind::kCounter, "Bytes in.", "bytes"});
    EXPECT_TRUE(tick->Append("system_cpu_usage_percent", {{"cpu", "0"}}, 10).ok());
    EXPECT_TRUE(tick->Append("system_cpu_usage_percent", {{"cpu", "1"}}, 20).ok());
    EXPECT_TRUE(tick->Append("system_memory_used_percent", {}, 55).ok());
    EXPECT_TRUE(tick->Append("net_received_bytes_total", {{"dev", "eth0"}}, 1e9).ok());
    return tick;
  }

  HttpResponse Get(const std::string& target) const {
    return handler_.Handle({"GET", target, "", ""});
  }

  static std::string Error(const HttpResponse& r) { return json::parse(r.body)["error"]; }

  // The body as a client receives it: `body`, or all the stream produces.
  static Result<std::string> Drain(HttpResponse& r) {
    if (!r.stream) return r.body;
    std::string all, piece;
    for (bool more = true; more;) {
      Result<bool> next = r.stream->Next(&piece);
      if (!next.ok()) return next.status();
      all += piece;
      more = *next;
    }
    return all;
  }

  SeriesRegistry registry_;
  FakeStore store_;
  ApiHandler handler_;
};

TEST_F(RoutesTest, HealthReportsStatusVersionUptimeAndLastTick) {
  HttpResponse r = Get("/api/v1/health");
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.content_type, "application/json");
  json doc = json::parse(r.body);
  EXPECT_EQ(doc["status"], "ok");
  EXPECT_EQ(doc["version"], "1.2.3");
  EXPECT_GE(doc["uptime_seconds"].get<int64_t>(), 0);
  EXPECT_TRUE(doc["last_tick_ms"].is_null());
  handler_.Publish(MakeTick(kNow - 500));
  EXPECT_EQ(json::parse(Get("/api/v1/health").body)["last_tick_ms"], kNow - 500);
}

TEST_F(RoutesTest, ApiIsAStaticIndexLinkingEveryRoute) {
  HttpResponse r = Get("/api");
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.content_type, "text/html; charset=utf-8");
  for (const char* route : {"/api/v1/health", "/api/v1/metrics", "/api/v1/metrics/history",
                            "/api/v1/export", "/api/v1/metadata", "/metrics", "/ws"}) {
    EXPECT_NE(r.body.find(route), std::string::npos) << route;
  }
  EXPECT_NE(r.Header("Content-Security-Policy").find("default-src 'none'"), std::string::npos);
}

TEST_F(RoutesTest, EveryResponseCarriesNosniffAndNoStore) {
  handler_.Publish(MakeTick(kNow));
  for (const char* target : {"/api/v1/health", "/api/v1/metrics", "/metrics", "/nope",
                             "/api/v1/metrics/history", "/api/v1/metadata"}) {
    HttpResponse r = Get(target);
    EXPECT_EQ(r.Header("X-Content-Type-Options"), "nosniff") << target;
    EXPECT_EQ(r.Header("Cache-Control"), "no-store") << target;
    EXPECT_EQ(r.Header("Access-Control-Allow-Origin"), "") << target;
  }
}

TEST_F(RoutesTest, MetricsIsUnavailableBeforeTheFirstTick) {
  HttpResponse r = Get("/api/v1/metrics");
  EXPECT_EQ(r.status, 503);
  EXPECT_EQ(Error(r), "no samples collected yet");
  EXPECT_EQ(Get("/metrics").status, 503);
}

TEST_F(RoutesTest, MetricsServesTheLatestTick) {
  handler_.Publish(MakeTick(kNow - 1000));
  std::shared_ptr<const Tick> latest = MakeTick(kNow);
  handler_.Publish(latest);
  HttpResponse r = Get("/api/v1/metrics");
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.body, RenderTickJson(*latest));
  json doc = json::parse(r.body);
  EXPECT_EQ(doc["time"], kNow);
  EXPECT_EQ(doc["samples"].size(), 4u);
}

TEST_F(RoutesTest, MetricsMatchFiltersByMetricNamePrefix) {
  handler_.Publish(MakeTick(kNow));
  json doc = json::parse(Get("/api/v1/metrics?match=system_cpu").body);
  ASSERT_EQ(doc["samples"].size(), 2u);
  EXPECT_EQ(doc["samples"][0]["metric"], "system_cpu_usage_percent");
  doc = json::parse(Get("/api/v1/metrics?match=system_cpu&match=net_").body);
  EXPECT_EQ(doc["samples"].size(), 3u);
  doc = json::parse(Get("/api/v1/metrics?match=nothing").body);
  EXPECT_EQ(doc["samples"].size(), 0u);
}

TEST_F(RoutesTest, LegacyCurrentIsTheSameAsV1Metrics) {
  handler_.Publish(MakeTick(kNow));
  EXPECT_EQ(Get("/api/metrics/current").body, Get("/api/v1/metrics").body);
  EXPECT_EQ(Get("/api/health").status, 200);
}

TEST_F(RoutesTest, ExpositionServesPrometheusTextOfTheLatestTick) {
  std::shared_ptr<const Tick> tick = MakeTick(kNow);
  handler_.Publish(tick);
  HttpResponse r = Get("/metrics");
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.content_type, "text/plain; version=0.0.4; charset=utf-8");
  EXPECT_EQ(r.body, RenderExposition(*tick));
}

TEST_F(RoutesTest, MetadataListsEveryMetricWithTypeHelpUnitAndSeriesCount) {
  handler_.Publish(MakeTick(kNow));
  json doc = json::parse(Get("/api/v1/metadata").body);
  ASSERT_EQ(doc["metrics"].size(), 3u);
  json cpu = doc["metrics"][1];
  EXPECT_EQ(cpu["name"], "system_cpu_usage_percent");
  EXPECT_EQ(cpu["type"], "gauge");
  EXPECT_EQ(cpu["help"], "CPU busy.");
  EXPECT_EQ(cpu["unit"], "percent");
  EXPECT_EQ(cpu["series"], 2);
  EXPECT_EQ(doc["metrics"][0]["type"], "counter");
  EXPECT_EQ(doc["metrics"][2]["name"], "system_memory_used_percent");
  EXPECT_EQ(doc["metrics"][2]["type"], "untyped");
}

TEST_F(RoutesTest, HistoryDefaultsToTheLastHourOfRawSamples) {
  handler_.Publish(MakeTick(kNow));
  store_.points = {{kNow - 2000, 1}, {kNow - 1000, std::nan("")}};
  HttpResponse r = Get("/api/v1/metrics/history?metric=system_cpu_usage_percent");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(store_.last_range.to_ms, kNow);
  EXPECT_EQ(store_.last_range.from_ms, kNow - 3'600'000);
  EXPECT_EQ(store_.last_range.step_ms, 0);
  EXPECT_EQ(store_.last_range.agg, Aggregation::kAvg);
  EXPECT_EQ(store_.last_ids.size(), 2u);
  json doc = json::parse(r.body);
  EXPECT_EQ(doc["metric"], "system_cpu_usage_percent");
  ASSERT_EQ(doc["series"].size(), 2u);
  EXPECT_EQ(doc["series"][1]["labels"]["cpu"], "1");
  EXPECT_EQ(doc["series"][0]["points"], json::parse("[[1699999998000,1],[1699999999000,null]]"));
}

TEST_F(RoutesTest, HistoryAcceptsFractionalHoursStepAndAggregation) {
  handler_.Publish(MakeTick(kNow));
  HttpResponse r =
      Get("/api/v1/metrics/history?metric=system_cpu_usage_percent&hours=0.5"
          "&step=15s&agg=max");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(store_.last_range.from_ms, kNow - 1'800'000);
  EXPECT_EQ(store_.last_range.step_ms, 15'000);
  EXPECT_EQ(store_.last_range.agg, Aggregation::kMax);
}

TEST_F(RoutesTest, HistoryAcceptsAnExplicitRange) {
  handler_.Publish(MakeTick(kNow));
  ASSERT_EQ(Get("/api/v1/metrics/history?metric=system_cpu_usage_percent&from=1000&to=61000"
                "&step=1m&agg=last")
                .status,
            200);
  EXPECT_EQ(store_.last_range.from_ms, 1000);
  EXPECT_EQ(store_.last_range.to_ms, 61000);
  EXPECT_EQ(store_.last_range.step_ms, 60'000);
  EXPECT_EQ(store_.last_range.agg, Aggregation::kLast);
}

TEST_F(RoutesTest, HistoryBucketsLongRangesWhenNoStepIsGiven) {
  handler_.Publish(MakeTick(kNow));
  ASSERT_EQ(Get("/api/v1/metrics/history?metric=system_cpu_usage_percent&hours=24").status, 200);
  EXPECT_EQ(store_.last_range.step_ms, 120'000);  // 24 h / 720 points
}

TEST_F(RoutesTest, HistorySelectorMayUseLabelMatchersAndNameRegex) {
  handler_.Publish(MakeTick(kNow));
  ASSERT_EQ(Get("/api/v1/metrics/history?metric="
                "system_cpu_usage_percent%7Bcpu%3D%221%22%7D")
                .status,
            200);
  EXPECT_EQ(store_.last_ids.size(), 1u);
  ASSERT_EQ(Get("/api/v1/metrics/history?metric=%7B__name__%3D~%22system_.*%22%7D").status, 200);
  EXPECT_EQ(store_.last_ids.size(), 3u);
}

TEST_F(RoutesTest, HistoryBatchAnswersEverySelectorWithItsOwnAggregation) {
  handler_.Publish(MakeTick(kNow));
  store_.points = {{kNow - 60'000, 5}};
  HttpResponse r =
      Get("/api/v1/metrics/history/batch?metric=system_cpu_usage_percent%7Bcpu%3D%220%22%7D"
          "&metric=net_received_bytes_total&agg=avg&agg=last&hours=24&step=1h");
  ASSERT_EQ(r.status, 200) << r.body;
  json doc = json::parse(r.body);
  EXPECT_EQ(doc["from"], kNow - 86'400'000);
  EXPECT_EQ(doc["step"], 3'600'000);
  ASSERT_EQ(doc["results"].size(), 2u);
  EXPECT_EQ(doc["results"][0]["metric"], "system_cpu_usage_percent{cpu=\"0\"}");
  EXPECT_EQ(doc["results"][0]["agg"], "avg");
  ASSERT_EQ(doc["results"][0]["series"].size(), 1u);
  EXPECT_EQ(doc["results"][0]["series"][0]["labels"]["cpu"], "0");
  EXPECT_EQ(doc["results"][1]["agg"], "last");
  EXPECT_EQ(doc["results"][1]["series"][0]["metric"], "net_received_bytes_total");
  EXPECT_EQ(doc["results"][1]["series"][0]["points"], json::parse("[[1699999940000,5]]"));
  EXPECT_EQ(store_.last_range.agg, Aggregation::kLast);
  // One agg applies to every selector.
  ASSERT_EQ(Get("/api/v1/metrics/history/batch?metric=system_memory_used_percent"
                "&metric=net_received_bytes_total&agg=max&step=1m")
                .status,
            200);
  EXPECT_EQ(store_.last_range.agg, Aggregation::kMax);
}

TEST_F(RoutesTest, HistoryBatchErrorsNameTheSelectorOrParameter) {
  handler_.Publish(MakeTick(kNow));
  EXPECT_EQ(Error(Get("/api/v1/metrics/history/batch?hours=1")),
            "missing required parameter 'metric'");
  HttpResponse bad = Get("/api/v1/metrics/history/batch?metric=system_load1&metric=a%7Bb%3D");
  EXPECT_EQ(bad.status, 400);
  EXPECT_NE(Error(bad).find("metric #2: invalid parameter 'metric'"), std::string::npos)
      << bad.body;
  HttpResponse aggs =
      Get("/api/v1/metrics/history/batch?metric=a&metric=b&metric=c&agg=avg&agg=max");
  EXPECT_EQ(aggs.status, 400);
  EXPECT_NE(Error(aggs).find("once per 'metric' (3), not 2 times"), std::string::npos);
  HttpResponse agg = Get("/api/v1/metrics/history/batch?metric=a&metric=b&agg=avg&agg=median");
  EXPECT_EQ(agg.status, 400);
  EXPECT_NE(Error(agg).find("agg #2"), std::string::npos) << agg.body;
  std::string many = "/api/v1/metrics/history/batch?";
  for (int i = 0; i < 65; ++i) many += "metric=m" + std::to_string(i) + "&";
  HttpResponse tooMany = Get(many);
  EXPECT_EQ(tooMany.status, 400);
  EXPECT_NE(Error(tooMany).find("at most 64"), std::string::npos);
}

TEST_F(RoutesTest, HistoryRequiresMetric) {
  HttpResponse r = Get("/api/v1/metrics/history?hours=1");
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(Error(r), "missing required parameter 'metric'");
}

TEST_F(RoutesTest, HistoryPassesSelectorErrorsThroughWithTheOffset) {
  HttpResponse r = Get("/api/v1/metrics/history?metric=cpu%7Bmode%3D");
  EXPECT_EQ(r.status, 400);
  EXPECT_NE(Error(r).find("'metric'"), std::string::npos) << Error(r);
  EXPECT_NE(Error(r).find("at offset"), std::string::npos) << Error(r);
}

TEST_F(RoutesTest, HistoryRejectsBadParametersNamingEach) {
  const std::string base = "/api/v1/metrics/history?metric=system_cpu_usage_percent&";
  struct Case {
    std::string query;
    std::string named;
  };
  for (const Case& c : std::vector<Case>{
           {"step=fast", "'step'"},
           {"step=0s", "'step'"},
           {"agg=median", "'agg'"},
           {"hours=abc", "'hours'"},
           {"hours=-1", "'hours'"},
           {"hours=0", "'hours'"},
           {"hours=1e9", "'hours'"},
           {"hours=nan", "'hours'"},
           {"from=yesterday", "'from'"},
           {"to=12.5", "'to'"},
           {"from=-5", "'from'"},
           {"from=5000&to=1000", "'from'"},
           {"from=1000&hours=1", "'hours'"},
       }) {
    HttpResponse r = Get(base + c.query);
    EXPECT_EQ(r.status, 400) << c.query;
    EXPECT_NE(Error(r).find(c.named), std::string::npos) << c.query << ": " << Error(r);
  }
  EXPECT_EQ(store_.queries, 0);
}

TEST_F(RoutesTest, HistoryMapsStoreLimitsTo422AndFailuresTo500) {
  handler_.Publish(MakeTick(kNow));
  const std::string target = "/api/v1/metrics/history?metric=system_cpu_usage_percent";
  store_.error = Status::ResourceExhausted("query would return 50000 points; use step=1m");
  HttpResponse r = Get(target);
  EXPECT_EQ(r.status, 422);
  EXPECT_EQ(Error(r), "query would return 50000 points; use step=1m");
  store_.error = Status::Internal("chunk decode failed");
  EXPECT_EQ(Get(target).status, 500);
}

TEST_F(RoutesTest, HistoryOfAnUnknownMetricIsEmpty) {
  HttpResponse r = Get("/api/v1/metrics/history?metric=no_such_metric");
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(json::parse(r.body)["series"], json::array());
}

TEST_F(RoutesTest, LegacyHistoryDefaultsToCpuAndMemory) {
  handler_.Publish(MakeTick(kNow));
  HttpResponse r = Get("/api/metrics/history?hours=6");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(json::parse(r.body)["metric"], std::string(kLegacyHistorySelector));
  EXPECT_EQ(store_.last_ids.size(), 3u);  // two cpu series and memory
  EXPECT_EQ(store_.last_range.from_ms, kNow - 6 * 3'600'000);
  ASSERT_EQ(Get("/api/metrics/history?metric=system_memory_used_percent").status, 200);
  EXPECT_EQ(store_.last_ids.size(), 1u);
}

TEST_F(RoutesTest, ExportStreamsRawSamplesOfTheSelectionAsAnAttachment) {
  handler_.Publish(MakeTick(kNow));
  store_.points = {{1000, 1.5}, {2000, std::nan("")}, {9000, 3}};
  HttpResponse r =
      Get("/api/v1/export?metric=system_cpu_usage_percent%7Bcpu%3D%221%22%7D&from=1000&to=2000"
          "&format=csv");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.content_type, "text/csv; charset=utf-8; header=present");
  EXPECT_EQ(r.Header("Content-Disposition"), "attachment; filename=\"perfwatch-export.csv\"");
  EXPECT_EQ(r.Header("X-Content-Type-Options"), "nosniff");
  ASSERT_NE(r.stream, nullptr);
  // Nothing is read before the server pulls the first piece.
  EXPECT_EQ(store_.queries, 0);
  Result<std::string> body = Drain(r);
  ASSERT_TRUE(body.ok()) << body.status().ToString();
  EXPECT_EQ(*body,
            "metric,labels,timestamp_ms,value\n"
            "system_cpu_usage_percent,\"{cpu=\"\"1\"\"}\",1000,1.5\n"
            "system_cpu_usage_percent,\"{cpu=\"\"1\"\"}\",2000,NaN\n");
  EXPECT_EQ(store_.last_range.step_ms, 0);
}

TEST_F(RoutesTest, ExportDefaultsToJsonOverTheLastHour) {
  handler_.Publish(MakeTick(kNow));
  store_.points = {{kNow - 3'600'001, 1}, {kNow - 3'600'000, 2}, {kNow, 3}};
  HttpResponse r = Get("/api/v1/export?metric=system_memory_used_percent");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.content_type, "application/json");
  EXPECT_EQ(r.Header("Content-Disposition"), "attachment; filename=\"perfwatch-export.json\"");
  Result<std::string> body = Drain(r);
  ASSERT_TRUE(body.ok()) << body.status().ToString();
  json doc = json::parse(*body);
  ASSERT_EQ(doc["series"].size(), 1u);
  EXPECT_EQ(doc["series"][0]["metric"], "system_memory_used_percent");
  EXPECT_EQ(doc["series"][0]["points"], json::parse("[[1699996400000,2],[1700000000000,3]]"));
  EXPECT_EQ(store_.last_range.to_ms, kNow);
}

TEST_F(RoutesTest, ExportNamesEachFormatsContentTypeAndFileExtension) {
  handler_.Publish(MakeTick(kNow));
  for (auto [name, ext] : {std::pair{"json", "json"}, {"csv", "csv"}, {"openmetrics", "om"}}) {
    HttpResponse r = Get(std::string("/api/v1/export?metric=system_load1&format=") + name);
    ASSERT_EQ(r.status, 200) << name << ": " << r.body;
    EXPECT_EQ(r.content_type, ContentType(*ParseHistoryFormat(name))) << name;
    EXPECT_EQ(r.Header("Content-Disposition"),
              std::string("attachment; filename=\"perfwatch-export.") + ext + "\"");
  }
}

TEST_F(RoutesTest, ExportRejectsBadParametersNamingEachBeforeAnyBody) {
  struct Case {
    std::string query;
    std::string named;
  };
  for (const Case& c : std::vector<Case>{
           {"hours=1", "missing required parameter 'metric'"},
           {"metric=cpu%7Bmode%3D", "'metric'"},
           {"metric=up&format=xml", "invalid parameter 'format': unknown format \"xml\""},
           {"metric=up&from=5000&to=1000", "'from' (5000) is after 'to' (1000)"},
           {"metric=up&from=yesterday", "'from'"},
           {"metric=up&to=-1", "'to'"},
           {"metric=up&hours=0", "'hours'"},
           {"metric=up&from=1000&hours=1", "'hours'"},
           {"metric=up&step=1m", "'step'"},
           {"metric=up&agg=max", "'agg'"},
       }) {
    HttpResponse r = Get("/api/v1/export?" + c.query);
    EXPECT_EQ(r.status, 400) << c.query;
    EXPECT_EQ(r.stream, nullptr) << c.query;
    EXPECT_NE(Error(r).find(c.named), std::string::npos) << c.query << ": " << Error(r);
  }
  EXPECT_EQ(store_.queries, 0);
}

TEST_F(RoutesTest, ExportReportsAStoreFailureFromTheStream) {
  handler_.Publish(MakeTick(kNow));
  store_.error = Status::IOError("block 7 is unreadable");
  HttpResponse r = Get("/api/v1/export?metric=system_memory_used_percent");
  ASSERT_EQ(r.status, 200);
  Result<std::string> body = Drain(r);
  ASSERT_FALSE(body.ok());
  EXPECT_EQ(body.status().message(), "block 7 is unreadable");
}

TEST_F(RoutesTest, SeedExportAliasDefaultsToCpuAndMemory) {
  handler_.Publish(MakeTick(kNow));
  store_.points = {{kNow - 1000, 7}};
  HttpResponse r = Get("/metrics/export?format=openmetrics&hours=2");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.Header("Content-Disposition"), "attachment; filename=\"perfwatch-export.om\"");
  Result<std::string> body = Drain(r);
  ASSERT_TRUE(body.ok()) << body.status().ToString();
  EXPECT_NE(body->find("system_cpu_usage_percent{cpu=\"1\"} 7 1699999999"), std::string::npos)
      << *body;
  EXPECT_NE(body->find("system_memory_used_percent 7 1699999999"), std::string::npos) << *body;
  EXPECT_EQ(body->find("net_received"), std::string::npos) << *body;
  EXPECT_TRUE(body->ends_with("# EOF\n")) << *body;
  HttpResponse one = Get("/metrics/export?metric=net_received_bytes_total&format=csv");
  ASSERT_EQ(one.status, 200);
  EXPECT_NE(Drain(one)->find("net_received_bytes_total"), std::string::npos);
}

TEST_F(RoutesTest, UnknownRoutesAre404Json) {
  HttpResponse r = Get("/api/v2/everything");
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(r.content_type, "application/json");
  EXPECT_EQ(Error(r), "no route for /api/v2/everything");
}

TEST_F(RoutesTest, WrongMethodsAre405WithAllow) {
  HttpResponse r = handler_.Handle({"POST", "/api/v1/health", "{}", ""});
  EXPECT_EQ(r.status, 405);
  EXPECT_EQ(r.Header("Allow"), "GET, HEAD");
  EXPECT_NE(Error(r).find("POST"), std::string::npos);
  EXPECT_EQ(handler_.Handle({"DELETE", "/metrics", "", ""}).status, 405);
  EXPECT_EQ(handler_.Handle({"HEAD", "/api/v1/health", "", ""}).status, 200);
}

TEST_F(RoutesTest, WebSocketPathWithoutUpgradeIs426) {
  HttpResponse r = Get("/ws");
  EXPECT_EQ(r.status, 426);
  EXPECT_EQ(r.Header("Upgrade"), "websocket");
}

TEST_F(RoutesTest, MalformedTargetsAre400) {
  HttpResponse r = Get("/api/v1/metrics?match=%zz");
  EXPECT_EQ(r.status, 400);
  EXPECT_NE(Error(r).find("'match'"), std::string::npos) << Error(r);
}

TEST_F(RoutesTest, ErrorMessagesAreValidJsonWhateverTheyContain) {
  HttpResponse r = Get("/quote\"back\\slash");
  EXPECT_EQ(Error(r), "no route for /quote\"back\\slash");
}

TEST(ApiHandlerAuth, AllowsEveryRequestWhenNoTokenIsConfigured) {
  SeriesRegistry registry;
  FakeStore store;
  ApiHandler handler(registry, store, ApiOptions{});
  EXPECT_TRUE(handler.Authorized({"POST", "/x", "", ""}));
}

TEST(ApiHandlerAuth, RequiresTheConfiguredBearerToken) {
  SeriesRegistry registry;
  FakeStore store;
  ApiOptions options;
  options.token = "s3cret";
  ApiHandler handler(registry, store, options);
  EXPECT_TRUE(handler.Authorized({"POST", "/x", "", "Bearer s3cret"}));
  EXPECT_FALSE(handler.Authorized({"POST", "/x", "", ""}));
  EXPECT_FALSE(handler.Authorized({"POST", "/x", "", "Bearer s3cre"}));
  HttpResponse r = ApiHandler::Unauthorized();
  EXPECT_EQ(r.status, 401);
  EXPECT_EQ(r.Header("WWW-Authenticate"), "Bearer");
}

TEST(HttpStatusOf, MapsStatusCodesToHttp) {
  EXPECT_EQ(HttpStatusOf(Status::InvalidArgument("x")), 400);
  EXPECT_EQ(HttpStatusOf(Status::NotFound("x")), 404);
  EXPECT_EQ(HttpStatusOf(Status::ResourceExhausted("x")), 422);
  EXPECT_EQ(HttpStatusOf(Status::Unavailable("x")), 503);
  EXPECT_EQ(HttpStatusOf(Status::Internal("x")), 500);
  EXPECT_EQ(HttpStatusOf(Status::IOError("x")), 500);
}

}  // namespace
}  // namespace perfwatch
