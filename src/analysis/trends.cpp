#include "analysis/trends.h"

#include <algorithm>
#include <cmath>

#include "analysis/format.h"

namespace perfwatch {

namespace {

constexpr double kMsPerHour = 3600.0 * 1000;

std::string ExpandLabels(const std::string& pattern, const Labels& labels) {
  std::string out;
  for (size_t i = 0; i < pattern.size(); ++i) {
    const size_t close = pattern[i] == '{' ? pattern.find('}', i) : std::string::npos;
    if (close == std::string::npos) {
      out += pattern[i];
      continue;
    }
    out += labels.Get(std::string_view(pattern).substr(i + 1, close - i - 1));
    i = close;
  }
  return out;
}

std::string TrendText(const TrendTarget& target, const Labels& labels, const Trend& trend,
                      int64_t window_ms) {
  using analysis_format::Fixed;
  std::string text = ExpandLabels(target.crossing, labels) + " in about " +
                     analysis_format::HumanDuration(*trend.eta_seconds * 1000);
  text += " (" + std::string(trend.slope_per_hour >= 0 ? "+" : "") +
          Fixed(trend.slope_per_hour, 2) + target.unit + "/h over " +
          analysis_format::HumanDuration(window_ms) + ", r² " + Fixed(trend.r2, 2) + ")";
  return text;
}

// A trend of one series, or nullopt when it is not meaningful.
std::optional<Trend> TrendOf(const TrendTarget& target, const SeriesKey& key,
                             const std::vector<Sample>& samples, TimestampMs now,
                             const TrendOptions& options) {
  std::optional<LinearFit> fit = FitLine(samples);
  if (!fit || fit->points < options.min_points || fit->r2 < options.min_r2) return std::nullopt;
  const TimestampMs span = samples.back().t_ms - samples.front().t_ms;
  if (span < options.min_span_fraction * options.window_ms) return std::nullopt;
  const double toward = target.direction * fit->slope_per_ms;
  if (toward <= 0) return std::nullopt;
  const double current = samples.back().value;
  const double remaining = target.direction * (target.threshold - fit->ValueAt(now));
  if (std::isnan(current) || target.direction * (target.threshold - current) <= 0 ||
      remaining <= 0) {
    return std::nullopt;
  }
  const double eta_ms = remaining / toward;
  if (eta_ms > options.horizon_ms) return std::nullopt;
  Trend trend{key.name, key.labels,       fit->slope_per_ms * kMsPerHour, fit->r2,
              current,  target.threshold, std::llround(eta_ms / 1000),    options.window_ms,
              ""};
  trend.text = TrendText(target, key.labels, trend, options.window_ms);
  return trend;
}

}  // namespace

std::optional<LinearFit> FitLine(std::span<const Sample> samples) {
  // Times relative to the first sample keep the sums well conditioned.
  TimestampMs t0 = 0;
  bool first = true;
  double n = 0, sx = 0, sy = 0;
  for (const Sample& s : samples) {
    if (std::isnan(s.value)) continue;
    if (first) t0 = s.t_ms, first = false;
    n += 1;
    sx += static_cast<double>(s.t_ms - t0);
    sy += s.value;
  }
  if (n < 2) return std::nullopt;
  const double mx = sx / n, my = sy / n;
  double sxx = 0, sxy = 0, syy = 0;
  for (const Sample& s : samples) {
    if (std::isnan(s.value)) continue;
    const double dx = static_cast<double>(s.t_ms - t0) - mx, dy = s.value - my;
    sxx += dx * dx;
    sxy += dx * dy;
    syy += dy * dy;
  }
  if (sxx <= 0) return std::nullopt;
  LinearFit fit;
  fit.t0 = t0;
  fit.slope_per_ms = sxy / sxx;
  fit.value_at_t0 = my - fit.slope_per_ms * mx;
  fit.r2 = syy > 0 ? std::clamp(sxy * sxy / (sxx * syy), 0.0, 1.0) : 0;
  fit.points = static_cast<size_t>(n);
  return fit;
}

std::vector<TrendTarget> DefaultTrendTargets() {
  return {
      {"system_disk_used_percent", 100, +1, "{mountpoint} full", "%"},
      {"system_memory_used_percent", 100, +1, "memory full", "%"},
      {"system_swap_used_percent", 100, +1, "swap full", "%"},
  };
}

Result<std::vector<Trend>> FindTrends(const SeriesSource& source, TimestampMs now,
                                      const TrendOptions& options,
                                      std::vector<std::string>* notes) {
  std::vector<Trend> trends;
  for (const TrendTarget& target : options.targets) {
    Result<SeriesSelector> selector = SeriesSelector::Parse(target.selector);
    if (!selector.ok()) {
      return Status::InvalidArgument("trend target '" + target.selector +
                                     "': " + selector.status().message());
    }
    for (SeriesId id : source.Select(*selector)) {
      // One series per read keeps each answer under a store's point limit.
      auto samples = source.Samples({id}, now - options.window_ms, now);
      if (!samples.ok() && samples.status().code() == Status::Code::kResourceExhausted) {
        if (notes) {
          notes->push_back("trend of " + source.Key(id).name + source.Key(id).labels.ToString() +
                           " not fitted: " + samples.status().message());
        }
        continue;
      }
      if (!samples.ok()) return samples.status();
      if (samples->empty() || samples->front().second.empty()) continue;
      std::optional<Trend> trend =
          TrendOf(target, source.Key(id), samples->front().second, now, options);
      if (trend) trends.push_back(std::move(*trend));
    }
  }
  std::sort(trends.begin(), trends.end(),
            [](const Trend& a, const Trend& b) { return *a.eta_seconds < *b.eta_seconds; });
  return trends;
}

}  // namespace perfwatch
