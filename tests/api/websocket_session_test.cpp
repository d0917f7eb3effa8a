// The /ws live stream over real sockets.

#include <gtest/gtest.h>

#include <chrono>
#include <nlohmann/json.hpp>

#include "server_fixture.h"
#include "test_client.h"

namespace perfwatch::apitest {
namespace {

using nlohmann::json;
using std::chrono::seconds;

using WebSocketTest = ServerTest;

json ReadJson(WsTestClient& client) {
  Result<std::string> text = client.Read();
  EXPECT_TRUE(text.ok()) << text.status().ToString();
  return text.ok() ? json::parse(*text) : json();
}

TEST_F(WebSocketTest, StreamsEveryPublishedTick) {
  StartServer();
  WsTestClient client;
  ASSERT_TRUE(client.Connect(port_).ok());
  server_->Publish(MakeTick(1000));
  server_->Publish(MakeTick(2000));
  json first = ReadJson(client);
  json second = ReadJson(client);
  EXPECT_EQ(first["time"], 1000);
  EXPECT_EQ(second["time"], 2000);
  ASSERT_EQ(second["samples"].size(), 4u);
  EXPECT_EQ(second["samples"][0],
            json::parse(R"({"metric":"system_cpu_usage_percent","labels":{"cpu":"0"},"value":0})"));
}

TEST_F(WebSocketTest, DeliversTicksInPublishOrder) {
  options_.threads = 4;
  StartServer();
  WsTestClient client;
  ASSERT_TRUE(client.Connect(port_).ok());
  // Bursts stay under the 8-message lag that would drop the client.
  for (int burst = 0; burst < 20; ++burst) {
    for (int i = 1; i <= 5; ++i) server_->Publish(MakeTick(burst * 5 + i));
    for (int i = 1; i <= 5; ++i) ASSERT_EQ(ReadJson(client)["time"], burst * 5 + i);
  }
}

TEST_F(WebSocketTest, SendsTheLatestTickOnConnect) {
  StartServer();
  server_->Publish(MakeTick(5000));
  Result<ClientResponse> ready = HttpGet(port_, "/api/v1/metrics");  // publish has landed
  ASSERT_TRUE(ready.ok() && ready->status == 200);
  WsTestClient client;
  ASSERT_TRUE(client.Connect(port_).ok());
  EXPECT_EQ(ReadJson(client)["time"], 5000);
}

TEST_F(WebSocketTest, SubscribeNarrowsTheStreamToMetricPrefixes) {
  StartServer();
  WsTestClient client;
  ASSERT_TRUE(client.Connect(port_).ok());
  ASSERT_TRUE(client.Send(R"({"subscribe":["system_cpu","net_"]})").ok());
  EXPECT_EQ(ReadJson(client), json::parse(R"({"subscribed":["system_cpu","net_"]})"));
  server_->Publish(MakeTick(1000, /*cpus=*/3));
  json tick = ReadJson(client);
  ASSERT_EQ(tick["samples"].size(), 4u);
  for (const json& s : tick["samples"]) {
    std::string name = s["metric"];
    EXPECT_TRUE(name.starts_with("system_cpu") || name.starts_with("net_")) << name;
  }
  // An empty list restores the full stream.
  ASSERT_TRUE(client.Send(R"({"subscribe":[]})").ok());
  EXPECT_EQ(ReadJson(client), json::parse(R"({"subscribed":[]})"));
  server_->Publish(MakeTick(2000, 3));
  EXPECT_EQ(ReadJson(client)["samples"].size(), 5u);
}

TEST_F(WebSocketTest, AnswersAnInvalidMessageWithAnErrorAndStaysConnected) {
  StartServer();
  WsTestClient client;
  ASSERT_TRUE(client.Connect(port_).ok());
  ASSERT_TRUE(client.Send("{this is not json").ok());
  EXPECT_EQ(ReadJson(client)["error"], "message is not valid JSON");
  server_->Publish(MakeTick(3000));
  EXPECT_EQ(ReadJson(client)["time"], 3000);
}

TEST_F(WebSocketTest, RefusesClientsBeyondTheLimitWith503) {
  options_.max_ws_clients = 1;
  StartServer();
  WsTestClient first;
  ASSERT_TRUE(first.Connect(port_).ok());
  WsTestClient second;
  Status st = second.Connect(port_);
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.message().find("503"), std::string::npos) << st.message();
  server_->Publish(MakeTick(1000));
  EXPECT_EQ(ReadJson(first)["time"], 1000);
}

TEST_F(WebSocketTest, DropsAClientThatFallsTooFarBehind) {
  StartServer();
  WsTestClient slow;
  ASSERT_TRUE(slow.Connect(port_).ok());
  WsTestClient healthy;
  ASSERT_TRUE(healthy.Connect(port_).ok());
  // About 300 KB a message: a few of them fill the socket buffers of a
  // client that does not read, and then its queue.
  constexpr int kTicks = 300;
  for (int i = 1; i <= kTicks; ++i) {
    server_->Publish(MakeTick(i, /*cpus=*/4000));
    Result<std::string> got = healthy.Read();  // a reading client keeps up
    ASSERT_TRUE(got.ok()) << "tick " << i << ": " << got.status().ToString();
  }
  int received = 0;
  while (slow.Read(seconds(10)).ok()) ++received;
  EXPECT_LT(received, kTicks);
}

TEST_F(WebSocketTest, StopClosesWebSocketClients) {
  StartServer();
  WsTestClient client;
  ASSERT_TRUE(client.Connect(port_).ok());
  server_->Stop();
  Result<std::string> r = client.Read(seconds(10));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Status::Code::kIOError) << r.status().ToString();
}

TEST_F(WebSocketTest, OtherPathsCannotBeUpgraded) {
  StartServer();
  WsTestClient client;
  Status st = client.Connect(port_, "/api/v1/metrics");
  EXPECT_FALSE(st.ok());
}

}  // namespace
}  // namespace perfwatch::apitest
