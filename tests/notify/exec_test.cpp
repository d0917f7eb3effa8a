// The exec receiver and RunChild with real child processes: a helper script
// run by its path (never through `sh -c`) records its environment, stdin
// and open descriptors into files.

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "notify/child_process.h"
#include "notify/dispatcher.h"
#include "test_support.h"

namespace perfwatch {
namespace {

using nlohmann::json;
using testing::MakeAlert;
using testing::Notice;
using testing::TempDir;
using testing::WaitUntil;

std::string ReadFile(const std::filesystem::path& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Writes the helper: argv[1] is the directory it records into.
std::string WriteRecorder(const TempDir& dir) {
  std::filesystem::path script = dir.path() / "record.sh";
  std::ofstream(script) << "#!/bin/sh\n"
                           "env > \"$1/env\"\n"
                           "cat > \"$1/stdin\"\n"
                           "for f in /proc/$$/fd/*; do readlink \"$f\"; done > \"$1/fds\"\n"
                           "touch \"$1/done\"\n";
  ::chmod(script.c_str(), 0755);
  return script.string();
}

std::map<std::string, std::string> ParseEnv(const std::string& text) {
  std::map<std::string, std::string> env;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    size_t eq = line.find('=');
    if (eq != std::string::npos) env[line.substr(0, eq)] = line.substr(eq + 1);
  }
  return env;
}

TEST(ExecReceiver, PassesTheAlertInEnvironmentAndThePayloadOnStdin) {
  TempDir dir;
  // Opened without O_CLOEXEC, as careless code elsewhere might: it must not
  // reach the child.
  std::filesystem::path marker = dir.path() / "leak-marker";
  std::ofstream(marker) << "x";
  int leaky = ::open(marker.c_str(), O_RDONLY);
  ASSERT_GE(leaky, 0);

  ReceiverOptions o = testing::ExecOf({WriteRecorder(dir), dir.path().string()});
  GroupingOptions g;
  g.group_wait_ms = 0;
  Dispatcher d({o}, g);
  ASSERT_TRUE(d.Start().ok());
  Alert alert = MakeAlert("HighCpu", "web-1");
  d.Deliver({Notice(alert)});
  ASSERT_TRUE(WaitUntil([&] { return d.Stats()[0].sent == 1; }));
  d.Stop();
  ::close(leaky);

  std::map<std::string, std::string> env = ParseEnv(ReadFile(dir.path() / "env"));
  EXPECT_EQ(env["PERFWATCH_ALERT_NAME"], "HighCpu");
  EXPECT_EQ(env["PERFWATCH_ALERT_STATUS"], "firing");
  EXPECT_EQ(env["PERFWATCH_ALERT_SEVERITY"], "warning");
  EXPECT_DOUBLE_EQ(std::stod(env["PERFWATCH_ALERT_VALUE"]), 93.1);
  EXPECT_EQ(env["PERFWATCH_ALERT_ID"], alert.id);
  EXPECT_EQ(json::parse(env["PERFWATCH_ALERT_LABELS"]),
            json({{"alertname", "HighCpu"}, {"instance", "web-1"}, {"severity", "warning"}}));
  EXPECT_EQ(env["PERFWATCH_ALERT_SUMMARY"], "CPU at 93.1%");
  EXPECT_EQ(env["PERFWATCH_ALERT_STARTS_AT"], "2024-05-01T12:00:00Z");
  EXPECT_EQ(env["PERFWATCH_ALERT_LABEL_INSTANCE"], "web-1");
  EXPECT_EQ(env["PERFWATCH_ALERT_LABEL_ALERTNAME"], "HighCpu");
  EXPECT_TRUE(env.count("PATH")) << "the child inherits perfwatch's environment";

  json stdin_json = json::parse(ReadFile(dir.path() / "stdin"));
  EXPECT_EQ(stdin_json["version"], "4");
  EXPECT_EQ(stdin_json["alerts"][0]["labels"]["instance"], "web-1");

  std::string fds = ReadFile(dir.path() / "fds");
  EXPECT_NE(fds.find("/dev/null"), std::string::npos) << "stdout, so the listing worked: " << fds;
  EXPECT_EQ(fds.find("leak-marker"), std::string::npos) << fds;
}

TEST(RunChild, KillsAChildThatOutlivesItsTimeout) {
  Result<ChildExit> exit = RunChild({"/bin/sleep", "30"}, {}, "", std::chrono::milliseconds(200));
  ASSERT_TRUE(exit.ok()) << exit.status().message();
  EXPECT_EQ(exit->how, ChildExit::How::kTimedOut);
  EXPECT_FALSE(exit->ok());
  EXPECT_EQ(exit->Describe(std::chrono::milliseconds(200)),
            "timed out after 200 ms and was killed");
}

TEST(RunChild, ReportsTheExitStatus) {
  Result<ChildExit> ok = RunChild({"/bin/true"}, {}, "", std::chrono::milliseconds(5000));
  ASSERT_TRUE(ok.ok());
  EXPECT_TRUE(ok->ok());
  Result<ChildExit> failed =
      RunChild({"false"}, {"PATH=/usr/bin:/bin"}, "ignored stdin", std::chrono::milliseconds(5000));
  ASSERT_TRUE(failed.ok()) << failed.status().message();
  EXPECT_EQ(failed->how, ChildExit::How::kExited);
  EXPECT_EQ(failed->code, 1);
}

TEST(RunChild, RefusesAProgramThatCannotStart) {
  Result<ChildExit> exit =
      RunChild({"/nonexistent/notify-hook"}, {}, "", std::chrono::milliseconds(1000));
  ASSERT_FALSE(exit.ok());
  EXPECT_NE(exit.status().message().find("/nonexistent/notify-hook"), std::string::npos);
}

TEST(ExecReceiver, ACommandPastItsTimeoutIsKilledAndCountedFailed) {
  ReceiverOptions o = testing::ExecOf({"/bin/sleep", "30"}, 200);
  GroupingOptions g;
  g.group_wait_ms = 0;
  Dispatcher d({o}, g);
  ASSERT_TRUE(d.Start().ok());
  d.Deliver({Notice(MakeAlert("HighCpu", "web-1"))});
  ASSERT_TRUE(WaitUntil([&] { return d.Stats()[0].failed == 1; }));
  d.Stop();
  EXPECT_EQ(d.Stats()[0].sent, 0u);
}

}  // namespace
}  // namespace perfwatch
