#include "notify/payload.h"

#include <cstdio>
#include <ctime>
#include <nlohmann/json.hpp>

namespace perfwatch {
namespace {

using Json = nlohmann::ordered_json;

// Splits milliseconds since the epoch into a UTC calendar time and millis.
std::tm UtcParts(TimestampMs t_ms, int& millis) {
  int64_t secs = t_ms / 1000;
  millis = static_cast<int>(t_ms % 1000);
  if (millis < 0) {
    millis += 1000;
    --secs;
  }
  std::time_t t = static_cast<std::time_t>(secs);
  std::tm tm{};
  gmtime_r(&t, &tm);
  return tm;
}

std::string FormatUtc(TimestampMs t_ms, bool trim) {
  int millis = 0;
  std::tm tm = UtcParts(t_ms, millis);
  char buf[64];
  int n = std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d", tm.tm_year + 1900,
                        tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
  std::string out(buf, static_cast<size_t>(n));
  if (!trim || millis != 0) {
    std::snprintf(buf, sizeof buf, ".%03d", millis);
    std::string frac(buf);
    while (trim && frac.back() == '0') frac.pop_back();
    out += frac;
  }
  return out + "Z";
}

Json LabelsJson(const Labels& labels) {
  Json j = Json::object();
  for (const Label& l : labels) j[l.name] = l.value;
  return j;
}

Json PairsJson(const std::vector<std::pair<std::string, std::string>>& pairs) {
  Json j = Json::object();
  for (const auto& [k, v] : pairs) j[k] = v;
  return j;
}

bool IsResolved(const Alert& a) { return a.state == AlertState::kResolved; }

TimestampMs StartsAt(const Alert& a) {
  return a.fired_at_ms != 0 ? a.fired_at_ms : a.active_since_ms;
}

// Labels (or annotations) every alert has with the same value.
Json CommonPairs(const std::vector<Alert>& alerts, bool annotations) {
  Json common = Json::object();
  if (alerts.empty()) return common;
  auto pairs_of = [&](const Alert& a) {
    std::vector<std::pair<std::string, std::string>> out;
    if (annotations) return a.annotations;
    for (const Label& l : a.labels) out.emplace_back(l.name, l.value);
    return out;
  };
  for (const auto& [k, v] : pairs_of(alerts[0])) {
    bool shared = true;
    for (size_t i = 1; i < alerts.size() && shared; ++i) {
      shared = false;
      for (const auto& [k2, v2] : pairs_of(alerts[i])) shared |= k2 == k && v2 == v;
    }
    if (shared) common[k] = v;
  }
  return common;
}

std::string FormatValue(double value) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.6g", value);
  return buf;
}

std::string_view Annotation(const Alert& a, std::string_view name) {
  for (const auto& [k, v] : a.annotations) {
    if (k == name) return v;
  }
  return {};
}

std::string_view KindText(AlertNotice::Kind kind) {
  switch (kind) {
    case AlertNotice::Kind::kFiring:
      return "firing";
    case AlertNotice::Kind::kRepeat:
      return "repeat";
    case AlertNotice::Kind::kWorse:
      return "worse";
    case AlertNotice::Kind::kResolved:
      return "resolved";
  }
  return "firing";
}

}  // namespace

std::string_view AlertStateText(AlertState state) {
  switch (state) {
    case AlertState::kInactive:
      return "inactive";
    case AlertState::kPending:
      return "pending";
    case AlertState::kFiring:
      return "firing";
    case AlertState::kResolved:
      return "resolved";
  }
  return "inactive";
}

std::string GoTimeJson(TimestampMs t_ms) {
  if (t_ms == 0) return "0001-01-01T00:00:00Z";
  return FormatUtc(t_ms, /*trim=*/true);
}

std::string IsoTimeMs(TimestampMs t_ms) { return FormatUtc(t_ms, /*trim=*/false); }

std::string WebhookPayload(const Notification& n, std::string_view receiver) {
  Json alerts = Json::array();
  bool any_firing = false;
  for (const Alert& a : n.alerts) {
    any_firing |= !IsResolved(a);
    Json j;
    j["status"] = IsResolved(a) ? "resolved" : "firing";
    j["labels"] = LabelsJson(a.labels);
    j["annotations"] = PairsJson(a.annotations);
    j["startsAt"] = GoTimeJson(StartsAt(a));
    j["endsAt"] = GoTimeJson(IsResolved(a) ? a.resolved_at_ms : 0);
    j["generatorURL"] = "";
    j["fingerprint"] = a.id;
    alerts.push_back(std::move(j));
  }
  Json msg;
  msg["receiver"] = receiver;
  msg["status"] = any_firing ? "firing" : "resolved";
  msg["alerts"] = std::move(alerts);
  msg["groupLabels"] = LabelsJson(n.group_labels);
  msg["commonLabels"] = CommonPairs(n.alerts, false);
  msg["commonAnnotations"] = CommonPairs(n.alerts, true);
  msg["externalURL"] = "";
  msg["version"] = "4";
  msg["groupKey"] = n.group_key;
  msg["truncatedAlerts"] = 0;
  return msg.dump(-1, ' ', false, Json::error_handler_t::replace) + "\n";
}

std::string AlertmanagerPayload(const Notification& n, TimestampMs now_ms, int64_t valid_for_ms) {
  Json body = Json::array();
  for (const Alert& a : n.alerts) {
    Json j;
    j["labels"] = LabelsJson(a.labels);
    j["annotations"] = PairsJson(a.annotations);
    j["startsAt"] = GoTimeJson(StartsAt(a));
    j["endsAt"] = GoTimeJson(IsResolved(a) ? a.resolved_at_ms : now_ms + valid_for_ms);
    body.push_back(std::move(j));
  }
  return body.dump(-1, ' ', false, Json::error_handler_t::replace);
}

std::string_view NoticeEventName(const AlertNotice& notice) {
  if (!notice.event.empty()) return notice.event;
  return notice.kind == AlertNotice::Kind::kResolved ? "alert_resolved" : "threshold_violation";
}

std::string NoticeLogLine(const AlertNotice& notice, TimestampMs now_ms) {
  const Alert& a = notice.alert;
  TimestampMs t = now_ms;
  if (notice.kind == AlertNotice::Kind::kResolved && a.resolved_at_ms != 0) t = a.resolved_at_ms;
  if (notice.kind == AlertNotice::Kind::kFiring && a.fired_at_ms != 0) t = a.fired_at_ms;
  Json j;
  j["timestamp"] = IsoTimeMs(t);
  j["event"] = NoticeEventName(notice);
  j["alertname"] = a.rule;
  j["severity"] = a.severity;
  j["state"] = AlertStateText(a.state);
  j["kind"] = KindText(notice.kind);
  j["value"] = a.value;
  j["id"] = a.id;
  j["labels"] = LabelsJson(a.labels);
  j["annotations"] = PairsJson(a.annotations);
  j["starts_at"] = IsoTimeMs(StartsAt(a));
  if (a.resolved_at_ms != 0) j["ends_at"] = IsoTimeMs(a.resolved_at_ms);
  if (a.acknowledged) j["acknowledged_by"] = a.ack.by;
  return j.dump(-1, ' ', false, Json::error_handler_t::replace);
}

std::string EventLogLine(const NamedEvent& event) {
  Json j;
  j["timestamp"] = IsoTimeMs(event.t_ms);
  j["event"] = event.name;
  for (const auto& [k, v] : event.fields) {
    if (!j.contains(k)) j[k] = v;
  }
  return j.dump(-1, ' ', false, Json::error_handler_t::replace);
}

std::string NoticeConsoleLine(const AlertNotice& notice) {
  const Alert& a = notice.alert;
  std::string tag = notice.kind == AlertNotice::Kind::kResolved ? "RESOLVED"
                    : notice.kind == AlertNotice::Kind::kWorse  ? "WORSE"
                    : notice.kind == AlertNotice::Kind::kRepeat ? "FIRING (repeat)"
                                                                : "FIRING";
  std::string line = "[" + tag + "] " + a.rule;
  if (!a.severity.empty()) line += " " + a.severity;
  for (const Label& l : a.labels) {
    if (l.name != "alertname" && l.name != "severity") line += " " + l.name + "=" + l.value;
  }
  line += " value=" + FormatValue(a.value);
  std::string_view summary = Annotation(a, "summary");
  if (summary.empty()) summary = Annotation(a, "description");
  if (!summary.empty()) line += " \u2014 " + std::string(summary);
  return line;
}

std::string EventConsoleLine(const NamedEvent& event) {
  std::string line = "[EVENT] " + event.name;
  for (const auto& [k, v] : event.fields) line += " " + k + "=" + v;
  return line;
}

}  // namespace perfwatch
