// The Dispatcher end to end against a real HTTP receiver on 127.0.0.1:
// the webhook payload, retries, timeouts, grouping, the rate limit and the
// Alertmanager API body.

#include "notify/dispatcher.h"

#include <gtest/gtest.h>

#include <iostream>
#include <nlohmann/json.hpp>
#include <set>

#include "test_http_server.h"
#include "test_support.h"

namespace perfwatch {
namespace {

using nlohmann::json;
using testing::kNoAnswer;
using testing::kT0;
using testing::MakeAlert;
using testing::Notice;
using testing::ReceivedRequest;
using testing::TestHttpServer;

ReceiverOptions WebhookTo(const TestHttpServer& server) {
  ReceiverOptions o;
  o.type = "webhook";
  o.name = "ops";
  o.url = server.Url("/hook");
  o.backoff_ms = 20;
  o.timeout_ms = 2000;
  return o;
}

GroupingOptions Immediate() {
  GroupingOptions g;
  g.group_wait_ms = 0;
  g.group_interval_ms = 0;
  return g;
}

std::vector<json> Bodies(const std::vector<ReceivedRequest>& requests) {
  std::vector<json> out;
  for (const auto& r : requests) out.push_back(json::parse(r.body));
  return out;
}

TEST(DispatcherWebhook, DeliversTheVersion4PayloadWithConfiguredHeaders) {
  TestHttpServer server;
  ReceiverOptions o = WebhookTo(server);
  o.headers = {{"Authorization", "Bearer s3cret"}};
  Dispatcher d({o}, Immediate());
  ASSERT_TRUE(d.Start().ok());
  auto delivered_at = std::chrono::steady_clock::now();
  d.Deliver({Notice(MakeAlert("HighCpu", "web-1"))});
  auto requests = server.WaitFor(1);
  ASSERT_EQ(requests.size(), 1u);
  std::cout << "[ info ] Deliver() to receiver holding it: "
            << std::chrono::duration<double, std::milli>(requests[0].at - delivered_at).count()
            << " ms\n";
  d.Stop();

  EXPECT_EQ(requests[0].method, "POST");
  EXPECT_EQ(requests[0].target, "/hook");
  EXPECT_EQ(requests[0].headers["content-type"], "application/json");
  EXPECT_EQ(requests[0].headers["authorization"], "Bearer s3cret");
  json j = json::parse(requests[0].body);
  EXPECT_EQ(j["version"], "4");
  EXPECT_EQ(j["receiver"], "ops");
  EXPECT_EQ(j["status"], "firing");
  EXPECT_EQ(j["groupKey"], "{}:{alertname=\"HighCpu\"}");
  EXPECT_EQ(j["groupLabels"], json({{"alertname", "HighCpu"}}));
  EXPECT_EQ(j["truncatedAlerts"], 0);
  EXPECT_EQ(j["externalURL"], "");
  ASSERT_EQ(j["alerts"].size(), 1u);
  const json& a = j["alerts"][0];
  EXPECT_EQ(a["status"], "firing");
  EXPECT_EQ(a["labels"]["instance"], "web-1");
  EXPECT_EQ(a["annotations"]["summary"], "CPU at 93.1%");
  EXPECT_EQ(a["startsAt"], "2024-05-01T12:00:00Z");
  EXPECT_EQ(a["endsAt"], "0001-01-01T00:00:00Z");
  EXPECT_EQ(a["generatorURL"], "");
  EXPECT_EQ(a["fingerprint"], MakeAlert("HighCpu", "web-1").id);
  std::vector<ReceiverStats> stats = d.Stats();
  ASSERT_EQ(stats.size(), 1u);
  EXPECT_EQ(stats[0].receiver, "ops");
  EXPECT_EQ(stats[0].sent, 1u);
  EXPECT_EQ(stats[0].failed, 0u);
}

TEST(DispatcherWebhook, RetriesServerErrorsAndDeliversOnce) {
  TestHttpServer server([](size_t i) { return i < 2 ? 500 : 200; });
  Dispatcher d({WebhookTo(server)}, Immediate());
  ASSERT_TRUE(d.Start().ok());
  d.Deliver({Notice(MakeAlert("HighCpu", "web-1"))});
  ASSERT_EQ(server.WaitFor(3).size(), 3u);
  ASSERT_TRUE(testing::WaitUntil([&] { return d.Stats()[0].sent == 1; }));
  d.Stop();
  auto requests = server.Requests();
  EXPECT_EQ(requests.size(), 3u);
  EXPECT_EQ(requests[0].body, requests[2].body);  // the same notification, retried
  EXPECT_EQ(d.Stats()[0].failed, 0u);
}

TEST(DispatcherWebhook, RetriesTooManyRequests) {
  TestHttpServer server([](size_t i) { return i == 0 ? 429 : 200; });
  Dispatcher d({WebhookTo(server)}, Immediate());
  ASSERT_TRUE(d.Start().ok());
  d.Deliver({Notice(MakeAlert("HighCpu", "web-1"))});
  ASSERT_TRUE(testing::WaitUntil([&] { return d.Stats()[0].sent == 1; }));
  d.Stop();
  EXPECT_EQ(server.Requests().size(), 2u);
}

TEST(DispatcherWebhook, DoesNotRetryAClientError) {
  TestHttpServer server([](size_t) { return 400; });
  Dispatcher d({WebhookTo(server)}, Immediate());
  ASSERT_TRUE(d.Start().ok());
  d.Deliver({Notice(MakeAlert("HighCpu", "web-1"))});
  ASSERT_TRUE(testing::WaitUntil([&] { return d.Stats()[0].failed == 1; }));
  d.Stop();
  EXPECT_EQ(server.Requests().size(), 1u);
  EXPECT_EQ(d.Stats()[0].sent, 0u);
}

TEST(DispatcherWebhook, ASilentReceiverTimesOutEveryAttemptAndCountsAFailure) {
  TestHttpServer server([](size_t) { return kNoAnswer; });
  ReceiverOptions o = WebhookTo(server);
  o.timeout_ms = 200;
  o.max_attempts = 2;
  Dispatcher d({o}, Immediate());
  ASSERT_TRUE(d.Start().ok());
  d.Deliver({Notice(MakeAlert("HighCpu", "web-1"))});
  ASSERT_TRUE(testing::WaitUntil([&] { return d.Stats()[0].failed == 1; }));
  d.Stop();
  auto requests = server.Requests();
  ASSERT_EQ(requests.size(), 2u);
  // The second attempt came after the first one's timeout (less the
  // moments the first request took to arrive).
  EXPECT_GE(requests[1].at - requests[0].at, std::chrono::milliseconds(150));
  EXPECT_EQ(d.Stats()[0].sent, 0u);
}

TEST(DispatcherGrouping, AlertsArrivingWithinGroupWaitGoOutTogether) {
  TestHttpServer server;
  GroupingOptions g;
  g.group_wait_ms = 500;
  Dispatcher d({WebhookTo(server)}, g);
  ASSERT_TRUE(d.Start().ok());
  // Spread out (well within group_wait) so the grouping thread sees the
  // first alert alone before the others arrive.
  for (int i = 0; i < 5; ++i) {
    d.Deliver({Notice(MakeAlert("HighCpu", "web-" + std::to_string(i)))});
    std::this_thread::sleep_for(std::chrono::milliseconds(30));
  }
  ASSERT_EQ(server.WaitFor(1).size(), 1u);
  d.Stop();
  auto bodies = Bodies(server.Requests());
  ASSERT_EQ(bodies.size(), 1u);
  EXPECT_EQ(bodies[0]["alerts"].size(), 5u);
  EXPECT_EQ(bodies[0]["commonLabels"], json({{"alertname", "HighCpu"}, {"severity", "warning"}}));
}

TEST(DispatcherGrouping, DifferentGroupByValuesGoOutSeparately) {
  TestHttpServer server;
  GroupingOptions g;
  g.group_by = {"alertname", "instance"};
  g.group_wait_ms = 200;
  Dispatcher d({WebhookTo(server)}, g);
  ASSERT_TRUE(d.Start().ok());
  d.Deliver({Notice(MakeAlert("HighCpu", "web-1")), Notice(MakeAlert("HighCpu", "web-2")),
             Notice(MakeAlert("HighMem", "web-1"))});
  ASSERT_EQ(server.WaitFor(3).size(), 3u);
  d.Stop();
  std::set<std::string> keys;
  for (const json& b : Bodies(server.Requests())) {
    EXPECT_EQ(b["alerts"].size(), 1u);
    EXPECT_EQ(b["groupLabels"].size(), 2u);
    keys.insert(b["groupKey"].get<std::string>());
  }
  EXPECT_EQ(keys, (std::set<std::string>{"{}:{alertname=\"HighCpu\",instance=\"web-1\"}",
                                         "{}:{alertname=\"HighCpu\",instance=\"web-2\"}",
                                         "{}:{alertname=\"HighMem\",instance=\"web-1\"}"}));
}

TEST(DispatcherGrouping, LaterChangesAreBatchedPerGroupInterval) {
  TestHttpServer server;
  GroupingOptions g;
  g.group_wait_ms = 0;
  g.group_interval_ms = 400;
  Dispatcher d({WebhookTo(server)}, g);
  ASSERT_TRUE(d.Start().ok());
  d.Deliver({Notice(MakeAlert("HighCpu", "web-1"))});
  ASSERT_EQ(server.WaitFor(1).size(), 1u);
  d.Deliver({Notice(MakeAlert("HighCpu", "web-2"))});
  d.Deliver({Notice(MakeAlert("HighCpu", "web-3"))});
  d.Deliver({Notice(MakeAlert("HighCpu", "web-1", AlertState::kResolved))});
  ASSERT_EQ(server.WaitFor(2).size(), 2u);
  d.Deliver({Notice(MakeAlert("HighCpu", "web-2", AlertState::kResolved))});
  ASSERT_EQ(server.WaitFor(3).size(), 3u);
  d.Stop();

  auto requests = server.Requests();
  ASSERT_EQ(requests.size(), 3u);
  // Sends of one group are group_interval (400 ms) apart, give or take
  // how long each request took to arrive.
  EXPECT_GE(requests[1].at - requests[0].at, std::chrono::milliseconds(300));
  EXPECT_GE(requests[2].at - requests[1].at, std::chrono::milliseconds(300));
  auto bodies = Bodies(requests);
  // Second send: every current alert of the group, web-1 now resolved.
  ASSERT_EQ(bodies[1]["alerts"].size(), 3u);
  std::map<std::string, std::string> status;
  for (const json& a : bodies[1]["alerts"]) status[a["labels"]["instance"]] = a["status"];
  EXPECT_EQ(status, (std::map<std::string, std::string>{
                        {"web-1", "resolved"}, {"web-2", "firing"}, {"web-3", "firing"}}));
  // Third: web-1 was reported resolved and is gone; web-3 still firing.
  status.clear();
  for (const json& a : bodies[2]["alerts"]) status[a["labels"]["instance"]] = a["status"];
  EXPECT_EQ(status,
            (std::map<std::string, std::string>{{"web-2", "resolved"}, {"web-3", "firing"}}));
  EXPECT_EQ(bodies[2]["status"], "firing");
}

TEST(DispatcherRateLimit, ExcessIsFoldedAndStillDelivered) {
  TestHttpServer server;
  GroupingOptions g = Immediate();
  g.max_per_minute = 2;
  Dispatcher d({WebhookTo(server)}, g);
  ASSERT_TRUE(d.Start().ok());
  std::vector<AlertNotice> storm;
  for (int i = 0; i < 5; ++i) storm.push_back(Notice(MakeAlert("Alert" + std::to_string(i), "h")));
  d.Deliver(storm);
  ASSERT_EQ(server.WaitFor(2).size(), 2u);
  // However the storm was split, no third send happens within the minute.
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  EXPECT_EQ(server.Requests().size(), 2u);
  d.Stop();  // what still waits goes out folded

  auto requests = server.Requests();
  std::multiset<std::string> names;
  for (const json& b : Bodies(requests)) {
    for (const json& a : b["alerts"]) names.insert(a["labels"]["alertname"].get<std::string>());
  }
  EXPECT_EQ(names, (std::multiset<std::string>{"Alert0", "Alert1", "Alert2", "Alert3", "Alert4"}));
  ReceiverStats stats = d.Stats()[0];
  EXPECT_EQ(stats.sent, requests.size());
  EXPECT_EQ(stats.folded, 5 - requests.size());
  EXPECT_EQ(stats.dropped, 0u);
}

TEST(DispatcherAlertmanager, PostsApiV2AlertsWithEndsAtOnResolution) {
  TestHttpServer server;
  ReceiverOptions o;
  o.type = "alertmanager";
  o.url = server.Url("/");
  Dispatcher d({o}, Immediate(), [] { return kT0 + 5000; });
  ASSERT_TRUE(d.Start().ok());
  d.Deliver({Notice(MakeAlert("HighCpu", "web-1"))});
  ASSERT_EQ(server.WaitFor(1).size(), 1u);
  d.Deliver({Notice(MakeAlert("HighCpu", "web-1", AlertState::kResolved))});
  ASSERT_EQ(server.WaitFor(2).size(), 2u);
  d.Stop();

  auto requests = server.Requests();
  EXPECT_EQ(requests[0].target, "/api/v2/alerts");
  json firing = json::parse(requests[0].body);
  ASSERT_TRUE(firing.is_array());
  ASSERT_EQ(firing.size(), 1u);
  EXPECT_EQ(
      firing[0],
      json({{"labels", {{"alertname", "HighCpu"}, {"instance", "web-1"}, {"severity", "warning"}}},
            {"annotations", {{"summary", "CPU at 93.1%"}}},
            {"startsAt", "2024-05-01T12:00:00Z"},
            // valid for four refresh periods (4 min) from "now"
            {"endsAt", "2024-05-01T12:04:05Z"}}));
  json resolved = json::parse(requests[1].body);
  ASSERT_EQ(resolved.size(), 1u);
  EXPECT_EQ(resolved[0]["endsAt"], "2024-05-01T12:01:00Z");
}

}  // namespace
}  // namespace perfwatch
