#include "config/cli.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <map>

namespace perfwatch {
namespace {

std::map<std::string, std::string> g_env;
const char* Env(const char* name) {
  auto it = g_env.find(name);
  return it == g_env.end() ? nullptr : it->second.c_str();
}

const std::vector<std::string> kCollectors = {"cpu", "memory", "pressure"};

CommandLine Parse(std::vector<const char*> args) {
  args.insert(args.begin(), "perfwatch");
  return ParseCommandLine(static_cast<int>(args.size()), args.data(), Env, kCollectors);
}

std::string WriteTemp(const std::string& text) {
  // ctest runs every case as a process of its own, in parallel: one file
  // per case, or one case reads another's config.
  std::string path = ::testing::TempDir() + "/cli_test_" +
                     ::testing::UnitTest::GetInstance()->current_test_info()->name() + "_" +
                     std::to_string(::getpid()) + ".yaml";
  std::ofstream(path) << text;
  return path;
}

TEST(CommandLine, SeedFlagsKeepTheirNames) {
  g_env.clear();
  CommandLine c = Parse({"--interval", "30", "--memory-threshold", "75", "--cpu-threshold", "65",
                         "--response-threshold", "800", "--no-auto-tuning", "--port", "9090"});
  ASSERT_FALSE(c.exit_now) << c.output;
  EXPECT_EQ(c.config.collect.interval_ms, 30'000);
  EXPECT_DOUBLE_EQ(c.config.thresholds.memory_percent, 75);
  EXPECT_DOUBLE_EQ(c.config.thresholds.cpu_percent, 65);
  EXPECT_DOUBLE_EQ(c.config.thresholds.response_time_ms, 800);
  EXPECT_FALSE(c.config.tuning.enabled);
  EXPECT_EQ(c.config.server.port, 9090);
}

TEST(CommandLine, FlagsBeatEnvironmentWhichBeatsTheFile) {
  std::string path = WriteTemp("collect:\n  interval: 10s\nserver:\n  port: 1111\n  host: ::1\n");
  g_env = {{"PERFWATCH_SERVER_PORT", "2222"}, {"MONITORING_INTERVAL", "20"}};
  CommandLine c = Parse({"--config", path.c_str(), "--interval", "3s"});
  ASSERT_FALSE(c.exit_now) << c.output;
  EXPECT_EQ(c.config.collect.interval_ms, 3000);  // flag
  EXPECT_EQ(c.config.server.port, 2222);          // environment over file
  EXPECT_EQ(c.config.server.host, "::1");         // file over default
  g_env.clear();
}

TEST(CommandLine, DryRunTuningBeatsTheFileAndTheEnvironment) {
  std::string path = WriteTemp("tuning:\n  dry_run: false\n  interval: 5s\n");
  g_env = {{"PERFWATCH_TUNING_DRY_RUN", "false"}};
  CommandLine c = Parse({"--config", path.c_str()});
  ASSERT_FALSE(c.exit_now) << c.output;
  EXPECT_FALSE(c.config.tuning.dry_run);
  EXPECT_EQ(c.config.tuning.interval_ms, 5000);
  c = Parse({"--config", path.c_str(), "--dry-run-tuning"});
  ASSERT_FALSE(c.exit_now) << c.output;
  EXPECT_TRUE(c.config.tuning.dry_run);
  EXPECT_TRUE(c.config.tuning.enabled);
  g_env = {{"PERFWATCH_TUNING_DRY_RUN", "true"}};
  c = Parse({"--config", path.c_str()});
  ASSERT_FALSE(c.exit_now) << c.output;
  EXPECT_TRUE(c.config.tuning.dry_run);
  g_env.clear();
}

TEST(CommandLine, TuningRangesAreCheckedAfterEverySource) {
  g_env.clear();
  std::string path = WriteTemp("tuning:\n  interval: 30s\n  window: 10s\n");
  CommandLine c = Parse({"--config", path.c_str()});
  EXPECT_TRUE(c.exit_now);
  EXPECT_EQ(c.exit_code, 2);
  EXPECT_NE(c.output.find("tuning.window: 10s is shorter than tuning.interval (30s)"),
            std::string::npos)
      << c.output;
}

TEST(CommandLine, ListenSplitsHostAndPort) {
  g_env.clear();
  CommandLine c = Parse({"--listen", "[::1]:9001"});
  ASSERT_FALSE(c.exit_now) << c.output;
  EXPECT_EQ(c.config.server.host, "::1");
  EXPECT_EQ(c.config.server.port, 9001);
  c = Parse({"--listen", "nonsense"});
  EXPECT_TRUE(c.exit_now);
  EXPECT_EQ(c.exit_code, 2);
  EXPECT_NE(c.output.find("HOST:PORT"), std::string::npos);
}

TEST(CommandLine, BadValuesExitWithAClearMessage) {
  g_env.clear();
  CommandLine c = Parse({"--interval", "soon"});
  EXPECT_TRUE(c.exit_now);
  EXPECT_NE(c.exit_code, 0);
  EXPECT_NE(c.output.find("--interval: invalid duration \"soon\""), std::string::npos) << c.output;
  c = Parse({"--no-such-flag"});
  EXPECT_TRUE(c.exit_now);
  EXPECT_NE(c.exit_code, 0);
  EXPECT_NE(c.output.find("no-such-flag"), std::string::npos) << c.output;
  c = Parse({"--disable-collector", "gpu"});
  EXPECT_TRUE(c.exit_now);
  EXPECT_NE(c.output.find("unknown collector \"gpu\""), std::string::npos) << c.output;
  c = Parse({"--config", "/nonexistent/perfwatch.yaml"});
  EXPECT_TRUE(c.exit_now);
  EXPECT_NE(c.output.find("/nonexistent/perfwatch.yaml"), std::string::npos) << c.output;
}

TEST(CommandLine, ReportTakesTextJsonOrHtml) {
  g_env.clear();
  CommandLine c = Parse({"report", "--format", "html", "--hours", "24", "-o", "day.html"});
  ASSERT_FALSE(c.exit_now) << c.output;
  EXPECT_EQ(c.command, CommandLine::Command::kReport);
  EXPECT_EQ(c.report.format, "html");
  EXPECT_DOUBLE_EQ(c.report.hours, 24);
  EXPECT_EQ(c.report.output, "day.html");
  c = Parse({"report", "--format", "pdf"});
  EXPECT_TRUE(c.exit_now);
  EXPECT_NE(c.exit_code, 0);
  EXPECT_NE(c.output.find("pdf"), std::string::npos) << c.output;
}

TEST(CommandLine, BadConfigFileNamesKeyAndLine) {
  g_env.clear();
  std::string path = WriteTemp("collect:\n  interval: 1s\n  intervall: 2s\n");
  CommandLine c = Parse({"--config", path.c_str()});
  EXPECT_TRUE(c.exit_now);
  EXPECT_EQ(c.exit_code, 2);
  EXPECT_NE(c.output.find("collect.intervall (line 3): unknown key"), std::string::npos)
      << c.output;
}

TEST(CommandLine, HelpListsFlagsAndEnvironment) {
  g_env.clear();
  CommandLine c = Parse({"--help"});
  EXPECT_TRUE(c.exit_now);
  EXPECT_EQ(c.exit_code, 0);
  for (const char* s : {"--interval", "--config", "--save-config", "--port", "--watch-process",
                        "--procfs", "--log-format", "--no-auto-tuning", "--dry-run-tuning",
                        "MONITORING_INTERVAL", "AUTO_TUNING_ENABLED", "PERFWATCH_"}) {
    EXPECT_NE(c.output.find(s), std::string::npos) << s;
  }
}

TEST(CommandLine, WatchProcessIsRepeatable) {
  g_env.clear();
  CommandLine c = Parse({"-w", "nginx", "--watch-process", "42"});
  ASSERT_FALSE(c.exit_now) << c.output;
  EXPECT_EQ(c.config.collect.watch_processes, (std::vector<std::string>{"nginx", "42"}));
}

TEST(CommandLine, StatsdListenTakesAnAddressOrOff) {
  g_env.clear();
  CommandLine c = Parse({"--statsd-listen", "off"});
  ASSERT_FALSE(c.exit_now) << c.output;
  EXPECT_EQ(c.config.statsd.listen, "off");
  c = Parse({"--statsd-listen", "[::1]:9125"});
  ASSERT_FALSE(c.exit_now) << c.output;
  EXPECT_EQ(c.config.statsd.listen, "[::1]:9125");
  c = Parse({});
  EXPECT_EQ(c.config.statsd.listen, "127.0.0.1:8125");
  c = Parse({"--statsd-listen", "8125"});
  EXPECT_TRUE(c.exit_now);
  EXPECT_EQ(c.exit_code, 2);
  EXPECT_NE(c.output.find("--statsd-listen: invalid address \"8125\""), std::string::npos)
      << c.output;
}

TEST(CommandLine, StatsdListenFlagBeatsItsEnvironmentVariable) {
  g_env = {{"PERFWATCH_STATSD_LISTEN", "0.0.0.0:8125"}};
  CommandLine c = Parse({});
  ASSERT_FALSE(c.exit_now) << c.output;
  EXPECT_EQ(c.config.statsd.listen, "0.0.0.0:8125");
  c = Parse({"--statsd-listen", "off"});
  EXPECT_EQ(c.config.statsd.listen, "off");
  g_env = {{"PERFWATCH_STATSD_LISTEN", "::1:8125"}};
  c = Parse({});
  EXPECT_TRUE(c.exit_now);
  EXPECT_NE(c.output.find("PERFWATCH_STATSD_LISTEN"), std::string::npos) << c.output;
  g_env.clear();
}

TEST(CommandLine, AScrapeTimeoutLongerThanTheCollectionIntervalIsRefused) {
  g_env.clear();
  std::string path = WriteTemp("scrape:\n  - job: shop\n    url: http://127.0.0.1:9100/metrics\n");
  CommandLine c = Parse({"--config", path.c_str(), "--interval", "30s"});
  ASSERT_FALSE(c.exit_now) << c.output;
  ASSERT_EQ(c.config.scrape.size(), 1u);
  path = WriteTemp(
      "scrape:\n  - job: shop\n    url: http://127.0.0.1:9100/metrics\n    timeout: 5s\n");
  c = Parse({"--config", path.c_str(), "--interval", "2s"});
  EXPECT_TRUE(c.exit_now);
  EXPECT_NE(c.output.find("scrape[0].timeout: 5s is longer than the scrape interval 2s "
                          "(collect.interval)"),
            std::string::npos)
      << c.output;
}

}  // namespace
}  // namespace perfwatch
