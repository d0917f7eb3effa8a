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

const MetricMeta kStorage[] = {
    {"perfwatch_storage_points", MetricKind::kGauge,
     "Samples (raw) or rollup points stored on disk, by tier.", ""},
    {"perfwatch_storage_blocks", MetricKind::kGauge, "Blocks stored on disk, by tier.", ""},
    {"perfwatch_storage_block_bytes", MetricKind::kGauge, "Encoded block bytes on disk, by tier.",
     "bytes"},
    {"perfwatch_storage_file_bytes", MetricKind::kGauge,
     "Size of the database files (perfwatch.db with its -wal and -shm).", "bytes"},
    {"perfwatch_storage_wal_bytes", MetricKind::kGauge, "Size of the write-ahead log.", "bytes"},
    {"perfwatch_storage_errors_total", MetricKind::kCounter,
     "Failed writes to the write-ahead log or the database.", ""},
    {"perfwatch_samples_out_of_order_total", MetricKind::kCounter,
     "Samples dropped because they were not newer than their series' last one.", ""},
    {"perfwatch_storage_series", MetricKind::kGauge, "Series with history in the database.", ""},
    {"perfwatch_storage_last_cleanup_timestamp_seconds", MetricKind::kGauge,
     "When retention last ran (0: not since start).", "seconds"},
};

const char* const kTierNames[] = {"raw", "1m", "1h"};

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
  return durable_ ? CollectStorage(out) : Status::Ok();
}

Status StoreMetricsCollector::CollectStorage(Appender& out) {
  if (!storage_described_) {
    for (const MetricMeta& m : kStorage) out.Describe(m);
    for (int i = 0; i < 3; ++i) tier_labels_[i] = Labels{{"tier", kTierNames[i]}};
    storage_described_ = true;
  }
  StorageStats s = durable_->Storage();
  for (int i = 0; i < 3; ++i) {
    (void)out.Append(kStorage[0].name, tier_labels_[i], static_cast<double>(s.tiers[i].points));
    (void)out.Append(kStorage[1].name, tier_labels_[i], static_cast<double>(s.tiers[i].blocks));
    (void)out.Append(kStorage[2].name, tier_labels_[i], static_cast<double>(s.tiers[i].bytes));
  }
  (void)out.Append(kStorage[3].name, {}, static_cast<double>(s.file_bytes));
  (void)out.Append(kStorage[4].name, {}, static_cast<double>(s.wal_bytes));
  (void)out.Append(kStorage[5].name, {}, static_cast<double>(s.errors));
  (void)out.Append(kStorage[6].name, {}, static_cast<double>(s.out_of_order));
  (void)out.Append(kStorage[7].name, {}, static_cast<double>(s.series));
  return out.Append(kStorage[8].name, {}, static_cast<double>(s.last_cleanup_ms) / 1000);
}

}  // namespace perfwatch
