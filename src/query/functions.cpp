#include "query/functions.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace perfwatch {

double AvgOverTime(std::span<const Sample> samples) {
  double mean = 0, count = 0;
  for (const Sample& s : samples) {
    count++;
    if (std::isinf(mean)) {
      // Inf plus a same-signed Inf or a finite value stays Inf; the update
      // below would turn it into NaN (Inf - Inf).
      if (std::isinf(s.value) && (mean > 0) == (s.value > 0)) continue;
      if (!std::isinf(s.value) && !std::isnan(s.value)) continue;
    }
    mean += s.value / count - mean / count;
  }
  return mean;
}

double SumOverTime(std::span<const Sample> samples) {
  double sum = 0;
  for (const Sample& s : samples) sum += s.value;
  return sum;
}

double MaxOverTime(std::span<const Sample> samples) {
  double max = samples.front().value;
  for (const Sample& s : samples) {
    if (s.value > max || std::isnan(max)) max = s.value;
  }
  return max;
}

double MinOverTime(std::span<const Sample> samples) {
  double min = samples.front().value;
  for (const Sample& s : samples) {
    if (s.value < min || std::isnan(min)) min = s.value;
  }
  return min;
}

double Quantile(double q, std::vector<double>& values) {
  if (values.empty() || std::isnan(q)) return std::numeric_limits<double>::quiet_NaN();
  if (q < 0) return -std::numeric_limits<double>::infinity();
  if (q > 1) return std::numeric_limits<double>::infinity();
  // NaN sorts first, as Prometheus's vectorByValueHeap. Only the two ranks
  // around q matter, so partial selection stands in for a full sort.
  auto less = [](double a, double b) { return (std::isnan(a) && !std::isnan(b)) || a < b; };
  double n = static_cast<double>(values.size());
  double rank = q * (n - 1);
  double lower = std::max(0.0, std::floor(rank));
  double upper = std::min(n - 1, lower + 1);
  double weight = rank - std::floor(rank);
  auto lo = values.begin() + static_cast<ptrdiff_t>(lower);
  std::nth_element(values.begin(), lo, values.end(), less);
  double lower_value = *lo;
  double upper_value = upper > lower ? *std::min_element(lo + 1, values.end(), less) : lower_value;
  return lower_value * (1 - weight) + upper_value * weight;
}

std::optional<double> ExtrapolatedRate(std::span<const Sample> samples, TimestampMs range_start,
                                       TimestampMs range_end, bool is_counter, bool is_rate) {
  if (samples.size() < 2) return std::nullopt;
  double correction = 0, last = 0;
  for (const Sample& s : samples) {
    if (is_counter && s.value < last) correction += last;
    last = s.value;
  }
  double result = last - samples.front().value + correction;

  const Sample& first = samples.front();
  TimestampMs last_t = samples.back().t_ms;
  double to_start = static_cast<double>(first.t_ms - range_start) / 1000;
  double to_end = static_cast<double>(range_end - last_t) / 1000;
  double sampled = static_cast<double>(last_t - first.t_ms) / 1000;
  double average = sampled / static_cast<double>(samples.size() - 1);

  if (is_counter && result > 0 && first.value >= 0) {
    // A counter cannot have been below zero: extrapolate no further back
    // than where the slope reaches zero.
    double to_zero = sampled * (first.value / result);
    if (to_zero < to_start) to_start = to_zero;
  }
  double threshold = average * 1.1;
  double interval = sampled;
  interval += to_start < threshold ? to_start : average / 2;
  interval += to_end < threshold ? to_end : average / 2;
  double factor = interval / sampled;
  if (is_rate) {
    // Go's Duration.Seconds(): whole seconds plus the remainder as a fraction.
    int64_t range_ms = range_end - range_start;
    factor /= static_cast<double>(range_ms / 1000) +
              static_cast<double>((range_ms % 1000) * 1000000) / 1e9;
  }
  result *= factor;
  return result;
}

double ApplyBinary(BinaryOp op, double lhs, double rhs, bool* keep) {
  *keep = true;
  switch (op) {
    case BinaryOp::kAdd:
      return lhs + rhs;
    case BinaryOp::kSub:
      return lhs - rhs;
    case BinaryOp::kMul:
      return lhs * rhs;
    case BinaryOp::kDiv:
      return lhs / rhs;
    case BinaryOp::kMod:
      return std::fmod(lhs, rhs);
    case BinaryOp::kPow:
      return std::pow(lhs, rhs);
    case BinaryOp::kEq:
      *keep = lhs == rhs;
      return lhs;
    case BinaryOp::kNe:
      *keep = lhs != rhs;
      return lhs;
    case BinaryOp::kGt:
      *keep = lhs > rhs;
      return lhs;
    case BinaryOp::kLt:
      *keep = lhs < rhs;
      return lhs;
    case BinaryOp::kGe:
      *keep = lhs >= rhs;
      return lhs;
    case BinaryOp::kLe:
      *keep = lhs <= rhs;
      return lhs;
    default:
      *keep = false;
      return 0;  // set operators never reach here
  }
}

double GoMax(double a, double b) {
  if (std::isnan(a) || std::isnan(b)) return std::numeric_limits<double>::quiet_NaN();
  return std::max(a, b);
}

double GoMin(double a, double b) {
  if (std::isnan(a) || std::isnan(b)) return std::numeric_limits<double>::quiet_NaN();
  return std::min(a, b);
}

}  // namespace perfwatch
