// End-to-end closed-loop tuning: the example service (examples/
// tuned_service, which declares its knobs through include/perfwatch/
// tuning.hpp and reports through client.hpp) under real load from
// examples/tuned_load, watched and tuned by the real perfwatch binary. Each
// test reads the decisions back from GET /api/v1/tuning/history and the
// knobs the service actually runs with from its own GET /stats, so a
// decision that was recorded but never delivered (or delivered but not
// recorded) fails.
//
// The intervals are shortened (1 s evaluation tick, seconds of cooldown and
// window) so that a scenario takes seconds; the thresholds that must not
// fire are put out of reach.

#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <climits>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "harness.h"

extern char** environ;

namespace perfwatch::e2e {
namespace {

using json = nlohmann::json;
using namespace std::chrono_literals;

// A program started for the test and stopped by its PID: SIGTERM, then
// SIGKILL when it does not exit within 5 s.
class Child {
 public:
  // stdout goes to a pipe (read with WaitLine), stderr to `log_path`.
  Child(std::vector<std::string> argv, const std::string& log_path) {
    int fds[2];
    if (::pipe(fds) != 0) return;
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, fds[1], STDOUT_FILENO);
    posix_spawn_file_actions_addclose(&actions, fds[0]);
    posix_spawn_file_actions_addclose(&actions, fds[1]);
    posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, log_path.c_str(),
                                     O_WRONLY | O_CREAT | O_APPEND, 0644);
    std::vector<char*> args;
    for (std::string& a : argv) args.push_back(a.data());
    args.push_back(nullptr);
    if (::posix_spawn(&pid_, args[0], &actions, nullptr, args.data(), environ) != 0) pid_ = -1;
    posix_spawn_file_actions_destroy(&actions);
    ::close(fds[1]);
    out_fd_ = fds[0];
  }
  ~Child() {
    Stop();
    if (out_fd_ >= 0) ::close(out_fd_);
  }
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;

  pid_t pid() const { return pid_; }

  // The first stdout line that starts with `prefix`, or "" after `timeout`.
  std::string WaitLine(const std::string& prefix, std::chrono::seconds timeout) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    std::string buffer;
    char chunk[512];
    while (std::chrono::steady_clock::now() < deadline) {
      size_t nl;
      while ((nl = buffer.find('\n')) != std::string::npos) {
        std::string line = buffer.substr(0, nl);
        buffer.erase(0, nl + 1);
        if (line.rfind(prefix, 0) == 0) return line;
      }
      ssize_t n = ::read(out_fd_, chunk, sizeof chunk);
      if (n <= 0) return "";
      buffer.append(chunk, static_cast<size_t>(n));
    }
    return "";
  }

  void Stop() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGTERM);
    for (int i = 0; i < 50; ++i) {
      if (::waitpid(pid_, nullptr, WNOHANG) == pid_) {
        pid_ = -1;
        return;
      }
      std::this_thread::sleep_for(100ms);
    }
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
    pid_ = -1;
  }

 private:
  pid_t pid_ = -1;
  int out_fd_ = -1;
};

bool WaitFor(const std::function<bool()>& done, std::chrono::seconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (done()) return true;
    std::this_thread::sleep_for(250ms);
  }
  return done();
}

json GetJson(uint16_t port, const std::string& target) {
  HttpResult r = HttpGet(port, target);
  if (r.status != 200) return json();
  return json::parse(r.body, nullptr, false);
}

// A number, or a bool as 0/1 (bool tunables), or NaN.
double Number(const json& v) {
  if (v.is_boolean()) return v.get<bool>() ? 1 : 0;
  if (v.is_number()) return v.get<double>();
  return std::nan("");
}

uint16_t FreePort() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  socklen_t len = sizeof addr;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  ::close(fd);
  return ntohs(addr.sin_port);
}

// Settings every scenario shares: a 1 s evaluation tick and derived
// application figures over a 3 s window, so effects show within seconds.
// The built-in thresholds, and the emergency mode (a loaded 2-core test
// machine is often "Poor"), are out of reach unless a test sets its own.
std::string Config(const std::string& tuning_extra) {
  return "statsd:\n"
         "  quantile_window: 3s\n"
         "tuning:\n"
         "  interval: 1s\n"
         "  cooldown: 1h\n"
         "  window: 4s\n"
         "  for: 2s\n"
         "  memory_percent: 100\n"
         "  response_time_ms: 1000000\n"
         "  cache_hit_rate_percent: 0\n"
         "  emergency_after: 100000\n" +
         tuning_extra;
}

// perfwatch, the service and the load generator of one scenario, stopped by
// PID in reverse order when the test ends.
class Scenario {
 public:
  explicit Scenario(const std::string& name) : dir_(FreshDir("tuning-" + name)) {
    std::filesystem::create_directories(dir_);
  }

  // Starts perfwatch with `config` and `flags`.
  void StartPerfwatch(const std::string& config, std::vector<std::string> flags = {}) {
    std::string path = dir_ + "/perfwatch.yaml";
    std::ofstream(path) << config;
    flags.insert(flags.end(), {"--data-dir", dir_ + "/data", "--config", path});
    perfwatch_ = std::make_unique<PerfwatchProcess>(flags);
    ASSERT_TRUE(perfwatch_->started()) << perfwatch_->log();
  }
  void StopPerfwatch() {
    ASSERT_EQ(perfwatch_->Terminate(), 0) << perfwatch_->log();
    perfwatch_.reset();
  }

  void StartService(std::vector<std::string> args) {
    std::vector<std::string> argv = {TUNED_SERVICE_BINARY,
                                     "--port",
                                     "0",
                                     "--perfwatch-url",
                                     "http://127.0.0.1:" + std::to_string(perfwatch_->port()),
                                     "--statsd",
                                     "127.0.0.1:" + std::to_string(perfwatch_->statsd_port()),
                                     "--heartbeat-ms",
                                     "1000"};
    argv.insert(argv.end(), args.begin(), args.end());
    service_ = std::make_unique<Child>(argv, dir_ + "/service.log");
    std::string line = service_->WaitLine("listening on ", 20s);
    ASSERT_FALSE(line.empty()) << "tuned_service did not start; see " << dir_ << "/service.log";
    service_port_ = static_cast<uint16_t>(std::stoi(line.substr(line.rfind(':') + 1)));
    // The service registers its knobs at start; wait until perfwatch has them.
    ASSERT_TRUE(WaitFor([this] { return !Tunables().empty(); }, 20s)) << "no tunables registered";
  }

  void StartLoad(std::vector<std::string> args) {
    std::vector<std::string> argv = {
        TUNED_LOAD_BINARY, "--url", "http://127.0.0.1:" + std::to_string(service_port_),
        "--duration",      "300s",  "--quiet"};
    argv.insert(argv.end(), args.begin(), args.end());
    load_ = std::make_unique<Child>(argv, dir_ + "/load.log");
    ASSERT_GT(load_->pid(), 0);
  }

  // Decisions, newest first.
  json History() const {
    json j = GetJson(perfwatch_->port(), "/api/v1/tuning/history?limit=1000");
    return j.is_object() && j["data"].is_array() ? j["data"] : json::array();
  }
  // Decisions of `rule` (oldest first) with `outcome` ("" = any).
  std::vector<json> Records(const std::string& rule, const std::string& outcome = "") const {
    std::vector<json> out;
    for (const json& r : History()) {
      if (r.value("rule", "") == rule && (outcome.empty() || r.value("outcome", "") == outcome)) {
        out.push_back(r);
      }
    }
    std::reverse(out.begin(), out.end());
    return out;
  }
  json Tunables() const {
    json j = GetJson(perfwatch_->port(), "/api/v1/tunables");
    return j.is_object() && j["data"].is_array() ? j["data"] : json::array();
  }
  json ServiceStats() const { return GetJson(service_port_, "/stats"); }
  double Knob(const std::string& name) const { return Number(ServiceStats()["tunables"][name]); }
  int HookCount(const std::string& hook) const {
    int count = 0;
    const json stats = ServiceStats();  // the loop must not range over a temporary's member
    for (const json& h : stats["hooks"]) {
      if (h.value("hook", "") == hook) count += h.value("count", 0);
    }
    return count;
  }
  // Time of a record ("time", RFC 3339 UTC) in ms since the epoch.
  static int64_t TimeMs(const json& record) {
    std::string text = record.value("time", "");
    std::tm tm{};
    double seconds = 0;
    if (std::sscanf(text.c_str(), "%d-%d-%dT%d:%d:%lf", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
                    &tm.tm_hour, &tm.tm_min, &seconds) != 6) {
      ADD_FAILURE() << "record time is not RFC 3339: " << record.dump();
      return 0;
    }
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    return static_cast<int64_t>(::timegm(&tm)) * 1000 + std::llround(seconds * 1000);
  }

  PerfwatchProcess& perfwatch() { return *perfwatch_; }
  std::string Log() { return perfwatch_ ? perfwatch_->log() : ""; }

 private:
  std::string dir_;
  std::unique_ptr<PerfwatchProcess> perfwatch_;
  std::unique_ptr<Child> service_;
  uint16_t service_port_ = 0;
  std::unique_ptr<Child> load_;
};

// The start (ms) of the run of 1 s samples, ending at or before `until_ms`,
// in which `expr` held without a gap: when the trigger started to hold, as
// perfwatch's own stored history says.
int64_t TriggerStartMs(uint16_t port, const std::string& expr, int64_t until_ms) {
  std::string target =
      "/api/v1/query_range?step=1s&start=" + std::to_string((until_ms - 120'000) / 1000) +
      "&end=" + std::to_string(until_ms / 1000) + "&expr=";
  for (char c : expr) {
    char buf[4];
    std::snprintf(buf, sizeof buf, "%%%02X", static_cast<unsigned char>(c));
    target += std::isalnum(static_cast<unsigned char>(c)) ? std::string(1, c) : buf;
  }
  json j = GetJson(port, target);
  const json& result = j["data"]["result"];
  if (!result.is_array() || result.empty()) return 0;
  std::vector<int64_t> times;
  for (const json& v : result[0]["values"])
    times.push_back(std::llround(v[0].get<double>() * 1000));
  if (times.empty()) return 0;
  size_t i = times.size() - 1;
  while (i > 0 && times[i] - times[i - 1] <= 1000) --i;
  return times[i];
}

// Figures for bench/tuning_targets.sh, which runs these scenarios and takes
// medians (docs/PERFORMANCE.md); the tests themselves assert no timings.
void PrintFigure(const std::string& name, int64_t value) {
  std::printf("perfwatch-tuning-%s: %lld\n", name.c_str(), static_cast<long long>(value));
  std::fflush(stdout);
}

// Milliseconds between two records' decision times.
int64_t Gap(const json& a, const json& b) { return Scenario::TimeMs(b) - Scenario::TimeMs(a); }

TEST(TuningScenarioTest, RisingLatencyEnablesAsyncAndTheVerdictIsImproved) {
  Scenario s("latency");
  ASSERT_NO_FATAL_FAILURE(s.StartPerfwatch(Config("  response_time_ms: 60\n")));
  // Two workers and 30 ms of heavy work per request in the request path:
  // twelve clients queue up to ~180 ms.
  ASSERT_NO_FATAL_FAILURE(s.StartService(
      {"--pool-size", "2", "--heavy-ms", "30", "--backend-ms", "2", "--async", "false"}));
  ASSERT_NO_FATAL_FAILURE(s.StartLoad({"--concurrency", "12", "--keys", "50"}));

  ASSERT_TRUE(
      WaitFor([&] { return !s.Records("ResponseTimeOptimization", "applied").empty(); }, 60s))
      << s.History().dump(1) << s.Log();
  std::vector<json> applied = s.Records("ResponseTimeOptimization", "applied");
  const json* async_change = nullptr;
  for (const json& r : applied) {
    if (r.value("tunable", "") == "async.enabled") async_change = &r;
  }
  ASSERT_NE(async_change, nullptr) << s.History().dump(1);
  // The target: a decision at the first evaluation tick after the trigger
  // held for its `for` (2 s).
  const int64_t decided = Scenario::TimeMs(*async_change);
  const int64_t since = TriggerStartMs(
      s.perfwatch().port(), "app_response_time_avg_seconds{app=\"shop\"} > 0.06", decided);
  ASSERT_GT(since, 0);
  PrintFigure("decision-after-for-ms", decided - (since + 2000));
  EXPECT_GE(decided - since, 2000) << "decided before the trigger held for its `for`";
  EXPECT_EQ((*async_change)["app"], "shop");
  EXPECT_EQ(Number((*async_change)["before"]), 0);
  EXPECT_EQ(Number((*async_change)["after"]), 1);
  EXPECT_EQ(s.Knob("async.enabled"), 1) << s.ServiceStats().dump();
  EXPECT_TRUE(WaitFor([&] { return s.HookCount("move_heavy_to_background") >= 1; }, 10s))
      << s.ServiceStats().dump();

  // The window after the change shows the latency falling.
  int64_t id = (*async_change)["id"];
  json judged;
  ASSERT_TRUE(WaitFor(
      [&] {
        for (const json& r : s.History()) {
          if (r["id"] == id && r.value("verdict", "") != "pending") judged = r;
        }
        return !judged.is_null();
      },
      30s));
  EXPECT_EQ(judged["verdict"], "improved") << judged.dump();
  EXPECT_LT(Number(judged["metric_after"]), Number(judged["metric_before"])) << judged.dump();
}

TEST(TuningScenarioTest, FallingHitRateRaisesTheTtlOncePerCooldown) {
  Scenario s("hitrate");
  ASSERT_NO_FATAL_FAILURE(
      s.StartPerfwatch(Config("  cache_hit_rate_percent: 60\n"
                              "  cooldown: 4s\n"
                              "  for: 1s\n"
                              "  rollback: false\n")));
  // 2000 keys at 400 requests/s come back every ~5 s: a 1 s TTL misses
  // nearly always.
  ASSERT_NO_FATAL_FAILURE(
      s.StartService({"--cache-ttl", "1", "--cache-size", "100000", "--backend-ms", "1",
                      "--heavy-ms", "0", "--pool-size", "4"}));
  ASSERT_NO_FATAL_FAILURE(
      s.StartLoad({"--concurrency", "4", "--keys", "2000", "--zipf", "0", "--rate", "400"}));

  ASSERT_TRUE(WaitFor(
      [&] {
        int ttl_changes = 0;
        for (const json& r : s.Records("CachePerformanceOptimization", "applied")) {
          ttl_changes += r.value("tunable", "") == "cache.ttl_seconds";
        }
        return ttl_changes >= 2;
      },
      60s))
      << s.History().dump(1) << s.Log();
  std::vector<json> ttl;
  for (const json& r : s.Records("CachePerformanceOptimization", "applied")) {
    if (r.value("tunable", "") == "cache.ttl_seconds") ttl.push_back(r);
  }
  EXPECT_EQ(Number(ttl[0]["before"]), 1);
  for (size_t i = 0; i < ttl.size(); ++i) {
    // +50 %, rounded to whole seconds, and never lower than before.
    EXPECT_GT(Number(ttl[i]["after"]), Number(ttl[i]["before"])) << ttl[i].dump();
    EXPECT_NEAR(Number(ttl[i]["after"]), Number(ttl[i]["before"]) * 1.5, 0.5) << ttl[i].dump();
    if (i > 0) {
      EXPECT_GE(Gap(ttl[i - 1], ttl[i]), 4000) << "two changes within the cooldown";
      EXPECT_EQ(Number(ttl[i]["before"]), Number(ttl[i - 1]["after"]));
    }
  }
  // What the service runs with is what the newest confirmed change set.
  EXPECT_TRUE(WaitFor(
      [&] {
        std::vector<json> now;
        for (const json& r : s.Records("CachePerformanceOptimization", "applied")) {
          if (r.value("tunable", "") == "cache.ttl_seconds") now.push_back(r);
        }
        return s.Knob("cache.ttl_seconds") == Number(now.back()["after"]);
      },
      5s))
      << s.ServiceStats().dump();
  EXPECT_GE(s.HookCount("cache_warmup"), 1) << s.ServiceStats().dump();
}

TEST(TuningScenarioTest, MemoryPressureShrinksTheCacheByThirtyPercent) {
  const double used = ReadMemoryUsedPercent();
  ASSERT_LT(used, 90) << "the host is already under memory pressure; this test needs headroom";
  Scenario s("memory");
  // Just above what the host uses now; stress-ng then takes 6 % more.
  char threshold[32];
  std::snprintf(threshold, sizeof threshold, "%.1f", used + 3);
  ASSERT_NO_FATAL_FAILURE(
      s.StartPerfwatch(Config(std::string("  memory_percent: ") + threshold + "\n")));
  ASSERT_NO_FATAL_FAILURE(s.StartService({"--cache-size", "1000"}));
  ASSERT_NO_FATAL_FAILURE(s.StartLoad({"--concurrency", "2", "--keys", "200", "--rate", "100"}));

  std::ifstream meminfo("/proc/meminfo");
  std::string key;
  long long total_kb = 0;
  meminfo >> key >> total_kb;
  long long stress_mb = total_kb * 6 / 100 / 1024;
  Child stress({"/usr/bin/stress-ng", "--vm", "1", "--vm-bytes", std::to_string(stress_mb) + "M",
                "--vm-keep", "--timeout", "120s", "--quiet"},
               "/dev/null");
  ASSERT_GT(stress.pid(), 0) << "stress-ng did not start";

  ASSERT_TRUE(WaitFor([&] { return !s.Records("MemoryOptimization", "applied").empty(); }, 60s))
      << "memory " << ReadMemoryUsedPercent() << "% vs threshold " << threshold << "\n"
      << s.History().dump(1) << s.Log();
  stress.Stop();
  json change;
  for (const json& r : s.Records("MemoryOptimization", "applied")) {
    if (r.value("tunable", "") == "cache.size") change = r;
  }
  ASSERT_FALSE(change.is_null()) << s.History().dump(1);
  EXPECT_EQ(Number(change["before"]), 1000);
  EXPECT_EQ(Number(change["after"]), 700);
  EXPECT_EQ(s.Knob("cache.size"), 700) << s.ServiceStats().dump();
  EXPECT_EQ(s.ServiceStats()["cache"].value("capacity", 0), 700);
  EXPECT_TRUE(WaitFor([&] { return s.HookCount("memory_cleanup") >= 1; }, 10s))
      << s.ServiceStats().dump();
}

// A rule that shrinks the worker pool to one under load: latency rises and
// the change is undone within one evaluation window.
const char kHarmfulRule[] =
    "  builtin_rules: false\n"
    "  rules:\n"
    "    - name: ShrinkPoolHarmfully\n"
    "      expr: app_response_time_avg_seconds{app=\"shop\"} > 0.001\n"
    "      for: 1s\n"
    "      action: {tunable: shop/pool.size, set: 1}\n"
    "      window: 4s\n";

TEST(TuningScenarioTest, HarmfulChangeIsRolledBackWithinOneWindow) {
  Scenario s("rollback");
  ASSERT_NO_FATAL_FAILURE(s.StartPerfwatch(Config(kHarmfulRule)));
  ASSERT_NO_FATAL_FAILURE(s.StartService(
      {"--pool-size", "8", "--heavy-ms", "20", "--backend-ms", "1", "--async", "false"}));
  ASSERT_NO_FATAL_FAILURE(s.StartLoad({"--concurrency", "8", "--keys", "50"}));

  ASSERT_TRUE(WaitFor([&] { return !s.Records("ShrinkPoolHarmfully", "applied").empty(); }, 60s))
      << s.History().dump(1) << s.Log();
  json change = s.Records("ShrinkPoolHarmfully", "applied").front();
  EXPECT_EQ(Number(change["after"]), 1);
  int64_t id = change["id"];
  json rollback;
  ASSERT_TRUE(WaitFor(
      [&] {
        for (const json& r : s.History()) {
          if (r["rollback_of"].is_number() && r["rollback_of"] == id &&
              r.value("outcome", "") == "applied") {
            rollback = r;
          }
        }
        return !rollback.is_null();
      },
      30s))
      << s.History().dump(1);
  EXPECT_EQ(rollback["action"], "rollback");
  EXPECT_EQ(Number(rollback["after"]), 8);
  // One window (4 s) after the change, at the tick that closes the window;
  // the slack is for ticks a loaded machine skips.
  PrintFigure("rollback-after-window-ms", Gap(change, rollback) - 4000);
  EXPECT_GE(Gap(change, rollback), 4000) << "judged before its window was over";
  EXPECT_LE(Gap(change, rollback), 4000 + 4000) << change.dump() << rollback.dump();
  for (const json& r : s.History()) {
    if (r["id"] == id) {
      EXPECT_EQ(r["verdict"], "rolled_back") << r.dump();
      EXPECT_GT(Number(r["metric_after"]), Number(r["metric_before"])) << r.dump();
    }
  }
  EXPECT_TRUE(WaitFor([&] { return s.Knob("pool.size") == 8; }, 5s)) << s.ServiceStats().dump();
  // The cooldown (1 h) keeps the rule from doing it again.
  std::this_thread::sleep_for(3s);
  int decisions = 0;
  for (const json& r : s.Records("ShrinkPoolHarmfully")) decisions += r["action"] != "rollback";
  EXPECT_EQ(decisions, 1) << s.History().dump(1);
}

TEST(TuningScenarioTest, CooldownAndHourlyCapHoldAndKnobsStayWithinLimits) {
  Scenario s("caps");
  ASSERT_NO_FATAL_FAILURE(
      s.StartPerfwatch(Config("  builtin_rules: false\n"
                              "  rules:\n"
                              "    - name: SteadyShrink\n"
                              "      expr: app_cache_size{app=\"shop\"} > 0\n"
                              "      for: 0s\n"
                              "      action: {tunable: shop/cache.size, scale: 0.9}\n"
                              "      cooldown: 2s\n"
                              "      max_actions_per_hour: 3\n"
                              "      rollback: false\n"
                              "    - name: ShrinkTtlToTheFloor\n"
                              "      expr: app_cache_size{app=\"shop\"} > 0\n"
                              "      for: 0s\n"
                              "      action: {tunable: shop/cache.ttl_seconds, scale: 0.3}\n"
                              "      cooldown: 1s\n"
                              "      max_actions_per_hour: 100\n"
                              "      rollback: false\n")));
  ASSERT_NO_FATAL_FAILURE(s.StartService({"--cache-size", "1000", "--cache-ttl", "100"}));
  ASSERT_NO_FATAL_FAILURE(s.StartLoad({"--concurrency", "2", "--keys", "100", "--rate", "50"}));

  // The trigger stays true throughout: three changes, then the cap.
  ASSERT_TRUE(WaitFor([&] { return s.Records("SteadyShrink", "applied").size() >= 3; }, 40s))
      << s.History().dump(1) << s.Log();
  // The TTL reaches its floor (1 s): 100 -> 30 -> 9 -> 3 -> 1, then nothing moves.
  ASSERT_TRUE(WaitFor([&] { return !s.Records("ShrinkTtlToTheFloor", "skipped").empty(); }, 40s))
      << s.History().dump(1);
  std::this_thread::sleep_for(4s);  // several more ticks with the trigger true

  std::vector<json> shrink = s.Records("SteadyShrink", "applied");
  ASSERT_EQ(shrink.size(), 3u) << "the hourly cap of 3 was exceeded:\n" << s.History().dump(1);
  int64_t min_gap = INT64_MAX;
  for (size_t i = 1; i < shrink.size(); ++i)
    min_gap = std::min(min_gap, Gap(shrink[i - 1], shrink[i]));
  PrintFigure("min-gap-between-decisions-ms", min_gap);
  PrintFigure("decisions-in-hour-with-cap-3", static_cast<int64_t>(shrink.size()));
  const double expected[] = {900, 810, 729};
  for (size_t i = 0; i < shrink.size(); ++i) {
    EXPECT_EQ(Number(shrink[i]["after"]), expected[i]) << shrink[i].dump();
    if (i > 0) EXPECT_GE(Gap(shrink[i - 1], shrink[i]), 2000) << "within the cooldown";
  }
  EXPECT_EQ(s.Knob("cache.size"), 729);

  std::vector<json> ttl = s.Records("ShrinkTtlToTheFloor", "applied");
  ASSERT_FALSE(ttl.empty());
  for (const json& r : ttl) EXPECT_GE(Number(r["after"]), 1) << "left its minimum: " << r.dump();
  EXPECT_EQ(Number(ttl.back()["after"]), 1);
  EXPECT_EQ(s.Knob("cache.ttl_seconds"), 1);
  // At its limit the rule records one "skipped", not one per tick.
  EXPECT_EQ(s.Records("ShrinkTtlToTheFloor", "skipped").size(), 1u) << s.History().dump(1);
}

TEST(TuningScenarioTest, NoAutoTuningChangesNothing) {
  Scenario s("off");
  ASSERT_NO_FATAL_FAILURE(s.StartPerfwatch(Config(kHarmfulRule), {"--no-auto-tuning"}));
  ASSERT_NO_FATAL_FAILURE(
      s.StartService({"--pool-size", "8", "--heavy-ms", "20", "--backend-ms", "1"}));
  ASSERT_NO_FATAL_FAILURE(s.StartLoad({"--concurrency", "8", "--keys", "50"}));
  // Long enough for the trigger to hold well past its `for`.
  std::this_thread::sleep_for(8s);
  EXPECT_TRUE(s.History().empty()) << s.History().dump(1);
  EXPECT_EQ(s.Knob("pool.size"), 8);
  EXPECT_TRUE(s.ServiceStats()["changes"].empty()) << s.ServiceStats().dump();
  // The knobs are still declared and listed.
  bool listed = false;
  for (const json& t : s.Tunables()) listed |= t["app"] == "shop" && t["name"] == "pool.size";
  EXPECT_TRUE(listed) << s.Tunables().dump(1);
  json rules = GetJson(s.perfwatch().port(), "/api/v1/tuning/rules");
  EXPECT_EQ(rules["data"]["state"]["enabled"], false) << rules.dump();
}

TEST(TuningScenarioTest, RejectedUpdateIsRecordedAsRejectedAndNotRetried) {
  Scenario s("rejected");
  ASSERT_NO_FATAL_FAILURE(
      s.StartPerfwatch(Config("  builtin_rules: false\n"
                              "  rules:\n"
                              "    - name: GrowPool\n"
                              "      expr: app_cache_size{app=\"shop\"} > 0\n"
                              "      for: 0s\n"
                              "      action: {tunable: shop/pool.size, set: 6}\n")));
  ASSERT_NO_FATAL_FAILURE(s.StartService({"--pool-size", "4", "--reject", "pool.size"}));
  ASSERT_NO_FATAL_FAILURE(s.StartLoad({"--concurrency", "2", "--keys", "50", "--rate", "50"}));

  ASSERT_TRUE(WaitFor([&] { return !s.Records("GrowPool", "rejected").empty(); }, 40s))
      << s.History().dump(1) << s.Log();
  json rejected = s.Records("GrowPool", "rejected").front();
  EXPECT_NE(rejected.value("error", "").find("rejected by --reject"), std::string::npos)
      << rejected.dump();
  std::this_thread::sleep_for(5s);  // five more ticks with the trigger true
  EXPECT_EQ(s.Records("GrowPool").size(), 1u) << s.History().dump(1);
  EXPECT_EQ(s.Knob("pool.size"), 4);
  int attempts = 0;
  const json stats = s.ServiceStats();
  for (const json& c : stats["changes"]) attempts += c.value("name", "") == "pool.size";
  EXPECT_EQ(attempts, 1) << s.ServiceStats().dump();
  for (const json& t : s.Tunables()) {
    if (t["name"] == "pool.size") EXPECT_EQ(Number(t["value"]), 4) << t.dump();
  }
}

TEST(TuningScenarioTest, DryRunRecordsWhatItWouldDoAndChangesNothing) {
  Scenario s("dryrun");
  ASSERT_NO_FATAL_FAILURE(s.StartPerfwatch(Config(kHarmfulRule), {"--dry-run-tuning"}));
  ASSERT_NO_FATAL_FAILURE(
      s.StartService({"--pool-size", "8", "--heavy-ms", "20", "--backend-ms", "1"}));
  ASSERT_NO_FATAL_FAILURE(s.StartLoad({"--concurrency", "8", "--keys", "50"}));
  ASSERT_TRUE(WaitFor([&] { return !s.Records("ShrinkPoolHarmfully", "dry_run").empty(); }, 40s))
      << s.History().dump(1) << s.Log();
  json r = s.Records("ShrinkPoolHarmfully", "dry_run").front();
  EXPECT_EQ(Number(r["before"]), 8);
  EXPECT_EQ(Number(r["after"]), 1);
  EXPECT_EQ(s.Knob("pool.size"), 8);
  EXPECT_TRUE(s.ServiceStats()["changes"].empty()) << s.ServiceStats().dump();
}

TEST(TuningScenarioTest, ChangesReachTheServiceAfterPerfwatchRestartsAndCooldownsPersist) {
  Scenario s("restart");
  const std::string port = std::to_string(FreePort());
  const std::string first_rule =
      "  builtin_rules: false\n"
      "  rules:\n"
      "    - name: LongerTtl\n"
      "      expr: app_cache_size{app=\"shop\"} > 0\n"
      "      for: 0s\n"
      "      action: {tunable: shop/cache.ttl_seconds, set: 45}\n";
  ASSERT_NO_FATAL_FAILURE(s.StartPerfwatch(Config(first_rule), {"--port", port}));
  ASSERT_NO_FATAL_FAILURE(s.StartService({"--cache-ttl", "30", "--pool-size", "4"}));
  ASSERT_NO_FATAL_FAILURE(s.StartLoad({"--concurrency", "2", "--keys", "50", "--rate", "50"}));
  ASSERT_TRUE(WaitFor([&] { return !s.Records("LongerTtl", "applied").empty(); }, 40s))
      << s.History().dump(1) << s.Log();
  EXPECT_EQ(s.Knob("cache.ttl_seconds"), 45);

  ASSERT_NO_FATAL_FAILURE(s.StopPerfwatch());
  // The same address, one more rule; the service keeps running throughout.
  ASSERT_NO_FATAL_FAILURE(
      s.StartPerfwatch(Config(first_rule + "    - name: BiggerPool\n"
                                           "      expr: app_cache_size{app=\"shop\"} > 0\n"
                                           "      for: 0s\n"
                                           "      action: {tunable: shop/pool.size, set: 3}\n"),
                       {"--port", port}));
  ASSERT_TRUE(WaitFor([&] { return !s.Records("BiggerPool", "applied").empty(); }, 40s))
      << s.History().dump(1) << s.Log();
  EXPECT_EQ(s.Knob("pool.size"), 3) << s.ServiceStats().dump();
  // LongerTtl's cooldown (1 h) survived the restart: still one decision.
  EXPECT_EQ(s.Records("LongerTtl").size(), 1u) << s.History().dump(1);
}

TEST(TuningScenarioTest, ConsecutivePoorEvaluationsEnterTheEmergencyMode) {
  Scenario s("emergency");
  // Any CPU use at all makes the status Poor, so three ticks in a row are.
  ASSERT_NO_FATAL_FAILURE(
      s.StartPerfwatch("thresholds:\n  cpu_percent: 0.01\n"
                       "status:\n  excellent: {cpu_percent: 0.001}\n"
                       "  fair: {cpu_percent: 0.005}\n" +
                       Config("  emergency_after: 3\n")));
  ASSERT_NO_FATAL_FAILURE(s.StartService({"--cache-size", "1000", "--async", "false"}));
  ASSERT_NO_FATAL_FAILURE(s.StartLoad({"--concurrency", "2", "--keys", "50", "--rate", "100"}));

  auto emergency_applied = [&](const std::string& tunable) {
    for (const json& r : s.History()) {
      if (r.value("emergency", false) && r.value("tunable", "") == tunable &&
          r.value("outcome", "") == "applied") {
        return true;
      }
    }
    return false;
  };
  ASSERT_TRUE(WaitFor([&] { return emergency_applied("async.enabled"); }, 40s))
      << s.History().dump(1) << s.Log();
  EXPECT_TRUE(WaitFor([&] { return emergency_applied("cache.size"); }, 5s)) << s.History().dump(1);
  // Every optimisation forced on, and the emergency clean-up asked for.
  EXPECT_EQ(s.Knob("async.enabled"), 1) << s.ServiceStats().dump();
  EXPECT_EQ(s.Knob("cache.size"), 700) << s.ServiceStats().dump();
  EXPECT_TRUE(WaitFor([&] { return s.HookCount("emergency_cleanup") >= 1; }, 10s))
      << s.ServiceStats().dump();
  json rules = GetJson(s.perfwatch().port(), "/api/v1/tuning/rules");
  EXPECT_GE(rules["data"]["state"].value("consecutive_poor", 0), 3) << rules.dump();
}

}  // namespace
}  // namespace perfwatch::e2e
