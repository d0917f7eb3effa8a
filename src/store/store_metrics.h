#pragma once
// StoreMetricsCollector ("store"): how much history the store holds —
// series, samples, encoded bytes, and samples dropped as out of order — as
// perfwatch_store_* metrics, so a user can see what the history costs.
// One thread at a time (the collection loop's); `store` must outlive it.

#include "collect/collector.h"
#include "store/store.h"

namespace perfwatch {

class StoreMetricsCollector final : public Collector {
 public:
  explicit StoreMetricsCollector(const Store& store) : store_(store) {}
  std::string_view name() const override { return "store"; }
  Status Collect(Appender& out) override;

 private:
  const Store& store_;
  bool described_ = false;
};

}  // namespace perfwatch
