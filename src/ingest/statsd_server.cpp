#include "ingest/statsd_server.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <vector>

#include "ingest/statsd_ingest.h"

namespace perfwatch {

namespace {

constexpr size_t kBatchDatagrams = 64;
constexpr size_t kDatagramBytes = 65535;

Status ListenError(const std::string& listen, int err) {
  return Status::IOError("cannot listen on " + listen + ": " + std::strerror(err));
}

// A bound, non-blocking UDP socket, or the error naming `listen`.
Result<int> BindUdp(const std::string& listen, size_t receive_buffer_bytes) {
  std::string host;
  uint16_t port = 0;
  if (!SplitHostPort(listen, &host, &port)) {
    return Status::InvalidArgument("cannot listen on \"" + listen +
                                   "\": expected HOST:PORT or [IPv6]:PORT");
  }
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_DGRAM;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
  addrinfo* found = nullptr;
  const std::string service = std::to_string(port);
  if (int rc = getaddrinfo(host.c_str(), service.c_str(), &hints, &found); rc != 0) {
    return Status::InvalidArgument("cannot listen on " + listen + ": " + gai_strerror(rc));
  }
  int fd = socket(found->ai_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  int err = errno;
  if (fd >= 0) {
    int size = static_cast<int>(std::min<size_t>(receive_buffer_bytes, 1u << 30));
    // Best effort: FORCE passes net.core.rmem_max where perfwatch may (CAP_NET_ADMIN).
    if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof(size)) != 0) {
      (void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
    }
    if (bind(fd, found->ai_addr, found->ai_addrlen) != 0) {
      err = errno;
      close(fd);
      fd = -1;
    }
  }
  freeaddrinfo(found);
  if (fd < 0) return ListenError(listen, err);
  return fd;
}

uint16_t BoundPort(int fd) {
  sockaddr_storage addr{};
  socklen_t len = sizeof(addr);
  if (getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) return 0;
  if (addr.ss_family == AF_INET6) return ntohs(reinterpret_cast<sockaddr_in6*>(&addr)->sin6_port);
  return ntohs(reinterpret_cast<sockaddr_in*>(&addr)->sin_port);
}

}  // namespace

bool SplitHostPort(std::string_view listen, std::string* host, uint16_t* port) {
  size_t colon;
  if (listen.starts_with('[')) {
    size_t close = listen.find(']');
    if (close == std::string_view::npos || close + 1 >= listen.size() || listen[close + 1] != ':') {
      return false;
    }
    *host = std::string(listen.substr(1, close - 1));
    colon = close + 1;
  } else {
    colon = listen.rfind(':');
    if (colon == std::string_view::npos) return false;
    *host = std::string(listen.substr(0, colon));
    if (host->find(':') != std::string::npos) return false;  // an IPv6 address needs brackets
  }
  std::string_view digits = listen.substr(colon + 1);
  unsigned value = 0;
  auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
  if (host->empty() || digits.empty() || ec != std::errc() ||
      end != digits.data() + digits.size() || value > 65535) {
    return false;
  }
  *port = static_cast<uint16_t>(value);
  return true;
}

struct StatsdServer::Receiver {
  explicit Receiver(AppKind histogram_kind)
      : buffer(kBatchDatagrams * kDatagramBytes), ingester(histogram_kind) {
    for (size_t i = 0; i < kBatchDatagrams; ++i) {
      iov[i].iov_base = buffer.data() + i * kDatagramBytes;
      iov[i].iov_len = kDatagramBytes;
      msgs[i].msg_hdr.msg_iov = &iov[i];
      msgs[i].msg_hdr.msg_iovlen = 1;
    }
  }
  std::vector<char> buffer;
  iovec iov[kBatchDatagrams]{};
  mmsghdr msgs[kBatchDatagrams]{};
  StatsdIngester ingester;
};

StatsdServer::StatsdServer(AppMetrics& metrics) : metrics_(metrics) {}

Result<std::unique_ptr<StatsdServer>> StatsdServer::Start(const StatsdOptions& options,
                                                          AppMetrics& metrics) {
  Result<int> fd = BindUdp(options.listen, options.receive_buffer_bytes);
  if (!fd.ok()) return fd.status();
  std::unique_ptr<StatsdServer> server(new StatsdServer(metrics));
  server->socket_ = *fd;
  server->port_ = BoundPort(*fd);
  server->wake_ = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (server->wake_ < 0) {
    return Status::IOError(std::string("statsd: eventfd: ") + std::strerror(errno));
  }
  server->receiver_ = std::make_unique<Receiver>(options.histogram_kind);
  server->thread_ = std::thread([s = server.get()] { s->Run(); });
  return server;
}

StatsdServer::~StatsdServer() {
  Stop();
  if (socket_ >= 0) close(socket_);
  if (wake_ >= 0) close(wake_);
}

void StatsdServer::Stop() {
  std::lock_guard lock(stop_mu_);
  stopping_.store(true);
  if (wake_ >= 0) {
    uint64_t one = 1;
    (void)!write(wake_, &one, sizeof(one));
  }
  if (thread_.joinable()) thread_.join();
}

StatsdServerStats StatsdServer::Stats() const {
  StatsdServerStats s;
  s.datagrams = datagrams_.load(std::memory_order_relaxed);
  s.bytes = bytes_.load(std::memory_order_relaxed);
  s.lines = lines_.load(std::memory_order_relaxed);
  s.receive_calls = receive_calls_.load(std::memory_order_relaxed);
  s.receive_errors = receive_errors_.load(std::memory_order_relaxed);
  return s;
}

void StatsdServer::Run() {
  pollfd fds[2] = {{socket_, POLLIN, 0}, {wake_, POLLIN, 0}};
  while (!stopping_.load(std::memory_order_relaxed)) {
    if (poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      receive_errors_.fetch_add(1, std::memory_order_relaxed);
      return;
    }
    if (fds[1].revents != 0) return;
    if (fds[0].revents != 0 && !Drain()) return;
  }
}

bool StatsdServer::Drain() {
  Receiver& r = *receiver_;
  while (!stopping_.load(std::memory_order_relaxed)) {
    int n = recvmmsg(socket_, r.msgs, kBatchDatagrams, MSG_DONTWAIT, nullptr);
    if (n <= 0) {
      if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
        receive_errors_.fetch_add(1, std::memory_order_relaxed);
      }
      return true;
    }
    uint64_t bytes = 0, lines = 0;
    {
      AppMetrics::Batch batch = metrics_.Begin(IngestSource::kStatsd);
      for (int i = 0; i < n; ++i) {
        const size_t len = r.msgs[i].msg_len;
        bytes += len;
        lines += r.ingester.IngestDatagram(
            batch, std::string_view(static_cast<const char*>(r.iov[i].iov_base), len));
      }
    }
    receive_calls_.fetch_add(1, std::memory_order_relaxed);
    datagrams_.fetch_add(n, std::memory_order_relaxed);
    bytes_.fetch_add(bytes, std::memory_order_relaxed);
    lines_.fetch_add(lines, std::memory_order_relaxed);
  }
  return false;
}

}  // namespace perfwatch
