#pragma once
// StoreMetricsCollector ("store"): how much history the store holds —
// series, samples, encoded bytes, and samples dropped as out of order — as
// perfwatch_store_* metrics, and, given a DurableStore, what is on disk per
// tier as perfwatch_storage_*, so a user can see what the history costs.
// One thread at a time (the collection loop's); `store` and `durable` must
// outlive it.

#include "collect/collector.h"
#include "store/durable_store.h"
#include "store/store.h"

namespace perfwatch {

class StoreMetricsCollector final : public Collector {
 public:
  explicit StoreMetricsCollector(const Store& store, const DurableStore* durable = nullptr)
      : store_(store), durable_(durable) {}
  std::string_view name() const override { return "store"; }
  Status Collect(Appender& out) override;

 private:
  Status CollectStorage(Appender& out);

  const Store& store_;
  const DurableStore* durable_;
  bool described_ = false;
  bool storage_described_ = false;
  Labels tier_labels_[3];
};

}  // namespace perfwatch
