// A real DogStatsD client nobody here wrote: hot-shots (npm), run by node
// from tests/clients/statsd_hot_shots.js against an in-process StatsdServer.
// The expected series follow that script line by line.

#include <gtest/gtest.h>
#include <spawn.h>
#include <sys/wait.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "ingest/statsd_server.h"
#include "statsd_test_util.h"

extern char** environ;

namespace perfwatch {
namespace {

using statsd_test::Emit;
using statsd_test::ValueOf;
using statsd_test::WaitFor;

// Runs `node script port`; returns its exit status, or fails the test.
int RunNode(const std::string& script, uint16_t port) {
  std::string port_text = std::to_string(port);
  char* argv[] = {const_cast<char*>("node"), const_cast<char*>(script.c_str()), port_text.data(),
                  nullptr};
  pid_t pid = 0;
  int rc = posix_spawnp(&pid, "node", nullptr, nullptr, argv, environ);
  if (rc != 0) {
    ADD_FAILURE() << "cannot run node (Node.js 20 is required for this test): "
                  << std::strerror(rc);
    return -1;
  }
  int status = 0;
  while (waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) return -1;
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

TEST(StatsdHotShots, SeriesAndValuesOfARealDogStatsdClient) {
  AppMetrics metrics;
  StatsdOptions options;
  options.listen = "127.0.0.1:0";
  Result<std::unique_ptr<StatsdServer>> server = StatsdServer::Start(options, metrics);
  ASSERT_TRUE(server.ok()) << server.status().ToString();

  ASSERT_EQ(RunNode(PERFWATCH_TEST_CLIENTS "/statsd_hot_shots.js", (*server)->port()), 0);
  // 117 lines: 5 counter, 3 gauge, 101 timer, 3 histogram/distribution,
  // 3 set, 1 event and 1 service check.
  ASSERT_TRUE(WaitFor([&] { return (*server)->Stats().lines >= 117; }))
      << (*server)->Stats().lines << " lines arrived";
  EXPECT_EQ((*server)->Stats().lines, 117u);
  EXPECT_GT((*server)->Stats().datagrams, 1u);
  EXPECT_LT((*server)->Stats().datagrams, 117u);  // hot-shots packs lines into datagrams

  EXPECT_EQ(metrics.AcceptedCount(IngestSource::kStatsd), 114u);
  EXPECT_EQ(metrics.ErrorCount(IngestSource::kStatsd, "negative_counter"), 1u);
  EXPECT_EQ(metrics.ErrorCount(IngestSource::kStatsd, "unsupported"), 2u);

  auto out = Emit(metrics);
  EXPECT_EQ(ValueOf(out, "shop_orders_total{app=\"shop\",region=\"eu\"}"), 7);
  EXPECT_EQ(ValueOf(out, "shop_queue_size{app=\"shop\"}"), 12);

  const std::string ok = "{app=\"shop\",status=\"200\"}";
  EXPECT_EQ(ValueOf(out, "shop_api_request_milliseconds_count" + ok), 100);
  EXPECT_EQ(ValueOf(out, "shop_api_request_milliseconds_sum" + ok), 5050);
  EXPECT_EQ(ValueOf(out, "shop_api_request_milliseconds_min" + ok), 1);
  EXPECT_EQ(ValueOf(out, "shop_api_request_milliseconds_max" + ok), 100);
  // 1..100: each quantile lies within 1% of the two ranks around it.
  const std::pair<std::string, double> quantiles[] = {
      {"0.5", 50}, {"0.9", 90}, {"0.95", 95}, {"0.99", 99}};
  for (const auto& [q, exact] : quantiles) {
    double v = ValueOf(
        out, "shop_api_request_milliseconds{app=\"shop\",quantile=\"" + q + "\",status=\"200\"}");
    EXPECT_GE(v, exact * 0.99) << q;
    EXPECT_LE(v, (exact + 1) * 1.01) << q;
  }
  const std::string failed = "{app=\"shop\",status=\"500\"}";
  EXPECT_EQ(ValueOf(out, "shop_api_request_milliseconds_count" + failed), 4);
  EXPECT_EQ(ValueOf(out, "shop_api_request_milliseconds_sum" + failed), 800);

  const std::string json = "{app=\"shop\",kind=\"json\"";
  EXPECT_EQ(ValueOf(out, "shop_payload_bytes_count" + json + "}"), 2);
  EXPECT_EQ(ValueOf(out, "shop_payload_bytes_sum" + json + "}"), 1000);
  EXPECT_EQ(ValueOf(out, "shop_payload_bytes_bucket" + json + ",le=\"250\"}"), 0);
  EXPECT_EQ(ValueOf(out, "shop_payload_bytes_bucket" + json + ",le=\"500\"}"), 1);
  EXPECT_EQ(ValueOf(out, "shop_payload_bytes_bucket" + json + ",le=\"1000\"}"), 2);
  EXPECT_EQ(ValueOf(out, "shop_payload_bytes_bucket" + json + ",le=\"+Inf\"}"), 2);

  EXPECT_EQ(ValueOf(out, "shop_render_time_count{app=\"shop\"}"), 2);
  EXPECT_EQ(ValueOf(out, "shop_render_time_sum{app=\"shop\"}"), 10);
  EXPECT_EQ(ValueOf(out, "shop_users{app=\"shop\"}"), 2);
}

}  // namespace
}  // namespace perfwatch
