#include "test_client.h"

#include <algorithm>
#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>
#include <cctype>
#include <optional>

namespace perfwatch::apitest {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
using tcp = asio::ip::tcp;

std::string Str(beast::string_view s) { return std::string(s.data(), s.size()); }

// Runs the io_context until the pending operation completes or `timeout`
// passes; then closes `socket` so the operation ends with an error.
bool RunFor(asio::io_context& ioc, tcp::socket& socket, milliseconds timeout) {
  ioc.restart();
  ioc.run_for(timeout);
  if (ioc.stopped()) return true;
  beast::error_code ignored;
  socket.close(ignored);
  ioc.restart();
  ioc.run();
  return false;
}

Status Connect(tcp::socket& socket, uint16_t port) {
  beast::error_code ec;
  socket.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port), ec);
  if (ec) return Status::IOError("connect: " + ec.message());
  return Status::Ok();
}

}  // namespace

std::string ClientResponse::Header(std::string_view name) const {
  auto lower = [](std::string_view s) {
    std::string out(s);
    std::transform(out.begin(), out.end(), out.begin(),
                   [](unsigned char c) { return std::tolower(c); });
    return out;
  };
  for (const auto& [n, v] : headers) {
    if (lower(n) == lower(name)) return v;
  }
  return "";
}

struct HttpTestClient::Impl {
  asio::io_context ioc;
  tcp::socket socket{ioc};
  beast::flat_buffer buffer;
  bool head = false;
};

HttpTestClient::HttpTestClient() : impl_(std::make_unique<Impl>()) {}
HttpTestClient::~HttpTestClient() = default;

Status HttpTestClient::Connect(uint16_t port) { return apitest::Connect(impl_->socket, port); }

Status HttpTestClient::SendRaw(std::string_view bytes, milliseconds timeout) {
  beast::error_code result;
  asio::async_write(impl_->socket, asio::buffer(bytes.data(), bytes.size()),
                    [&](beast::error_code ec, size_t) { result = ec; });
  if (!RunFor(impl_->ioc, impl_->socket, timeout)) return Status::Unavailable("write timed out");
  if (result) return Status::IOError("write: " + result.message());
  return Status::Ok();
}

Result<ClientResponse> HttpTestClient::Request(
    const std::string& method, const std::string& target, const std::string& body,
    const std::vector<std::pair<std::string, std::string>>& headers, milliseconds timeout) {
  http::request<http::string_body> req(http::string_to_verb(method), target, 11);
  req.method_string(method);
  req.set(http::field::host, "127.0.0.1");
  for (const auto& [n, v] : headers) req.set(n, v);
  req.body() = body;
  if (!body.empty() || method == "POST") req.prepare_payload();
  impl_->head = method == "HEAD";
  beast::error_code result;
  http::async_write(impl_->socket, req, [&](beast::error_code ec, size_t) { result = ec; });
  if (!RunFor(impl_->ioc, impl_->socket, timeout)) return Status::Unavailable("write timed out");
  if (result) return Status::IOError("write: " + result.message());
  return ReadResponse(timeout);
}

Result<ClientResponse> HttpTestClient::ReadResponse(milliseconds timeout) {
  http::response_parser<http::string_body> parser;
  parser.body_limit(256 << 20);
  parser.skip(impl_->head);
  beast::error_code result;
  http::async_read(impl_->socket, impl_->buffer, parser,
                   [&](beast::error_code ec, size_t) { result = ec; });
  if (!RunFor(impl_->ioc, impl_->socket, timeout)) return Status::Unavailable("read timed out");
  if (result) return Status::IOError("read: " + result.message());
  ClientResponse out;
  const auto& res = parser.get();
  out.status = static_cast<int>(res.result_int());
  out.body = res.body();
  for (const auto& field : res)
    out.headers.emplace_back(Str(field.name_string()), Str(field.value()));
  return out;
}

bool HttpTestClient::ClosedWithin(milliseconds within) {
  auto deadline = std::chrono::steady_clock::now() + within;
  char scratch[4096];
  while (true) {
    auto left =
        std::chrono::duration_cast<milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left <= milliseconds(0)) return false;
    beast::error_code result;
    impl_->socket.async_read_some(asio::buffer(scratch),
                                  [&](beast::error_code ec, size_t) { result = ec; });
    if (!RunFor(impl_->ioc, impl_->socket, left)) return false;
    if (result) return true;  // EOF or reset: the server closed
  }
}

Result<ClientResponse> HttpGet(uint16_t port, const std::string& target) {
  HttpTestClient client;
  if (Status st = client.Connect(port); !st.ok()) return st;
  return client.Request("GET", target);
}

struct WsTestClient::Impl {
  asio::io_context ioc;
  websocket::stream<tcp::socket> ws{ioc};
  beast::flat_buffer buffer;
};

WsTestClient::WsTestClient() : impl_(std::make_unique<Impl>()) {}
WsTestClient::~WsTestClient() = default;

Status WsTestClient::Connect(uint16_t port, const std::string& target, milliseconds timeout) {
  tcp::socket& socket = impl_->ws.next_layer();
  if (Status st = apitest::Connect(socket, port); !st.ok()) return st;
  websocket::response_type res;
  beast::error_code result;
  impl_->ws.async_handshake(res, "127.0.0.1", target, [&](beast::error_code ec) { result = ec; });
  if (!RunFor(impl_->ioc, socket, timeout)) return Status::Unavailable("handshake timed out");
  if (result) {
    return Status::IOError("handshake: " + result.message() + " (HTTP " +
                           std::to_string(res.result_int()) + ")");
  }
  return Status::Ok();
}

Status WsTestClient::Send(const std::string& text, milliseconds timeout) {
  beast::error_code result;
  impl_->ws.text(true);
  impl_->ws.async_write(asio::buffer(text), [&](beast::error_code ec, size_t) { result = ec; });
  if (!RunFor(impl_->ioc, impl_->ws.next_layer(), timeout)) {
    return Status::Unavailable("write timed out");
  }
  if (result) return Status::IOError("write: " + result.message());
  return Status::Ok();
}

Result<std::string> WsTestClient::Read(milliseconds timeout) {
  beast::error_code result;
  impl_->ws.async_read(impl_->buffer, [&](beast::error_code ec, size_t) { result = ec; });
  if (!RunFor(impl_->ioc, impl_->ws.next_layer(), timeout)) {
    return Status::Unavailable("no message within " + std::to_string(timeout.count()) + " ms");
  }
  if (result) return Status::IOError("read: " + result.message());
  std::string text = beast::buffers_to_string(impl_->buffer.data());
  impl_->buffer.consume(impl_->buffer.size());
  return text;
}

}  // namespace perfwatch::apitest
