#include "bench/bench_model.h"

#include <algorithm>
#include <cmath>
#include <numeric>

namespace perfwatch {

namespace {

// hyperfine's rule, so both tools warn about the same runs: a run is an
// outlier when |x - median| / MAD exceeds 1.4826 * 10, i.e. when it lies
// more than ten standard deviations (estimated from the MAD) from the
// median. Iglewicz and Hoaglin's textbook cut-off (0.6745 * |x - median| /
// MAD > 3.5) flags far more runs of a noisy machine than are worth a warning.
constexpr double kOutlierMadRatio = 1.4826 * 10.0;

// The median of `v`, which it reorders; 0 when empty.
double MedianOf(std::vector<double>& v) {
  if (v.empty()) return 0;
  const size_t mid = v.size() / 2;
  std::nth_element(v.begin(), v.begin() + mid, v.end());
  const double upper = v[mid];
  if (v.size() % 2 == 1) return upper;
  const double lower = *std::max_element(v.begin(), v.begin() + mid);
  return (lower + upper) / 2;
}

}  // namespace

Stats ComputeStats(const std::vector<double>& values) {
  Stats s;
  if (values.empty()) return s;
  const double n = static_cast<double>(values.size());
  s.mean = std::accumulate(values.begin(), values.end(), 0.0) / n;
  if (values.size() > 1) {
    double squares = 0;
    for (double v : values) squares += (v - s.mean) * (v - s.mean);
    s.stddev = std::sqrt(squares / (n - 1));
  }
  const auto [lo, hi] = std::minmax_element(values.begin(), values.end());
  s.min = *lo;
  s.max = *hi;
  std::vector<double> work = values;
  s.median = MedianOf(work);
  for (size_t i = 0; i < values.size(); ++i) work[i] = std::abs(values[i] - s.median);
  s.mad = MedianOf(work);
  // With a MAD of 0 (over half the values equal) every other value would
  // score infinity; a spread that small is no evidence of outliers.
  if (s.mad > 0) {
    for (double v : values) {
      if (std::abs(v - s.median) / s.mad > kOutlierMadRatio) ++s.outliers;
    }
  }
  return s;
}

void Summarize(CommandResult& r, bool ignore_failure) {
  std::vector<double> wall, user, system, rss;
  double cpu_sum = 0;
  size_t ok = 0;
  for (const BenchRun& run : r.runs) {
    if (run.ok()) ++ok;
    if (!ignore_failure && !run.ok()) continue;
    wall.push_back(run.wall_seconds);
    user.push_back(run.user_seconds);
    system.push_back(run.system_seconds);
    rss.push_back(run.peak_rss_bytes);
    cpu_sum += run.cpu_percent;
  }
  r.time = ComputeStats(wall);
  r.user = ComputeStats(user);
  r.system = ComputeStats(system);
  r.success_rate = r.runs.empty() ? 0 : static_cast<double>(ok) / r.runs.size();
  const Stats memory = ComputeStats(rss);
  r.peak_rss_bytes = memory.max;
  r.peak_rss_median_bytes = memory.median;
  r.cpu_percent = wall.empty() ? 0 : cpu_sum / wall.size();
  r.throughput_mb_s.reset();
  if (r.input_bytes && !wall.empty() && r.time.mean > 0) {
    r.throughput_mb_s = *r.input_bytes / 1e6 / r.time.mean;
  }
}

std::vector<Relative> RelativeSpeeds(const std::vector<CommandResult>& results) {
  std::vector<Relative> out(results.size());
  // A result counts when Summarize found runs for it: a zero mean with a
  // zero minimum and maximum is "nothing ran"; a command measured as 0 s
  // (below the clock's resolution) still has runs.
  const auto counted = [](const CommandResult& r) {
    return !r.runs.empty() && std::isfinite(r.time.mean) &&
           !(r.time.mean == 0 && r.time.max == 0 && r.success_rate == 0);
  };
  const CommandResult* fastest = nullptr;
  size_t fastest_index = 0;
  for (size_t i = 0; i < results.size(); ++i) {
    if (!counted(results[i])) continue;
    if (fastest == nullptr || results[i].time.mean < fastest->time.mean) {
      fastest = &results[i];
      fastest_index = i;
    }
  }
  for (size_t i = 0; i < results.size(); ++i) {
    if (!counted(results[i]) || fastest == nullptr) {
      out[i] = Relative{0, 0, false};
      continue;
    }
    const Stats& t = results[i].time;
    const Stats& f = fastest->time;
    Relative& rel = out[i];
    rel.fastest = i == fastest_index;
    if (rel.fastest) continue;  // ratio 1 exactly, no uncertainty
    if (f.mean <= 0) {
      // Nothing to divide by: the fastest took no measurable time.
      rel.ratio = t.mean <= 0 ? 1 : INFINITY;
      rel.uncertainty = 0;
      continue;
    }
    rel.ratio = t.mean / f.mean;
    const double a = t.mean > 0 ? t.stddev / t.mean : 0;
    const double b = f.stddev / f.mean;
    rel.uncertainty = rel.ratio * std::sqrt(a * a + b * b);
  }
  return out;
}

}  // namespace perfwatch
