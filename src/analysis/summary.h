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
// Counters (network bytes, pressure stall seconds) become per-second rates
// between consecutive points, a lower value than before counting as a reset.
// Each row keeps the values it summarized, thinned for a chart, so a report
// draws what it summarized without querying twice. Component timings come
// from the stored component timer series (see ComponentSummary).
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
  std::string unit;  // "%", "ms", "B/s", "/s", "MB/s" or "" (load)
  double avg = 0;
  double p95 = 0;
  double max = 0;
  size_t points = 0;  // values summarized (samples, buckets or rates)
  // What the row measures, the same for every series of its metric: "cpu",
  // "memory", "swap", "load1", "disk_used", "disk_busy", "network_rx",
  // "network_tx", "pressure", or an application figure ("response_time_avg_ms",
  // "response_time_p95_ms", "error_rate_percent", "cache_hit_rate_percent",
  // "requests_per_second", "throughput_mb_per_second").
  std::string key;
  std::string app;  // the `app` label of an application figure; "" for the host
  // The values summarized (bucket averages, samples or rates) in `unit`,
  // oldest first, thinned by DownsampleMinMax to SummaryOptions::chart_points.
  std::vector<Sample> chart;
};

// One component timer (`component_duration_milliseconds{component,app}`,
// docs/METRICS.md) over the period; its series that differ in other labels
// (status, ...) are summed into one.
struct ComponentSummary {
  std::string app;      // label app, else service_name; "" when neither
  std::string name;     // label component
  double count = 0;     // observations in the period: the increase of _count
  double total_ms = 0;  // the increase of _sum
  double mean_ms = 0;   // total / count
  // The 95th percentile of the stored p95 values (each over the timer's
  // 60 s window) in the period: close to the period's p95 when the load is
  // steady, an upper bound of it when short bursts were slow. NaN when no
  // quantile was stored.
  double p95_ms = 0;
  double max_ms = 0;         // the largest stored _max (a flush interval's maximum); NaN if none
  double share_percent = 0;  // of the time of every component of the same app
};

struct PeriodSummary {
  TimestampMs from_ms = 0;
  TimestampMs to_ms = 0;
  int64_t resolution_ms = 0;     // 0: raw samples; else the bucket width
  std::vector<SummaryRow> rows;  // in a fixed order; series without data left out
  // Components with observations in the period, by app then name.
  std::vector<ComponentSummary> components;
};

struct SummaryOptions {
  int64_t raw_period_ms = 3600 * 1000;  // periods up to this read raw samples
  size_t max_points = 1500;             // per series when bucketed
  size_t chart_points = 300;            // per row's chart (SummaryRow::chart)
};

// The application figures of one app: rows of `summary` (which must outlive
// it), in the summary's order.
struct ApplicationFigures {
  std::string app;
  std::vector<const SummaryRow*> rows;
};
// Apps in the order their first figure appears in the summary.
std::vector<ApplicationFigures> ApplicationsOf(const PeriodSummary& summary);

// Fails on from >= to or a store error other than its point limit.
Result<PeriodSummary> Summarize(const Store& store, const SeriesRegistry& registry,
                                TimestampMs from_ms, TimestampMs to_ms,
                                const SummaryOptions& options = {});

// At most `max_points` of `points` (oldest first), keeping the shape a chart
// needs: the points are split into max_points / 2 runs of consecutive
// points and each run keeps its lowest and highest point, in time order, so
// every spike and dip survives. NaN values are dropped. Returns `points`
// unchanged when they already fit.
std::vector<Sample> DownsampleMinMax(const std::vector<Sample>& points, size_t max_points);

// The 0-1 quantile with linear interpolation between ranks, as PromQL's
// quantile_over_time; NaN for no values. Reorders `values`.
double Quantile(std::vector<double>& values, double q);

}  // namespace perfwatch
