#pragma once
// WebSocketHub: the set of /ws clients and the fan-out of each published tick
// to them. Boost-free: a client is anything implementing WsSubscriber, so the
// hub is tested without sockets; websocket_session.cpp is the Beast one.
//
// Thread-safe: Join, Leave and Broadcast may be called from any thread.
// Broadcast never blocks on a client: Deliver only queues.

#include <cstddef>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "api/published_tick.h"
#include "model/status.h"

namespace perfwatch {

class WsSubscriber {
 public:
  virtual ~WsSubscriber() = default;
  // Hands the client one tick. Must return at once (queue, post, or drop the
  // client); it runs on whatever thread broadcasts.
  virtual void Deliver(std::shared_ptr<const PublishedTick> tick) = 0;
};

class WebSocketHub {
 public:
  explicit WebSocketHub(size_t max_clients) : max_clients_(max_clients) {}
  WebSocketHub(const WebSocketHub&) = delete;
  WebSocketHub& operator=(const WebSocketHub&) = delete;

  // Adds a client, or fails with ResourceExhausted at max_clients. Returns
  // the latest tick at the moment of joining (null before the first), which
  // the client sends first: every later tick reaches it through Deliver, so
  // it sees neither a gap nor a duplicate. The hub keeps only a weak
  // reference; a client calls Leave (its destructor may) when it goes.
  Result<std::shared_ptr<const PublishedTick>> Join(const std::shared_ptr<WsSubscriber>& client);
  void Leave(const WsSubscriber* client);

  // Makes `tick` the latest and delivers it to every client.
  void Broadcast(std::shared_ptr<const PublishedTick> tick);

  size_t size() const;

 private:
  const size_t max_clients_;
  mutable std::mutex mu_;
  // protected by mu_:
  std::unordered_map<const WsSubscriber*, std::weak_ptr<WsSubscriber>> clients_;
  std::shared_ptr<const PublishedTick> latest_;
};

// The /ws client → server protocol: {"subscribe":["system_cpu","net_"]}
// narrows the stream to samples whose metric name starts with one of the
// prefixes; an empty list restores everything. Errors say what was wrong.
Result<std::vector<std::string>> ParseSubscribeMessage(std::string_view text);

// Server → client control messages (ticks are PublishedTick::Json()).
std::string RenderSubscribedMessage(const std::vector<std::string>& prefixes);
std::string RenderWsErrorMessage(std::string_view message);

}  // namespace perfwatch
