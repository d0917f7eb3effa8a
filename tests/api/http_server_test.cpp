// ApiServer over real sockets on 127.0.0.1: keep-alive, limits, timeouts,
// refusal and shutdown. Timing bounds are generous on purpose: they check
// that something happens, never how fast.

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <nlohmann/json.hpp>
#include <thread>

#include "server_fixture.h"
#include "test_client.h"

namespace perfwatch::apitest {
namespace {

using nlohmann::json;
using std::chrono::milliseconds;
using std::chrono::seconds;

using HttpServerTest = ServerTest;

TEST_F(HttpServerTest, ServesHealthOverARealSocket) {
  options_.version = "9.9.9";
  StartServer();
  Result<ClientResponse> r = HttpGet(port_, "/api/v1/health");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->Header("Content-Type"), "application/json");
  EXPECT_EQ(r->Header("X-Content-Type-Options"), "nosniff");
  EXPECT_EQ(r->Header("Cache-Control"), "no-store");
  EXPECT_EQ(r->Header("Server"), "perfwatch/9.9.9");
  json doc = json::parse(r->body);
  EXPECT_EQ(doc["status"], "ok");
  EXPECT_EQ(doc["version"], "9.9.9");
}

TEST_F(HttpServerTest, KeepsTheConnectionOpenForASecondRequest) {
  StartServer();
  HttpTestClient client;
  ASSERT_TRUE(client.Connect(port_).ok());
  Result<ClientResponse> first = client.Request("GET", "/api/v1/health");
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  EXPECT_EQ(first->status, 200);
  EXPECT_NE(first->Header("Connection"), "close");
  Result<ClientResponse> second = client.Request("GET", "/api/health");
  ASSERT_TRUE(second.ok()) << second.status().ToString();
  EXPECT_EQ(second->status, 200);
}

TEST_F(HttpServerTest, ServesTheLatestPublishedTick) {
  StartServer();
  server_->Publish(MakeTick(1000));
  server_->Publish(MakeTick(2000));
  Result<ClientResponse> r = HttpGet(port_, "/api/v1/metrics?match=system_cpu");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(r->status, 200);
  json doc = json::parse(r->body);
  EXPECT_EQ(doc["time"], 2000);
  EXPECT_EQ(doc["samples"].size(), 2u);
}

TEST_F(HttpServerTest, ServesConsistentBodiesWhilePublishing) {
  options_.threads = 4;
  StartServer();
  server_->Publish(MakeTick(1));
  std::atomic<bool> done{false};
  std::thread publisher([&] {
    for (TimestampMs t = 2; !done; ++t) server_->Publish(MakeTick(t, 50));
  });
  std::vector<std::thread> readers;
  std::atomic<int> good{0};
  for (int r = 0; r < 4; ++r) {
    readers.emplace_back([&] {
      HttpTestClient client;
      if (!client.Connect(port_).ok()) return;
      for (int i = 0; i < 100; ++i) {
        const char* target = i % 2 ? "/metrics" : "/api/v1/metrics";
        Result<ClientResponse> res = client.Request("GET", target);
        if (!res.ok() || res->status != 200) return;
        if (i % 2 == 0 && !json::accept(res->body)) return;
      }
      ++good;
    });
  }
  for (std::thread& t : readers) t.join();
  done = true;
  publisher.join();
  EXPECT_EQ(good, 4);
}

TEST_F(HttpServerTest, AnswersHistoryFromTheStore) {
  StartServer();
  for (TimestampMs t : {1000, 2000, 3000}) ASSERT_TRUE(store_.Commit(*MakeTick(t)).ok());
  Result<ClientResponse> r =
      HttpGet(port_,
              "/api/v1/metrics/history?metric=system_cpu_usage_percent%7Bcpu%3D%221%22%7D"
              "&from=0&to=5000");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(r->status, 200) << r->body;
  json doc = json::parse(r->body);
  ASSERT_EQ(doc["series"].size(), 1u);
  EXPECT_EQ(doc["series"][0]["points"], json::parse("[[1000,10],[2000,10],[3000,10]]"));
}

TEST_F(HttpServerTest, AnswersHeadWithHeadersOnly) {
  StartServer();
  HttpTestClient client;
  ASSERT_TRUE(client.Connect(port_).ok());
  Result<ClientResponse> r = client.Request("HEAD", "/api/v1/health");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, "");
  EXPECT_NE(r->Header("Content-Length"), "0");
  // The connection is still usable: no stray body bytes were sent.
  Result<ClientResponse> next = client.Request("GET", "/api/v1/health");
  ASSERT_TRUE(next.ok()) << next.status().ToString();
  EXPECT_EQ(next->status, 200);
}

TEST_F(HttpServerTest, AnswersUnknownRoutesWith404Json) {
  StartServer();
  Result<ClientResponse> r = HttpGet(port_, "/no/such/route");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->status, 404);
  EXPECT_EQ(json::parse(r->body)["error"], "no route for /no/such/route");
}

TEST_F(HttpServerTest, AnswersWrongMethodsWith405AndAllow) {
  StartServer();
  HttpTestClient client;
  ASSERT_TRUE(client.Connect(port_).ok());
  Result<ClientResponse> r = client.Request("POST", "/api/v1/health", "{}");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->status, 405);
  EXPECT_EQ(r->Header("Allow"), "GET, HEAD");
}

TEST_F(HttpServerTest, AnswersAnOversizeBodyWith413) {
  options_.max_body_bytes = 1024;
  StartServer();
  HttpTestClient client;
  ASSERT_TRUE(client.Connect(port_).ok());
  Result<ClientResponse> r = client.Request("POST", "/api/v1/health", std::string(256 * 1024, 'x'));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->status, 413);
  EXPECT_EQ(r->Header("Content-Type"), "application/json");
  EXPECT_EQ(json::parse(r->body)["error"], "request body exceeds the limit of 1024 bytes");
  EXPECT_TRUE(client.ClosedWithin(seconds(10)));
}

TEST_F(HttpServerTest, AnswersAnOversizeHeaderWith431) {
  StartServer();
  HttpTestClient client;
  ASSERT_TRUE(client.Connect(port_).ok());
  Result<ClientResponse> r =
      client.Request("GET", "/api/v1/health", "", {{"X-Padding", std::string(32 * 1024, 'p')}});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->status, 431);
}

TEST_F(HttpServerTest, AnswersGarbageWith400) {
  StartServer();
  HttpTestClient client;
  ASSERT_TRUE(client.Connect(port_).ok());
  ASSERT_TRUE(client.SendRaw("NOT AN HTTP REQUEST\r\n\r\n").ok());
  Result<ClientResponse> r = client.ReadResponse();
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->status, 400);
  EXPECT_TRUE(json::parse(r->body).contains("error"));
}

TEST_F(HttpServerTest, ClosesASilentConnectionAfterTheIdleTimeout) {
  options_.idle_timeout = seconds(1);
  StartServer();
  HttpTestClient client;
  ASSERT_TRUE(client.Connect(port_).ok());
  EXPECT_TRUE(client.ClosedWithin(seconds(10)));
}

TEST_F(HttpServerTest, CutsOffAClientTricklingItsHeaderByteByByte) {
  options_.idle_timeout = seconds(1);
  StartServer();
  HttpTestClient client;
  ASSERT_TRUE(client.Connect(port_).ok());
  ASSERT_TRUE(client.SendRaw("GET /api/v1/health HTTP/1.1\r\nX-Slow: ").ok());
  // Each byte arrives well within the idle timeout; the header as a whole never does.
  bool closed = false;
  auto deadline = std::chrono::steady_clock::now() + seconds(10);
  while (!closed && std::chrono::steady_clock::now() < deadline) {
    if (!client.SendRaw("a").ok()) {
      closed = true;
      break;
    }
    closed = client.ClosedWithin(milliseconds(200));
  }
  EXPECT_TRUE(closed);
}

TEST_F(HttpServerTest, RefusesConnectionsBeyondTheLimit) {
  options_.max_connections = 2;
  StartServer();
  auto a = std::make_unique<HttpTestClient>();
  HttpTestClient b;
  ASSERT_TRUE(a->Connect(port_).ok());
  ASSERT_TRUE(b.Connect(port_).ok());
  ASSERT_EQ(a->Request("GET", "/api/v1/health")->status, 200);
  ASSERT_EQ(b.Request("GET", "/api/v1/health")->status, 200);

  HttpTestClient refused;
  ASSERT_TRUE(refused.Connect(port_).ok());
  Result<ClientResponse> r = refused.Request("GET", "/api/v1/health");
  if (r.ok()) {
    EXPECT_EQ(r->status, 503);
    EXPECT_EQ(json::parse(r->body)["error"], "too many open connections");
  }  // else the server closed before the client could read: refused as well

  a.reset();  // frees a place
  bool served = false;
  for (int i = 0; i < 50 && !served; ++i) {
    Result<ClientResponse> again = HttpGet(port_, "/api/v1/health");
    served = again.ok() && again->status == 200;
    if (!served) std::this_thread::sleep_for(milliseconds(100));
  }
  EXPECT_TRUE(served);
}

TEST_F(HttpServerTest, StartFailsNamingTheAddressWhenThePortIsTaken) {
  StartServer();
  ApiOptions other = options_;
  other.port = port_;
  ApiServer second(registry_, store_, other);
  Status st = second.Start();
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.message().find("127.0.0.1:" + std::to_string(port_)), std::string::npos)
      << st.message();
}

TEST_F(HttpServerTest, StartFailsOnAnUnknownHost) {
  options_.host = "no-such-host.invalid";
  server_ = std::make_unique<ApiServer>(registry_, store_, options_);
  Status st = server_->Start();
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.message().find("no-such-host.invalid"), std::string::npos) << st.message();
}

TEST_F(HttpServerTest, StopClosesIdleKeepAliveConnections) {
  StartServer();
  HttpTestClient client;
  ASSERT_TRUE(client.Connect(port_).ok());
  ASSERT_EQ(client.Request("GET", "/api/v1/health")->status, 200);
  server_->Stop();
  EXPECT_TRUE(client.ClosedWithin(seconds(10)));
  server_->Stop();  // idempotent
}

TEST_F(HttpServerTest, PublishBeforeStartIsServedOnceStarted) {
  server_ = std::make_unique<ApiServer>(registry_, store_, options_);
  server_->Publish(MakeTick(777));
  ASSERT_TRUE(server_->Start().ok());
  Result<ClientResponse> r = HttpGet(server_->port(), "/api/v1/metrics");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(json::parse(r->body)["time"], 777);
}

}  // namespace
}  // namespace perfwatch::apitest
