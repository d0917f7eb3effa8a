// The expression, status and alert routes as pure functions: a real
// MemStore, WindowCache and AlertEngine (no database) behind an ApiHandler.

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "alert/engine.h"
#include "api/routes.h"
#include "query/window_cache.h"
#include "store/mem_store.h"

namespace perfwatch {
namespace {

using nlohmann::json;

constexpr TimestampMs kStart = 1'700'000'000'000;

class AlertRoutesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    Result<std::unique_ptr<AlertEngine>> opened = AlertEngine::Open({}, window_, nullptr, nullptr);
    ASSERT_TRUE(opened.ok()) << opened.status().message();
    engine_ = std::move(*opened);
    RuleSpec hot;
    hot.name = "HotDisk";
    hot.expr = "disk_temp_celsius > 60";
    hot.severity = "critical";
    hot.annotations = {{"summary", "{{ $labels.disk }} at {{ $value }}C"}};
    ASSERT_TRUE(engine_->SetRules({hot}).ok());
    window_.SetRangeNeeds(engine_->RangeNeeds().needs);
    ApiOptions o;
    o.alerts = engine_.get();
    o.token = "s3cret";
    o.status_json = [] { return std::string(R"({"status":"Good","score":80})"); };
    handler_ = std::make_unique<ApiHandler>(registry_, store_, o, [this] { return now_; });
    // 60 ticks at 1 s: sda heats from 30 to 89, sdb stays at 40.
    for (int i = 0; i < 60; ++i) Tick(30 + i, 40);
  }

  void Tick(double sda, double sdb) {
    now_ = kStart + ticks_++ * 1000;
    perfwatch::Tick tick(registry_, now_);
    ASSERT_TRUE(tick.Append("disk_temp_celsius", {{"disk", "sda"}}, sda).ok());
    ASSERT_TRUE(tick.Append("disk_temp_celsius", {{"disk", "sdb"}}, sdb).ok());
    ASSERT_TRUE(store_.Commit(tick).ok());
    window_.Observe(tick);
    engine_->Evaluate(now_);
  }

  HttpResponse Call(const std::string& method, const std::string& target,
                    const std::string& body = "", const std::string& auth = "") {
    return handler_->Handle({method, target, body, auth});
  }
  json Json(const HttpResponse& r) { return json::parse(r.body); }

  SeriesRegistry registry_;
  MemStore store_;
  WindowCache window_{registry_, 0};
  std::unique_ptr<AlertEngine> engine_;
  std::unique_ptr<ApiHandler> handler_;
  TimestampMs now_ = kStart;
  int ticks_ = 0;
};

TEST_F(AlertRoutesTest, InstantQueryAnswersInPrometheusShape) {
  HttpResponse r = Call("GET", "/api/v1/query?expr=max_over_time(disk_temp_celsius[10s])");
  ASSERT_EQ(r.status, 200) << r.body;
  json j = Json(r);
  EXPECT_EQ(j["status"], "success");
  EXPECT_EQ(j["data"]["resultType"], "vector");
  ASSERT_EQ(j["data"]["result"].size(), 2u);
  EXPECT_EQ(j["data"]["result"][0]["metric"]["disk"], "sda");
  EXPECT_EQ(j["data"]["result"][0]["value"][1], "89");
  EXPECT_EQ(j["data"]["result"][0]["metric"].count("__name__"), 0u) << "functions drop the name";
  // Prometheus's parameter name, a time in Unix seconds, and a scalar.
  r = Call("GET", "/api/v1/query?query=disk_temp_celsius{disk=\"sda\"}&time=" +
                      std::to_string((kStart + 10'000) / 1000));
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(Json(r)["data"]["result"][0]["value"][1], "40");
  EXPECT_EQ(Json(r)["data"]["result"][0]["metric"]["__name__"], "disk_temp_celsius");
  r = Call("POST", "/api/v1/query", "expr=1%2B2");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(Json(r)["data"]["resultType"], "scalar");
  EXPECT_EQ(Json(r)["data"]["result"][1], "3");
}

TEST_F(AlertRoutesTest, BadExpressionsSayWhereAndWhat) {
  HttpResponse r = Call("GET", "/api/v1/query?expr=rate(disk_temp_celsius[5m]");
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(Json(r)["errorType"], "bad_data");
  EXPECT_NE(Json(r)["error"].get<std::string>().find("column"), std::string::npos) << r.body;
  EXPECT_EQ(Call("GET", "/api/v1/query").status, 400);
  EXPECT_EQ(Call("GET", "/api/v1/query?expr=1&time=yesterday").status, 400);
  EXPECT_EQ(Call("DELETE", "/api/v1/query?expr=1").status, 405);
}

TEST_F(AlertRoutesTest, RangeQueryReturnsAMatrixAndBoundsItsSize) {
  std::string base = "/api/v1/query_range?expr=disk_temp_celsius{disk=\"sda\"}";
  HttpResponse r = Call("GET", base + "&start=" + std::to_string(kStart / 1000) +
                                   "&end=" + std::to_string(kStart / 1000 + 20) + "&step=10s");
  ASSERT_EQ(r.status, 200) << r.body;
  json j = Json(r);
  EXPECT_EQ(j["data"]["resultType"], "matrix");
  ASSERT_EQ(j["data"]["result"][0]["values"].size(), 3u);
  EXPECT_EQ(j["data"]["result"][0]["values"][2][1], "50");
  r = Call("GET", base + "&start=0&end=100000000&step=1");
  EXPECT_EQ(r.status, 400);
  EXPECT_NE(r.body.find("raise 'step'"), std::string::npos);
}

TEST_F(AlertRoutesTest, AlertsAcknowledgeAndHistory) {
  HttpResponse r = Call("GET", "/api/v1/alerts");
  ASSERT_EQ(r.status, 200);
  json alerts = Json(r)["data"]["alerts"];
  ASSERT_EQ(alerts.size(), 1u) << r.body;
  EXPECT_EQ(alerts[0]["labels"]["alertname"], "HotDisk");
  EXPECT_EQ(alerts[0]["labels"]["disk"], "sda");
  EXPECT_EQ(alerts[0]["state"], "firing");
  EXPECT_EQ(alerts[0]["annotations"]["summary"], "sda at 89C");
  std::string id = alerts[0]["id"];

  std::string ack = "/api/v1/alerts/" + id + "/acknowledge";
  EXPECT_EQ(Call("POST", ack, R"({"by":"ana"})").status, 401) << "write routes need the token";
  r = Call("POST", ack, R"({"comment":"no by"})", "Bearer s3cret");
  EXPECT_EQ(r.status, 400) << r.body;
  r = Call("POST", "/api/v1/alerts/ffffffffffffffff/acknowledge", R"({"by":"ana"})",
           "Bearer s3cret");
  EXPECT_EQ(r.status, 404);
  r = Call("POST", ack, R"({"by":"ana","comment":"fan replaced"})", "Bearer s3cret");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(Json(r)["acknowledged"], true);
  EXPECT_EQ(Json(r)["ack"]["by"], "ana");
  EXPECT_EQ(Call("GET", ack).status, 405);

  for (int i = 0; i < 3; ++i) Tick(45, 40);  // cooled down: resolves
  r = Call("GET", "/api/v1/alerts/history?hours=1");
  ASSERT_EQ(r.status, 200);
  std::string history = r.body;
  EXPECT_NE(history.find("\"acknowledged\""), std::string::npos) << history;
  EXPECT_NE(history.find("fan replaced"), std::string::npos);
  EXPECT_NE(history.find("\"resolved\""), std::string::npos);
  EXPECT_EQ(Call("GET", "/api/v1/alerts/history?hours=-1").status, 400);
  EXPECT_EQ(Call("GET", "/api/v1/alerts/history?limit=0").status, 400);
}

TEST_F(AlertRoutesTest, SilencesMuteAndExpire) {
  std::string body = R"({"matchers":[{"name":"disk","value":"sd[a-z]","isRegex":true}],
      "startsAt":"2023-11-14T22:13:20Z","endsAt":"2099-01-01T00:00:00Z",
      "createdBy":"ops","comment":"maintenance"})";
  EXPECT_EQ(Call("POST", "/api/v1/silences", body).status, 401);
  HttpResponse r = Call("POST", "/api/v1/silences", body, "Bearer s3cret");
  ASSERT_EQ(r.status, 200) << r.body;
  std::string id = Json(r)["silenceID"];
  r = Call("POST", "/api/v1/silences", R"({"matchers":[]})", "Bearer s3cret");
  EXPECT_EQ(r.status, 400) << r.body;
  r = Call("GET", "/api/v1/silences");
  ASSERT_EQ(r.status, 200);
  ASSERT_EQ(Json(r).size(), 1u) << r.body;
  EXPECT_EQ(Json(r)[0]["status"]["state"], "active");
  Tick(90, 40);
  EXPECT_EQ(Json(Call("GET", "/api/v1/alerts"))["data"]["alerts"][0]["silenced"], true);
  EXPECT_EQ(Call("DELETE", "/api/v1/silences/" + id, "", "Bearer s3cret").status, 200);
  EXPECT_EQ(Call("DELETE", "/api/v1/silences/nope", "", "Bearer s3cret").status, 404);
  EXPECT_EQ(Json(Call("GET", "/api/v1/silences"))[0]["status"]["state"], "expired");
}

TEST_F(AlertRoutesTest, RulesShowTheirLastEvaluation) {
  HttpResponse r = Call("GET", "/api/v1/rules");
  ASSERT_EQ(r.status, 200);
  json rule = Json(r)["data"]["groups"][0]["rules"][0];
  EXPECT_EQ(rule["name"], "HotDisk");
  EXPECT_EQ(rule["query"], "disk_temp_celsius > 60");
  EXPECT_EQ(rule["health"], "ok");
  EXPECT_EQ(rule["state"], "firing");
  EXPECT_GE(rule["evaluationTime"].get<double>(), 0);
  EXPECT_TRUE(rule.contains("lastEvaluation"));
}

TEST_F(AlertRoutesTest, StatusAndUnwiredRoutes) {
  HttpResponse r = Call("GET", "/api/v1/status");
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(Json(r)["status"], "Good");
  EXPECT_EQ(Call("GET", "/api/v1/analysis").status, 503) << "no analysis wired in this handler";
  ApiHandler bare(registry_, store_, ApiOptions{});
  EXPECT_EQ(bare.Handle({"GET", "/api/v1/alerts", "", ""}).status, 503);
  EXPECT_EQ(bare.Handle({"GET", "/api/v1/status", "", ""}).status, 503);
}

}  // namespace
}  // namespace perfwatch
