#pragma once
// Plain settings of the notification side, as the config (`notify:`,
// `alerting:`) gives them. Value types, no logic; notify/ builds receivers
// from them.

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace perfwatch {

struct ReceiverOptions {
  // console | log | webhook | alertmanager | exec
  std::string type;
  std::string url;                   // webhook, alertmanager (base URL or .../api/v2/alerts)
  std::string path;                  // log: the JSON-lines file
  std::vector<std::string> command;  // exec: argv, never run through a shell
  // Extra request headers for webhook/alertmanager (e.g. Authorization).
  std::vector<std::pair<std::string, std::string>> headers;
  int64_t timeout_ms = 5000;  // per attempt (HTTP) or per run (exec); > 0
  int max_attempts = 4;       // HTTP: 1 + retries
  int64_t backoff_ms = 500;   // first retry delay, doubled each time
  std::string name;           // for logs and metrics; defaults to the type
};

struct GroupingOptions {
  // Alerts with equal values of these labels go out together; "..." groups
  // by every label (one alert per group), as in Alertmanager.
  std::vector<std::string> group_by = {"alertname"};
  // A new group waits this long for more alerts before its first send.
  // 0 sends at once, which a single threshold crossing wants.
  int64_t group_wait_ms = 0;
  // Further changes to a group are batched at most this often.
  int64_t group_interval_ms = 30'000;
  // A still-firing, unacknowledged alert is sent again after this long.
  // The alert engine applies it (AlertNotice::kRepeat); notify/ does not.
  int64_t repeat_interval_ms = 4 * 3600 * 1000;
  // Storm guard: at most this many sends per receiver per minute; the rest
  // are folded into the next allowed send and counted. 0 = no limit.
  uint32_t max_per_minute = 30;
};

}  // namespace perfwatch
