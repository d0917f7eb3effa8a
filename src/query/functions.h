#pragma once
// The numeric core of the expression language: range-vector functions over
// one series' samples, PromQL's quantile, and the value of a binary
// operator on two numbers. Each follows Prometheus 2.42's promql package
// operation for operation, so results agree with promtool to the last bit
// (except ^, where Go's math.Pow and libm's pow may round differently).
// Pure functions; thread-safe.

#include <optional>
#include <span>
#include <vector>

#include "model/sample.h"
#include "query/ast.h"

namespace perfwatch {

// Incremental mean (as 2.42's avg_over_time and avg aggregation), with
// its special case for infinities. `samples` must not be empty.
double AvgOverTime(std::span<const Sample> samples);
double SumOverTime(std::span<const Sample> samples);
// Max and min skip a NaN unless every sample is NaN, as Prometheus.
double MaxOverTime(std::span<const Sample> samples);
double MinOverTime(std::span<const Sample> samples);

// PromQL's quantile: reorders `values`, interpolates linearly between the
// two nearest ranks; NaN for no values, -Inf for q < 0, +Inf for q > 1.
double Quantile(double q, std::vector<double>& values);

// Prometheus's extrapolatedRate for rate (counter, per second), increase
// (counter) and delta (gauge) over the samples of [range_start, range_end]:
// counter resets are added back, the result is extrapolated towards the
// window's edges when the first or last sample lies within 1.1 average
// sample intervals of them (else by half an interval), and a counter is
// never extrapolated below zero. Empty with fewer than two samples.
std::optional<double> ExtrapolatedRate(std::span<const Sample> samples, TimestampMs range_start,
                                       TimestampMs range_end, bool is_counter, bool is_rate);

// The value of `lhs op rhs` for arithmetic and comparison operators; for a
// comparison, `*keep` says whether it holds and the value is lhs.
double ApplyBinary(BinaryOp op, double lhs, double rhs, bool* keep);

// Go's math.Max/math.Min: NaN if either is NaN (std::fmax would drop it).
double GoMax(double a, double b);
double GoMin(double a, double b);

}  // namespace perfwatch
