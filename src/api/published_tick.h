#pragma once
// PublishedTick: the latest tick as the API serves it, with its JSON body and
// its Prometheus text each rendered at most once, on first use, by whichever
// thread asks first. Rendering lazily keeps ApiServer::Publish cheap for the
// collection thread, and a body nobody asks for is never rendered.
//
// Thread-safe: every method may be called concurrently. Returned references
// live as long as the PublishedTick.

#include <memory>
#include <mutex>
#include <string>

#include "model/tick.h"

namespace perfwatch {

class PublishedTick {
 public:
  // `status_json`, when not empty, is the status report of this tick
  // (analysis/status_class.h), sent with it as "status".
  explicit PublishedTick(std::shared_ptr<const Tick> tick, std::string status_json = "")
      : tick_(std::move(tick)), status_json_(std::move(status_json)) {}
  PublishedTick(const PublishedTick&) = delete;
  PublishedTick& operator=(const PublishedTick&) = delete;

  const Tick& tick() const { return *tick_; }
  // {"time":MS,"samples":[...],"status":{...}}: the body of /api/v1/metrics
  // and of /ws messages.
  const std::string& Json() const;
  // Prometheus text 0.0.4: the body of /metrics.
  const std::string& Exposition() const;
  const std::string& status_json() const { return status_json_; }
  // Appends "status" to a tick rendering ({"time":...}) when there is one.
  std::string WithStatus(std::string tick_json) const;

 private:
  std::shared_ptr<const Tick> tick_;
  const std::string status_json_;
  mutable std::once_flag json_once_;
  mutable std::string json_;
  mutable std::once_flag exposition_once_;
  mutable std::string exposition_;
};

}  // namespace perfwatch
