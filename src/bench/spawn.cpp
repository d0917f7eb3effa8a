#include "bench/spawn.h"

#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <optional>

extern char** environ;

namespace perfwatch {
namespace {

using Clock = std::chrono::steady_clock;

// Owns a descriptor.
class Fd {
 public:
  explicit Fd(int fd = -1) : fd_(fd) {}
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  int get() const { return fd_; }

 private:
  int fd_;
};

// Spawn attributes and file actions, released however spawning ends. Unlike
// notify/child_process.cpp the child keeps perfwatch's process group, so a
// terminal's Ctrl-C reaches it as it would without perfwatch.
struct SpawnSetup {
  posix_spawnattr_t attr;
  posix_spawn_file_actions_t actions;
  SpawnSetup(int stdin_fd, bool show_output) {
    posix_spawnattr_init(&attr);
    sigset_t set;
    sigemptyset(&set);
    posix_spawnattr_setsigmask(&attr, &set);
    // Whatever perfwatch ignores or handles, the child starts with defaults.
    sigfillset(&set);
    posix_spawnattr_setsigdefault(&attr, &set);
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, stdin_fd, STDIN_FILENO);
    if (!show_output) {
      posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
      posix_spawn_file_actions_adddup2(&actions, STDOUT_FILENO, STDERR_FILENO);
    }
  }
  ~SpawnSetup() {
    posix_spawn_file_actions_destroy(&actions);
    posix_spawnattr_destroy(&attr);
  }
};

double Seconds(const timeval& tv) { return static_cast<double>(tv.tv_sec) + tv.tv_usec / 1e6; }

// perfwatch's environment with `extra` ("NAME=value") added or replacing.
std::vector<std::string> MergeEnvironment(const std::vector<std::string>& extra) {
  std::vector<std::string> env;
  for (char** e = environ; *e != nullptr; ++e) env.emplace_back(*e);
  for (const std::string& entry : extra) {
    std::string_view name(entry.data(), entry.find('=') + 1);  // "NAME=", checked
    auto same = std::find_if(env.begin(), env.end(), [&](const std::string& have) {
      return std::string_view(have).substr(0, name.size()) == name;
    });
    if (same != env.end()) {
      *same = entry;
    } else {
      env.push_back(entry);
    }
  }
  return env;
}

// Made once per process: orphans of every measured command come back to
// perfwatch instead of init, so they are reaped here and their CPU time lands
// in RUSAGE_CHILDREN.
void BecomeSubreaper() {
  static const bool done = [] {
    ::prctl(PR_SET_CHILD_SUBREAPER, 1);
    return true;
  }();
  (void)done;
}

int MillisUntil(Clock::time_point t, Clock::time_point now) {
  auto ms = std::chrono::ceil<std::chrono::milliseconds>(t - now).count();
  return static_cast<int>(std::clamp<int64_t>(ms, 0, 1 << 30));
}

// Clock ticks after boot now, as /proc/PID/stat's starttime counts them
// (the kernel truncates CLOCK_BOOTTIME to USER_HZ).
uint64_t BootTicksNow(uint64_t ticks_per_second) {
  if (ticks_per_second == 0 || ticks_per_second > 1000000000) ticks_per_second = 100;
  timespec ts{};
  ::clock_gettime(CLOCK_BOOTTIME, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * ticks_per_second +
         static_cast<uint64_t>(ts.tv_nsec) / (1000000000 / ticks_per_second);
}

// The ppid field of a /proc/PID/stat text: "PID (comm) S PPID ...".
std::optional<int64_t> StatParent(std::string_view stat) {
  size_t close = stat.rfind(')');
  if (close == std::string_view::npos || close + 4 >= stat.size()) return std::nullopt;
  std::string_view rest = stat.substr(close + 4);  // past ") S "
  int64_t ppid = 0;
  auto [end, ec] = std::from_chars(rest.data(), rest.data() + rest.size(), ppid);
  if (ec != std::errc()) return std::nullopt;
  return ppid;
}

// Children of `self` that started no earlier than `since` (clock ticks after
// boot): the command's orphans, reparented to perfwatch. /proc is listed
// (there is no /proc/PID/task/TID/children on every kernel), and only when
// perfwatch still has children once the command is reaped.
std::vector<pid_t> OrphansOf(pid_t self, uint64_t since) {
  std::vector<pid_t> out;
  DIR* dir = ::opendir("/proc");
  if (dir == nullptr) return out;
  ProcReader reader;
  while (const dirent* e = ::readdir(dir)) {
    std::string_view name(e->d_name);
    pid_t pid = 0;
    auto [end, ec] = std::from_chars(name.data(), name.data() + name.size(), pid);
    if (ec != std::errc() || end != name.data() + name.size() || pid <= 0) continue;
    Result<std::string_view> text = reader.Read("/proc/" + std::string(name) + "/stat");
    if (!text.ok() || StatParent(*text) != self) continue;
    Result<PidStat> stat = ParsePidStat(*text);
    if (stat.ok() && stat->start_time >= since) out.push_back(pid);
  }
  ::closedir(dir);
  return out;
}

int PidfdOpen(pid_t pid) { return static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)); }

// While alive and `active`, the asynchronous signals stay blocked on this
// thread except inside Poll, which waits with the thread's former mask
// (ppoll). So a signal that arrives while the run samples or checks
// should_stop is held until the next wait, which it then interrupts at
// once: there is no window between looking at should_stop and going to
// sleep. Faults (SIGSEGV...) and SIGPROF are never held.
class SignalWindow {
 public:
  explicit SignalWindow(bool active) : active_(active) {
    if (!active_) return;
    sigset_t held;
    sigfillset(&held);
    for (int sig : {SIGBUS, SIGFPE, SIGILL, SIGSEGV, SIGTRAP, SIGSYS, SIGPROF}) {
      sigdelset(&held, sig);
    }
    ::pthread_sigmask(SIG_BLOCK, &held, &former_);
  }
  ~SignalWindow() {
    if (active_) ::pthread_sigmask(SIG_SETMASK, &former_, nullptr);  // delivers what is held
  }
  SignalWindow(const SignalWindow&) = delete;
  SignalWindow& operator=(const SignalWindow&) = delete;

  // poll(2), signals let through; -1 with EINTR when a handler ran.
  int Poll(pollfd* fds, nfds_t n, int timeout_ms) {
    if (!active_) return ::poll(fds, n, timeout_ms);
    timespec ts{timeout_ms / 1000, (timeout_ms % 1000) * 1000000L};
    return ::ppoll(fds, n, timeout_ms < 0 ? nullptr : &ts, &former_);
  }

 private:
  bool active_;
  sigset_t former_;
};

// One run in progress: the wait, the sampling and the stop, on this thread.
class Run {
 public:
  // `before`: the processes listed before the spawn (ProcessTree::ListNow).
  Run(pid_t pid, Clock::time_point started, uint64_t started_ticks,
      const std::vector<ListedPid>& before, const MeasureOptions& options)
      : pid_(pid),
        started_(started),
        started_ticks_(started_ticks),
        options_(options),
        signals_(static_cast<bool>(options.should_stop)) {
    pidfd_ = PidfdOpen(pid);
    if (options.sample_interval.count() > 0) {
      tree_.emplace(pid, ::getpid());
      tree_->Exclude(before);
      next_sample_ = started + options.sample_interval;
    }
    // Soon: a stop asked for before the spawn had no wait to interrupt (not
    // at once, which would end the command before it could set itself up).
    if (options.should_stop) next_stop_poll_ = started + kStopPollAfterSignal;
  }
  ~Run() {
    if (pidfd_ >= 0) ::close(pidfd_);
  }

  // Until the direct child is reaped: its exit in `m`, the reap time.
  Clock::time_point WaitForChild(RunMeasurement& m);
  // Waits for, or ends, what the command left running (see spawn.h).
  void ReapOrphans();
  bool stopped() const { return stopping_; }
  int wait_error() const { return wait_error_; }
  double sampled_peak_rss() const { return sampled_peak_rss_; }
  double max_single_rss() const { return max_single_rss_; }

 private:
  // should_stop is asked at every wake (a sample, a signal handled) and at
  // least this often: a request from another thread interrupts no wait.
  static constexpr std::chrono::milliseconds kStopPollIdle{1000};
  // After a signal, this often: the caller may decide to stop some time
  // after it (perfwatch run gives the command a second after a Ctrl-C).
  static constexpr std::chrono::milliseconds kStopPollAfterSignal{50};

  std::chrono::milliseconds StopPoll() const {
    return signalled_ ? kStopPollAfterSignal : kStopPollIdle;
  }
  void Reaped(const rusage& ru) {
    max_single_rss_ = std::max(max_single_rss_, static_cast<double>(ru.ru_maxrss) * 1024);
  }
  void CheckStop(Clock::time_point now, bool ask);
  void WaitOrKill(const std::vector<pid_t>& orphans);

  pid_t pid_;
  Clock::time_point started_;
  uint64_t started_ticks_;
  const MeasureOptions& options_;
  SignalWindow signals_;    // with should_stop only
  bool signalled_ = false;  // a signal interrupted a wait
  int pidfd_ = -1;
  std::optional<ProcessTree> tree_;
  Clock::time_point next_sample_ = Clock::time_point::max();
  Clock::time_point next_stop_poll_ = Clock::time_point::max();
  Clock::time_point kill_at_ = Clock::time_point::max();
  bool stopping_ = false;
  int wait_error_ = 0;
  double sampled_peak_rss_ = 0;
  double max_single_rss_ = 0;
};

// `ask`: whether to call should_stop now (a wake that may bring news).
void Run::CheckStop(Clock::time_point now, bool ask) {
  if (!stopping_ && (ask || now >= next_stop_poll_)) {
    next_stop_poll_ = now + StopPoll();
    if (options_.should_stop()) {
      stopping_ = true;
      ::kill(pid_, SIGTERM);
      kill_at_ = now + options_.kill_grace;
      next_stop_poll_ = Clock::time_point::max();
    }
  }
  if (stopping_ && now >= kill_at_) {
    ::kill(pid_, SIGKILL);
    kill_at_ = Clock::time_point::max();
  }
}

Clock::time_point Run::WaitForChild(RunMeasurement& m) {
  for (;;) {
    Clock::time_point now = Clock::now();
    Clock::time_point wake = std::min({next_sample_, next_stop_poll_, kill_at_});
    // Nothing to wake for and no should_stop to answer (so no signal is
    // held), or no pidfd (before Linux 5.3) once stopping: block in wait4.
    bool block = wake == Clock::time_point::max() && (!options_.should_stop || pidfd_ < 0);
    bool interrupted = false;
    if (!block) {
      int timeout = wake == Clock::time_point::max() ? -1 : MillisUntil(wake, now);
      int polled = 0;
      if (pidfd_ >= 0) {
        pollfd p{pidfd_, POLLIN, 0};
        polled = signals_.Poll(&p, 1, timeout);
      } else {
        polled = signals_.Poll(nullptr, 0, timeout < 0 ? 5 : std::min(timeout, 5));
      }
      interrupted = polled < 0 && errno == EINTR;
    }
    int status = 0;
    rusage ru{};
    pid_t r = ::wait4(pid_, &status, block ? 0 : WNOHANG, &ru);
    if (r == pid_) {
      Clock::time_point ended = Clock::now();
      Reaped(ru);
      m.exit_code = WIFSIGNALED(status) ? -1 : WEXITSTATUS(status);
      m.signal = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
      return ended;
    }
    if (r < 0 && errno != EINTR) {
      // Reaped behind our back (SIGCHLD ignored, or another wait(-1)).
      wait_error_ = errno;
      return Clock::now();
    }
    interrupted |= r < 0;
    signalled_ |= interrupted;
    now = Clock::now();
    bool sampled = false;
    if (now >= next_sample_) {
      TreeSample s = tree_->Sample();
      sampled_peak_rss_ = std::max(sampled_peak_rss_, s.rss_bytes);
      if (options_.on_sample) options_.on_sample(s);
      next_sample_ += options_.sample_interval;
      if (next_sample_ <= now) next_sample_ = now + options_.sample_interval;
      sampled = true;
    }
    if (options_.should_stop) CheckStop(now, interrupted || sampled);
  }
}

void Run::ReapOrphans() {
  for (;;) {
    // ECHILD, the usual answer: perfwatch has no child left.
    siginfo_t info{};
    if (::waitid(P_ALL, 0, &info, WEXITED | WNOHANG | WNOWAIT) != 0) return;
    std::vector<pid_t> orphans = OrphansOf(::getpid(), started_ticks_);
    if (orphans.empty()) return;  // children perfwatch started before the command
    // Killing an orphan may orphan its own children: list again.
    WaitOrKill(orphans);
  }
}

// Each orphan gets kill_grace to finish (none when the run is stopped), then
// SIGTERM, then SIGKILL after another kill_grace; each is reaped. Signals go
// through pidfds, so a PID reused meanwhile is never hit.
void Run::WaitOrKill(const std::vector<pid_t>& orphans) {
  std::vector<pollfd> fds;
  for (pid_t pid : orphans) fds.push_back({PidfdOpen(pid), POLLIN, 0});
  auto signal_all = [&](int sig) {
    for (size_t i = 0; i < fds.size(); ++i) {
      if (fds[i].fd >= 0) {
        ::syscall(SYS_pidfd_send_signal, fds[i].fd, sig, nullptr, 0);
      } else if (orphans[i] > 0) {
        ::kill(orphans[i], sig);  // no pidfd: before Linux 5.3
      }
    }
  };
  std::vector<pid_t> left = orphans;  // 0 once reaped
  auto reap = [&](size_t i) {
    int status = 0;
    rusage ru{};
    pid_t r = ::wait4(left[i], &status, WNOHANG, &ru);
    if (r == 0 || (r < 0 && errno == EINTR)) return false;  // still running
    if (r == left[i]) Reaped(ru);                           // else ECHILD: gone already
    if (fds[i].fd >= 0) ::close(fds[i].fd);
    fds[i].fd = -1;
    left[i] = 0;
    return true;
  };
  int signals_sent = 0;
  if (stopping_) {
    signal_all(SIGTERM);
    signals_sent = 1;
  }
  Clock::time_point deadline = Clock::now() + options_.kill_grace;
  for (;;) {
    size_t running = 0;
    for (size_t i = 0; i < left.size(); ++i) running += left[i] != 0 && !reap(i);
    if (running == 0) return;
    Clock::time_point now = Clock::now();
    if (signals_sent == 0 && options_.should_stop && options_.should_stop()) {
      stopping_ = true;
      deadline = now;
    }
    if (now >= deadline) {
      signal_all(signals_sent++ == 0 ? SIGTERM : SIGKILL);
      deadline = now + options_.kill_grace;
    }
    int timeout = MillisUntil(deadline, now);
    if (signals_sent == 0 && options_.should_stop) {
      timeout = std::min<int>(timeout, StopPoll().count());
    }
    bool all_pidfds =
        std::all_of(fds.begin(), fds.end(), [&](const pollfd& p) { return p.fd >= 0; });
    if (!all_pidfds) timeout = std::min(timeout, 5);
    // Every wake asks should_stop again (above): an exit, a signal, a timeout.
    if (signals_.Poll(fds.data(), fds.size(), timeout) < 0 && errno == EINTR) signalled_ = true;
  }
}

}  // namespace

std::string RunMeasurement::DescribeExit() const {
  if (signal != 0) {
    return "killed by signal " + std::to_string(signal) + " (" + strsignal(signal) + ")";
  }
  return "exit code " + std::to_string(exit_code);
}

Result<RunMeasurement> MeasureCommand(const CommandSpec& spec, const MeasureOptions& options) {
  if (spec.argv.empty() || spec.argv[0].empty()) {
    return Status::InvalidArgument("cannot run an empty command");
  }
  std::string stdin_path = spec.stdin_path.empty() ? "/dev/null" : spec.stdin_path;
  Fd stdin_fd(::open(stdin_path.c_str(), O_RDONLY | O_CLOEXEC));
  if (stdin_fd.get() < 0) {
    int err = errno;
    std::string msg = "cannot open input '" + stdin_path + "': " + std::strerror(err);
    return err == ENOENT ? Status::NotFound(msg) : Status::IOError(msg);
  }
  for (const std::string& entry : spec.extra_env) {
    if (entry.find('=') == std::string::npos || entry[0] == '=') {
      return Status::InvalidArgument("environment entry '" + entry + "' is not NAME=value");
    }
  }
  std::vector<char*> args;
  for (const std::string& a : spec.argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  std::vector<std::string> env_strings;
  std::vector<char*> envp;
  char** env = environ;
  if (!spec.extra_env.empty()) {
    env_strings = MergeEnvironment(spec.extra_env);
    for (std::string& e : env_strings) envp.push_back(e.data());
    envp.push_back(nullptr);
    env = envp.data();
  }
  BecomeSubreaper();
  SpawnSetup setup(stdin_fd.get(), spec.show_output);

  // Listed before the spawn so that the first sample, which holds up the
  // noticing of the command's exit while it runs, reads only new processes.
  std::vector<ListedPid> listed;
  if (options.sample_interval.count() > 0) listed = ProcessTree::ListNow();
  rusage before{}, after{};
  ::getrusage(RUSAGE_CHILDREN, &before);
  pid_t pid = 0;
  uint64_t started_ticks = BootTicksNow(static_cast<uint64_t>(::sysconf(_SC_CLK_TCK)));
  Clock::time_point started = Clock::now();
  int err = ::posix_spawnp(&pid, args[0], &setup.actions, &setup.attr, args.data(), env);
  if (err != 0) {
    std::string msg = "cannot run '" + spec.argv[0] + "': " + std::strerror(err);
    return err == ENOENT ? Status::NotFound(msg) : Status::IOError(msg);
  }

  RunMeasurement m;
  Run run(pid, started, started_ticks, listed, options);
  Clock::time_point ended = run.WaitForChild(m);
  if (run.wait_error() != 0) {
    return Status::Internal("cannot wait for '" + spec.argv[0] +
                            "': " + std::strerror(run.wait_error()));
  }
  run.ReapOrphans();
  m.stopped = run.stopped();
  ::getrusage(RUSAGE_CHILDREN, &after);

  m.wall_seconds = std::chrono::duration<double>(ended - started).count();
  m.user_seconds = Seconds(after.ru_utime) - Seconds(before.ru_utime);
  m.system_seconds = Seconds(after.ru_stime) - Seconds(before.ru_stime);
  m.max_single_rss_bytes = run.max_single_rss();
  m.peak_rss_bytes = std::max(run.max_single_rss(), run.sampled_peak_rss());
  if (m.wall_seconds > 0) {
    m.cpu_percent = 100.0 * (m.user_seconds + m.system_seconds) / m.wall_seconds;
  }
  return m;
}

Result<std::vector<std::string>> SplitCommandLine(const std::string& line) {
  std::vector<std::string> words;
  std::string word;
  bool in_word = false;
  size_t i = 0;
  auto column = [](size_t at) { return std::to_string(at + 1); };
  while (i < line.size()) {
    char c = line[i];
    if (c == ' ' || c == '\t' || c == '\n') {
      if (in_word) words.push_back(std::move(word));
      word.clear();
      in_word = false;
      ++i;
    } else if (c == '\\') {
      if (i + 1 == line.size()) {
        return Status::InvalidArgument("backslash at the end of the command line (column " +
                                       column(i) + ")");
      }
      if (line[i + 1] != '\n') word += line[i + 1];  // backslash-newline joins lines
      in_word = true;
      i += 2;
    } else if (c == '\'') {
      size_t end = line.find('\'', i + 1);
      if (end == std::string::npos) {
        return Status::InvalidArgument("unterminated single quote at column " + column(i));
      }
      word.append(line, i + 1, end - i - 1);
      in_word = true;
      i = end + 1;
    } else if (c == '"') {
      size_t open = i++;
      for (;;) {
        if (i == line.size()) {
          return Status::InvalidArgument("unterminated double quote at column " + column(open));
        }
        char d = line[i];
        if (d == '"') break;
        // Inside double quotes a backslash escapes only what the shell lets it.
        if (d == '\\' && i + 1 < line.size() && std::strchr("\\\"$`\n", line[i + 1]) != nullptr) {
          if (line[i + 1] != '\n') word += line[i + 1];
          i += 2;
        } else {
          word += d;
          ++i;
        }
      }
      in_word = true;
      ++i;
    } else {
      word += c;
      in_word = true;
      ++i;
    }
  }
  if (in_word) words.push_back(std::move(word));
  return words;
}

}  // namespace perfwatch
