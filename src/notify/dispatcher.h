#pragma once
// Dispatcher: the AlertSink the alert engine hands notices to. It groups
// notices as Alertmanager does (group_by, group_wait, group_interval),
// rate-limits each receiver, and delivers on its own threads: one that
// groups and schedules, and one per receiver, so a slow webhook delays
// neither the engine nor the other receivers.
//
// Thread-safe: Deliver, Event and Stats may be called from any thread.
// Start once, Stop once (the destructor stops). Receivers' options are
// copied; nothing passed in must outlive the call.

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "alert/alert.h"
#include "model/status.h"
#include "notify/notification.h"
#include "notify/notify_options.h"

namespace perfwatch {

// Counters per receiver, for perfwatch_notifications_total{receiver,result}.
struct ReceiverStats {
  std::string receiver;  // ReceiverOptions::name, else its type
  std::string type;
  uint64_t sent = 0;    // notifications delivered (a folded send counts once)
  uint64_t failed = 0;  // notifications given up on after every attempt
  // Notifications not sent on their own: merged into a later send by the
  // rate limit (the alerts in them still went out in that send).
  uint64_t folded = 0;
  // Notifications lost: the queue was full, or left unsent at Stop.
  uint64_t dropped = 0;
};

class Dispatcher final : public AlertSink {
 public:
  // `clock` gives the wall-clock time written into payloads and logs;
  // grouping and rate limits run on the steady clock.
  Dispatcher(std::vector<ReceiverOptions> receivers, GroupingOptions grouping,
             NotifyClock clock = SystemClockMs);
  ~Dispatcher() override;
  Dispatcher(const Dispatcher&) = delete;
  Dispatcher& operator=(const Dispatcher&) = delete;

  // Validates every receiver (the error names the first bad one and its
  // field) and starts the threads. Nothing is started on error.
  Status Start();
  // Sends what is waiting for group_wait or group_interval at once (one
  // attempt each, the rate limit folded), then joins every thread.
  void Stop();

  // Return at once: the notices are queued for the grouping thread.
  void Deliver(std::vector<AlertNotice> notices) override;
  void Event(NamedEvent event) override;

  std::vector<ReceiverStats> Stats() const;

  // For tests: replaces receiver `index`'s implementation before Start.
  void SetReceiverForTest(size_t index, std::unique_ptr<Receiver> receiver);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace perfwatch
