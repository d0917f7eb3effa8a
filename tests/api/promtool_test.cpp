// /metrics must pass `promtool check metrics` with no lint warnings: the
// Prometheus project's own parser and linter are the oracle.

#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <limits>

#include "server_fixture.h"
#include "test_client.h"

namespace perfwatch::apitest {
namespace {

constexpr const char* kPromtool = "/usr/bin/promtool";

struct CommandResult {
  int exit_code = -1;
  std::string output;  // stdout and stderr together
};

CommandResult RunCommand(const std::string& command) {
  CommandResult result;
  FILE* pipe = popen((command + " 2>&1").c_str(), "r");
  if (pipe == nullptr) return result;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof(buf), pipe)) > 0) result.output.append(buf, n);
  int status = pclose(pipe);
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return result;
}

using PromtoolTest = ServerTest;

TEST_F(PromtoolTest, ExpositionOfARealisticTickPassesPromtoolWithoutWarnings) {
  ASSERT_TRUE(std::filesystem::exists(kPromtool))
      << kPromtool << " is missing: run scripts/install-deps (Debian package prometheus)";
  StartServer();
  auto tick = std::make_shared<Tick>(registry_, 1'700'000'000'000);
  tick->Describe({"system_cpu_usage_percent", MetricKind::kGauge,
                  "Share of time the CPU was busy, in percent.", "percent"});
  tick->Describe({"system_network_received_bytes_total", MetricKind::kCounter,
                  "Bytes received by the interface.", "bytes"});
  tick->Describe({"process_cpu_seconds_total", MetricKind::kCounter,
                  "CPU time of the process, in seconds (user + system).", "seconds"});
  tick->Describe({"system_filesystem_free_bytes", MetricKind::kGauge,
                  "Free bytes on the filesystem; \"C:\\\" style paths\nare escaped.", "bytes"});
  for (int cpu = 0; cpu < 4; ++cpu) {
    ASSERT_TRUE(
        tick->Append("system_cpu_usage_percent", {{"cpu", std::to_string(cpu)}}, 12.5 * cpu).ok());
  }
  ASSERT_TRUE(tick->Append("system_network_received_bytes_total", {{"device", "eth0"}}, 1e12).ok());
  ASSERT_TRUE(tick->Append("system_network_received_bytes_total", {{"device", "lo"}}, 0).ok());
  ASSERT_TRUE(
      tick->Append("process_cpu_seconds_total", {{"pid", "1"}, {"comm", "init"}}, 3.25).ok());
  ASSERT_TRUE(tick->Append("system_filesystem_free_bytes",
                           {{"mountpoint", "C:\\tmp \"quoted\"\nnext"}}, std::nan(""))
                  .ok());
  ASSERT_TRUE(tick->Append("system_filesystem_free_bytes", {{"mountpoint", "/"}},
                           std::numeric_limits<double>::infinity())
                  .ok());
  ASSERT_TRUE(tick->Append("system_filesystem_free_bytes", {{"mountpoint", "/boot"}},
                           -std::numeric_limits<double>::infinity())
                  .ok());
  ASSERT_TRUE(tick->Append("app_queue_depth", {{"queue", "jobs"}}, 17).ok());  // undescribed
  // A summary and a histogram as application metrics produce them, their
  // series interleaved with another family's: each must come out as one
  // family under one # TYPE line.
  tick->Describe({"rpc_duration_seconds", MetricKind::kSummary, "RPC latency.", "seconds"});
  tick->Describe({"payload_size_bytes", MetricKind::kHistogram, "Payload sizes.", "bytes"});
  for (const char* q : {"0.5", "0.99"}) {
    ASSERT_TRUE(tick->Append("rpc_duration_seconds", {{"quantile", q}}, 0.25).ok());
  }
  ASSERT_TRUE(tick->Append("rpc_duration_seconds_sum", {}, 12.5).ok());
  ASSERT_TRUE(tick->Append("app_queue_depth", {{"queue", "mail"}}, 3).ok());
  ASSERT_TRUE(tick->Append("rpc_duration_seconds_count", {}, 50).ok());
  for (const char* le : {"100", "1000", "+Inf"}) {
    ASSERT_TRUE(tick->Append("payload_size_bytes_bucket", {{"le", le}}, 7).ok());
  }
  ASSERT_TRUE(tick->Append("payload_size_bytes_sum", {}, 4200).ok());
  ASSERT_TRUE(tick->Append("payload_size_bytes_count", {}, 7).ok());
  server_->Publish(tick);

  Result<ClientResponse> r = HttpGet(port_, "/metrics");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(r->status, 200);
  EXPECT_EQ(r->Header("Content-Type"), "text/plain; version=0.0.4; charset=utf-8");

  std::filesystem::path file = std::filesystem::temp_directory_path() /
                               ("perfwatch_promtool_" + std::to_string(::getpid()) + ".txt");
  std::ofstream(file) << r->body;
  CommandResult check = RunCommand(std::string(kPromtool) + " check metrics < " + file.string());
  std::filesystem::remove(file);
  EXPECT_EQ(check.exit_code, 0) << check.output << "\n--- exposition ---\n" << r->body;
  EXPECT_EQ(check.output, "") << "\n--- exposition ---\n" << r->body;
}

}  // namespace
}  // namespace perfwatch::apitest
