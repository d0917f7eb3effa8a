#pragma once
// Store: where committed ticks go and where every reader queries history.
// The in-memory implementation (MemStore) keeps one Gorilla-compressed chunk
// stream per series; the durable one (WAL + SQLite blocks) comes later behind
// this same interface.
//
// Implementations are thread-safe: Commit from the collection thread while
// any number of API threads query.

#include <cstdint>
#include <string_view>
#include <vector>

#include "model/registry.h"
#include "model/sample.h"
#include "model/status.h"
#include "model/tick.h"

namespace perfwatch {

enum class Aggregation { kAvg, kMin, kMax, kLast };

// Parses "avg", "min", "max", "last".
Result<Aggregation> ParseAggregation(std::string_view text);

struct QueryRange {
  TimestampMs from_ms = 0;  // inclusive
  TimestampMs to_ms = 0;    // inclusive
  // Bucket width. 0 returns raw samples. Otherwise points are stamped with
  // the bucket's start, a multiple of step_ms, and only non-empty buckets
  // are returned.
  int64_t step_ms = 0;
  Aggregation agg = Aggregation::kAvg;
};

struct SeriesPoints {
  SeriesId id = 0;
  std::vector<Sample> points;
};

struct StoreStats {
  size_t series = 0;
  uint64_t samples = 0;       // samples held now
  uint64_t bytes = 0;         // encoded bytes held now (chunks, sealed and open)
  uint64_t out_of_order = 0;  // samples dropped because time went backwards
};

class Store {
 public:
  virtual ~Store() = default;

  // Appends every sample of the tick. A sample older than its series' last
  // one is dropped and counted, never corrupting a chunk.
  virtual Status Commit(const Tick& tick) = 0;

  // Points of each id in `range`, in id order; ids with no points are
  // omitted. Fails with ResourceExhausted when the answer would exceed the
  // store's point limit (the message suggests a larger step).
  virtual Result<std::vector<SeriesPoints>> Query(const std::vector<SeriesId>& ids,
                                                  const QueryRange& range) const = 0;

  virtual StoreStats Stats() const = 0;
};

}  // namespace perfwatch
