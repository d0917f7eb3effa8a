// `perfwatch check` from the outside, as Docker, cron and Nagios run it: the
// built binary against the local host with thresholds that must and must
// not trip, against processes that do and do not run, and against a real
// perfwatch on loopback (its status class, a firing critical alert, and a
// closed port).

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include "../e2e/harness.h"

namespace perfwatch {
namespace {

using e2e::PerfwatchProcess;
using e2e::RunPerfwatch;
using e2e::RunResult;
using nlohmann::json;

// Thresholds nothing on a live host can pass, and a short CPU sample.
const std::vector<std::string> kNeverTrips = {
    "--cpu-warn",    "101", "--cpu-crit",  "101", "--memory-warn", "101",
    "--memory-crit", "101", "--disk-warn", "101", "--disk-crit",   "101",
    "--load-warn",   "1e9", "--load-crit", "1e9", "--sample",      "100ms"};

RunResult Check(std::vector<std::string> args, bool never_trips = false) {
  std::vector<std::string> full = {"check"};
  if (never_trips) full.insert(full.end(), kNeverTrips.begin(), kNeverTrips.end());
  full.insert(full.end(), args.begin(), args.end());
  return RunPerfwatch(full);
}

std::string Dir(const std::string& name) {
  std::string dir = "/tmp/perfwatch-check-test/" + name + "_" + std::to_string(getpid());
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir;
}

// The plugin line: one line, "PERFWATCH STATE - reason[ | perfdata]".
struct PluginLine {
  std::string state;
  std::string reason;
  std::string perfdata;
};

PluginLine ParseLine(const std::string& out) {
  EXPECT_FALSE(out.empty());
  EXPECT_EQ(out.back(), '\n');
  EXPECT_EQ(out.find('\n'), out.size() - 1) << "more than one line: " << out;
  std::smatch m;
  std::string line = out.substr(0, out.find('\n'));
  static const std::regex kLine(
      R"(PERFWATCH (OK|WARNING|CRITICAL|UNKNOWN) - ([^|]*?)(?: \| (.*))?)");
  if (!std::regex_match(line, m, kLine)) {
    ADD_FAILURE() << "not a plugin line: " << line;
    return {};
  }
  return {m[1], m[2], m[3]};
}

// Nagios perfdata: label=value[UOM];[warn];[crit];[min];[max], space-separated.
std::map<std::string, double> ParsePerfdata(const std::string& perf) {
  std::map<std::string, double> values;
  static const std::regex kEntry(
      R"(([A-Za-z0-9_./:-]+)=(-?[0-9.]+)(%|B|s)?(;(-?[0-9.e+]*)(;(-?[0-9.e+]*)(;(-?[0-9.e+]*)(;(-?[0-9.e+]*))?)?)?)?)");
  std::istringstream in(perf);
  std::string entry;
  while (in >> entry) {
    std::smatch m;
    if (!std::regex_match(entry, m, kEntry)) {
      ADD_FAILURE() << "perfdata entry does not parse: " << entry;
      continue;
    }
    values[m[1]] = std::stod(m[2]);
  }
  return values;
}

// A `sleep` whose process name is ours alone: exec'd through a symlink,
// so /proc/PID/comm is the link's name.
class NamedSleeper {
 public:
  explicit NamedSleeper(const std::string& name) {
    std::string dir = Dir("sleeper");
    link_ = dir + "/" + name;
    std::filesystem::create_symlink("/bin/sleep", link_);
    pid_ = fork();
    if (pid_ == 0) {
      execl(link_.c_str(), name.c_str(), "30", static_cast<char*>(nullptr));
      _exit(127);
    }
  }
  ~NamedSleeper() {
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
  }
  pid_t pid() const { return pid_; }

 private:
  std::string link_;
  pid_t pid_ = -1;
};

// A TCP port nobody listens on: bound, then closed.
uint16_t ClosedPort() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  socklen_t len = sizeof addr;
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  close(fd);
  return ntohs(addr.sin_port);
}

std::string Url(uint16_t port) { return "http://127.0.0.1:" + std::to_string(port); }

TEST(CheckLocal, ThresholdsThatCannotTripAreOk) {
  RunResult r = Check({}, true);
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  PluginLine line = ParseLine(r.out);
  EXPECT_EQ(line.state, "OK");
  EXPECT_NE(line.reason.find("memory"), std::string::npos) << line.reason;
  std::map<std::string, double> perf = ParsePerfdata(line.perfdata);
  for (const char* key : {"cpu", "memory", "swap", "load1_per_core", "disk_root"}) {
    EXPECT_TRUE(perf.count(key)) << key << " missing from " << line.perfdata;
  }
  EXPECT_GE(perf["cpu"], 0);
  EXPECT_LE(perf["cpu"], 100);
  EXPECT_GT(perf["memory"], 0);
  EXPECT_LE(perf["memory"], 100);
  EXPECT_GT(perf["disk_root"], 0);
  EXPECT_EQ(r.err, "");
}

TEST(CheckLocal, PerfdataCarriesTheLevelsGiven) {
  RunResult r = Check({"--memory-warn", "99.5", "--memory-crit", "99.9"});
  PluginLine line = ParseLine(r.out);
  EXPECT_NE(line.perfdata.find(";99.5;99.9;0;100"), std::string::npos) << line.perfdata;
  EXPECT_TRUE(std::regex_search(line.perfdata, std::regex(R"(memory=[0-9.]+%;99\.5;99\.9;0;100)")))
      << line.perfdata;
}

TEST(CheckLocal, MemoryOverTheWarningLevelIsAWarningNamingMemory) {
  RunResult r = Check({"--memory-warn", "1", "--memory-crit", "101"}, true);
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  PluginLine line = ParseLine(r.out);
  EXPECT_EQ(line.state, "WARNING");
  EXPECT_TRUE(std::regex_search(line.reason, std::regex(R"(^memory [0-9.]+% > 1\.0%)")))
      << line.reason;
}

TEST(CheckLocal, MemoryOverTheCriticalLevelIsCriticalAndNamedFirst) {
  // The warning on disk must come after the critical on memory.
  RunResult r = Check(
      {"--disk-warn", "0", "--disk-crit", "101", "--memory-warn", "1", "--memory-crit", "1"}, true);
  EXPECT_EQ(r.exit_code, 2) << r.out << r.err;
  PluginLine line = ParseLine(r.out);
  EXPECT_EQ(line.state, "CRITICAL");
  EXPECT_EQ(line.reason.rfind("memory ", 0), 0u) << line.reason;
  EXPECT_NE(line.reason.find("; disk / "), std::string::npos) << line.reason;
}

TEST(CheckLocal, DiskThatIsNotThereIsCritical) {
  RunResult r = Check({"--disk", "/", "--disk", "/nonexistent/perfwatch-check-volume"}, true);
  EXPECT_EQ(r.exit_code, 2) << r.out << r.err;
  PluginLine line = ParseLine(r.out);
  EXPECT_EQ(line.state, "CRITICAL");
  EXPECT_NE(line.reason.find("disk /nonexistent/perfwatch-check-volume not accessible"),
            std::string::npos)
      << line.reason;
}

TEST(CheckLocal, ProcessThatDoesNotRunIsCritical) {
  const std::string name = "pwnone" + std::to_string(getpid());
  RunResult r = Check({"--process", name}, true);
  EXPECT_EQ(r.exit_code, 2) << r.out << r.err;
  PluginLine line = ParseLine(r.out);
  EXPECT_EQ(line.reason, "process " + name + " not running");
  EXPECT_EQ(ParsePerfdata(line.perfdata)["procs_" + name], 0);
}

TEST(CheckLocal, ProcessThatRunsIsOkByNameAndByPid) {
  const std::string name = "pwck" + std::to_string(getpid());
  NamedSleeper sleeper(name);
  // The child may not have exec'd yet; a few tries, no time limit.
  RunResult r;
  for (int i = 0; i < 50; ++i) {
    r = Check({"--process", name, "--process", std::to_string(sleeper.pid())}, true);
    if (r.exit_code == 0) break;
    usleep(100 * 1000);
  }
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  PluginLine line = ParseLine(r.out);
  EXPECT_NE(line.reason.find("process " + name + " running (1 process)"), std::string::npos)
      << line.reason;
  EXPECT_EQ(ParsePerfdata(line.perfdata)["procs_" + name], 1);
}

TEST(CheckLocal, ProcessMemoryLevelTrips) {
  const std::string name = "pwrs" + std::to_string(getpid());
  NamedSleeper sleeper(name);
  RunResult r;
  for (int i = 0; i < 50; ++i) {
    r = Check({"--process", name, "--process-rss-warn", "1B", "--process-rss-crit", "1TiB"}, true);
    if (r.exit_code != 2) break;  // 2: not exec'd yet
    usleep(100 * 1000);
  }
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_NE(ParseLine(r.out).reason.find("largest RSS"), std::string::npos) << r.out;
}

TEST(CheckLocal, JsonIsOneObjectWithEveryCheck) {
  RunResult r = Check({"--memory-warn", "1", "--memory-crit", "101", "--json"}, true);
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_EQ(r.out.find('\n'), r.out.size() - 1);
  json j = json::parse(r.out, nullptr, false);
  ASSERT_TRUE(j.is_object()) << r.out;
  EXPECT_EQ(j["status"], "WARNING");
  EXPECT_EQ(j["code"], 1);
  EXPECT_NE(j["reason"].get<std::string>().find("memory"), std::string::npos);
  ASSERT_TRUE(j["checks"].is_array());
  std::map<std::string, json> by_name;
  for (const json& c : j["checks"]) by_name[c["name"].get<std::string>()] = c;
  for (const char* key : {"cpu", "memory", "swap", "load1/core", "disk /"}) {
    EXPECT_TRUE(by_name.count(key)) << key << " missing: " << r.out;
  }
  EXPECT_EQ(by_name["memory"]["status"], "WARNING");
  EXPECT_EQ(by_name["memory"]["warn"], 1.0);
  EXPECT_EQ(by_name["memory"]["unit"], "%");
  EXPECT_EQ(by_name["cpu"]["status"], "OK");
}

TEST(CheckLocal, HostPathsComeFromFlags) {
  // A procfs that is not there: nothing can be read, so nothing is known.
  RunResult r = Check({"--procfs", "/nonexistent/proc", "--disk", "/"}, true);
  EXPECT_EQ(r.exit_code, 3) << r.out << r.err;
  PluginLine line = ParseLine(r.out);
  EXPECT_EQ(line.state, "UNKNOWN");
  EXPECT_NE(line.reason.find("/nonexistent/proc/stat"), std::string::npos) << line.reason;
  EXPECT_NE(line.reason.find("/nonexistent/proc/meminfo"), std::string::npos) << line.reason;

  // --rootfs prefixes the disk paths.
  std::string root = Dir("rootfs");
  std::filesystem::create_directories(root + "/data");
  r = Check({"--rootfs", root, "--disk", "/data", "--disk", "/missing"}, true);
  EXPECT_EQ(r.exit_code, 2) << r.out;
  line = ParseLine(r.out);
  EXPECT_EQ(line.reason.find("disk /data"), std::string::npos) << line.reason;
  EXPECT_NE(line.reason.find("disk /missing not accessible"), std::string::npos) << line.reason;
  EXPECT_TRUE(ParsePerfdata(line.perfdata).count("disk_data")) << line.perfdata;
}

TEST(CheckUsage, BadFlagsAreUnknownWithAClearMessage) {
  struct Case {
    std::vector<std::string> args;
    std::string says;
  };
  const Case cases[] = {
      {{"--cpu-warn", "lots"}, "--cpu-warn: expected a number"},
      {{"--memory-warn", "96"}, "--memory-warn 96.0 is above the critical level 95.0"},
      {{"--frobnicate"}, "unknown option \"--frobnicate\""},
      {{"--sample", "soon"}, "--sample"},
      {{"--disk", "relative/path"}, "--disk: expected an absolute path"},
      {{"--url", "https://example.com"}, "--url"},
      {{"--url", Url(1), "--cpu-warn", "50"}, "--cpu-warn is for a local check"},
      {{"--timeout", "2s"}, "--timeout needs --url"},
      {{"--url", Url(1), "--status-warn", "meh"}, "--status-warn: expected a status class"},
      {{"--cpu-warn"}, "--cpu-warn needs a value"},
  };
  for (const Case& c : cases) {
    RunResult r = Check(c.args);
    EXPECT_EQ(r.exit_code, 3) << c.says << ": " << r.out << r.err;
    PluginLine line = ParseLine(r.out);
    EXPECT_EQ(line.state, "UNKNOWN");
    EXPECT_NE(line.reason.find(c.says), std::string::npos) << line.reason;
    EXPECT_NE(r.err.find(c.says), std::string::npos) << r.err;
  }
}

TEST(CheckUsage, BadFlagsWithJsonAreAJsonUnknown) {
  RunResult r = Check({"--cpu-warn", "lots", "--json"});
  EXPECT_EQ(r.exit_code, 3);
  json j = json::parse(r.out, nullptr, false);
  ASSERT_TRUE(j.is_object()) << r.out;
  EXPECT_EQ(j["status"], "UNKNOWN");
  EXPECT_EQ(j["code"], 3);
  EXPECT_NE(j["reason"].get<std::string>().find("--cpu-warn"), std::string::npos) << r.out;
}

TEST(CheckUsage, HelpListsTheFlagsAndExamples) {
  RunResult r = Check({"--help"});
  EXPECT_EQ(r.exit_code, 0);
  for (const char* s : {"--cpu-warn", "--url", "--process", "--json", "HEALTHCHECK", "Examples"}) {
    EXPECT_NE(r.out.find(s), std::string::npos) << s;
  }
}

TEST(CheckRemote, ClosedPortIsUnknownWithAReason) {
  RunResult r = Check({"--url", Url(ClosedPort()), "--timeout", "5s"});
  EXPECT_EQ(r.exit_code, 3) << r.out << r.err;
  PluginLine line = ParseLine(r.out);
  EXPECT_EQ(line.state, "UNKNOWN");
  EXPECT_NE(line.reason.find("127.0.0.1"), std::string::npos) << line.reason;
  EXPECT_NE(line.reason.find("connect"), std::string::npos) << line.reason;
}

// The status class a perfwatch serves right now.
json FetchStatus(uint16_t port) {
  for (int i = 0; i < 100; ++i) {
    e2e::HttpResult r = e2e::HttpGet(port, "/api/v1/status");
    if (r.status == 200) return json::parse(r.body, nullptr, false);
    usleep(100 * 1000);
  }
  return json();
}

TEST(CheckRemote, VerdictFollowsTheServersStatusClass) {
  std::string dir = Dir("status");
  PerfwatchProcess server({"--data-dir", dir, "--no-builtin-rules", "--interval", "1s"});
  ASSERT_TRUE(server.started()) << server.log();
  json status = FetchStatus(server.port());
  ASSERT_TRUE(status.is_object());
  // Any class can be the live one on a busy machine: make the mapping's
  // boundary sit just above it (OK) and then at it (WARNING, CRITICAL).
  // The class can move between the fetch and the check, so the
  // comparisons allow for a tick of drift by reading the class named in
  // the reason.
  const std::vector<std::string> classes = {"Excellent", "Good", "Fair", "Poor", "Critical"};
  auto run = [&](const std::vector<std::string>& extra) {
    std::vector<std::string> args = {"--url", Url(server.port())};
    args.insert(args.end(), extra.begin(), extra.end());
    RunResult r = Check(args);
    PluginLine line = ParseLine(r.out);
    int cls = -1;
    for (size_t i = 0; i < classes.size(); ++i) {
      if (line.reason.find("status " + classes[i]) != std::string::npos) cls = static_cast<int>(i);
    }
    EXPECT_GE(cls, 0) << r.out;
    return std::pair{r, cls};
  };
  auto [r, cls] = run({});
  int expected = cls >= 4 ? 2 : cls >= 3 ? 1 : 0;
  EXPECT_EQ(r.exit_code, expected) << r.out;
  EXPECT_TRUE(ParsePerfdata(ParseLine(r.out).perfdata).count("score")) << r.out;

  // Every class is at least Excellent: from there on a warning, or worse.
  auto [w, wcls] = run({"--status-warn", "excellent", "--status-crit", "critical"});
  EXPECT_EQ(w.exit_code, wcls >= 4 ? 2 : 1) << w.out;

  RunResult c =
      Check({"--url", Url(server.port()), "--status-warn", "0", "--status-crit", "0", "--json"});
  EXPECT_EQ(c.exit_code, 2) << c.out;
  json j = json::parse(c.out, nullptr, false);
  ASSERT_TRUE(j.is_object()) << c.out;
  EXPECT_EQ(j["status"], "CRITICAL");
  EXPECT_EQ(j["code"], 2);
  ASSERT_TRUE(j["checks"].is_array());
  EXPECT_EQ(j["checks"][0]["name"], "status");
  EXPECT_TRUE(j["checks"][0]["value"].is_number()) << c.out;
  // The score the check reports is the server's (a tick may pass between).
  EXPECT_GE(j["checks"][0]["value"].get<double>(), 0);
  EXPECT_LE(j["checks"][0]["value"].get<double>(), 100);
  EXPECT_TRUE(status.contains("score"));
}

TEST(CheckRemote, FiringCriticalAlertIsCriticalAndNamed) {
  std::string dir = Dir("alert");
  std::string rules = dir + "/rules.yml";
  std::ofstream(rules) << "groups:\n"
                          "  - name: check\n"
                          "    rules:\n"
                          "      - alert: AlwaysOnFire\n"
                          "        expr: system_cpus > 0\n"
                          "        for: 0s\n"
                          "        labels: {severity: critical}\n"
                          "        annotations: {summary: \"the test's fire\"}\n"
                          "      - alert: MildlyWorried\n"
                          "        expr: system_cpus > 0\n"
                          "        for: 0s\n"
                          "        labels: {severity: warning}\n";
  PerfwatchProcess server({"--data-dir", dir + "/data", "--no-builtin-rules", "--rule-file", rules,
                           "--interval", "1s"});
  ASSERT_TRUE(server.started()) << server.log();
  // Wait until the alert fires (a tick or two); no time limit beyond the
  // number of polls.
  RunResult r;
  for (int i = 0; i < 100; ++i) {
    r = Check({"--url", Url(server.port()), "--status-warn", "critical"});
    if (r.out.find("AlwaysOnFire") != std::string::npos &&
        r.out.find("MildlyWorried") != std::string::npos) {
      break;
    }
    usleep(200 * 1000);
  }
  EXPECT_EQ(r.exit_code, 2) << r.out << server.log();
  PluginLine line = ParseLine(r.out);
  EXPECT_EQ(line.state, "CRITICAL");
  // The critical alert is named before the warning one (a busy machine's
  // Critical status class may come first of all).
  EXPECT_NE(line.reason.find("alert AlwaysOnFire firing (critical): the test's fire; "),
            std::string::npos)
      << line.reason;
  EXPECT_NE(line.reason.find("alert MildlyWorried firing (warning)"), std::string::npos)
      << line.reason;
  EXPECT_LT(line.reason.find("AlwaysOnFire"), line.reason.find("MildlyWorried")) << line.reason;
  std::map<std::string, double> perf = ParsePerfdata(line.perfdata);
  EXPECT_EQ(perf["alerts_critical"], 1);
  EXPECT_EQ(perf["alerts_warning"], 1);

  // --no-alerts judges the status alone.
  RunResult quiet = Check({"--url", Url(server.port()), "--no-alerts", "--status-warn", "critical",
                           "--status-crit", "critical"});
  PluginLine quiet_line = ParseLine(quiet.out);
  const bool critical_class = quiet_line.reason.find("status Critical") != std::string::npos;
  EXPECT_EQ(quiet.exit_code, critical_class ? 2 : 0) << quiet.out;
  EXPECT_EQ(quiet.out.find("AlwaysOnFire"), std::string::npos) << quiet.out;
  EXPECT_EQ(quiet_line.perfdata.find("alerts_"), std::string::npos) << quiet.out;
}

}  // namespace
}  // namespace perfwatch
