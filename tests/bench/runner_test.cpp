// The benchmark engine on real processes: run counts, warm-ups, prepare,
// setup and cleanup commands, parameter expansion, failures, interruption
// and throughput. No assertion depends on how fast this machine is.
#include "bench/runner.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

namespace perfwatch {
namespace {

namespace fs = std::filesystem;

// A fresh directory per test: ctest runs the cases in parallel.
class RunnerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    dir_ = fs::path("/tmp/perfwatch-bench-test") /
           (std::string("runner-") + info->name() + "-" + std::to_string(getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::string Path(const std::string& name) const { return (dir_ / name).string(); }

  // Fast options: few shell spawning runs, no minimum time.
  static RunnerOptions Quick(int runs) {
    RunnerOptions o;
    o.runs = runs;
    o.shell_spawn_runs = 3;
    o.min_time_seconds = 0;
    return o;
  }

  fs::path dir_;
};

int CountLines(const std::string& path) {
  std::ifstream in(path);
  int n = 0;
  for (std::string line; std::getline(in, line);) ++n;
  return n;
}

std::vector<BenchCommand> Expand(const BenchPlan& plan) {
  Result<std::vector<BenchCommand>> commands = ExpandCommands(plan);
  EXPECT_TRUE(commands.ok()) << commands.status().message();
  return commands.ok() ? *commands : std::vector<BenchCommand>{};
}

BenchCommand Direct(std::vector<std::string> argv) {
  BenchCommand c;
  c.name = argv[0];
  c.argv = std::move(argv);
  return c;
}

CommandTemplate Line(const std::string& line) {
  CommandTemplate t;
  t.command_line = line;
  return t;
}

// A shell script that counts its runs in `counter` and exits with `exit`
// when the run number satisfies the shell condition `fail_when` (on $n).
BenchCommand CountingCommand(const std::string& counter, const std::string& fail_when, int exit) {
  return Direct({"sh", "-c",
                 "n=$(cat '" + counter + "' 2>/dev/null || echo 0); n=$((n+1)); echo $n > '" +
                     counter + "'; if " + fail_when + "; then exit " + std::to_string(exit) +
                     "; fi"});
}

// Records every call, for assertions on what the runner reported.
class Recorder : public BenchObserver {
 public:
  void OnCommandStart(size_t index, size_t count, const BenchCommand& command) override {
    starts.push_back(command.name);
    last_count = count;
    (void)index;
  }
  void OnProgress(const BenchProgress& p) override { progress.push_back(p); }
  void OnCommandDone(size_t index, const BenchReport& report) override {
    done_sizes.push_back(report.results.size());
    (void)index;
  }
  std::vector<std::string> starts;
  size_t last_count = 0;
  std::vector<BenchProgress> progress;
  std::vector<size_t> done_sizes;
};

TEST_F(RunnerTest, RunsExactlyTheNumberGivenWithRuns) {
  BenchReport report = RunBenchmark({Direct({"true"})}, Quick(4), nullptr);
  ASSERT_EQ(report.results.size(), 1u);
  const CommandResult& r = report.results[0];
  EXPECT_EQ(r.runs.size(), 4u);
  EXPECT_TRUE(r.error.empty()) << r.error;
  EXPECT_DOUBLE_EQ(r.success_rate, 1.0);
  EXPECT_FALSE(report.interrupted);
  EXPECT_EQ(report.shell, "none");
  EXPECT_EQ(report.shell_spawn_seconds, 0);
  for (const BenchRun& run : r.runs) {
    EXPECT_GE(run.wall_seconds, 0);
    EXPECT_GT(run.peak_rss_bytes, 0);
  }
}

TEST_F(RunnerTest, MinRunsAloneDecidesWhenThereIsNoMinimumTime) {
  RunnerOptions o = Quick(0);
  o.runs.reset();
  o.min_runs = 3;
  BenchReport report = RunBenchmark({Direct({"true"})}, o, nullptr);
  EXPECT_EQ(report.results.at(0).runs.size(), 3u);
}

TEST_F(RunnerTest, MinTimeAddsRunsAtTheFirstRunsPace) {
  RunnerOptions o = Quick(0);
  o.runs.reset();
  o.min_runs = 2;
  o.min_time_seconds = 0.3;
  BenchReport report = RunBenchmark({Direct({"sleep", "0.02"})}, o, nullptr);
  const CommandResult& r = report.results.at(0);
  ASSERT_FALSE(r.runs.empty());
  // hyperfine's rule, from the first run's own time (no shell, no prepare).
  const size_t expected =
      std::max<size_t>(2, static_cast<size_t>(std::floor(0.3 / r.runs[0].wall_seconds)));
  EXPECT_EQ(r.runs.size(), expected);
  EXPECT_LE(r.runs.size(), 15u);  // sleep 0.02 takes at least 20 ms
}

TEST_F(RunnerTest, MaxRunsCapsWhatMinTimeAsksFor) {
  RunnerOptions o = Quick(0);
  o.runs.reset();
  o.min_runs = 2;
  o.max_runs = 3;
  o.min_time_seconds = 60;  // would be thousands of runs of `true`
  BenchReport report = RunBenchmark({Direct({"true"})}, o, nullptr);
  EXPECT_EQ(report.results.at(0).runs.size(), 3u);
}

TEST_F(RunnerTest, WarmupAndPrepareRunBeforeEveryRun) {
  BenchPlan plan;
  CommandTemplate t = Line("echo run >> '" + Path("runs") + "'");
  t.prepare = "echo prepare >> '" + Path("prepare") + "'";
  plan.commands = {t};
  RunnerOptions o = Quick(3);
  o.warmup = 2;
  Recorder recorder;
  BenchReport report = RunBenchmark(Expand(plan), o, &recorder);
  ASSERT_EQ(report.results.size(), 1u);
  EXPECT_TRUE(report.results[0].error.empty()) << report.results[0].error;
  EXPECT_EQ(report.results[0].runs.size(), 3u);  // warm-ups are not results
  EXPECT_EQ(CountLines(Path("runs")), 5);
  EXPECT_EQ(CountLines(Path("prepare")), 5);
  int warmups = 0, timed = 0, shell = 0;
  for (const BenchProgress& p : recorder.progress) {
    warmups += p.phase == BenchProgress::Phase::kWarmup;
    timed += p.phase == BenchProgress::Phase::kTimed;
    shell += p.phase == BenchProgress::Phase::kShellSpawn;
  }
  EXPECT_EQ(warmups, 2);
  EXPECT_EQ(timed, 3);
  EXPECT_EQ(shell, 3);
  EXPECT_EQ(report.shell, "sh");
  EXPECT_GT(report.shell_spawn_seconds, 0);
}

TEST_F(RunnerTest, SetupAndCleanupRunOncePerCommand) {
  BenchPlan plan;
  plan.commands = {Line("true"), Line("echo x > /dev/null")};
  for (CommandTemplate& t : plan.commands) {
    t.setup = "echo setup >> '" + Path("setup") + "'";
    t.cleanup = "echo cleanup >> '" + Path("cleanup") + "'";
  }
  BenchReport report = RunBenchmark(Expand(plan), Quick(3), nullptr);
  ASSERT_EQ(report.results.size(), 2u);
  EXPECT_EQ(CountLines(Path("setup")), 2);
  EXPECT_EQ(CountLines(Path("cleanup")), 2);
}

TEST_F(RunnerTest, CleanupRunsEvenAfterAFailure) {
  BenchPlan plan;
  CommandTemplate t = Line("exit 4");
  t.cleanup = "echo cleanup >> '" + Path("cleanup") + "'";
  plan.commands = {t};
  BenchReport report = RunBenchmark(Expand(plan), Quick(3), nullptr);
  EXPECT_FALSE(report.results.at(0).error.empty());
  EXPECT_EQ(CountLines(Path("cleanup")), 1);
}

TEST_F(RunnerTest, FailingPrepareCommandIsAnError) {
  BenchPlan plan;
  CommandTemplate t = Line("true");
  t.prepare = "exit 2";
  plan.commands = {t};
  BenchReport report = RunBenchmark(Expand(plan), Quick(3), nullptr);
  const CommandResult& r = report.results.at(0);
  EXPECT_TRUE(r.runs.empty());
  EXPECT_NE(r.error.find("prepare command terminated with exit code 2"), std::string::npos)
      << r.error;
}

TEST_F(RunnerTest, ParameterListsExpandToTheirCartesianProductInHyperfinesOrder) {
  BenchPlan plan;
  plan.commands = {Line("echo {a}{b}"), Line("echo Z{a}")};
  plan.parameters = {*ParameterList("a", "1,2"), *ParameterList("b", "x,y")};
  std::vector<BenchCommand> commands = Expand(plan);
  std::vector<std::string> names;
  for (const BenchCommand& c : commands) names.push_back(c.name);
  // What hyperfine 1.15 runs for the same flags.
  EXPECT_EQ(names,
            (std::vector<std::string>{"echo 1x", "echo Z1 (b = x)", "echo 2x", "echo Z2 (b = x)",
                                      "echo 1y", "echo Z1 (b = y)", "echo 2y", "echo Z2 (b = y)"}));
  ASSERT_EQ(commands.size(), 8u);
  EXPECT_EQ(commands[2].argv, (std::vector<std::string>{"sh", "-c", "echo 2x"}));
  EXPECT_TRUE(commands[2].through_shell);
  EXPECT_EQ(commands[2].parameters,
            (std::vector<std::pair<std::string, std::string>>{{"a", "2"}, {"b", "x"}}));
}

TEST_F(RunnerTest, ParametersAreSubstitutedInEverythingACommandRuns) {
  BenchPlan plan;
  CommandTemplate t;
  t.argv = {"cat", "{size}"};
  t.name = "cat {size}MB";
  t.prepare = "touch {size}.p";
  t.cleanup = "rm {size}.p";
  plan.commands = {t};
  plan.parameters = {*ParameterList("size", "0.1,10")};
  plan.input_path = "data/{size}MB.txt";
  plan.shell = "";
  std::vector<BenchCommand> commands = Expand(plan);
  ASSERT_EQ(commands.size(), 2u);
  EXPECT_EQ(commands[1].name, "cat 10MB");
  EXPECT_EQ(commands[1].argv, (std::vector<std::string>{"cat", "10"}));
  EXPECT_FALSE(commands[1].through_shell);
  EXPECT_EQ(commands[1].prepare, (std::vector<std::string>{"touch", "10.p"}));
  EXPECT_EQ(commands[1].cleanup, (std::vector<std::string>{"rm", "10.p"}));
  EXPECT_EQ(commands[0].stdin_path, "data/0.1MB.txt");
}

TEST_F(RunnerTest, NoShellSplitsCommandLinesAndRejectsUnterminatedQuotes) {
  BenchPlan plan;
  plan.shell = "";
  plan.commands = {Line("echo 'a b' c")};
  std::vector<BenchCommand> commands = Expand(plan);
  ASSERT_EQ(commands.size(), 1u);
  EXPECT_EQ(commands[0].argv, (std::vector<std::string>{"echo", "a b", "c"}));
  plan.commands = {Line("echo 'a b")};
  Result<std::vector<BenchCommand>> bad = ExpandCommands(plan);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("echo 'a b"), std::string::npos) << bad.status().message();
}

TEST(ParameterScan, CountsInIntegersByDefault) {
  Result<ParameterValues> p = ParameterScan("n", "1", "4", "");
  ASSERT_TRUE(p.ok()) << p.status().message();
  EXPECT_EQ(p->values, (std::vector<std::string>{"1", "2", "3", "4"}));
}

TEST(ParameterScan, StepsInDecimalWithoutDrift) {
  Result<ParameterValues> p = ParameterScan("x", "0", "1", "0.5");
  ASSERT_TRUE(p.ok()) << p.status().message();
  EXPECT_EQ(p->values, (std::vector<std::string>{"0", "0.5", "1.0"}));  // as hyperfine
  p = ParameterScan("x", "0.1", "0.7", "0.1");
  ASSERT_TRUE(p.ok()) << p.status().message();
  EXPECT_EQ(p->values, (std::vector<std::string>{"0.1", "0.2", "0.3", "0.4", "0.5", "0.6", "0.7"}));
  p = ParameterScan("x", "-2", "2", "1.5");
  ASSERT_TRUE(p.ok()) << p.status().message();
  EXPECT_EQ(p->values, (std::vector<std::string>{"-2", "-0.5", "1.0"}));
}

TEST(ParameterScan, RejectsWhatCannotBeScanned) {
  EXPECT_FALSE(ParameterScan("x", "0.5", "2", "").ok());  // decimals need a step
  EXPECT_FALSE(ParameterScan("x", "5", "1", "").ok());
  EXPECT_FALSE(ParameterScan("x", "1", "2", "0").ok());
  EXPECT_FALSE(ParameterScan("x", "1", "ten", "").ok());
  EXPECT_FALSE(ParameterScan("bad name", "1", "2", "").ok());
  EXPECT_FALSE(ParameterScan("x", "0", "1000000", "").ok());  // a typo, not a benchmark
  Result<ParameterValues> p = ParameterScan("x", "1", "ten", "");
  EXPECT_NE(p.status().message().find("ten"), std::string::npos);
}

TEST(ParameterList, SplitsOnCommasKeepingEmptyValues) {
  Result<ParameterValues> p = ParameterList("flags", ",-O1,-O2");
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->values, (std::vector<std::string>{"", "-O1", "-O2"}));
  EXPECT_FALSE(ParameterList("", "1").ok());
  EXPECT_FALSE(ParameterList("a-b", "1").ok());
}

TEST(SubstituteParameters, ReplacesKnownNamesOnceAndLeavesTheRest) {
  const std::vector<std::pair<std::string, std::string>> params = {{"a", "{b}"}, {"b", "2"}};
  EXPECT_EQ(SubstituteParameters("{a}-{b}-{c}-{", params), "{b}-2-{c}-{");
  EXPECT_EQ(SubstituteParameters("awk '{print}' {b}", params), "awk '{print}' 2");
}

TEST_F(RunnerTest, IgnoreFailureKeepsGoingAndCountsTheSuccessRate) {
  RunnerOptions o = Quick(6);
  o.ignore_failure = true;
  BenchReport report =
      RunBenchmark({CountingCommand(Path("counter"), "[ $((n % 2)) -eq 1 ]", 1)}, o, nullptr);
  const CommandResult& r = report.results.at(0);
  EXPECT_TRUE(r.error.empty()) << r.error;
  ASSERT_EQ(r.runs.size(), 6u);
  EXPECT_DOUBLE_EQ(r.success_rate, 0.5);
  EXPECT_EQ(r.runs[0].exit_code, 1);
  EXPECT_EQ(r.runs[1].exit_code, 0);
}

TEST_F(RunnerTest, AFailureWithoutIgnoreStopsThatCommandAndTheNextStillRuns) {
  std::vector<BenchCommand> commands = {CountingCommand(Path("counter"), "[ $n -ge 3 ]", 3),
                                        Direct({"true"})};
  BenchReport report = RunBenchmark(commands, Quick(10), nullptr);
  ASSERT_EQ(report.results.size(), 2u);
  const CommandResult& failed = report.results[0];
  EXPECT_EQ(failed.runs.size(), 3u);  // two good runs and the failing one
  EXPECT_NE(failed.error.find("non-zero exit code 3 in run 3"), std::string::npos) << failed.error;
  EXPECT_NE(failed.error.find("-i/--ignore-failure"), std::string::npos);
  EXPECT_NEAR(failed.success_rate, 2.0 / 3.0, 1e-9);
  EXPECT_EQ(report.results[1].runs.size(), 10u);
  EXPECT_TRUE(report.results[1].error.empty());
}

TEST_F(RunnerTest, AFailingWarmupIsReportedAsSuch) {
  RunnerOptions o = Quick(3);
  o.warmup = 2;
  BenchReport report = RunBenchmark({Direct({"false"})}, o, nullptr);
  const CommandResult& r = report.results.at(0);
  EXPECT_TRUE(r.runs.empty());
  EXPECT_NE(r.error.find("in warm-up run 1"), std::string::npos) << r.error;
}

TEST_F(RunnerTest, ACommandThatDoesNotExistIsAnErrorAndOthersStillRun) {
  BenchPlan plan;
  plan.commands = {Line("perfwatch_no_such_command --flag"), Line("true")};
  CommandTemplate direct;
  direct.argv = {"/nonexistent/perfwatch_prog"};
  plan.commands.push_back(direct);
  BenchReport report = RunBenchmark(Expand(plan), Quick(2), nullptr);
  ASSERT_EQ(report.results.size(), 3u);
  EXPECT_EQ(report.results[0].error,
            "cannot run 'perfwatch_no_such_command': No such file or directory");
  EXPECT_TRUE(report.results[0].runs.empty());
  EXPECT_EQ(report.results[1].runs.size(), 2u);
  EXPECT_EQ(report.results[2].error,
            "cannot run '/nonexistent/perfwatch_prog': No such file or directory");
}

TEST_F(RunnerTest, ShellExit127HintsAtAMissingCommand) {
  BenchPlan plan;
  plan.commands = {Line("true && perfwatch_no_such_command")};
  BenchReport report = RunBenchmark(Expand(plan), Quick(2), nullptr);
  EXPECT_NE(report.results.at(0).error.find("127"), std::string::npos) << report.results[0].error;
  EXPECT_NE(report.results.at(0).error.find("not found"), std::string::npos)
      << report.results[0].error;
}

TEST(MissingProgram, FindsOnlyProgramsThatCertainlyDoNotExist) {
  const std::string path = "/usr/local/bin:/usr/bin:/bin";
  EXPECT_EQ(MissingProgram("perfwatch_nope -x 1", path), "perfwatch_nope");
  EXPECT_EQ(MissingProgram("/nonexistent/prog", path), "/nonexistent/prog");
  EXPECT_EQ(MissingProgram("'perfwatch nope'", path), "perfwatch nope");
  EXPECT_EQ(MissingProgram("ls -l", path), std::nullopt);
  EXPECT_EQ(MissingProgram("cd /tmp", path), std::nullopt);  // builtin
  EXPECT_EQ(MissingProgram("if true; then :; fi", path), std::nullopt);
  EXPECT_EQ(MissingProgram("perfwatch_nope || true", path), std::nullopt);  // may succeed
  EXPECT_EQ(MissingProgram("X=1 perfwatch_nope", path), std::nullopt);
  EXPECT_EQ(MissingProgram("$CMD", path), std::nullopt);
  EXPECT_EQ(MissingProgram("", path), std::nullopt);
}

TEST_F(RunnerTest, TheStopFlagEndsTheBenchmarkWithAPartialReport) {
  std::atomic<bool> stop{false};
  // Sets the flag after the second timed run, as a Ctrl-C would.
  class Stopper : public Recorder {
   public:
    explicit Stopper(std::atomic<bool>& stop) : stop_(stop) {}
    void OnProgress(const BenchProgress& p) override {
      Recorder::OnProgress(p);
      if (p.phase == BenchProgress::Phase::kTimed && p.done == 2) stop_.store(true);
    }
    std::atomic<bool>& stop_;
  } stopper(stop);
  RunnerOptions o = Quick(20);
  o.stop = &stop;
  BenchReport report = RunBenchmark({Direct({"true"}), Direct({"true"})}, o, &stopper);
  EXPECT_TRUE(report.interrupted);
  ASSERT_EQ(report.results.size(), 1u);  // the second command never started
  EXPECT_EQ(report.results[0].runs.size(), 2u);
  EXPECT_TRUE(report.results[0].interrupted);
  EXPECT_EQ(stopper.done_sizes, (std::vector<size_t>{1}));
}

TEST_F(RunnerTest, TheStopFlagEndsARunningCommandAndDiscardsTheRun) {
  std::atomic<bool> stop{false};
  RunnerOptions o = Quick(3);
  o.stop = &stop;
  std::thread stopper([&] {
    // Once the first run is under way (it is the only child of this test).
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    stop.store(true);
  });
  BenchReport report = RunBenchmark({Direct({"sleep", "30"})}, o, nullptr);
  stopper.join();
  EXPECT_TRUE(report.interrupted);
  ASSERT_EQ(report.results.size(), 1u);
  EXPECT_TRUE(report.results[0].runs.empty());
  EXPECT_TRUE(report.results[0].error.empty()) << report.results[0].error;
}

TEST_F(RunnerTest, InputBytesGiveTheThroughput) {
  BenchCommand c = Direct({"true"});
  c.input_bytes = 10e6;
  BenchReport report = RunBenchmark({c}, Quick(3), nullptr);
  const CommandResult& r = report.results.at(0);
  ASSERT_TRUE(r.throughput_mb_s.has_value());
  ASSERT_GT(r.time.mean, 0);
  EXPECT_NEAR(*r.throughput_mb_s, 10e6 / 1e6 / r.time.mean, 1e-9 * *r.throughput_mb_s);
}

TEST_F(RunnerTest, TheInputFileIsStdinAndItsSizeIsTheInputBytesPerParameter) {
  fs::create_directories(dir_ / "data");
  std::ofstream(Path("data/1.txt")) << std::string(1000, 'a');
  std::ofstream(Path("data/2.txt")) << std::string(2000, 'b');
  BenchPlan plan;
  plan.shell = "";
  CommandTemplate t;
  // Fails unless stdin is the file of the parameter's size.
  t.argv = {"sh", "-c", "test \"$(wc -c)\" -eq {n}000"};
  plan.commands = {t};
  plan.parameters = {*ParameterList("n", "1,2")};
  plan.input_path = Path("data/{n}.txt");
  BenchReport report = RunBenchmark(Expand(plan), Quick(2), nullptr);
  ASSERT_EQ(report.results.size(), 2u);
  for (int i = 0; i < 2; ++i) {
    const CommandResult& r = report.results[i];
    EXPECT_TRUE(r.error.empty()) << r.error;
    ASSERT_TRUE(r.input_bytes.has_value());
    EXPECT_EQ(*r.input_bytes, 1000.0 * (i + 1));
    EXPECT_TRUE(r.throughput_mb_s.has_value());
  }
}

TEST_F(RunnerTest, AMissingInputFileIsAnErrorNamingIt) {
  BenchCommand c = Direct({"cat"});
  c.stdin_path = Path("missing.txt");
  BenchReport report = RunBenchmark({c}, Quick(2), nullptr);
  const CommandResult& r = report.results.at(0);
  EXPECT_TRUE(r.runs.empty());
  EXPECT_NE(r.error.find("missing.txt"), std::string::npos) << r.error;
}

TEST_F(RunnerTest, TheObserverSeesEveryCommandAndTheRunCountOnceKnown) {
  Recorder recorder;
  BenchReport report =
      RunBenchmark({Direct({"true"}), Direct({"sleep", "0"})}, Quick(3), &recorder);
  EXPECT_EQ(recorder.starts, (std::vector<std::string>{"true", "sleep"}));
  EXPECT_EQ(recorder.last_count, 2u);
  EXPECT_EQ(recorder.done_sizes, (std::vector<size_t>{1, 2}));
  ASSERT_FALSE(recorder.progress.empty());
  EXPECT_EQ(recorder.progress.front().phase, BenchProgress::Phase::kTimed);
  EXPECT_EQ(recorder.progress.front().done, 1);
  EXPECT_EQ(recorder.progress.front().total, 3);
}

TEST_F(RunnerTest, ShellSpawningTimeIsSubtractedButNeverBelowZero) {
  BenchPlan plan;
  plan.commands = {Line("true")};
  BenchReport report = RunBenchmark(Expand(plan), Quick(5), nullptr);
  EXPECT_GT(report.shell_spawn_seconds, 0);
  for (const BenchRun& run : report.results.at(0).runs) {
    EXPECT_GE(run.wall_seconds, 0);
    EXPECT_GE(run.user_seconds, 0);
    EXPECT_GE(run.system_seconds, 0);
  }
}

TEST_F(RunnerTest, ALongerCommandHasTheLargerMean) {
  BenchReport report =
      RunBenchmark({Direct({"sleep", "0.2"}), Direct({"sleep", "0.02"})}, Quick(2), nullptr);
  ASSERT_EQ(report.results.size(), 2u);
  EXPECT_GT(report.results[0].time.mean, report.results[1].time.mean);
}

}  // namespace
}  // namespace perfwatch
