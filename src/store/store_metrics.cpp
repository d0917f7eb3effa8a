#include "store/store_metrics.h"

namespace perfwatch {
namespace {

const MetricMeta kMetrics[] = {
    {"perfwatch_store_series", MetricKind::kGauge, "Series with samples in the store.", ""},
    {"perfwatch_store_samples", MetricKind::kGauge, "Samples the store holds now.", ""},
    {"perfwatch_store_bytes", MetricKind::kGauge,
     "Encoded bytes of the samples the store holds (sealed and open chunks).", "bytes"},
    {"perfwatch_store_out_of_order_samples_total", MetricKind::kCounter,
     "Samples dropped because they were not newer than their series' last sample.", ""},
};

}  // namespace

Status StoreMetricsCollector::Collect(Appender& out) {
  if (!described_) {
    for (const MetricMeta& m : kMetrics) out.Describe(m);
    described_ = true;
  }
  StoreStats s = store_.Stats();
  const double values[] = {static_cast<double>(s.series), static_cast<double>(s.samples),
                           static_cast<double>(s.bytes), static_cast<double>(s.out_of_order)};
  for (size_t i = 0; i < std::size(kMetrics); ++i) {
    if (Status st = out.Append(kMetrics[i].name, {}, values[i]); !st.ok()) return st;
  }
  return Status::Ok();
}

}  // namespace perfwatch
