#pragma once
// Trends: a least-squares line through each watched series over a window,
// and when the line is meaningful, how long until it crosses a threshold
// ("/ full in about 14 h").
//
// A trend is reported only when the fit explains the data (r² >= min_r2),
// moves toward the threshold, has enough points spread over enough of the
// window, the value is not past the threshold yet, and the crossing is
// within the horizon. The crossing is projected from the fitted value at
// `now`, not the last sample, so one noisy sample does not move it.
//
// Pure functions of the source's data; thread-safe when the source is.
// The source must outlive the call.

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "model/labels.h"
#include "model/sample.h"
#include "model/status.h"
#include "query/query.h"

namespace perfwatch {

// y = value_at_t0 + slope_per_ms * (t - t0).
struct LinearFit {
  TimestampMs t0 = 0;  // the first sample's time
  double value_at_t0 = 0;
  double slope_per_ms = 0;
  // Share of the variance the line explains, 0-1; 0 when the values do not
  // vary at all (there is nothing to explain).
  double r2 = 0;
  size_t points = 0;
  double ValueAt(TimestampMs t) const { return value_at_t0 + slope_per_ms * (t - t0); }
};

// Least squares over the non-NaN samples; nullopt with fewer than two of
// them or when they all share one time.
std::optional<LinearFit> FitLine(std::span<const Sample> samples);

struct TrendTarget {
  std::string selector;  // e.g. "system_disk_used_percent"
  double threshold = 100;
  // +1: rising toward the threshold is bad; -1: falling toward it is.
  int direction = +1;
  // What crossing means; "{label}" is replaced by that label's value:
  // "{mountpoint} full" -> "/ full".
  std::string crossing;
  std::string unit = "%";  // for the text: "+2.9%/h"
};

// Disk used % per mountpoint, memory used % and swap used % toward 100 %.
std::vector<TrendTarget> DefaultTrendTargets();

struct TrendOptions {
  int64_t window_ms = 2 * 3600 * 1000;           // fitted over the last 2 h
  double min_r2 = 0.8;                           // a weaker fit is noise, not a trend
  int64_t horizon_ms = 30LL * 24 * 3600 * 1000;  // ignore crossings after 30 d
  size_t min_points = 10;
  // The samples must span at least this share of the window, so a few
  // minutes after a restart do not extrapolate to days.
  double min_span_fraction = 0.25;
  std::vector<TrendTarget> targets = DefaultTrendTargets();
};

struct Trend {
  std::string metric;
  Labels labels;
  double slope_per_hour = 0;  // in the metric's unit per hour
  double r2 = 0;
  double current = 0;  // the newest sample
  double threshold = 0;
  std::optional<int64_t> eta_seconds;  // set whenever a trend is reported
  int64_t window_ms = 0;
  std::string text;  // "/ full in about 14 h (+2.9%/h over 2 h, r² 0.99)"
};

// Trends of every series the targets' selectors match, soonest crossing
// first. A series whose window passes the store's point limit is skipped,
// and says so in `notes` when given. Fails on a target's bad selector
// (naming it) or another source error.
Result<std::vector<Trend>> FindTrends(const SeriesSource& source, TimestampMs now,
                                      const TrendOptions& options,
                                      std::vector<std::string>* notes = nullptr);

}  // namespace perfwatch
