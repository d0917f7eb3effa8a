// The client library against perfwatch's own StatsD server: what a Client
// sends over UDP is accepted line for line and comes out of AppMetrics under
// the names docs/METRICS.md promises.

#include <gtest/gtest.h>

#include <cmath>
#include <perfwatch/client.hpp>
#include <string>

#include "../ingest/statsd_test_util.h"
#include "ingest/statsd_server.h"

namespace perfwatch {
namespace {

using statsd_test::Emit;
using statsd_test::ValueOf;
using statsd_test::WaitFor;

class ClientToServer : public ::testing::Test {
 protected:
  void SetUp() override {
    StatsdOptions options;
    options.listen = "127.0.0.1:0";
    Result<std::unique_ptr<StatsdServer>> server = StatsdServer::Start(options, metrics_);
    ASSERT_TRUE(server.ok()) << server.status().ToString();
    server_ = std::move(*server);
  }

  ClientOptions Options() const {
    ClientOptions options;
    options.port = server_->port();
    options.app = "optimizer";
    options.flush_interval = std::chrono::hours(1);
    return options;
  }

  // Waits until the server has read `lines` lines, then checks none was refused.
  void ExpectAcceptedLines(uint64_t lines) {
    ASSERT_TRUE(WaitFor([&] { return server_->Stats().lines >= lines; }));
    EXPECT_EQ(server_->Stats().lines, lines);
    for (const char* reason : {"bad_name", "bad_tags", "bad_value", "bad_section", "bad_utf8",
                               "bad_sample_rate", "missing_type", "type_conflict"}) {
      EXPECT_EQ(metrics_.ErrorCount(IngestSource::kStatsd, reason), 0u) << reason;
    }
  }

  AppMetrics metrics_;
  std::unique_ptr<StatsdServer> server_;
};

TEST_F(ClientToServer, DeliversEveryKindUnderItsPerfwatchName) {
  Client pw(Options());
  pw.GetCounter("shop.cache.hits").Add(3);
  pw.GetCounter("shop.bytes").Add(0.5);
  pw.GetGauge("shop.cache.size").Set(-2.5);
  for (int ms = 1; ms <= 4; ++ms) pw.Timing("shop.request", ms, {{"status", "200"}});
  pw.Flush();
  ExpectAcceptedLines(5);  // the negative gauge is two lines

  auto out = Emit(metrics_);
  EXPECT_EQ(ValueOf(out, "shop_cache_hits_total{app=\"optimizer\"}"), 3);
  EXPECT_EQ(ValueOf(out, "shop_bytes_total{app=\"optimizer\"}"), 0.5);
  EXPECT_EQ(ValueOf(out, "shop_cache_size{app=\"optimizer\"}"), -2.5);
  EXPECT_EQ(ValueOf(out, "shop_request_milliseconds_count{app=\"optimizer\",status=\"200\"}"), 4);
  EXPECT_EQ(ValueOf(out, "shop_request_milliseconds_sum{app=\"optimizer\",status=\"200\"}"), 10);
}

TEST_F(ClientToServer, ComponentTimersShowUpAsComponents) {
  {
    Client pw(Options());
    for (int i = 0; i < 3; ++i) {
      Timer t = pw.Time("Data Loading");
    }
    pw.Time("Optimization").Stop();
  }
  ExpectAcceptedLines(2);
  std::optional<ComponentStats> loading = metrics_.Component("Data Loading", "optimizer");
  ASSERT_TRUE(loading.has_value());
  EXPECT_EQ(loading->count, 3u);
  EXPECT_EQ(loading->app, "optimizer");
  ASSERT_TRUE(metrics_.Component("Optimization", "optimizer").has_value());
  EXPECT_EQ(metrics_.Components().size(), 2u);
}

TEST_F(ClientToServer, SampledObservationsKeepTheirCount) {
  ClientOptions options = Options();
  options.max_observations = 25;
  Client pw(options);
  Histogram& h = pw.GetHistogram("busy");
  for (int i = 0; i < 1000; ++i) h.Observe(7);
  pw.Flush();
  ExpectAcceptedLines(1);
  auto out = Emit(metrics_);
  EXPECT_DOUBLE_EQ(ValueOf(out, "busy_milliseconds_count{app=\"optimizer\"}"), 1000);
  EXPECT_DOUBLE_EQ(ValueOf(out, "busy_milliseconds_sum{app=\"optimizer\"}"), 7000);
}

TEST_F(ClientToServer, HostileNamesAndSmallPacketsAreAllAccepted) {
  ClientOptions options = Options();
  options.max_packet_bytes = 128;
  Client pw(options);
  const Tags hostile = {{"k|#@", "v:1|2,3\n\xff\xfe"}, {"", "no key"}, {"route", "/a b/é"}};
  for (int i = 0; i < 50; ++i) {
    pw.GetCounter("evil:" + std::to_string(i) + "|c\n@#,", hostile).Add(1);
  }
  Histogram& h = pw.GetHistogram("lat", hostile);
  for (int i = 0; i < 200; ++i) h.Observe(i + 0.5);
  pw.Flush();
  ASSERT_TRUE(WaitFor([&] { return metrics_.AcceptedCount(IngestSource::kStatsd) >= 50u + 200u; }));
  EXPECT_EQ(metrics_.AcceptedCount(IngestSource::kStatsd), 250u);
  ExpectAcceptedLines(server_->Stats().lines);
  auto out = Emit(metrics_);
  EXPECT_EQ(ValueOf(out,
                    "lat_milliseconds_count{app=\"optimizer\",k___=\"v_1_2_3___\","
                    "route=\"/a b/é\"}"),
            200);
}

}  // namespace
}  // namespace perfwatch
