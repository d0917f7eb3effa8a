#pragma once
// ReceiverQueue: one receiver's queue, worker thread, rate limit and
// counters. Internal to notify/ (the Dispatcher owns one per receiver).
//
// Thread-safe: Push, PushEvent and Stats from any thread; Start and Stop
// from the owner. The rate limit allows `max_per_minute` sends in any
// rolling minute; the last of them carries everything waiting, folded.

#include <chrono>
#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <stop_token>
#include <string>
#include <thread>

#include "notify/dispatcher.h"
#include "notify/notification.h"

namespace perfwatch {

// Beyond this many waiting notifications the oldest is dropped (counted).
inline constexpr size_t kMaxQueuedNotifications = 10'000;

class ReceiverQueue {
 public:
  // max_per_minute 0 means no limit.
  ReceiverQueue(std::string name, std::string type, std::unique_ptr<Receiver> receiver,
                uint32_t max_per_minute);
  ~ReceiverQueue() { Stop(); }

  void Start();
  // Sends what is queued (events, then every notification folded into one,
  // one attempt), then joins the worker. Idempotent.
  void Stop();

  void Push(Notification notification);
  void PushEvent(NamedEvent event);  // ignored unless the receiver wants events
  ReceiverStats Stats() const;

 private:
  using SteadyTime = std::chrono::steady_clock::time_point;

  void Run(std::stop_token stop);
  // Takes the next send off pending_: the front one, or all of them folded
  // into one when the minute's last slot is being used or we are stopping.
  Notification TakeNext(bool fold_all);
  size_t FreeSlots(SteadyTime now);
  SteadyTime NextWake() const;

  const std::unique_ptr<Receiver> receiver_;
  const bool wants_events_;
  const uint32_t max_per_minute_;

  mutable std::mutex mu_;
  std::condition_variable_any cv_;
  std::deque<Notification> pending_;  // guarded by mu_
  std::deque<NamedEvent> events_;     // guarded by mu_
  ReceiverStats stats_;               // guarded by mu_

  // Worker thread only.
  std::deque<SteadyTime> recent_sends_;  // within the last minute
  SteadyTime last_send_;

  std::jthread thread_;
};

}  // namespace perfwatch
