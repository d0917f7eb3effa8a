#include "store/mem_store.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <mutex>
#include <string>
#include <utility>

namespace perfwatch {
namespace {

constexpr int64_t kRetentionCheckEveryMs = 1000;

// floor(t / step) * step, saturating at INT64_MIN.
TimestampMs BucketStart(TimestampMs t, int64_t step) {
  const int64_t rem = t % step;
  const TimestampMs toward_zero = t - rem;
  if (rem >= 0) return toward_zero;
  TimestampMs start;
  if (__builtin_sub_overflow(toward_zero, step, &start)) return INT64_MIN;
  return start;
}

// Folds time-ordered samples into one point per non-empty bucket.
class Bucketer {
 public:
  Bucketer(const QueryRange& range, std::vector<Sample>* out)
      : step_(range.step_ms), agg_(range.agg), out_(out) {}

  void Add(const Sample& s) {
    const TimestampMs start = BucketStart(s.t_ms, step_);
    if (count_ == 0 || start != start_) {
      Flush();
      start_ = start;
    }
    ++count_;
    last_ = s.value;
    if (std::isnan(s.value)) return;
    sum_ += s.value;
    min_ = numbers_ == 0 ? s.value : std::min(min_, s.value);
    max_ = numbers_ == 0 ? s.value : std::max(max_, s.value);
    ++numbers_;
  }

  void Flush() {
    if (count_ == 0) return;
    out_->push_back({start_, Value()});
    count_ = numbers_ = 0;
    sum_ = 0;
  }

 private:
  double Value() const {
    if (agg_ == Aggregation::kLast) return last_;
    if (numbers_ == 0) return std::numeric_limits<double>::quiet_NaN();
    switch (agg_) {
      case Aggregation::kMin:
        return min_;
      case Aggregation::kMax:
        return max_;
      default:
        return sum_ / static_cast<double>(numbers_);
    }
  }

  const int64_t step_;
  const Aggregation agg_;
  std::vector<Sample>* out_;
  TimestampMs start_ = 0;
  size_t count_ = 0;    // samples in the bucket
  size_t numbers_ = 0;  // of which not NaN
  double sum_ = 0, min_ = 0, max_ = 0, last_ = 0;
};

// Calls fn(sample) for each sample of the time-ordered `chunks` inside
// [from_ms, to_ms], stopping at the first sample past to_ms.
template <typename Chunks, typename Fn>
Status ForEachSampleInRange(const Chunks& chunks, const QueryRange& range, Fn&& fn) {
  for (const auto& chunk : chunks) {
    Result<ChunkDecoder> decoder = ChunkDecoder::Open(chunk->bytes);
    if (!decoder.ok()) return decoder.status();
    Sample s;
    while (decoder->Next(&s)) {
      if (s.t_ms > range.to_ms) return Status::Ok();
      if (s.t_ms >= range.from_ms) fn(s);
    }
    if (!decoder->status().ok()) return decoder->status();
  }
  return Status::Ok();
}

// Raw samples, or one aggregate per bucket, of `chunks` within the range.
template <typename Chunks>
Status DecodePoints(const Chunks& chunks, const QueryRange& range, std::vector<Sample>* out) {
  if (range.step_ms == 0) {
    return ForEachSampleInRange(chunks, range, [&](const Sample& s) { out->push_back(s); });
  }
  Bucketer bucketer(range, out);
  Status status = ForEachSampleInRange(chunks, range, [&](const Sample& s) { bucketer.Add(s); });
  bucketer.Flush();
  return status;
}

Status ValidateRange(const QueryRange& range) {
  if (range.step_ms < 0) {
    return Status::InvalidArgument("step must not be negative, got " +
                                   std::to_string(range.step_ms) + " ms");
  }
  if (range.from_ms > range.to_ms) {
    return Status::InvalidArgument("range start " + std::to_string(range.from_ms) +
                                   " is after its end " + std::to_string(range.to_ms));
  }
  return Status::Ok();
}

}  // namespace

MemStore::MemStore(MemStoreOptions options) : options_(options) {}

Status MemStore::Commit(const Tick& tick) {
  const TimestampMs t = tick.time();
  std::unique_lock lock(mu_);
  for (const auto& [id, value] : tick.samples()) {
    if (id >= series_.size()) series_.resize(std::max<size_t>(id + 1, tick.registry().size()));
    Series& series = series_[id];
    if (series.has_last && t <= series.last_t) {
      ++stats_.out_of_order;
      continue;
    }
    AppendLocked(series, t, value);
  }
  newest_ = std::max(newest_, t);
  if (newest_ >= next_retention_check_) {
    EnforceRetentionLocked();
    next_retention_check_ =
        newest_ > INT64_MAX - kRetentionCheckEveryMs ? INT64_MAX : newest_ + kRetentionCheckEveryMs;
  }
  return Status::Ok();
}

void MemStore::AppendLocked(Series& series, TimestampMs t_ms, double value) {
  if (series.empty()) ++stats_.series;
  const size_t bytes_before = series.head.count() == 0 ? 0 : series.head.sealed_size();
  if (!series.head.Append(t_ms, value)) {  // only a chunk of 2^32-1 samples refuses
    SealLocked(series);
    return AppendLocked(series, t_ms, value);
  }
  stats_.bytes += series.head.sealed_size() - bytes_before;
  ++stats_.samples;
  series.has_last = true;
  series.last_t = t_ms;
  if (series.head.count() >= options_.chunk_samples) SealLocked(series);
}

// Byte and sample totals do not change: a sealed chunk is exactly as large
// as the head's sealed_size() already counted.
void MemStore::SealLocked(Series& series) {
  auto chunk = std::make_shared<SealedChunk>();
  chunk->min_t = series.head.first_time();
  chunk->max_t = series.head.last_time();
  chunk->count = series.head.count();
  chunk->bytes = series.head.Seal();
  series.sealed.push_back(std::move(chunk));
}

void MemStore::EnforceRetentionLocked() {
  if (newest_ < INT64_MIN + options_.retention_ms) return;
  const TimestampMs cutoff = newest_ - options_.retention_ms;
  for (Series& series : series_) {
    if (series.empty()) continue;
    auto keep = series.sealed.begin();
    for (; keep != series.sealed.end() && (*keep)->max_t < cutoff; ++keep) {
      stats_.samples -= (*keep)->count;
      stats_.bytes -= (*keep)->bytes.size();
    }
    series.sealed.erase(series.sealed.begin(), keep);
    // A series that stopped reporting keeps an old head; it expires too.
    if (series.head.count() > 0 && series.head.last_time() < cutoff) {
      stats_.samples -= series.head.count();
      stats_.bytes -= series.head.sealed_size();
      (void)series.head.Seal();
    }
    if (series.empty()) --stats_.series;
  }
}

std::vector<MemStore::SeriesChunks> MemStore::SnapshotLocked(const std::vector<SeriesId>& ids,
                                                             const QueryRange& range) const {
  std::vector<SeriesChunks> out;
  for (SeriesId id : ids) {
    if (id >= series_.size()) break;  // ids are sorted
    const Series& series = series_[id];
    SeriesChunks snap{id, {}};
    auto it = std::partition_point(series.sealed.begin(), series.sealed.end(),
                                   [&](const ChunkRef& c) { return c->max_t < range.from_ms; });
    for (; it != series.sealed.end() && (*it)->min_t <= range.to_ms; ++it)
      snap.chunks.push_back(*it);
    const ChunkEncoder& head = series.head;
    if (head.count() > 0 && head.first_time() <= range.to_ms && head.last_time() >= range.from_ms) {
      snap.chunks.push_back(std::make_shared<SealedChunk>(
          SealedChunk{head.first_time(), head.last_time(), head.count(), head.SealedCopy()}));
    }
    if (!snap.chunks.empty()) out.push_back(std::move(snap));
  }
  return out;
}

Result<std::vector<SeriesPoints>> MemStore::Query(const std::vector<SeriesId>& ids,
                                                  const QueryRange& range) const {
  if (Status status = ValidateRange(range); !status.ok()) return status;
  std::vector<SeriesId> sorted = ids;
  std::sort(sorted.begin(), sorted.end());
  sorted.erase(std::unique(sorted.begin(), sorted.end()), sorted.end());
  std::vector<SeriesChunks> snapshot;
  {
    std::shared_lock lock(mu_);
    snapshot = SnapshotLocked(sorted, range);
  }

  std::vector<SeriesPoints> answer;
  std::vector<Sample> scratch;  // once over the limit, points are only counted
  size_t total = 0;
  for (const SeriesChunks& snap : snapshot) {
    const bool over = total > options_.max_points_per_query;
    std::vector<Sample>& points =
        over ? scratch : answer.emplace_back(SeriesPoints{snap.id, {}}).points;
    points.clear();
    if (Status status = DecodePoints(snap.chunks, range, &points); !status.ok()) return status;
    total += points.size();
    if (over) continue;
    if (points.empty()) {
      answer.pop_back();
    } else if (total > options_.max_points_per_query) {
      answer.clear();
    }
  }
  if (total > options_.max_points_per_query) {
    return Status::ResourceExhausted(
        "query would return " + std::to_string(total) + " points (limit " +
        std::to_string(options_.max_points_per_query) + "); use a larger step or a shorter range");
  }
  return answer;
}

StoreStats MemStore::Stats() const {
  std::shared_lock lock(mu_);
  return stats_;
}

}  // namespace perfwatch
