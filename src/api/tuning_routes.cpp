// Tuning routes: the knobs applications declare, the audit of what the
// closed loop did to them, and its rules, over the Tuning in
// ApiOptions::tuning. Bodies are tune/tuning_json.h's.
//
//   POST /api/v1/tunables           ParseTunablesJson(body) -> RegisterTunable each
//   GET  /api/v1/tunables?app=      TunablesJson(tuning.Tunables(app))
//   GET  /api/v1/tuning/history     ?rule= &app= &since= &limit= -> TuningHistoryJson
//   GET  /api/v1/tuning/rules       TuningRulesJson(State(), Rules())

#include <cmath>

#include "api/routes.h"
#include "interchange/iso8601.h"
#include "tune/tuning.h"
#include "tune/tuning_json.h"

namespace perfwatch {
namespace {

constexpr size_t kDefaultHistoryLimit = 100;
constexpr size_t kMaxHistoryLimit = 1000;

HttpResponse NotRunning() { return JsonError(503, "auto-tuning is not running in this perfwatch"); }

HttpResponse Failed(const Status& status) {
  return JsonError(HttpStatusOf(status), status.message());
}

// Unix seconds (fractions allowed) or RFC 3339, as the query routes take times.
Result<TimestampMs> ParseSince(const std::string& text) {
  TimestampMs ms = 0;
  if (Result<double> seconds = ParseFiniteDouble(text); seconds.ok()) {
    ms = static_cast<TimestampMs>(std::llround(*seconds * 1000));
  } else if (Result<TimestampMs> iso = ParseIso8601(text); iso.ok()) {
    ms = *iso;
  } else {
    return Status::InvalidArgument("invalid parameter 'since': \"" + text +
                                   "\" is neither Unix seconds nor RFC 3339");
  }
  if (ms < 0) return Status::InvalidArgument("invalid parameter 'since': before 1970");
  return ms;
}

Result<size_t> ParseLimit(const std::string& text) {
  Result<int64_t> n = ParseInt64(text);
  if (!n.ok() || *n < 1 || *n > static_cast<int64_t>(kMaxHistoryLimit)) {
    return Status::InvalidArgument("invalid parameter 'limit': expected 1 to " +
                                   std::to_string(kMaxHistoryLimit) + ", got \"" + text + "\"");
  }
  return static_cast<size_t>(*n);
}

// Errors about an array's element name it as the parser does: "[2]: ...".
bool IsJsonArray(std::string_view body) {
  size_t first = body.find_first_not_of(" \t\r\n");
  return first != std::string_view::npos && body[first] == '[';
}

}  // namespace

// Every element is validated before any is registered; a registration the
// registry refuses (its limits) stops the rest, the earlier ones staying
// registered (registration is idempotent, so the client may send it all
// again).
HttpResponse ApiHandler::RegisterTunables(const HttpRequest& request, const RequestTarget&,
                                          std::string_view) const {
  if (!options_.tuning) return NotRunning();
  Result<std::vector<TunableSpec>> specs = ParseTunablesJson(request.body);
  if (!specs.ok()) return JsonError(400, specs.status().message());
  const bool array = IsJsonArray(request.body);
  std::vector<Tunable> stored;
  const TimestampMs now = clock_();
  for (size_t i = 0; i < specs->size(); ++i) {
    Result<Tunable> t = options_.tuning->RegisterTunable((*specs)[i], now);
    if (!t.ok()) {
      std::string message;
      if (array) message.append("[").append(std::to_string(i)).append("]: ");
      message += t.status().message();
      return JsonError(HttpStatusOf(t.status()), message);
    }
    stored.push_back(std::move(*t));
  }
  return JsonOk(TunablesJson(stored));
}

HttpResponse ApiHandler::Tunables(const HttpRequest&, const RequestTarget& target,
                                  std::string_view) const {
  if (!options_.tuning) return NotRunning();
  const std::string* app = target.query.Get("app");
  return JsonOk(TunablesJson(options_.tuning->Tunables(app ? *app : "")));
}

HttpResponse ApiHandler::TuningHistory(const HttpRequest&, const RequestTarget& target,
                                       std::string_view) const {
  if (!options_.tuning) return NotRunning();
  TuningAuditFilter filter;
  filter.limit = kDefaultHistoryLimit;
  if (const std::string* rule = target.query.Get("rule")) filter.rule = *rule;
  if (const std::string* app = target.query.Get("app")) filter.app = *app;
  if (const std::string* since = target.query.Get("since")) {
    Result<TimestampMs> ms = ParseSince(*since);
    if (!ms.ok()) return JsonError(400, ms.status().message());
    filter.since_ms = *ms;
  }
  if (const std::string* limit = target.query.Get("limit")) {
    Result<size_t> n = ParseLimit(*limit);
    if (!n.ok()) return JsonError(400, n.status().message());
    filter.limit = *n;
  }
  Result<std::vector<TuningRecord>> records = options_.tuning->History(filter);
  if (!records.ok()) return Failed(records.status());
  return JsonOk(TuningHistoryJson(*records));
}

HttpResponse ApiHandler::TuningRules(const HttpRequest&, const RequestTarget&,
                                     std::string_view) const {
  if (!options_.tuning) return NotRunning();
  return JsonOk(TuningRulesJson(options_.tuning->State(), options_.tuning->Rules()));
}

}  // namespace perfwatch
