// StatsdServer over a real UDP socket on 127.0.0.1.

#include "ingest/statsd_server.h"

#include <gtest/gtest.h>

#include <string>

#include "statsd_test_util.h"

namespace perfwatch {
namespace {

using statsd_test::Emit;
using statsd_test::UdpSender;
using statsd_test::ValueOf;
using statsd_test::WaitFor;

std::unique_ptr<StatsdServer> StartOnFreePort(AppMetrics& metrics, StatsdOptions options = {}) {
  options.listen = "127.0.0.1:0";
  Result<std::unique_ptr<StatsdServer>> server = StatsdServer::Start(options, metrics);
  EXPECT_TRUE(server.ok()) << server.status().ToString();
  return server.ok() ? std::move(*server) : nullptr;
}

bool WaitAccepted(const AppMetrics& metrics, uint64_t n) {
  return WaitFor([&] { return metrics.AcceptedCount(IngestSource::kStatsd) >= n; });
}

TEST(StatsdServer, IngestsEveryTypeSentOverUdp) {
  AppMetrics metrics;
  auto server = StartOnFreePort(metrics);
  ASSERT_NE(server, nullptr);
  ASSERT_NE(server->port(), 0);
  UdpSender udp(server->port());
  udp.Send("shop.orders:1|c|#region:eu\nshop.orders:3|c|@0.25|#region:eu\n");
  udp.Send("queue:10|g\nqueue:+5|g\r\nqueue:-3|g");
  std::string timers;
  for (int v = 1; v <= 100; ++v) timers += "api.request:" + std::to_string(v) + "|ms|#status:200\n";
  udp.Send(timers);
  udp.Send("users:alice|s\nusers:bob|s\nusers:alice|s");
  ASSERT_TRUE(WaitAccepted(metrics, 2 + 3 + 100 + 3));

  auto out = Emit(metrics);
  EXPECT_EQ(ValueOf(out, "shop_orders_total{region=\"eu\"}"), 1 + 12);
  EXPECT_EQ(ValueOf(out, "queue"), 12);
  EXPECT_EQ(ValueOf(out, "api_request_milliseconds_count{status=\"200\"}"), 100);
  EXPECT_EQ(ValueOf(out, "api_request_milliseconds_sum{status=\"200\"}"), 5050);
  EXPECT_NEAR(ValueOf(out, "api_request_milliseconds{quantile=\"0.95\",status=\"200\"}"), 95,
              95 * 0.011);
  EXPECT_EQ(ValueOf(out, "users"), 2);
  EXPECT_EQ(ValueOf(out, "perfwatch_ingest_messages_total{source=\"statsd\"}"), 4);

  StatsdServerStats stats = server->Stats();
  EXPECT_EQ(stats.datagrams, 4u);
  EXPECT_EQ(stats.lines, 2u + 3 + 100 + 3);
  EXPECT_EQ(stats.receive_errors, 0u);
}

TEST(StatsdServer, SurvivesMalformedDatagramsAndKeepsTheirGoodLines) {
  AppMetrics metrics;
  auto server = StartOnFreePort(metrics);
  ASSERT_NE(server, nullptr);
  UdpSender udp(server->port());
  udp.Send("x:1|c|@Infinity");  // kills Etsy's statsd
  udp.Send(std::string("\0\0\0", 3));
  udp.Send(std::string(60000, '|'));
  udp.Send("ok:1|c\n_e{1,1}:a|b\nx:NaN|g\nok:1|c");
  udp.Send("");
  ASSERT_TRUE(WaitAccepted(metrics, 2));
  EXPECT_EQ(ValueOf(Emit(metrics), "ok_total"), 2);
  EXPECT_EQ(metrics.ErrorCount(IngestSource::kStatsd, "bad_sample_rate"), 1u);
  EXPECT_EQ(metrics.ErrorCount(IngestSource::kStatsd, "unsupported"), 1u);
  EXPECT_EQ(metrics.ErrorCount(IngestSource::kStatsd, "bad_value"), 1u);
  EXPECT_EQ(metrics.ErrorCount(IngestSource::kStatsd, "line_too_long"), 1u);
  EXPECT_EQ(metrics.ErrorCount(IngestSource::kStatsd, "missing_value"), 1u);  // "\0\0\0"
  // Still serving.
  udp.Send("ok:5|c");
  ASSERT_TRUE(WaitAccepted(metrics, 3));
  EXPECT_EQ(ValueOf(Emit(metrics), "ok_total"), 7);
}

TEST(StatsdServer, ReceivesManyDatagramsInBatches) {
  AppMetrics metrics;
  StatsdOptions options;
  options.receive_buffer_bytes = 4 << 20;
  auto server = StartOnFreePort(metrics, options);
  ASSERT_NE(server, nullptr);
  UdpSender udp(server->port());
  constexpr int kDatagrams = 2000;
  // In bursts of 100, so a receive buffer capped by net.core.rmem_max
  // (212992 bytes by default) never overflows.
  for (int i = 0; i < kDatagrams; ++i) {
    udp.Send("n:1|c\nm:" + std::to_string(i) + "|g");
    if ((i + 1) % 100 == 0) {
      ASSERT_TRUE(WaitAccepted(metrics, 2 * (i + 1)));
    }
  }
  auto out = Emit(metrics);
  EXPECT_EQ(ValueOf(out, "n_total"), kDatagrams);
  EXPECT_EQ(ValueOf(out, "m"), kDatagrams - 1);  // datagrams arrive in order on loopback
  StatsdServerStats stats = server->Stats();
  EXPECT_EQ(stats.datagrams, static_cast<uint64_t>(kDatagrams));
  EXPECT_LE(stats.receive_calls, stats.datagrams);
  EXPECT_GE(stats.receive_calls, static_cast<uint64_t>(kDatagrams / 64));
}

TEST(StatsdServer, HistogramKindOptionReachesTheIngester) {
  AppMetrics metrics;
  StatsdOptions options;
  options.histogram_kind = AppKind::kSummary;
  auto server = StartOnFreePort(metrics, options);
  ASSERT_NE(server, nullptr);
  UdpSender(server->port()).Send("lat:10|h");
  ASSERT_TRUE(WaitAccepted(metrics, 1));
  auto out = Emit(metrics);
  EXPECT_NEAR(ValueOf(out, "lat{quantile=\"0.5\"}"), 10, 0.1);
}

TEST(StatsdServer, NamesTheAddressItCannotBind) {
  AppMetrics metrics;
  auto first = StartOnFreePort(metrics);
  ASSERT_NE(first, nullptr);
  StatsdOptions options;
  options.listen = "127.0.0.1:" + std::to_string(first->port());
  Result<std::unique_ptr<StatsdServer>> second = StatsdServer::Start(options, metrics);
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.status().code(), Status::Code::kIOError);
  EXPECT_EQ(second.status().message(),
            "cannot listen on " + options.listen + ": Address already in use");
}

TEST(StatsdServer, RefusesMalformedAddresses) {
  AppMetrics metrics;
  for (std::string listen : {"8125", "127.0.0.1", "127.0.0.1:", "127.0.0.1:70000", "127.0.0.1:x",
                             ":8125", "::1:8125", "[::1]8125", "[::1]:"}) {
    StatsdOptions options;
    options.listen = listen;
    Result<std::unique_ptr<StatsdServer>> server = StatsdServer::Start(options, metrics);
    ASSERT_FALSE(server.ok()) << listen;
    EXPECT_EQ(server.status().code(), Status::Code::kInvalidArgument) << listen;
    EXPECT_NE(server.status().message().find(listen), std::string::npos)
        << server.status().message();
  }
}

TEST(StatsdServer, SplitsHostAndPort) {
  std::string host;
  uint16_t port = 0;
  ASSERT_TRUE(SplitHostPort("127.0.0.1:8125", &host, &port));
  EXPECT_EQ(host, "127.0.0.1");
  EXPECT_EQ(port, 8125);
  ASSERT_TRUE(SplitHostPort("[::1]:0", &host, &port));
  EXPECT_EQ(host, "::1");
  EXPECT_EQ(port, 0);
  ASSERT_TRUE(SplitHostPort("localhost:65535", &host, &port));
  EXPECT_EQ(port, 65535);
}

TEST(StatsdServer, ListensOnIpv6Loopback) {
  AppMetrics metrics;
  StatsdOptions options;
  options.listen = "[::1]:0";
  Result<std::unique_ptr<StatsdServer>> server = StatsdServer::Start(options, metrics);
  if (!server.ok()) GTEST_SKIP() << "no IPv6 loopback here: " << server.status().ToString();
  int fd = socket(AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  sockaddr_in6 to{};
  to.sin6_family = AF_INET6;
  to.sin6_port = htons((*server)->port());
  to.sin6_addr = in6addr_loopback;
  const std::string_view line = "v6:1|c";
  ASSERT_EQ(sendto(fd, line.data(), line.size(), 0, reinterpret_cast<sockaddr*>(&to), sizeof(to)),
            static_cast<ssize_t>(line.size()));
  close(fd);
  ASSERT_TRUE(WaitAccepted(metrics, 1));
  EXPECT_EQ(ValueOf(Emit(metrics), "v6_total"), 1);
}

TEST(StatsdServer, StopsIdlingAndTwice) {
  AppMetrics metrics;
  auto server = StartOnFreePort(metrics);
  ASSERT_NE(server, nullptr);
  server->Stop();  // the thread sleeps in poll with no timeout: Stop must wake it
  server->Stop();
  UdpSender udp(server->port());
  udp.Send("late:1|c");
  EXPECT_EQ(server->Stats().datagrams, 0u);
}

}  // namespace
}  // namespace perfwatch
