#pragma once
// TestHttpServer: a real HTTP/1.1 server on 127.0.0.1 (an ephemeral port)
// for the notify tests. It records every request and answers each with the
// status its responder picks, or never answers (kNoAnswer) to test client
// timeouts. Thread-safe; runs its own thread until destroyed.

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace perfwatch::testing {

struct ReceivedRequest {
  std::string method;
  std::string target;
  std::map<std::string, std::string> headers;  // names lower-cased
  std::string body;
  std::chrono::steady_clock::time_point at;
};

inline constexpr int kNoAnswer = -1;

class TestHttpServer {
 public:
  // `responder(i)` gives the status for the i-th request (from 0).
  explicit TestHttpServer(std::function<int(size_t)> responder = [](size_t) { return 200; });
  ~TestHttpServer();

  uint16_t port() const;
  std::string Url(const std::string& path = "/hook") const;

  // Waits until `n` requests have arrived or `limit` passes (a guard so a
  // broken build fails instead of hanging); returns all received so far.
  std::vector<ReceivedRequest> WaitFor(size_t n,
                                       std::chrono::milliseconds limit = std::chrono::seconds(10));
  std::vector<ReceivedRequest> Requests() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace perfwatch::testing
