// Recorded runs (`perfwatch run`, docs/RUNS.md) from the RunDb in
// ApiOptions::runs_db_path, which `perfwatch run` processes write beside
// this server:
//
//   GET /api/v1/runs?name=&limit=&before=   RunListJson, newest first, no series
//   GET /api/v1/runs/{id}?timeline=&app_points=   RunJson: everything
//
// A connection per request: the runs are written by other processes, a
// request is rare, and opening costs well under a millisecond.

#include <cstdint>

#include "api/routes.h"
#include "runs/run_db.h"
#include "runs/run_json.h"

namespace perfwatch {
namespace {

constexpr size_t kDefaultListLimit = 100;
constexpr size_t kMaxListLimit = 1000;

Result<std::unique_ptr<RunDb>> OpenRuns(const std::string& path) {
  RunDbOptions options;
  options.path = path;
  options.create = false;
  return RunDb::Open(options);
}

Result<int64_t> ParseCount(const RequestTarget& target, const char* name, int64_t min, int64_t max,
                           int64_t fallback) {
  const std::string* text = target.query.Get(name);
  if (text == nullptr) return fallback;
  Result<int64_t> n = ParseInt64(*text);
  if (!n.ok() || *n < min || *n > max) {
    return Status::InvalidArgument("invalid parameter '" + std::string(name) + "': expected " +
                                   std::to_string(min) + " to " + std::to_string(max) + ", got \"" +
                                   *text + "\"");
  }
  return *n;
}

Result<bool> ParseFlag(const RequestTarget& target, const char* name) {
  const std::string* text = target.query.Get(name);
  if (text == nullptr || *text == "true" || *text == "1") return true;
  if (*text == "false" || *text == "0") return false;
  return Status::InvalidArgument("invalid parameter '" + std::string(name) +
                                 "': expected true or false, got \"" + *text + "\"");
}

}  // namespace

HttpResponse ApiHandler::Runs(const HttpRequest&, const RequestTarget& target,
                              std::string_view) const {
  if (options_.runs_db_path.empty()) {
    return JsonError(503, "this perfwatch has no data directory for runs");
  }
  RunFilter filter;
  if (const std::string* name = target.query.Get("name")) filter.name = *name;
  Result<int64_t> limit = ParseCount(target, "limit", 1, kMaxListLimit, kDefaultListLimit);
  if (!limit.ok()) return JsonError(400, limit.status().message());
  filter.limit = static_cast<size_t>(*limit);
  Result<int64_t> before = ParseCount(target, "before", 1, INT64_MAX, 0);
  if (!before.ok()) return JsonError(400, before.status().message());
  filter.before_id = *before;
  Result<std::unique_ptr<RunDb>> db = OpenRuns(options_.runs_db_path);
  if (!db.ok()) {
    if (db.status().code() == Status::Code::kUnavailable) return JsonOk(RunListJson({}));
    return JsonError(HttpStatusOf(db.status()), db.status().message());
  }
  Result<std::vector<RunRecord>> runs = (*db)->List(filter);
  if (!runs.ok()) return JsonError(HttpStatusOf(runs.status()), runs.status().message());
  return JsonOk(RunListJson(*runs));
}

HttpResponse ApiHandler::Run(const HttpRequest&, const RequestTarget& target,
                             std::string_view param) const {
  if (options_.runs_db_path.empty()) {
    return JsonError(503, "this perfwatch has no data directory for runs");
  }
  Result<int64_t> id = ParseInt64(param);
  if (!id.ok() || *id < 1) {
    return JsonError(400, "invalid run id \"" + std::string(param) +
                              "\": expected a positive "
                              "integer (the id GET /api/v1/runs lists)");
  }
  RunParts parts;
  Result<bool> timeline = ParseFlag(target, "timeline");
  if (!timeline.ok()) return JsonError(400, timeline.status().message());
  Result<bool> points = ParseFlag(target, "app_points");
  if (!points.ok()) return JsonError(400, points.status().message());
  parts.timeline = *timeline;
  parts.app_points = *points;
  Result<std::unique_ptr<RunDb>> db = OpenRuns(options_.runs_db_path);
  if (!db.ok()) {
    if (db.status().code() == Status::Code::kUnavailable) {
      return JsonError(404, "no run with id " + std::to_string(*id));
    }
    return JsonError(HttpStatusOf(db.status()), db.status().message());
  }
  Result<RunRecord> run = (*db)->Get(*id, parts);
  if (!run.ok()) return JsonError(HttpStatusOf(run.status()), run.status().message());
  return JsonOk(RunJson(*run, parts.timeline, parts.app_points));
}

}  // namespace perfwatch
