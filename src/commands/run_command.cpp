// `perfwatch run [options] -- CMD ARGS...`: records one run of a command
// into <data_dir>/perfwatch.db (runs/recorder.h does the work; docs/RUNS.md
// is the guide). This file parses the flags, handles Ctrl-C and SIGTERM,
// and prints the summary.

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "commands/tool_commands.h"
#include "model/duration.h"
#include "runs/recorder.h"
#include "runs/run_db.h"
#include "runs/run_json.h"
#include "runs/run_text.h"

namespace perfwatch {
namespace {

constexpr std::string_view kHelp = R"(Usage: perfwatch run [options] [--] CMD [ARGS...]

Runs CMD (an argv, no shell), records its process tree's CPU, memory,
threads and IO every 100 ms and whatever it sends over StatsD while it runs
(iterations, fitness per generation, component timings), stores the run in
<data-dir>/perfwatch.db and prints a summary on stderr. Exits with the
command's exit status (128+N when a signal N killed it, 127 when it cannot
be found); 130 after Ctrl-C, the partial run recorded as interrupted.

The command finds perfwatch's StatsD listener in its environment:
PERFWATCH_STATSD=127.0.0.1:PORT (include/perfwatch/client.hpp),
STATSD_HOST/STATSD_PORT (most StatsD clients), PERFWATCH_RUN_ID,
PERFWATCH_RUN_NAME, and PERFWATCH_APP (the run's name unless already set).

Options:
  --name NAME        the run's name, to list and compare runs of one thing
                     (default: the command's basename)
  --data-dir DIR     where perfwatch.db is (default $PERFWATCH_STORAGE_DATA_DIR,
                     else ./data; created when missing)
  --interval D       timeline resolution (default 100ms; 10ms to 1h)
  --keep-runs N      keep the newest N runs in the data dir (default 1000; 0 all)
  --show-output      the command's stdout/stderr stay on the terminal (default)
  --hide-output      send the command's stdout/stderr to /dev/null
  --quiet            no summary at the end (errors are still printed)
  --json             print the whole record as JSON on stdout at the end; the
                     command's stdout then goes to stderr, so stdout is JSON only
  -h, --help         this text

Examples:
  perfwatch run --name ga -- ./ga --generations 200
  perfwatch run --name sort-10M --data-dir /var/lib/perfwatch -- python3 sort.py 10000000
  perfwatch runs                     # list;  perfwatch runs compare --name ga --last 2
)";

struct RunCommand {
  bool help = false;
  bool quiet = false;
  bool json = false;
  bool show_output = true;
  std::string name;
  std::optional<std::string> data_dir;
  std::chrono::milliseconds interval{100};
  size_t keep_runs = 1000;
  std::vector<std::string> argv;
};

// A whole number, all of `text`.
std::optional<int64_t> ParseWhole(std::string_view text) {
  int64_t n = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
  if (ec != std::errc() || end != text.data() + text.size() || text.empty()) return std::nullopt;
  return n;
}

int Usage(const std::string& message) {
  std::cerr << "perfwatch run: " << message << "\n(perfwatch run --help shows the options)\n";
  return 2;
}

// Flags come first; the command starts at "--" or at the first argument
// that is not a flag, and everything after it is the command's own.
Result<RunCommand> Parse(int argc, const char* const* argv) {
  RunCommand c;
  int i = 1;
  auto value = [&](std::string_view flag, std::string_view arg) -> Result<std::string> {
    if (size_t eq = arg.find('='); eq != std::string_view::npos) {
      return std::string(arg.substr(eq + 1));
    }
    if (i + 1 >= argc) return Status::InvalidArgument(std::string(flag) + " needs a value");
    return std::string(argv[++i]);
  };
  for (; i < argc; ++i) {
    const std::string_view arg = argv[i];
    const std::string_view flag = arg.substr(0, arg.find('='));
    if (arg == "--") {
      ++i;
      break;
    }
    if (arg.empty() || arg[0] != '-') break;
    if (arg == "-h" || arg == "--help") {
      c.help = true;
    } else if (arg == "--quiet" || arg == "-q") {
      c.quiet = true;
    } else if (arg == "--json") {
      c.json = true;
    } else if (arg == "--show-output") {
      c.show_output = true;
    } else if (arg == "--hide-output") {
      c.show_output = false;
    } else if (flag == "--name") {
      Result<std::string> v = value(flag, arg);
      if (!v.ok()) return v.status();
      if (v->empty()) return Status::InvalidArgument("--name must not be empty");
      c.name = *v;
    } else if (flag == "--data-dir") {
      Result<std::string> v = value(flag, arg);
      if (!v.ok()) return v.status();
      if (v->empty()) return Status::InvalidArgument("--data-dir must not be empty");
      c.data_dir = *v;
    } else if (flag == "--interval") {
      Result<std::string> v = value(flag, arg);
      if (!v.ok()) return v.status();
      Result<int64_t> ms = ParseDuration(*v);
      if (!ms.ok()) return Status::InvalidArgument("--interval: " + ms.status().message());
      if (*ms < 10 || *ms > 3'600'000) {
        return Status::InvalidArgument("--interval must be from 10ms to 1h, got " + *v);
      }
      c.interval = std::chrono::milliseconds(*ms);
    } else if (flag == "--keep-runs") {
      Result<std::string> v = value(flag, arg);
      if (!v.ok()) return v.status();
      std::optional<int64_t> n = ParseWhole(*v);
      if (!n || *n < 0) {
        return Status::InvalidArgument("--keep-runs must be a whole number >= 0, got " + *v);
      }
      c.keep_runs = static_cast<size_t>(*n);
    } else {
      return Status::InvalidArgument("unknown option " + std::string(arg));
    }
  }
  for (; i < argc; ++i) c.argv.emplace_back(argv[i]);
  if (!c.help && c.argv.empty()) {
    return Status::InvalidArgument("no command given: perfwatch run [options] -- CMD [ARGS...]");
  }
  return c;
}

// What the signal handlers saw. A signal handler can only reach static
// storage; lock-free atomics are async-signal-safe.
std::atomic<int> g_first_signal{0};
std::atomic<int> g_sigint_count{0};
std::atomic<bool> g_terminate{false};

extern "C" void OnSignal(int sig) {
  int expected = 0;
  g_first_signal.compare_exchange_strong(expected, sig);
  if (sig == SIGINT) {
    g_sigint_count.fetch_add(1);
  } else {
    g_terminate.store(true);
  }
}

// perfwatch stays alive through Ctrl-C so it can record the partial run;
// the spawned command starts with default handlers (bench/spawn.h).
class SignalGuard {
 public:
  SignalGuard() {
    struct sigaction sa {};
    sa.sa_handler = OnSignal;
    sigemptyset(&sa.sa_mask);
    for (int i = 0; i < 3; ++i) sigaction(kSignals[i], &sa, &old_[i]);
  }
  ~SignalGuard() {
    for (int i = 0; i < 3; ++i) sigaction(kSignals[i], &old_[i], nullptr);
  }

 private:
  static constexpr int kSignals[3] = {SIGINT, SIGTERM, SIGHUP};
  struct sigaction old_[3];
};

// Ctrl-C at a terminal reaches the command too (one process group), so it
// gets a second to end on its own (saving its results, say) before it is
// sent SIGTERM; a second Ctrl-C, SIGTERM or SIGHUP stops it at once. A
// SIGINT sent to perfwatch alone (kill -INT) thus also ends the command.
class StopPolicy {
 public:
  bool ShouldStop() {
    if (g_terminate.load() || g_sigint_count.load() >= 2) return true;
    if (g_sigint_count.load() == 0) return false;
    const auto now = std::chrono::steady_clock::now();
    if (!first_sigint_) first_sigint_ = now;
    return now - *first_sigint_ >= std::chrono::seconds(1);
  }

 private:
  std::optional<std::chrono::steady_clock::time_point> first_sigint_;
};

std::string DataDir(const RunCommand& c, GetEnv getenv) {
  if (c.data_dir) return *c.data_dir;
  const char* env = getenv("PERFWATCH_STORAGE_DATA_DIR");
  return env != nullptr && *env != '\0' ? env : "./data";
}

// The command reads perfwatch's own stdin, so `perfwatch run -- ./solver <
// input` works; /dev/null when there is none to reopen.
std::string StdinPath() {
  const int fd = ::open("/dev/stdin", O_RDONLY | O_CLOEXEC);
  if (fd < 0) return "";
  ::close(fd);
  return "/dev/stdin";
}

// With --json the command's stdout is pointed at stderr while it runs, so
// perfwatch's stdout carries the JSON record alone.
class StdoutToStderr {
 public:
  explicit StdoutToStderr(bool active) {
    if (!active) return;
    std::cout.flush();
    saved_ = ::dup(STDOUT_FILENO);
    if (saved_ >= 0) ::dup2(STDERR_FILENO, STDOUT_FILENO);
  }
  ~StdoutToStderr() { Restore(); }
  void Restore() {
    if (saved_ < 0) return;
    ::dup2(saved_, STDOUT_FILENO);
    ::close(saved_);
    saved_ = -1;
  }

 private:
  int saved_ = -1;
};

}  // namespace

int RunRecordCommand(int argc, const char* const* argv, GetEnv getenv) {
  Result<RunCommand> parsed = Parse(argc, argv);
  if (!parsed.ok()) return Usage(parsed.status().message());
  const RunCommand& c = *parsed;
  if (c.help) {
    std::cout << kHelp;
    return 0;
  }
  const std::string data_dir = DataDir(c, getenv);
  std::error_code ec;
  std::filesystem::create_directories(data_dir, ec);
  if (ec) {
    std::cerr << "perfwatch run: cannot create the data directory " << data_dir << ": "
              << ec.message() << "\n";
    return 1;
  }
  RunDbOptions db_options;
  db_options.path = RunDb::PathIn(data_dir);
  db_options.max_runs = c.keep_runs;
  Result<std::unique_ptr<RunDb>> db = RunDb::Open(db_options);
  if (!db.ok()) {
    std::cerr << "perfwatch run: cannot record runs in " << data_dir << ": "
              << db.status().message() << "\n";
    return 1;
  }

  RecordOptions options;
  options.argv = c.argv;
  options.name = c.name;
  options.sample_interval = c.interval;
  options.show_output = c.show_output;
  options.stdin_path = StdinPath();
  const std::string run_name = c.name.empty() ? DefaultRunName(c.argv) : c.name;
  if (const char* app = getenv("PERFWATCH_APP"); app != nullptr) {
    options.app = app;
  } else {
    options.app = run_name;
    options.extra_env.push_back("PERFWATCH_APP=" + run_name);
  }

  SignalGuard signals;
  StopPolicy stop;
  options.should_stop = [&stop] { return stop.ShouldStop(); };
  options.interrupted = [] { return g_first_signal.load() != 0; };
  StdoutToStderr redirect(c.json);
  Result<RecordedRun> recorded = RecordRun(**db, options);
  redirect.Restore();
  if (!recorded.ok()) {
    std::cerr << "perfwatch run: " << recorded.status().message() << "\n";
    return 1;
  }
  const RunRecord& run = recorded->run;
  // A failed run carries an error only when it could not start.
  const bool started = !(run.status == RunStatus::kFailed && !run.error.empty());
  if (!started) {
    // It never started: say so plainly, as a shell would, and where the
    // history keeps it.
    std::cerr << "perfwatch run: " << run.error << " (recorded as run #" << run.id << ", failed)\n";
  } else if (!c.quiet) {
    std::cerr << RunSummary(run);
  }
  if (c.json) std::cout << RunJson(run) << "\n";
  if (!recorded->saved.ok()) {
    std::cerr << "perfwatch run: the run was not saved: " << recorded->saved.message() << "\n";
    return 1;
  }
  if (const int sig = g_first_signal.load(); sig != 0) return 128 + sig;
  return run.ShellExitStatus();
}

}  // namespace perfwatch
