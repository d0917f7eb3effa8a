#include "bench/spawn.h"

#include <gtest/gtest.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <climits>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

extern char** environ;

namespace perfwatch {
namespace {

namespace fs = std::filesystem;

// bench_alloc_helper is built next to this test binary.
std::string AllocHelper() {
  return (fs::read_symlink("/proc/self/exe").parent_path() / "bench_alloc_helper").string();
}

// A fresh directory under /tmp/perfwatch-spawn-test for one test.
std::string TempDir(const std::string& name) {
  std::string dir =
      "/tmp/perfwatch-spawn-test/spawn_test-" + name + "-" + std::to_string(::getpid());
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

RunMeasurement MustMeasure(const CommandSpec& spec, const MeasureOptions& options = {}) {
  Result<RunMeasurement> m = MeasureCommand(spec, options);
  EXPECT_TRUE(m.ok()) << m.status().ToString();
  return m.ok() ? *m : RunMeasurement{};
}

CommandSpec Cmd(std::vector<std::string> argv) {
  CommandSpec spec;
  spec.argv = std::move(argv);
  return spec;
}

CommandSpec Shell(const std::string& script) { return Cmd({"sh", "-c", script}); }

// Run in one process (not one per case, as ctest does), earlier suites of
// bench_test leave children behind: processes of a killed tree that this
// process, a sub-reaper since its first MeasureCommand, inherited. Each case
// starts without them, so NoChildLeft judges only what the case started.
void KillLeftoverChildren() {
  const std::string self = std::to_string(::getpid());
  for (const auto& entry : fs::directory_iterator("/proc")) {
    const std::string pid = entry.path().filename();
    if (pid.find_first_not_of("0123456789") != std::string::npos) continue;
    std::ifstream stat(entry.path() / "stat");
    std::string line;
    if (!std::getline(stat, line)) continue;
    std::istringstream fields(line.substr(line.rfind(')') + 2));
    std::string state, ppid;
    fields >> state >> ppid;
    if (ppid == self) ::kill(std::stoi(pid), SIGKILL);
  }
  while (::waitpid(-1, nullptr, 0) > 0) {
  }
}

class SpawnMeasure : public ::testing::Test {
 protected:
  void SetUp() override { KillLeftoverChildren(); }
};

// True when this process has no child left, zombie or running.
bool NoChildLeft() {
  siginfo_t info{};
  return ::waitid(P_ALL, 0, &info, WEXITED | WNOHANG | WNOWAIT) != 0 && errno == ECHILD;
}

TEST_F(SpawnMeasure, TrueSucceeds) {
  RunMeasurement m = MustMeasure(Cmd({"true"}));
  EXPECT_TRUE(m.ok());
  EXPECT_EQ(m.exit_code, 0);
  EXPECT_EQ(m.signal, 0);
  EXPECT_FALSE(m.stopped);
  EXPECT_GT(m.wall_seconds, 0);
  EXPECT_GT(m.max_single_rss_bytes, 0);
  EXPECT_EQ(m.DescribeExit(), "exit code 0");
  EXPECT_TRUE(NoChildLeft());
}

TEST_F(SpawnMeasure, ReportsTheExitCode) {
  RunMeasurement m = MustMeasure(Shell("exit 3"));
  EXPECT_FALSE(m.ok());
  EXPECT_EQ(m.exit_code, 3);
  EXPECT_EQ(m.signal, 0);
  EXPECT_EQ(m.DescribeExit(), "exit code 3");
}

TEST_F(SpawnMeasure, ReportsTheSignal) {
  RunMeasurement m = MustMeasure(Shell("kill -9 $$"));
  EXPECT_FALSE(m.ok());
  EXPECT_EQ(m.exit_code, -1);
  EXPECT_EQ(m.signal, 9);
  EXPECT_EQ(m.DescribeExit(), "killed by signal 9 (Killed)");
}

TEST_F(SpawnMeasure, MissingProgramIsNotFound) {
  Result<RunMeasurement> m = MeasureCommand(Cmd({"nosuchprog"}), {});
  ASSERT_FALSE(m.ok());
  EXPECT_EQ(m.status().code(), Status::Code::kNotFound);
  EXPECT_EQ(m.status().message(), "cannot run 'nosuchprog': No such file or directory");
}

TEST_F(SpawnMeasure, ProgramThatIsNotExecutableIsAnError) {
  std::string dir = TempDir("noexec");
  std::ofstream(dir + "/script") << "#!/bin/sh\nexit 0\n";
  Result<RunMeasurement> m = MeasureCommand(Cmd({dir + "/script"}), {});
  ASSERT_FALSE(m.ok());
  EXPECT_EQ(m.status().code(), Status::Code::kIOError);
  EXPECT_EQ(m.status().message(), "cannot run '" + dir + "/script': Permission denied");
  fs::remove_all(dir);
}

TEST_F(SpawnMeasure, EmptyCommandIsInvalid) {
  Result<RunMeasurement> m = MeasureCommand(CommandSpec{}, MeasureOptions{});
  ASSERT_FALSE(m.ok());
  EXPECT_EQ(m.status().code(), Status::Code::kInvalidArgument);
}

TEST_F(SpawnMeasure, StdinComesFromTheFile) {
  std::string dir = TempDir("stdin");
  std::ofstream(dir + "/hello") << "hello";
  std::ofstream(dir + "/other") << "other";
  CommandSpec spec = Shell("test \"$(cat)\" = hello");
  spec.stdin_path = dir + "/hello";
  EXPECT_EQ(MustMeasure(spec).exit_code, 0);
  spec.stdin_path = dir + "/other";
  EXPECT_EQ(MustMeasure(spec).exit_code, 1);
  spec.stdin_path.clear();  // /dev/null: empty input
  EXPECT_EQ(MustMeasure(Shell("test -z \"$(cat)\"")).exit_code, 0);
  fs::remove_all(dir);
}

TEST_F(SpawnMeasure, MissingStdinFileIsNamed) {
  CommandSpec spec = Cmd({"true"});
  spec.stdin_path = "/tmp/perfwatch-spawn-test/no/such/input";
  Result<RunMeasurement> m = MeasureCommand(spec, {});
  ASSERT_FALSE(m.ok());
  EXPECT_EQ(
      m.status().message(),
      "cannot open input '/tmp/perfwatch-spawn-test/no/such/input': No such file or directory");
}

TEST_F(SpawnMeasure, ExtraEnvironmentIsAddedAndReplaces) {
  ASSERT_EQ(::setenv("PW_SPAWN_REPLACED", "old", 1), 0);
  CommandSpec spec = Shell(
      "test \"$PW_SPAWN_ADDED\" = 'a b=c' && test \"$PW_SPAWN_REPLACED\" = new && "
      "test -n \"$PATH\"");
  spec.extra_env = {"PW_SPAWN_ADDED=a b=c", "PW_SPAWN_REPLACED=new"};
  EXPECT_EQ(MustMeasure(spec).exit_code, 0);
  spec.extra_env.clear();
  EXPECT_EQ(MustMeasure(spec).exit_code, 1);
  spec.extra_env = {"PW_SPAWN_NO_VALUE"};
  Result<RunMeasurement> bad = MeasureCommand(spec, {});
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().message(), "environment entry 'PW_SPAWN_NO_VALUE' is not NAME=value");
  ::unsetenv("PW_SPAWN_REPLACED");
}

TEST_F(SpawnMeasure, OutputGoesToDevNullUnlessShown) {
  // With output hidden, stdout and stderr are /dev/null in the child.
  RunMeasurement m =
      MustMeasure(Shell("test \"$(readlink /proc/$$/fd/1)\" = /dev/null && "
                        "test \"$(readlink /proc/$$/fd/2)\" = /dev/null"));
  EXPECT_EQ(m.exit_code, 0);
  CommandSpec shown = Shell("test \"$(readlink /proc/$$/fd/2)\" = \"$EXPECTED\"");
  shown.show_output = true;
  shown.extra_env = {"EXPECTED=" + fs::read_symlink("/proc/self/fd/2").string()};
  EXPECT_EQ(MustMeasure(shown).exit_code, 0);
}

TEST_F(SpawnMeasure, ShouldStopEndsTheCommand) {
  MeasureOptions options;
  int polls = 0;
  options.should_stop = [&] { return ++polls >= 2; };
  RunMeasurement m = MustMeasure(Cmd({"sleep", "30"}), options);
  EXPECT_TRUE(m.stopped);
  EXPECT_EQ(m.signal, SIGTERM);
  EXPECT_EQ(polls, 2);
  EXPECT_LT(m.wall_seconds, 29);  // not a timing bound: sleep 30 would take 30
  EXPECT_TRUE(NoChildLeft());
}

TEST_F(SpawnMeasure, ShouldStopKillsWhatIgnoresSigterm) {
  // The shell and its sleep (ignored signals survive exec) ignore SIGTERM:
  // the shell gets SIGKILL after the grace, the orphaned sleep too.
  MeasureOptions options;
  options.should_stop = [] { return true; };
  options.kill_grace = std::chrono::milliseconds(100);
  RunMeasurement m = MustMeasure(Shell("trap '' TERM; sleep 30; exit 0"), options);
  EXPECT_TRUE(m.stopped);
  EXPECT_EQ(m.signal, SIGKILL);
  EXPECT_TRUE(NoChildLeft());
}

std::atomic<bool> g_usr1{false};
extern "C" void OnUsr1(int) { g_usr1 = true; }

// should_stop is asked 50 ms after the spawn, after each sample and when a
// signal handler has run, with no periodic wake between samples: a flag set
// by a handler is seen at once, long before the next sample (1 s).
TEST_F(SpawnMeasure, ShouldStopIsAskedWhenASignalArrives) {
  g_usr1 = false;
  struct sigaction sa {
  }, old{};
  sa.sa_handler = OnUsr1;
  sigemptyset(&sa.sa_mask);
  ASSERT_EQ(::sigaction(SIGUSR1, &sa, &old), 0);
  std::atomic<int> calls{0};
  int samples = 0;
  MeasureOptions options;
  options.sample_interval = std::chrono::seconds(1);
  options.on_sample = [&](const TreeSample&) { ++samples; };
  options.should_stop = [&] {
    ++calls;
    return g_usr1.load();
  };
  // Sent to the process once the run is under way; this thread blocks it,
  // as every thread but the measuring one must (see spawn.h).
  std::thread sender([&] {
    sigset_t usr1;
    sigemptyset(&usr1);
    sigaddset(&usr1, SIGUSR1);
    ::pthread_sigmask(SIG_BLOCK, &usr1, nullptr);
    while (calls == 0) std::this_thread::sleep_for(std::chrono::milliseconds(5));
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    ::kill(::getpid(), SIGUSR1);
  });
  RunMeasurement m = MustMeasure(Cmd({"sleep", "30"}), options);
  sender.join();
  ::sigaction(SIGUSR1, &old, nullptr);
  EXPECT_TRUE(m.stopped);
  EXPECT_EQ(m.signal, SIGTERM);
  // Once soon after the spawn, once per sample, once for the signal (with a
  // sample's when both come in one wake): no polling.
  EXPECT_GE(calls, samples + 1);
  EXPECT_LE(calls, samples + 2);
  EXPECT_LT(m.wall_seconds, 29);  // not a timing bound: sleep 30 would take 30
  EXPECT_TRUE(NoChildLeft());
}

// A request that comes without a signal (a flag another thread sets) is
// still seen: should_stop is asked at least once a second, and not more
// often when nothing wakes the thread.
TEST_F(SpawnMeasure, ShouldStopWithoutASignalIsAskedOnceASecond) {
  std::atomic<bool> stop{false};
  std::atomic<int> calls{0};
  MeasureOptions options;
  options.sample_interval = std::chrono::milliseconds(0);
  options.should_stop = [&] {
    ++calls;
    return stop.load();
  };
  std::thread setter([&] {
    while (calls == 0) std::this_thread::sleep_for(std::chrono::milliseconds(5));
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    stop = true;
  });
  RunMeasurement m = MustMeasure(Cmd({"sleep", "30"}), options);
  setter.join();
  EXPECT_TRUE(m.stopped);
  EXPECT_EQ(m.signal, SIGTERM);
  EXPECT_GE(calls, 2);
  // One call a second plus the first and last: 50 ms polling would make
  // twenty a second.
  EXPECT_LE(calls, 3 + static_cast<int>(m.wall_seconds));
  EXPECT_TRUE(NoChildLeft());
}

TEST_F(SpawnMeasure, BusyLoopUsesCpu) {
  RunMeasurement m = MustMeasure(Shell("i=0; while [ $i -lt 300000 ]; do i=$((i+1)); done"));
  EXPECT_EQ(m.exit_code, 0);
  EXPECT_GT(m.user_seconds + m.system_seconds, 0);
  // Near 100% of a core on an idle host, less on a busy one (this box has 2
  // cores shared by parallel builds), so compared with a sleeping command
  // rather than with a fixed figure; one thread cannot pass one core.
  RunMeasurement idle = MustMeasure(Cmd({"sleep", "0.2"}));
  EXPECT_GT(m.cpu_percent, 10 * idle.cpu_percent);
  EXPECT_GT(m.cpu_percent, 5);
  EXPECT_LT(m.cpu_percent, 110);
  EXPECT_DOUBLE_EQ(m.cpu_percent, 100 * (m.user_seconds + m.system_seconds) / m.wall_seconds);
}

// "Maximum resident set size (kbytes): N" of GNU time's -v report.
double GnuTimeMaxRssBytes(const std::string& report_path) {
  std::ifstream in(report_path);
  std::string line;
  const std::string key = "Maximum resident set size (kbytes):";
  while (std::getline(in, line)) {
    size_t at = line.find(key);
    if (at != std::string::npos) return std::stod(line.substr(at + key.size())) * 1024;
  }
  return -1;
}

TEST_F(SpawnMeasure, PeakRssAgreesWithGnuTime) {
  std::string dir = TempDir("gnutime");
  RunMeasurement timed =
      MustMeasure(Cmd({"/usr/bin/time", "-v", "-o", dir + "/report", AllocHelper(), "200"}));
  ASSERT_EQ(timed.exit_code, 0);
  double gnu = GnuTimeMaxRssBytes(dir + "/report");
  ASSERT_GT(gnu, 200 << 20);

  MeasureOptions options;
  options.sample_interval = std::chrono::milliseconds(5);
  RunMeasurement m = MustMeasure(Cmd({AllocHelper(), "200"}), options);
  ASSERT_EQ(m.exit_code, 0);
  EXPECT_NEAR(m.max_single_rss_bytes, gnu, 0.02 * gnu);
  EXPECT_NEAR(m.peak_rss_bytes, gnu, 0.02 * gnu);
  fs::remove_all(dir);
}

TEST_F(SpawnMeasure, PeakRssOfATreeIsTheSum) {
  RunMeasurement one = MustMeasure(Cmd({AllocHelper(), "100"}));
  ASSERT_EQ(one.exit_code, 0);
  // Both helpers hold their memory until two samples were taken after both
  // had touched it, so the sampler had its chance to see the sum.
  std::string dir = TempDir("tree-rss");
  MeasureOptions options;
  options.sample_interval = std::chrono::milliseconds(20);
  int samples_after_ready = 0;
  int64_t most_processes = 0;
  options.on_sample = [&](const TreeSample& s) {
    most_processes = std::max(most_processes, s.processes);
    if (fs::exists(dir + "/a.ready") && fs::exists(dir + "/b.ready") &&
        ++samples_after_ready == 2) {
      std::ofstream(dir + "/release");
    }
  };
  const std::string h = AllocHelper() + " 100 " + dir;
  RunMeasurement two = MustMeasure(
      Shell(h + "/a.ready " + dir + "/release & " + h + "/b.ready " + dir + "/release & wait"),
      options);
  ASSERT_EQ(two.exit_code, 0);
  EXPECT_GE(samples_after_ready, 2);
  EXPECT_EQ(most_processes, 3);  // sh and both helpers
  EXPECT_GE(two.peak_rss_bytes, 1.8 * one.max_single_rss_bytes);
  EXPECT_LE(two.peak_rss_bytes, 2.3 * one.max_single_rss_bytes);
  // The kernel's figure is per process, as /usr/bin/time -v reports it.
  EXPECT_NEAR(two.max_single_rss_bytes, one.max_single_rss_bytes, 0.05 * one.max_single_rss_bytes);
  fs::remove_all(dir);
}

TEST_F(SpawnMeasure, SamplesFollowTheTree) {
  MeasureOptions options;
  options.sample_interval = std::chrono::milliseconds(20);
  std::vector<TreeSample> samples;
  options.on_sample = [&](const TreeSample& s) { samples.push_back(s); };
  RunMeasurement m =
      MustMeasure(Shell("sleep 0.3; i=0; while [ $i -lt 100000 ]; do i=$((i+1)); done"), options);
  ASSERT_EQ(m.exit_code, 0);
  ASSERT_GE(samples.size(), 2u);
  EXPECT_TRUE(samples.front().root_alive);
  EXPECT_GE(samples.front().processes, 1);
  for (size_t i = 1; i < samples.size(); ++i) {
    EXPECT_GT(samples[i].at, samples[i - 1].at);
    EXPECT_GE(samples[i].cpu_seconds, samples[i - 1].cpu_seconds);
  }
  EXPECT_LE(samples.back().cpu_seconds, m.user_seconds + m.system_seconds + 0.02);
}

TEST_F(SpawnMeasure, NoSampleForACommandShorterThanTheInterval) {
  MeasureOptions options;
  options.sample_interval = std::chrono::seconds(10);
  int samples = 0;
  options.on_sample = [&](const TreeSample&) { ++samples; };
  EXPECT_EQ(MustMeasure(Cmd({"true"}), options).exit_code, 0);
  EXPECT_EQ(samples, 0);
}

// The background child outlives the command: perfwatch (a sub-reaper)
// adopts it, waits for it (it finishes within kill_grace) and reaps it.
TEST_F(SpawnMeasure, OrphanIsWaitedForAndReaped) {
  std::string dir = TempDir("orphan");
  RunMeasurement m = MustMeasure(Shell("(sleep 0.3; echo done > " + dir + "/mark) & exit 0"));
  EXPECT_TRUE(m.ok());
  std::string mark;
  std::ifstream(dir + "/mark") >> mark;
  EXPECT_EQ(mark, "done");  // it ran to its end before MeasureCommand returned
  EXPECT_TRUE(NoChildLeft());
  fs::remove_all(dir);
}

// One that runs past kill_grace is terminated; the run itself is still ok.
TEST_F(SpawnMeasure, OrphanOutlivingTheGraceIsKilled) {
  std::string dir = TempDir("orphan-killed");
  MeasureOptions options;
  options.kill_grace = std::chrono::milliseconds(100);
  RunMeasurement m =
      MustMeasure(Shell("(sleep 30; echo done > " + dir + "/mark) & exit 0"), options);
  EXPECT_TRUE(m.ok());
  EXPECT_FALSE(m.stopped);
  EXPECT_FALSE(fs::exists(dir + "/mark"));
  EXPECT_TRUE(NoChildLeft());
  fs::remove_all(dir);
}

// A child perfwatch started before the command is not one of its orphans.
TEST_F(SpawnMeasure, LeavesEarlierChildrenAlone) {
  pid_t other = 0;
  const char* argv[] = {"sleep", "30", nullptr};
  ASSERT_EQ(::posix_spawnp(&other, "sleep", nullptr, nullptr, const_cast<char**>(argv), environ),
            0);
  // A later clock tick than the sleep's start (proc(5) starttime).
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  MeasureOptions options;
  options.kill_grace = std::chrono::milliseconds(100);
  RunMeasurement m = MustMeasure(Shell("exit 0"), options);
  EXPECT_TRUE(m.ok());
  EXPECT_EQ(::waitpid(other, nullptr, WNOHANG), 0);  // still running, not reaped
  ::kill(other, SIGKILL);
  EXPECT_EQ(::waitpid(other, nullptr, 0), other);
}

// User and system time cover the orphans perfwatch reaps, as RUSAGE_CHILDREN.
TEST_F(SpawnMeasure, OrphanCpuIsCounted) {
  RunMeasurement m =
      MustMeasure(Shell("(i=0; while [ $i -lt 200000 ]; do i=$((i+1)); done) & exit 0"));
  EXPECT_TRUE(m.ok());
  RunMeasurement alone = MustMeasure(Shell("exit 0"));
  EXPECT_GT(m.user_seconds + m.system_seconds, alone.user_seconds + alone.system_seconds);
  EXPECT_GT(m.user_seconds + m.system_seconds, 0.05);
}

TEST(SplitCommandLine, SplitsLikeAShell) {
  struct Case {
    std::string line;
    std::vector<std::string> words;
  };
  const std::vector<Case> cases = {
      {"", {}},
      {"   ", {}},
      {"sleep 0.1", {"sleep", "0.1"}},
      {"  a \t b\n c  ", {"a", "b", "c"}},
      {"grep 'a b' \"c d\"", {"grep", "a b", "c d"}},
      {"x'y'\"z\"w", {"xyzw"}},
      {"'' \"\"", {"", ""}},
      {R"(a\ b c\\d \'e)", {"a b", R"(c\d)", "'e"}},
      {R"("a \"q\" \$x \n")", {R"(a "q" $x \n)"}},
      {R"('no \escape "here"')", {R"(no \escape "here")"}},
      {"a\\\nb", {"ab"}},
  };
  for (const Case& c : cases) {
    Result<std::vector<std::string>> words = SplitCommandLine(c.line);
    ASSERT_TRUE(words.ok()) << c.line << ": " << words.status().ToString();
    EXPECT_EQ(*words, c.words) << c.line;
  }
}

TEST(SplitCommandLine, UnterminatedQuoteNamesTheColumn) {
  Result<std::vector<std::string>> single = SplitCommandLine("echo 'abc");
  ASSERT_FALSE(single.ok());
  EXPECT_EQ(single.status().code(), Status::Code::kInvalidArgument);
  EXPECT_EQ(single.status().message(), "unterminated single quote at column 6");
  Result<std::vector<std::string>> dbl = SplitCommandLine("a \"b\" \"c\\\"");
  ASSERT_FALSE(dbl.ok());
  EXPECT_EQ(dbl.status().message(), "unterminated double quote at column 7");
  Result<std::vector<std::string>> backslash = SplitCommandLine("a b\\");
  ASSERT_FALSE(backslash.ok());
  EXPECT_EQ(backslash.status().message(), "backslash at the end of the command line (column 4)");
}

}  // namespace
}  // namespace perfwatch
