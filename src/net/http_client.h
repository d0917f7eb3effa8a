#pragma once
// A small synchronous HTTP/1.1 client for the webhook and Alertmanager
// receivers, the scraper and `perfwatch report --url`: one request per
// connection, a deadline over the whole exchange, plain http:// only (perfwatch carries no TLS
// client). Asio and Beast stay inside http_client.cpp.
//
// Thread-safe: every call owns its own io_context and socket.

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "model/status.h"

namespace perfwatch {

struct HttpUrl {
  std::string host;  // a name, an IPv4 literal or an IPv6 literal without []
  uint16_t port = 80;
  std::string target = "/";  // path and query, always starting with '/'

  // host[:port] as the Host header spells it (IPv6 in brackets).
  std::string Authority() const;
  std::string ToString() const { return "http://" + Authority() + target; }
};

// Parses http://host[:port][/path][?query] strictly. https, credentials in
// the URL, fragments, spaces and control characters are refused with a
// message that says what is wrong.
Result<HttpUrl> ParseHttpUrl(std::string_view url);

using HttpHeaders = std::vector<std::pair<std::string, std::string>>;

// A header name must be an RFC 9110 token and a value free of CR, LF and
// NUL, so configured headers cannot inject others.
Status ValidateHttpHeader(std::string_view name, std::string_view value);

struct HttpReply {
  int status = 0;
  std::string body;  // at most the first 4 MiB
};

// POSTs `body` and reads the answer. Fails with kUnavailable when the
// address does not resolve, the connection is refused or `timeout` passes
// (the message names the stage: resolving, connecting, writing, reading).
// Any HTTP status is a success at this level.
Result<HttpReply> HttpPost(const HttpUrl& url, const HttpHeaders& headers,
                           std::string_view content_type, std::string body,
                           std::chrono::milliseconds timeout);

// GETs `url` (perfwatch report --url); the same limits and errors as HttpPost.
Result<HttpReply> HttpGet(const HttpUrl& url, const HttpHeaders& headers,
                          std::chrono::milliseconds timeout);

}  // namespace perfwatch
