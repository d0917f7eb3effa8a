// The client library seen from the wire: a real UDP socket on 127.0.0.1
// receives what a Client sends. Flush() sends on the calling thread and
// loopback delivers during sendto, so after Flush() returns the datagrams are
// already queued and are read without waiting.

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <perfwatch/client.hpp>
#include <set>
#include <string>
#include <thread>
#include <vector>

namespace perfwatch {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

// A UDP socket bound to 127.0.0.1 on a port of the kernel's choice.
class UdpReceiver {
 public:
  UdpReceiver() {
    fd_ = ::socket(AF_INET, SOCK_DGRAM, 0);
    int buffer = 8 << 20;
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVBUF, &buffer, sizeof(buffer));
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
    socklen_t len = sizeof(addr);
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
  }
  ~UdpReceiver() { Close(); }
  void Close() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

  uint16_t port() const { return port_; }

  // The datagrams queued now.
  std::vector<std::string> Drain() {
    std::vector<std::string> out;
    char buf[65536];
    ssize_t n;
    while ((n = ::recv(fd_, buf, sizeof(buf), MSG_DONTWAIT)) >= 0) out.emplace_back(buf, n);
    return out;
  }

  // The next datagram, waiting for the client's background thread.
  std::string Next() {
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, 30'000) != 1) return "";
    char buf[65536];
    ssize_t n = ::recv(fd_, buf, sizeof(buf), 0);
    return n < 0 ? "" : std::string(buf, n);
  }

 private:
  int fd_ = -1;
  uint16_t port_ = 0;
};

std::vector<std::string> Lines(const std::vector<std::string>& datagrams) {
  std::vector<std::string> out;
  for (const std::string& d : datagrams) {
    size_t start = 0;
    while (start <= d.size()) {
      size_t nl = d.find('\n', start);
      if (nl == std::string::npos) nl = d.size();
      out.push_back(d.substr(start, nl - start));
      start = nl + 1;
    }
  }
  return out;
}

// Options for a client that sends only when told to (Flush, destruction).
ClientOptions To(const UdpReceiver& receiver) {
  ClientOptions options;
  options.port = receiver.port();
  options.flush_interval = std::chrono::hours(1);
  return options;
}

TEST(Client, SendsCounterDeltasSinceThePreviousFlush) {
  UdpReceiver receiver;
  Client pw(To(receiver));
  Counter& orders = pw.GetCounter("shop.orders");
  orders.Add(3);
  orders.Increment();
  orders.Add(int64_t{1});
  pw.Flush();
  EXPECT_THAT(Lines(receiver.Drain()), ElementsAre("shop.orders:5|c"));
  orders.Add(2u);
  pw.Flush();
  EXPECT_THAT(Lines(receiver.Drain()), ElementsAre("shop.orders:2|c"));
  pw.Flush();  // nothing added: nothing sent
  EXPECT_THAT(receiver.Drain(), IsEmpty());
}

TEST(Client, AddsFractionalAndWholeCounterDeltasTogether) {
  UdpReceiver receiver;
  Client pw(To(receiver));
  Counter& bytes = pw.GetCounter("shop.bytes");
  bytes.Add(0.25);
  bytes.Add(2);
  bytes.Add(0.5f);
  pw.Flush();
  EXPECT_THAT(Lines(receiver.Drain()), ElementsAre("shop.bytes:2.75|c"));
}

TEST(Client, ReturnsTheSameMetricForTheSameNameAndTags) {
  UdpReceiver receiver;
  Client pw(To(receiver));
  EXPECT_EQ(&pw.GetCounter("a", {{"k", "1"}, {"j", "2"}}),
            &pw.GetCounter("a", {{"j", "2"}, {"k", "1"}}));
  EXPECT_NE(&pw.GetCounter("a", {{"k", "1"}}), &pw.GetCounter("a", {{"k", "2"}}));
  EXPECT_NE(&pw.GetCounter("a"), &pw.GetCounter("b"));
}

TEST(Client, SpellingsOfOneSeriesShareOneMetric) {
  UdpReceiver receiver;
  ClientOptions options = To(receiver);
  options.app = "shop";
  Client pw(options);
  EXPECT_EQ(&pw.GetCounter("a:b"), &pw.GetCounter("a|b"));
  EXPECT_EQ(&pw.GetCounter("a", {{"app", "shop"}}), &pw.GetCounter("a"));
  EXPECT_NE(static_cast<void*>(&pw.GetCounter("x")), static_cast<void*>(&pw.GetGauge("x")));
  for (int i = 0; i < 2; ++i) {
    Timer t = pw.Time("Load");
  }
  pw.Flush();
  std::vector<std::string> lines = Lines(receiver.Drain());
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(std::count(lines[0].begin(), lines[0].end(), ':'), 2 + 2);  // 2 values, 2 tags
}

TEST(Client, SendsGaugesEveryFlushOnceSet) {
  UdpReceiver receiver;
  Client pw(To(receiver));
  Gauge& size = pw.GetGauge("shop.cache.size");
  pw.Flush();
  EXPECT_THAT(receiver.Drain(), IsEmpty());
  size.Set(42);
  pw.Flush();
  EXPECT_THAT(Lines(receiver.Drain()), ElementsAre("shop.cache.size:42|g"));
  pw.Flush();
  EXPECT_THAT(Lines(receiver.Drain()), ElementsAre("shop.cache.size:42|g"));
  size.Add(-0.5);
  pw.Flush();
  EXPECT_THAT(Lines(receiver.Drain()), ElementsAre("shop.cache.size:41.5|g"));
}

TEST(Client, SetsANegativeGaugeByZeroThenTheValueInOneDatagram) {
  UdpReceiver receiver;
  Client pw(To(receiver));
  pw.GetGauge("temperature", {{"room", "cellar"}}).Set(-3.5);
  pw.Flush();
  EXPECT_THAT(receiver.Drain(), ElementsAre("temperature:0|g|#room:cellar\n"
                                            "temperature:-3.5|g|#room:cellar"));
}

TEST(Client, SendsObservationsAsOneMultiValueLine) {
  UdpReceiver receiver;
  ClientOptions options = To(receiver);
  options.app = "shop";
  Client pw(options);
  pw.Timing("api.request", 1.5, {{"status", "200"}});
  pw.Timing("api.request", 2, {{"status", "200"}});
  pw.Timing("api.request", 3, {{"status", "200"}});
  pw.Timing("api.request", 250, {{"status", "500"}});
  pw.GetHistogram("batch.size", {}, HistogramType::kHistogram).Observe(7);
  pw.GetHistogram("payload", {}, HistogramType::kDistribution).Observe(0.125);
  pw.Flush();
  EXPECT_THAT(Lines(receiver.Drain()),
              ElementsAre("api.request:1.5:2:3|ms|#app:shop,status:200",
                          "api.request:250|ms|#app:shop,status:500", "batch.size:7|h|#app:shop",
                          "payload:0.125|d|#app:shop"));
  pw.Flush();
  EXPECT_THAT(receiver.Drain(), IsEmpty());
}

TEST(Client, MergesClientTagsAppAndOwnTagsSortedByKey) {
  UdpReceiver receiver;
  ClientOptions options = To(receiver);
  options.app = "optimizer";
  options.tags = {{"host", "h1"}, {"env", "prod"}};
  Client pw(options);
  pw.GetCounter("runs", {{"env", "test"}, {"zone", "a"}, {"empty", ""}}).Add(1);
  pw.GetCounter("other", {{"app", "mine"}}).Add(1);
  pw.Flush();
  EXPECT_THAT(Lines(receiver.Drain()),
              ElementsAre("runs:1|c|#app:optimizer,env:test,host:h1,zone:a",
                          "other:1|c|#app:mine,env:prod,host:h1"));
}

TEST(Client, PutsThePrefixBeforeNamesButNotComponentTimers) {
  UdpReceiver receiver;
  ClientOptions options = To(receiver);
  options.prefix = "shop";
  Client pw(options);
  pw.GetCounter("orders").Add(1);
  pw.Time("Data Loading").Cancel();
  { Timer t = pw.Time("Data Loading"); }
  pw.Flush();
  std::vector<std::string> lines = Lines(receiver.Drain());
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[0], "shop.orders:1|c");
  EXPECT_THAT(lines[1], ::testing::StartsWith("component.duration:"));
  EXPECT_THAT(lines[1], ::testing::EndsWith("|ms|#component:Data Loading"));
}

TEST(Client, TimesComponentsInMilliseconds) {
  UdpReceiver receiver;
  ClientOptions options = To(receiver);
  options.app = "optimizer";
  Client pw(options);
  double recorded;
  {
    Timer t = pw.Time("Optimization");
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    recorded = t.Stop();
    EXPECT_EQ(t.Stop(), 0);  // once only
  }
  EXPECT_GE(recorded, 20);
  pw.Flush();
  std::vector<std::string> lines = Lines(receiver.Drain());
  ASSERT_EQ(lines.size(), 1u);
  char value[32];
  std::snprintf(value, sizeof(value), "%.17g", recorded);
  const std::string expected_prefix = "component.duration:";
  ASSERT_THAT(lines[0], ::testing::StartsWith(expected_prefix));
  EXPECT_DOUBLE_EQ(std::strtod(lines[0].c_str() + expected_prefix.size(), nullptr), recorded);
  EXPECT_THAT(lines[0], ::testing::EndsWith("|ms|#app:optimizer,component:Optimization"));
}

TEST(Client, MovedTimerRecordsOnce) {
  UdpReceiver receiver;
  Client pw(To(receiver));
  {
    Timer a = pw.GetHistogram("step").Time();
    Timer b = std::move(a);
    Timer c;
    c = std::move(b);
  }
  pw.Flush();
  std::vector<std::string> lines = Lines(receiver.Drain());
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(std::count(lines[0].begin(), lines[0].end(), ':'), 1);
}

TEST(Client, NeverSendsADatagramOverMaxPacketBytes) {
  UdpReceiver receiver;
  ClientOptions options = To(receiver);
  options.max_packet_bytes = 200;
  options.max_observations = 5000;
  Client pw(options);
  for (int i = 0; i < 300; ++i) pw.GetCounter("counter.number." + std::to_string(i)).Add(i + 1);
  Histogram& latency = pw.GetHistogram("latency", {{"route", "/cart"}});
  for (int i = 0; i < 5000; ++i) latency.Observe(i * 0.001);
  pw.Flush();

  std::vector<std::string> datagrams = receiver.Drain();
  ASSERT_GT(datagrams.size(), 10u);
  std::set<std::string> counters;
  std::multiset<double> observed;
  for (const std::string& d : datagrams) EXPECT_LE(d.size(), 200u) << d;
  for (const std::string& line : Lines(datagrams)) {
    if (line.rfind("counter.number.", 0) == 0) {
      counters.insert(line);
      continue;
    }
    ASSERT_THAT(line, ::testing::StartsWith("latency:"));
    ASSERT_THAT(line, ::testing::EndsWith("|ms|#route:/cart"));
    const char* p = line.c_str() + std::strlen("latency");
    while (*p == ':') {
      char* end;
      observed.insert(std::strtod(p + 1, &end));
      p = end;
    }
  }
  EXPECT_EQ(counters.size(), 300u);
  EXPECT_EQ(counters.count("counter.number.299:300|c"), 1u);
  ASSERT_EQ(observed.size(), 5000u);
  EXPECT_EQ(*observed.begin(), 0);
  EXPECT_EQ(*observed.rbegin(), 4.999);
  EXPECT_EQ(pw.Stats().packets_sent, datagrams.size());
}

TEST(Client, DropsALineLongerThanAPacketAndSendsTheRest) {
  UdpReceiver receiver;
  ClientOptions options = To(receiver);
  options.max_packet_bytes = 100;
  Client pw(options);
  pw.GetCounter(std::string(150, 'x')).Add(1);
  pw.GetCounter("short").Add(1);
  pw.Flush();
  EXPECT_THAT(Lines(receiver.Drain()), ElementsAre("short:1|c"));
  EXPECT_EQ(pw.Stats().lines_dropped, 1u);
}

TEST(Client, SanitizesHostileNamesAndTags) {
  UdpReceiver receiver;
  ClientOptions options = To(receiver);
  options.app = "my|app\n";
  Client pw(options);
  pw.GetCounter("a:b|c@d#e,f\ng h\r1", {{"bad key:x|", "v:1|2@3#4,5\n6\x7f"}, {"9lives", "é\xff!"}})
      .Add(1);
  pw.GetGauge("2fast").Set(1);
  pw.Flush();
  EXPECT_THAT(
      receiver.Drain(),
      ElementsAre("a_b_c_d_e_f_g_h_1:1|c|#_9lives:é_!,app:my_app_,bad_key_x_:v_1_2_3_4_5_6_\n"
                  "_2fast:1|g|#app:my_app_"));
}

TEST(Client, KeepsSendingWhenNothingListens) {
  int closed_port;
  {
    UdpReceiver gone;
    closed_port = gone.port();
  }
  ClientOptions options;
  options.port = static_cast<uint16_t>(closed_port);
  options.flush_interval = std::chrono::hours(1);
  Client pw(options);
  for (int i = 0; i < 3; ++i) {
    pw.GetCounter("c").Add(1);
    pw.Flush();
  }
  // An unconnected socket gets no ICMP errors on Linux, so each send either
  // went out or failed; both are counted, neither reaches the caller.
  ClientStats stats = pw.Stats();
  EXPECT_EQ(stats.packets_sent + stats.send_errors, 3u);
}

TEST(Client, DropsAndCountsWhenTheHostDoesNotResolve) {
  ClientOptions options;
  options.host = "perfwatch-client-test.invalid";
  options.flush_interval = std::chrono::hours(1);
  Client pw(options);
  pw.GetCounter("c").Add(1);
  pw.GetGauge("g").Set(1);
  pw.Flush();
  ClientStats stats = pw.Stats();
  EXPECT_GE(stats.resolve_errors, 1u);
  EXPECT_EQ(stats.send_errors, 1u);
  EXPECT_EQ(stats.packets_sent, 0u);
}

TEST(Client, FlushesOnDestruction) {
  UdpReceiver receiver;
  {
    Client pw(To(receiver));
    pw.GetCounter("last.words").Add(7);
  }
  EXPECT_THAT(Lines(receiver.Drain()), ElementsAre("last.words:7|c"));
}

TEST(Client, FlushesOnItsOwnEveryInterval) {
  UdpReceiver receiver;
  ClientOptions options = To(receiver);
  options.flush_interval = std::chrono::milliseconds(10);
  Client pw(options);
  pw.GetCounter("ticks").Add(2);
  EXPECT_EQ(receiver.Next(), "ticks:2|c");
}

TEST(Client, SumsConcurrentAddsExactlyAcrossFlushes) {
  UdpReceiver receiver;
  Client pw(To(receiver));
  Counter& hits = pw.GetCounter("hits");
  constexpr int kThreads = 4;
  constexpr int kAdds = 200'000;
  std::atomic<int> running{kThreads};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kAdds; ++i) {
        if (t % 2 == 0) {
          hits.Add(1);
        } else {
          hits.Add(1.0);
        }
      }
      running.fetch_sub(1);
    });
  }
  double total = 0;
  auto collect = [&] {
    for (const std::string& line : Lines(receiver.Drain())) {
      ASSERT_THAT(line, ::testing::StartsWith("hits:"));
      total += std::strtod(line.c_str() + 5, nullptr);
    }
  };
  while (running.load() > 0) {
    pw.Flush();
    collect();
  }
  for (std::thread& t : threads) t.join();
  pw.Flush();
  collect();
  EXPECT_EQ(total, kThreads * kAdds);
}

TEST(Client, KeepsAUniformSampleOfTooManyObservationsWithTheirRate) {
  UdpReceiver receiver;
  ClientOptions options = To(receiver);
  options.max_observations = 10;
  Client pw(options);
  Histogram& h = pw.GetHistogram("busy");
  for (int i = 1; i <= 100; ++i) h.Observe(i);
  pw.Flush();
  std::vector<std::string> lines = Lines(receiver.Drain());
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_THAT(lines[0], ::testing::EndsWith("|ms|@0.1"));
  std::set<double> kept;
  for (const char* p = lines[0].c_str() + 4; *p == ':';) {
    char* end;
    kept.insert(std::strtod(p + 1, &end));
    p = end;
  }
  EXPECT_EQ(kept.size(), 10u);
  EXPECT_GE(*kept.begin(), 1);
  EXPECT_LE(*kept.rbegin(), 100);
  EXPECT_GT(*kept.rbegin(), 10);  // not just the first ten
  EXPECT_EQ(pw.Stats().observations_dropped, 90u);

  h.Observe(5);  // the next interval starts empty
  pw.Flush();
  EXPECT_THAT(Lines(receiver.Drain()), ElementsAre("busy:5|ms"));
}

TEST(Client, IgnoresAndCountsInvalidValues) {
  UdpReceiver receiver;
  Client pw(To(receiver));
  pw.GetCounter("c").Add(-1);
  pw.GetCounter("c").Add(-0.5);
  pw.GetCounter("c").Add(std::nan(""));
  pw.GetCounter("c").Add(HUGE_VAL);
  pw.GetGauge("g").Set(std::nan(""));
  pw.GetGauge("g").Add(HUGE_VAL);
  pw.Timing("t", std::nan(""));
  pw.Flush();
  EXPECT_THAT(receiver.Drain(), IsEmpty());
  EXPECT_EQ(pw.Stats().invalid_values, 7u);
}

class Environment : public ::testing::Test {
 protected:
  void TearDown() override {
    ::unsetenv("PERFWATCH_STATSD");
    ::unsetenv("PERFWATCH_APP");
  }
};

TEST_F(Environment, ReadsHostPortAndApp) {
  ::setenv("PERFWATCH_STATSD", "10.1.2.3:9125", 1);
  ::setenv("PERFWATCH_APP", "optimizer", 1);
  ClientOptions options = ClientOptions::FromEnvironment();
  EXPECT_EQ(options.host, "10.1.2.3");
  EXPECT_EQ(options.port, 9125);
  EXPECT_EQ(options.app, "optimizer");
}

TEST_F(Environment, ReadsIpv6AndHostWithoutPort) {
  ::setenv("PERFWATCH_STATSD", "[::1]:8126", 1);
  EXPECT_EQ(ClientOptions::FromEnvironment().host, "::1");
  EXPECT_EQ(ClientOptions::FromEnvironment().port, 8126);
  ::setenv("PERFWATCH_STATSD", "metrics.local", 1);
  EXPECT_EQ(ClientOptions::FromEnvironment().host, "metrics.local");
  EXPECT_EQ(ClientOptions::FromEnvironment().port, 8125);
}

TEST_F(Environment, KeepsDefaultsForAMalformedValue) {
  for (const char* bad : {"host:", "host:0", "host:65536", "host:12x", "[::1"}) {
    ::setenv("PERFWATCH_STATSD", bad, 1);
    ClientOptions options = ClientOptions::FromEnvironment();
    EXPECT_EQ(options.host, "127.0.0.1") << bad;
    EXPECT_EQ(options.port, 8125) << bad;
  }
  ::unsetenv("PERFWATCH_STATSD");
  EXPECT_EQ(ClientOptions::FromEnvironment().host, "127.0.0.1");
}

TEST_F(Environment, ClientSendsWhereTheEnvironmentSays) {
  UdpReceiver receiver;
  ::setenv("PERFWATCH_STATSD", ("127.0.0.1:" + std::to_string(receiver.port())).c_str(), 1);
  ::setenv("PERFWATCH_APP", "from-env", 1);
  {
    Client pw;
    pw.GetCounter("c").Add(1);
  }
  EXPECT_THAT(Lines(receiver.Drain()), ElementsAre("c:1|c|#app:from-env"));
}

}  // namespace
}  // namespace perfwatch
