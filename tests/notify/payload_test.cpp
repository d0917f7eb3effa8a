#include "notify/payload.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "test_support.h"

namespace perfwatch {
namespace {

using nlohmann::json;
using testing::kT0;
using testing::MakeAlert;
using testing::Notice;

TEST(GoTimeJson, MatchesGoRfc3339Nano) {
  EXPECT_EQ(GoTimeJson(0), "0001-01-01T00:00:00Z");
  EXPECT_EQ(GoTimeJson(kT0), "2024-05-01T12:00:00Z");
  EXPECT_EQ(GoTimeJson(kT0 + 250), "2024-05-01T12:00:00.25Z");
  EXPECT_EQ(GoTimeJson(kT0 + 123), "2024-05-01T12:00:00.123Z");
  EXPECT_EQ(GoTimeJson(kT0 + 5), "2024-05-01T12:00:00.005Z");
  EXPECT_EQ(IsoTimeMs(kT0), "2024-05-01T12:00:00.000Z");
  EXPECT_EQ(IsoTimeMs(-1), "1969-12-31T23:59:59.999Z");
}

Notification OneGroup(std::vector<Alert> alerts) {
  Notification n;
  n.group_key = "{}:{alertname=\"HighCpu\"}";
  n.group_labels = Labels{{"alertname", "HighCpu"}};
  n.alerts = std::move(alerts);
  return n;
}

TEST(WebhookPayload, IsAlertmanagerVersion4ByteForByte) {
  Alert a = MakeAlert("HighCpu", "web-1");
  a.id = "0123456789abcdef";
  std::string payload = WebhookPayload(OneGroup({a}), "ops");
  EXPECT_EQ(
      payload,
      R"({"receiver":"ops","status":"firing","alerts":[{"status":"firing",)"
      R"("labels":{"alertname":"HighCpu","instance":"web-1","severity":"warning"},)"
      R"("annotations":{"summary":"CPU at 93.1%"},"startsAt":"2024-05-01T12:00:00Z",)"
      R"("endsAt":"0001-01-01T00:00:00Z","generatorURL":"","fingerprint":"0123456789abcdef"}],)"
      R"("groupLabels":{"alertname":"HighCpu"},)"
      R"("commonLabels":{"alertname":"HighCpu","instance":"web-1","severity":"warning"},)"
      R"("commonAnnotations":{"summary":"CPU at 93.1%"},"externalURL":"","version":"4",)"
      R"("groupKey":"{}:{alertname=\"HighCpu\"}","truncatedAlerts":0})"
      "\n");
}

TEST(WebhookPayload, CommonLabelsAreThoseAllAlertsShare) {
  Alert resolved = MakeAlert("HighCpu", "web-2", AlertState::kResolved);
  resolved.annotations = {{"summary", "CPU back"}};
  json j = json::parse(WebhookPayload(OneGroup({MakeAlert("HighCpu", "web-1"), resolved}), "r"));
  EXPECT_EQ(j["status"], "firing");
  EXPECT_EQ(j["commonLabels"], json({{"alertname", "HighCpu"}, {"severity", "warning"}}));
  EXPECT_EQ(j["commonAnnotations"], json::object());
  EXPECT_EQ(j["alerts"][1]["status"], "resolved");
  EXPECT_EQ(j["alerts"][1]["endsAt"], "2024-05-01T12:01:00Z");
}

TEST(WebhookPayload, AllResolvedGroupIsResolved) {
  json j = json::parse(
      WebhookPayload(OneGroup({MakeAlert("HighCpu", "a", AlertState::kResolved)}), "r"));
  EXPECT_EQ(j["status"], "resolved");
}

TEST(AlertmanagerPayload, IsAPostableAlertsArray) {
  Notification n = OneGroup(
      {MakeAlert("HighCpu", "web-1"), MakeAlert("HighCpu", "web-2", AlertState::kResolved)});
  json j = json::parse(AlertmanagerPayload(n, kT0 + 1000, 240'000));
  ASSERT_TRUE(j.is_array());
  ASSERT_EQ(j.size(), 2u);
  EXPECT_EQ(
      j[0],
      json({{"labels", {{"alertname", "HighCpu"}, {"instance", "web-1"}, {"severity", "warning"}}},
            {"annotations", {{"summary", "CPU at 93.1%"}}},
            {"startsAt", "2024-05-01T12:00:00Z"},
            {"endsAt", "2024-05-01T12:04:01Z"}}));
  EXPECT_EQ(j[1]["endsAt"], "2024-05-01T12:01:00Z");
}

TEST(NoticeConsoleLine, ReadsLikeASentence) {
  EXPECT_EQ(NoticeConsoleLine(Notice(MakeAlert("HighCpuUsage", "web-1"))),
            "[FIRING] HighCpuUsage warning instance=web-1 value=93.1 \u2014 CPU at 93.1%");
  EXPECT_EQ(NoticeConsoleLine(Notice(MakeAlert("HighCpuUsage", "web-1", AlertState::kResolved))),
            "[RESOLVED] HighCpuUsage warning instance=web-1 value=93.1 \u2014 CPU at 93.1%");
}

TEST(NoticeEventName, DefaultsToSeedEventNames) {
  EXPECT_EQ(NoticeEventName(Notice(MakeAlert("A", "x"))), "threshold_violation");
  EXPECT_EQ(NoticeEventName(Notice(MakeAlert("A", "x", AlertState::kResolved))), "alert_resolved");
  EXPECT_EQ(NoticeEventName(Notice(MakeAlert("A", "x"), "consecutive_poor_performance")),
            "consecutive_poor_performance");
}

TEST(FoldNotification, MergesAlertsByIdLaterCopyWinning) {
  Notification a = OneGroup({MakeAlert("HighCpu", "web-1")});
  a.changes.push_back(Notice(MakeAlert("HighCpu", "web-1")));
  Notification b = OneGroup({MakeAlert("HighCpu", "web-1", AlertState::kResolved)});
  b.changes.push_back(Notice(MakeAlert("HighCpu", "web-1", AlertState::kResolved)));
  FoldNotification(a, b);
  ASSERT_EQ(a.alerts.size(), 1u);
  EXPECT_EQ(a.alerts[0].state, AlertState::kResolved);
  EXPECT_EQ(a.changes.size(), 2u);
  EXPECT_EQ(a.folded, 1u);
  EXPECT_EQ(a.group_key, "{}:{alertname=\"HighCpu\"}");
}

TEST(FoldNotification, DifferentGroupsBecomeTheEmptyGroup) {
  Notification a = OneGroup({MakeAlert("HighCpu", "web-1")});
  Notification b;
  b.group_key = "{}:{alertname=\"HighMem\"}";
  b.group_labels = Labels{{"alertname", "HighMem"}};
  b.alerts = {MakeAlert("HighMem", "web-1")};
  FoldNotification(a, b);
  EXPECT_EQ(a.group_key, "{}:{}");
  EXPECT_TRUE(a.group_labels.empty());
  EXPECT_EQ(a.alerts.size(), 2u);
}

}  // namespace
}  // namespace perfwatch
