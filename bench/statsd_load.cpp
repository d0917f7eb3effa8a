// statsd_load: a StatsD load generator. Sends ~1400-byte UDP datagrams packed
// with lines (counters, tagged timers, gauges of N distinct series;
// optionally a share of malformed lines and a new series per datagram) to
// HOST:PORT with sendmmsg, as fast as it can or at a given line rate, for
// a number of seconds; then prints what it sent.
//
//   statsd_load 127.0.0.1:8125 [--seconds 10] [--rate LINES_PER_S] [--series 1000]
//               [--malformed PERCENT] [--churn] [--bytes 1400]
//
// Output (one line, key=value): lines, datagrams, seconds, lines_per_second,
// send_errors. With --churn each datagram starts with "churn.<n>:1|c", a
// series never seen before (to drive perfwatch into its series limit).

#include <netdb.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "statsd_lines.h"

namespace {

struct Options {
  std::string target;
  double seconds = 10;
  double rate = 0;  // lines per second; 0 = as fast as possible
  size_t series = 1000;
  unsigned malformed = 0;
  bool churn = false;
  size_t bytes = 1400;
};

[[noreturn]] void Usage(const char* why) {
  std::fprintf(stderr,
               "statsd_load: %s\nusage: statsd_load HOST:PORT [--seconds S] [--rate LINES_PER_S] "
               "[--series N] [--malformed PERCENT] [--churn] [--bytes N]\n",
               why);
  std::exit(2);
}

Options ParseArgs(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) Usage(("missing value for " + a).c_str());
      return argv[++i];
    };
    if (a == "--seconds") {
      o.seconds = std::atof(value().c_str());
    } else if (a == "--rate") {
      o.rate = std::atof(value().c_str());
    } else if (a == "--series") {
      o.series = std::strtoull(value().c_str(), nullptr, 10);
    } else if (a == "--malformed") {
      o.malformed = static_cast<unsigned>(std::atoi(value().c_str()));
    } else if (a == "--bytes") {
      o.bytes = std::strtoull(value().c_str(), nullptr, 10);
    } else if (a == "--churn") {
      o.churn = true;
    } else if (o.target.empty() && a[0] != '-') {
      o.target = a;
    } else {
      Usage(("unknown argument " + a).c_str());
    }
  }
  if (o.target.empty()) Usage("no HOST:PORT");
  if (o.series == 0 || o.bytes < 64 || o.malformed > 100) Usage("bad --series/--bytes/--malformed");
  return o;
}

// A socket connected to HOST:PORT ("[v6]:port" too).
int Connect(const std::string& target) {
  size_t colon = target.rfind(':');
  if (colon == std::string::npos) Usage("expected HOST:PORT");
  std::string host = target.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  addrinfo hints{};
  hints.ai_socktype = SOCK_DGRAM;
  addrinfo* ai = nullptr;
  if (int rc = getaddrinfo(host.c_str(), target.substr(colon + 1).c_str(), &hints, &ai); rc != 0) {
    Usage(gai_strerror(rc));
  }
  int fd = socket(ai->ai_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0 || connect(fd, ai->ai_addr, ai->ai_addrlen) != 0) {
    std::perror("statsd_load: socket/connect");
    std::exit(1);
  }
  freeaddrinfo(ai);
  int sndbuf = 4 << 20;
  (void)setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof(sndbuf));
  return fd;
}

}  // namespace

int main(int argc, char** argv) {
  const Options o = ParseArgs(argc, argv);
  const int fd = Connect(o.target);
  const size_t payload = o.churn ? o.bytes - 32 : o.bytes;
  auto data = perfwatch::bench::MakeStatsdDatagrams(o.series, 1024, payload, o.malformed);

  constexpr size_t kBatch = 64;
  std::vector<mmsghdr> msgs(kBatch);
  std::vector<iovec> iov(2 * kBatch);
  std::vector<std::string> churn(kBatch);
  uint64_t lines = 0, datagrams = 0, errors = 0, churn_seq = 0;
  size_t next = 0;
  using Clock = std::chrono::steady_clock;
  const auto start = Clock::now();
  const auto end = start + std::chrono::duration<double>(o.seconds);
  for (auto now = start; now < end; now = Clock::now()) {
    uint64_t batch_lines = 0;
    for (size_t i = 0; i < kBatch; ++i, next = (next + 1) % data.datagrams.size()) {
      const std::string& d = data.datagrams[next];
      size_t n_iov = 0;
      if (o.churn) {
        churn[i] = "churn." + std::to_string(churn_seq++) + ":1|c\n";
        iov[2 * i] = {churn[i].data(), churn[i].size()};
        ++n_iov;
        ++batch_lines;
      }
      iov[2 * i + n_iov] = {const_cast<char*>(d.data()), d.size()};
      msgs[i].msg_hdr = {};
      msgs[i].msg_hdr.msg_iov = &iov[2 * i];
      msgs[i].msg_hdr.msg_iovlen = n_iov + 1;
      batch_lines += data.lines_per_datagram[next];
    }
    int sent = sendmmsg(fd, msgs.data(), kBatch, 0);
    if (sent < static_cast<int>(kBatch)) {
      ++errors;  // ENOBUFS and friends: the datagrams are lost, as on a busy host
      if (sent <= 0) continue;
      batch_lines = batch_lines * sent / kBatch;  // close enough for a report
    }
    datagrams += sent;
    lines += batch_lines;
    if (o.rate > 0) {
      auto due = start + std::chrono::duration<double>(static_cast<double>(lines) / o.rate);
      std::this_thread::sleep_until(std::chrono::time_point_cast<Clock::duration>(due));
    }
  }
  const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  std::printf("lines=%llu datagrams=%llu seconds=%.3f lines_per_second=%.0f send_errors=%llu\n",
              static_cast<unsigned long long>(lines), static_cast<unsigned long long>(datagrams),
              seconds, static_cast<double>(lines) / seconds,
              static_cast<unsigned long long>(errors));
  close(fd);
  return 0;
}
