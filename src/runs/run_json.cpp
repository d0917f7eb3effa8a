#include "runs/run_json.h"

#include <cmath>
#include <nlohmann/json.hpp>

namespace perfwatch {
namespace {

using nlohmann::ordered_json;

// JSON has no NaN: a figure that could not be measured is null.
ordered_json Number(double v) { return std::isfinite(v) ? ordered_json(v) : ordered_json(); }

std::string Dump(const ordered_json& j) {
  return j.dump(-1, ' ', false, ordered_json::error_handler_t::replace);
}

ordered_json RowJson(const RunRecord& r) {
  ordered_json j = ordered_json::object();
  j["id"] = r.id;
  j["name"] = r.name;
  j["argv"] = r.argv;
  j["host"] = r.host;
  j["status"] = ToString(r.status);
  j["started_ms"] = r.started_ms;
  j["ended_ms"] = r.ended_ms;
  j["exit_code"] = r.exit_code;
  j["signal"] = r.signal;
  j["error"] = r.error;
  j["wall_seconds"] = Number(r.wall_seconds);
  j["user_seconds"] = Number(r.user_seconds);
  j["system_seconds"] = Number(r.system_seconds);
  j["cpu_percent"] = Number(r.cpu_percent);
  j["peak_rss_bytes"] = Number(r.peak_rss_bytes);
  j["read_bytes"] = r.read_bytes;
  j["write_bytes"] = r.write_bytes;
  j["sample_interval_ms"] = r.sample_interval_ms;
  j["app"] = {{"statsd", r.statsd_address},
              {"points_received", r.app_points_received},
              {"points_dropped", r.app_points_dropped},
              {"bad_lines", r.app_bad_lines}};
  j["metric_count"] = r.metric_count;
  return j;
}

ordered_json MetricJson(const MetricSummary& m) {
  ordered_json j = ordered_json::object();
  j["metric"] = m.metric;
  j["type"] = m.type;
  j["tags"] = m.tags;
  j["count"] = m.count;
  j["sum"] = Number(m.sum);
  j["min"] = Number(m.min);
  j["max"] = Number(m.max);
  j["mean"] = Number(m.mean);
  j["last"] = Number(m.last);
  j["p50"] = m.p50 ? Number(*m.p50) : ordered_json();
  j["p95"] = m.p95 ? Number(*m.p95) : ordered_json();
  return j;
}

ordered_json TimelineJson(const std::vector<TimelinePoint>& points) {
  ordered_json t_ms = ordered_json::array(), cpu = ordered_json::array(),
               rss = ordered_json::array(), threads = ordered_json::array(),
               processes = ordered_json::array(), read = ordered_json::array(),
               write = ordered_json::array();
  for (const TimelinePoint& p : points) {
    t_ms.push_back(p.t_ms);
    cpu.push_back(Number(std::round(p.cpu_percent * 100) / 100));
    rss.push_back(Number(p.rss_bytes));
    threads.push_back(p.threads);
    processes.push_back(p.processes);
    read.push_back(p.read_bytes);
    write.push_back(p.write_bytes);
  }
  ordered_json j = ordered_json::object();
  j["t_ms"] = std::move(t_ms);
  j["cpu_percent"] = std::move(cpu);
  j["rss_bytes"] = std::move(rss);
  j["threads"] = std::move(threads);
  j["processes"] = std::move(processes);
  j["read_bytes"] = std::move(read);
  j["write_bytes"] = std::move(write);
  return j;
}

ordered_json PointsJson(const std::vector<AppPoint>& points) {
  ordered_json out = ordered_json::array();
  for (const AppPoint& p : points) {
    ordered_json j = ordered_json::object();
    j["t_ms"] = p.t_ms;
    j["metric"] = p.metric;
    j["type"] = p.type;
    j["value"] = Number(p.value);
    if (!p.tags.empty()) j["tags"] = p.tags;
    out.push_back(std::move(j));
  }
  return out;
}

// Reading back: every field is checked, so a wrong server or a truncated
// answer is an error that names the field rather than a run of zeros.
class Reader {
 public:
  explicit Reader(const nlohmann::json& j, std::string where) : j_(j), where_(std::move(where)) {}
  const Status& status() const { return status_; }

  template <typename T>
  void Get(const char* key, T& out) {
    if (!status_.ok()) return;
    auto it = j_.find(key);
    if (it == j_.end()) {
      status_ = Status::InvalidArgument(where_ + ": missing \"" + key + "\"");
      return;
    }
    if (it->is_null()) return;  // a figure that was not measured
    try {
      out = it->get<T>();
    } catch (const nlohmann::json::exception&) {
      status_ = Status::InvalidArgument(where_ + ": \"" + key + "\" has the wrong type");
    }
  }
  void GetOpt(const char* key, std::optional<double>& out) {
    auto it = j_.find(key);
    if (it != j_.end() && it->is_number()) out = it->get<double>();
  }

 private:
  const nlohmann::json& j_;
  std::string where_;
  Status status_;
};

Result<RunRecord> ReadRow(const nlohmann::json& j, const std::string& where) {
  if (!j.is_object()) return Status::InvalidArgument(where + ": not a JSON object");
  RunRecord r;
  Reader in(j, where);
  std::string status;
  in.Get("id", r.id);
  in.Get("name", r.name);
  in.Get("argv", r.argv);
  in.Get("host", r.host);
  in.Get("status", status);
  in.Get("started_ms", r.started_ms);
  in.Get("ended_ms", r.ended_ms);
  in.Get("exit_code", r.exit_code);
  in.Get("signal", r.signal);
  in.Get("error", r.error);
  in.Get("wall_seconds", r.wall_seconds);
  in.Get("user_seconds", r.user_seconds);
  in.Get("system_seconds", r.system_seconds);
  in.Get("cpu_percent", r.cpu_percent);
  in.Get("peak_rss_bytes", r.peak_rss_bytes);
  in.Get("read_bytes", r.read_bytes);
  in.Get("write_bytes", r.write_bytes);
  in.Get("sample_interval_ms", r.sample_interval_ms);
  in.Get("metric_count", r.metric_count);
  if (!in.status().ok()) return in.status();
  std::optional<RunStatus> parsed = ParseRunStatus(status);
  if (!parsed) return Status::InvalidArgument(where + ": unknown status \"" + status + "\"");
  r.status = *parsed;
  if (auto app = j.find("app"); app != j.end() && app->is_object()) {
    Reader a(*app, where + ".app");
    a.Get("statsd", r.statsd_address);
    a.Get("points_received", r.app_points_received);
    a.Get("points_dropped", r.app_points_dropped);
    a.Get("bad_lines", r.app_bad_lines);
    if (!a.status().ok()) return a.status();
  }
  return r;
}

Status ReadMetrics(const nlohmann::json& j, RunRecord& r) {
  for (size_t i = 0; i < j.size(); ++i) {
    MetricSummary m;
    Reader in(j[i], "metrics[" + std::to_string(i) + "]");
    in.Get("metric", m.metric);
    in.Get("type", m.type);
    in.Get("tags", m.tags);
    in.Get("count", m.count);
    in.Get("sum", m.sum);
    in.Get("min", m.min);
    in.Get("max", m.max);
    in.Get("mean", m.mean);
    in.Get("last", m.last);
    in.GetOpt("p50", m.p50);
    in.GetOpt("p95", m.p95);
    if (!in.status().ok()) return in.status();
    r.metrics.push_back(std::move(m));
  }
  return Status::Ok();
}

Status ReadTimeline(const nlohmann::json& j, RunRecord& r) {
  std::vector<int64_t> t_ms, threads, processes;
  std::vector<double> cpu, rss;
  std::vector<uint64_t> read, write;
  Reader in(j, "timeline");
  in.Get("t_ms", t_ms);
  in.Get("cpu_percent", cpu);
  in.Get("rss_bytes", rss);
  in.Get("threads", threads);
  in.Get("processes", processes);
  in.Get("read_bytes", read);
  in.Get("write_bytes", write);
  if (!in.status().ok()) return in.status();
  const size_t n = t_ms.size();
  if (cpu.size() != n || rss.size() != n || threads.size() != n || processes.size() != n ||
      read.size() != n || write.size() != n) {
    return Status::InvalidArgument("timeline: columns of different lengths");
  }
  for (size_t i = 0; i < n; ++i) {
    r.timeline.push_back(
        TimelinePoint{t_ms[i], cpu[i], rss[i], threads[i], processes[i], read[i], write[i]});
  }
  return Status::Ok();
}

Status ReadPoints(const nlohmann::json& j, RunRecord& r) {
  for (size_t i = 0; i < j.size(); ++i) {
    AppPoint p;
    Reader in(j[i], "app_points[" + std::to_string(i) + "]");
    in.Get("t_ms", p.t_ms);
    in.Get("metric", p.metric);
    in.Get("type", p.type);
    in.Get("value", p.value);
    if (!in.status().ok()) return in.status();
    if (auto tags = j[i].find("tags"); tags != j[i].end() && tags->is_string()) {
      p.tags = tags->get<std::string>();
    }
    r.app_points.push_back(std::move(p));
  }
  return Status::Ok();
}

}  // namespace

std::string RunJson(const RunRecord& run, bool timeline, bool app_points) {
  ordered_json j = RowJson(run);
  ordered_json metrics = ordered_json::array();
  for (const MetricSummary& m : run.metrics) metrics.push_back(MetricJson(m));
  j["metrics"] = std::move(metrics);
  if (timeline) j["timeline"] = TimelineJson(run.timeline);
  if (app_points) j["app_points"] = PointsJson(run.app_points);
  return Dump(j);
}

std::string RunListJson(const std::vector<RunRecord>& runs) {
  ordered_json list = ordered_json::array();
  for (const RunRecord& r : runs) list.push_back(RowJson(r));
  ordered_json j = ordered_json::object();
  j["runs"] = std::move(list);
  return Dump(j);
}

Result<RunRecord> ParseRunJson(std::string_view text) {
  nlohmann::json j = nlohmann::json::parse(text, nullptr, false);
  if (j.is_discarded()) return Status::InvalidArgument("run: not valid JSON");
  Result<RunRecord> r = ReadRow(j, "run");
  if (!r.ok()) return r.status();
  if (auto m = j.find("metrics"); m != j.end() && m->is_array()) {
    if (Status s = ReadMetrics(*m, *r); !s.ok()) return s;
  }
  if (auto t = j.find("timeline"); t != j.end() && t->is_object()) {
    if (Status s = ReadTimeline(*t, *r); !s.ok()) return s;
  }
  if (auto p = j.find("app_points"); p != j.end() && p->is_array()) {
    if (Status s = ReadPoints(*p, *r); !s.ok()) return s;
  }
  return r;
}

Result<std::vector<RunRecord>> ParseRunListJson(std::string_view text) {
  nlohmann::json j = nlohmann::json::parse(text, nullptr, false);
  if (j.is_discarded()) return Status::InvalidArgument("run list: not valid JSON");
  auto runs = j.find("runs");
  if (!j.is_object() || runs == j.end() || !runs->is_array()) {
    return Status::InvalidArgument("run list: expected {\"runs\":[...]}");
  }
  std::vector<RunRecord> out;
  for (size_t i = 0; i < runs->size(); ++i) {
    Result<RunRecord> r = ReadRow((*runs)[i], "runs[" + std::to_string(i) + "]");
    if (!r.ok()) return r.status();
    out.push_back(std::move(*r));
  }
  return out;
}

}  // namespace perfwatch
