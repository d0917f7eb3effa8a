#include "alert/alert_json.h"

#include <cmath>
#include <nlohmann/json.hpp>

namespace perfwatch {
namespace {

using Json = nlohmann::ordered_json;

std::string Dump(const Json& j) { return j.dump(-1, ' ', false, Json::error_handler_t::replace); }

Json Number(double v) { return std::isfinite(v) ? Json(v) : Json(nullptr); }

Json LabelsObject(const Labels& labels) {
  Json obj = Json::object();
  for (const Label& l : labels) obj[l.name] = l.value;
  return obj;
}

Json PairsObject(const std::vector<std::pair<std::string, std::string>>& pairs) {
  Json obj = Json::object();
  for (const auto& [k, v] : pairs) obj[k] = v;
  return obj;
}

Json AlertObject(const Alert& a) {
  Json j = {{"id", a.id},
            {"labels", LabelsObject(a.labels)},
            {"annotations", PairsObject(a.annotations)},
            {"state", AlertStateName(a.state)},
            {"activeAt", FormatRfc3339Ms(a.active_since_ms)}};
  if (a.fired_at_ms != 0) j["firedAt"] = FormatRfc3339Ms(a.fired_at_ms);
  if (a.resolved_at_ms != 0) j["resolvedAt"] = FormatRfc3339Ms(a.resolved_at_ms);
  if (a.keep_firing_since_ms != 0) j["keepFiringSince"] = FormatRfc3339Ms(a.keep_firing_since_ms);
  if (a.last_sent_ms != 0) j["lastSentAt"] = FormatRfc3339Ms(a.last_sent_ms);
  j["value"] = Number(a.value);
  j["severity"] = a.severity;
  j["rule"] = a.rule;
  j["silenced"] = a.silenced;
  j["acknowledged"] = a.acknowledged;
  if (a.acknowledged) {
    j["ack"] = {{"by", a.ack.by}, {"comment", a.ack.comment}, {"at", FormatRfc3339Ms(a.ack.at_ms)}};
  }
  return j;
}

Json Success(std::string_view key, Json value) {
  Json data = Json::object();
  data[std::string(key)] = std::move(value);
  return {{"status", "success"}, {"data", std::move(data)}};
}

double Seconds(int64_t ms) { return static_cast<double>(ms) / 1000.0; }

Json RuleObject(const RuleStatus& r) {
  const RuleSpec& s = r.spec;
  Json j = {{"type", "alerting"},
            {"name", s.name},
            {"query", s.expr},
            {"duration", Seconds(s.for_ms)},
            {"keepFiringFor", Seconds(s.keep_firing_for_ms)}};
  if (!s.keep_firing_while.empty()) j["keepFiringWhile"] = s.keep_firing_while;
  j["labels"] = PairsObject(s.labels);
  j["annotations"] = PairsObject(s.annotations);
  j["health"] = r.health;
  j["lastError"] = r.last_error;
  // Prometheus's zero time for a rule not evaluated yet.
  j["lastEvaluation"] =
      r.last_evaluation_ms == 0 ? "0001-01-01T00:00:00Z" : FormatRfc3339Ms(r.last_evaluation_ms);
  j["evaluationTime"] = r.last_duration_s;
  j["state"] = AlertStateName(r.state);
  j["activeAlerts"] = r.active;
  j["severity"] = s.severity;
  j["source"] = s.source;
  return j;
}

// "rules/cpu.yaml:12" -> "rules/cpu.yaml"; "built-in" stays.
std::string FileOf(const std::string& source) {
  const size_t colon = source.rfind(':');
  if (colon == std::string::npos || colon + 1 == source.size()) return source;
  for (size_t i = colon + 1; i < source.size(); ++i) {
    if (source[i] < '0' || source[i] > '9') return source;
  }
  return source.substr(0, colon);
}

}  // namespace

std::string RenderAlertJson(const Alert& alert) { return Dump(AlertObject(alert)); }

std::string RenderAlertsJson(const std::vector<Alert>& alerts) {
  Json arr = Json::array();
  for (const Alert& a : alerts) arr.push_back(AlertObject(a));
  return Dump(Success("alerts", std::move(arr)));
}

std::string RenderHistoryJson(const std::vector<AlertHistoryEntry>& entries) {
  Json arr = Json::array();
  for (const AlertHistoryEntry& e : entries) {
    Json j = {{"time", FormatRfc3339Ms(e.t_ms)},
              {"id", e.alert_id},
              {"rule", e.rule},
              {"labels", LabelsObject(e.labels)},
              {"event", e.event},
              {"from", AlertStateName(e.from)},
              {"to", AlertStateName(e.to)},
              {"value", Number(e.value)}};
    if (!e.by.empty()) j["by"] = e.by;
    if (!e.comment.empty()) j["comment"] = e.comment;
    arr.push_back(std::move(j));
  }
  return Dump(Success("history", std::move(arr)));
}

std::string RenderRulesJson(const std::vector<RuleStatus>& rules) {
  Json groups = Json::array();
  std::vector<std::string> files;
  for (const RuleStatus& r : rules) {
    const std::string file = FileOf(r.spec.source);
    size_t g = 0;
    while (g < files.size() && files[g] != file) ++g;
    if (g == files.size()) {
      files.push_back(file);
      groups.push_back({{"name", file}, {"file", file}, {"rules", Json::array()}});
    }
    groups[g]["rules"].push_back(RuleObject(r));
  }
  return Dump(Success("groups", std::move(groups)));
}

std::string RenderSilencesJson(const std::vector<Silence>& silences, TimestampMs now_ms) {
  std::string out = "[";
  for (size_t i = 0; i < silences.size(); ++i) {
    if (i > 0) out += ',';
    out += RenderSilenceJson(silences[i], now_ms);
  }
  return out + "]";
}

std::string RenderSilenceIdJson(const std::string& id) { return Dump(Json{{"silenceID", id}}); }

Result<AcknowledgeRequest> ParseAcknowledgeJson(std::string_view body) {
  const Json doc = Json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded() || !doc.is_object()) {
    return Status::InvalidArgument("acknowledge: body must be a JSON object");
  }
  AcknowledgeRequest req;
  auto by = doc.find("by");
  if (by == doc.end() || !by->is_string() || by->get<std::string>().empty()) {
    return Status::InvalidArgument("by: required, a non-empty string (who acknowledges)");
  }
  req.by = by->get<std::string>();
  if (auto c = doc.find("comment"); c != doc.end() && !c->is_null()) {
    if (!c->is_string()) return Status::InvalidArgument("comment: must be a string");
    req.comment = c->get<std::string>();
  }
  return req;
}

}  // namespace perfwatch
