#include "api/websocket_session.h"

#include <boost/asio/post.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>
#include <deque>
#include <memory>
#include <string>
#include <vector>

#include "api/json_render.h"
#include "api/routes.h"

namespace perfwatch {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;

using Message = std::shared_ptr<const std::string>;

// One /ws client. Every member is touched only on the socket's strand.
class WsSession final : public WsSubscriber,
                        public ShutdownTarget,
                        public std::enable_shared_from_this<WsSession> {
 public:
  WsSession(beast::tcp_stream stream, WebSocketHub& hub, ConnectionTracker::Slot slot,
            const WsLimits& limits)
      : ws_(std::move(stream)), hub_(hub), slot_(std::move(slot)), limits_(limits) {}
  ~WsSession() override { hub_.Leave(this); }

  void Run(http::request<http::string_body> request) {
    slot_.Attach(weak_from_this());
    Result<std::shared_ptr<const PublishedTick>> joined = hub_.Join(shared_from_this());
    if (!joined.ok()) return Reject(request, joined.status().message());
    if (*joined) queue_.push_back(MessageFor(*joined));
    beast::get_lowest_layer(ws_).expires_never();  // the websocket timeouts take over
    ws_.set_option(websocket::stream_base::timeout{limits_.handshake_timeout, limits_.idle_timeout,
                                                   /*keep_alive_pings=*/true});
    ws_.set_option(websocket::stream_base::decorator(
        [](websocket::response_type& res) { res.set(http::field::server, "perfwatch"); }));
    ws_.read_message_max(limits_.max_message_bytes);
    ws_.text(true);
    ws_.async_accept(request, beast::bind_front_handler(&WsSession::OnAccept, shared_from_this()));
  }

  void Deliver(std::shared_ptr<const PublishedTick> tick) override {
    asio::post(ws_.get_executor(), [self = shared_from_this(), tick = std::move(tick)] {
      self->Enqueue(self->MessageFor(tick), /*droppable=*/true);
    });
  }

  void Shutdown() override {
    asio::post(ws_.get_executor(), [self = shared_from_this()] { self->BeginClose(); });
  }

 private:
  Message MessageFor(const std::shared_ptr<const PublishedTick>& tick) const {
    // Aliasing: every unfiltered client shares the tick's one rendering.
    if (filter_.empty()) return Message(tick, &tick->Json());
    return std::make_shared<const std::string>(
        tick->WithStatus(RenderTickJson(tick->tick(), filter_)));
  }

  void Reject(const http::request<http::string_body>& request, const std::string& why) {
    hub_.Leave(this);
    HttpResponse body = JsonError(503, why);
    auto res = std::make_shared<http::response<http::string_body>>(
        http::status::service_unavailable, request.version());
    res->set(http::field::server, "perfwatch");
    res->set(http::field::content_type, body.content_type);
    for (const auto& [name, value] : body.headers) res->set(name, value);
    res->keep_alive(false);
    res->body() = std::move(body.body);
    res->prepare_payload();
    beast::get_lowest_layer(ws_).expires_after(limits_.handshake_timeout);
    http::async_write(
        ws_.next_layer(), *res, [self = shared_from_this(), res](beast::error_code, size_t) {
          beast::error_code ignored;
          self->ws_.next_layer().socket().shutdown(asio::ip::tcp::socket::shutdown_send, ignored);
        });
  }

  void OnAccept(beast::error_code ec) {
    if (ec) return;
    accepted_ = true;
    DoRead();
    if (!queue_.empty()) DoWrite();
  }

  void DoRead() {
    ws_.async_read(read_buffer_, beast::bind_front_handler(&WsSession::OnRead, shared_from_this()));
  }

  void OnRead(beast::error_code ec, size_t) {
    if (ec) return;  // closed by the client, timed out or message too big
    std::string text = beast::buffers_to_string(read_buffer_.data());
    read_buffer_.consume(read_buffer_.size());
    Result<std::vector<std::string>> prefixes = ParseSubscribeMessage(text);
    if (prefixes.ok()) {
      filter_ = std::move(*prefixes);
      Enqueue(std::make_shared<const std::string>(RenderSubscribedMessage(filter_)));
    } else {
      Enqueue(
          std::make_shared<const std::string>(RenderWsErrorMessage(prefixes.status().message())));
    }
    DoRead();
  }

  void Enqueue(Message message, bool droppable = false) {
    if (closing_) return;
    // queue_.front() is the message being written; the rest are waiting.
    if (droppable && queue_.size() > limits_.max_queued_messages) return Drop();
    queue_.push_back(std::move(message));
    if (accepted_ && !writing_) DoWrite();
  }

  void DoWrite() {
    writing_ = true;
    ws_.async_write(asio::buffer(*queue_.front()),
                    beast::bind_front_handler(&WsSession::OnWrite, shared_from_this()));
  }

  void OnWrite(beast::error_code ec, size_t) {
    writing_ = false;
    if (ec) return;
    queue_.pop_front();
    if (closing_) return StartCloseHandshake();
    if (!queue_.empty()) DoWrite();
  }

  // A client too slow to keep up would otherwise hold unbounded memory.
  void Drop() {
    closing_ = true;
    queue_.clear();
    hub_.Leave(this);
    beast::error_code ignored;
    beast::get_lowest_layer(ws_).socket().close(ignored);
  }

  void BeginClose() {
    if (closing_) return;
    closing_ = true;
    hub_.Leave(this);
    if (!accepted_) {
      beast::error_code ignored;
      beast::get_lowest_layer(ws_).socket().close(ignored);
    } else if (!writing_) {
      StartCloseHandshake();
    }  // else OnWrite starts it once the frame in flight is out
  }

  void StartCloseHandshake() {
    queue_.clear();
    ws_.async_close(websocket::close_code::going_away,
                    [self = shared_from_this()](beast::error_code) {});
  }

  websocket::stream<beast::tcp_stream> ws_;
  WebSocketHub& hub_;
  ConnectionTracker::Slot slot_;
  const WsLimits limits_;
  beast::flat_buffer read_buffer_;
  std::deque<Message> queue_;
  std::vector<std::string> filter_;  // metric-name prefixes; empty: everything
  bool accepted_ = false;
  bool writing_ = false;
  bool closing_ = false;
};

}  // namespace

void StartWebSocketSession(beast::tcp_stream stream, http::request<http::string_body> request,
                           WebSocketHub& hub, ConnectionTracker::Slot slot,
                           const WsLimits& limits) {
  auto session = std::make_shared<WsSession>(std::move(stream), hub, std::move(slot), limits);
  session->Run(std::move(request));
}

}  // namespace perfwatch
