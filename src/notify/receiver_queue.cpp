#include "notify/receiver_queue.h"

#include <algorithm>

#include "model/event_log.h"

namespace perfwatch {
namespace {

constexpr std::chrono::minutes kRateWindow{1};

}  // namespace

ReceiverQueue::ReceiverQueue(std::string name, std::string type, std::unique_ptr<Receiver> receiver,
                             uint32_t max_per_minute)
    : receiver_(std::move(receiver)),
      wants_events_(receiver_->WantsEvents()),
      max_per_minute_(max_per_minute) {
  stats_.receiver = std::move(name);
  stats_.type = std::move(type);
}

void ReceiverQueue::Start() {
  last_send_ = std::chrono::steady_clock::now();
  thread_ = std::jthread([this](std::stop_token stop) { Run(stop); });
}

void ReceiverQueue::Stop() {
  if (!thread_.joinable()) return;
  thread_.request_stop();
  thread_.join();
  std::lock_guard lock(mu_);
  stats_.dropped += pending_.size();  // pushed after the worker's last look
  pending_.clear();
}

void ReceiverQueue::Push(Notification notification) {
  {
    std::lock_guard lock(mu_);
    if (pending_.size() >= kMaxQueuedNotifications) {
      pending_.pop_front();
      ++stats_.dropped;
    }
    pending_.push_back(std::move(notification));
  }
  cv_.notify_one();
}

void ReceiverQueue::PushEvent(NamedEvent event) {
  if (!wants_events_) return;
  {
    std::lock_guard lock(mu_);
    events_.push_back(std::move(event));
  }
  cv_.notify_one();
}

ReceiverStats ReceiverQueue::Stats() const {
  std::lock_guard lock(mu_);
  return stats_;
}

size_t ReceiverQueue::FreeSlots(SteadyTime now) {
  while (!recent_sends_.empty() && recent_sends_.front() + kRateWindow <= now) {
    recent_sends_.pop_front();
  }
  if (max_per_minute_ == 0) return SIZE_MAX;
  return max_per_minute_ > recent_sends_.size() ? max_per_minute_ - recent_sends_.size() : 0;
}

Notification ReceiverQueue::TakeNext(bool fold_all) {
  Notification next = std::move(pending_.front());
  pending_.pop_front();
  if (!fold_all) return next;
  while (!pending_.empty()) {
    FoldNotification(next, std::move(pending_.front()));
    pending_.pop_front();
  }
  stats_.folded += next.folded;
  return next;
}

ReceiverQueue::SteadyTime ReceiverQueue::NextWake() const {
  SteadyTime wake = SteadyTime::max();
  if (!pending_.empty() && !recent_sends_.empty()) wake = recent_sends_.front() + kRateWindow;
  if (int64_t refresh = receiver_->RefreshIntervalMs(); refresh > 0) {
    wake = std::min(wake, last_send_ + std::chrono::milliseconds(refresh));
  }
  return wake;
}

void ReceiverQueue::Run(std::stop_token stop) {
  std::unique_lock lock(mu_);
  for (;;) {
    SteadyTime now = std::chrono::steady_clock::now();
    if (!events_.empty()) {
      std::deque<NamedEvent> events = std::move(events_);
      events_.clear();
      lock.unlock();
      for (const NamedEvent& e : events) (void)receiver_->SendEvent(e);  // it logs failures
      lock.lock();
      continue;
    }
    size_t free = FreeSlots(now);
    bool stopping = stop.stop_requested();
    if (!pending_.empty() && (free > 0 || stopping)) {
      // Sends go out one by one until the last slot of the minute, which
      // carries everything still waiting.
      Notification next = TakeNext(stopping || (free == 1 && pending_.size() > 1));
      recent_sends_.push_back(now);
      last_send_ = now;
      lock.unlock();
      Status s = receiver_->Send(next, stop);
      lock.lock();
      ++(s.ok() ? stats_.sent : stats_.failed);
      continue;
    }
    if (stopping) return;
    int64_t refresh = receiver_->RefreshIntervalMs();
    if (refresh > 0 && now >= last_send_ + std::chrono::milliseconds(refresh)) {
      last_send_ = now;
      lock.unlock();
      (void)receiver_->Refresh(stop);  // it logs failures
      lock.lock();
      continue;
    }
    size_t seen = pending_.size();
    cv_.wait_until(lock, stop, NextWake(),
                   [&] { return !events_.empty() || pending_.size() != seen; });
  }
}

}  // namespace perfwatch
