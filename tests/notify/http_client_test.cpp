#include "net/http_client.h"

#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

#include "test_http_server.h"

namespace perfwatch {
namespace {

using testing::kNoAnswer;
using testing::TestHttpServer;

TEST(ParseHttpUrl, SplitsHostPortAndTarget) {
  Result<HttpUrl> url = ParseHttpUrl("http://127.0.0.1:9095/hook?x=1");
  ASSERT_TRUE(url.ok()) << url.status().message();
  EXPECT_EQ(url->host, "127.0.0.1");
  EXPECT_EQ(url->port, 9095);
  EXPECT_EQ(url->target, "/hook?x=1");
  EXPECT_EQ(url->ToString(), "http://127.0.0.1:9095/hook?x=1");
}

TEST(ParseHttpUrl, DefaultsPortAndPath) {
  Result<HttpUrl> url = ParseHttpUrl("HTTP://alerts.example.com");
  ASSERT_TRUE(url.ok());
  EXPECT_EQ(url->host, "alerts.example.com");
  EXPECT_EQ(url->port, 80);
  EXPECT_EQ(url->target, "/");
  EXPECT_EQ(ParseHttpUrl("http://h?q=1")->target, "/?q=1");
}

TEST(ParseHttpUrl, AcceptsBracketedIpv6) {
  Result<HttpUrl> url = ParseHttpUrl("http://[::1]:8080/x");
  ASSERT_TRUE(url.ok()) << url.status().message();
  EXPECT_EQ(url->host, "::1");
  EXPECT_EQ(url->Authority(), "[::1]:8080");
}

TEST(ParseHttpUrl, RejectsGarbageNamingTheProblem) {
  const std::pair<std::string, std::string> cases[] = {
      {"", "empty"},
      {"https://h/hook", "https is not supported"},
      {"ftp://h/", "expected http://"},
      {"127.0.0.1:9095/hook", "expected http://"},
      {"http://user:pw@h/", "credentials"},
      {"http://h:0/", "port \"0\""},
      {"http://h:65536/", "port \"65536\""},
      {"http://h:8o/", "port \"8o\""},
      {"http://h:/", "port \"\""},
      {"http:///hook", "missing host"},
      {"http://h/a b", "space"},
      {"http://h/a#frag", "fragment"},
      {"http://[::1/", "unterminated"},
      {"http://[zz]/", "not an IPv6"},
      {"http://ho$t/", "host contains '$'"},
  };
  for (const auto& [url, why] : cases) {
    Result<HttpUrl> parsed = ParseHttpUrl(url);
    ASSERT_FALSE(parsed.ok()) << url;
    EXPECT_EQ(parsed.status().code(), Status::Code::kInvalidArgument);
    EXPECT_NE(parsed.status().message().find(why), std::string::npos)
        << url << " -> " << parsed.status().message();
  }
}

TEST(ValidateHttpHeader, RefusesHeaderInjection) {
  EXPECT_TRUE(ValidateHttpHeader("Authorization", "Bearer abc").ok());
  EXPECT_FALSE(ValidateHttpHeader("Bad Name", "x").ok());
  EXPECT_FALSE(ValidateHttpHeader("", "x").ok());
  Status s = ValidateHttpHeader("X-A", "x\r\nX-Evil: 1");
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("X-A"), std::string::npos);
}

TEST(HttpPost, SendsBodyAndHeadersAndReturnsTheStatus) {
  TestHttpServer server([](size_t) { return 503; });
  Result<HttpUrl> url = ParseHttpUrl(server.Url("/hook?a=1"));
  ASSERT_TRUE(url.ok());
  Result<HttpReply> response = HttpPost(*url, {{"Authorization", "Bearer t0k"}}, "application/json",
                                        "{\"x\":1}", std::chrono::milliseconds(5000));
  ASSERT_TRUE(response.ok()) << response.status().message();
  EXPECT_EQ(response->status, 503);
  EXPECT_EQ(response->body, "error");
  auto requests = server.Requests();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0].method, "POST");
  EXPECT_EQ(requests[0].target, "/hook?a=1");
  EXPECT_EQ(requests[0].body, "{\"x\":1}");
  EXPECT_EQ(requests[0].headers["content-type"], "application/json");
  EXPECT_EQ(requests[0].headers["authorization"], "Bearer t0k");
  EXPECT_EQ(requests[0].headers["host"], "127.0.0.1:" + std::to_string(server.port()));
  EXPECT_EQ(requests[0].headers["user-agent"].rfind("perfwatch/", 0), 0u);
}

TEST(HttpPost, GivesUpAtTheDeadlineWhenTheServerNeverAnswers) {
  TestHttpServer server([](size_t) { return kNoAnswer; });
  Result<HttpReply> response =
      HttpPost(*ParseHttpUrl(server.Url()), {}, "text/plain", "x", std::chrono::milliseconds(200));
  ASSERT_FALSE(response.ok());
  EXPECT_EQ(response.status().code(), Status::Code::kUnavailable);
  EXPECT_NE(response.status().message().find("timed out"), std::string::npos)
      << response.status().message();
  EXPECT_EQ(server.Requests().size(), 1u);
}

TEST(HttpPost, ReportsARefusedConnection) {
  uint16_t port;
  {
    boost::asio::io_context ioc;
    boost::asio::ip::tcp::acceptor acceptor(ioc, {boost::asio::ip::make_address("127.0.0.1"), 0});
    port = acceptor.local_endpoint().port();
  }  // closed: nothing listens there now
  HttpUrl url{.host = "127.0.0.1", .port = port, .target = "/"};
  Result<HttpReply> response =
      HttpPost(url, {}, "text/plain", "x", std::chrono::milliseconds(2000));
  ASSERT_FALSE(response.ok());
  EXPECT_EQ(response.status().code(), Status::Code::kUnavailable);
  EXPECT_NE(response.status().message().find("connecting to 127.0.0.1"), std::string::npos)
      << response.status().message();
}

}  // namespace
}  // namespace perfwatch

namespace perfwatch {
namespace {

TEST(HttpGet, ReadsTheBody) {
  testing::TestHttpServer server;
  Result<HttpReply> reply =
      HttpGet(*ParseHttpUrl(server.Url("/api/v1/analysis")), {}, std::chrono::milliseconds(5000));
  ASSERT_TRUE(reply.ok()) << reply.status().message();
  EXPECT_EQ(reply->status, 200);
  EXPECT_EQ(reply->body, "ok");
  auto requests = server.Requests();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0].method, "GET");
  EXPECT_EQ(requests[0].target, "/api/v1/analysis");
}

}  // namespace
}  // namespace perfwatch
