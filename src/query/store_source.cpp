#include "query/store_source.h"

#include <algorithm>
#include <optional>
#include <unordered_map>

#include "query/label_order.h"

namespace perfwatch {

std::vector<SeriesId> StoreSource::Select(const SeriesSelector& selector) const {
  std::vector<SeriesId> ids = selector.Select(registry_);
  std::sort(ids.begin(), ids.end(), [&](SeriesId a, SeriesId b) {
    return SeriesKeyLess(registry_.Key(a), registry_.Key(b));
  });
  return ids;
}

Result<std::vector<std::pair<SeriesId, std::vector<Sample>>>> StoreSource::Samples(
    const std::vector<SeriesId>& ids, TimestampMs from_ms, TimestampMs to_ms) const {
  std::vector<std::pair<SeriesId, std::vector<Sample>>> out;
  if (ids.empty() || from_ms >= to_ms) return out;
  // Store ranges are closed on both ends; ours is open on the left.
  Result<std::vector<SeriesPoints>> points = store_.Query(ids, QueryRange{from_ms + 1, to_ms, 0});
  if (!points.ok()) return points.status();
  std::unordered_map<SeriesId, size_t> where;
  for (size_t i = 0; i < points->size(); ++i) where.emplace((*points)[i].id, i);
  out.reserve(where.size());
  for (SeriesId id : ids) {
    auto it = where.find(id);
    if (it == where.end()) continue;
    out.emplace_back(id, std::move((*points)[it->second].points));
    where.erase(it);  // an id given twice is answered once
  }
  return out;
}

Status StoreSource::VisitLatest(const std::vector<SeriesId>& ids, TimestampMs from_ms,
                                TimestampMs to_ms, const LatestFn& fn) const {
  std::unordered_map<SeriesId, Sample> latest;
  std::vector<SeriesId> missing = ids;
  TimestampMs done_from = to_ms;  // (done_from, to_ms] has been read
  for (int64_t width : {int64_t{10'000}, int64_t{60'000}, to_ms - from_ms}) {
    TimestampMs lo = std::max(from_ms, to_ms - width);
    if (lo >= done_from || missing.empty()) continue;
    auto samples = Samples(missing, lo, done_from);
    if (!samples.ok()) return samples.status();
    for (const auto& [id, points] : *samples) {
      if (!points.empty()) latest.emplace(id, points.back());
    }
    std::erase_if(missing, [&](SeriesId id) { return latest.contains(id); });
    done_from = lo;
  }
  for (SeriesId id : ids) {
    auto it = latest.find(id);
    if (it != latest.end()) fn(id, it->second);
  }
  return Status::Ok();
}

}  // namespace perfwatch
