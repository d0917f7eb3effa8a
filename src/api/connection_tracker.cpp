#include "api/connection_tracker.h"

#include <vector>

namespace perfwatch {

ConnectionTracker::Slot::~Slot() {
  if (tracker_ != nullptr) tracker_->Release(id_);
}

void ConnectionTracker::Slot::Attach(std::weak_ptr<ShutdownTarget> target) {
  if (tracker_ != nullptr) tracker_->Attach(id_, std::move(target));
}

std::optional<ConnectionTracker::Slot> ConnectionTracker::TryAcquire() {
  std::lock_guard lock(mu_);
  if (shutting_down_ || open_.size() >= max_) return std::nullopt;
  uint64_t id = next_id_++;
  open_.emplace(id, std::weak_ptr<ShutdownTarget>());
  return Slot(this, id);
}

void ConnectionTracker::Release(uint64_t id) {
  std::lock_guard lock(mu_);
  open_.erase(id);
  if (open_.empty()) idle_.notify_all();
}

void ConnectionTracker::Attach(uint64_t id, std::weak_ptr<ShutdownTarget> target) {
  bool shut_now = false;
  {
    std::lock_guard lock(mu_);
    if (auto it = open_.find(id); it != open_.end()) it->second = target;
    shut_now = shutting_down_;
  }
  // A connection accepted just before ShutdownAll would otherwise be missed.
  if (shut_now) {
    if (auto t = target.lock()) t->Shutdown();
  }
}

void ConnectionTracker::ShutdownAll() {
  std::vector<std::shared_ptr<ShutdownTarget>> targets;
  {
    std::lock_guard lock(mu_);
    shutting_down_ = true;
    for (const auto& [id, weak] : open_) {
      if (auto t = weak.lock()) targets.push_back(std::move(t));
    }
  }
  for (const auto& t : targets) t->Shutdown();
}

bool ConnectionTracker::WaitIdle(std::chrono::milliseconds timeout) {
  std::unique_lock lock(mu_);
  return idle_.wait_for(lock, timeout, [this] { return open_.empty(); });
}

size_t ConnectionTracker::active() const {
  std::lock_guard lock(mu_);
  return open_.size();
}

}  // namespace perfwatch
