#include "api/websocket_hub.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace perfwatch {
namespace {

class RecordingSubscriber final : public WsSubscriber {
 public:
  void Deliver(std::shared_ptr<const PublishedTick> tick) override {
    times.push_back(tick->tick().time());
  }
  std::vector<TimestampMs> times;
};

class WebSocketHubTest : public ::testing::Test {
 protected:
  std::shared_ptr<const PublishedTick> Published(TimestampMs t) {
    return std::make_shared<const PublishedTick>(std::make_shared<const Tick>(registry_, t));
  }
  SeriesRegistry registry_;
};

TEST_F(WebSocketHubTest, DeliversEveryBroadcastToEveryClient) {
  WebSocketHub hub(4);
  auto a = std::make_shared<RecordingSubscriber>();
  auto b = std::make_shared<RecordingSubscriber>();
  ASSERT_TRUE(hub.Join(a).ok());
  ASSERT_TRUE(hub.Join(b).ok());
  hub.Broadcast(Published(1));
  hub.Broadcast(Published(2));
  EXPECT_EQ(a->times, (std::vector<TimestampMs>{1, 2}));
  EXPECT_EQ(b->times, (std::vector<TimestampMs>{1, 2}));
}

TEST_F(WebSocketHubTest, JoinReturnsTheLatestTickSoNoTickIsMissedOrRepeated) {
  WebSocketHub hub(4);
  auto early = std::make_shared<RecordingSubscriber>();
  Result<std::shared_ptr<const PublishedTick>> none = hub.Join(early);
  ASSERT_TRUE(none.ok());
  EXPECT_EQ(*none, nullptr);
  hub.Broadcast(Published(7));
  auto late = std::make_shared<RecordingSubscriber>();
  Result<std::shared_ptr<const PublishedTick>> latest = hub.Join(late);
  ASSERT_TRUE(latest.ok());
  ASSERT_NE(*latest, nullptr);
  EXPECT_EQ((*latest)->tick().time(), 7);
  EXPECT_TRUE(late->times.empty());
}

TEST_F(WebSocketHubTest, RefusesClientsBeyondTheLimitUntilOneLeaves) {
  WebSocketHub hub(1);
  auto a = std::make_shared<RecordingSubscriber>();
  auto b = std::make_shared<RecordingSubscriber>();
  ASSERT_TRUE(hub.Join(a).ok());
  Result<std::shared_ptr<const PublishedTick>> refused = hub.Join(b);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), Status::Code::kResourceExhausted);
  EXPECT_NE(refused.status().message().find("limit 1"), std::string::npos);
  hub.Leave(a.get());
  EXPECT_EQ(hub.size(), 0u);
  EXPECT_TRUE(hub.Join(b).ok());
}

TEST_F(WebSocketHubTest, SkipsClientsThatNoLongerExist) {
  WebSocketHub hub(4);
  auto gone = std::make_shared<RecordingSubscriber>();
  ASSERT_TRUE(hub.Join(gone).ok());
  gone.reset();
  hub.Broadcast(Published(1));  // must not crash on the expired weak reference
  SUCCEED();
}

TEST(ParseSubscribeMessage, ReturnsThePrefixes) {
  Result<std::vector<std::string>> p =
      ParseSubscribeMessage(R"({"subscribe":["system_cpu","system_memory"]})");
  ASSERT_TRUE(p.ok()) << p.status().message();
  EXPECT_EQ(*p, (std::vector<std::string>{"system_cpu", "system_memory"}));
  EXPECT_TRUE(ParseSubscribeMessage(R"({"subscribe":[]})")->empty());
}

TEST(ParseSubscribeMessage, ExplainsWhatIsWrong) {
  EXPECT_EQ(ParseSubscribeMessage("{not json").status().message(), "message is not valid JSON");
  EXPECT_NE(ParseSubscribeMessage(R"({"unsubscribe":[]})").status().message().find("subscribe"),
            std::string::npos);
  EXPECT_EQ(ParseSubscribeMessage(R"({"subscribe":"cpu"})").status().message(),
            "'subscribe' must be an array of strings");
  EXPECT_EQ(ParseSubscribeMessage(R"({"subscribe":["cpu",1]})").status().message(),
            "'subscribe' must be an array of strings");
  EXPECT_FALSE(ParseSubscribeMessage("[]").ok());
}

TEST(WsControlMessages, AreValidJson) {
  auto ack = nlohmann::json::parse(RenderSubscribedMessage({"a\"b", "c"}));
  EXPECT_EQ(ack["subscribed"], nlohmann::json::parse(R"(["a\"b","c"])"));
  auto err = nlohmann::json::parse(RenderWsErrorMessage("bad \"x\""));
  EXPECT_EQ(err["error"], "bad \"x\"");
}

}  // namespace
}  // namespace perfwatch
