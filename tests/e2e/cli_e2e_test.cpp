// End-to-end: the binary's command line as a user meets it.

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "harness.h"

namespace perfwatch::e2e {
namespace {

TEST(Cli, HelpIsCompleteAndExitsZero) {
  RunResult r = RunPerfwatch({"--help"});
  EXPECT_EQ(r.exit_code, 0);
  for (const char* s : {"--interval", "--config", "--save-config", "--port", "--listen",
                        "--data-dir", "--watch-process", "--procfs", "--sysfs", "--log-format",
                        "--no-auto-tuning", "MONITORING_INTERVAL", "Examples"}) {
    EXPECT_NE(r.out.find(s), std::string::npos) << s;
  }
}

TEST(Cli, VersionPrintsTheVersion) {
  RunResult r = RunPerfwatch({"--version"});
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_NE(r.out.find("perfwatch "), std::string::npos) << r.out;
}

TEST(Cli, BadFlagExitsNonZeroWithAMessage) {
  RunResult r = RunPerfwatch({"--intervall", "5"});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("intervall"), std::string::npos) << r.err;
  r = RunPerfwatch({"--interval", "often"});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("often"), std::string::npos) << r.err;
}

TEST(Cli, BadConfigNamesKeyAndLine) {
  std::string path = ::testing::TempDir() + "/bad_perfwatch.yaml";
  std::ofstream(path) << "server:\n  port: 8080\ncollect:\n  interval: [1, 2]\n";
  RunResult r = RunPerfwatch({"--config", path});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("collect.interval (line 4)"), std::string::npos) << r.err;
}

TEST(Cli, SaveConfigWritesWhatLoadsBackTheSame) {
  std::string a = ::testing::TempDir() + "/saved_a.yaml";
  std::string b = ::testing::TempDir() + "/saved_b.yaml";
  RunResult r = RunPerfwatch({"--interval", "5s", "--watch-process", "nginx", "--save-config", a});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  r = RunPerfwatch({"--config", a, "--save-config", b});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::ifstream fa(a), fb(b);
  std::string sa((std::istreambuf_iterator<char>(fa)), {}),
      sb((std::istreambuf_iterator<char>(fb)), {});
  EXPECT_EQ(sa, sb);
  EXPECT_NE(sa.find("interval: 5s"), std::string::npos) << sa;
  EXPECT_NE(sa.find("nginx"), std::string::npos) << sa;
}

TEST(Cli, PortInUseIsAClearError) {
  PerfwatchProcess first({"--data-dir", FreshDir("pw_port_a")});
  ASSERT_TRUE(first.started());
  RunResult r =
      RunPerfwatch({"--port", std::to_string(first.port()), "--data-dir", FreshDir("pw_port_b")});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find(std::to_string(first.port())), std::string::npos) << r.err;
}

}  // namespace
}  // namespace perfwatch::e2e
