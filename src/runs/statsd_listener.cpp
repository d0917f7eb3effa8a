#include "runs/statsd_listener.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

namespace perfwatch {
namespace {

// Asked for, not guaranteed (net.core.rmem_max caps it): room for bursts
// of lines sent faster than one thread parses them.
constexpr int kReceiveBufferBytes = 4 << 20;
// The largest UDP payload.
constexpr size_t kMaxDatagram = 65536;

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
  listener->thread_ = std::thread([l = listener.get()] { l->Loop(); });
  return listener;
}

StatsdRunListener::StatsdRunListener(int fd, uint16_t port,
                                     std::chrono::steady_clock::time_point start, size_t max_points,
                                     std::string app)
    : fd_(fd), port_(port), start_(start), data_(max_points, std::move(app)) {}

StatsdRunListener::~StatsdRunListener() {
  stop_ = true;
  if (thread_.joinable()) thread_.join();
  ::close(fd_);
}

void StatsdRunListener::Loop() {
  while (!stop_) {
    pollfd p{fd_, POLLIN, 0};
    // Wakes at least every 50 ms to see stop_.
    if (::poll(&p, 1, 50) > 0) Drain();
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
  stop_ = true;
  if (thread_.joinable()) thread_.join();
  Drain();
  std::lock_guard lock(mu_);
  return std::move(data_);
}

}  // namespace perfwatch
