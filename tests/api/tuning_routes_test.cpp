// The tuning routes as pure functions: a real Tuning (SQLite file in a
// scratch directory, actuator thread, engine over a WindowCache) behind an
// ApiHandler. Audit rows are written through a second TuningDb connection
// on the same file, as the engine writes them.

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "api/routes.h"
#include "model/tick.h"
#include "query/window_cache.h"
#include "store/mem_store.h"
#include "tune/tuning.h"

namespace perfwatch {
namespace {

using nlohmann::json;

constexpr TimestampMs kNow = 1'714'564'800'000;  // 2024-05-01T12:00:00Z
constexpr const char* kAuth = "Bearer s3cret";

class TuningRoutesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::path(::testing::TempDir()) /
           ("tuning_routes_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    TuningSetup setup;
    setup.db_path = (dir_ / "perfwatch.db").string();
    setup.options.dry_run = true;
    TuningRuleSpec rule;
    rule.name = "ShrinkCache";
    rule.expr = "shop_memory_percent > 85";
    rule.for_ms = 10'000;
    rule.cooldown_ms = 300'000;
    rule.source = "perfwatch.yaml:3";
    TuningAction scale;
    scale.kind = TuningAction::Kind::kScale;
    scale.factor = 0.7;
    scale.tunable = "shop/cache.size";
    rule.actions = {scale};
    setup.rules = {rule};
    Result<std::unique_ptr<Tuning>> tuning = Tuning::Open(std::move(setup), window_, nullptr);
    ASSERT_TRUE(tuning.ok()) << tuning.status().message();
    tuning_ = std::move(*tuning);
    handler_ = MakeHandler(tuning_.get());
  }

  void TearDown() override {
    handler_.reset();
    tuning_.reset();
    std::filesystem::remove_all(dir_);
  }

  std::unique_ptr<ApiHandler> MakeHandler(Tuning* tuning) {
    ApiOptions o;
    o.tuning = tuning;
    o.token = "s3cret";
    return std::make_unique<ApiHandler>(registry_, store_, o, [] { return kNow; });
  }

  HttpResponse Call(const std::string& method, const std::string& target,
                    const std::string& body = "", const std::string& auth = kAuth) {
    HttpRequest request;
    request.method = method;
    request.target = target;
    request.body = body;
    request.authorization = auth;
    request.content_type = "application/json";
    return handler_->Handle(request);
  }

  // Audit rows as the engine writes them, through a connection of their own.
  void InsertRecords() {
    TuningDbOptions options;
    options.path = (dir_ / "perfwatch.db").string();
    Result<std::unique_ptr<TuningDb>> db = TuningDb::Open(options);
    ASSERT_TRUE(db.ok()) << db.status().message();
    struct Row {
      TimestampMs t_ms;
      const char* rule;
      const char* app;
    };
    const Row rows[] = {{kNow - 3'600'000, "ShrinkCache", "shop"},
                        {kNow - 120'000, "RaiseTtl", "shop"},
                        {kNow - 60'000, "ShrinkCache", "cart"},
                        {kNow - 1000, "ShrinkCache", "shop"}};
    for (const Row& row : rows) {
      TuningRecord r;
      r.t_ms = row.t_ms;
      r.rule = row.rule;
      r.app = row.app;
      r.action = "scale";
      r.description = "scale 0.7 " + std::string(row.app) + "/cache.size";
      r.tunable = "cache.size";
      r.before = 1000;
      r.after = 700;
      r.outcome = "applied";
      r.verdict = "pending";
      ASSERT_TRUE((*db)->Insert(r).ok());
    }
  }

  std::filesystem::path dir_;
  SeriesRegistry registry_;
  MemStore store_;
  WindowCache window_{registry_, 0};
  std::unique_ptr<Tuning> tuning_;
  std::unique_ptr<ApiHandler> handler_;
};

constexpr const char* kCacheSize =
    R"({"app":"shop","name":"cache.size","value":1000,"min":100,"max":5000,"step":1,
        "unit":"items","webhook":"http://127.0.0.1:9096/tune","hooks":["cache_warmup"]})";

TEST_F(TuningRoutesTest, RegistersOneTunableAndAnswersItStored) {
  HttpResponse r = Call("POST", "/api/v1/tunables", kCacheSize);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.content_type, "application/json");
  json j = json::parse(r.body);
  EXPECT_EQ(j["status"], "success");
  ASSERT_EQ(j["data"].size(), 1u);
  const json& t = j["data"][0];
  EXPECT_EQ(t["app"], "shop");
  EXPECT_EQ(t["name"], "cache.size");
  EXPECT_EQ(t["kind"], "number");
  EXPECT_EQ(t["value"], 1000);
  EXPECT_EQ(t["min"], 100);
  EXPECT_EQ(t["max"], 5000);
  EXPECT_EQ(t["webhook"], "http://127.0.0.1:9096/tune");
  EXPECT_EQ(t["hooks"], json({"cache_warmup"}));
  EXPECT_EQ(t["registered"], "2024-05-01T12:00:00.000Z");
  // What was stored is what GET lists.
  r = Call("GET", "/api/v1/tunables", "", "");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(json::parse(r.body)["data"], j["data"]);
}

TEST_F(TuningRoutesTest, RegistersAnArrayAndListsByApp) {
  HttpResponse r = Call("POST", "/api/v1/tunables", R"([
      {"app":"shop","name":"async.enabled","value":false,"webhook":"http://127.0.0.1:9096/t"},
      {"app":"cart","name":"pool.size","value":8,"min":1,"max":64}])");
  ASSERT_EQ(r.status, 200) << r.body;
  json j = json::parse(r.body);
  ASSERT_EQ(j["data"].size(), 2u);
  EXPECT_EQ(j["data"][0]["kind"], "bool");
  EXPECT_EQ(j["data"][0]["value"], false);
  EXPECT_EQ(j["data"][1]["value"], 8);
  ASSERT_EQ(Call("POST", "/api/v1/tunables", kCacheSize).status, 200);

  j = json::parse(Call("GET", "/api/v1/tunables").body);
  ASSERT_EQ(j["data"].size(), 3u);  // sorted by app, then name
  EXPECT_EQ(j["data"][0]["app"], "cart");
  EXPECT_EQ(j["data"][1]["name"], "async.enabled");
  EXPECT_EQ(j["data"][2]["name"], "cache.size");
  j = json::parse(Call("GET", "/api/v1/tunables?app=shop").body);
  ASSERT_EQ(j["data"].size(), 2u);
  EXPECT_EQ(j["data"][0]["app"], "shop");
  EXPECT_EQ(j["data"][1]["app"], "shop");
  j = json::parse(Call("GET", "/api/v1/tunables?app=nobody").body);
  EXPECT_TRUE(j["data"].empty());
}

TEST_F(TuningRoutesTest, ReRegistrationIsIdempotentAndKeepsOneTunable) {
  ASSERT_EQ(Call("POST", "/api/v1/tunables", kCacheSize).status, 200);
  ASSERT_EQ(Call("POST", "/api/v1/tunables", kCacheSize).status, 200);
  json j = json::parse(Call("GET", "/api/v1/tunables?app=shop").body);
  ASSERT_EQ(j["data"].size(), 1u);
}

TEST_F(TuningRoutesTest, BadBodiesAre400NamingTheField) {
  struct Case {
    const char* body;
    const char* expect;
  };
  const Case cases[] = {
      {"{not json", "not valid JSON"},
      {R"({"app":"shop","name":"x","value":"big"})", "value: expected a number or true/false"},
      {R"({"app":"shop","name":"x","value":1,"colour":"red"})", "colour: unknown field"},
      {R"({"app":"shop","value":1})", "name: required"},
      {R"({"app":"shop","name":"x","value":1,"min":200,"max":100})",
       "min (200) is above max (100)"},
      {R"({"app":"shop","name":"x","value":1,"webhook":"ftp://h/x"})", "webhook: "},
      {R"([{"app":"shop","name":"x","value":1},{"app":"shop","name":"y","value":1,"min":"a"}])",
       "[1].min: expected a number"},
      {"[]", "expected at least one tunable"},
      {"7", "expected a JSON object or array"},
  };
  for (const Case& k : cases) {
    HttpResponse r = Call("POST", "/api/v1/tunables", k.body);
    EXPECT_EQ(r.status, 400) << k.body;
    std::string error = json::parse(r.body)["error"];
    EXPECT_NE(error.find(k.expect), std::string::npos)
        << "got: " << error << "\nwanted: " << k.expect;
  }
  // Nothing of a refused array was registered.
  EXPECT_TRUE(json::parse(Call("GET", "/api/v1/tunables").body)["data"].empty());
}

TEST_F(TuningRoutesTest, TheRegistrysLimitIs422NamingTheElement) {
  json many = json::array();
  for (size_t i = 0; i <= kMaxTunablesPerApp; ++i) {
    many.push_back({{"app", "shop"}, {"name", "knob" + std::to_string(i)}, {"value", 1}});
  }
  HttpResponse r = Call("POST", "/api/v1/tunables", many.dump());
  EXPECT_EQ(r.status, 422) << r.body;
  std::string error = json::parse(r.body)["error"];
  EXPECT_EQ(error.rfind("[" + std::to_string(kMaxTunablesPerApp) + "]: ", 0), 0u) << error;
  // The ones before the refused one stay registered.
  EXPECT_EQ(json::parse(Call("GET", "/api/v1/tunables?app=shop").body)["data"].size(),
            kMaxTunablesPerApp);
}

TEST_F(TuningRoutesTest, RegisteringNeedsTheTokenWhenOneIsConfigured) {
  HttpResponse r = Call("POST", "/api/v1/tunables", kCacheSize, "");
  EXPECT_EQ(r.status, 401);
  EXPECT_EQ(r.Header("WWW-Authenticate"), "Bearer");
  EXPECT_EQ(Call("POST", "/api/v1/tunables", kCacheSize, "Bearer wrong").status, 401);
  EXPECT_TRUE(json::parse(Call("GET", "/api/v1/tunables", "", "").body)["data"].empty());
  // Reading needs no token.
  for (const char* path : {"/api/v1/tunables", "/api/v1/tuning/history", "/api/v1/tuning/rules"}) {
    EXPECT_EQ(Call("GET", path, "", "").status, 200) << path;
  }
}

TEST_F(TuningRoutesTest, OtherMethodsAre405WithAllow) {
  HttpResponse r = Call("PUT", "/api/v1/tunables", kCacheSize);
  EXPECT_EQ(r.status, 405);
  EXPECT_EQ(r.Header("Allow"), "GET, HEAD, POST");
  r = Call("POST", "/api/v1/tuning/rules", "{}");
  EXPECT_EQ(r.status, 405);
  EXPECT_EQ(r.Header("Allow"), "GET, HEAD");
  // Bodies over the server's limit are refused (413) before the route runs.
  EXPECT_EQ(handler_->BodyLimit("/api/v1/tunables"), ApiOptions().max_body_bytes);
}

TEST_F(TuningRoutesTest, HistoryIsNewestFirstAndFilters) {
  InsertRecords();
  HttpResponse r = Call("GET", "/api/v1/tuning/history");
  ASSERT_EQ(r.status, 200) << r.body;
  json j = json::parse(r.body);
  EXPECT_EQ(j["status"], "success");
  ASSERT_EQ(j["data"].size(), 4u);
  const json& newest = j["data"][0];
  EXPECT_EQ(newest["time"], "2024-05-01T11:59:59.000Z");
  EXPECT_EQ(newest["rule"], "ShrinkCache");
  EXPECT_EQ(newest["action"], "scale");
  EXPECT_EQ(newest["description"], "scale 0.7 shop/cache.size");
  EXPECT_EQ(newest["before"], 1000);
  EXPECT_EQ(newest["after"], 700);
  EXPECT_EQ(newest["outcome"], "applied");
  EXPECT_EQ(newest["verdict"], "pending");
  EXPECT_TRUE(newest["rollback_of"].is_null());
  EXPECT_TRUE(newest["metric_before"].is_null());
  EXPECT_GT(newest["id"].get<int64_t>(), j["data"][1]["id"].get<int64_t>());

  auto count = [&](const std::string& query) {
    HttpResponse resp = Call("GET", "/api/v1/tuning/history" + query);
    EXPECT_EQ(resp.status, 200) << query << ": " << resp.body;
    return json::parse(resp.body)["data"].size();
  };
  EXPECT_EQ(count("?rule=ShrinkCache"), 3u);
  EXPECT_EQ(count("?app=shop"), 3u);
  EXPECT_EQ(count("?rule=ShrinkCache&app=shop"), 2u);
  EXPECT_EQ(count("?rule=Nope"), 0u);
  EXPECT_EQ(count("?limit=2"), 2u);
  EXPECT_EQ(count("?since=2024-05-01T11:58:00Z"), 3u);  // inclusive
  EXPECT_EQ(count("?since=2024-05-01T11:58:00.001Z"), 2u);
  EXPECT_EQ(count("?since=" + std::to_string((kNow - 90'000) / 1000)), 2u);
  EXPECT_EQ(count("?since=2024-05-01T11:00:00Z&rule=ShrinkCache"), 3u);
}

TEST_F(TuningRoutesTest, BadHistoryParametersAre400) {
  const std::pair<const char*, const char*> cases[] = {
      {"?limit=0", "invalid parameter 'limit': expected 1 to 1000"},
      {"?limit=1001", "invalid parameter 'limit'"},
      {"?limit=many", "invalid parameter 'limit'"},
      {"?since=yesterday", "invalid parameter 'since'"},
      {"?since=-5", "invalid parameter 'since'"},
  };
  for (const auto& [query, expect] : cases) {
    HttpResponse r = Call("GET", std::string("/api/v1/tuning/history") + query);
    EXPECT_EQ(r.status, 400) << query;
    std::string error = json::parse(r.body)["error"];
    EXPECT_NE(error.find(expect), std::string::npos) << query << ": " << error;
  }
}

TEST_F(TuningRoutesTest, RulesShowTheStateAndEachRule) {
  HttpResponse r = Call("GET", "/api/v1/tuning/rules");
  ASSERT_EQ(r.status, 200) << r.body;
  json j = json::parse(r.body);
  EXPECT_EQ(j["status"], "success");
  const json& state = j["data"]["state"];
  EXPECT_EQ(state["enabled"], true);
  EXPECT_EQ(state["dry_run"], true);
  EXPECT_EQ(state["emergency"], false);
  EXPECT_EQ(state["emergency_after"], 5);
  for (const char* key : {"emergency_since", "consecutive_poor", "last_evaluation"}) {
    EXPECT_TRUE(state.contains(key)) << key;
  }
  ASSERT_EQ(j["data"]["rules"].size(), 1u);
  const json& rule = j["data"]["rules"][0];
  EXPECT_EQ(rule["name"], "ShrinkCache");
  EXPECT_EQ(rule["expr"], "shop_memory_percent > 85");
  EXPECT_EQ(rule["for"], 10);
  EXPECT_EQ(rule["cooldown"], 300);
  EXPECT_EQ(rule["actions"], json({"scale 0.7 shop/cache.size"}));
  EXPECT_EQ(rule["builtin"], false);
  EXPECT_EQ(rule["source"], "perfwatch.yaml:3");
  EXPECT_EQ(rule["state"], "inactive");
  EXPECT_TRUE(rule["last_decision"].is_null());
}

// The engine's own decisions, read back through the routes: a dry run
// records what it would do once per cooldown and changes nothing.
TEST_F(TuningRoutesTest, ADryRunDecisionShowsInHistoryAndRules) {
  ASSERT_EQ(Call("POST", "/api/v1/tunables", kCacheSize).status, 200);
  window_.SetRangeNeeds(tuning_->RangeNeeds());
  for (int i = 0; i < 4; ++i) {
    const TimestampMs t = kNow + i * 10'000;
    perfwatch::Tick tick(registry_, t);
    ASSERT_TRUE(tick.Append("shop_memory_percent", {{"app", "shop"}}, 95).ok());
    window_.Observe(tick);
    tuning_->Evaluate(t, false);
  }
  HttpResponse r = Call("GET", "/api/v1/tuning/history?rule=ShrinkCache");
  ASSERT_EQ(r.status, 200) << r.body;
  json j = json::parse(r.body);
  ASSERT_EQ(j["data"].size(), 1u) << j.dump();
  const json record = j["data"][0];  // a copy: j is reused below
  EXPECT_EQ(record["outcome"], "dry_run");
  EXPECT_EQ(record["app"], "shop");
  EXPECT_EQ(record["tunable"], "cache.size");
  EXPECT_EQ(record["before"], 1000);
  EXPECT_EQ(record["after"], 700);
  j = json::parse(Call("GET", "/api/v1/tunables?app=shop").body);
  EXPECT_EQ(j["data"][0]["value"], 1000);
  j = json::parse(Call("GET", "/api/v1/tuning/rules").body);
  const json& rule = j["data"]["rules"][0];
  EXPECT_EQ(rule["state"], "cooldown");
  EXPECT_EQ(rule["last_decision"], record["time"]);
  EXPECT_FALSE(j["data"]["state"]["last_evaluation"].is_null());
}

TEST_F(TuningRoutesTest, WithoutTuningEveryRouteIs503) {
  handler_ = MakeHandler(nullptr);
  EXPECT_EQ(Call("POST", "/api/v1/tunables", kCacheSize).status, 503);
  for (const char* path : {"/api/v1/tunables", "/api/v1/tuning/history", "/api/v1/tuning/rules"}) {
    HttpResponse r = Call("GET", path);
    EXPECT_EQ(r.status, 503) << path;
    EXPECT_NE(r.body.find("auto-tuning is not running"), std::string::npos) << r.body;
  }
  // The token is checked before anything else.
  EXPECT_EQ(Call("POST", "/api/v1/tunables", kCacheSize, "").status, 401);
}

}  // namespace
}  // namespace perfwatch
