// Component timing routes (seed 001's start/stop_component_timer): the
// figures AppMetrics keeps for every `component_duration_milliseconds`
// timer, as JSON. GET /api/v1/components[?app=] lists them;
// /api/v1/components/{name}[?app=] (and seed 001's /metrics/component/{name})
// shows one.

#include "api/json_writer.h"
#include "api/routes.h"
#include "ingest/app_metrics.h"

namespace perfwatch {
namespace {

HttpResponse NotRunning() {
  return JsonError(503, "application metrics are not running in this perfwatch");
}

void AppendComponent(std::string& out, const ComponentStats& c) {
  out += "{\"name\":";
  AppendJsonString(out, c.name);
  out += ",\"app\":";
  AppendJsonString(out, c.app);
  out += ",\"count\":";
  AppendJsonInt(out, static_cast<int64_t>(c.count));
  const std::pair<std::string_view, double> figures[] = {
      {"total_ms", c.total_ms}, {"mean_ms", c.mean_ms},
      {"min_ms", c.min_ms},     {"p50_ms", c.p50_ms},
      {"p95_ms", c.p95_ms},     {"p99_ms", c.p99_ms},
      {"max_ms", c.max_ms},     {"share_percent", c.share_percent}};
  for (const auto& [key, value] : figures) {
    out += ",\"";
    out += key;
    out += "\":";
    AppendJsonNumber(out, value);
  }
  out += ",\"last_seen\":";
  AppendJsonInt(out, c.last_seen_ms);
  out += '}';
}

}  // namespace

HttpResponse ApiHandler::Components(const HttpRequest&, const RequestTarget& target,
                                    std::string_view) const {
  if (options_.app_metrics == nullptr) return NotRunning();
  const std::string* app = target.query.Get("app");
  std::string out = "{\"components\":[";
  bool first = true;
  for (const ComponentStats& c : options_.app_metrics->Components()) {
    if (app != nullptr && c.app != *app) continue;
    if (!first) out += ',';
    first = false;
    AppendComponent(out, c);
  }
  out += "]}";
  return JsonOk(std::move(out));
}

HttpResponse ApiHandler::Component(const HttpRequest&, const RequestTarget& target,
                                   std::string_view raw_name) const {
  if (options_.app_metrics == nullptr) return NotRunning();
  // Names are free text ("Data Loading"), so they arrive percent-encoded.
  Result<std::string> name = UrlDecode(raw_name, /*plus_as_space=*/false);
  if (!name.ok()) return JsonError(400, "invalid component name: " + name.status().message());
  const std::string* app = target.query.Get("app");
  std::optional<ComponentStats> c =
      options_.app_metrics->Component(*name, app ? std::string_view(*app) : std::string_view());
  if (!c) return JsonError(404, "no component named \"" + *name + "\" has been timed");
  std::string out;
  AppendComponent(out, *c);
  return JsonOk(std::move(out));
}

}  // namespace perfwatch
