// BenchToJson and ParseBenchJson: hyperfine 1.15's JSON shape extended with
// perfwatch's figures (see export.h), and reading either back.

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <exception>
#include <nlohmann/json.hpp>

#include "bench/export.h"

namespace perfwatch {

namespace {

// ordered_json keeps hyperfine's key order on output and the parameters'
// order on input.
using Json = nlohmann::ordered_json;

// Not-a-number has no JSON spelling; null says "no figure".
Json Number(double v) { return std::isfinite(v) ? Json(v) : Json(nullptr); }

Json Bytes(double v) {
  if (!std::isfinite(v) || v < 0) return nullptr;
  return static_cast<uint64_t>(std::llround(v));
}

Json Optional(const std::optional<double>& v) { return v ? Number(*v) : Json(nullptr); }

Json ResultToJson(const CommandResult& r, const Relative& rel) {
  Json j;
  j["command"] = r.command;
  j["mean"] = Number(r.time.mean);
  // hyperfine writes null for the deviation of a single run.
  j["stddev"] = r.runs.size() > 1 || r.time.stddev > 0 ? Number(r.time.stddev) : Json(nullptr);
  j["median"] = Number(r.time.median);
  j["user"] = Number(r.user.mean);
  j["system"] = Number(r.system.mean);
  j["min"] = Number(r.time.min);
  j["max"] = Number(r.time.max);
  Json times = Json::array(), exit_codes = Json::array(), user_times = Json::array(),
       system_times = Json::array(), memory = Json::array();
  for (const BenchRun& run : r.runs) {
    times.push_back(Number(run.wall_seconds));
    // hyperfine has no exit code for a run killed by a signal.
    const bool killed = run.signal != 0 || run.exit_code < 0;
    exit_codes.push_back(killed ? Json(nullptr) : Json(run.exit_code));
    user_times.push_back(Number(run.user_seconds));
    system_times.push_back(Number(run.system_seconds));
    memory.push_back(Bytes(run.peak_rss_bytes));
  }
  j["times"] = std::move(times);
  j["exit_codes"] = std::move(exit_codes);
  if (!r.parameters.empty()) {
    Json params = Json::object();
    for (const auto& [name, value] : r.parameters) params[name] = value;
    j["parameters"] = std::move(params);
  }
  j["peak_rss_bytes"] = Bytes(r.peak_rss_bytes);
  j["peak_rss_median_bytes"] = Bytes(r.peak_rss_median_bytes);
  j["memory_usage_byte"] = std::move(memory);
  j["cpu_percent"] = Number(r.cpu_percent);
  j["throughput_mb_s"] = Optional(r.throughput_mb_s);
  j["input_bytes"] = r.input_bytes ? Bytes(*r.input_bytes) : Json(nullptr);
  j["success_rate"] = Number(r.success_rate);
  j["outliers"] = r.time.outliers;
  j["user_times"] = std::move(user_times);
  j["system_times"] = std::move(system_times);
  j["relative"] = rel.ratio > 0 ? Number(rel.ratio) : Json(nullptr);
  j["relative_uncertainty"] = rel.ratio > 0 ? Number(rel.uncertainty) : Json(nullptr);
  j["error"] = r.error.empty() ? Json(nullptr) : Json(r.error);
  j["interrupted"] = r.interrupted;
  return j;
}

// A count or exit code read as a double; out-of-range values saturate
// instead of overflowing.
int ToInt(double v) {
  if (!std::isfinite(v)) return -1;
  return static_cast<int>(std::clamp(v, -2147483648.0, 2147483647.0));
}

// Reading: every accessor names the JSON path of what it rejects.
class Reader {
 public:
  const std::string& error() const { return error_; }
  bool failed() const { return !error_.empty(); }

  void Fail(const std::string& path, const std::string& what) {
    if (error_.empty()) error_ = path + ": " + what;
  }

  // A number, or nullopt when absent or null.
  std::optional<double> Num(const Json& obj, const std::string& key, const std::string& path) {
    auto it = obj.find(key);
    if (it == obj.end() || it->is_null()) return std::nullopt;
    if (!it->is_number()) {
      Fail(path + "." + key, "expected a number, got " + std::string(it->type_name()));
      return std::nullopt;
    }
    return it->get<double>();
  }

  std::optional<std::string> Str(const Json& obj, const std::string& key, const std::string& path) {
    auto it = obj.find(key);
    if (it == obj.end() || it->is_null()) return std::nullopt;
    if (!it->is_string()) {
      Fail(path + "." + key, "expected a string, got " + std::string(it->type_name()));
      return std::nullopt;
    }
    return it->get<std::string>();
  }

  std::optional<bool> Bool(const Json& obj, const std::string& key, const std::string& path) {
    auto it = obj.find(key);
    if (it == obj.end() || it->is_null()) return std::nullopt;
    if (!it->is_boolean()) {
      Fail(path + "." + key, "expected true or false, got " + std::string(it->type_name()));
      return std::nullopt;
    }
    return it->get<bool>();
  }

  // An array of numbers (null entries allowed when `nulls` is set, read as
  // NaN); nullopt when absent.
  std::optional<std::vector<double>> Numbers(const Json& obj, const std::string& key,
                                             const std::string& path, bool nulls) {
    auto it = obj.find(key);
    if (it == obj.end() || it->is_null()) return std::nullopt;
    const std::string here = path + "." + key;
    if (!it->is_array()) {
      Fail(here, "expected an array, got " + std::string(it->type_name()));
      return std::nullopt;
    }
    std::vector<double> out;
    for (size_t i = 0; i < it->size(); ++i) {
      const Json& v = (*it)[i];
      if (v.is_number()) {
        out.push_back(v.get<double>());
      } else if (v.is_null() && nulls) {
        out.push_back(NAN);
      } else {
        Fail(here + "[" + std::to_string(i) + "]",
             "expected a number, got " + std::string(v.type_name()));
        return std::nullopt;
      }
    }
    return out;
  }

 private:
  std::string error_;
};

// The per-run arrays must line up with "times".
bool SameLength(Reader& in, const std::optional<std::vector<double>>& v, size_t n,
                const std::string& path) {
  if (!v || v->size() == n) return true;
  in.Fail(path, "has " + std::to_string(v->size()) + " entries but times has " + std::to_string(n));
  return false;
}

void ReadParameters(Reader& in, const Json& j, const std::string& path, CommandResult& r) {
  auto it = j.find("parameters");
  if (it == j.end() || it->is_null()) return;
  if (!it->is_object()) {
    in.Fail(path + ".parameters", "expected an object, got " + std::string(it->type_name()));
    return;
  }
  for (const auto& [name, value] : it->items()) {
    if (value.is_string()) {
      r.parameters.emplace_back(name, value.get<std::string>());
    } else if (value.is_number()) {
      r.parameters.emplace_back(name, value.dump());
    } else {
      in.Fail(path + ".parameters." + name,
              "expected a string, got " + std::string(value.type_name()));
      return;
    }
  }
}

void ReadRuns(Reader& in, const Json& j, const std::string& path, CommandResult& r,
              std::optional<double> user_mean, std::optional<double> system_mean) {
  const auto times = in.Numbers(j, "times", path, false);
  const auto codes = in.Numbers(j, "exit_codes", path, true);
  const auto user = in.Numbers(j, "user_times", path, false);
  const auto system = in.Numbers(j, "system_times", path, false);
  const auto memory = in.Numbers(j, "memory_usage_byte", path, true);
  if (in.failed() || !times) return;
  const size_t n = times->size();
  if (!SameLength(in, codes, n, path + ".exit_codes") ||
      !SameLength(in, user, n, path + ".user_times") ||
      !SameLength(in, system, n, path + ".system_times") ||
      !SameLength(in, memory, n, path + ".memory_usage_byte")) {
    return;
  }
  for (size_t i = 0; i < n; ++i) {
    BenchRun run;
    run.wall_seconds = (*times)[i];
    // hyperfine has only the means of user and system time.
    run.user_seconds = user ? (*user)[i] : user_mean.value_or(0);
    run.system_seconds = system ? (*system)[i] : system_mean.value_or(0);
    if (memory && std::isfinite((*memory)[i])) run.peak_rss_bytes = (*memory)[i];
    if (codes) {
      const double code = (*codes)[i];
      run.exit_code = ToInt(code);
    }
    if (run.wall_seconds > 0) {
      run.cpu_percent = (run.user_seconds + run.system_seconds) / run.wall_seconds * 100;
    }
    r.runs.push_back(run);
  }
}

// Whether the exported mean covers failed runs too (--ignore-failure): the
// export does not say, but the mean of all times does.
bool CountsFailures(const CommandResult& r, double mean) {
  double sum = 0;
  bool any_failed = false;
  for (const BenchRun& run : r.runs) {
    sum += run.wall_seconds;
    any_failed |= !run.ok();
  }
  if (!any_failed || r.runs.empty()) return false;
  return std::abs(sum / r.runs.size() - mean) <= 1e-9 * std::max(1.0, std::abs(mean));
}

std::optional<CommandResult> ReadResult(Reader& in, const Json& j, const std::string& path) {
  if (!j.is_object()) {
    in.Fail(path, "expected an object, got " + std::string(j.type_name()));
    return std::nullopt;
  }
  CommandResult r;
  const auto command = in.Str(j, "command", path);
  if (!in.failed() && !command) in.Fail(path + ".command", "missing");
  const auto mean = in.Num(j, "mean", path);
  if (!in.failed() && !mean) in.Fail(path + ".mean", "missing");
  const auto stddev = in.Num(j, "stddev", path);
  const auto median = in.Num(j, "median", path);
  const auto user = in.Num(j, "user", path);
  const auto system = in.Num(j, "system", path);
  const auto min = in.Num(j, "min", path);
  const auto max = in.Num(j, "max", path);
  const auto peak = in.Num(j, "peak_rss_bytes", path);
  const auto peak_median = in.Num(j, "peak_rss_median_bytes", path);
  const auto cpu = in.Num(j, "cpu_percent", path);
  const auto throughput = in.Num(j, "throughput_mb_s", path);
  const auto input = in.Num(j, "input_bytes", path);
  const auto success = in.Num(j, "success_rate", path);
  const auto outliers = in.Num(j, "outliers", path);
  const auto error = in.Str(j, "error", path);
  const auto interrupted = in.Bool(j, "interrupted", path);
  if (in.failed()) return std::nullopt;
  r.command = *command;
  ReadParameters(in, j, path, r);
  ReadRuns(in, j, path, r, user, system);
  if (in.failed()) return std::nullopt;
  r.input_bytes = input;
  Summarize(r, CountsFailures(r, *mean));
  // The exported figures win over what the runs give back: hyperfine's
  // export has no per-run user and system times, and a figure that was
  // written is the one to compare with.
  r.time.mean = *mean;
  if (stddev) r.time.stddev = *stddev;
  if (median) r.time.median = *median;
  if (min) r.time.min = *min;
  if (max) r.time.max = *max;
  if (user) r.user.mean = *user;
  if (system) r.system.mean = *system;
  if (peak) r.peak_rss_bytes = *peak;
  if (peak_median) r.peak_rss_median_bytes = *peak_median;
  if (cpu) r.cpu_percent = *cpu;
  if (throughput) r.throughput_mb_s = *throughput;
  if (success) r.success_rate = *success;
  if (outliers) r.time.outliers = std::max(0, ToInt(*outliers));
  if (r.runs.empty() && !success) r.success_rate = 1;  // hyperfine wrote it: it ran
  r.error = error.value_or("");
  r.interrupted = interrupted.value_or(false);
  return r;
}

void ReadPerfwatch(Reader& in, const Json& top, BenchReport& report) {
  auto it = top.find("perfwatch");
  if (it == top.end() || it->is_null()) return;
  if (!it->is_object()) {
    in.Fail("perfwatch", "expected an object, got " + std::string(it->type_name()));
    return;
  }
  const Json& p = *it;
  report.started_at = in.Str(p, "started_at", "perfwatch").value_or("");
  report.host = in.Str(p, "host", "perfwatch").value_or("");
  report.shell = in.Str(p, "shell", "perfwatch").value_or("");
  report.shell_spawn_seconds = in.Num(p, "shell_spawn_seconds", "perfwatch").value_or(0);
  report.interrupted = in.Bool(p, "interrupted", "perfwatch").value_or(false);
  report.warmup = std::max(0, ToInt(in.Num(p, "warmup", "perfwatch").value_or(0)));
}

Result<BenchReport> ParseTree(const Json& top) {
  if (!top.is_object()) {
    return Status::InvalidArgument("(top level): expected an object with \"results\", got " +
                                   std::string(top.type_name()));
  }
  auto results = top.find("results");
  if (results == top.end()) return Status::InvalidArgument("results: missing");
  if (!results->is_array()) {
    return Status::InvalidArgument("results: expected an array, got " +
                                   std::string(results->type_name()));
  }
  Reader in;
  BenchReport report;
  for (size_t i = 0; i < results->size(); ++i) {
    auto r = ReadResult(in, (*results)[i], "results[" + std::to_string(i) + "]");
    if (!r) return Status::InvalidArgument(in.error());
    report.results.push_back(std::move(*r));
  }
  ReadPerfwatch(in, top, report);
  if (in.failed()) return Status::InvalidArgument(in.error());
  return report;
}

}  // namespace

std::string BenchToJson(const BenchReport& report) {
  const std::vector<Relative> relative = RelativeSpeeds(report.results);
  Json results = Json::array();
  for (size_t i = 0; i < report.results.size(); ++i) {
    results.push_back(ResultToJson(report.results[i], relative[i]));
  }
  Json top;
  top["results"] = std::move(results);
  top["perfwatch"] = {{"version", PERFWATCH_VERSION},
                      {"started_at", report.started_at},
                      {"host", report.host},
                      {"shell", report.shell},
                      {"shell_spawn_seconds", Number(report.shell_spawn_seconds)},
                      {"warmup", report.warmup},
                      {"interrupted", report.interrupted}};
  // Invalid UTF-8 in a command becomes U+FFFD instead of an exception.
  return top.dump(2, ' ', false, Json::error_handler_t::replace) + "\n";
}

Result<BenchReport> ParseBenchJson(const std::string& text) {
  try {
    Json top = Json::parse(text);
    return ParseTree(top);
  } catch (const Json::parse_error& e) {
    return Status::InvalidArgument("not JSON: byte " + std::to_string(e.byte) + ": " +
                                   std::string(e.what()));
  } catch (const std::exception& e) {
    return Status::InvalidArgument(std::string("unreadable JSON: ") + e.what());
  }
}

}  // namespace perfwatch
