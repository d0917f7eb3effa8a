#pragma once
// WindowCache: the recent samples of every series, kept in memory so that
// rules can be evaluated every tick without touching the store. Each
// series keeps only the history some selector reads back (SetRangeNeeds):
// a series read by x[5m] keeps 5 minutes, a series read only by instant
// selectors keeps its newest sample. Until SetRangeNeeds is called every
// series keeps `window_ms`. An evaluation reading further back than a
// series keeps sees only what is kept.
//
// Select caches each selector's matching ids and only looks at series
// interned since its last call (ids are never reused and the registry
// only grows), so 500 rules cost no registry scan per tick.
//
// Not thread-safe: Observe, SetRangeNeeds and evaluation over this source
// run on one thread (the collection thread, after each tick), including
// Select's const cache updates. `registry` must outlive the cache.

#include <cstdint>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "model/registry.h"
#include "model/tick.h"
#include "query/query.h"

namespace perfwatch {

class WindowCache final : public SeriesSource {
 public:
  WindowCache(const SeriesRegistry& registry, int64_t window_ms);
  WindowCache(const WindowCache&) = delete;
  WindowCache& operator=(const WindowCache&) = delete;

  // The history kept by every series while no range needs are set.
  void set_window(int64_t window_ms);
  // Which selectors read how far back (ParsedExpr::selector_ranges() of
  // every rule, concatenated). Selectors are copied; the pointers need
  // only live during the call. Replaces earlier needs.
  void SetRangeNeeds(const std::vector<std::pair<const SeriesSelector*, int64_t>>& needs);
  // Appends each sample of the tick to its series; a sample not newer than
  // its series' last one is dropped. Then trims what no selector needs.
  void Observe(const Tick& tick);

  // Samples held over all series, for tests and memory accounting.
  size_t sample_count() const;

  std::vector<SeriesId> Select(const SeriesSelector& selector) const override;
  const SeriesKey& Key(SeriesId id) const override {
    return id < series_.size() ? *series_[id].key : registry_.Key(id);
  }
  Result<std::vector<std::pair<SeriesId, std::vector<Sample>>>> Samples(
      const std::vector<SeriesId>& ids, TimestampMs from_ms, TimestampMs to_ms) const override;
  Status Visit(const std::vector<SeriesId>& ids, TimestampMs from_ms, TimestampMs to_ms,
               const SamplesFn& fn) const override;
  Status VisitLatest(const std::vector<SeriesId>& ids, TimestampMs from_ms, TimestampMs to_ms,
                     const LatestFn& fn) const override;

 private:
  // Samples live in samples[begin..]; the dead prefix is erased once it
  // outgrows the live part, so appends stay amortised O(1).
  struct SeriesWindow {
    std::vector<Sample> samples;
    size_t begin = 0;
    int64_t keep_ms = 0;             // samples older than newest tick - keep_ms go
    const SeriesKey* key = nullptr;  // the registry's, saving its lock per read
    std::span<const Sample> live() const {
      return {samples.data() + begin, samples.size() - begin};
    }
  };
  struct Selection {
    SeriesSelector selector;    // a copy, to detect a reused address
    std::vector<SeriesId> ids;  // in Prometheus's label order
    size_t scanned = 0;         // ids below this have been matched
  };
  struct RangeNeed {
    SeriesSelector selector;
    int64_t back_ms = 0;
  };

  void ExtendSeries();
  int64_t KeepFor(SeriesId id) const;
  void Trim(SeriesWindow& w, TimestampMs now) const;
  Selection& SelectionFor(const SeriesSelector& selector) const;

  const SeriesRegistry& registry_;
  int64_t window_ms_;
  bool has_needs_ = false;
  std::vector<RangeNeed> needs_;
  // needs_ indexed by metric name; needs naming no metric in unnamed_needs_.
  std::unordered_map<std::string, std::vector<size_t>> needs_by_name_;
  std::vector<size_t> unnamed_needs_;
  std::vector<SeriesWindow> series_;  // by SeriesId
  TimestampMs newest_ = INT64_MIN;
  mutable std::unordered_map<const SeriesSelector*, Selection> selections_;
};

}  // namespace perfwatch
