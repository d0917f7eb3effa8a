// BenchToJson, ParseBenchJson, BenchToCsv, BenchToMarkdown and BenchToHtml:
// round trips, hyperfine's shapes, escaping, and garbage in.

#include "bench/export.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <regex>
#include <string>
#include <vector>

namespace perfwatch {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

BenchRun TimedRun(double wall, double rss, int exit_code = 0, int signal = 0) {
  BenchRun r;
  r.wall_seconds = wall;
  r.user_seconds = wall * 0.6;
  r.system_seconds = wall * 0.125;
  r.peak_rss_bytes = rss;
  r.cpu_percent = 72.5;
  r.exit_code = exit_code;
  r.signal = signal;
  return r;
}

CommandResult Measured(std::string command, std::vector<double> walls, double rss = 1 << 20) {
  CommandResult r;
  r.command = std::move(command);
  for (size_t i = 0; i < walls.size(); ++i) r.runs.push_back(TimedRun(walls[i], rss + 4096.0 * i));
  Summarize(r, false);
  return r;
}

// Two parameterised commands, a failed run, a run killed by a signal, an
// interrupted command with an error, and throughput.
BenchReport RichReport() {
  BenchReport report;
  report.started_at = "2024-05-01T10:00:00Z";
  report.host = "builder";
  report.shell = "sh";
  report.shell_spawn_seconds = 0.00125;
  report.warmup = 3;
  for (const char* size : {"0.1", "1", "10"}) {
    CommandResult r =
        Measured(std::string("gzip -k data-") + size + ".bin", {0.0121, 0.0133, 0.0127, 0.0502});
    r.parameters = {{"size", size}, {"level", "6"}};
    r.input_bytes = std::stod(size) * 1e6;
    r.runs.push_back(TimedRun(0.2, 5e6, 2));
    Summarize(r, false);
    report.results.push_back(r);
  }
  CommandResult killed = Measured("sleep 5", {1.0, 1.5});
  killed.runs.push_back(TimedRun(0.3, 1000, -1, 15));
  killed.error = "interrupted by Ctrl-C";
  killed.interrupted = true;
  Summarize(killed, true);
  report.results.push_back(killed);
  report.interrupted = true;
  return report;
}

void ExpectSameStats(const Stats& a, const Stats& b) {
  EXPECT_DOUBLE_EQ(a.mean, b.mean);
  EXPECT_DOUBLE_EQ(a.stddev, b.stddev);
  EXPECT_DOUBLE_EQ(a.median, b.median);
  EXPECT_DOUBLE_EQ(a.min, b.min);
  EXPECT_DOUBLE_EQ(a.max, b.max);
}

TEST(ExportJson, RoundTripKeepsEveryFigure) {
  const BenchReport in = RichReport();
  Result<BenchReport> out = ParseBenchJson(BenchToJson(in));
  ASSERT_TRUE(out.ok()) << out.status().message();
  EXPECT_EQ(out->started_at, in.started_at);
  EXPECT_EQ(out->host, in.host);
  EXPECT_EQ(out->shell, in.shell);
  EXPECT_DOUBLE_EQ(out->shell_spawn_seconds, in.shell_spawn_seconds);
  EXPECT_EQ(out->warmup, 3);
  EXPECT_TRUE(out->interrupted);
  ASSERT_EQ(out->results.size(), in.results.size());
  for (size_t i = 0; i < in.results.size(); ++i) {
    SCOPED_TRACE("result " + std::to_string(i));
    const CommandResult& a = in.results[i];
    const CommandResult& b = out->results[i];
    EXPECT_EQ(b.command, a.command);
    EXPECT_EQ(b.parameters, a.parameters);
    ExpectSameStats(b.time, a.time);
    EXPECT_EQ(b.time.outliers, a.time.outliers);
    EXPECT_DOUBLE_EQ(b.time.mad, a.time.mad);
    EXPECT_DOUBLE_EQ(b.user.mean, a.user.mean);
    EXPECT_DOUBLE_EQ(b.system.mean, a.system.mean);
    EXPECT_DOUBLE_EQ(b.success_rate, a.success_rate);
    EXPECT_DOUBLE_EQ(b.peak_rss_bytes, a.peak_rss_bytes);
    EXPECT_DOUBLE_EQ(b.peak_rss_median_bytes, a.peak_rss_median_bytes);
    EXPECT_DOUBLE_EQ(b.cpu_percent, a.cpu_percent);
    EXPECT_EQ(b.input_bytes, a.input_bytes);
    ASSERT_EQ(b.throughput_mb_s.has_value(), a.throughput_mb_s.has_value());
    if (a.throughput_mb_s) {
      EXPECT_DOUBLE_EQ(*b.throughput_mb_s, *a.throughput_mb_s);
    }
    EXPECT_EQ(b.error, a.error);
    EXPECT_EQ(b.interrupted, a.interrupted);
    ASSERT_EQ(b.runs.size(), a.runs.size());
    for (size_t k = 0; k < a.runs.size(); ++k) {
      EXPECT_DOUBLE_EQ(b.runs[k].wall_seconds, a.runs[k].wall_seconds);
      EXPECT_DOUBLE_EQ(b.runs[k].user_seconds, a.runs[k].user_seconds);
      EXPECT_DOUBLE_EQ(b.runs[k].system_seconds, a.runs[k].system_seconds);
      EXPECT_DOUBLE_EQ(b.runs[k].peak_rss_bytes, a.runs[k].peak_rss_bytes);
      EXPECT_EQ(b.runs[k].ok(), a.runs[k].ok());
      if (a.runs[k].signal == 0) {
        EXPECT_EQ(b.runs[k].exit_code, a.runs[k].exit_code);
      }
    }
  }
  // A second trip changes nothing.
  EXPECT_EQ(BenchToJson(*out), BenchToJson(in));
}

TEST(ExportJson, HasHyperfinesFieldsAndPerfwatchsExtras) {
  const std::string json = BenchToJson(RichReport());
  for (const char* key : {"\"results\"",
                          "\"command\"",
                          "\"mean\"",
                          "\"stddev\"",
                          "\"median\"",
                          "\"user\"",
                          "\"system\"",
                          "\"min\"",
                          "\"max\"",
                          "\"times\"",
                          "\"exit_codes\"",
                          "\"parameters\"",
                          "\"peak_rss_bytes\"",
                          "\"peak_rss_median_bytes\"",
                          "\"memory_usage_byte\"",
                          "\"cpu_percent\"",
                          "\"throughput_mb_s\"",
                          "\"input_bytes\"",
                          "\"success_rate\"",
                          "\"outliers\"",
                          "\"user_times\"",
                          "\"system_times\"",
                          "\"relative\"",
                          "\"relative_uncertainty\"",
                          "\"error\"",
                          "\"interrupted\"",
                          "\"perfwatch\"",
                          "\"version\"",
                          "\"started_at\"",
                          "\"shell_spawn_seconds\""}) {
    EXPECT_THAT(json, HasSubstr(key));
  }
  // A run killed by a signal has no exit code, as in hyperfine.
  EXPECT_THAT(json, HasSubstr("null"));
}

TEST(ExportJson, GarbageGetsAnErrorNamingThePath) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"", "not JSON"},
      {"perfwatch", "not JSON"},
      {"{\"results\": [", "not JSON"},
      {"[1, 2]", "(top level)"},
      {"{}", "results: missing"},
      {"{\"results\": 3}", "results: expected an array"},
      {"{\"results\": [7]}", "results[0]: expected an object"},
      {"{\"results\": [{\"mean\": 1}]}", "results[0].command: missing"},
      {"{\"results\": [{\"command\": \"a\"}]}", "results[0].mean: missing"},
      {R"({"results": [{"command": "a", "mean": 1}, {"command": "b", "mean": "fast"}]})",
       "results[1].mean: expected a number"},
      {R"({"results": [{"command": 5, "mean": 1}]})", "results[0].command: expected a string"},
      {R"({"results": [{"command": "a", "mean": 1, "times": [1, "x"]}]})",
       "results[0].times[1]: expected a number"},
      {R"({"results": [{"command": "a", "mean": 1, "times": {}}]})",
       "results[0].times: expected an array"},
      {R"({"results": [{"command": "a", "mean": 1, "times": [1, 2], "exit_codes": [0]}]})",
       "results[0].exit_codes: has 1 entries but times has 2"},
      {R"({"results": [{"command": "a", "mean": 1, "parameters": {"n": [1]}}]})",
       "results[0].parameters.n: expected a string"},
      {R"({"results": [{"command": "a", "mean": 1, "interrupted": "yes"}]})",
       "results[0].interrupted: expected true or false"},
      {R"({"results": [], "perfwatch": {"host": 1}})", "perfwatch.host: expected a string"},
      {"{\"results\": [{\"command\": \"\xff\", \"mean\": 1}]}", "not JSON"},
  };
  for (const auto& [text, error] : cases) {
    Result<BenchReport> r = ParseBenchJson(text);
    ASSERT_FALSE(r.ok()) << text;
    EXPECT_EQ(r.status().code(), Status::Code::kInvalidArgument);
    EXPECT_THAT(r.status().message(), HasSubstr(error)) << text;
  }
}

TEST(ExportJson, SurvivesDeepNestingAndHugeNumbers) {
  const std::string deep = std::string(100000, '[') + std::string(100000, ']');
  EXPECT_FALSE(ParseBenchJson(deep).ok());
  Result<BenchReport> huge = ParseBenchJson(
      R"({"results": [{"command": "a", "mean": 1e308, "times": [1e308], "exit_codes": [1e300],
          "outliers": -1e300}]})");
  ASSERT_TRUE(huge.ok()) << huge.status().message();
  EXPECT_FALSE(huge->results[0].runs[0].ok());
  EXPECT_EQ(huge->results[0].time.outliers, 0);
}

// RFC 4180 fields of each line, for checking the CSV export.
std::vector<std::vector<std::string>> ParseCsv(const std::string& text) {
  std::vector<std::vector<std::string>> rows(1);
  std::string field;
  bool quoted = false, in_row = false;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (quoted) {
      if (c == '"' && i + 1 < text.size() && text[i + 1] == '"') {
        field += '"';
        ++i;
      } else if (c == '"') {
        quoted = false;
      } else {
        field += c;
      }
    } else if (c == '"') {
      quoted = true;
    } else if (c == ',') {
      rows.back().push_back(field);
      field.clear();
    } else if (c == '\n') {
      rows.back().push_back(field);
      field.clear();
      rows.emplace_back();
    } else {
      field += c;
    }
    in_row = true;
  }
  if (rows.back().empty()) rows.pop_back();
  (void)in_row;
  return rows;
}

TEST(ExportCsv, HasHyperfinesColumnsThenPerfwatchsAndQuotesCommands) {
  BenchReport report = RichReport();
  report.results.push_back(Measured("echo \"a,b\"", {0.001, 0.002}));
  const auto rows = ParseCsv(BenchToCsv(report));
  ASSERT_EQ(rows.size(), report.results.size() + 1);
  const std::vector<std::string> header = {"command",
                                           "mean",
                                           "stddev",
                                           "median",
                                           "user",
                                           "system",
                                           "min",
                                           "max",
                                           "parameter_size",
                                           "parameter_level",
                                           "peak_rss_bytes",
                                           "cpu_percent",
                                           "throughput_mb_s",
                                           "success_rate"};
  EXPECT_EQ(rows[0], header);
  for (const auto& row : rows) EXPECT_EQ(row.size(), header.size());
  EXPECT_EQ(rows[1][0], "gzip -k data-0.1.bin");
  EXPECT_EQ(rows[1][8], "0.1");
  EXPECT_EQ(rows[1][9], "6");
  EXPECT_DOUBLE_EQ(std::stod(rows[1][1]), report.results[0].time.mean);
  EXPECT_EQ(rows[5][0], "echo \"a,b\"");
  EXPECT_EQ(rows[5][8], "");   // no parameters
  EXPECT_EQ(rows[5][12], "");  // no input size, no throughput
}

// The cells of a Markdown table row, splitting on unescaped pipes.
std::vector<std::string> MarkdownCells(const std::string& line) {
  std::vector<std::string> cells;
  std::string cell;
  for (size_t i = 0; i < line.size(); ++i) {
    if (line[i] == '\\' && i + 1 < line.size() && line[i + 1] == '|') {
      cell += "\\|";
      ++i;
    } else if (line[i] == '|') {
      cells.push_back(cell);
      cell.clear();
    } else {
      cell += line[i];
    }
  }
  cells.push_back(cell);
  // Drop what lies outside the outer pipes, and trim.
  cells.erase(cells.begin());
  cells.pop_back();
  for (auto& c : cells) {
    c.erase(0, c.find_first_not_of(' '));
    c.erase(c.find_last_not_of(' ') + 1);
  }
  return cells;
}

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> lines;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    lines.push_back(text.substr(start, end - start));
    start = end + 1;
  }
  return lines;
}

TEST(ExportMarkdown, TableHasHyperfinesColumnsAndRelativeSpeeds) {
  BenchReport report;
  report.results.push_back(Measured("sleep 0.02", {0.020, 0.021, 0.022}));
  report.results.push_back(Measured("grep a|b", {0.010, 0.0101, 0.0099}));
  report.results.push_back(Measured("false", {}));
  report.results.back().error = "could not start";
  const auto lines = Lines(BenchToMarkdown(report));
  ASSERT_EQ(lines.size(), 5u);
  EXPECT_EQ(MarkdownCells(lines[0]),
            (std::vector<std::string>{"Command", "Mean [ms]", "Min [ms]", "Max [ms]", "Relative",
                                      "Peak RSS", "CPU", "Throughput"}));
  EXPECT_EQ(lines[1], "|:---|---:|---:|---:|---:|---:|---:|---:|");
  for (size_t i = 2; i < lines.size(); ++i) EXPECT_EQ(MarkdownCells(lines[i]).size(), 8u);
  const auto slow = MarkdownCells(lines[2]);
  EXPECT_EQ(slow[0], "`sleep 0.02`");
  EXPECT_EQ(slow[1], "21.0 ± 1.0");
  EXPECT_EQ(slow[2], "20.0");
  EXPECT_EQ(slow[3], "22.0");
  EXPECT_TRUE(std::regex_match(slow[4], std::regex(R"(\d+\.\d\d ± \d+\.\d\d)"))) << slow[4];
  EXPECT_THAT(slow[4], StartsWith("2.10 ± "));
  EXPECT_EQ(slow[5], "1.01 MiB");  // 1 MiB + 8 KiB
  const auto fast = MarkdownCells(lines[3]);
  EXPECT_EQ(fast[0], "`grep a\\|b`");
  EXPECT_EQ(fast[4], "1.00");
  EXPECT_EQ(MarkdownCells(lines[4])[1], "-");
}

TEST(ExportMarkdown, UsesSecondsWhenTheFastestTakesASecondOrMore) {
  BenchReport report;
  report.results.push_back(Measured("slow", {2.0, 2.2}));
  report.results.push_back(Measured("less slow", {1.25, 1.25}));
  const auto lines = Lines(BenchToMarkdown(report));
  ASSERT_GE(lines.size(), 4u);
  EXPECT_EQ(MarkdownCells(lines[0])[1], "Mean [s]");
  EXPECT_EQ(MarkdownCells(lines[3])[1], "1.250 ± 0.000");
}

TEST(ExportHtml, IsOnePageWithChartsAndEscapedText) {
  BenchReport report;
  report.results.push_back(Measured("<script>alert(1)</script>", {0.01, 0.012}));
  report.results.push_back(Measured("echo 'x' & \"y\"", {0.02, 0.021}));
  report.results.back().error = "exit code 1 from <b>bold</b>";
  report.host = "<img src=x onerror=alert(2)>";
  const std::string html = BenchToHtml(report);
  EXPECT_THAT(html, StartsWith("<!DOCTYPE html>"));
  EXPECT_THAT(html, HasSubstr("<svg"));
  EXPECT_THAT(html, HasSubstr("&lt;script&gt;alert(1)&lt;/script&gt;"));
  EXPECT_THAT(html, Not(HasSubstr("<script")));
  EXPECT_THAT(html, Not(HasSubstr("<b>bold")));
  EXPECT_THAT(html, Not(HasSubstr("<img")));
  EXPECT_THAT(html, HasSubstr("echo &#39;x&#39; &amp; &quot;y&quot;"));
  EXPECT_THAT(html, Not(HasSubstr("http://")));
  EXPECT_THAT(html, Not(HasSubstr("https://")));
  EXPECT_THAT(html, Not(HasSubstr("@import")));
  EXPECT_THAT(html, Not(HasSubstr("url(")));
  EXPECT_THAT(html, HasSubstr("prefers-color-scheme:dark"));
  EXPECT_THAT(html, HasSubstr("@media print"));
  EXPECT_THAT(html, Not(HasSubstr("param-chart")));  // no parameters
}

size_t Count(const std::string& text, const std::string& what) {
  size_t n = 0;
  for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

TEST(ExportHtml, DrawsFiguresAgainstParameters) {
  const std::string html = BenchToHtml(RichReport());
  // Mean time, peak RSS and throughput against size; level has one value.
  EXPECT_EQ(Count(html, "class=\"chart param-chart\""), 3u);
  EXPECT_THAT(html, HasSubstr("Throughput by size"));
  EXPECT_THAT(html, HasSubstr("size (log scale)"));  // 0.1 to 10 spans two decades
  EXPECT_THAT(html, HasSubstr("class=\"chart bars\""));
  EXPECT_THAT(html, HasSubstr("class=\"chart strips\""));
  EXPECT_THAT(html, HasSubstr("Interrupted"));
  // Three results on each parameter chart's one line.
  EXPECT_GE(Count(html, "class=\"point\""), 9u);
}

TEST(ExportHtml, CategoricalParametersGetOneSlotEach) {
  BenchReport report;
  for (const char* algo : {"quick", "merge", "<heap>"}) {
    CommandResult r = Measured(std::string("sort --algo ") + algo, {0.01, 0.011});
    r.parameters = {{"algo", algo}};
    report.results.push_back(r);
  }
  const std::string html = BenchToHtml(report);
  EXPECT_EQ(Count(html, "class=\"chart param-chart\""), 2u);  // time and peak RSS
  EXPECT_THAT(html, HasSubstr(">merge</text>"));
  EXPECT_THAT(html, HasSubstr(">&lt;heap&gt;</text>"));
  EXPECT_THAT(html, Not(HasSubstr("<heap>")));
}

}  // namespace
}  // namespace perfwatch
