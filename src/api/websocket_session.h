#pragma once
// The Beast side of /ws: takes over a connection whose HTTP request asked
// for a WebSocket upgrade. Private to api/ (http_server.cpp is the only
// includer); the protocol and fan-out live Boost-free in websocket_hub.h.

#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>
#include <chrono>
#include <cstddef>

#include "api/connection_tracker.h"
#include "api/websocket_hub.h"

namespace perfwatch {

struct WsLimits {
  // Upgrade handshake and close handshake must finish within this.
  std::chrono::seconds handshake_timeout{30};
  // A client silent this long (no pong to the pings sent at half of it) is closed.
  std::chrono::seconds idle_timeout{30};
  // A client more than this many messages behind is dropped rather than
  // buffered without bound; the collection thread never waits for it.
  size_t max_queued_messages = 8;
  // Largest client → server message (subscribe requests are tiny).
  size_t max_message_bytes = 64 * 1024;
};

// Accepts the upgrade and streams ticks from `hub` until either side closes.
// Answers 503 JSON instead when the hub is full. `hub` must outlive the
// session (ApiServer destroys its io_context, and with it every session,
// before the hub).
void StartWebSocketSession(boost::beast::tcp_stream stream,
                           boost::beast::http::request<boost::beast::http::string_body> request,
                           WebSocketHub& hub, ConnectionTracker::Slot slot, const WsLimits& limits);

}  // namespace perfwatch
