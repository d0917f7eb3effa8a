#pragma once
// Alert: one alert instance (a rule plus the label set of one series it
// matched) as the engine tracks it, and AlertSink, where the engine hands
// the notices that must go out. Value types; AlertSink implementations say
// their own thread-safety (the engine calls them from its evaluation
// thread and must not be blocked by delivery).

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "model/labels.h"
#include "model/sample.h"
#include "model/status.h"

namespace perfwatch {

enum class AlertState { kInactive, kPending, kFiring, kResolved };
std::string_view AlertStateName(AlertState state);  // "inactive", "pending", ...
// The inverse of AlertStateName; InvalidArgument for anything else.
Result<AlertState> ParseAlertState(std::string_view name);

struct Acknowledgement {
  std::string by;
  std::string comment;
  TimestampMs at_ms = 0;
  double value_at_ack = 0;  // "gets worse" is measured from here
};

struct Alert {
  // Stable fingerprint of the label set (16 hex digits), the {id} of
  // POST /api/v1/alerts/{id}/acknowledge.
  std::string id;
  std::string rule;  // the rule's name, also the alertname label
  // alertname, severity, the rule's labels and the series' labels.
  Labels labels;
  std::vector<std::pair<std::string, std::string>> annotations;  // expanded
  std::string severity;
  AlertState state = AlertState::kInactive;
  double value = 0;                 // the expression's value at the last evaluation
  TimestampMs active_since_ms = 0;  // when it became pending
  TimestampMs fired_at_ms = 0;      // when it became firing (0 if never)
  TimestampMs resolved_at_ms = 0;   // when it resolved (0 while active)
  TimestampMs last_sent_ms = 0;     // last notification handed to the sink
  // Firing, but its expression stopped returning it at this time and
  // keep_firing_for holds it (0 otherwise), as Prometheus's KeepFiringSince.
  TimestampMs keep_firing_since_ms = 0;
  bool acknowledged = false;
  Acknowledgement ack;
  bool silenced = false;  // a silence matched at the last evaluation
};

struct AlertNotice {
  enum class Kind {
    kFiring,    // it just started firing
    kRepeat,    // still firing, repeat interval elapsed, not acknowledged
    kWorse,     // acknowledged, but its severity or value got worse
    kResolved,  // it stopped firing
  };
  Kind kind = Kind::kFiring;
  Alert alert;
  // Seed 000's event name for logs: threshold_violation,
  // consecutive_poor_performance, alert_resolved.
  std::string event;
};

// A named event of seed 000 that is not an alert transition
// (performance_degradation_detected), for the console and log receivers.
struct NamedEvent {
  std::string name;
  TimestampMs t_ms = 0;
  std::vector<std::pair<std::string, std::string>> fields;
};

class AlertSink {
 public:
  virtual ~AlertSink() = default;
  // Must return quickly: delivery happens on the sink's own threads.
  virtual void Deliver(std::vector<AlertNotice> notices) = 0;
  virtual void Event(NamedEvent event) = 0;
};

}  // namespace perfwatch
