#include "bench/runner.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cmath>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <ctime>

#include "bench/spawn.h"

namespace perfwatch {
namespace {

// Exit status of a POSIX shell that could not find a command.
constexpr int kShellCommandNotFound = 127;

std::string NowRfc3339() {
  const std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

std::string HostName() {
  char buf[256] = {};
  if (gethostname(buf, sizeof buf - 1) != 0) return "";
  return buf;
}

// "cannot run 'prog': No such file or directory", whatever spawn's wording.
std::string CannotRun(const std::string& program, const Status& status) {
  const std::string& msg = status.message();
  if (msg.find(program) != std::string::npos) {
    return msg.rfind("cannot run", 0) == 0 ? msg : "cannot run " + msg;
  }
  return "cannot run '" + program + "': " + msg;
}

// The mean cost of starting the shell, subtracted from runs through it.
struct ShellOverhead {
  double wall = 0, user = 0, system = 0;
};

// Runs one command's benchmark; see RunBenchmark for what ends it.
class CommandBenchmark {
 public:
  CommandBenchmark(const BenchCommand& command, const RunnerOptions& options,
                   const ShellOverhead& shell, BenchObserver* observer)
      : command_(command), options_(options), shell_(shell), observer_(observer) {
    result_.command = command.name;
    result_.parameters = command.parameters;
    result_.input_bytes = command.input_bytes;
  }

  // The result, summarized; *interrupted set when the stop flag or SIGINT
  // ended it.
  CommandResult Run(bool* interrupted) {
    if (CheckInput() && CheckProgram() && RunAux(command_.setup, "setup")) RunMeasured();
    // Cleanup runs even after a failure or an interruption: it is what
    // leaves the system as it was.
    if (!command_.cleanup.empty()) RunAux(command_.cleanup, "cleanup", /*stoppable=*/false);
    result_.interrupted = interrupted_;
    Summarize(result_, options_.ignore_failure);
    *interrupted = interrupted_;
    return std::move(result_);
  }

 private:
  bool StopRequested() const { return options_.stop != nullptr && options_.stop->load(); }

  void Fail(std::string error) {
    if (result_.error.empty()) result_.error = std::move(error);
  }

  bool CheckInput() {
    if (command_.stdin_path.empty()) return true;
    struct stat st {};
    if (stat(command_.stdin_path.c_str(), &st) != 0 ||
        access(command_.stdin_path.c_str(), R_OK) != 0) {
      Fail("cannot read input '" + command_.stdin_path + "': " + std::strerror(errno));
      return false;
    }
    if (!result_.input_bytes) result_.input_bytes = static_cast<double>(st.st_size);
    return true;
  }

  // A shell would only say "not found" with exit code 127; say it first.
  bool CheckProgram() {
    if (!command_.through_shell || command_.argv.size() < 3) return true;
    const char* path = std::getenv("PATH");
    std::optional<std::string> missing =
        MissingProgram(command_.argv[2], path != nullptr ? path : "/usr/local/bin:/usr/bin:/bin");
    if (!missing) return true;
    Fail("cannot run '" + *missing + "': " + std::strerror(ENOENT));
    return false;
  }

  MeasureOptions Measuring(std::chrono::milliseconds interval, bool stoppable) const {
    MeasureOptions m;
    m.sample_interval = interval;
    if (stoppable) {
      const std::atomic<bool>* stop = options_.stop;
      m.should_stop = [stop] { return stop != nullptr && stop->load(); };
    }
    return m;
  }

  CommandSpec Spec(const std::vector<std::string>& argv, bool with_input) const {
    CommandSpec spec;
    spec.argv = argv;
    if (with_input) spec.stdin_path = command_.stdin_path;
    spec.show_output = options_.show_output;
    spec.extra_env = command_.extra_env;
    return spec;
  }

  // Whether a run's end means the user interrupted the benchmark: the stop
  // flag, or a Ctrl-C from the terminal that reached the child first.
  bool Interrupted(const RunMeasurement& m) const {
    return m.stopped || m.signal == SIGINT || (StopRequested() && !m.ok());
  }

  // Runs an untimed setup, prepare or cleanup command; false (with the
  // error or interruption recorded) when the benchmark must end.
  bool RunAux(const std::vector<std::string>& argv, const std::string& what, bool stoppable = true,
              double* wall_seconds = nullptr) {
    if (argv.empty()) return true;
    if (stoppable && StopRequested()) {
      interrupted_ = true;
      return false;
    }
    Result<RunMeasurement> m =
        MeasureCommand(Spec(argv, false), Measuring(std::chrono::milliseconds(0), stoppable));
    if (!m.ok()) {
      Fail("the " + what + " command: " + CannotRun(argv[0], m.status()));
      return false;
    }
    if (stoppable && Interrupted(*m)) {
      interrupted_ = true;
      return false;
    }
    if (!m->ok()) {
      // hyperfine's advice, as scripts already know it.
      Fail("The " + what + " command terminated with " + m->DescribeExit() +
           ". Append ' || true' to the command if you are sure that this can be ignored.");
      return false;
    }
    if (wall_seconds != nullptr) *wall_seconds = m->wall_seconds;
    return true;
  }

  BenchRun Corrected(const RunMeasurement& m) const {
    BenchRun run;
    const bool shell = command_.through_shell;
    run.wall_seconds = std::max(0.0, m.wall_seconds - (shell ? shell_.wall : 0));
    run.user_seconds = std::max(0.0, m.user_seconds - (shell ? shell_.user : 0));
    run.system_seconds = std::max(0.0, m.system_seconds - (shell ? shell_.system : 0));
    run.peak_rss_bytes = m.peak_rss_bytes;
    run.cpu_percent = m.cpu_percent;
    run.exit_code = m.exit_code;
    run.signal = m.signal;
    return run;
  }

  std::string FailureMessage(const RunMeasurement& m, bool warmup, int number) const {
    std::string text = m.signal != 0 ? "Command was " + m.DescribeExit()
                                     : "Command terminated with non-zero " + m.DescribeExit();
    text += std::string(warmup ? " in warm-up run " : " in run ") + std::to_string(number) + ".";
    if (command_.through_shell && m.exit_code == kShellCommandNotFound) {
      text += " (The shell's 127 means a command was not found.)";
    }
    return text +
           " Use -i/--ignore-failure to keep going, or --show-output to see what went wrong.";
  }

  // One run of the command: false when the benchmark of it must end.
  // `raw_wall` gets the measured wall time before the shell is subtracted.
  bool MeasureOnce(bool warmup, int number, double* raw_wall) {
    if (StopRequested()) {
      interrupted_ = true;
      return false;
    }
    Result<RunMeasurement> m =
        MeasureCommand(Spec(command_.argv, true), Measuring(options_.sample_interval, true));
    if (!m.ok()) {
      Fail(CannotRun(command_.argv[0], m.status()));
      return false;
    }
    if (Interrupted(*m)) {
      interrupted_ = true;
      return false;
    }
    *raw_wall = m->wall_seconds;
    const BenchRun run = Corrected(*m);
    if (!warmup) {
      result_.runs.push_back(run);
      timed_wall_sum_ += run.wall_seconds;
    }
    if (!run.ok() && !options_.ignore_failure) {
      Fail(FailureMessage(*m, warmup, number));
      return false;
    }
    return true;
  }

  void Report(BenchProgress::Phase phase, int done, int total, double mean) {
    if (observer_ != nullptr) observer_->OnProgress(BenchProgress{phase, done, total, mean});
  }

  // hyperfine's rule: exactly --runs, else enough runs to fill min_time
  // at the first run's pace (prepare included), within the bounds.
  int RunCount(double first_seconds) const {
    if (options_.runs) return *options_.runs;
    double fill =
        first_seconds > 0 ? std::floor(options_.min_time_seconds / first_seconds) : INT_MAX;
    int count = static_cast<int>(std::min(fill, static_cast<double>(INT_MAX / 2)));
    count = std::max(count, options_.min_runs);
    if (options_.max_runs) count = std::min(count, *options_.max_runs);
    return std::max(count, 1);
  }

  void RunMeasured() {
    double warm_sum = 0;
    for (int i = 1; i <= options_.warmup; ++i) {
      double wall = 0;
      if (!RunAux(command_.prepare, "prepare") || !MeasureOnce(true, i, &wall)) return;
      warm_sum += wall;
      Report(BenchProgress::Phase::kWarmup, i, options_.warmup, warm_sum / i);
    }
    int total = 0;  // unknown until the first timed run
    for (int i = 1; total == 0 || i <= total; ++i) {
      double prepare_wall = 0, wall = 0;
      if (!RunAux(command_.prepare, "prepare", true, &prepare_wall)) return;
      if (!MeasureOnce(false, i, &wall)) return;
      if (total == 0) total = RunCount(wall + prepare_wall);
      Report(BenchProgress::Phase::kTimed, i, total, timed_wall_sum_ / i);
    }
  }

  const BenchCommand& command_;
  const RunnerOptions& options_;
  const ShellOverhead& shell_;
  BenchObserver* observer_;
  CommandResult result_;
  double timed_wall_sum_ = 0;
  bool interrupted_ = false;
};

// Measures `SHELL -c ''`. An error when the shell cannot run;
// *interrupted when the stop flag ended it.
Result<ShellOverhead> MeasureShell(const RunnerOptions& options, BenchObserver* observer,
                                   bool* interrupted) {
  ShellOverhead sum;
  CommandSpec spec;
  spec.argv = {options.shell, "-c", ""};
  MeasureOptions measuring;
  measuring.sample_interval = std::chrono::milliseconds(0);
  const std::atomic<bool>* stop = options.stop;
  measuring.should_stop = [stop] { return stop != nullptr && stop->load(); };
  const int n = options.shell_spawn_runs;
  for (int i = 1; i <= n; ++i) {
    if (stop != nullptr && stop->load()) {
      *interrupted = true;
      return ShellOverhead{};
    }
    Result<RunMeasurement> m = MeasureCommand(spec, measuring);
    if (!m.ok()) return Status::InvalidArgument(CannotRun(options.shell, m.status()));
    if (m->stopped || m->signal == SIGINT) {
      *interrupted = true;
      return ShellOverhead{};
    }
    if (!m->ok()) {
      return Status::InvalidArgument("the shell '" + options.shell +
                                     "' failed to run an empty command: " + m->DescribeExit());
    }
    sum.wall += m->wall_seconds;
    sum.user += m->user_seconds;
    sum.system += m->system_seconds;
    if (observer != nullptr) {
      observer->OnProgress({BenchProgress::Phase::kShellSpawn, i, n, sum.wall / i});
    }
  }
  if (n > 0) {
    sum.wall /= n;
    sum.user /= n;
    sum.system /= n;
  }
  return sum;
}
}  // namespace

BenchReport RunBenchmark(const std::vector<BenchCommand>& commands, const RunnerOptions& options,
                         BenchObserver* observer) {
  BenchReport report;
  report.started_at = NowRfc3339();
  report.host = HostName();
  report.warmup = options.warmup;
  report.shell = "none";
  ShellOverhead shell;
  std::string shell_error;
  const bool any_shell = std::any_of(commands.begin(), commands.end(),
                                     [](const BenchCommand& c) { return c.through_shell; });
  if (any_shell) {
    report.shell = options.shell;
    if (options.shell_spawn_runs > 0) {
      bool interrupted = false;
      Result<ShellOverhead> measured = MeasureShell(options, observer, &interrupted);
      if (interrupted) {
        report.interrupted = true;
        return report;
      }
      if (measured.ok()) {
        shell = *measured;
      } else {
        shell_error = measured.status().message();
      }
    }
    report.shell_spawn_seconds = shell.wall;
  }
  for (size_t i = 0; i < commands.size(); ++i) {
    if (observer != nullptr) observer->OnCommandStart(i, commands.size(), commands[i]);
    bool interrupted = false;
    if (commands[i].through_shell && !shell_error.empty()) {
      CommandResult failed;
      failed.command = commands[i].name;
      failed.parameters = commands[i].parameters;
      failed.input_bytes = commands[i].input_bytes;
      failed.error = shell_error;
      Summarize(failed, options.ignore_failure);
      report.results.push_back(std::move(failed));
    } else {
      report.results.push_back(
          CommandBenchmark(commands[i], options, shell, observer).Run(&interrupted));
    }
    report.interrupted = interrupted;
    if (observer != nullptr) observer->OnCommandDone(i, report);
    if (interrupted) break;
  }
  return report;
}
}  // namespace perfwatch
