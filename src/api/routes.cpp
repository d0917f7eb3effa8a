#include "api/routes.h"

#include <cmath>
#include <optional>

#include "api/auth.h"
#include "api/dashboard_routes.h"
#include "api/exposition.h"
#include "api/json_render.h"
#include "api/json_writer.h"
#include "ingest/app_metrics.h"
#include "interchange/history_export.h"
#include "interchange/interchange.h"
#include "model/duration.h"
#include "model/selector.h"

namespace perfwatch {
namespace {

constexpr std::string_view kAllowedMethods = "GET, HEAD";
constexpr double kMaxHistoryHours = 24 * 366;
constexpr int64_t kDefaultHistoryMs = 3'600'000;
// Without step=, ranges longer than this are bucketed so that a chart gets
// about kAutoStepPoints points per series instead of every raw sample.
constexpr int64_t kMaxRawRangeMs = 3'600'000;
constexpr int64_t kAutoStepPoints = 720;
// Selectors one /api/v1/metrics/history/batch request may carry.
constexpr size_t kMaxBatchSelectors = 64;

void AddStandardHeaders(HttpResponse& response) {
  response.headers.emplace_back("X-Content-Type-Options", "nosniff");
  response.headers.emplace_back("Cache-Control", "no-store");
}

HttpResponse Ok(std::string body, std::string content_type = "application/json") {
  HttpResponse response;
  response.body = std::move(body);
  response.content_type = std::move(content_type);
  AddStandardHeaders(response);
  return response;
}

Status BadParam(std::string_view name, std::string_view why) {
  return Status::InvalidArgument("invalid parameter '" + std::string(name) +
                                 "': " + std::string(why));
}

Result<std::optional<int64_t>> OptionalMs(const QueryParams& query, std::string_view name) {
  const std::string* text = query.Get(name);
  if (text == nullptr) return std::optional<int64_t>();
  Result<int64_t> ms = ParseInt64(*text);
  if (!ms.ok()) {
    return BadParam(name, "expected milliseconds since the epoch, got \"" + *text + "\"");
  }
  if (*ms < 0) return BadParam(name, "must not be negative");
  return std::optional<int64_t>(*ms);
}

Result<int64_t> HoursToMs(const std::string& text) {
  Result<double> hours = ParseFiniteDouble(text);
  if (!hours.ok()) return BadParam("hours", "expected a number of hours, got \"" + text + "\"");
  if (*hours <= 0 || *hours > kMaxHistoryHours) {
    return BadParam("hours", "must be greater than 0 and at most " +
                                 std::to_string(static_cast<int>(kMaxHistoryHours)));
  }
  return static_cast<int64_t>(std::llround(*hours * 3'600'000));
}

// from/to/hours → [from, to]; to defaults to now, from to `to` minus hours
// (1 h when neither from nor hours is given).
Status ParseTimeRange(const QueryParams& query, TimestampMs now, QueryRange& range) {
  Result<std::optional<int64_t>> from = OptionalMs(query, "from");
  if (!from.ok()) return from.status();
  Result<std::optional<int64_t>> to = OptionalMs(query, "to");
  if (!to.ok()) return to.status();
  const std::string* hours = query.Get("hours");
  if (hours != nullptr && from->has_value()) {
    return Status::InvalidArgument("parameters 'hours' and 'from' exclude each other");
  }
  range.to_ms = to->value_or(now);
  int64_t span = kDefaultHistoryMs;
  if (hours != nullptr) {
    Result<int64_t> ms = HoursToMs(*hours);
    if (!ms.ok()) return ms.status();
    span = *ms;
  }
  range.from_ms = from->has_value() ? **from : std::max<int64_t>(0, range.to_ms - span);
  if (range.from_ms > range.to_ms) {
    return Status::InvalidArgument("'from' (" + std::to_string(range.from_ms) +
                                   ") is after 'to' (" + std::to_string(range.to_ms) + ")");
  }
  return Status::Ok();
}

Status ParseStepAndAgg(const QueryParams& query, QueryRange& range) {
  if (const std::string* step = query.Get("step")) {
    Result<int64_t> ms = ParseDuration(*step);
    if (!ms.ok()) return BadParam("step", ms.status().message());
    if (*ms <= 0) return BadParam("step", "must be positive");
    range.step_ms = *ms;
  } else if (int64_t span = range.to_ms - range.from_ms; span > kMaxRawRangeMs) {
    range.step_ms = (span / kAutoStepPoints + 999) / 1000 * 1000;
  }
  if (const std::string* agg = query.Get("agg")) {
    Result<Aggregation> parsed = ParseAggregation(*agg);
    if (!parsed.ok())
      return BadParam("agg", "expected avg, min, max or last, got \"" + *agg + "\"");
    range.agg = *parsed;
  }
  return Status::Ok();
}

// The export route's format= (json when absent).
Result<HistoryFormat> ExportFormat(const QueryParams& query) {
  const std::string* name = query.Get("format");
  if (name == nullptr) return HistoryFormat::kJson;
  Result<HistoryFormat> format = ParseHistoryFormat(*name);
  if (!format.ok()) return BadParam("format", format.status().message());
  return format;
}

// An export is raw samples: bucketing parameters would be silently ignored,
// so they are refused with a pointer to the route that has them.
Status RefuseBucketing(const QueryParams& query) {
  for (std::string_view name : {"step", "agg"}) {
    if (query.Get(name) != nullptr) {
      return BadParam(name, "an export has every raw sample; /api/v1/metrics/history buckets them");
    }
  }
  return Status::Ok();
}

std::string_view FileExtension(HistoryFormat format) {
  switch (format) {
    case HistoryFormat::kOpenMetrics:
      return "om";
    case HistoryFormat::kCsv:
      return "csv";
    case HistoryFormat::kJson:
      return "json";
  }
  return "json";
}

// GET /api/v1/export's body: the history walk, one writer chunk per piece.
class ExportBody final : public BodyProducer {
 public:
  ExportBody(const SeriesRegistry& registry, const Store& store, std::vector<SeriesId> ids,
             ExportRange range, HistoryFormat format)
      : export_(registry, store, std::move(ids), range, format) {}
  Result<bool> Next(std::string* out) override { return export_.Next(out); }

 private:
  HistoryExport export_;
};

std::string RenderMetadataJson(const SeriesRegistry& registry) {
  std::string out = "{\"metrics\":[";
  bool first = true;
  for (const std::string& name : registry.MetricNames()) {
    std::optional<MetricMeta> meta = registry.Meta(name);
    if (!first) out += ',';
    first = false;
    out += "{\"name\":";
    AppendJsonString(out, name);
    out += ",\"type\":";
    AppendJsonString(out, meta ? ToString(meta->kind) : "untyped");
    out += ",\"help\":";
    AppendJsonString(out, meta ? meta->help : "");
    out += ",\"unit\":";
    AppendJsonString(out, meta ? meta->unit : "");
    out += ",\"series\":";
    AppendJsonInt(out, static_cast<int64_t>(registry.SeriesOf(name).size()));
    out += '}';
  }
  out += "]}";
  return out;
}

}  // namespace

HttpResponse JsonOk(std::string body, std::string content_type) {
  return Ok(std::move(body), std::move(content_type));
}

std::string_view HttpResponse::Header(std::string_view name) const {
  for (const auto& [n, v] : headers) {
    if (n == name) return v;
  }
  return {};
}

HttpResponse JsonError(int status, std::string_view message) {
  HttpResponse response;
  response.status = status;
  response.body = "{\"error\":";
  AppendJsonString(response.body, message);
  response.body += '}';
  AddStandardHeaders(response);
  return response;
}

int HttpStatusOf(const Status& status) {
  switch (status.code()) {
    case Status::Code::kOk:
      return 200;
    case Status::Code::kInvalidArgument:
      return 400;
    case Status::Code::kNotFound:
      return 404;
    // The request was well-formed but asks for more than the limits allow.
    case Status::Code::kResourceExhausted:
      return 422;
    case Status::Code::kUnavailable:
      return 503;
    case Status::Code::kIOError:
    case Status::Code::kInternal:
      return 500;
  }
  return 500;
}

TimestampMs SystemNowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

ApiHandler::ApiHandler(const SeriesRegistry& registry, const Store& store, ApiOptions options,
                       WallClock clock)
    : registry_(registry),
      store_(store),
      options_(std::move(options)),
      clock_(std::move(clock)),
      started_(std::chrono::steady_clock::now()) {}

const std::vector<ApiHandler::Route>& ApiHandler::Routes() {
  static const std::vector<Route> kRoutes = {
      {"/api", &ApiHandler::Index},
      {"/api/v1/health", &ApiHandler::Health},
      {"/api/v1/metrics", &ApiHandler::Metrics},
      {"/api/v1/metrics/history", &ApiHandler::History},
      {"/api/v1/metrics/history/batch", &ApiHandler::HistoryBatch},
      {"/api/v1/export", &ApiHandler::Export},
      {"/api/v1/metadata", &ApiHandler::Metadata},
      {"/api/v1/storage", &ApiHandler::Storage},
      {"/metrics", &ApiHandler::Exposition},
      {"/ws", &ApiHandler::WebSocketWithoutUpgrade},
      // Aliases kept for users of the seed tool.
      {"/api/health", &ApiHandler::Health},
      {"/api/metrics/current", &ApiHandler::Metrics},
      {"/api/metrics/history", &ApiHandler::LegacyHistory},
      {"/metrics/export", &ApiHandler::LegacyExport},
  };
  return kRoutes;
}

HttpResponse ApiHandler::Handle(const HttpRequest& request) const {
  Result<RequestTarget> target = ParseRequestTarget(request.target);
  if (!target.ok()) return JsonError(400, target.status().message());
  if (std::optional<HttpResponse> action = HandleAction(request, *target)) {
    return std::move(*action);
  }
  for (const Route& route : Routes()) {
    if (route.path != target->path) continue;
    if (request.method != "GET" && request.method != "HEAD") {
      HttpResponse response =
          JsonError(405, "method " + request.method + " is not allowed on " + target->path);
      response.headers.emplace_back("Allow", kAllowedMethods);
      return response;
    }
    return (this->*route.fn)(*target);
  }
  if (std::optional<HttpResponse> file = ServeDashboardFile(request, target->path)) {
    return std::move(*file);
  }
  return JsonError(404, "no route for " + target->path);
}

std::shared_ptr<const PublishedTick> ApiHandler::Publish(std::shared_ptr<const Tick> tick,
                                                         std::string status_json) {
  auto published = std::make_shared<const PublishedTick>(std::move(tick), std::move(status_json));
  std::lock_guard lock(mu_);
  latest_ = published;
  return published;
}

std::shared_ptr<const PublishedTick> ApiHandler::latest() const {
  std::lock_guard lock(mu_);
  return latest_;
}

bool ApiHandler::Authorized(const HttpRequest& request) const {
  return BearerTokenAllows(request.authorization, options_.token);
}

namespace {
// The ingest source a request-target's path belongs to, if it is one.
std::optional<IngestSource> IngestSourceOf(std::string_view target) {
  const std::string_view path = target.substr(0, target.find('?'));
  if (path == "/api/v1/push") return IngestSource::kPush;
  if (path == "/v1/metrics") return IngestSource::kOtlp;
  return std::nullopt;
}
}  // namespace

size_t ApiHandler::BodyLimit(std::string_view target) const {
  return IngestSourceOf(target) ? options_.max_ingest_body_bytes : options_.max_body_bytes;
}

HttpResponse ApiHandler::BodyTooLarge(std::string_view target) const {
  const std::optional<IngestSource> source = IngestSourceOf(target);
  if (source && options_.app_metrics != nullptr) {
    options_.app_metrics->CountError(*source, "body_too_large");
  }
  return JsonError(
      413, "request body exceeds the limit of " + std::to_string(BodyLimit(target)) + " bytes");
}

HttpResponse ApiHandler::Unauthorized() {
  HttpResponse response = JsonError(401, "missing or wrong bearer token");
  response.headers.emplace_back("WWW-Authenticate", "Bearer");
  return response;
}

// A static page (no data from the host, so nothing to escape) telling a
// person or a script author where every route is; the dashboard is at /.
HttpResponse ApiHandler::Index(const RequestTarget&) const {
  static constexpr std::string_view kPage = R"(<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>perfwatch API</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:48em;margin:3em auto;padding:0 1em}
code{background:#f3f3f3;padding:0 .3em}</style></head><body>
<h1>perfwatch API</h1>
<p>The dashboard is at <a href="/">/</a>. Everything it shows comes from these routes
(described in <code>docs/API.md</code>):</p>
<h2>Read</h2>
<ul>
<li><a href="/api/v1/health"><code>/api/v1/health</code></a> &mdash; status, version, uptime</li>
<li><a href="/api/v1/metrics"><code>/api/v1/metrics</code></a> &mdash; the latest tick as JSON
 (<a href="/api/v1/metrics?match=system_cpu">?match=system_cpu</a>)</li>
<li><a href="/api/v1/metrics/history?metric=system_cpu_usage_percent&amp;hours=0.25&amp;step=15s"><code>/api/v1/metrics/history</code></a> &mdash; history of a selector</li>
<li><a href="/api/v1/query?query=system_load1"><code>/api/v1/query</code></a>,
 <code>/api/v1/query_range</code> &mdash; PromQL-style expressions</li>
<li><a href="/api/v1/export?metric=system_cpu_usage_percent&amp;format=csv"><code>/api/v1/export</code></a> &mdash; history as a JSON, CSV or OpenMetrics download</li>
<li><a href="/api/v1/metadata"><code>/api/v1/metadata</code></a> &mdash; every metric with type, help and unit</li>
<li><a href="/api/v1/storage"><code>/api/v1/storage</code></a> &mdash; what the history on disk holds</li>
<li><a href="/api/v1/status"><code>/api/v1/status</code></a> &mdash; status class, score and reasons</li>
<li><a href="/api/v1/analysis"><code>/api/v1/analysis</code></a> &mdash; bottlenecks, recommendations, trends</li>
<li><a href="/api/v1/report?hours=24&amp;format=text"><code>/api/v1/report</code></a> &mdash; the period report</li>
<li><a href="/api/v1/alerts"><code>/api/v1/alerts</code></a>,
 <a href="/api/v1/alerts/history"><code>/api/v1/alerts/history</code></a>,
 <a href="/api/v1/silences"><code>/api/v1/silences</code></a>,
 <a href="/api/v1/rules"><code>/api/v1/rules</code></a> &mdash; alerting</li>
<li><a href="/api/v1/components"><code>/api/v1/components</code></a> &mdash; application component timings</li>
<li><a href="/api/v1/tunables"><code>/api/v1/tunables</code></a>,
 <a href="/api/v1/tuning/history"><code>/api/v1/tuning/history</code></a>,
 <a href="/api/v1/tuning/rules"><code>/api/v1/tuning/rules</code></a> &mdash; auto-tuning: knobs, decisions, rules</li>
<li><a href="/api/v1/runs"><code>/api/v1/runs</code></a>,
 <code>/api/v1/runs/{id}</code> &mdash; runs recorded by <code>perfwatch run</code></li>
<li><a href="/metrics"><code>/metrics</code></a> &mdash; Prometheus text format</li>
<li><code>ws://HOST/ws</code> &mdash; one JSON message per tick</li>
</ul>
<h2>Write (bearer token when one is configured)</h2>
<ul>
<li><code>POST /api/v1/alerts/{id}/acknowledge</code>, <code>POST /api/v1/silences</code>,
 <code>DELETE /api/v1/silences/{id}</code></li>
<li><code>POST /api/v1/push</code>, <code>POST /v1/metrics</code> (OTLP/HTTP) &mdash; application metrics</li>
<li><code>POST /api/v1/tunables</code> &mdash; an application declares its knobs</li>
</ul></body></html>
)";
  HttpResponse response = Ok(std::string(kPage), "text/html; charset=utf-8");
  response.headers.emplace_back("Content-Security-Policy",
                                "default-src 'none'; style-src 'unsafe-inline'");
  return response;
}

HttpResponse ApiHandler::Health(const RequestTarget&) const {
  auto uptime =
      std::chrono::duration_cast<std::chrono::seconds>(std::chrono::steady_clock::now() - started_);
  std::shared_ptr<const PublishedTick> tick = latest();
  std::string body = "{\"status\":\"ok\",\"version\":";
  AppendJsonString(body, options_.version);
  body += ",\"uptime_seconds\":";
  AppendJsonInt(body, uptime.count());
  body += ",\"last_tick_ms\":";
  if (tick) {
    AppendJsonInt(body, tick->tick().time());
  } else {
    body += "null";
  }
  body += '}';
  return Ok(std::move(body));
}

HttpResponse ApiHandler::Storage(const RequestTarget&) const {
  if (!options_.storage_stats) return JsonError(404, "this perfwatch keeps no history on disk");
  StorageStats s = options_.storage_stats();
  const char* const names[] = {"raw", "1m", "1h"};
  std::string body = "{\"tiers\":{";
  for (int i = 0; i < 3; ++i) {
    if (i) body += ',';
    AppendJsonString(body, names[i]);
    body += ":{\"blocks\":";
    AppendJsonInt(body, static_cast<int64_t>(s.tiers[i].blocks));
    body += ",\"points\":";
    AppendJsonInt(body, static_cast<int64_t>(s.tiers[i].points));
    body += ",\"bytes\":";
    AppendJsonInt(body, static_cast<int64_t>(s.tiers[i].bytes));
    body += '}';
  }
  body += "},\"series\":";
  AppendJsonInt(body, static_cast<int64_t>(s.series));
  body += ",\"file_bytes\":";
  AppendJsonInt(body, static_cast<int64_t>(s.file_bytes));
  // Everything on disk (database files and WAL) over the raw samples stored.
  body += ",\"bytes_per_sample\":";
  uint64_t disk = s.file_bytes + s.wal_bytes;
  uint64_t samples = s.tiers[0].points;
  body +=
      samples ? std::to_string(static_cast<double>(disk) / static_cast<double>(samples)) : "null";
  body += ",\"wal_bytes\":";
  AppendJsonInt(body, static_cast<int64_t>(s.wal_bytes));
  body += ",\"wal_segments\":";
  AppendJsonInt(body, static_cast<int64_t>(s.wal_segments));
  body += ",\"sealed_until_ms\":";
  AppendJsonInt(body, s.sealed_until);
  body += ",\"errors\":";
  AppendJsonInt(body, static_cast<int64_t>(s.errors));
  body += ",\"out_of_order_samples\":";
  AppendJsonInt(body, static_cast<int64_t>(s.out_of_order));
  body += ",\"last_cleanup\":{\"time_ms\":";
  AppendJsonInt(body, s.last_cleanup_ms);
  body += ",\"removed\":";
  AppendJsonString(body, s.last_cleanup);
  body += "}}";
  return Ok(std::move(body));
}

HttpResponse ApiHandler::Metrics(const RequestTarget& target) const {
  std::shared_ptr<const PublishedTick> tick = latest();
  if (!tick) return JsonError(503, "no samples collected yet");
  std::vector<std::string_view> match = target.query.GetAll("match");
  if (match.empty()) return Ok(tick->Json());
  std::vector<std::string> prefixes(match.begin(), match.end());
  return Ok(RenderTickJson(tick->tick(), prefixes));
}

HttpResponse ApiHandler::History(const RequestTarget& target) const {
  const std::string* metric = target.query.Get("metric");
  if (metric == nullptr) return JsonError(400, "missing required parameter 'metric'");
  return HistoryFor(*metric, target);
}

// Several selectors over one range in one request: a dashboard draws a dozen
// charts at once, and a dozen requests cost a browser far more than the
// store's work for them (docs/PERFORMANCE.md, issue 6). Each selector is its
// own query, with its own point limit, and its own `agg` when one is given
// per selector.
HttpResponse ApiHandler::HistoryBatch(const RequestTarget& target) const {
  const std::vector<std::string_view> metrics = target.query.GetAll("metric");
  const std::vector<std::string_view> aggs = target.query.GetAll("agg");
  if (metrics.empty()) return JsonError(400, "missing required parameter 'metric'");
  if (metrics.size() > kMaxBatchSelectors) {
    return JsonError(400, "too many 'metric' parameters: " + std::to_string(metrics.size()) +
                              " (at most " + std::to_string(kMaxBatchSelectors) + ")");
  }
  if (aggs.size() > 1 && aggs.size() != metrics.size()) {
    return JsonError(400, "give 'agg' once, or once per 'metric' (" +
                              std::to_string(metrics.size()) + "), not " +
                              std::to_string(aggs.size()) + " times");
  }
  QueryRange range;
  Status st = ParseTimeRange(target.query, clock_(), range);
  if (st.ok()) st = ParseStepAndAgg(target.query, range);
  if (!st.ok()) return JsonError(400, st.message());
  std::string out = "{\"from\":" + std::to_string(range.from_ms) +
                    ",\"to\":" + std::to_string(range.to_ms) +
                    ",\"step\":" + std::to_string(range.step_ms) + ",\"results\":[";
  for (size_t i = 0; i < metrics.size(); ++i) {
    Result<SeriesSelector> selector = SeriesSelector::Parse(metrics[i]);
    if (!selector.ok()) {
      return JsonError(400,
                       "metric #" + std::to_string(i + 1) + ": " +
                           std::string(BadParam("metric", selector.status().message()).message()));
    }
    QueryRange one = range;
    if (aggs.size() == metrics.size()) {
      Result<Aggregation> agg = ParseAggregation(aggs[i]);
      if (!agg.ok()) {
        return JsonError(400,
                         "agg #" + std::to_string(i + 1) + ": " +
                             std::string(BadParam("agg", "expected avg, min, max or last, got \"" +
                                                             std::string(aggs[i]) + "\"")
                                             .message()));
      }
      one.agg = *agg;
    }
    Result<std::vector<SeriesPoints>> series = store_.Query(selector->Select(registry_), one);
    if (!series.ok()) {
      return JsonError(HttpStatusOf(series.status()),
                       "metric #" + std::to_string(i + 1) + ": " + series.status().message());
    }
    if (i) out += ',';
    out += RenderHistoryJson(metrics[i], one, *series, registry_);
  }
  out += "]}";
  return Ok(std::move(out));
}

HttpResponse ApiHandler::LegacyHistory(const RequestTarget& target) const {
  const std::string* metric = target.query.Get("metric");
  return HistoryFor(metric ? std::string_view(*metric) : kLegacyHistorySelector, target);
}

HttpResponse ApiHandler::HistoryFor(std::string_view selector_text,
                                    const RequestTarget& target) const {
  Result<SeriesSelector> selector = SeriesSelector::Parse(selector_text);
  if (!selector.ok()) {
    return JsonError(400, std::string(BadParam("metric", selector.status().message()).message()));
  }
  QueryRange range;
  Status st = ParseTimeRange(target.query, clock_(), range);
  if (st.ok()) st = ParseStepAndAgg(target.query, range);
  if (!st.ok()) return JsonError(400, st.message());
  Result<std::vector<SeriesPoints>> series = store_.Query(selector->Select(registry_), range);
  if (!series.ok()) return JsonError(HttpStatusOf(series.status()), series.status().message());
  return Ok(RenderHistoryJson(selector_text, range, *series, registry_));
}

HttpResponse ApiHandler::Export(const RequestTarget& target) const {
  const std::string* metric = target.query.Get("metric");
  if (metric == nullptr) return JsonError(400, "missing required parameter 'metric'");
  return ExportFor(*metric, target);
}

HttpResponse ApiHandler::LegacyExport(const RequestTarget& target) const {
  const std::string* metric = target.query.Get("metric");
  return ExportFor(metric ? std::string_view(*metric) : kLegacyHistorySelector, target);
}

// Everything that can be wrong with the request is found here, before the
// server sends a header; only a store failure can cut the body short later.
HttpResponse ApiHandler::ExportFor(std::string_view selector_text,
                                   const RequestTarget& target) const {
  Result<SeriesSelector> selector = SeriesSelector::Parse(selector_text);
  if (!selector.ok()) {
    return JsonError(400, std::string(BadParam("metric", selector.status().message()).message()));
  }
  Result<HistoryFormat> format = ExportFormat(target.query);
  if (!format.ok()) return JsonError(400, format.status().message());
  QueryRange range;
  Status st = ParseTimeRange(target.query, clock_(), range);
  if (st.ok()) st = RefuseBucketing(target.query);
  if (!st.ok()) return JsonError(400, st.message());
  HttpResponse response = Ok("", std::string(ContentType(*format)));
  response.headers.emplace_back(
      "Content-Disposition",
      "attachment; filename=\"perfwatch-export." + std::string(FileExtension(*format)) + "\"");
  response.stream = std::make_unique<ExportBody>(registry_, store_, selector->Select(registry_),
                                                 ExportRange{range.from_ms, range.to_ms}, *format);
  return response;
}

HttpResponse ApiHandler::Metadata(const RequestTarget&) const {
  return Ok(RenderMetadataJson(registry_));
}

HttpResponse ApiHandler::Exposition(const RequestTarget&) const {
  std::shared_ptr<const PublishedTick> tick = latest();
  if (!tick) return JsonError(503, "no samples collected yet");
  return Ok(tick->Exposition(), std::string(kExpositionContentType));
}

HttpResponse ApiHandler::WebSocketWithoutUpgrade(const RequestTarget&) const {
  HttpResponse response =
      JsonError(426, "/ws is a WebSocket endpoint: send Connection: Upgrade, Upgrade: websocket");
  response.headers.emplace_back("Upgrade", "websocket");
  return response;
}

}  // namespace perfwatch
