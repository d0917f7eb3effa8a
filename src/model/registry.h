#pragma once
// SeriesRegistry interns (metric name, labels) to a dense 32-bit SeriesId and
// holds each metric family's metadata. Ids are never reused while the
// process lives, so a SeriesId is a stable key for store and consumers.
//
// Thread-safe: every method may be called from any thread. References
// returned by Key() stay valid for the registry's lifetime.

#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "model/labels.h"
#include "model/metric.h"
#include "model/status.h"

namespace perfwatch {

using SeriesId = uint32_t;

struct SeriesKey {
  std::string name;
  Labels labels;
};

class SeriesRegistry {
 public:
  // `max_series` bounds memory against label-cardinality explosions.
  explicit SeriesRegistry(size_t max_series = 100'000) : max_series_(max_series) {}
  SeriesRegistry(const SeriesRegistry&) = delete;
  SeriesRegistry& operator=(const SeriesRegistry&) = delete;

  // Returns the id of an existing series or creates one. Fails on an invalid
  // metric name or when the series limit is reached. Labels are trusted to be
  // valid already (Labels::Make or literals).
  Result<SeriesId> Intern(std::string_view name, const Labels& labels);

  // The key of an id returned by Intern. Precondition: id < size().
  const SeriesKey& Key(SeriesId id) const;
  size_t size() const;

  // Ids of every series of metric `name`, in creation order.
  std::vector<SeriesId> SeriesOf(std::string_view name) const;
  // Every metric name with at least one series, sorted.
  std::vector<std::string> MetricNames() const;

  // Metadata: the first description of a name wins; later ones are ignored
  // so an application cannot re-type a host metric.
  void Describe(const MetricMeta& meta);
  std::optional<MetricMeta> Meta(std::string_view name) const;

 private:
  struct StringHash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  using IdMap = std::unordered_map<std::string, SeriesId, StringHash, std::equal_to<>>;

  const size_t max_series_;
  mutable std::shared_mutex mu_;
  // protected by mu_:
  std::deque<SeriesKey> keys_;  // deque: references stay valid on growth
  IdMap ids_;                   // canonical "name{labels}" -> id
  std::unordered_map<std::string, std::vector<SeriesId>, StringHash, std::equal_to<>> by_name_;
  std::unordered_map<std::string, MetricMeta, StringHash, std::equal_to<>> meta_;
};

}  // namespace perfwatch
