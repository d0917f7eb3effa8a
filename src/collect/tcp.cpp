#include "collect/tcp.h"

#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "collect/proc_text.h"
#include "collect/sample_writer.h"

namespace perfwatch {
namespace {

constexpr MetricDef kConnections{"system_tcp_connections", MetricKind::kGauge, "",
                                 "TCP sockets in each state, IPv4 and IPv6 together."};
constexpr MetricDef kDefs[] = {kConnections};

constexpr int kNewSynRecv = 12;
constexpr int kSynRecv = 3;

int HexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

}  // namespace

Status CountTcpStates(std::string_view text, TcpStateCounts& counts) {
  LineScanner lines(text);
  std::string_view line;
  while (lines.Next(line)) {
    if (lines.number() == 1) continue;  // header
    FieldScanner fields(line);
    std::string_view st;
    if (!fields.Skip(3) || !fields.Next(st)) {
      if (line.find_first_not_of(" \t") == std::string_view::npos) continue;
      return LineError(lines.number(), "expected \"sl local remote st ...\"", line);
    }
    int hi = st.size() == 2 ? HexDigit(st[0]) : -1;
    int lo = st.size() == 2 ? HexDigit(st[1]) : -1;
    if (hi < 0 || lo < 0) return LineError(lines.number(), "st is not two hex digits", line);
    int state = hi * 16 + lo;
    if (state == kNewSynRecv) state = kSynRecv;
    if (state >= 1 && state <= static_cast<int>(counts.size())) ++counts[state - 1];
  }
  return Status::Ok();
}

Status CountTcpStatesNetlink(TcpStateCounts& counts) {
  int fd = ::socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
  if (fd < 0) return Status::Unavailable(std::string("sock_diag socket: ") + std::strerror(errno));
  // The old TCPDIAG_GETSOCK request dumps both address families in one walk
  // of the hash table (the kernel treats it as family AF_UNSPEC).
  struct {
    nlmsghdr header;
    inet_diag_req request;
  } message{};
  message.header.nlmsg_len = sizeof(message);
  message.header.nlmsg_type = TCPDIAG_GETSOCK;
  message.header.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
  message.request.idiag_family = AF_INET;
  message.request.idiag_states = ~0u;
  sockaddr_nl kernel{};
  kernel.nl_family = AF_NETLINK;
  if (::sendto(fd, &message, sizeof(message), 0, reinterpret_cast<sockaddr*>(&kernel),
               sizeof(kernel)) < 0) {
    int err = errno;
    ::close(fd);
    return Status::Unavailable(std::string("sock_diag send: ") + std::strerror(err));
  }
  alignas(nlmsghdr) char buf[32 << 10];
  TcpStateCounts found{};
  Status status;
  bool done = false;
  while (!done) {
    ssize_t n = ::recv(fd, buf, sizeof(buf), 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      status = Status::Unavailable(std::string("sock_diag recv: ") +
                                   (n < 0 ? std::strerror(errno) : "connection closed"));
      break;
    }
    int len = static_cast<int>(n);
    for (auto* h = reinterpret_cast<nlmsghdr*>(buf); NLMSG_OK(h, len); h = NLMSG_NEXT(h, len)) {
      if (h->nlmsg_type == NLMSG_DONE) {
        done = true;
        break;
      }
      if (h->nlmsg_type == NLMSG_ERROR) {
        int err = -static_cast<const nlmsgerr*>(NLMSG_DATA(h))->error;
        status = Status::Unavailable(std::string("sock_diag: ") + std::strerror(err));
        done = true;
        break;
      }
      int state = static_cast<const inet_diag_msg*>(NLMSG_DATA(h))->idiag_state;
      if (state == kNewSynRecv) state = kSynRecv;
      if (state >= 1 && state <= static_cast<int>(found.size())) ++found[state - 1];
    }
  }
  ::close(fd);
  if (!status.ok()) return status;
  for (size_t i = 0; i < counts.size(); ++i) counts[i] += found[i];
  return Status::Ok();
}

TcpCollector::TcpCollector(const HostPaths& paths, TcpSource source,
                           std::chrono::milliseconds interval)
    : source_(source),
      interval_(interval),
      tcp_(paths.procfs + "/net/tcp"),
      tcp6_(paths.procfs + "/net/tcp6") {
  for (size_t i = 0; i < kTcpStates.size(); ++i) {
    state_labels_[i] = Labels{{"state", std::string(kTcpStates[i])}};
  }
}

Status TcpCollector::Collect(Appender& out) {
  TcpStateCounts counts{};
  if (source_ == TcpSource::kNetlink && !CountTcpStatesNetlink(counts).ok()) {
    source_ = TcpSource::kProcfs;  // refused once, refused always: stop asking
  }
  if (source_ == TcpSource::kProcfs) {
    if (Status s = CountFromProcfs(counts); !s.ok()) return s;
  }
  if (!described_) {
    DescribeAll(out, kDefs);
    described_ = true;
  }
  SampleWriter w(out);
  for (size_t i = 0; i < counts.size(); ++i) {
    w.Add(kConnections, state_labels_[i], static_cast<double>(counts[i]));
  }
  return w.Finish();
}

Status TcpCollector::CountFromProcfs(TcpStateCounts& counts) {
  Result<std::string_view> text = tcp_.Read(reader_);
  if (!text.ok()) return text.status();
  if (Status s = CountTcpStates(*text, counts); !s.ok()) return PrefixPath(tcp_.path(), s);
  text = tcp6_.Read(reader_);
  if (text.ok()) {
    if (Status s = CountTcpStates(*text, counts); !s.ok()) return PrefixPath(tcp6_.path(), s);
  } else if (text.status().code() != Status::Code::kUnavailable) {
    return text.status();
  }
  return Status::Ok();
}

}  // namespace perfwatch
