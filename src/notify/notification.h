#pragma once
// Notification: what one send to one receiver carries (a group of alerts
// in Alertmanager's sense), and Receiver, the interface every notification
// channel implements. Internal to notify/: the rest of perfwatch talks to
// the Dispatcher (dispatcher.h).
//
// Notification is a value type. A Receiver is called from one thread at a
// time (its Dispatcher worker), so implementations need no locking.

#include <cstdint>
#include <functional>
#include <stop_token>
#include <string>
#include <string_view>
#include <vector>

#include "alert/alert.h"
#include "model/labels.h"
#include "model/sample.h"
#include "model/status.h"

namespace perfwatch {

// Wall-clock milliseconds since the epoch; injectable so tests can fix it.
using NotifyClock = std::function<TimestampMs()>;
TimestampMs SystemClockMs();

struct Notification {
  // Alertmanager's group key: `{}:{alertname="HighCpu"}`.
  std::string group_key;
  Labels group_labels;  // the group_by labels the alerts share
  // The group's current alerts: every firing one, plus those that resolved
  // since the group's last send. Ordered by id.
  std::vector<Alert> alerts;
  // The notices that made this send happen, in arrival order (one line each
  // in the console and log).
  std::vector<AlertNotice> changes;
  // Sends folded into this one by the rate limit (0 normally).
  uint32_t folded = 0;
};

// Merges `later` into `into` for the rate limit: alerts by id (the later
// copy wins), changes appended. Notifications of different groups become
// one with group key `{}:{}` and only the group labels both share.
void FoldNotification(Notification& into, Notification later);

class Receiver {
 public:
  virtual ~Receiver() = default;

  // Delivers one notification, retrying as configured. Once `stop` is
  // requested no further attempt starts. OK when delivered.
  virtual Status Send(const Notification& notification, std::stop_token stop) = 0;

  // Named events go only to receivers that want them (console, log).
  virtual bool WantsEvents() const { return false; }
  virtual Status SendEvent(const NamedEvent& /*event*/) { return Status::Ok(); }

  // Receivers that must repeat active alerts to stay current (Alertmanager
  // expires alerts that are not re-sent) return a period > 0, and Refresh
  // is called that often while nothing else was sent.
  virtual int64_t RefreshIntervalMs() const { return 0; }
  virtual Status Refresh(std::stop_token /*stop*/) { return Status::Ok(); }
};

}  // namespace perfwatch
