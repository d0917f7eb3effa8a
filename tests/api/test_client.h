#pragma once
// Blocking HTTP and WebSocket clients for the api tests, on Beast. Boost stays
// inside test_client.cpp so each test file compiles in seconds. Every call
// has a timeout, so a server bug fails a test instead of hanging it.
//
// Not thread-safe: one client per thread.

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "model/status.h"

namespace perfwatch::apitest {

using std::chrono::milliseconds;
inline constexpr milliseconds kDefaultTimeout{5000};

struct ClientResponse {
  int status = 0;
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
  // Case-insensitive lookup; "" when absent.
  std::string Header(std::string_view name) const;
};

class HttpTestClient {
 public:
  HttpTestClient();
  ~HttpTestClient();

  Status Connect(uint16_t port);
  // Sends one request on the open connection and reads its response.
  Result<ClientResponse> Request(
      const std::string& method, const std::string& target, const std::string& body = "",
      const std::vector<std::pair<std::string, std::string>>& headers = {},
      milliseconds timeout = kDefaultTimeout);
  // Writes bytes as they are (partial headers, oversize bodies).
  Status SendRaw(std::string_view bytes, milliseconds timeout = kDefaultTimeout);
  Result<ClientResponse> ReadResponse(milliseconds timeout = kDefaultTimeout);
  // True when the server closes the connection within `within` (anything it
  // sends first is discarded); false when it is still open then.
  bool ClosedWithin(milliseconds within);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// One request on a fresh connection.
Result<ClientResponse> HttpGet(uint16_t port, const std::string& target);

class WsTestClient {
 public:
  WsTestClient();
  ~WsTestClient();

  // Fails (with the HTTP status in the message) when the upgrade is refused.
  Status Connect(uint16_t port, const std::string& target = "/ws",
                 milliseconds timeout = kDefaultTimeout);
  Status Send(const std::string& text, milliseconds timeout = kDefaultTimeout);
  // Next text message; Unavailable on timeout, IOError when the server closed.
  Result<std::string> Read(milliseconds timeout = kDefaultTimeout);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace perfwatch::apitest
