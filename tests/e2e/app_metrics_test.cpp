// End-to-end: an application instrumented with perfwatch's own client
// library (include/perfwatch/client.hpp) and a Prometheus-text push reach
// the real binary, and come back out of the API as the application figures
// the seeds asked for — average and p95 response time, requests/s, error
// rate, cache hit rate and size, throughput and component timings — and as
// series in /metrics.

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <nlohmann/json.hpp>
#include <perfwatch/client.hpp>
#include <thread>

#include "harness.h"

namespace perfwatch::e2e {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;

HttpResult Post(uint16_t port, const std::string& target, const std::string& content_type,
                const std::string& body) {
  return HttpRaw(port, "POST " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: " +
                           content_type + "\r\nContent-Length: " + std::to_string(body.size()) +
                           "\r\nConnection: close\r\n\r\n" + body);
}

// The value of the one series of `query` (an instant PromQL query), or NaN.
double Query(uint16_t port, const std::string& query) {
  std::string target = "/api/v1/query?query=";
  for (char c : query) {
    if (std::isalnum(static_cast<unsigned char>(c)) || c == '_') {
      target += c;
    } else {
      char buf[4];
      std::snprintf(buf, sizeof buf, "%%%02X", static_cast<unsigned char>(c));
      target += buf;
    }
  }
  HttpResult r = HttpGet(port, target);
  json j = json::parse(r.body, nullptr, false);
  if (r.status != 200 || !j.is_object()) return NAN;
  const json& result = j["data"]["result"];
  if (!result.is_array() || result.size() != 1) return NAN;
  return std::stod(result[0]["value"][1].get<std::string>());
}

// Polls `query` until it holds a finite value satisfying `ok` (figures need
// a tick or two to appear), returning the last value seen.
template <typename Pred>
double WaitFor(uint16_t port, const std::string& query, Pred ok) {
  double v = NAN;
  for (int i = 0; i < 60; ++i) {
    v = Query(port, query);
    if (std::isfinite(v) && ok(v)) break;
    std::this_thread::sleep_for(250ms);
  }
  return v;
}

TEST(AppMetricsE2e, ClientLibraryFiguresComeBackAsTheSeedsApplicationMetrics) {
  PerfwatchProcess perfwatch({"--interval", "1s", "--data-dir", FreshDir("pw_app_e2e")});
  ASSERT_TRUE(perfwatch.started()) << perfwatch.log();
  ASSERT_NE(perfwatch.statsd_port(), 0) << perfwatch.log();

  ClientOptions options;
  options.port = perfwatch.statsd_port();
  options.app = "shop";
  options.flush_interval = 100ms;
  {
    Client pw(options);
    // 200 requests: 180 fast successes at 10 ms, 20 failures at 400 ms, so
    // the error rate is 10 %, the mean 49 ms and the p95 400 ms.
    for (int i = 0; i < 180; ++i) pw.Timing("shop.request", 10, {{"status", "200"}});
    for (int i = 0; i < 20; ++i) pw.Timing("shop.request", 400, {{"status", "503"}});
    pw.GetCounter("shop.cache.hits").Add(90);
    pw.GetCounter("shop.cache.misses").Add(10);
    pw.GetGauge("shop.cache.size").Set(1234);
    pw.GetCounter("shop.bytes").Add(5'000'000);
    for (int i = 0; i < 4; ++i) {
      auto t = pw.Time("Data Loading");
      std::this_thread::sleep_for(30ms);
    }
    {
      auto t = pw.Time("Optimization");
      std::this_thread::sleep_for(120ms);
    }
    pw.Flush();
  }  // the destructor flushes what is left

  const uint16_t port = perfwatch.port();
  // Each figure is polled: the client's datagrams may straddle a tick.
  auto near = [](double want, double tolerance) {
    return [=](double v) { return std::abs(v - want) <= tolerance; };
  };
  EXPECT_NEAR(WaitFor(port, "app_error_rate_percent{app=\"shop\"}", near(10, 1e-9)), 10.0, 1e-9);
  EXPECT_NEAR(WaitFor(port, "app_response_time_avg_seconds{app=\"shop\"}", near(0.049, 1e-9)),
              0.049, 1e-9);
  EXPECT_NEAR(WaitFor(port, "app_response_time_p95_seconds{app=\"shop\"}", near(0.4, 0.004)), 0.4,
              0.4 * 0.01);
  EXPECT_NEAR(WaitFor(port, "app_cache_hit_rate_percent{app=\"shop\"}", near(90, 1e-9)), 90.0,
              1e-9);
  EXPECT_EQ(WaitFor(port, "app_cache_size{app=\"shop\"}", near(1234, 0)), 1234);
  EXPECT_GT(WaitFor(port, "app_requests_per_second{app=\"shop\"}", [](double v) { return v > 0; }),
            0);
  EXPECT_GT(
      WaitFor(port, "app_throughput_mb_per_second{app=\"shop\"}", [](double v) { return v > 0; }),
      0);

  // The timer itself, as the summary the issue names.
  EXPECT_EQ(WaitFor(port, "sum(shop_request_milliseconds_count{app=\"shop\"})", near(200, 0)), 200);
  EXPECT_NEAR(
      Query(port, "shop_request_milliseconds{app=\"shop\",status=\"200\",quantile=\"0.5\"}"), 10,
      0.1);
  HttpResult listed = HttpGet(port, "/api/v1/metrics?match=shop_request");
  EXPECT_NE(listed.body.find("\"quantile\":\"0.99\""), std::string::npos) << listed.body;

  // Component timings (seed 001).
  HttpResult components = HttpGet(port, "/api/v1/components?app=shop");
  ASSERT_EQ(components.status, 200) << components.body;
  json list = json::parse(components.body)["components"];
  ASSERT_EQ(list.size(), 2u) << components.body;
  json loading = list[0]["name"] == "Data Loading" ? list[0] : list[1];
  EXPECT_EQ(loading["count"], 4);
  EXPECT_GE(loading["mean_ms"].get<double>(), 29.0);
  EXPECT_GT(loading["share_percent"].get<double>(), 0);
  EXPECT_LT(loading["share_percent"].get<double>(), 100);
  HttpResult one = HttpGet(port, "/metrics/component/Data%20Loading");
  EXPECT_EQ(one.status, 200) << one.body;
  EXPECT_EQ(HttpGet(port, "/api/v1/components/Nothing").status, 404);

  // /metrics carries the summary as one family.
  HttpResult exposition = HttpGet(port, "/metrics");
  EXPECT_NE(exposition.body.find("# TYPE shop_request_milliseconds summary"), std::string::npos);
  EXPECT_NE(exposition.body.find("# TYPE shop_cache_hits_total counter"), std::string::npos);
}

TEST(AppMetricsE2e, PushedPrometheusTextIsStoredAndMalformedLinesAreCounted) {
  PerfwatchProcess perfwatch({"--interval", "1s", "--data-dir", FreshDir("pw_push_e2e")});
  ASSERT_TRUE(perfwatch.started()) << perfwatch.log();
  const uint16_t port = perfwatch.port();
  HttpResult r = Post(port, "/api/v1/push", "text/plain; version=0.0.4",
                      "# TYPE jobs_done_total counter\n"
                      "jobs_done_total{queue=\"mail\"} 42\n"
                      "queue_depth{queue=\"mail\"} 7\n"
                      "broken{ 1\n");
  EXPECT_EQ(r.status, 400) << r.body;  // one bad line; the good ones are kept
  EXPECT_EQ(WaitFor(port, "jobs_done_total{queue=\"mail\"}", [](double) { return true; }), 42);
  EXPECT_EQ(Query(port, "queue_depth{queue=\"mail\"}"), 7);
  EXPECT_GE(WaitFor(port, "sum(perfwatch_ingest_errors_total{source=\"push\"})",
                    [](double v) { return v >= 1; }),
            1);
}

TEST(AppMetricsE2e, StatsdOffLeavesNoListener) {
  PerfwatchProcess perfwatch(
      {"--statsd-listen", "off", "--data-dir", FreshDir("pw_statsd_off_e2e")});
  ASSERT_TRUE(perfwatch.started()) << perfwatch.log();
  EXPECT_EQ(perfwatch.statsd_port(), 0);
  EXPECT_NE(perfwatch.log().find("statsd\":\"off"), std::string::npos) << perfwatch.log();
}

TEST(AppMetricsE2e, AStatsdPortInUseStopsStartupSayingHowToMoveOrDisableIt) {
  int fd = ::socket(AF_INET, SOCK_DGRAM, 0);
  ASSERT_GE(fd, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  socklen_t len = sizeof addr;
  ASSERT_EQ(::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len), 0);
  const std::string taken = "127.0.0.1:" + std::to_string(ntohs(addr.sin_port));
  RunResult r = RunPerfwatch(
      {"--port", "0", "--statsd-listen", taken, "--data-dir", FreshDir("pw_statsd_taken_e2e")});
  ::close(fd);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("cannot listen on " + taken), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("--statsd-listen off"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace perfwatch::e2e
