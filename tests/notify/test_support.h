#pragma once
// Small fixtures shared by the notify tests: alerts and notices, a temporary
// directory removed afterwards, and a bounded wait for a condition.

#include <stdlib.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <string>
#include <thread>

#include "alert/alert.h"
#include "notify/notify_options.h"

namespace perfwatch::testing {

// 2024-05-01T12:00:00Z
inline constexpr TimestampMs kT0 = 1714564800000;

inline Alert MakeAlert(const std::string& name, const std::string& instance,
                       AlertState state = AlertState::kFiring, double value = 93.1) {
  Alert a;
  a.rule = name;
  a.severity = "warning";
  char id[17];
  std::snprintf(id, sizeof id, "%016zx", std::hash<std::string>()(name + "/" + instance));
  a.id = id;
  a.labels =
      Labels::Make({{"alertname", name}, {"instance", instance}, {"severity", "warning"}}).value();
  a.annotations = {{"summary", "CPU at 93.1%"}};
  a.state = state;
  a.value = value;
  a.active_since_ms = kT0 - 30'000;
  a.fired_at_ms = kT0;
  if (state == AlertState::kResolved) a.resolved_at_ms = kT0 + 60'000;
  return a;
}

inline AlertNotice Notice(Alert a, std::string event = "") {
  AlertNotice n;
  n.kind =
      a.state == AlertState::kResolved ? AlertNotice::Kind::kResolved : AlertNotice::Kind::kFiring;
  n.alert = std::move(a);
  n.event = std::move(event);
  return n;
}

// Options built field by field (designated initializers would leave the
// rest to -Wmissing-field-initializers).
inline ReceiverOptions ReceiverOf(std::string type, std::string target = "") {
  ReceiverOptions o;
  o.type = std::move(type);
  if (o.type == "log") o.path = target;
  if (o.type == "webhook" || o.type == "alertmanager") o.url = target;
  return o;
}

inline ReceiverOptions ExecOf(std::vector<std::string> command, int64_t timeout_ms = 5000) {
  ReceiverOptions o;
  o.type = "exec";
  o.command = std::move(command);
  o.timeout_ms = timeout_ms;
  return o;
}

inline GroupingOptions NoWait() {
  GroupingOptions g;
  g.group_wait_ms = 0;
  return g;
}

inline NamedEvent EventOf(std::string name, TimestampMs t_ms = 0,
                          std::vector<std::pair<std::string, std::string>> fields = {}) {
  NamedEvent e;
  e.name = std::move(name);
  e.t_ms = t_ms;
  e.fields = std::move(fields);
  return e;
}

class TempDir {
 public:
  TempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "pw-notify-XXXXXX").string();
    path_ = mkdtemp(tmpl.data());
  }
  ~TempDir() { std::filesystem::remove_all(path_); }
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

// Polls `done` until it holds or `limit` passes (a guard against hangs,
// never a speed assertion); returns whether it held.
inline bool WaitUntil(const std::function<bool()>& done,
                      std::chrono::milliseconds limit = std::chrono::seconds(10)) {
  auto end = std::chrono::steady_clock::now() + limit;
  while (!done()) {
    if (std::chrono::steady_clock::now() > end) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return true;
}

}  // namespace perfwatch::testing
