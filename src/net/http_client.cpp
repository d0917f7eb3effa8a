// HttpPost and HttpGet on Boost.Beast: one io_context per call, a chain of async
// operations run for at most the deadline, then abandoned. Abandoned
// handlers are destroyed with the io_context without running.

#include "net/http_client.h"

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <cctype>
#include <charconv>
#include <optional>

namespace perfwatch {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

// Webhook answers are small; a report fetched by `perfwatch report --url`
// is the largest body read here.
constexpr size_t kMaxResponseBody = 4 * 1024 * 1024;

bool StartsWithNoCase(std::string_view text, std::string_view prefix) {
  if (text.size() < prefix.size()) return false;
  for (size_t i = 0; i < prefix.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(text[i])) != prefix[i]) return false;
  }
  return true;
}

Status UrlError(std::string_view url, std::string_view why) {
  return Status::InvalidArgument("URL \"" + std::string(url) + "\": " + std::string(why));
}

bool IsHostChar(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.' || c == '_';
}

Result<uint16_t> ParsePort(std::string_view url, std::string_view text) {
  unsigned value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size() || value == 0 ||
      value > 65535) {
    return UrlError(url, "port \"" + std::string(text) + "\" is not a number from 1 to 65535");
  }
  return static_cast<uint16_t>(value);
}

// Splits "host[:port]" or "[v6][:port]" into `out`.
Status ParseAuthority(std::string_view url, std::string_view authority, HttpUrl& out) {
  if (authority.find('@') != std::string_view::npos) {
    return UrlError(url, "credentials in the URL are not supported; set an Authorization header");
  }
  std::string_view rest;
  if (!authority.empty() && authority[0] == '[') {
    size_t close = authority.find(']');
    if (close == std::string_view::npos) return UrlError(url, "unterminated IPv6 literal");
    out.host = std::string(authority.substr(1, close - 1));
    rest = authority.substr(close + 1);
    boost::system::error_code ec;
    asio::ip::make_address_v6(out.host, ec);
    if (ec) return UrlError(url, "\"" + out.host + "\" is not an IPv6 address");
  } else {
    size_t colon = authority.find(':');
    out.host = std::string(authority.substr(0, colon));
    rest = colon == std::string_view::npos ? std::string_view() : authority.substr(colon);
    for (char c : out.host) {
      if (!IsHostChar(c)) {
        return UrlError(url, std::string("host contains '") + c + "'");
      }
    }
  }
  if (out.host.empty()) return UrlError(url, "missing host");
  if (rest.empty()) return Status::Ok();
  if (rest[0] != ':') return UrlError(url, "unexpected text after the host");
  Result<uint16_t> port = ParsePort(url, rest.substr(1));
  if (!port.ok()) return port.status();
  out.port = *port;
  return Status::Ok();
}

// Maps a failed stage to the error the retry policy sees.
Status TransportError(const HttpUrl& url, std::string_view stage, const beast::error_code& ec) {
  std::string what = ec == beast::error::timeout || ec == asio::error::operation_aborted
                         ? "timed out"
                         : ec.message();
  return Status::Unavailable(std::string(stage) + " " + url.Authority() + ": " + what);
}

// One request/response exchange; every member lives until the io_context
// that runs it is gone.
class Exchange {
 public:
  Exchange(asio::io_context& ioc, const HttpUrl& url, http::request<http::string_body> request)
      : url_(url), resolver_(ioc), stream_(ioc), request_(std::move(request)) {
    parser_.body_limit(kMaxResponseBody);
  }

  void Start(std::chrono::steady_clock::time_point deadline) {
    deadline_ = deadline;
    resolver_.async_resolve(url_.host, std::to_string(url_.port),
                            [this](beast::error_code ec, tcp::resolver::results_type results) {
                              if (ec) return Finish(TransportError(url_, "resolving", ec));
                              Connect(results);
                            });
  }

  bool done() const { return result_.has_value(); }
  std::string_view stage() const { return stage_; }
  Result<HttpReply> TakeResult() { return std::move(*result_); }

 private:
  void Connect(const tcp::resolver::results_type& results) {
    stage_ = "connecting to";
    stream_.expires_at(deadline_);
    stream_.async_connect(results, [this](beast::error_code ec, const tcp::endpoint&) {
      if (ec) return Finish(TransportError(url_, stage_, ec));
      Write();
    });
  }

  void Write() {
    stage_ = "writing to";
    http::async_write(stream_, request_, [this](beast::error_code ec, size_t) {
      if (ec) return Finish(TransportError(url_, stage_, ec));
      Read();
    });
  }

  void Read() {
    stage_ = "reading from";
    http::async_read(stream_, buffer_, parser_, [this](beast::error_code ec, size_t) {
      // For a POST the status is the answer even if the body is cut short;
      // a GET is read for its body, so a cut one is an error.
      bool need_body = request_.method() == http::verb::get;
      if (ec && (need_body || !parser_.is_header_done())) {
        return Finish(TransportError(url_, stage_, ec));
      }
      HttpReply response;
      response.status = static_cast<int>(parser_.get().result_int());
      response.body = std::move(parser_.get().body());
      Finish(std::move(response));
    });
  }

  void Finish(Result<HttpReply> result) {
    result_.emplace(std::move(result));
    beast::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_both, ignored);
  }

  const HttpUrl& url_;
  tcp::resolver resolver_;
  beast::tcp_stream stream_;
  http::request<http::string_body> request_;
  beast::flat_buffer buffer_;
  http::response_parser<http::string_body> parser_;
  std::chrono::steady_clock::time_point deadline_;
  std::string stage_ = "resolving";
  std::optional<Result<HttpReply>> result_;
};

}  // namespace

std::string HttpUrl::Authority() const {
  std::string out = host.find(':') != std::string::npos ? "[" + host + "]" : host;
  if (port != 80) out += ":" + std::to_string(port);
  return out;
}

Result<HttpUrl> ParseHttpUrl(std::string_view url) {
  if (url.empty()) return Status::InvalidArgument("URL is empty");
  if (StartsWithNoCase(url, "https://")) {
    return UrlError(url, "https is not supported (perfwatch has no TLS client); use http://");
  }
  if (!StartsWithNoCase(url, "http://")) {
    return UrlError(url, "expected http://host[:port][/path]");
  }
  for (char c : url) {
    if (static_cast<unsigned char>(c) <= ' ' || c == 0x7f) {
      return UrlError(url, "contains a space or control character");
    }
  }
  if (url.find('#') != std::string_view::npos) return UrlError(url, "fragments (#) are not sent");
  std::string_view rest = url.substr(7);
  size_t end = rest.find_first_of("/?");
  HttpUrl out;
  if (Status s = ParseAuthority(url, rest.substr(0, end), out); !s.ok()) return s;
  if (end != std::string_view::npos) out.target = std::string(rest.substr(end));
  if (out.target[0] == '?') out.target.insert(0, "/");
  return out;
}

Status ValidateHttpHeader(std::string_view name, std::string_view value) {
  static constexpr std::string_view kTokenSymbols = "!#$%&'*+-.^_`|~";
  if (name.empty()) return Status::InvalidArgument("header name is empty");
  for (char c : name) {
    if (!std::isalnum(static_cast<unsigned char>(c)) &&
        kTokenSymbols.find(c) == std::string_view::npos) {
      return Status::InvalidArgument("header name \"" + std::string(name) + "\" contains '" +
                                     std::string(1, c) + "'");
    }
  }
  if (value.find_first_of(std::string_view("\r\n\0", 3)) != std::string_view::npos) {
    return Status::InvalidArgument("header \"" + std::string(name) +
                                   "\" has a line break or NUL in its value");
  }
  return Status::Ok();
}

namespace {

Result<HttpReply> RunExchange(const HttpUrl& url, http::request<http::string_body> request,
                              std::chrono::milliseconds timeout) {
  std::string method(request.method_string());
  try {
    asio::io_context ioc;
    auto deadline = std::chrono::steady_clock::now() + timeout;
    Exchange exchange(ioc, url, std::move(request));
    exchange.Start(deadline);
    ioc.run_until(deadline);
    if (!exchange.done()) {
      return Status::Unavailable(std::string(exchange.stage()) + " " + url.Authority() +
                                 ": timed out after " + std::to_string(timeout.count()) + " ms");
    }
    return exchange.TakeResult();
  } catch (const std::exception& e) {
    return Status::Internal("HTTP " + method + " to " + url.ToString() + ": " + e.what());
  }
}

http::request<http::string_body> NewRequest(http::verb verb, const HttpUrl& url,
                                            const HttpHeaders& headers) {
  http::request<http::string_body> request{verb, url.target, 11};
  request.set(http::field::host, url.Authority());
  request.set(http::field::user_agent, "perfwatch/" PERFWATCH_VERSION);
  request.set(http::field::connection, "close");
  for (const auto& [name, value] : headers) request.set(name, value);
  return request;
}

}  // namespace

Result<HttpReply> HttpPost(const HttpUrl& url, const HttpHeaders& headers,
                           std::string_view content_type, std::string body,
                           std::chrono::milliseconds timeout) {
  http::request<http::string_body> request = NewRequest(http::verb::post, url, headers);
  request.set(http::field::content_type, std::string(content_type));
  request.body() = std::move(body);
  request.prepare_payload();
  return RunExchange(url, std::move(request), timeout);
}

Result<HttpReply> HttpGet(const HttpUrl& url, const HttpHeaders& headers,
                          std::chrono::milliseconds timeout) {
  http::request<http::string_body> request = NewRequest(http::verb::get, url, headers);
  request.prepare_payload();
  return RunExchange(url, std::move(request), timeout);
}

}  // namespace perfwatch
