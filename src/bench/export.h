#pragma once
// Writes a BenchReport as hyperfine does (JSON, CSV, Markdown) extended with
// perfwatch's resource figures, and as one self-contained HTML page with
// SVG charts; reads a JSON export back (perfwatch's or hyperfine's own) as a
// baseline and compares. Pure functions; thread-safe.
//
// JSON: {"results":[{"command","mean","stddev","median","user","system",
// "min","max","times":[...],"exit_codes":[...],"parameters":{...}, and
// perfwatch's: "peak_rss_bytes","peak_rss_median_bytes","memory_usage_byte"
// (per run, hyperfine >= 1.17's name),"cpu_percent","throughput_mb_s",
// "input_bytes","success_rate","outliers","user_times","system_times",
// "relative","relative_uncertainty","error","interrupted"}], and top-level
// "perfwatch":{"version","started_at","host","shell","shell_spawn_seconds",
// "interrupted"}}.

#include <string>
#include <vector>

#include "bench/bench_model.h"
#include "model/status.h"

namespace perfwatch {

std::string BenchToJson(const BenchReport& report);
// hyperfine's columns (command,mean,stddev,median,user,system,min,max, then
// parameter_NAME per parameter) and perfwatch's (peak_rss_bytes,
// cpu_percent,throughput_mb_s,success_rate); RFC 4180 quoting.
std::string BenchToCsv(const BenchReport& report);
// hyperfine's table (Command | Mean [unit] | Min [unit] | Max [unit] |
// Relative) plus Peak RSS, CPU and Throughput columns; the unit is chosen
// from the fastest mean (hyperfine 1.15 takes the first result's, which
// prints "0.001 s" for a fast command listed after a slow one); `|` in
// commands escaped.
std::string BenchToMarkdown(const BenchReport& report);
// One page, no external resources: the summary table, a bar chart of means
// with their standard deviation, each command's run times (strip chart),
// and with parameters, time, peak RSS and throughput against the
// parameter's value. Commands and errors are escaped text.
std::string BenchToHtml(const BenchReport& report);

// Reads a JSON export: perfwatch's or hyperfine's (which lacks the resource
// figures). InvalidArgument naming the JSON path of what is wrong
// ("results[2].mean: expected a number").
Result<BenchReport> ParseBenchJson(const std::string& text);

struct BaselineThresholds {
  double time = 0.10;    // a mean 10% slower is a regression...
  double memory = 0.10;  // ...and so is a peak RSS 10% larger
};

struct BaselineFinding {
  std::string command;
  std::string figure;  // "mean time", "peak RSS", "throughput"
  double baseline = 0, current = 0;
  double change = 0;        // current / baseline - 1
  bool regression = false;  // beyond the threshold and (for time) beyond noise
  bool improvement = false;
};

struct BaselineVerdict {
  std::vector<BaselineFinding> findings;
  std::vector<std::string> missing;  // commands of the baseline not run now
  bool regressed() const;
};

// Matches results by command text and parameters. A time regression needs
// the mean to be slower by more than the threshold AND by more than twice
// the combined standard error (when both sides have their times), so noise
// alone does not fail a CI job.
BaselineVerdict CompareWithBaseline(const BenchReport& current, const BenchReport& baseline,
                                    const BaselineThresholds& thresholds);
// The verdict as lines for the terminal: one per finding, then "PASS" or
// "REGRESSION: n figure(s) beyond the threshold".
std::string DescribeVerdict(const BaselineVerdict& verdict, const BaselineThresholds& thresholds);

}  // namespace perfwatch
