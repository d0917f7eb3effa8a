#include "notify/child_process.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <thread>

namespace perfwatch {
namespace {

using Clock = std::chrono::steady_clock;

int RemainingMs(Clock::time_point deadline) {
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
  return static_cast<int>(std::max<int64_t>(0, left.count()));
}

// Owns a descriptor.
class Fd {
 public:
  explicit Fd(int fd = -1) : fd_(fd) {}
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() { Reset(); }
  int get() const { return fd_; }
  void Reset() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

 private:
  int fd_;
};

// Spawn attributes and file actions, released however spawning ends.
struct SpawnSetup {
  posix_spawnattr_t attr;
  posix_spawn_file_actions_t actions;
  SpawnSetup(int stdin_fd) {
    posix_spawnattr_init(&attr);
    sigset_t set;
    sigemptyset(&set);
    posix_spawnattr_setsigmask(&attr, &set);
    // Whatever perfwatch ignores or handles, the child starts with defaults.
    sigfillset(&set);
    posix_spawnattr_setsigdefault(&attr, &set);
    posix_spawnattr_setpgroup(&attr, 0);
    posix_spawnattr_setflags(
        &attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETPGROUP);
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, stdin_fd, STDIN_FILENO);
    posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_addclosefrom_np(&actions, STDERR_FILENO + 1);
  }
  ~SpawnSetup() {
    posix_spawn_file_actions_destroy(&actions);
    posix_spawnattr_destroy(&attr);
  }
};

// Writes as much of `bytes` as the child takes before `deadline`; a child
// that exits or closes stdin early is not an error (MSG_NOSIGNAL: no SIGPIPE).
void FeedStdin(int fd, std::string_view bytes, Clock::time_point deadline) {
  ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
  while (!bytes.empty()) {
    pollfd p{fd, POLLOUT, 0};
    int ready = ::poll(&p, 1, RemainingMs(deadline));
    if (ready < 0 && errno == EINTR) continue;
    if (ready <= 0) return;
    ssize_t n = ::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (n < 0 && (errno == EAGAIN || errno == EINTR)) continue;
    if (n <= 0) return;
    bytes.remove_prefix(static_cast<size_t>(n));
  }
}

// Waits for `pid` until `deadline`; true with `status` set once reaped.
bool WaitUntil(pid_t pid, Clock::time_point deadline, int& status) {
  int pidfd = static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
  Fd owned(pidfd);
  for (;;) {
    pid_t r = ::waitpid(pid, &status, WNOHANG);
    if (r == pid) return true;
    if (r < 0 && errno != EINTR) return false;  // not ours to reap any more
    if (Clock::now() >= deadline) return false;
    if (pidfd >= 0) {
      pollfd p{pidfd, POLLIN, 0};
      ::poll(&p, 1, RemainingMs(deadline));
    } else {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));  // kernels before 5.3
    }
  }
}

ChildExit FromStatus(int status) {
  if (WIFSIGNALED(status)) return {ChildExit::How::kSignaled, WTERMSIG(status)};
  return {ChildExit::How::kExited, WEXITSTATUS(status)};
}

}  // namespace

std::string ChildExit::Describe(std::chrono::milliseconds timeout) const {
  switch (how) {
    case How::kExited:
      return "exited with status " + std::to_string(code);
    case How::kSignaled:
      return "killed by signal " + std::to_string(code) + " (" + strsignal(code) + ")";
    case How::kTimedOut:
      return "timed out after " + std::to_string(timeout.count()) + " ms and was killed";
  }
  return "";
}

Result<ChildExit> RunChild(const std::vector<std::string>& argv,
                           const std::vector<std::string>& env, std::string_view stdin_bytes,
                           std::chrono::milliseconds timeout) {
  if (argv.empty() || argv[0].empty()) return Status::InvalidArgument("exec: empty command");
  int sv[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) {
    return Status::IOError(std::string("exec: socketpair: ") + std::strerror(errno));
  }
  Fd ours(sv[0]), theirs(sv[1]);
  std::vector<char*> args, envp;
  for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  for (const std::string& e : env) envp.push_back(const_cast<char*>(e.c_str()));
  envp.push_back(nullptr);

  pid_t pid = 0;
  int err = 0;
  {
    SpawnSetup setup(theirs.get());
    err = ::posix_spawnp(&pid, args[0], &setup.actions, &setup.attr, args.data(), envp.data());
  }
  theirs.Reset();
  if (err != 0) {
    return Status::IOError("exec: cannot run \"" + argv[0] + "\": " + std::strerror(err));
  }
  Clock::time_point deadline = Clock::now() + timeout;
  FeedStdin(ours.get(), stdin_bytes, deadline);
  ours.Reset();  // EOF on the child's stdin

  int status = 0;
  if (WaitUntil(pid, deadline, status)) return FromStatus(status);
  ::kill(-pid, SIGTERM);
  if (!WaitUntil(pid, Clock::now() + kKillGrace, status)) {
    ::kill(-pid, SIGKILL);
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
  }
  return ChildExit{ChildExit::How::kTimedOut, 0};
}

}  // namespace perfwatch
