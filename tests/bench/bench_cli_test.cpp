// `perfwatch bench` end to end: the built binary on real commands, its
// output, exports, baseline verdicts and exit statuses.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace {

namespace fs = std::filesystem;
using Json = nlohmann::json;

struct Outcome {
  int exit_code = -1;  // 128 + signal when killed
  std::string out, err;
};

std::string ReadAll(const fs::path& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

class BenchCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    dir_ = fs::path("/tmp/perfwatch-bench-test") /
           (std::string("cli-") + info->name() + "-" + std::to_string(getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override {
    if (pid_ > 0) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
    fs::remove_all(dir_);
  }

  std::string Path(const std::string& name) const { return (dir_ / name).string(); }

  // Starts `perfwatch bench ARGS...` with stdout and stderr to files.
  void Start(const std::vector<std::string>& args) {
    std::vector<std::string> argv = {PERFWATCH_BINARY, "bench"};
    argv.insert(argv.end(), args.begin(), args.end());
    const std::string out = Path("stdout"), err = Path("stderr");
    pid_ = fork();
    ASSERT_GE(pid_, 0);
    if (pid_ == 0) {
      int in = open("/dev/null", O_RDONLY);
      int o = open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      int e = open(err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      dup2(in, 0);
      dup2(o, 1);
      dup2(e, 2);
      std::vector<char*> cargv;
      for (std::string& a : argv) cargv.push_back(a.data());
      cargv.push_back(nullptr);
      execv(cargv[0], cargv.data());
      _exit(127);
    }
  }

  Outcome Wait() {
    Outcome o;
    int status = 0;
    waitpid(pid_, &status, 0);
    pid_ = -1;
    o.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    o.out = ReadAll(Path("stdout"));
    o.err = ReadAll(Path("stderr"));
    return o;
  }

  Outcome Bench(const std::vector<std::string>& args) {
    Start(args);
    return Wait();
  }

  Json ReadJson(const std::string& name) {
    const std::string text = ReadAll(Path(name));
    Json j = Json::parse(text, nullptr, false);
    EXPECT_FALSE(j.is_discarded()) << name << ": " << text;
    return j;
  }

  fs::path dir_;
  pid_t pid_ = -1;
};

size_t Count(const std::string& text, const std::string& needle) {
  size_t n = 0;
  for (size_t at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) ++n;
  return n;
}

TEST_F(BenchCliTest, JsonExportHasTheRunsAndPerfwatchsFigures) {
  Outcome o = Bench({"-r", "3", "--export-json", Path("out.json"), "--", "true"});
  ASSERT_EQ(o.exit_code, 0) << o.err;
  Json j = ReadJson("out.json");
  ASSERT_EQ(j["results"].size(), 1u);
  const Json& r = j["results"][0];
  EXPECT_EQ(r["command"], "true");
  EXPECT_EQ(r["times"].size(), 3u);
  EXPECT_EQ(r["exit_codes"], Json::array({0, 0, 0}));
  EXPECT_GT(r["peak_rss_bytes"].get<double>(), 0);
  EXPECT_TRUE(r.contains("cpu_percent"));
  EXPECT_EQ(r["success_rate"], 1.0);
  EXPECT_EQ(j["perfwatch"]["shell"], "none");
  EXPECT_EQ(j["perfwatch"]["interrupted"], false);
  EXPECT_NE(o.out.find("Time (mean ± σ):"), std::string::npos) << o.out;
  EXPECT_NE(o.out.find("Peak RSS"), std::string::npos) << o.out;
}

TEST_F(BenchCliTest, TwoCommandsGetTheirStatisticsAndASummary) {
  Outcome o = Bench({"-r", "3", "--style", "basic", "--export-json", Path("out.json"), "sleep 0.02",
                     "sleep 0.2"});
  ASSERT_EQ(o.exit_code, 0) << o.err;
  EXPECT_NE(o.out.find("Benchmark 1: sleep 0.02\n"), std::string::npos) << o.out;
  EXPECT_NE(o.out.find("Benchmark 2: sleep 0.2\n"), std::string::npos) << o.out;
  EXPECT_EQ(Count(o.out, "  Time (mean ± σ): "), 2u) << o.out;
  EXPECT_EQ(Count(o.out, "  Range (min … max): "), 2u) << o.out;
  EXPECT_NE(o.out.find("Summary\n  'sleep 0.02' ran\n"), std::string::npos) << o.out;
  EXPECT_NE(o.out.find(" times faster than 'sleep 0.2'"), std::string::npos) << o.out;
  EXPECT_EQ(o.out.find("\x1b["), std::string::npos);  // basic: no colours
  Json j = ReadJson("out.json");
  ASSERT_EQ(j["results"].size(), 2u);
  EXPECT_GT(j["results"][1]["mean"].get<double>(), j["results"][0]["mean"].get<double>());
  EXPECT_EQ(j["perfwatch"]["shell"], "sh");
}

TEST_F(BenchCliTest, EveryExportIsWritten) {
  Outcome o = Bench({"-r", "2", "-c", "true", "-c", "echo hi", "--export-csv", Path("out.csv"),
                     "--export-markdown", Path("out.md"), "--export-html", Path("out.html")});
  ASSERT_EQ(o.exit_code, 0) << o.err;
  EXPECT_EQ(ReadAll(Path("out.csv")).rfind("command,mean,stddev,median,user,system,min,max", 0),
            0u);
  EXPECT_NE(ReadAll(Path("out.md")).find("| `echo hi` |"), std::string::npos)
      << ReadAll(Path("out.md"));
  EXPECT_NE(ReadAll(Path("out.html")).find("<svg"), std::string::npos);
}

TEST_F(BenchCliTest, AFailingCommandExits1WithTheOthersReported) {
  Outcome o =
      Bench({"-r", "3", "--export-json", Path("out.json"), "-c", "sh -c 'exit 3'", "-c", "true"});
  EXPECT_EQ(o.exit_code, 1);
  EXPECT_NE(o.err.find("Command terminated with non-zero exit code 3 in run 1"), std::string::npos)
      << o.err;
  Json j = ReadJson("out.json");
  ASSERT_EQ(j["results"].size(), 2u);
  EXPECT_TRUE(j["results"][0]["error"].is_string());
  EXPECT_EQ(j["results"][1]["times"].size(), 3u);
  EXPECT_NE(o.out.find("Benchmark 2: true"), std::string::npos) << o.out;
}

TEST_F(BenchCliTest, IgnoreFailureReportsTheSuccessRate) {
  const std::string counter = Path("counter");
  Outcome o = Bench({"-r", "4", "-i", "--", "sh", "-c",
                     "n=$(cat " + counter + " 2>/dev/null || echo 0); n=$((n+1)); echo $n > " +
                         counter + "; [ $((n % 2)) -eq 0 ]"});
  EXPECT_EQ(o.exit_code, 0) << o.err;
  EXPECT_NE(o.out.find("Success rate:"), std::string::npos) << o.out;
  EXPECT_NE(o.out.find("50.0 %"), std::string::npos) << o.out;
  EXPECT_NE(o.err.find("Ignoring non-zero exit code."), std::string::npos) << o.err;
}

TEST_F(BenchCliTest, ACommandThatDoesNotExistExits1NamingIt) {
  Outcome o = Bench({"-r", "2", "perfwatch_no_such_cmd", "true"});
  EXPECT_EQ(o.exit_code, 1);
  EXPECT_NE(
      o.err.find("perfwatch bench: cannot run 'perfwatch_no_such_cmd': No such file or directory"),
      std::string::npos)
      << o.err;
  EXPECT_NE(o.out.find("Benchmark 2: true"), std::string::npos) << o.out;
  o = Bench({"-r", "2", "--", "/nonexistent/perfwatch_prog"});
  EXPECT_EQ(o.exit_code, 1);
  EXPECT_NE(o.err.find("cannot run '/nonexistent/perfwatch_prog'"), std::string::npos) << o.err;
}

TEST_F(BenchCliTest, BadUsageExits2WithAMessage) {
  struct Case {
    std::vector<std::string> args;
    std::string message;
  };
  const std::vector<Case> cases = {
      {{}, "no command to benchmark"},
      {{"--style", "fancy", "true"}, "--style"},
      {{"-r", "0", "true"}, "-r/--runs"},
      {{"-r", "3", "-m", "2", "true"}, "cannot be combined"},
      {{"-m", "5", "-M", "2", "true"}, "-m/--min-runs 5"},
      {{"--no-such-flag", "true"}, "no-such-flag"},
      {{"--baseline", Path("missing.json"), "true"}, "missing.json"},
      {{"-p", "true", "-p", "true", "-c", "a", "-c", "b", "-c", "c"}, "-p/--prepare"},
      {{"-P", "n", "1", "x", "true"}, "\"x\""},
      {{"--min-time", "soon", "true"}, "--min-time"},
      {{"--input-bytes", "lots", "true"}, "--input-bytes"},
      {{"--export-json", "/nonexistent/dir/out.json", "true"}, "/nonexistent/dir"},
      {{"-N", "echo 'open"}, "unterminated"},
  };
  for (const Case& c : cases) {
    Outcome o = Bench(c.args);
    EXPECT_EQ(o.exit_code, 2) << c.message << "\n" << o.err;
    EXPECT_NE(o.err.find(c.message), std::string::npos) << o.err;
    EXPECT_EQ(o.out, "");
  }
}

TEST_F(BenchCliTest, ARegressionAgainstTheBaselineExits3) {
  // A baseline in hyperfine's own shape, where `sleep 0.1` took 1 ms.
  std::ofstream(Path("fast.json")) << R"({"results":[{"command":"sleep 0.1","mean":0.001,
      "stddev":0.0,"median":0.001,"user":0.0,"system":0.0,"min":0.001,"max":0.001,
      "times":[0.001,0.001,0.001],"exit_codes":[0,0,0]}]})";
  Outcome o = Bench({"-r", "3", "--baseline", Path("fast.json"), "sleep 0.1"});
  EXPECT_EQ(o.exit_code, 3) << o.out << o.err;
  EXPECT_NE(o.out.find("REGRESSION"), std::string::npos) << o.out;

  std::ofstream(Path("slow.json")) << R"({"results":[{"command":"sleep 0.1","mean":100,
      "stddev":0.0,"median":100,"user":0.0,"system":0.0,"min":100,"max":100,
      "times":[100,100,100],"exit_codes":[0,0,0]}]})";
  o = Bench({"-r", "3", "--baseline", Path("slow.json"), "sleep 0.1"});
  EXPECT_EQ(o.exit_code, 0) << o.out << o.err;
  EXPECT_NE(o.out.find("PASS"), std::string::npos) << o.out;
}

TEST_F(BenchCliTest, OwnExportServesAsTheNextBaseline) {
  Outcome o = Bench({"-r", "3", "--export-json", Path("base.json"), "--", "sleep", "0.01"});
  ASSERT_EQ(o.exit_code, 0) << o.err;
  // A threshold no noise reaches: the same command cannot regress.
  o = Bench({"-r", "3", "--baseline", Path("base.json"), "--regression-threshold", "1000",
             "--memory-threshold", "1000", "--", "sleep", "0.01"});
  EXPECT_EQ(o.exit_code, 0) << o.out << o.err;
  EXPECT_NE(o.out.find("PASS"), std::string::npos) << o.out;
}

// True once `pid` has a child: the benchmark is under way.
bool HasChild(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/task/" + std::to_string(pid) + "/children");
  std::string children;
  std::getline(in, children);
  return !children.empty();
}

TEST_F(BenchCliTest, SigintStopsWithPartialResultsAndExits130) {
  Start({"-r", "50", "--export-json", Path("out.json"), "--", "sleep", "0.2"});
  // Let a few runs finish, then interrupt perfwatch alone (not the child).
  for (int i = 0; i < 200 && !HasChild(pid_); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ASSERT_TRUE(HasChild(pid_));
  std::this_thread::sleep_for(std::chrono::milliseconds(700));
  ASSERT_EQ(kill(pid_, SIGINT), 0);
  Outcome o = Wait();
  EXPECT_EQ(o.exit_code, 130) << o.err;
  EXPECT_NE(o.err.find("Interrupted: partial results"), std::string::npos) << o.err;
  Json j = ReadJson("out.json");
  EXPECT_EQ(j["perfwatch"]["interrupted"], true);
  ASSERT_EQ(j["results"].size(), 1u);
  EXPECT_EQ(j["results"][0]["interrupted"], true);
  EXPECT_LT(j["results"][0]["times"].size(), 50u);
}

TEST_F(BenchCliTest, ParametersAndInputFilesGiveAThroughputPerSize) {
  fs::create_directories(dir_ / "data");
  std::ofstream(Path("data/1.txt")) << std::string(100000, 'a');
  std::ofstream(Path("data/2.txt")) << std::string(200000, 'b');
  Outcome o = Bench({"-r", "2", "-N", "-L", "n", "1,2", "--input", Path("data/{n}.txt"),
                     "--export-json", Path("out.json"), "wc -c"});
  ASSERT_EQ(o.exit_code, 0) << o.err;
  Json j = ReadJson("out.json");
  ASSERT_EQ(j["results"].size(), 2u);
  EXPECT_EQ(j["results"][0]["command"], "wc -c (n = 1)");
  EXPECT_EQ(j["results"][0]["parameters"]["n"], "1");
  EXPECT_EQ(j["results"][0]["input_bytes"], 100000);
  EXPECT_EQ(j["results"][1]["input_bytes"], 200000);
  EXPECT_TRUE(j["results"][1]["throughput_mb_s"].is_number());
  EXPECT_NE(o.out.find("Throughput:"), std::string::npos) << o.out;
}

TEST_F(BenchCliTest, StyleNonePrintsNothing) {
  Outcome o = Bench({"-r", "2", "--style", "none", "true", "echo"});
  EXPECT_EQ(o.exit_code, 0) << o.err;
  EXPECT_EQ(o.out, "");
}

TEST_F(BenchCliTest, HelpListsTheFlags) {
  Outcome o = Bench({"--help"});
  EXPECT_EQ(o.exit_code, 0);
  for (const char* flag : {"--warmup",
                           "--runs",
                           "--min-runs",
                           "--max-runs",
                           "--min-time",
                           "--prepare",
                           "--cleanup",
                           "--setup",
                           "--parameter-list",
                           "--parameter-scan",
                           "--parameter-step-size",
                           "--command",
                           "--command-name",
                           "--ignore-failure",
                           "--show-output",
                           "--style",
                           "--shell",
                           "-N",
                           "--time-unit",
                           "--sort",
                           "--input",
                           "--input-bytes",
                           "--export-json",
                           "--export-csv",
                           "--export-markdown",
                           "--export-html",
                           "--baseline",
                           "--regression-threshold",
                           "--memory-threshold",
                           "Exit status"}) {
    EXPECT_NE(o.out.find(flag), std::string::npos) << flag;
  }
}

}  // namespace
