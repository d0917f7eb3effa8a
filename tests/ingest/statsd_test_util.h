#pragma once
// Shared by the StatsD tests: what AppMetrics emits into a Tick, keyed by
// "name{labels}", a UDP sender and waiting for the server to catch up.

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <thread>

#include "emit_util.h"
#include "ingest/app_metrics.h"
#include "model/registry.h"
#include "model/tick.h"

namespace perfwatch::statsd_test {

using ingest_test::Emit;
using ingest_test::NowMs;

// The value of `series` in `emitted`, failing the test when it is absent.
inline double ValueOf(const std::map<std::string, double>& emitted, const std::string& series) {
  auto it = emitted.find(series);
  if (it == emitted.end()) {
    ADD_FAILURE() << "no series " << series;
    return -1;
  }
  return it->second;
}

// Waits for `done` (a guard against a lost datagram hanging the test, not
// a timing assertion). Returns done().
inline bool WaitFor(const std::function<bool()>& done) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (!done()) {
    if (std::chrono::steady_clock::now() > deadline) return done();
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return true;
}

// A UDP socket sending to 127.0.0.1:port.
class UdpSender {
 public:
  explicit UdpSender(uint16_t port) : fd_(socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0)) {
    to_.sin_family = AF_INET;
    to_.sin_port = htons(port);
    to_.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  }
  ~UdpSender() { close(fd_); }
  void Send(std::string_view datagram) {
    ssize_t n = sendto(fd_, datagram.data(), datagram.size(), 0,
                       reinterpret_cast<const sockaddr*>(&to_), sizeof(to_));
    ASSERT_EQ(n, static_cast<ssize_t>(datagram.size()));
  }

 private:
  int fd_;
  sockaddr_in to_{};
};

}  // namespace perfwatch::statsd_test
