// Alert routes: active alerts, their history, acknowledgements, silences
// and rules, over the AlertEngine in ApiOptions::alerts. Bodies follow
// Prometheus's and Alertmanager's APIs (alert/alert_json.h).

#include <cmath>

#include "alert/alert_json.h"
#include "alert/engine.h"
#include "alert/silence.h"
#include "api/routes.h"

namespace perfwatch {
namespace {

constexpr double kMaxHistoryHours = 24 * 366;
constexpr size_t kMaxHistoryEntries = 10'000;

HttpResponse NotRunning() { return JsonError(503, "alerting is not running in this perfwatch"); }

HttpResponse Failed(const Status& status) {
  return JsonError(HttpStatusOf(status), status.message());
}

}  // namespace

HttpResponse ApiHandler::Alerts(const HttpRequest&, const RequestTarget&, std::string_view) const {
  if (!options_.alerts) return NotRunning();
  return JsonOk(RenderAlertsJson(options_.alerts->Alerts()));
}

HttpResponse ApiHandler::AlertHistory(const HttpRequest&, const RequestTarget& target,
                                      std::string_view) const {
  if (!options_.alerts) return NotRunning();
  double hours = 24;
  if (const std::string* text = target.query.Get("hours")) {
    Result<double> h = ParseFiniteDouble(*text);
    if (!h.ok() || *h <= 0 || *h > kMaxHistoryHours) {
      return JsonError(400, "invalid parameter 'hours': expected a number of hours from 0 to " +
                                std::to_string(static_cast<int>(kMaxHistoryHours)) + ", got \"" +
                                *text + "\"");
    }
    hours = *h;
  }
  size_t limit = kMaxHistoryEntries;
  if (const std::string* text = target.query.Get("limit")) {
    Result<int64_t> n = ParseInt64(*text);
    if (!n.ok() || *n <= 0 || *n > static_cast<int64_t>(kMaxHistoryEntries)) {
      return JsonError(400, "invalid parameter 'limit': expected 1 to " +
                                std::to_string(kMaxHistoryEntries) + ", got \"" + *text + "\"");
    }
    limit = static_cast<size_t>(*n);
  }
  TimestampMs since = clock_() - static_cast<int64_t>(std::llround(hours * 3'600'000));
  Result<std::vector<AlertHistoryEntry>> history = options_.alerts->History(since, limit);
  if (!history.ok()) return Failed(history.status());
  return JsonOk(RenderHistoryJson(*history));
}

HttpResponse ApiHandler::Acknowledge(const HttpRequest& request, const RequestTarget&,
                                     std::string_view id) const {
  if (!options_.alerts) return NotRunning();
  Result<AcknowledgeRequest> ack = ParseAcknowledgeJson(request.body);
  if (!ack.ok()) return Failed(ack.status());
  if (Status st = options_.alerts->Acknowledge(std::string(id), ack->by, ack->comment, clock_());
      !st.ok()) {
    return Failed(st);
  }
  Result<Alert> alert = options_.alerts->GetAlert(std::string(id));
  if (!alert.ok()) return Failed(alert.status());
  return JsonOk(RenderAlertJson(*alert));
}

HttpResponse ApiHandler::Silences(const HttpRequest&, const RequestTarget&,
                                  std::string_view) const {
  if (!options_.alerts) return NotRunning();
  TimestampMs now = clock_();
  return JsonOk(RenderSilencesJson(options_.alerts->Silences(now), now));
}

HttpResponse ApiHandler::AddSilence(const HttpRequest& request, const RequestTarget&,
                                    std::string_view) const {
  if (!options_.alerts) return NotRunning();
  Result<Silence> silence = ParseSilenceJson(request.body);
  if (!silence.ok()) return Failed(silence.status());
  Result<std::string> id = options_.alerts->AddSilence(std::move(*silence), clock_());
  if (!id.ok()) return Failed(id.status());
  return JsonOk(RenderSilenceIdJson(*id));
}

HttpResponse ApiHandler::DeleteSilence(const HttpRequest&, const RequestTarget&,
                                       std::string_view id) const {
  if (!options_.alerts) return NotRunning();
  if (Status st = options_.alerts->ExpireSilence(std::string(id), clock_()); !st.ok()) {
    return Failed(st);
  }
  return JsonOk("{\"status\":\"success\"}");
}

HttpResponse ApiHandler::Rules(const HttpRequest&, const RequestTarget&, std::string_view) const {
  if (!options_.alerts) return NotRunning();
  return JsonOk(RenderRulesJson(options_.alerts->Rules()));
}

}  // namespace perfwatch
