#include "test_http_server.h"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <cctype>
#include <condition_variable>
#include <mutex>
#include <thread>

namespace perfwatch::testing {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

}  // namespace

struct TestHttpServer::Impl {
  std::function<int(size_t)> responder;
  asio::io_context ioc;
  tcp::acceptor acceptor{ioc};
  std::thread thread;

  mutable std::mutex mu;
  std::condition_variable cv;
  std::vector<ReceivedRequest> requests;  // guarded by mu

  // One connection: read a request, record it, answer (or hold it open).
  struct Session : std::enable_shared_from_this<Session> {
    Impl* server;
    tcp::socket socket;
    beast::flat_buffer buffer;
    http::request<http::string_body> request;
    http::response<http::string_body> response;
    Session(Impl* s, tcp::socket sock) : server(s), socket(std::move(sock)) {}

    void Read() {
      http::async_read(socket, buffer, request,
                       [self = shared_from_this()](beast::error_code ec, size_t) {
                         if (!ec) self->Answer();
                       });
    }

    void Answer() {
      int status = server->Record(request);
      if (status == kNoAnswer) {
        server->held.push_back(shared_from_this());
        return;
      }
      response.result(static_cast<unsigned>(status));
      response.version(11);
      response.set(http::field::connection, "close");
      response.body() = status < 300 ? "ok" : "error";
      response.prepare_payload();
      http::async_write(socket, response, [self = shared_from_this()](beast::error_code, size_t) {
        beast::error_code ignored;
        self->socket.shutdown(tcp::socket::shutdown_both, ignored);
      });
    }
  };
  std::vector<std::shared_ptr<Session>> held;  // io thread only

  int Record(const http::request<http::string_body>& req) {
    ReceivedRequest r;
    r.method = std::string(req.method_string());
    r.target = std::string(req.target());
    for (const auto& field : req) {
      r.headers[Lower(std::string(field.name_string()))] = std::string(field.value());
    }
    r.body = req.body();
    r.at = std::chrono::steady_clock::now();
    size_t index;
    {
      std::lock_guard lock(mu);
      index = requests.size();
      requests.push_back(std::move(r));
    }
    cv.notify_all();
    return responder(index);
  }

  void Accept() {
    acceptor.async_accept([this](beast::error_code ec, tcp::socket socket) {
      if (ec) return;
      std::make_shared<Session>(this, std::move(socket))->Read();
      Accept();
    });
  }
};

TestHttpServer::TestHttpServer(std::function<int(size_t)> responder)
    : impl_(std::make_unique<Impl>()) {
  impl_->responder = std::move(responder);
  tcp::endpoint endpoint(asio::ip::make_address("127.0.0.1"), 0);
  impl_->acceptor.open(endpoint.protocol());
  impl_->acceptor.set_option(tcp::acceptor::reuse_address(true));
  impl_->acceptor.bind(endpoint);
  impl_->acceptor.listen();
  impl_->Accept();
  impl_->thread = std::thread([this] { impl_->ioc.run(); });
}

TestHttpServer::~TestHttpServer() {
  impl_->ioc.stop();
  impl_->thread.join();
}

uint16_t TestHttpServer::port() const { return impl_->acceptor.local_endpoint().port(); }

std::string TestHttpServer::Url(const std::string& path) const {
  return "http://127.0.0.1:" + std::to_string(port()) + path;
}

std::vector<ReceivedRequest> TestHttpServer::WaitFor(size_t n, std::chrono::milliseconds limit) {
  std::unique_lock lock(impl_->mu);
  impl_->cv.wait_for(lock, limit, [&] { return impl_->requests.size() >= n; });
  return impl_->requests;
}

std::vector<ReceivedRequest> TestHttpServer::Requests() const {
  std::lock_guard lock(impl_->mu);
  return impl_->requests;
}

}  // namespace perfwatch::testing
