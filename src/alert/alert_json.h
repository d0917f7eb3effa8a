#pragma once
// JSON bodies of the alert routes, in the field names Prometheus and
// Alertmanager use (labels, annotations, state, activeAt, value, startsAt,
// endsAt, ...) plus perfwatch's own (id, severity, acknowledged, ack).
// Times are RFC 3339 strings in UTC with milliseconds; values that are NaN
// or infinite render as null. Pure functions; thread-safe.
//
//   GET  /api/v1/alerts                    RenderAlertsJson(engine.Alerts())
//   GET  /api/v1/alerts/history?hours=H    RenderHistoryJson(engine.History(now - H h, limit))
//   POST /api/v1/alerts/{id}/acknowledge   ParseAcknowledgeJson(body) -> engine.Acknowledge
//   GET  /api/v1/silences                  RenderSilencesJson(engine.Silences(now), now)
//   POST /api/v1/silences                  ParseSilenceJson(body) -> engine.AddSilence ->
//                                          RenderSilenceIdJson(id)
//   DELETE /api/v1/silences/{id}           engine.ExpireSilence(id, now)
//   GET  /api/v1/rules                     RenderRulesJson(engine.Rules())

#include <string>
#include <string_view>
#include <vector>

#include "alert/alert.h"
#include "alert/alert_db.h"
#include "alert/engine.h"
#include "alert/silence.h"

namespace perfwatch {

// {"id":"3f0c...","labels":{...},"annotations":{...},"state":"firing",
//  "activeAt":"...","firedAt":"...","value":91.5,"severity":"warning",
//  "rule":"HighCpu","silenced":false,"acknowledged":true,
//  "ack":{"by":"ana","comment":"...","at":"..."}}
// firedAt, resolvedAt, lastSentAt, keepFiringSince and ack appear only
// when set.
std::string RenderAlertJson(const Alert& alert);
// {"status":"success","data":{"alerts":[...]}} as Prometheus's /api/v1/alerts.
std::string RenderAlertsJson(const std::vector<Alert>& alerts);

// {"status":"success","data":{"history":[{"time":"...","id":"...",
//  "rule":"...","labels":{...},"event":"transition","from":"pending",
//  "to":"firing","value":91.5},...]}}; "by" and "comment" when non-empty.
std::string RenderHistoryJson(const std::vector<AlertHistoryEntry>& entries);

// Prometheus's /api/v1/rules shape: {"status":"success","data":{"groups":[
//  {"name":FILE,"file":FILE,"rules":[{"type":"alerting","name":...,
//  "query":...,"duration":SECONDS,"keepFiringFor":SECONDS,"labels":{...},
//  "annotations":{...},"health":"ok","lastError":"","lastEvaluation":"...",
//  "evaluationTime":SECONDS,"state":"firing","activeAlerts":N,
//  "severity":...,"source":"perfwatch.yaml:12"}]}]}}, one group per file
// the rules came from ("built-in" for the defaults).
std::string RenderRulesJson(const std::vector<RuleStatus>& rules);

// A JSON array of gettable silences, as Alertmanager's GET /api/v2/silences.
std::string RenderSilencesJson(const std::vector<Silence>& silences, TimestampMs now_ms);
// {"silenceID":"..."}, Alertmanager's answer to a POST.
std::string RenderSilenceIdJson(const std::string& id);

// The body of POST /api/v1/alerts/{id}/acknowledge: {"by":"ana",
// "comment":"looking"} ("comment" optional). Errors name the field.
struct AcknowledgeRequest {
  std::string by;
  std::string comment;
};
Result<AcknowledgeRequest> ParseAcknowledgeJson(std::string_view body);

}  // namespace perfwatch
