#include "runs/run_text.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <ctime>
#include <nlohmann/json.hpp>

namespace perfwatch {
namespace {

// Timeline rows shown by RunReport: about one per second, at most this many.
constexpr size_t kMaxTimelineRows = 20;
constexpr size_t kSparkWidth = 60;

std::string Num(double v) {
  if (!std::isfinite(v)) return "-";
  return fmt::format("{:.6g}", v);
}

std::string Percent(double v) { return std::isfinite(v) ? fmt::format("{:.1f}", v) : "-"; }

// Pads to `width` columns; block characters and other UTF-8 count as one.
std::string Pad(const std::string& s, size_t width) {
  size_t columns = 0;
  for (unsigned char c : s) columns += (c & 0xC0) != 0x80;
  return columns >= width ? s + " " : s + std::string(width - columns, ' ');
}

std::string Truncate(const std::string& s, size_t width) {
  return s.size() <= width ? s : s.substr(0, width - 1) + "~";
}

std::string Exit(const RunRecord& r) {
  switch (r.status) {
    case RunStatus::kRunning:
      return "running";
    case RunStatus::kInterrupted:
      return "interrupted";
    default:
      break;
  }
  if (r.signal != 0) return "signal " + std::to_string(r.signal);
  return std::to_string(r.exit_code);
}

std::string Outcome(const RunRecord& r) {
  std::string s(ToString(r.status));
  if (r.status == RunStatus::kRunning) return s;
  if (r.signal != 0) return s + ", killed by signal " + std::to_string(r.signal);
  return s + ", exit " + std::to_string(r.exit_code);
}

std::string Command(const std::vector<std::string>& argv) {
  std::string out;
  for (const std::string& a : argv) {
    if (!out.empty()) out += ' ';
    const bool quote = a.empty() || a.find_first_of(" \t\n'\"\\$`*?;&|<>()") != std::string::npos;
    if (!quote) {
      out += a;
      continue;
    }
    out += '\'';
    for (char c : a) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
    out += '\'';
  }
  return out;
}

std::string MetricLabel(const MetricSummary& m) {
  std::string s = m.metric;
  if (!m.tags.empty()) s += "{" + m.tags + "}";
  return s;
}

std::string FormatFigure(const std::optional<double>& v, const std::string& unit) {
  if (!v) return "-";
  if (unit == "s") return FormatSeconds(*v);
  if (unit == "bytes") return FormatBytes(*v);
  if (unit == "%") return Percent(*v) + " %";
  return Num(*v);
}

std::string FormatChange(const std::optional<double>& change) {
  if (!change) return "";
  return fmt::format(" ({:+.1f}%)", *change);
}

std::string TimelineSection(const RunRecord& r) {
  std::string out = fmt::format("\nTimeline ({} samples, every {} ms)\n", r.timeline.size(),
                                r.sample_interval_ms);
  if (r.timeline.empty()) return out + "  (none: the command ended before the first sample)\n";
  std::vector<double> cpu, rss, threads, procs;
  for (const TimelinePoint& p : r.timeline) {
    cpu.push_back(p.cpu_percent);
    rss.push_back(p.rss_bytes);
    threads.push_back(static_cast<double>(p.threads));
    procs.push_back(static_cast<double>(p.processes));
  }
  auto max_of = [](const std::vector<double>& v) { return *std::max_element(v.begin(), v.end()); };
  out += "  CPU %    " + Sparkline(cpu, kSparkWidth, true) + "  max " + Percent(max_of(cpu)) + "\n";
  out += "  RSS      " + Sparkline(rss, kSparkWidth, true) + "  max " + FormatBytes(max_of(rss)) +
         "\n";
  out += "  threads  " + Sparkline(threads, kSparkWidth, true) + "  max " + Num(max_of(threads)) +
         "\n";
  out += "  procs    " + Sparkline(procs, kSparkWidth, true) + "  max " + Num(max_of(procs)) + "\n";
  out += fmt::format("  {:>8}  {:>7}  {:>10}  {:>7}  {:>5}  {:>10}  {:>10}\n", "t", "CPU %", "RSS",
                     "threads", "procs", "read", "written");
  // About one row a second, thinned to kMaxTimelineRows, the last always.
  const int64_t span = r.timeline.back().t_ms;
  const int64_t step = std::max<int64_t>(1000, (span + static_cast<int64_t>(kMaxTimelineRows) - 1) /
                                                   static_cast<int64_t>(kMaxTimelineRows));
  int64_t next = 0;
  for (size_t i = 0; i < r.timeline.size(); ++i) {
    const TimelinePoint& p = r.timeline[i];
    if (p.t_ms < next && i + 1 != r.timeline.size()) continue;
    next = (p.t_ms / step + 1) * step;
    out += fmt::format("  {:>8}  {:>7}  {:>10}  {:>7}  {:>5}  {:>10}  {:>10}\n",
                       FormatSeconds(static_cast<double>(p.t_ms) / 1000), Percent(p.cpu_percent),
                       FormatBytes(p.rss_bytes), p.threads, p.processes,
                       FormatBytes(static_cast<double>(p.read_bytes)),
                       FormatBytes(static_cast<double>(p.write_bytes)));
  }
  return out;
}

std::string MetricsSection(const RunRecord& r) {
  std::string out =
      fmt::format("\nApplication metrics ({} values received, {} dropped, {} bad lines{})\n",
                  r.app_points_received, r.app_points_dropped, r.app_bad_lines,
                  r.statsd_address.empty() ? "" : "; StatsD on " + r.statsd_address);
  if (r.metrics.empty()) {
    return out +
           "  (none: send StatsD lines to $PERFWATCH_STATSD, or use "
           "include/perfwatch/client.hpp)\n";
  }
  size_t width = 6;
  for (const MetricSummary& m : r.metrics) width = std::max(width, MetricLabel(m).size() + 1);
  width = std::min<size_t>(width, 40);
  out += "  " + Pad("METRIC", width) +
         fmt::format("{:<4} {:>8} {:>11} {:>11} {:>11} {:>11} {:>11} {:>11} {:>11}\n", "TYPE",
                     "COUNT", "SUM", "MIN", "MEAN", "MAX", "LAST", "P50", "P95");
  for (const MetricSummary& m : r.metrics) {
    out += "  " + Pad(Truncate(MetricLabel(m), width - 1), width) +
           fmt::format("{:<4} {:>8} {:>11} {:>11} {:>11} {:>11} {:>11} {:>11} {:>11}\n", m.type,
                       m.count, Num(m.sum), Num(m.min), Num(m.mean), Num(m.max), Num(m.last),
                       m.p50 ? Num(*m.p50) : "-", m.p95 ? Num(*m.p95) : "-");
    if (m.type != "g" || m.count < 2) continue;
    // A gauge over the run (fitness per generation) reads best as a shape.
    std::vector<double> values;
    for (const AppPoint& p : r.app_points) {
      if (p.metric == m.metric && p.type == m.type && p.tags == m.tags) values.push_back(p.value);
    }
    if (values.size() >= 2) out += "    " + Sparkline(values, kSparkWidth, false) + "\n";
  }
  return out;
}

std::optional<double> ChangePercent(const std::optional<double>& base,
                                    const std::optional<double>& v) {
  if (!base || !v) return std::nullopt;
  if (*base == 0) return std::nullopt;  // no meaningful ratio
  return (*v - *base) / std::fabs(*base) * 100;
}

void AddResourceFigures(const std::vector<RunRecord>& runs, std::vector<ComparedFigure>& rows) {
  struct Resource {
    const char* label;
    const char* figure;
    const char* unit;
    double (*get)(const RunRecord&);
  };
  static const Resource kResources[] = {
      {"wall", "wall_seconds", "s", [](const RunRecord& r) { return r.wall_seconds; }},
      {"user", "user_seconds", "s", [](const RunRecord& r) { return r.user_seconds; }},
      {"sys", "system_seconds", "s", [](const RunRecord& r) { return r.system_seconds; }},
      {"CPU", "cpu_percent", "%", [](const RunRecord& r) { return r.cpu_percent; }},
      {"peak RSS", "peak_rss_bytes", "bytes", [](const RunRecord& r) { return r.peak_rss_bytes; }},
      {"read", "read_bytes", "bytes",
       [](const RunRecord& r) { return static_cast<double>(r.read_bytes); }},
      {"written", "write_bytes", "bytes",
       [](const RunRecord& r) { return static_cast<double>(r.write_bytes); }},
      {"exit", "exit_status", "",
       [](const RunRecord& r) { return static_cast<double>(r.ShellExitStatus()); }},
  };
  for (const Resource& res : kResources) {
    ComparedFigure row;
    row.label = res.label;
    row.figure = res.figure;
    row.unit = res.unit;
    for (const RunRecord& r : runs) row.values.push_back(res.get(r));
    rows.push_back(std::move(row));
  }
}

// The statistics worth comparing for a metric of `type`.
std::vector<std::string> StatsFor(const std::string& type) {
  if (type == "c") return {"count", "sum"};
  if (type == "g") return {"last", "min", "max", "mean"};
  if (type == "s") return {"distinct"};
  return {"count", "mean", "p50", "p95", "max"};
}

std::optional<double> Stat(const MetricSummary& m, const std::string& stat) {
  if (stat == "count") return static_cast<double>(m.count);
  if (stat == "sum") return m.sum;
  if (stat == "min") return m.min;
  if (stat == "max") return m.max;
  if (stat == "mean") return m.mean;
  if (stat == "last" || stat == "distinct") return m.last;
  if (stat == "p50") return m.p50;
  if (stat == "p95") return m.p95;
  return std::nullopt;
}

}  // namespace

std::string FormatBytes(double bytes) {
  if (!std::isfinite(bytes)) return "-";
  static const char* kUnits[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  size_t unit = 0;
  double v = bytes;
  while (std::fabs(v) >= 1024 && unit + 1 < std::size(kUnits)) {
    v /= 1024;
    ++unit;
  }
  if (unit == 0) return fmt::format("{:.0f} B", v);
  return fmt::format("{:.{}f} {}", v, std::fabs(v) < 10 ? 2 : 1, kUnits[unit]);
}

std::string FormatSeconds(double seconds) {
  if (!std::isfinite(seconds)) return "-";
  if (seconds < 1) return fmt::format("{:.0f} ms", seconds * 1000);
  if (seconds < 60) return fmt::format("{:.2f} s", seconds);
  const int64_t s = static_cast<int64_t>(std::llround(seconds));
  if (s < 3600) return fmt::format("{}m{:02}s", s / 60, s % 60);
  return fmt::format("{}h{:02}m", s / 3600, s / 60 % 60);
}

std::string FormatLocalTime(int64_t ms_since_epoch) {
  const std::time_t t = static_cast<std::time_t>(ms_since_epoch / 1000);
  std::tm tm{};
  localtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S", &tm);
  return buf;
}

std::string Sparkline(const std::vector<double>& values, size_t width, bool from_zero) {
  static const char* kBlocks[] = {"▁", "▂", "▃", "▄", "▅", "▆", "▇", "█"};
  if (values.empty() || width == 0) return "";
  std::vector<double> cells;
  const size_t n = std::min(width, values.size());
  for (size_t c = 0; c < n; ++c) {
    const size_t from = c * values.size() / n, to = (c + 1) * values.size() / n;
    double sum = 0;
    for (size_t i = from; i < to; ++i) sum += values[i];
    cells.push_back(sum / static_cast<double>(to - from));
  }
  auto [min, max] = std::minmax_element(cells.begin(), cells.end());
  const double lo = from_zero ? std::min(0.0, *min) : *min, hi = *max;
  std::string out;
  for (double v : cells) {
    const double f = hi > lo ? (v - lo) / (hi - lo) : 0;
    out += kBlocks[std::clamp(static_cast<int>(f * 7 + 0.5), 0, 7)];
  }
  return out;
}

std::string RunsTable(const std::vector<RunRecord>& runs) {
  std::string out =
      fmt::format("{:>6}  {:<20}  {:<19}  {:>9}  {:<11} {:>10}  {:>6}  {:>7}\n", "ID", "NAME",
                  "STARTED", "DURATION", "EXIT", "PEAK RSS", "CPU %", "METRICS");
  for (const RunRecord& r : runs) {
    out +=
        fmt::format("{:>6}  {:<20}  {:<19}  {:>9}  {:<11} {:>10}  {:>6}  {:>7}\n", r.id,
                    Truncate(r.name, 20), FormatLocalTime(r.started_ms),
                    r.status == RunStatus::kRunning ? "-" : FormatSeconds(r.wall_seconds), Exit(r),
                    FormatBytes(r.peak_rss_bytes), Percent(r.cpu_percent), r.metric_count);
  }
  return out;
}

std::string RunSummary(const RunRecord& r) {
  std::string out = fmt::format("perfwatch run #{} {}: {}\n", r.id, r.name, Outcome(r));
  if (!r.error.empty()) out += "  " + r.error + "\n";
  out += fmt::format("  wall {}, user {}, sys {}, CPU {} %\n", FormatSeconds(r.wall_seconds),
                     FormatSeconds(r.user_seconds), FormatSeconds(r.system_seconds),
                     Percent(r.cpu_percent));
  out += fmt::format("  peak RSS {}, read {}, written {}, {} samples\n",
                     FormatBytes(r.peak_rss_bytes), FormatBytes(static_cast<double>(r.read_bytes)),
                     FormatBytes(static_cast<double>(r.write_bytes)), r.timeline.size());
  out += fmt::format("  metrics: {} ({} values", r.metrics.size(), r.app_points_received);
  if (r.app_points_dropped > 0)
    out += fmt::format(", {} dropped over the cap", r.app_points_dropped);
  if (r.app_bad_lines > 0) out += fmt::format(", {} bad lines", r.app_bad_lines);
  out += fmt::format(")  ->  perfwatch runs show {}\n", r.id);
  return out;
}

std::string RunReport(const RunRecord& r) {
  std::string out = fmt::format("Run #{}  {}  ({})\n", r.id, r.name, Outcome(r));
  out += "  command   " + Command(r.argv) + "\n";
  out += "  host      " + r.host + "\n";
  out += "  started   " + FormatLocalTime(r.started_ms);
  if (r.ended_ms > 0) out += "   ended " + FormatLocalTime(r.ended_ms);
  out += "\n";
  if (!r.error.empty()) out += "  error     " + r.error + "\n";
  out += fmt::format("  wall      {:<11} user {:<11} sys {:<11} CPU {} % (mean)\n",
                     FormatSeconds(r.wall_seconds), FormatSeconds(r.user_seconds),
                     FormatSeconds(r.system_seconds), Percent(r.cpu_percent));
  out += fmt::format("  peak RSS  {:<11} read {:<11} written {}\n", FormatBytes(r.peak_rss_bytes),
                     FormatBytes(static_cast<double>(r.read_bytes)),
                     FormatBytes(static_cast<double>(r.write_bytes)));
  out += TimelineSection(r);
  out += MetricsSection(r);
  return out;
}

std::vector<ComparedFigure> CompareRuns(const std::vector<RunRecord>& runs) {
  std::vector<ComparedFigure> rows;
  AddResourceFigures(runs, rows);
  // Every metric of any run, in key order, so a metric only the second run
  // sends still shows (with "-" for the first).
  std::vector<MetricSummary> metrics;
  for (const RunRecord& r : runs) {
    for (const MetricSummary& m : r.metrics) {
      auto same = [&](const MetricSummary& x) { return x.Key() == m.Key(); };
      if (std::none_of(metrics.begin(), metrics.end(), same)) metrics.push_back(m);
    }
  }
  std::sort(metrics.begin(), metrics.end(),
            [](const MetricSummary& a, const MetricSummary& b) { return a.Key() < b.Key(); });
  for (const MetricSummary& m : metrics) {
    for (const std::string& stat : StatsFor(m.type)) {
      ComparedFigure row;
      row.label = MetricLabel(m) + " (" + m.type + ") " + stat;
      row.figure = stat;
      row.metric = m.metric;
      row.type = m.type;
      row.tags = m.tags;
      for (const RunRecord& r : runs) {
        auto it = std::find_if(r.metrics.begin(), r.metrics.end(),
                               [&](const MetricSummary& x) { return x.Key() == m.Key(); });
        row.values.push_back(it == r.metrics.end() ? std::nullopt : Stat(*it, stat));
      }
      rows.push_back(std::move(row));
    }
  }
  for (ComparedFigure& row : rows) {
    const bool comparable = row.figure != "exit_status";
    for (size_t i = 0; i < row.values.size(); ++i) {
      row.change_percent.push_back(
          i == 0 || !comparable ? std::nullopt : ChangePercent(row.values[0], row.values[i]));
    }
  }
  return rows;
}

std::string CompareText(const std::vector<RunRecord>& runs) {
  const std::vector<ComparedFigure> rows = CompareRuns(runs);
  // Cells first, so every column is as wide as its widest cell.
  std::vector<std::vector<std::string>> cells(rows.size() + 3);
  std::vector<std::string> labels = {"", "started", "status"};
  for (const RunRecord& r : runs) {
    cells[0].push_back(fmt::format("#{} {}", r.id, r.name));
    cells[1].push_back(FormatLocalTime(r.started_ms));
    cells[2].push_back(Outcome(r));
  }
  for (size_t i = 0; i < rows.size(); ++i) {
    labels.push_back(rows[i].label);
    for (size_t c = 0; c < runs.size(); ++c) {
      cells[i + 3].push_back(FormatFigure(rows[i].values[c], rows[i].unit) +
                             FormatChange(rows[i].change_percent[c]));
    }
  }
  size_t label_width = 0;
  for (const std::string& l : labels) label_width = std::max(label_width, l.size() + 2);
  std::vector<size_t> widths(runs.size(), 0);
  for (const auto& line : cells) {
    for (size_t c = 0; c < line.size(); ++c) widths[c] = std::max(widths[c], line[c].size() + 3);
  }
  std::string out;
  for (size_t i = 0; i < cells.size(); ++i) {
    if (i == 3 + 8 && rows.size() > 8) out += "application metrics\n";
    std::string line = Pad(labels[i], label_width);
    for (size_t c = 0; c < cells[i].size(); ++c) line += Pad(cells[i][c], widths[c]);
    while (!line.empty() && line.back() == ' ') line.pop_back();
    out += line + "\n";
  }
  return out;
}

std::string CompareJson(const std::vector<RunRecord>& runs) {
  using nlohmann::ordered_json;
  auto opt = [](const std::optional<double>& v) {
    return v && std::isfinite(*v) ? ordered_json(*v) : ordered_json();
  };
  ordered_json j = ordered_json::object();
  ordered_json list = ordered_json::array();
  for (const RunRecord& r : runs) {
    list.push_back({{"id", r.id},
                    {"name", r.name},
                    {"started_ms", r.started_ms},
                    {"status", ToString(r.status)},
                    {"exit_code", r.exit_code},
                    {"signal", r.signal}});
  }
  j["runs"] = std::move(list);
  ordered_json figures = ordered_json::array();
  for (const ComparedFigure& row : CompareRuns(runs)) {
    ordered_json f = ordered_json::object();
    if (row.metric.empty()) {
      f["figure"] = row.figure;
      f["unit"] = row.unit;
    } else {
      f["metric"] = row.metric;
      f["type"] = row.type;
      f["tags"] = row.tags;
      f["stat"] = row.figure;
    }
    ordered_json values = ordered_json::array(), changes = ordered_json::array();
    for (const auto& v : row.values) values.push_back(opt(v));
    for (const auto& c : row.change_percent) changes.push_back(opt(c));
    f["values"] = std::move(values);
    f["change_percent"] = std::move(changes);
    figures.push_back(std::move(f));
  }
  j["figures"] = std::move(figures);
  return j.dump(-1, ' ', false, ordered_json::error_handler_t::replace);
}

}  // namespace perfwatch
