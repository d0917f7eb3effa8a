#pragma once
// ApiHandler: every HTTP route of perfwatch as a function from request to
// response, with no sockets involved, so each route and each error is tested
// as a pure function. http_server.cpp feeds it parsed Beast requests.
//
// Thread-safe: Handle may run on every server thread at once while the
// collection thread calls Publish. `registry` and `store` must outlive the
// handler.

#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "api/api_server.h"
#include "api/published_tick.h"
#include "api/query_params.h"
#include "model/registry.h"
#include "model/sample.h"
#include "store/store.h"

namespace perfwatch {

struct HttpRequest {
  std::string method;  // "GET", "HEAD", "POST"...
  std::string target;  // raw request-target: "/api/v1/metrics?match=system_cpu"
  std::string body;
  std::string authorization;     // raw Authorization header, "" when absent
  std::string content_type;      // raw Content-Type header, "" when absent
  std::string content_encoding;  // raw Content-Encoding header ("gzip"), "" when absent
  std::string accept_encoding;   // raw Accept-Encoding header, "" when absent
  std::string if_none_match;     // raw If-None-Match header, "" when absent
};

// A response body produced a piece at a time, for answers too large to hold
// (GET /api/v1/export). The server asks for the next piece only after the
// previous one is written to the socket, so a slow client holds production
// back instead of making the server buffer.
//
// Not thread-safe: calls never overlap, though they may come from different
// server threads. Whatever it reads must outlive it (the handler's registry
// and store do).
class BodyProducer {
 public:
  virtual ~BodyProducer() = default;
  // Replaces *out with the next piece (possibly empty). True while more may
  // follow; false once the body is complete, *out holding its last piece. An
  // error ends the body where it is: the server cuts the transfer short so
  // the client sees it incomplete.
  virtual Result<bool> Next(std::string* out) = 0;
};

struct HttpResponse {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  // When set, the body is streamed from it and `body` is ignored: chunked
  // for HTTP/1.1, ended by closing the connection for HTTP/1.0; HEAD never
  // pulls it.
  std::unique_ptr<BodyProducer> stream;
  // Besides Content-Type and Content-Length, which the server sets.
  std::vector<std::pair<std::string, std::string>> headers;

  // The value of header `name` (exact case), or "" when absent.
  std::string_view Header(std::string_view name) const;
};

// {"error":MESSAGE} with the headers every API response carries.
HttpResponse JsonError(int status, std::string_view message);
// 200 with `body` and the headers every API response carries.
HttpResponse JsonOk(std::string body, std::string content_type = "application/json");
// The status a Status code maps to when a route fails with it.
int HttpStatusOf(const Status& status);

// Milliseconds since the epoch; injectable so history defaults are testable.
using WallClock = std::function<TimestampMs()>;
TimestampMs SystemNowMs();

// Used by the seed tool's aliases /api/metrics/history and /metrics/export
// when no metric= is given.
inline constexpr std::string_view kLegacyHistorySelector =
    "{__name__=~\"system_cpu_usage_percent|system_memory_used_percent\"}";

class ApiHandler {
 public:
  ApiHandler(const SeriesRegistry& registry, const Store& store, ApiOptions options,
             WallClock clock = SystemNowMs);
  ApiHandler(const ApiHandler&) = delete;
  ApiHandler& operator=(const ApiHandler&) = delete;

  HttpResponse Handle(const HttpRequest& request) const;

  // Makes `tick` the latest one; returns it wrapped for the WebSocket hub.
  std::shared_ptr<const PublishedTick> Publish(std::shared_ptr<const Tick> tick,
                                               std::string status_json = "");
  std::shared_ptr<const PublishedTick> latest() const;

  // The body limit of the route at request-target `target` (ingest routes
  // take larger bodies), and the answer when a body exceeds it (counted as
  // an ingest error for the ingest routes).
  size_t BodyLimit(std::string_view target) const;
  HttpResponse BodyTooLarge(std::string_view target) const;

  // For write/admin routes: true when no token is configured or the request
  // carries "Authorization: Bearer <token>".
  bool Authorized(const HttpRequest& request) const;
  // 401 with WWW-Authenticate: Bearer.
  static HttpResponse Unauthorized();

 private:
  using RouteFn = HttpResponse (ApiHandler::*)(const RequestTarget&) const;
  struct Route {
    std::string_view path;
    RouteFn fn;
  };
  static const std::vector<Route>& Routes();

  // Routes that need the method, the body or a path parameter: `pattern`
  // may hold one "*" segment, passed to `fn` as `param`. `write` routes
  // need the bearer token when one is configured.
  using ActionFn = HttpResponse (ApiHandler::*)(const HttpRequest&, const RequestTarget&,
                                                std::string_view param) const;
  struct ActionRoute {
    std::string_view method;
    std::string_view pattern;
    ActionFn fn;
    bool write = false;
  };
  static const std::vector<ActionRoute>& ActionRoutes();
  // Answers when the path is an action route's; nullopt otherwise.
  std::optional<HttpResponse> HandleAction(const HttpRequest& request,
                                           const RequestTarget& target) const;

  // query_routes.cpp
  HttpResponse InstantQuery(const HttpRequest&, const RequestTarget&, std::string_view) const;
  HttpResponse RangeQuery(const HttpRequest&, const RequestTarget&, std::string_view) const;
  HttpResponse GetStatus(const HttpRequest&, const RequestTarget&, std::string_view) const;
  HttpResponse Analysis(const HttpRequest&, const RequestTarget&, std::string_view) const;
  HttpResponse Report(const HttpRequest&, const RequestTarget&, std::string_view) const;
  // alert_routes.cpp
  HttpResponse Alerts(const HttpRequest&, const RequestTarget&, std::string_view) const;
  HttpResponse AlertHistory(const HttpRequest&, const RequestTarget&, std::string_view) const;
  HttpResponse Acknowledge(const HttpRequest&, const RequestTarget&, std::string_view) const;
  HttpResponse Silences(const HttpRequest&, const RequestTarget&, std::string_view) const;
  HttpResponse AddSilence(const HttpRequest&, const RequestTarget&, std::string_view) const;
  HttpResponse DeleteSilence(const HttpRequest&, const RequestTarget&, std::string_view) const;
  HttpResponse Rules(const HttpRequest&, const RequestTarget&, std::string_view) const;
  // ingest_routes.cpp
  HttpResponse Push(const HttpRequest&, const RequestTarget&, std::string_view) const;
  HttpResponse OtlpMetrics(const HttpRequest&, const RequestTarget&, std::string_view) const;
  // tuning_routes.cpp
  HttpResponse RegisterTunables(const HttpRequest&, const RequestTarget&, std::string_view) const;
  HttpResponse Tunables(const HttpRequest&, const RequestTarget&, std::string_view) const;
  HttpResponse TuningHistory(const HttpRequest&, const RequestTarget&, std::string_view) const;
  HttpResponse TuningRules(const HttpRequest&, const RequestTarget&, std::string_view) const;
  // run_routes.cpp
  HttpResponse Runs(const HttpRequest&, const RequestTarget&, std::string_view) const;
  HttpResponse Run(const HttpRequest&, const RequestTarget&, std::string_view id) const;
  // component_routes.cpp
  HttpResponse Components(const HttpRequest&, const RequestTarget&, std::string_view) const;
  HttpResponse Component(const HttpRequest&, const RequestTarget&, std::string_view name) const;

  HttpResponse Index(const RequestTarget&) const;
  HttpResponse Health(const RequestTarget&) const;
  HttpResponse Storage(const RequestTarget&) const;
  HttpResponse Metrics(const RequestTarget&) const;
  HttpResponse History(const RequestTarget&) const;
  HttpResponse HistoryBatch(const RequestTarget&) const;
  HttpResponse LegacyHistory(const RequestTarget&) const;
  HttpResponse Export(const RequestTarget&) const;
  HttpResponse LegacyExport(const RequestTarget&) const;
  HttpResponse Metadata(const RequestTarget&) const;
  HttpResponse Exposition(const RequestTarget&) const;
  HttpResponse WebSocketWithoutUpgrade(const RequestTarget&) const;
  HttpResponse HistoryFor(std::string_view selector_text, const RequestTarget&) const;
  HttpResponse ExportFor(std::string_view selector_text, const RequestTarget&) const;

  const SeriesRegistry& registry_;
  const Store& store_;
  const ApiOptions options_;
  const WallClock clock_;
  const std::chrono::steady_clock::time_point started_;

  mutable std::mutex mu_;
  std::shared_ptr<const PublishedTick> latest_;  // protected by mu_; null before the first tick
};

}  // namespace perfwatch
