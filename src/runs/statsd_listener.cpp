#include "runs/statsd_listener.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstring>
#include <vector>

namespace perfwatch {
namespace {

// Asked for, not guaranteed (net.core.rmem_max caps it): room for bursts
// of lines sent faster than one thread parses them.
constexpr int kReceiveBufferBytes = 4 << 20;
// The largest UDP payload.
constexpr size_t kMaxDatagram = 65536;

// Blocks the asynchronous signals on the calling thread while alive, so a
// thread started meanwhile inherits the mask and never takes a signal meant
// for the thread measuring the command (bench/spawn.h, should_stop).
class SignalsBlocked {
 public:
  SignalsBlocked() {
    sigset_t held;
    sigfillset(&held);
    for (int sig : {SIGBUS, SIGFPE, SIGILL, SIGSEGV, SIGTRAP, SIGSYS, SIGPROF}) {
      sigdelset(&held, sig);
    }
    ::pthread_sigmask(SIG_BLOCK, &held, &former_);
  }
  ~SignalsBlocked() { ::pthread_sigmask(SIG_SETMASK, &former_, nullptr); }
  SignalsBlocked(const SignalsBlocked&) = delete;
  SignalsBlocked& operator=(const SignalsBlocked&) = delete;

 private:
  sigset_t former_;
};

}  // namespace

Result<std::unique_ptr<StatsdRunListener>> StatsdRunListener::Start(
    std::chrono::steady_clock::time_point start, size_t max_points, std::string app) {
  const int fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0) return Status::IOError(std::string("StatsD socket: ") + std::strerror(errno));
  int size = kReceiveBufferBytes;
  (void)::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof addr;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    const int err = errno;
    ::close(fd);
    return Status::IOError(std::string("StatsD socket: bind 127.0.0.1:0: ") + std::strerror(err));
  }
  std::unique_ptr<StatsdRunListener> listener(
      new StatsdRunListener(fd, ntohs(addr.sin_port), start, max_points, std::move(app)));
  SignalsBlocked blocked;
  listener->thread_ = std::thread([l = listener.get()] { l->Loop(); });
  return listener;
}

StatsdRunListener::StatsdRunListener(int fd, uint16_t port,
                                     std::chrono::steady_clock::time_point start, size_t max_points,
                                     std::string app)
    : fd_(fd),
      wake_fd_(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)),
      port_(port),
      start_(start),
      data_(max_points, std::move(app)) {}

StatsdRunListener::~StatsdRunListener() {
  Stop();
  ::close(fd_);
  if (wake_fd_ >= 0) ::close(wake_fd_);
}

void StatsdRunListener::Stop() {
  stop_ = true;
  if (wake_fd_ >= 0) {
    const uint64_t one = 1;
    (void)!::write(wake_fd_, &one, sizeof one);
  }
  if (thread_.joinable()) thread_.join();
}

void StatsdRunListener::Loop() {
  // Sleeps until a datagram or Stop; without an eventfd, wakes every 50 ms
  // to see stop_ (poll skips a negative descriptor).
  pollfd p[2] = {{fd_, POLLIN, 0}, {wake_fd_, POLLIN, 0}};
  const int timeout = wake_fd_ >= 0 ? -1 : 50;
  while (!stop_) {
    // On POLLERR too: recv clears the pending error, which would keep poll awake.
    if (::poll(p, 2, timeout) > 0 && p[0].revents != 0) Drain();
  }
}

void StatsdRunListener::Drain() {
  buf_.resize(kMaxDatagram);
  for (;;) {
    const ssize_t n = ::recv(fd_, buf_.data(), buf_.size(), 0);
    if (n < 0) return;  // EAGAIN: nothing more queued (or an error, retried next poll)
    const int64_t t_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                             std::chrono::steady_clock::now() - start_)
                             .count();
    std::lock_guard lock(mu_);
    data_.AddPacket(std::string_view(buf_.data(), static_cast<size_t>(n)), t_ms);
  }
}

AppData StatsdRunListener::Finish() {
  Stop();
  Drain();
  std::lock_guard lock(mu_);
  return std::move(data_);
}

}  // namespace perfwatch
