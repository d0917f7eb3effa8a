// CompareWithBaseline and DescribeVerdict: the regression verdict of
// `perfwatch bench --baseline FILE`.

#include <algorithm>
#include <cmath>

#include "bench/bench_text.h"
#include "bench/export.h"

namespace perfwatch {

namespace {

using Parameters = std::vector<std::pair<std::string, std::string>>;

Parameters Sorted(Parameters p) {
  std::sort(p.begin(), p.end());
  return p;
}

bool SameBenchmark(const CommandResult& a, const CommandResult& b) {
  return a.command == b.command && Sorted(a.parameters) == Sorted(b.parameters);
}

// The number of runs behind `r.time`: the export does not say whether
// failures counted, so take the successful ones unless that leaves none.
double CountedRuns(const CommandResult& r) {
  const auto ok = std::count_if(r.runs.begin(), r.runs.end(), [](auto& b) { return b.ok(); });
  return static_cast<double>(ok > 0 ? ok : r.runs.size());
}

bool HasTime(const CommandResult& r) {
  return std::isfinite(r.time.mean) && r.time.mean > 0 && !(r.runs.empty() && r.error.size());
}

// A name that tells results apart: the command, and its parameters when
// they are not visible in it (another result has the same text).
std::string Label(const CommandResult& r, const std::vector<CommandResult>& all) {
  const auto same_text = std::count_if(
      all.begin(), all.end(), [&](const CommandResult& o) { return o.command == r.command; });
  if (same_text < 2 || r.parameters.empty()) return r.command;
  std::string label = r.command + " [";
  for (size_t i = 0; i < r.parameters.size(); ++i) {
    label += (i ? ", " : "") + r.parameters[i].first + "=" + r.parameters[i].second;
  }
  return label + "]";
}

BaselineFinding Finding(std::string command, std::string figure, double baseline, double current) {
  BaselineFinding f;
  f.command = std::move(command);
  f.figure = std::move(figure);
  f.baseline = baseline;
  f.current = current;
  f.change = current / baseline - 1;
  return f;
}

BaselineFinding TimeFinding(const std::string& label, const CommandResult& c,
                            const CommandResult& b, double threshold) {
  BaselineFinding f = Finding(label, "mean time", b.time.mean, c.time.mean);
  // Twice the standard error of the difference of the means: about 95%
  // confidence that the change is not noise.
  bool beyond_noise = true;
  if (!c.runs.empty() && !b.runs.empty()) {
    const double se = std::sqrt(c.time.stddev * c.time.stddev / CountedRuns(c) +
                                b.time.stddev * b.time.stddev / CountedRuns(b));
    beyond_noise = std::abs(c.time.mean - b.time.mean) > 2 * se;
  }
  f.regression = f.change > threshold && beyond_noise;
  f.improvement = f.change < -threshold && beyond_noise;
  return f;
}

std::string Percent(double change) {
  return (change >= 0 ? "+" : "") + bench_text::Fixed(change * 100, 1) + "%";
}

std::string Value(const BaselineFinding& f, double v) {
  if (f.figure == "mean time") return bench_text::HumanSeconds(v);
  if (f.figure == "peak RSS") return bench_text::HumanBytes(v);
  return bench_text::Significant(v) + " MB/s";
}

}  // namespace

bool BaselineVerdict::regressed() const {
  return std::any_of(findings.begin(), findings.end(), [](auto& f) { return f.regression; });
}

BaselineVerdict CompareWithBaseline(const BenchReport& current, const BenchReport& baseline,
                                    const BaselineThresholds& thresholds) {
  BaselineVerdict verdict;
  for (const CommandResult& b : baseline.results) {
    const std::string label = Label(b, baseline.results);
    auto it = std::find_if(current.results.begin(), current.results.end(),
                           [&](const CommandResult& c) { return SameBenchmark(c, b); });
    if (it == current.results.end() || !HasTime(*it)) {
      verdict.missing.push_back(label);
      continue;
    }
    const CommandResult& c = *it;
    if (HasTime(b)) verdict.findings.push_back(TimeFinding(label, c, b, thresholds.time));
    if (c.peak_rss_bytes > 0 && b.peak_rss_bytes > 0) {
      BaselineFinding f = Finding(label, "peak RSS", b.peak_rss_bytes, c.peak_rss_bytes);
      f.regression = f.change > thresholds.memory;
      f.improvement = f.change < -thresholds.memory;
      verdict.findings.push_back(f);
    }
    // Throughput is input size over mean time: informational, the time
    // finding already decides.
    if (c.throughput_mb_s && b.throughput_mb_s && *b.throughput_mb_s > 0) {
      verdict.findings.push_back(
          Finding(label, "throughput", *b.throughput_mb_s, *c.throughput_mb_s));
    }
  }
  return verdict;
}

std::string DescribeVerdict(const BaselineVerdict& verdict, const BaselineThresholds& thresholds) {
  std::string out;
  int regressions = 0;
  for (const BaselineFinding& f : verdict.findings) {
    out += f.figure + " of " + f.command + ": " + Value(f, f.baseline) + " -> " +
           Value(f, f.current) + " (" + Percent(f.change) + ")";
    const double threshold = f.figure == "peak RSS" ? thresholds.memory : thresholds.time;
    if (f.regression) {
      ++regressions;
      out += "  REGRESSION (threshold " + Percent(threshold) + ")";
    } else if (f.improvement) {
      out += "  improved";
    } else if (f.figure == "mean time" && f.change > threshold) {
      out += "  within noise";
    }
    out += "\n";
  }
  for (const std::string& m : verdict.missing) {
    out += "missing: " + m + " (in the baseline, not measured now)\n";
  }
  if (regressions == 0) {
    out += "PASS: no figure beyond the thresholds (time " + Percent(thresholds.time) +
           ", peak RSS " + Percent(thresholds.memory) + ")\n";
  } else {
    out += "REGRESSION: " + std::to_string(regressions) + " figure(s) beyond the threshold\n";
  }
  return out;
}

}  // namespace perfwatch
