// The OpenTelemetry JavaScript SDK (from npm, tests/clients) exports to an
// in-process ApiServer with both of its OTLP/HTTP exporters (JSON and
// protobuf) and both temporalities; every series it sent must come out of
// AppMetrics with Prometheus's names, the resource and point attributes as
// labels, and the right values. Fails, never skips, without node.
#include <gtest/gtest.h>
#include <stdio.h>
#include <sys/wait.h>

#include <algorithm>
#include <map>
#include <nlohmann/json.hpp>
#include <string>

#include "ingest/app_metrics.h"
#include "model/registry.h"
#include "model/tick.h"
#include "server_fixture.h"

namespace perfwatch {
namespace {

struct CommandRun {
  int exit_code = -1;
  std::string output;
};

CommandRun RunCommand(const std::string& command) {
  CommandRun run;
  FILE* pipe = popen((command + " 2>&1").c_str(), "r");
  if (pipe == nullptr) return run;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, pipe)) > 0) run.output.append(buf, n);
  const int status = pclose(pipe);
  run.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return run;
}

class OtlpSdkTest : public apitest::ServerTest, public ::testing::WithParamInterface<std::string> {
 protected:
  std::map<std::string, double> SdkSeries() {
    SeriesRegistry registry;
    const TimestampMs now = 0;
    Tick tick(registry, now);
    metrics_.Flush(tick, now);
    std::map<std::string, double> out;
    for (const auto& [id, value] : tick.samples()) {
      const SeriesKey& key = registry.Key(id);
      if (key.name.starts_with("sdk_")) out[key.name + key.labels.ToString()] = value;
    }
    return out;
  }

  AppMetrics metrics_;
};

TEST_P(OtlpSdkTest, ExportsEveryInstrumentWithPrometheusNamesAndLabels) {
  const CommandRun node = RunCommand("node --version");
  ASSERT_EQ(node.exit_code, 0) << "node is needed for this test: " << node.output;

  options_.app_metrics = &metrics_;
  StartServer();
  const std::string url = "http://127.0.0.1:" + std::to_string(port_) + "/v1/metrics";
  const CommandRun sdk =
      RunCommand("node " PERFWATCH_TEST_CLIENTS "/otlp_sdk.js " + url + " " + GetParam());
  ASSERT_EQ(sdk.exit_code, 0) << sdk.output;
  const std::string version =
      nlohmann::json::parse(sdk.output.substr(sdk.output.rfind('{')))["sdk_version"];

  const std::string res =
      "service_name=\"otlp-sdk-test\",telemetry_sdk_language=\"nodejs\","
      "telemetry_sdk_name=\"opentelemetry\",telemetry_sdk_version=\"" +
      version + "\"";
  // Two rounds of: +3 +2 route=/a, +1 route=/b; +5 -2; 21.5; 5, 20, 300 ms.
  std::map<std::string, double> want = {
      {"sdk_requests_total{route=\"/a\"," + res + "}", 10},
      {"sdk_requests_total{route=\"/b\"," + res + "}", 2},
      {"sdk_queue_size{" + res + "}", 6},
      {"sdk_temperature_celsius{room=\"lab\"," + res + "}", 21.5},
      {"sdk_latency_milliseconds_count{route=\"/a\"," + res + "}", 6},
      {"sdk_latency_milliseconds_sum{route=\"/a\"," + res + "}", 650},
  };
  // The SDK's default explicit buckets.
  const std::vector<std::string> bounds = {"0",    "5",    "10",    "25",  "50",   "75",
                                           "100",  "250",  "500",   "750", "1000", "2500",
                                           "5000", "7500", "10000", "+Inf"};
  for (const std::string& le : bounds) {
    const double upper = le == "+Inf" ? 1e300 : std::stod(le);
    const double below = 2.0 * ((5 <= upper) + (20 <= upper) + (300 <= upper));
    want["sdk_latency_milliseconds_bucket{le=\"" + le + "\",route=\"/a\"," + res + "}"] = below;
  }
  EXPECT_EQ(SdkSeries(), want);
  // Two exports of five points each, none refused.
  EXPECT_EQ(metrics_.AcceptedCount(IngestSource::kOtlp), 10u);
  EXPECT_EQ(metrics_.SeriesCount(IngestSource::kOtlp), 5u);
}

INSTANTIATE_TEST_SUITE_P(Exporters, OtlpSdkTest,
                         ::testing::Values("json-cumulative", "json-delta", "proto-cumulative",
                                           "proto-delta"),
                         [](const auto& info) {
                           std::string name = info.param;
                           std::replace(name.begin(), name.end(), '-', '_');
                           return name;
                         });

}  // namespace
}  // namespace perfwatch
