#include "api/websocket_hub.h"

#include <nlohmann/json.hpp>

#include "api/json_writer.h"

namespace perfwatch {
namespace {

constexpr size_t kMaxSubscribePrefixes = 256;

}  // namespace

Result<std::shared_ptr<const PublishedTick>> WebSocketHub::Join(
    const std::shared_ptr<WsSubscriber>& client) {
  std::lock_guard lock(mu_);
  if (clients_.size() >= max_clients_) {
    return Status::ResourceExhausted("too many WebSocket clients (limit " +
                                     std::to_string(max_clients_) + ")");
  }
  clients_.emplace(client.get(), client);
  return latest_;
}

void WebSocketHub::Leave(const WsSubscriber* client) {
  std::lock_guard lock(mu_);
  clients_.erase(client);
}

void WebSocketHub::Broadcast(std::shared_ptr<const PublishedTick> tick) {
  std::vector<std::shared_ptr<WsSubscriber>> targets;
  {
    std::lock_guard lock(mu_);
    latest_ = tick;
    targets.reserve(clients_.size());
    for (const auto& [ptr, weak] : clients_) {
      if (auto client = weak.lock()) targets.push_back(std::move(client));
    }
  }
  // Outside the lock: a client dropped in Deliver may call Leave.
  for (const auto& client : targets) client->Deliver(tick);
}

size_t WebSocketHub::size() const {
  std::lock_guard lock(mu_);
  return clients_.size();
}

Result<std::vector<std::string>> ParseSubscribeMessage(std::string_view text) {
  nlohmann::json doc = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded()) return Status::InvalidArgument("message is not valid JSON");
  if (!doc.is_object() || !doc.contains("subscribe")) {
    return Status::InvalidArgument("expected {\"subscribe\":[\"metric_prefix\",...]}");
  }
  const nlohmann::json& list = doc["subscribe"];
  if (!list.is_array()) return Status::InvalidArgument("'subscribe' must be an array of strings");
  if (list.size() > kMaxSubscribePrefixes) {
    return Status::InvalidArgument("at most " + std::to_string(kMaxSubscribePrefixes) +
                                   " prefixes may be subscribed");
  }
  std::vector<std::string> prefixes;
  for (const nlohmann::json& item : list) {
    if (!item.is_string())
      return Status::InvalidArgument("'subscribe' must be an array of strings");
    prefixes.push_back(item.get<std::string>());
  }
  return prefixes;
}

std::string RenderSubscribedMessage(const std::vector<std::string>& prefixes) {
  std::string out = "{\"subscribed\":[";
  for (size_t i = 0; i < prefixes.size(); ++i) {
    if (i) out += ',';
    AppendJsonString(out, prefixes[i]);
  }
  out += "]}";
  return out;
}

std::string RenderWsErrorMessage(std::string_view message) {
  std::string out = "{\"error\":";
  AppendJsonString(out, message);
  out += '}';
  return out;
}

}  // namespace perfwatch
