// BenchToCsv and BenchToMarkdown: hyperfine's two tabular exports with
// perfwatch's resource columns appended.

#include <algorithm>
#include <cmath>

#include "bench/bench_text.h"
#include "bench/export.h"

namespace perfwatch {

namespace {

using bench_text::Fixed;
using bench_text::Shortest;

// RFC 4180: a field holding a comma, quote or line break is quoted, and its
// quotes doubled.
std::string CsvField(const std::string& s) {
  if (s.find_first_of(",\"\r\n") == std::string::npos) return s;
  std::string out = "\"";
  for (char c : s) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

// The parameter names of all results, in order of first appearance (hyperfine
// takes the first result's; a union also covers partial reports).
std::vector<std::string> ParameterNames(const BenchReport& report) {
  std::vector<std::string> names;
  for (const CommandResult& r : report.results) {
    for (const auto& [name, value] : r.parameters) {
      if (std::find(names.begin(), names.end(), name) == names.end()) names.push_back(name);
    }
  }
  return names;
}

std::string ParameterValue(const CommandResult& r, const std::string& name) {
  for (const auto& [n, v] : r.parameters) {
    if (n == name) return v;
  }
  return "";
}

std::string CsvBytes(double v) {
  return std::isfinite(v) ? std::to_string(static_cast<long long>(std::llround(v))) : "";
}

// A command as Markdown inline code: `|` escaped so the table holds, line
// breaks flattened, and a longer backtick fence when it contains backticks.
std::string MarkdownCode(const std::string& command) {
  std::string text;
  for (char c : command) {
    if (c == '|') {
      text += "\\|";
    } else if (c == '\n' || c == '\r') {
      text += ' ';
    } else {
      text += c;
    }
  }
  if (text.find('`') == std::string::npos) return "`" + text + "`";
  return "`` " + text + " ``";
}

bool HasCountedRuns(const Relative& rel) { return rel.ratio > 0; }

}  // namespace

std::string BenchToCsv(const BenchReport& report) {
  const std::vector<std::string> params = ParameterNames(report);
  std::string out = "command,mean,stddev,median,user,system,min,max";
  for (const std::string& name : params) out += "," + CsvField("parameter_" + name);
  out += ",peak_rss_bytes,cpu_percent,throughput_mb_s,success_rate\n";
  for (const CommandResult& r : report.results) {
    out += CsvField(r.command);
    for (double v : {r.time.mean, r.time.stddev, r.time.median, r.user.mean, r.system.mean,
                     r.time.min, r.time.max}) {
      out += "," + Shortest(v);
    }
    for (const std::string& name : params) out += "," + CsvField(ParameterValue(r, name));
    out += "," + CsvBytes(r.peak_rss_bytes);
    out += "," + Shortest(r.cpu_percent);
    out += "," + (r.throughput_mb_s ? Shortest(*r.throughput_mb_s) : std::string());
    out += "," + Shortest(r.success_rate) + "\n";
  }
  return out;
}

std::string BenchToMarkdown(const BenchReport& report) {
  const std::vector<Relative> relative = RelativeSpeeds(report.results);
  // hyperfine prints milliseconds with one decimal and seconds with three.
  // It picks the unit from the first result; the fastest keeps the quick
  // commands readable when a slow one comes first.
  double fastest = INFINITY;
  for (size_t i = 0; i < relative.size(); ++i) {
    if (HasCountedRuns(relative[i])) fastest = std::min(fastest, report.results[i].time.mean);
  }
  const bool ms = !(fastest >= 1);
  const char* unit = ms ? "ms" : "s";
  const double scale = ms ? 1e3 : 1;
  const int decimals = ms ? 1 : 3;
  const auto t = [&](double seconds) { return Fixed(seconds * scale, decimals); };

  std::string out = std::string("| Command | Mean [") + unit + "] | Min [" + unit + "] | Max [" +
                    unit + "] | Relative | Peak RSS | CPU | Throughput |\n";
  out += "|:---|---:|---:|---:|---:|---:|---:|---:|\n";
  for (size_t i = 0; i < report.results.size(); ++i) {
    const CommandResult& r = report.results[i];
    const Relative& rel = relative[i];
    out += "| " + MarkdownCode(r.command) + " | ";
    if (!HasCountedRuns(rel)) {
      out += "- | - | - | - | - | - | - |\n";
      continue;
    }
    out += t(r.time.mean) + " ± " + t(r.time.stddev) + " | " + t(r.time.min) + " | " +
           t(r.time.max) + " | ";
    out += rel.fastest ? "1.00" : Fixed(rel.ratio, 2) + " ± " + Fixed(rel.uncertainty, 2);
    out += " | " + (r.peak_rss_bytes > 0 ? bench_text::HumanBytes(r.peak_rss_bytes) : "-");
    out += " | " + Fixed(r.cpu_percent, 0) + "%";
    out += " | " +
           (r.throughput_mb_s ? bench_text::Significant(*r.throughput_mb_s) + " MB/s" : "-") +
           " |\n";
  }
  return out;
}

}  // namespace perfwatch
