// End-to-end: application metrics and component timings sent to the real
// binary (StatsD from the client library, and a JSON push) come back in
// `perfwatch report --format html|json|text`, which asks the serving
// perfwatch because the server holds the data directory; and the served
// GET /api/v1/report?format=html is the same self-contained page under its
// own strict CSP.

#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <perfwatch/client.hpp>
#include <regex>
#include <sstream>
#include <thread>

#include "harness.h"

namespace perfwatch::e2e {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;

const std::string kHostileComponent = "<img src=x onerror=alert(1)>";

HttpResult Post(uint16_t port, const std::string& target, const std::string& body) {
  return HttpRaw(port, "POST " + target +
                           " HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                           "Content-Length: " +
                           std::to_string(body.size()) + "\r\nConnection: close\r\n\r\n" + body);
}

// The values of every series of `metric` (an instant query), by the value of
// `label`.
std::map<std::string, double> Values(uint16_t port, const std::string& metric,
                                     const std::string& label) {
  std::map<std::string, double> out;
  HttpResult r = HttpGet(port, "/api/v1/query?query=" + metric);
  json j = json::parse(r.body, nullptr, false);
  if (r.status != 200 || !j.is_object()) return out;
  for (const json& s : j["data"]["result"]) {
    out[s["metric"].value(label, "")] = std::stod(s["value"][1].get<std::string>());
  }
  return out;
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// The text of the section with `id`, up to its end.
std::string SectionOf(const std::string& html, const std::string& id) {
  const size_t at = html.find("<section id=\"" + id + "\">");
  if (at == std::string::npos) return "";
  return html.substr(at, html.find("</section>", at) - at);
}

// One perfwatch for the suite: the figures take a few seconds to be stored.
class ReportE2e : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = FreshDir("pw_report_e2e");
    perfwatch_ = new PerfwatchProcess({"--interval", "1s", "--data-dir", dir_});
  }
  static void TearDownTestSuite() {
    delete perfwatch_;
    perfwatch_ = nullptr;
  }

  void SetUp() override {
    ASSERT_TRUE(perfwatch_->started()) << perfwatch_->log();
    if (sent_) return;
    sent_ = true;
    SendApplicationMetrics();
    // The figures appear a tick after the datagrams; then let a few ticks
    // store them.
    for (int i = 0; i < 80 && Values(port(), "app_error_rate_percent", "app")["shop"] != 10; ++i) {
      std::this_thread::sleep_for(250ms);
    }
    ASSERT_EQ(Values(port(), "app_error_rate_percent", "app")["shop"], 10) << perfwatch_->log();
    std::this_thread::sleep_for(3s);
  }

  static void SendApplicationMetrics() {
    ClientOptions options;
    options.port = perfwatch_->statsd_port();
    options.app = "shop";
    options.flush_interval = 100ms;
    {
      Client pw(options);
      // 180 successes at 10 ms and 20 failures at 400 ms: error rate 10 %,
      // mean 49 ms; cache hits 90 %.
      for (int i = 0; i < 180; ++i) pw.Timing("shop.request", 10, {{"status", "200"}});
      for (int i = 0; i < 20; ++i) pw.Timing("shop.request", 400, {{"status", "503"}});
      pw.GetCounter("shop.cache.hits").Add(90);
      pw.GetCounter("shop.cache.misses").Add(10);
      pw.GetCounter("shop.bytes").Add(5'000'000);
      pw.Flush();
    }
    // Component timings by push, one name hostile: 4 of 30 ms and 1 of 90 ms.
    json body = json::array({{{"name", "component_duration_milliseconds"},
                              {"type", "summary"},
                              {"values", {30, 30, 30, 30}},
                              {"labels", {{"app", "shop"}, {"component", "Data Loading"}}}},
                             {{"name", "component_duration_milliseconds"},
                              {"type", "summary"},
                              {"values", {90}},
                              {"labels", {{"app", "shop"}, {"component", kHostileComponent}}}}});
    HttpResult pushed = Post(port(), "/api/v1/push", body.dump());
    ASSERT_LT(pushed.status, 300) << pushed.body;
  }

  // `perfwatch report` as a user runs it: pointed at the data directory a
  // server holds, so it asks that server.
  static RunResult Report(const std::string& format, const std::string& output) {
    return RunPerfwatch({"report", "--format", format, "--hours", "1", "--output", output,
                         "--data-dir", dir_, "--port", std::to_string(port())});
  }

  static uint16_t port() { return perfwatch_->port(); }

  static inline std::string dir_;
  static inline PerfwatchProcess* perfwatch_ = nullptr;
  static inline bool sent_ = false;
};

TEST_F(ReportE2e, HtmlReportFromTheServingInstanceHasEverySectionAndTheFigures) {
  const std::string path = ::testing::TempDir() + "/pw_report_e2e.html";
  RunResult run = Report("html", path);
  ASSERT_EQ(run.exit_code, 0) << run.err;
  const std::string html = ReadFile(path);
  ASSERT_TRUE(html.starts_with("<!doctype html>")) << html.substr(0, 200);
  for (const char* id : {"summary", "alerts", "bottlenecks", "recommendations", "trends",
                         "applications", "components", "tuning"}) {
    EXPECT_FALSE(SectionOf(html, id).empty()) << id;
  }
  EXPECT_EQ(html.find("<script"), std::string::npos);
  EXPECT_EQ(html.find("<img"), std::string::npos);
  EXPECT_EQ(html.find("http://"), std::string::npos);
  EXPECT_EQ(html.find("https://"), std::string::npos);
  EXPECT_NE(html.find("<svg class=\"chart\""), std::string::npos);
  EXPECT_NE(html.find("data-key=\"cpu\""), std::string::npos);

  const std::string apps = SectionOf(html, "applications");
  EXPECT_NE(apps.find("<h3>shop</h3>"), std::string::npos) << apps.substr(0, 400);
  // Steady figures: every stored value is the same, so avg = p95 = max.
  EXPECT_NE(apps.find("<td>Error rate</td><td class=\"num\">10.0%</td>"), std::string::npos);
  EXPECT_NE(apps.find("<td>Response time avg</td><td class=\"num\">49.0 ms</td>"),
            std::string::npos);
  EXPECT_NE(apps.find("<td>Cache hit rate</td><td class=\"num\">90.0%</td>"), std::string::npos);

  const std::string components = SectionOf(html, "components");
  EXPECT_NE(components.find("<td class=\"component-name\">Data Loading</td><td class=\"num\">4<"),
            std::string::npos)
      << components;
  EXPECT_NE(components.find("&lt;img src=x onerror=alert(1)&gt;</td><td class=\"num\">1<"),
            std::string::npos)
      << components;
  EXPECT_NE(components.find(">30.0 ms<"), std::string::npos);
  EXPECT_NE(components.find(">57.1%<"), std::string::npos);  // 120 of 210 ms
}

TEST_F(ReportE2e, JsonAndTextCarryTheSameApplicationFigures) {
  const std::string path = ::testing::TempDir() + "/pw_report_e2e.json";
  RunResult run = Report("json", path);
  ASSERT_EQ(run.exit_code, 0) << run.err;
  json j = json::parse(ReadFile(path));
  ASSERT_TRUE(j["applications"].is_array());
  const json* shop = nullptr;
  for (const json& app : j["applications"]) {
    if (app["app"] == "shop") shop = &app;
  }
  ASSERT_NE(shop, nullptr) << j["applications"].dump();
  const json& figures = (*shop)["figures"];
  EXPECT_NEAR(figures["error_rate_percent"]["avg"].get<double>(), 10, 1e-9);
  EXPECT_NEAR(figures["error_rate_percent"]["max"].get<double>(), 10, 1e-9);
  EXPECT_NEAR(figures["response_time_avg_ms"]["avg"].get<double>(), 49, 1e-9);
  EXPECT_NEAR(figures["cache_hit_rate_percent"]["p95"].get<double>(), 90, 1e-9);
  EXPECT_TRUE(figures.contains("requests_per_second"));
  EXPECT_TRUE(figures.contains("throughput_mb_per_second"));

  ASSERT_EQ(j["components"].size(), 2u) << j["components"].dump();
  const json& loading =
      j["components"][0]["name"] == "Data Loading" ? j["components"][0] : j["components"][1];
  EXPECT_EQ(loading["count"], 4);
  EXPECT_NEAR(loading["mean_ms"].get<double>(), 30, 1e-9);
  EXPECT_NEAR(loading["share_percent"].get<double>(), 120.0 / 210 * 100, 1e-9);

  // Every summary row brings its chart: at most 300 [ms, value] points.
  ASSERT_FALSE(j["summary"]["rows"].empty());
  for (const json& row : j["summary"]["rows"]) {
    EXPECT_FALSE(row["chart"].empty()) << row["title"];
    EXPECT_LE(row["chart"].size(), 300u) << row["title"];
  }

  const std::string text_path = ::testing::TempDir() + "/pw_report_e2e.txt";
  ASSERT_EQ(Report("text", text_path).exit_code, 0);
  const std::string text = ReadFile(text_path);
  EXPECT_TRUE(
      std::regex_search(text, std::regex("\n  shop +Error rate +10\\.0% +10\\.0% +10\\.0%")))
      << text;
  EXPECT_TRUE(std::regex_search(text, std::regex("\n  shop +Data Loading +4 +30\\.0 ms"))) << text;
}

TEST_F(ReportE2e, ServedHtmlReportHasItsOwnStrictPolicy) {
  HttpResult r = HttpGet(port(), "/api/v1/report?hours=1&format=html");
  ASSERT_EQ(r.status, 200) << r.body.substr(0, 200);
  EXPECT_NE(r.headers.find("Content-Type: text/html; charset=utf-8"), std::string::npos)
      << r.headers;
  EXPECT_NE(r.headers.find("Content-Security-Policy: default-src 'none'; style-src "
                           "'unsafe-inline'; img-src data:"),
            std::string::npos)
      << r.headers;
  EXPECT_TRUE(r.body.starts_with("<!doctype html>"));
  EXPECT_NE(r.body.find("<h3>shop</h3>"), std::string::npos);
  EXPECT_EQ(HttpGet(port(), "/api/v1/report?format=pdf").status, 400);
}

// A rule that holds from the first tick acts on two knobs their app gave
// no delivery channel, so both changes fail at once: two real decisions in
// the audit, a number and a switch. The switch is set to 1, so only its
// registration says it is one.
constexpr char kProbeConfig[] =
    "tuning:\n"
    "  interval: 1s\n"
    "  builtin_rules: false\n"
    "  emergency_after: 100000\n"
    "  rules:\n"
    "    - name: ReportProbe\n"
    "      expr: system_memory_used_percent >= 0\n"
    "      for: 0s\n"
    "      cooldown: 1h\n"
    "      actions:\n"
    "        - {tunable: rep/cache.size, scale: 0.5}\n"
    "        - {tunable: rep/async.enabled, set: 1}\n";

// The ReportProbe rows of a JSON report's "tuning", by knob.
std::map<std::string, json> ProbeRows(const json& report) {
  std::map<std::string, json> rows;
  for (const json& r : report["tuning"]) {
    if (r["rule"] == "ReportProbe") rows[r["tunable"].get<std::string>()] = r;
  }
  return rows;
}

TEST(ReportTuningE2e, DecisionsOfThePeriodAppearInEveryFormatServedOrFromTheDataDir) {
  const std::string dir = FreshDir("pw_report_tuning_e2e");
  std::filesystem::create_directories(dir);
  const std::string config = dir + "/perfwatch.yaml";
  std::ofstream(config) << kProbeConfig;
  const std::string data = dir + "/data";
  auto perfwatch = std::make_unique<PerfwatchProcess>(
      std::vector<std::string>{"--interval", "1s", "--data-dir", data, "--config", config});
  ASSERT_TRUE(perfwatch->started()) << perfwatch->log();
  const uint16_t port = perfwatch->port();
  HttpResult registered =
      Post(port, "/api/v1/tunables",
           R"([{"app":"rep","name":"cache.size","value":1000,"min":100,)"
           R"("max":5000},{"app":"rep","name":"async.enabled","value":false}])");
  ASSERT_LT(registered.status, 300) << registered.body;
  auto finished = [&] {
    json h = json::parse(HttpGet(port, "/api/v1/tuning/history").body, nullptr, false);
    size_t done = 0;
    if (h.is_object() && h["data"].is_array()) {
      for (const json& r : h["data"]) done += r.value("outcome", "") == "failed" ? 1 : 0;
    }
    return done >= 2;
  };
  for (int i = 0; i < 120 && !finished(); ++i) std::this_thread::sleep_for(250ms);
  ASSERT_TRUE(finished()) << HttpGet(port, "/api/v1/tuning/history").body << perfwatch->log();

  auto report = [&](const std::string& format) {
    const std::string path = dir + "/report." + format;
    RunResult run =
        RunPerfwatch({"report", "--format", format, "--hours", "1", "--output", path, "--data-dir",
                      data, "--config", config, "--port", std::to_string(port)});
    EXPECT_EQ(run.exit_code, 0) << run.err;
    return ReadFile(path);
  };
  json served = json::parse(report("json"));
  EXPECT_EQ(served["tuning_mode"], "on");
  std::map<std::string, json> rows = ProbeRows(served);
  ASSERT_EQ(rows.size(), 2u) << served["tuning"].dump();
  const json& size = rows["cache.size"];
  EXPECT_EQ(size["app"], "rep");
  EXPECT_EQ(size["action"], "scale");
  EXPECT_EQ(size["description"], "scale 0.5 rep/cache.size");
  EXPECT_EQ(size["before"], 1000);
  EXPECT_EQ(size["after"], 500);
  EXPECT_EQ(size["boolean"], false);
  EXPECT_EQ(size["outcome"], "failed");
  EXPECT_FALSE(size["error"].get<std::string>().empty());
  EXPECT_NE(size["reason"].get<std::string>().find("system_memory_used_percent"), std::string::npos)
      << size.dump();
  const json& async = rows["async.enabled"];
  EXPECT_EQ(async["action"], "set");
  EXPECT_EQ(async["boolean"], true);
  EXPECT_EQ(async["before"], 0);
  EXPECT_EQ(async["after"], 1);
  EXPECT_EQ(async["outcome"], "failed");

  const std::string text = report("text");
  EXPECT_TRUE(std::regex_search(
      text, std::regex("\n  [-0-9: ]+ +#[0-9]+ +ReportProbe +scale 0\\.5 rep/cache\\.size +"
                       "rep/cache\\.size +1000 -> 500 +failed ")))
      << text;
  EXPECT_TRUE(std::regex_search(text, std::regex("rep/async\\.enabled +off -> on +failed ")))
      << text;
  const std::string tuning = SectionOf(report("html"), "tuning");
  EXPECT_NE(tuning.find(">1000 → 500<"), std::string::npos) << tuning;
  EXPECT_NE(tuning.find(">off → on<"), std::string::npos) << tuning;

  // With the server gone the command reads the audit from the data
  // directory itself; whether the loop runs is then not its to say.
  ASSERT_EQ(perfwatch->Terminate(), 0) << perfwatch->log();
  perfwatch.reset();
  json offline = json::parse(report("json"));
  EXPECT_TRUE(offline["tuning_mode"].is_null());
  std::map<std::string, json> offline_rows = ProbeRows(offline);
  ASSERT_EQ(offline_rows.size(), 2u) << offline["tuning"].dump();
  EXPECT_EQ(offline_rows["cache.size"], rows["cache.size"]);
  EXPECT_EQ(offline_rows["async.enabled"]["boolean"], true);  // from the stored tunables
  EXPECT_EQ(offline_rows["async.enabled"]["after"], 1);
}

}  // namespace
}  // namespace perfwatch::e2e
