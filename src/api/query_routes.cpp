// Routes that take the method, a body or a path parameter, and the
// expression-language routes: /api/v1/query and /api/v1/query_range answer
// in Prometheus's HTTP API shape, so Grafana's Prometheus data source and
// scripts written for Prometheus read them unchanged.

#include <cmath>

#include "api/json_render.h"
#include "api/json_writer.h"
#include "api/routes.h"
#include "interchange/iso8601.h"
#include "model/duration.h"
#include "query/query.h"
#include "query/store_source.h"

namespace perfwatch {
namespace {

// Prometheus's own cap on points per series of a range query.
constexpr int64_t kMaxRangePoints = 11'000;

// Prometheus's error body: {"status":"error","errorType":...,"error":...}.
HttpResponse PromError(int status, std::string_view type, std::string_view message) {
  HttpResponse response = JsonError(status, message);
  std::string body = "{\"status\":\"error\",\"errorType\":";
  AppendJsonString(body, type);
  body += ",\"error\":";
  AppendJsonString(body, message);
  body += '}';
  response.body = std::move(body);
  return response;
}

HttpResponse BadData(std::string_view message) { return PromError(400, "bad_data", message); }

// A time as Prometheus takes it: Unix seconds (fractions allowed) or RFC 3339.
Result<TimestampMs> ParsePromTime(std::string_view name, const std::string& text) {
  Result<double> seconds = ParseFiniteDouble(text);
  if (seconds.ok()) return static_cast<TimestampMs>(std::llround(*seconds * 1000));
  Result<TimestampMs> iso = ParseIso8601(text);
  if (iso.ok()) return iso;
  return Status::InvalidArgument("invalid parameter '" + std::string(name) + "': \"" + text +
                                 "\" is neither Unix seconds nor RFC 3339");
}

// A step as Prometheus takes it: a duration ("15s") or seconds ("15", "0.5").
Result<int64_t> ParsePromStep(const std::string& text) {
  Result<double> seconds = ParseFiniteDouble(text);
  int64_t ms = 0;
  if (seconds.ok()) {
    ms = static_cast<int64_t>(std::llround(*seconds * 1000));
  } else {
    Result<int64_t> d = ParseDuration(text);
    if (!d.ok())
      return Status::InvalidArgument("invalid parameter 'step': " + d.status().message());
    ms = *d;
  }
  if (ms <= 0) return Status::InvalidArgument("invalid parameter 'step': must be positive");
  return ms;
}

// Query parameters from the URL, plus a form-encoded body for POST (what
// Grafana sends for long expressions).
Result<QueryParams> FormParams(const HttpRequest& request, const RequestTarget& target) {
  QueryParams params = target.query;
  if (request.method != "POST" || request.body.empty()) return params;
  Result<RequestTarget> body = ParseRequestTarget("/?" + request.body);
  if (!body.ok()) return Status::InvalidArgument("form body: " + body.status().message());
  for (const std::string_view name : {"expr", "query", "time", "start", "end", "step"}) {
    for (std::string_view v : body->query.GetAll(name))
      params.Add(std::string(name), std::string(v));
  }
  return params;
}

Result<ParsedExpr> ExprParam(const QueryParams& params) {
  const std::string* text = params.Get("expr");
  if (text == nullptr) text = params.Get("query");  // Prometheus's name
  if (text == nullptr || text->empty()) {
    return Status::InvalidArgument("missing parameter 'expr' (an expression, see docs/QUERY.md)");
  }
  Result<ParsedExpr> expr = ParseExpr(*text);
  if (!expr.ok()) return Status::InvalidArgument("invalid expression: " + expr.status().message());
  return expr;
}

void AppendPromValue(std::string& out, TimestampMs t_ms, double value) {
  out += '[';
  AppendJsonNumber(out, static_cast<double>(t_ms) / 1000.0);
  out += ",\"";
  AppendPrometheusFloat(out, value);
  out += "\"]";
}

std::string InstantJson(const QueryValue& value, TimestampMs at_ms) {
  std::string out = "{\"status\":\"success\",\"data\":{\"resultType\":";
  if (value.kind == QueryValue::Kind::kScalar) {
    out += "\"scalar\",\"result\":";
    AppendPromValue(out, at_ms, value.scalar);
    return out + "}}";
  }
  out += "\"vector\",\"result\":[";
  for (size_t i = 0; i < value.vector.size(); ++i) {
    if (i) out += ',';
    out += "{\"metric\":";
    AppendLabelsObject(out, value.vector[i].labels);
    out += ",\"value\":";
    AppendPromValue(out, at_ms, value.vector[i].value);
    out += '}';
  }
  return out + "]}}";
}

std::string MatrixJson(const std::vector<RangeSeries>& series) {
  std::string out = "{\"status\":\"success\",\"data\":{\"resultType\":\"matrix\",\"result\":[";
  for (size_t i = 0; i < series.size(); ++i) {
    if (i) out += ',';
    out += "{\"metric\":";
    AppendLabelsObject(out, series[i].labels);
    out += ",\"values\":[";
    for (size_t j = 0; j < series[i].points.size(); ++j) {
      if (j) out += ',';
      AppendPromValue(out, series[i].points[j].t_ms, series[i].points[j].value);
    }
    out += "]}";
  }
  return out + "]}}";
}

// "/api/v1/alerts/*/acknowledge" against a path: the "*" segment, or
// nullopt when the path does not fit.
std::optional<std::string_view> MatchPattern(std::string_view pattern, std::string_view path) {
  size_t star = pattern.find('*');
  if (star == std::string_view::npos) {
    return pattern == path ? std::optional<std::string_view>("") : std::nullopt;
  }
  std::string_view prefix = pattern.substr(0, star), suffix = pattern.substr(star + 1);
  if (path.size() <= prefix.size() + suffix.size() || !path.starts_with(prefix) ||
      !path.ends_with(suffix)) {
    return std::nullopt;
  }
  std::string_view param = path.substr(prefix.size(), path.size() - prefix.size() - suffix.size());
  if (param.find('/') != std::string_view::npos) return std::nullopt;
  return param;
}

}  // namespace

const std::vector<ApiHandler::ActionRoute>& ApiHandler::ActionRoutes() {
  static const std::vector<ActionRoute> kRoutes = {
      {"GET", "/api/v1/query", &ApiHandler::InstantQuery},
      {"POST", "/api/v1/query", &ApiHandler::InstantQuery},
      {"GET", "/api/v1/query_range", &ApiHandler::RangeQuery},
      {"POST", "/api/v1/query_range", &ApiHandler::RangeQuery},
      {"GET", "/api/v1/status", &ApiHandler::GetStatus},
      {"GET", "/api/v1/analysis", &ApiHandler::Analysis},
      {"GET", "/api/v1/report", &ApiHandler::Report},
      {"GET", "/api/v1/alerts", &ApiHandler::Alerts},
      {"GET", "/api/v1/alerts/history", &ApiHandler::AlertHistory},
      {"POST", "/api/v1/alerts/*/acknowledge", &ApiHandler::Acknowledge, true},
      {"GET", "/api/v1/silences", &ApiHandler::Silences},
      {"POST", "/api/v1/silences", &ApiHandler::AddSilence, true},
      {"DELETE", "/api/v1/silences/*", &ApiHandler::DeleteSilence, true},
      {"GET", "/api/v1/rules", &ApiHandler::Rules},
      {"POST", "/api/v1/push", &ApiHandler::Push, true},
      {"POST", "/v1/metrics", &ApiHandler::OtlpMetrics, true},
      {"GET", "/api/v1/tunables", &ApiHandler::Tunables},
      {"POST", "/api/v1/tunables", &ApiHandler::RegisterTunables, true},
      {"GET", "/api/v1/tuning/history", &ApiHandler::TuningHistory},
      {"GET", "/api/v1/tuning/rules", &ApiHandler::TuningRules},
      {"GET", "/api/v1/runs", &ApiHandler::Runs},
      {"GET", "/api/v1/runs/*", &ApiHandler::Run},
      {"GET", "/api/v1/components", &ApiHandler::Components},
      {"GET", "/api/v1/components/*", &ApiHandler::Component},
      // Seed 001's route.
      {"GET", "/metrics/component/*", &ApiHandler::Component},
  };
  return kRoutes;
}

std::optional<HttpResponse> ApiHandler::HandleAction(const HttpRequest& request,
                                                     const RequestTarget& target) const {
  std::string allowed;
  const std::string_view method =
      request.method == "HEAD" ? std::string_view("GET") : std::string_view(request.method);
  for (const ActionRoute& route : ActionRoutes()) {
    std::optional<std::string_view> param = MatchPattern(route.pattern, target.path);
    if (!param) continue;
    if (route.method == method) {
      if (route.write && !Authorized(request)) return Unauthorized();
      return (this->*route.fn)(request, target, *param);
    }
    if (allowed.find(route.method) == std::string::npos) {
      allowed += (allowed.empty() ? "" : ", ") + std::string(route.method);
      if (route.method == "GET") allowed += ", HEAD";
    }
  }
  if (allowed.empty()) return std::nullopt;
  HttpResponse response =
      JsonError(405, "method " + request.method + " is not allowed on " + target.path);
  response.headers.emplace_back("Allow", allowed);
  return response;
}

HttpResponse ApiHandler::InstantQuery(const HttpRequest& request, const RequestTarget& target,
                                      std::string_view) const {
  Result<QueryParams> params = FormParams(request, target);
  if (!params.ok()) return BadData(params.status().message());
  Result<ParsedExpr> expr = ExprParam(*params);
  if (!expr.ok()) return BadData(expr.status().message());
  TimestampMs at = clock_();
  if (const std::string* time = params->Get("time")) {
    Result<TimestampMs> t = ParsePromTime("time", *time);
    if (!t.ok()) return BadData(t.status().message());
    at = *t;
  }
  StoreSource source(registry_, store_);
  Result<QueryValue> value = Evaluate(*expr, source, at);
  if (!value.ok())
    return PromError(HttpStatusOf(value.status()), "execution", value.status().message());
  return JsonOk(InstantJson(*value, at));
}

HttpResponse ApiHandler::RangeQuery(const HttpRequest& request, const RequestTarget& target,
                                    std::string_view) const {
  Result<QueryParams> params = FormParams(request, target);
  if (!params.ok()) return BadData(params.status().message());
  Result<ParsedExpr> expr = ExprParam(*params);
  if (!expr.ok()) return BadData(expr.status().message());
  const std::string* start_text = params->Get("start");
  const std::string* end_text = params->Get("end");
  const std::string* step_text = params->Get("step");
  if (!start_text || !step_text) {
    return BadData("query_range needs 'start' and 'step' ('end' defaults to now)");
  }
  Result<TimestampMs> start = ParsePromTime("start", *start_text);
  if (!start.ok()) return BadData(start.status().message());
  Result<TimestampMs> end =
      end_text ? ParsePromTime("end", *end_text) : Result<TimestampMs>(clock_());
  if (!end.ok()) return BadData(end.status().message());
  Result<int64_t> step = ParsePromStep(*step_text);
  if (!step.ok()) return BadData(step.status().message());
  if (*end < *start) return BadData("'end' is before 'start'");
  if ((*end - *start) / *step + 1 > kMaxRangePoints) {
    return BadData("exceeded maximum resolution of " + std::to_string(kMaxRangePoints) +
                   " points per series: raise 'step'");
  }
  StoreSource source(registry_, store_);
  Result<std::vector<RangeSeries>> series = EvaluateRange(*expr, source, *start, *end, *step);
  if (!series.ok()) {
    return PromError(HttpStatusOf(series.status()), "execution", series.status().message());
  }
  return JsonOk(MatrixJson(*series));
}

HttpResponse ApiHandler::GetStatus(const HttpRequest&, const RequestTarget&,
                                   std::string_view) const {
  if (!options_.status_json) return JsonError(503, "the status class is not computed here");
  std::string body = options_.status_json();
  if (body.empty()) return JsonError(503, "no tick has been classified yet");
  return JsonOk(std::move(body));
}

HttpResponse ApiHandler::Analysis(const HttpRequest&, const RequestTarget&,
                                  std::string_view) const {
  if (!options_.analysis_json) return JsonError(503, "analysis is not running here");
  Result<std::string> body = options_.analysis_json();
  if (!body.ok()) return JsonError(HttpStatusOf(body.status()), body.status().message());
  return JsonOk(std::move(*body));
}

HttpResponse ApiHandler::Report(const HttpRequest&, const RequestTarget& target,
                                std::string_view) const {
  if (!options_.report) return JsonError(503, "reports are not available here");
  double hours = 24;
  if (const std::string* text = target.query.Get("hours")) {
    Result<double> h = ParseFiniteDouble(*text);
    if (!h.ok() || *h <= 0 || *h > 24 * 3650) {
      return JsonError(
          400, "invalid parameter 'hours': expected a number of hours, got \"" + *text + "\"");
    }
    hours = *h;
  }
  std::string format = "json";
  if (const std::string* f = target.query.Get("format")) format = *f;
  if (format != "json" && format != "text" && format != "html") {
    return JsonError(
        400, "invalid parameter 'format': expected json, text or html, got \"" + format + "\"");
  }
  Result<std::string> body = options_.report(hours, format);
  if (!body.ok()) return JsonError(HttpStatusOf(body.status()), body.status().message());
  const char* type = format == "json"   ? "application/json"
                     : format == "html" ? "text/html; charset=utf-8"
                                        : "text/plain; charset=utf-8";
  HttpResponse response = JsonOk(std::move(*body), type);
  if (format == "html") {
    // The report carries its style inline and nothing else: no script, no
    // fetch, no frame.
    response.headers.emplace_back("Content-Security-Policy",
                                  "default-src 'none'; style-src 'unsafe-inline'; img-src data:");
  }
  return response;
}

}  // namespace perfwatch
