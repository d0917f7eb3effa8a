#pragma once
// PeriodSummary: averages, 95th percentiles and maxima of the key metrics
// over a period, for `perfwatch report`.
//
// Reads the Store directly, one series per query, so that long periods are
// answered from rollups: up to `raw_period_ms` (1 h) from raw samples;
// beyond that (or when raw would pass the store's point limit) from
// buckets of a round step giving at most `max_points` per series (24 h ->
// 1 min buckets, which a DurableStore serves from its 1-minute tier). With
// buckets, avg is the mean of the bucket averages, max the largest bucket
// maximum (exact), and p95 the 95th percentile of the bucket averages (so
// it smooths spikes shorter than a bucket; resolution_ms says the bucket).
// Counters (network bytes) become per-second rates between consecutive
// points, a lower value than before counting as a reset.
//
// Thread-safe as far as the store and registry are (both are); both must
// outlive the call.

#include <cstdint>
#include <string>
#include <vector>

#include "model/labels.h"
#include "model/registry.h"
#include "model/sample.h"
#include "model/status.h"
#include "store/store.h"

namespace perfwatch {

struct SummaryRow {
  std::string title;  // "CPU total", "Disk used /", "Response time avg (api)"
  std::string metric;
  Labels labels;
  std::string unit;  // "%", "ms", "B/s", "/s" or "" (load)
  double avg = 0;
  double p95 = 0;
  double max = 0;
  size_t points = 0;  // values summarized (samples, buckets or rates)
};

struct PeriodSummary {
  TimestampMs from_ms = 0;
  TimestampMs to_ms = 0;
  int64_t resolution_ms = 0;     // 0: raw samples; else the bucket width
  std::vector<SummaryRow> rows;  // in a fixed order; series without data left out
};

struct SummaryOptions {
  int64_t raw_period_ms = 3600 * 1000;  // periods up to this read raw samples
  size_t max_points = 1500;             // per series when bucketed
};

// Fails on from >= to or a store error other than its point limit.
Result<PeriodSummary> Summarize(const Store& store, const SeriesRegistry& registry,
                                TimestampMs from_ms, TimestampMs to_ms,
                                const SummaryOptions& options = {});

// The 0-1 quantile with linear interpolation between ranks, as PromQL's
// quantile_over_time; NaN for no values. Reorders `values`.
double Quantile(std::vector<double>& values, double q);

}  // namespace perfwatch
