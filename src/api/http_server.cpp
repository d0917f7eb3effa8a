// ApiServer on Boost.Beast: the acceptor, HTTP/1.1 sessions, limits and
// timeouts, and the hand-off of /ws upgrades to websocket_session.cpp. Routes
// themselves are in routes.cpp, which knows nothing of sockets.

#include <atomic>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket/rfc6455.hpp>
#include <cstdio>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "api/api_server.h"
#include "api/connection_tracker.h"
#include "api/query_params.h"
#include "api/routes.h"
#include "api/websocket_hub.h"
#include "api/websocket_session.h"
#include "model/event_log.h"

namespace perfwatch {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
using tcp = asio::ip::tcp;

constexpr uint32_t kMaxHeaderBytes = 16 * 1024;
// After a 413 the unread body is drained for at most this long (and this
// much) so the client reads the answer instead of a connection reset.
constexpr std::chrono::seconds kDrainTimeout{2};
constexpr size_t kMaxDrainBytes = 64 << 20;
// Stop() waits this long for open connections to finish before abandoning them.
constexpr std::chrono::milliseconds kStopGrace{3000};
// Retry delay when accept fails for lack of file descriptors.
constexpr std::chrono::milliseconds kAcceptRetry{100};

// Answered without reading the request: at the limit, even parsing costs.
const std::string& TooManyConnectionsResponse() {
  static const std::string kResponse = [] {
    std::string body = JsonError(503, "too many open connections").body;
    return "HTTP/1.1 503 Service Unavailable\r\n"
           "Content-Type: application/json\r\n"
           "X-Content-Type-Options: nosniff\r\n"
           "Cache-Control: no-store\r\n"
           "Connection: close\r\n"
           "Content-Length: " +
           std::to_string(body.size()) + "\r\n\r\n" + body;
  }();
  return kResponse;
}

// What every session shares; owned by ApiServer::Impl, which outlives them.
struct ServerContext {
  const ApiOptions& options;
  const ApiHandler& handler;
  WebSocketHub& hub;
  WsLimits ws_limits;
  std::string server_header;
};

bool IsHttpParseError(const beast::error_code& ec) {
  return ec.category() == make_error_code(http::error::bad_target).category();
}

// Beast 1.74 speaks boost::string_view.
std::string_view Sv(beast::string_view s) { return {s.data(), s.size()}; }

std::string_view PathOf(std::string_view target) { return target.substr(0, target.find('?')); }

// One HTTP/1.1 connection: read a request, answer, repeat while keep-alive.
// Every member is touched only on the socket's strand.
// A response body being streamed by an HttpSession. At namespace scope: a
// nested class with default member initializers is not default-constructible
// (for std::optional::emplace) inside its enclosing class's definition.
struct StreamedBody {
  std::unique_ptr<BodyProducer> producer;  // reset once the body is complete
  std::string piece;                       // being written; never empty while written
  std::string target;                      // for the log
  bool chunked = false;
  bool keep_alive = false;
  bool more = true;    // the producer has more pieces after `piece`
  uint64_t bytes = 0;  // body bytes written
};

class HttpSession final : public ShutdownTarget, public std::enable_shared_from_this<HttpSession> {
 public:
  HttpSession(tcp::socket socket, const ServerContext& ctx, ConnectionTracker::Slot slot)
      : stream_(std::move(socket)), ctx_(ctx), slot_(std::move(slot)) {}

  void Run() {
    slot_.Attach(weak_from_this());
    asio::dispatch(stream_.get_executor(),
                   beast::bind_front_handler(&HttpSession::DoRead, shared_from_this()));
  }

  void Shutdown() override {
    asio::post(stream_.get_executor(), [self = shared_from_this()] {
      self->stopping_ = true;
      // A request being answered is finished first; an idle wait is not.
      if (self->reading_) self->stream_.cancel();
    });
  }

 private:
  void DoRead() {
    if (stopping_) return Close();
    parser_.emplace();
    parser_->header_limit(kMaxHeaderBytes);
    // Covers the whole request, so a client trickling its header byte by
    // byte (slowloris) is cut off as surely as a silent one.
    stream_.expires_after(ctx_.options.idle_timeout);
    reading_ = true;
    // The header first: the body limit depends on the route (ingest routes
    // take larger bodies).
    http::async_read_header(stream_, buffer_, *parser_,
                            beast::bind_front_handler(&HttpSession::OnHeader, shared_from_this()));
  }

  void OnHeader(beast::error_code ec, size_t) {
    if (ec) return OnRead(ec, 0);
    const std::string_view target = Sv(parser_->get().target());
    const size_t limit = ctx_.handler.BodyLimit(target);
    // Beast checks a Content-Length against body_limit only while parsing
    // the header, which is done: check it here; chunked bodies are checked
    // against body_limit as they arrive.
    if (const auto length = parser_->content_length(); length && *length > limit) {
      return OnRead(http::error::body_limit, 0);
    }
    parser_->body_limit(limit);
    http::async_read(stream_, buffer_, *parser_,
                     beast::bind_front_handler(&HttpSession::OnRead, shared_from_this()));
  }

  void OnRead(beast::error_code ec, size_t) {
    reading_ = false;
    if (ec == http::error::body_limit) {
      unread_body_ = true;
      HttpResponse response = ctx_.handler.BodyTooLarge(Sv(parser_->get().target()));
      return Send(std::move(response), 11, /*keep_alive=*/false, /*head=*/false);
    }
    if (ec == http::error::header_limit) {
      return SendError(
          431, "request header exceeds the limit of " + std::to_string(kMaxHeaderBytes) + " bytes");
    }
    if (ec && IsHttpParseError(ec) && ec != http::error::end_of_stream &&
        ec != http::error::partial_message) {
      return SendError(400, "malformed HTTP request: " + ec.message());
    }
    if (ec) return Close();  // end of stream, timeout, reset, Stop()

    http::request<http::string_body>& req = parser_->get();
    if (websocket::is_upgrade(req) && PathOf(Sv(req.target())) == "/ws") {
      stream_.expires_never();
      StartWebSocketSession(std::move(stream_), parser_->release(), ctx_.hub, std::move(slot_),
                            ctx_.ws_limits);
      return;
    }
    Answer(req);
  }

  void Answer(const http::request<http::string_body>& req) {
    HttpRequest request{std::string(Sv(req.method_string())),
                        std::string(Sv(req.target())),
                        req.body(),
                        std::string(Sv(req[http::field::authorization])),
                        std::string(Sv(req[http::field::content_type])),
                        std::string(Sv(req[http::field::content_encoding])),
                        std::string(Sv(req[http::field::accept_encoding])),
                        std::string(Sv(req[http::field::if_none_match]))};
    HttpResponse response;
    try {
      response = ctx_.handler.Handle(request);
    } catch (const std::exception& e) {
      response = JsonError(500, std::string("internal error: ") + e.what());
    } catch (...) {
      response = JsonError(500, "internal error");
    }
    const bool keep_alive = req.keep_alive() && !stopping_;
    const bool head = req.method() == http::verb::head;
    if (response.stream) return SendStreamed(std::move(response), req, keep_alive, head);
    Send(std::move(response), req.version(), keep_alive, head);
  }

  // For errors found while reading: the request is not fully read, so the
  // connection cannot be reused.
  void SendError(int status, const std::string& message) {
    unread_body_ = status == 413;
    Send(JsonError(status, message), 11, /*keep_alive=*/false, /*head=*/false);
  }

  void Send(HttpResponse response, unsigned version, bool keep_alive, bool head) {
    auto res = std::make_shared<http::response<http::string_body>>(
        static_cast<http::status>(response.status), version);
    SetHeaders(*res, response);
    res->keep_alive(keep_alive);
    if (response.status == 304) {
      // No body and no Content-Length, which in a 304 would stand for the
      // length of the 200's body, not 0.
    } else if (head) {
      res->content_length(response.body.size());
    } else {
      res->body() = std::move(response.body);
      res->prepare_payload();
    }
    stream_.expires_after(ctx_.options.idle_timeout);
    http::async_write(stream_, *res,
                      [self = shared_from_this(), res, keep_alive](beast::error_code ec, size_t) {
                        self->OnWrite(ec, keep_alive);
                      });
  }

  template <class Body>
  void SetHeaders(http::response<Body>& res, const HttpResponse& response) const {
    res.set(http::field::server, ctx_.server_header);
    res.set(http::field::content_type, response.content_type);
    for (const auto& [name, value] : response.headers) res.set(name, value);
  }

  // A body pulled from a BodyProducer one piece per write: the next piece is
  // produced only when the previous write has completed, so what the server
  // holds is one piece however slowly the client reads, and each write gets
  // the idle timeout, so a client that stops reading is dropped.
  void SendStreamed(HttpResponse response, const http::request<http::string_body>& req,
                    bool keep_alive, bool head) {
    streamed_.emplace();
    streamed_->producer = std::move(response.stream);
    streamed_->target = std::string(Sv(req.target()));
    // HTTP/1.0 has no chunked encoding: the body ends where the connection does.
    streamed_->chunked = req.version() >= 11;
    streamed_->keep_alive = keep_alive && streamed_->chunked;
    // The first piece is made before the header, so a store that fails at
    // once still gets a JSON error with its status instead of a cut-off 200.
    if (!head) {
      if (Status st = PullPiece(); !st.ok()) {
        LogStreamFailure(st);
        streamed_.reset();
        return Send(JsonError(HttpStatusOf(st), st.message()), req.version(), keep_alive, false);
      }
    }
    auto res = std::make_shared<http::response<http::empty_body>>(
        static_cast<http::status>(response.status), req.version());
    SetHeaders(*res, response);
    res->keep_alive(streamed_->keep_alive);
    res->chunked(streamed_->chunked);
    auto serializer = std::make_shared<http::response_serializer<http::empty_body>>(*res);
    stream_.expires_after(ctx_.options.idle_timeout);
    http::async_write_header(
        stream_, *serializer,
        [self = shared_from_this(), res, serializer, head](beast::error_code ec, size_t) {
          if (ec) return;
          if (head) return self->EndStreamed();
          self->WritePiece();
        });
  }

  // Until a non-empty piece or the end of the body. Like a route, a
  // producer's exception becomes an error here instead of escaping.
  Status PullPiece() {
    StreamedBody& s = *streamed_;
    try {
      do {
        Result<bool> more = s.producer->Next(&s.piece);
        if (!more.ok()) return more.status();
        s.more = *more;
      } while (s.piece.empty() && s.more);
    } catch (const std::exception& e) {
      return Status::Internal(std::string("internal error: ") + e.what());
    }
    return Status::Ok();
  }

  void WritePiece() {
    StreamedBody& s = *streamed_;
    if (s.piece.empty()) return WriteLastChunk();  // PullPiece found the end
    stream_.expires_after(ctx_.options.idle_timeout);
    auto written = [self = shared_from_this()](beast::error_code ec, size_t) {
      self->OnPieceWritten(ec);
    };
    if (s.chunked) {
      asio::async_write(stream_, http::make_chunk(asio::buffer(s.piece)), std::move(written));
    } else {
      asio::async_write(stream_, asio::buffer(s.piece), std::move(written));
    }
  }

  void OnPieceWritten(beast::error_code ec) {
    if (ec) return;  // the client went away, or stopped reading past the timeout
    streamed_->bytes += streamed_->piece.size();
    if (!streamed_->more) return WriteLastChunk();
    if (Status st = PullPiece(); !st.ok()) return AbortStreamed(st);
    WritePiece();
  }

  void WriteLastChunk() {
    streamed_->producer.reset();
    if (!streamed_->chunked) return EndStreamed();
    stream_.expires_after(ctx_.options.idle_timeout);
    asio::async_write(stream_, http::make_chunk_last(),
                      [self = shared_from_this()](beast::error_code ec, size_t) {
                        if (!ec) self->EndStreamed();
                      });
  }

  void EndStreamed() {
    const bool keep_alive = streamed_->keep_alive;
    streamed_.reset();
    if (!keep_alive) return Close();
    DoRead();
  }

  // The body cannot be finished. Without the terminating chunk the client
  // sees a truncated transfer, not a short export that looks whole; an
  // HTTP/1.0 body has no end marker, so there the connection is reset.
  void AbortStreamed(const Status& st) {
    LogStreamFailure(st);
    const bool chunked = streamed_->chunked;
    streamed_.reset();
    beast::error_code ignored;
    if (!chunked) {
      stream_.socket().set_option(asio::socket_base::linger(true, 0), ignored);
      stream_.socket().close(ignored);
      return;
    }
    Close();
  }

  void LogStreamFailure(const Status& st) const {
    LogEvent(LogLevel::kError, "api_stream_failed",
             {{"target", streamed_->target},
              {"bytes_sent", std::to_string(streamed_->bytes)},
              {"error", st.ToString()}});
  }

  void OnWrite(beast::error_code ec, bool keep_alive) {
    if (ec) return;
    if (unread_body_) return Drain();
    if (!keep_alive) return Close();
    DoRead();
  }

  void Drain() {
    beast::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
    stream_.expires_after(kDrainTimeout);
    drain_buffer_.resize(64 * 1024);
    DoDrain();
  }

  void DoDrain() {
    stream_.async_read_some(asio::buffer(drain_buffer_),
                            [self = shared_from_this()](beast::error_code ec, size_t n) {
                              self->drained_ += n;
                              if (!ec && self->drained_ < kMaxDrainBytes) self->DoDrain();
                            });
  }

  void Close() {
    beast::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
  }

  beast::tcp_stream stream_;
  const ServerContext& ctx_;
  ConnectionTracker::Slot slot_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  // The response whose body is being streamed (see SendStreamed).
  std::optional<StreamedBody> streamed_;
  std::vector<char> drain_buffer_;
  size_t drained_ = 0;
  bool reading_ = false;
  bool stopping_ = false;
  bool unread_body_ = false;
};

}  // namespace

class ApiServer::Impl {
 public:
  Impl(const SeriesRegistry& registry, const Store& store, ApiOptions options)
      : options_(std::move(options)),
        handler_(registry, store, options_),
        hub_(options_.max_ws_clients),
        connections_(options_.max_connections),
        ctx_{options_, handler_, hub_,
             WsLimits{.handshake_timeout = options_.idle_timeout,
                      .idle_timeout = options_.idle_timeout},
             "perfwatch/" + options_.version},
        net_(std::make_unique<Network>()) {}

  ~Impl() { Stop(); }

  Status Start() {
    std::lock_guard lock(lifecycle_mu_);
    if (started_) return Status::Internal("ApiServer::Start may be called only once");
    std::string address = options_.host + ":" + std::to_string(options_.port);
    beast::error_code ec;
    tcp::resolver resolver(net_->ioc);
    auto endpoints = resolver.resolve(options_.host, std::to_string(options_.port),
                                      tcp::resolver::passive | tcp::resolver::numeric_service, ec);
    if (ec || endpoints.empty()) {
      return Status::IOError("cannot resolve listen address " + address + ": " + ec.message());
    }
    tcp::endpoint endpoint = endpoints.begin()->endpoint();
    tcp::acceptor& acceptor = net_->acceptor;
    if (acceptor.open(endpoint.protocol(), ec); ec) return ListenError(address, ec);
    if (acceptor.set_option(asio::socket_base::reuse_address(true), ec); ec) {
      return ListenError(address, ec);
    }
    if (acceptor.bind(endpoint, ec); ec) return ListenError(address, ec);
    if (acceptor.listen(asio::socket_base::max_listen_connections, ec); ec) {
      return ListenError(address, ec);
    }
    port_ = acceptor.local_endpoint().port();
    started_ = true;
    running_ = true;
    DoAccept();
    int threads = std::max(1, options_.threads);
    for (int i = 0; i < threads; ++i) threads_.emplace_back([this] { RunLoop(); });
    return Status::Ok();
  }

  void Stop() {
    std::lock_guard lock(lifecycle_mu_);
    if (!running_) return;
    running_ = false;
    asio::post(net_->acceptor.get_executor(), [this] {
      beast::error_code ignored;
      net_->acceptor.close(ignored);
      net_->retry_timer.cancel();
    });
    connections_.ShutdownAll();
    connections_.WaitIdle(kStopGrace);
    net_->ioc.stop();
    for (std::thread& t : threads_) t.join();
    threads_.clear();
    // Destroying the io_context destroys the sessions that did not finish
    // within the grace period, and so closes their sockets.
    std::lock_guard net_lock(net_mu_);
    net_.reset();
  }

  uint16_t port() const { return port_; }

  void Publish(std::shared_ptr<const Tick> tick, std::string status_json) {
    std::shared_ptr<const PublishedTick> published =
        handler_.Publish(std::move(tick), std::move(status_json));
    {
      std::lock_guard lock(net_mu_);
      if (running_ && net_) {
        // One post: the collection thread never waits for a client. The
        // strand keeps broadcasts, and so each client's messages, in order.
        asio::post(net_->publish_strand, [this, published] { hub_.Broadcast(published); });
        return;
      }
    }
    hub_.Broadcast(published);
  }

 private:
  // Everything bound to the io_context, destroyed together by Stop().
  struct Network {
    asio::io_context ioc;
    asio::executor_work_guard<asio::io_context::executor_type> work{ioc.get_executor()};
    // On a strand: accept handlers and Stop() both touch the acceptor.
    tcp::acceptor acceptor{asio::make_strand(ioc)};
    asio::steady_timer retry_timer{acceptor.get_executor()};
    asio::strand<asio::io_context::executor_type> publish_strand{ioc.get_executor()};
  };

  static Status ListenError(const std::string& address, const beast::error_code& ec) {
    return Status::IOError("cannot listen on " + address + ": " + ec.message());
  }

  void RunLoop() {
    while (true) {
      try {
        net_->ioc.run();
        return;
      } catch (const std::exception& e) {
        // A handler bug must not take the server down; it is logged like
        // every other event and the loop goes on.
        LogEvent(LogLevel::kError, "api_unexpected_exception", {{"error", e.what()}});
      }
    }
  }

  void DoAccept() {
    net_->acceptor.async_accept(asio::make_strand(net_->ioc),
                                beast::bind_front_handler(&Impl::OnAccept, this));
  }

  void OnAccept(beast::error_code ec, tcp::socket socket) {
    if (!net_->acceptor.is_open()) return;
    if (ec) {
      // EMFILE and the like: retrying at once would spin.
      net_->retry_timer.expires_after(kAcceptRetry);
      net_->retry_timer.async_wait([this](beast::error_code e) {
        if (!e && net_->acceptor.is_open()) DoAccept();
      });
      return;
    }
    if (std::optional<ConnectionTracker::Slot> slot = connections_.TryAcquire()) {
      // Responses go out in one gathered write; Nagle would only delay their tail.
      beast::error_code ignored;
      socket.set_option(tcp::no_delay(true), ignored);
      std::make_shared<HttpSession>(std::move(socket), ctx_, std::move(*slot))->Run();
    } else {
      Refuse(std::move(socket));
    }
    DoAccept();
  }

  static void Refuse(tcp::socket socket) {
    auto s = std::make_shared<tcp::socket>(std::move(socket));
    asio::async_write(*s, asio::buffer(TooManyConnectionsResponse()),
                      [s](beast::error_code, size_t) {
                        beast::error_code ignored;
                        s->shutdown(tcp::socket::shutdown_send, ignored);
                      });
  }

  // Sessions point at the handler, hub, tracker and context: all declared
  // before net_, so they outlive the io_context that owns the sessions.
  const ApiOptions options_;
  ApiHandler handler_;
  WebSocketHub hub_;
  ConnectionTracker connections_;
  ServerContext ctx_;
  std::mutex net_mu_;  // guards the reset of net_ against Publish
  std::unique_ptr<Network> net_;
  std::vector<std::thread> threads_;
  std::mutex lifecycle_mu_;
  bool started_ = false;  // protected by lifecycle_mu_
  std::atomic<bool> running_{false};
  std::atomic<uint16_t> port_{0};
};

ApiServer::ApiServer(const SeriesRegistry& registry, const Store& store, ApiOptions options)
    : impl_(std::make_unique<Impl>(registry, store, std::move(options))) {}

ApiServer::~ApiServer() = default;

Status ApiServer::Start() { return impl_->Start(); }
void ApiServer::Stop() { impl_->Stop(); }
uint16_t ApiServer::port() const { return impl_->port(); }
void ApiServer::Publish(std::shared_ptr<const Tick> tick, std::string status_json) {
  impl_->Publish(std::move(tick), std::move(status_json));
}

}  // namespace perfwatch
