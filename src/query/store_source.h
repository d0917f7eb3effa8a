#pragma once
// StoreSource: evaluation over any span of history, reading raw samples
// through Store::Query (step 0). Used by GET /api/v1/query and by analysis.
//
// Thread-safe as far as the Store and SeriesRegistry are (both are): one
// StoreSource may serve many evaluations at once. `registry` and `store`
// must outlive it.

#include "model/registry.h"
#include "query/query.h"
#include "store/store.h"

namespace perfwatch {

class StoreSource final : public SeriesSource {
 public:
  StoreSource(const SeriesRegistry& registry, const Store& store)
      : registry_(registry), store_(store) {}

  // Matching ids in Prometheus's label order.
  std::vector<SeriesId> Select(const SeriesSelector& selector) const override;
  const SeriesKey& Key(SeriesId id) const override { return registry_.Key(id); }
  // Fails with the store's ResourceExhausted when the answer passes its
  // point limit.
  Result<std::vector<std::pair<SeriesId, std::vector<Sample>>>> Samples(
      const std::vector<SeriesId>& ids, TimestampMs from_ms, TimestampMs to_ms) const override;
  // Reads the last 10 s first, then 1 min, then the whole window only for
  // ids still without a sample, so an instant selector over many series
  // stays within the store's point limit.
  Status VisitLatest(const std::vector<SeriesId>& ids, TimestampMs from_ms, TimestampMs to_ms,
                     const LatestFn& fn) const override;

 private:
  const SeriesRegistry& registry_;
  const Store& store_;
};

}  // namespace perfwatch
