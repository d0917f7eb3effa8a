// End-to-end: the real binary, real /proc, real sockets, real promtool.

#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <regex>
#include <thread>

#include "harness.h"

namespace perfwatch::e2e {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;

json GetJson(uint16_t port, const std::string& target, int expect_status = 200) {
  HttpResult r = HttpGet(port, target);
  EXPECT_EQ(r.status, expect_status) << target << "\n" << r.body;
  return json::parse(r.body, nullptr, false);
}

// Waits until /api/v1/metrics has at least `ticks` distinct tick times.
void WaitForTicks(uint16_t port, int ticks) {
  int64_t last = 0;
  int seen = 0;
  for (int i = 0; i < 100 && seen < ticks; ++i) {
    HttpResult r = HttpGet(port, "/api/v1/metrics?match=system_cpu");
    if (r.status == 200) {
      int64_t t = json::parse(r.body)["time"].get<int64_t>();
      if (t != last) ++seen, last = t;
    }
    std::this_thread::sleep_for(200ms);
  }
  ASSERT_GE(seen, ticks);
}

double FindValue(const json& samples, const std::string& metric,
                 const json& labels = json::object()) {
  for (const json& s : samples) {
    if (s["metric"] == metric && s["labels"] == labels && s["value"].is_number()) {
      return s["value"].get<double>();
    }
  }
  return NAN;
}

class Serve : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    // Per process: ctest runs each test in its own process, in parallel, and
    // a data directory admits one perfwatch at a time.
    data_dir_ = FreshDir("perfwatch_e2e_data");
    process_ = new PerfwatchProcess({"--interval", "1s", "--data-dir", data_dir_});
    ASSERT_TRUE(process_->started()) << process_->log();
    WaitForTicks(process_->port(), 2);
  }
  static void TearDownTestSuite() {
    delete process_;
    process_ = nullptr;
  }
  uint16_t port() { return process_->port(); }

  static PerfwatchProcess* process_;
  static std::string data_dir_;
};
PerfwatchProcess* Serve::process_ = nullptr;
std::string Serve::data_dir_;

TEST_F(Serve, HealthSaysOkWithVersionAndUptime) {
  json j = GetJson(port(), "/api/v1/health");
  EXPECT_EQ(j["status"], "ok");
  EXPECT_TRUE(j["version"].is_string());
  EXPECT_GE(j["uptime_seconds"].get<double>(), 0);
  EXPECT_TRUE(std::filesystem::is_directory(data_dir_));
}

TEST_F(Serve, LatestTickHasTheFixedMetricNames) {
  json j = GetJson(port(), "/api/v1/metrics");
  ASSERT_TRUE(j["samples"].is_array());
  for (const char* name :
       {"system_cpu_usage_percent", "system_memory_used_percent", "system_memory_available_bytes",
        "system_swap_used_percent", "system_load1", "system_disk_used_percent",
        "system_network_receive_bytes_total", "system_tcp_connections",
        "perfwatch_collector_duration_seconds", "perfwatch_resident_memory_bytes"}) {
    bool found = false;
    for (const json& s : j["samples"]) found |= s["metric"] == name;
    EXPECT_TRUE(found) << name;
  }
  double cpu = FindValue(j["samples"], "system_cpu_usage_percent");
  EXPECT_GE(cpu, 0);
  EXPECT_LE(cpu, 100);
}

TEST_F(Serve, MatchFiltersByPrefix) {
  json j = GetJson(port(), "/api/v1/metrics?match=system_memory_");
  ASSERT_FALSE(j["samples"].empty());
  for (const json& s : j["samples"]) {
    EXPECT_EQ(s["metric"].get<std::string>().rfind("system_memory_", 0), 0u) << s;
  }
}

TEST_F(Serve, MemoryPercentAgreesWithProcMeminfo) {
  json j = GetJson(port(), "/api/v1/metrics?match=system_memory_used_percent");
  double served = FindValue(j["samples"], "system_memory_used_percent");
  EXPECT_NEAR(served, ReadMemoryUsedPercent(), 1.0);
}

// Averages the per-tick CPU percent over a window and compares it with the
// /proc/stat delta over the same window, idle and with one core busy.
double ServedCpuAverage(uint16_t port, int64_t from_ms, int64_t to_ms) {
  // {cpu=""}: the all-CPU series only, not each core's.
  json j = GetJson(
      port, "/api/v1/metrics/history?metric=system_cpu_usage_percent%7Bcpu%3D%22%22%7D&from=" +
                std::to_string(from_ms) + "&to=" + std::to_string(to_ms));
  double sum = 0;
  int n = 0;
  for (const json& s : j["series"]) {
    for (const json& p : s["points"]) sum += p[1].get<double>(), ++n;
  }
  return n ? sum / n : NAN;
}

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// Sleeps until 20 ms after the next tick boundary and returns its time.
// Ticks sit on whole seconds at the default 1 s interval.
int64_t SleepPastNextTick() {
  int64_t now = NowMs();
  int64_t next = (now / 1000 + 1) * 1000;
  std::this_thread::sleep_for(std::chrono::milliseconds(next + 20 - now));
  return next;
}

// Reads /proc/stat just after two tick boundaries and compares busy/total
// over that window with the mean of the per-tick percents perfwatch served
// for exactly those ticks (each covers the second before its timestamp).
void ExpectCpuAgrees(uint16_t port) {
  WaitForTicks(port, 1);
  int64_t from = SleepPastNextTick();
  auto [busy0, total0] = ReadProcStatCpu();
  std::this_thread::sleep_for(7500ms);
  int64_t to = SleepPastNextTick();
  auto [busy1, total1] = ReadProcStatCpu();
  std::this_thread::sleep_for(1200ms);  // let the last tick land
  double expected = 100.0 * (busy1 - busy0) / (total1 - total0);
  double served = ServedCpuAverage(port, from + 1, to);
  EXPECT_NEAR(served, expected, 3.0) << "served " << served << " vs /proc/stat " << expected;
}

TEST_F(Serve, CpuPercentAgreesWithProcStatIdle) { ExpectCpuAgrees(port()); }

TEST_F(Serve, CpuPercentAgreesWithProcStatUnderLoad) {
  std::atomic<bool> stop{false};
  std::thread burner([&] {
    volatile double x = 1;
    while (!stop) x = x * 1.0000001 + 1e-9;
  });
  std::this_thread::sleep_for(1s);
  ExpectCpuAgrees(port());
  stop = true;
  burner.join();
}

TEST_F(Serve, HistoryAnswersWithSeriesPointsAndAggregation) {
  json j =
      GetJson(port(),
              "/api/v1/metrics/"
              "history?metric=system_cpu_usage_percent%7Bcpu%3D%220%22%7D&hours=1&step=2s&agg=max");
  ASSERT_EQ(j["series"].size(), 1u) << j;
  EXPECT_EQ(j["series"][0]["labels"]["cpu"], "0");
  ASSERT_FALSE(j["series"][0]["points"].empty());
  for (const json& p : j["series"][0]["points"]) EXPECT_EQ(p[0].get<int64_t>() % 2000, 0);
}

TEST_F(Serve, BadQueryParametersGetA400NamingTheParameter) {
  struct Case {
    const char* target;
    const char* needle;
  } cases[] = {
      {"/api/v1/metrics/history", "metric"},
      {"/api/v1/metrics/history?metric=system_load1&hours=abc", "hours"},
      {"/api/v1/metrics/history?metric=system_load1&step=soon", "step"},
      {"/api/v1/metrics/history?metric=system_load1&agg=median", "agg"},
      {"/api/v1/metrics/history?metric=system_load1%7Bcpu%3D", "selector"},
  };
  for (const Case& c : cases) {
    HttpResult r = HttpGet(port(), c.target);
    EXPECT_EQ(r.status, 400) << c.target;
    json j = json::parse(r.body, nullptr, false);
    ASSERT_TRUE(j.contains("error")) << r.body;
    EXPECT_NE(j["error"].get<std::string>().find(c.needle), std::string::npos) << r.body;
  }
  EXPECT_EQ(HttpGet(port(), "/no/such/route").status, 404);
}

// The dashboard embedded in the binary, as a browser first asks for it.
TEST_F(Serve, RootIsTheDashboardWithAStrictCspAndItsScriptIsServed) {
  HttpResult page = HttpGet(port(), "/");
  ASSERT_EQ(page.status, 200) << page.headers;
  std::string headers = page.headers;
  for (char& c : headers) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  EXPECT_NE(headers.find("content-type: text/html; charset=utf-8"), std::string::npos) << headers;
  EXPECT_NE(headers.find("content-security-policy: default-src 'self'; script-src 'self'; "
                         "style-src 'self';"),
            std::string::npos)
      << headers;
  EXPECT_NE(headers.find("x-content-type-options: nosniff"), std::string::npos) << headers;
  std::smatch script;
  ASSERT_TRUE(std::regex_search(page.body, script,
                                std::regex(R"re(<script[^>]*\ssrc="(/assets/[^"]+\.js)")re")))
      << page.body;
  HttpResult js = HttpGet(port(), script[1].str());
  EXPECT_EQ(js.status, 200) << script[1].str();
  EXPECT_NE(js.headers.find("text/javascript"), std::string::npos) << js.headers;
  EXPECT_NE(js.headers.find("immutable"), std::string::npos) << js.headers;
  EXPECT_FALSE(js.body.empty());
}

TEST_F(Serve, PrometheusTextPassesPromtoolWithoutWarnings) {
  ASSERT_TRUE(std::filesystem::exists("/usr/bin/promtool"))
      << "promtool missing: run scripts/install-deps";
  HttpResult r = HttpGet(port(), "/metrics");
  ASSERT_EQ(r.status, 200);
  std::string path = ::testing::TempDir() + "/perfwatch_metrics.txt";
  std::ofstream(path) << r.body;
  std::string cmd = "promtool check metrics < " + path + " 2>&1";
  FILE* p = popen(cmd.c_str(), "r");
  std::string out;
  char buf[4096];
  while (size_t n = fread(buf, 1, sizeof buf, p)) out.append(buf, n);
  int rc = pclose(p);
  EXPECT_EQ(rc, 0) << out;
  EXPECT_EQ(out, "") << out;
  EXPECT_NE(r.body.find("# TYPE system_cpu_seconds_total counter"), std::string::npos);
}

TEST_F(Serve, WebSocketStreamsOneMessagePerTick) {
  auto messages = WebSocketRead(port(), "", 2, 10s);
  ASSERT_EQ(messages.size(), 2u);
  json a = json::parse(messages[0]), b = json::parse(messages[1]);
  EXPECT_GT(b["time"].get<int64_t>(), a["time"].get<int64_t>());
  EXPECT_FALSE(a["samples"].empty());
}

TEST_F(Serve, WebSocketSubscribeNarrowsTheStream) {
  // First the latest tick (sent on connect), then the acknowledgement, then
  // narrowed ticks.
  auto messages = WebSocketRead(port(), R"({"subscribe":["system_memory"]})", 4, 10s);
  ASSERT_EQ(messages.size(), 4u);
  bool acknowledged = false;
  for (const auto& m : messages) acknowledged |= json::parse(m).contains("subscribed");
  EXPECT_TRUE(acknowledged);
  json last = json::parse(messages.back());
  ASSERT_FALSE(last["samples"].empty());
  for (const json& s : last["samples"]) {
    EXPECT_EQ(s["metric"].get<std::string>().rfind("system_memory", 0), 0u);
  }
}

TEST(ServeLifecycle, SigtermStopsCleanlyWithNamedEvents) {
  PerfwatchProcess p({"--data-dir", FreshDir("perfwatch_e2e_sig")});
  ASSERT_TRUE(p.started()) << p.log();
  EXPECT_EQ(p.Terminate(), 0);
  EXPECT_NE(p.log().find("\"event\":\"monitoring_stopped\""), std::string::npos) << p.log();
}

TEST(ServeLifecycle, MissingProcFilesFailOneCollectorAndTheRestGoOn) {
  std::string root = ::testing::TempDir() + "/perfwatch_fake_proc";
  std::filesystem::create_directories(root);
  // procfs files report size 0, so copy by reading rather than copy_file.
  for (const char* f : {"stat", "meminfo", "loadavg", "uptime"}) {
    std::ifstream in(std::string("/proc/") + f);
    std::ofstream(root + "/" + f) << in.rdbuf();
  }
  PerfwatchProcess p(
      {"--procfs", root, "--interval", "1s", "--data-dir", FreshDir("perfwatch_e2e_fake")});
  ASSERT_TRUE(p.started()) << p.log();
  WaitForTicks(p.port(), 1);
  json j = GetJson(p.port(), "/api/v1/metrics?match=perfwatch_collector_success");
  EXPECT_EQ(FindValue(j["samples"], "perfwatch_collector_success", {{"collector", "memory"}}), 1);
  EXPECT_EQ(FindValue(j["samples"], "perfwatch_collector_success", {{"collector", "pressure"}}), 0);
  EXPECT_EQ(FindValue(j["samples"], "perfwatch_collector_success", {{"collector", "tcp"}}), 0);
  json mem = GetJson(p.port(), "/api/v1/metrics?match=system_memory_used_percent");
  EXPECT_FALSE(std::isnan(FindValue(mem["samples"], "system_memory_used_percent")));
  // Logged once with the path, not every tick.
  std::this_thread::sleep_for(2500ms);
  const std::string& log = p.log();
  size_t first = log.find("\"collector\":\"pressure\"");
  ASSERT_NE(first, std::string::npos) << log;
  EXPECT_EQ(log.find("\"collector\":\"pressure\"", first + 1), std::string::npos) << log;
  EXPECT_NE(log.find("pressure"), std::string::npos);
}

}  // namespace
}  // namespace perfwatch::e2e
