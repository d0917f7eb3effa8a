#include "alert/alert_json.h"

#include <gtest/gtest.h>

#include <limits>
#include <nlohmann/json.hpp>

namespace perfwatch {
namespace {

constexpr TimestampMs kT = 1714557600000;  // 2024-05-01T10:00:00Z

Alert FiringAlert() {
  Alert a;
  a.id = "00000000000000ab";
  a.rule = "HighCpu";
  a.labels = Labels{{"alertname", "HighCpu"}, {"severity", "warning"}};
  a.annotations = {{"summary", "CPU at 91.5%"}};
  a.severity = "warning";
  a.state = AlertState::kFiring;
  a.value = 91.5;
  a.active_since_ms = kT;
  a.fired_at_ms = kT + 30000;
  a.last_sent_ms = kT + 30000;
  return a;
}

TEST(AlertJson, RendersAnAlertWithPrometheusFieldNames) {
  EXPECT_EQ(RenderAlertJson(FiringAlert()),
            R"({"id":"00000000000000ab","labels":{"alertname":"HighCpu","severity":"warning"},)"
            R"("annotations":{"summary":"CPU at 91.5%"},"state":"firing",)"
            R"("activeAt":"2024-05-01T10:00:00.000Z","firedAt":"2024-05-01T10:00:30.000Z",)"
            R"("lastSentAt":"2024-05-01T10:00:30.000Z","value":91.5,"severity":"warning",)"
            R"("rule":"HighCpu","silenced":false,"acknowledged":false})");
}

TEST(AlertJson, AcknowledgementAndNonFiniteValues) {
  Alert a = FiringAlert();
  a.acknowledged = true;
  a.ack = {"ana", "on it", kT + 60000, 91.5};
  a.value = std::numeric_limits<double>::quiet_NaN();
  const auto j = nlohmann::json::parse(RenderAlertsJson({a}));
  EXPECT_EQ(j["status"], "success");
  const auto& alert = j["data"]["alerts"][0];
  EXPECT_TRUE(alert["value"].is_null());
  EXPECT_EQ(alert["acknowledged"], true);
  EXPECT_EQ(alert["ack"]["by"], "ana");
  EXPECT_EQ(alert["ack"]["comment"], "on it");
  EXPECT_EQ(alert["ack"]["at"], "2024-05-01T10:01:00.000Z");
}

TEST(AlertJson, RendersHistory) {
  AlertHistoryEntry e;
  e.t_ms = kT;
  e.alert_id = "00000000000000ab";
  e.rule = "HighCpu";
  e.labels = Labels{{"alertname", "HighCpu"}};
  e.event = "acknowledged";
  e.from = e.to = AlertState::kFiring;
  e.value = 90;
  e.by = "ana";
  EXPECT_EQ(RenderHistoryJson({e}),
            R"({"status":"success","data":{"history":[{"time":"2024-05-01T10:00:00.000Z",)"
            R"("id":"00000000000000ab","rule":"HighCpu","labels":{"alertname":"HighCpu"},)"
            R"("event":"acknowledged","from":"firing","to":"firing","value":90.0,"by":"ana"}]}})");
}

TEST(AlertJson, RendersRulesGroupedByFile) {
  RuleStatus a;
  a.spec.name = "HighCpu";
  a.spec.expr = "cpu > 80";
  a.spec.for_ms = 30000;
  a.spec.source = "rules/cpu.yaml:4";
  a.health = "ok";
  a.last_evaluation_ms = kT;
  a.last_duration_s = 0.00025;
  a.active = 1;
  a.state = AlertState::kFiring;
  RuleStatus b;
  b.spec.name = "HighMemory";
  b.spec.source = "built-in";
  RuleStatus c = a;
  c.spec.name = "HighLoad";
  c.spec.source = "rules/cpu.yaml:9";
  const auto j = nlohmann::json::parse(RenderRulesJson({a, b, c}));
  const auto& groups = j["data"]["groups"];
  ASSERT_EQ(groups.size(), 2u);
  EXPECT_EQ(groups[0]["name"], "rules/cpu.yaml");
  ASSERT_EQ(groups[0]["rules"].size(), 2u);
  EXPECT_EQ(groups[1]["name"], "built-in");
  const auto& r = groups[0]["rules"][0];
  EXPECT_EQ(r["type"], "alerting");
  EXPECT_EQ(r["query"], "cpu > 80");
  EXPECT_EQ(r["duration"], 30.0);
  EXPECT_EQ(r["health"], "ok");
  EXPECT_EQ(r["lastEvaluation"], "2024-05-01T10:00:00.000Z");
  EXPECT_EQ(r["evaluationTime"], 0.00025);
  EXPECT_EQ(r["state"], "firing");
  EXPECT_EQ(r["activeAlerts"], 1);
  EXPECT_EQ(groups[1]["rules"][0]["lastEvaluation"], "0001-01-01T00:00:00Z");
  EXPECT_EQ(groups[1]["rules"][0]["health"], "unknown");
}

TEST(AlertJson, SilencesListAsAlertmanagerDoes) {
  Silence s;
  s.id = "x";
  s.matchers = {*MakeSilenceMatcher("alertname", "A", false, true)};
  s.starts_at_ms = kT;
  s.ends_at_ms = kT + 1000;
  const auto j = nlohmann::json::parse(RenderSilencesJson({s, s}, kT + 1000));
  ASSERT_TRUE(j.is_array());
  ASSERT_EQ(j.size(), 2u);
  EXPECT_EQ(j[0]["status"]["state"], "expired");
  EXPECT_EQ(RenderSilencesJson({}, kT), "[]");
  EXPECT_EQ(RenderSilenceIdJson("abc"), R"({"silenceID":"abc"})");
}

TEST(AlertJson, ParsesAcknowledgeRequests) {
  Result<AcknowledgeRequest> r = ParseAcknowledgeJson(R"({"by":"ana","comment":"on it"})");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->by, "ana");
  EXPECT_EQ(r->comment, "on it");
  EXPECT_TRUE(ParseAcknowledgeJson(R"({"by":"ana"})").ok());
  EXPECT_NE(ParseAcknowledgeJson(R"({"comment":"x"})").status().message().find("by: required"),
            std::string::npos);
  EXPECT_NE(ParseAcknowledgeJson(R"({"by":""})").status().message().find("by:"), std::string::npos);
  EXPECT_NE(ParseAcknowledgeJson(R"({"by":"a","comment":3})").status().message().find("comment:"),
            std::string::npos);
  EXPECT_FALSE(ParseAcknowledgeJson("nope").ok());
}

}  // namespace
}  // namespace perfwatch
