#include "interchange/history_export.h"

#include <algorithm>
#include <utility>

namespace perfwatch {
namespace {

// Where a series has data it is read an hour at a time.
constexpr int64_t kWindowMs = 3'600'000;
// Empty stretches are crossed in doubling leaps, so a range of years costs a
// few dozen queries per series, not tens of thousands. The cap keeps
// window arithmetic clear of overflow.
constexpr int64_t kMaxWindowMs = int64_t{1} << 61;

std::vector<SeriesId> GroupedByName(const SeriesRegistry& registry, std::vector<SeriesId> ids) {
  std::stable_sort(ids.begin(), ids.end(), [&registry](SeriesId a, SeriesId b) {
    return registry.Key(a).name < registry.Key(b).name;
  });
  return ids;
}

}  // namespace

HistoryExport::HistoryExport(const SeriesRegistry& registry, const Store& store,
                             std::vector<SeriesId> ids, ExportRange range, HistoryFormat format,
                             const WriteOptions& options)
    : registry_(registry),
      store_(store),
      ids_(GroupedByName(registry, std::move(ids))),
      range_(range),
      writer_(MakeHistoryWriter(
          format, [this](std::string_view text) { pending_.append(text); }, options)) {}

HistoryExport::~HistoryExport() = default;

Result<bool> HistoryExport::Next(std::string* out) {
  out->clear();
  if (!error_.ok()) return error_;
  while (pending_.empty() && !finished_) {
    if (Status st = Advance(); !st.ok()) {
      error_ = st;
      return st;
    }
  }
  // Swapping hands the caller the text and keeps both buffers' capacity.
  out->swap(pending_);
  return !finished_;
}

Status HistoryExport::Advance() {
  if (window_pos_ < window_.size()) return FeedBuffered();
  if (in_series_) return QueryNextWindow();
  if (next_series_ < ids_.size()) {
    StartSeries();
    return Status::Ok();
  }
  writer_->Finish();
  finished_ = true;
  return Status::Ok();
}

void HistoryExport::StartSeries() {
  current_ = next_series_++;
  in_series_ = true;
  series_begun_ = false;
  window_from_ = range_.from_ms;
  window_ms_ = kWindowMs;
}

// Feeds samples until the writer hands over a piece, so each piece is about
// one writer chunk however many samples the window holds.
Status HistoryExport::FeedBuffered() {
  if (!series_begun_) {
    const SeriesKey& key = registry_.Key(ids_[current_]);
    std::optional<MetricMeta> meta = registry_.Meta(key.name);
    if (Status st = writer_->BeginSeries(key, meta ? &*meta : nullptr); !st.ok()) return st;
    series_begun_ = true;
  }
  while (window_pos_ < window_.size() && pending_.empty()) {
    if (Status st = writer_->AddSample(window_[window_pos_++]); !st.ok()) return st;
    ++samples_;
  }
  if (window_pos_ == window_.size()) {
    window_.clear();
    window_pos_ = 0;
  }
  return Status::Ok();
}

Status HistoryExport::QueryNextWindow() {
  const TimestampMs from = window_from_;
  // to_ms - from computed unsigned: it always fits, even across the whole
  // int64 range; the window then ends at or before to_ms.
  const uint64_t left = static_cast<uint64_t>(range_.to_ms) - static_cast<uint64_t>(from);
  const TimestampMs to =
      left < static_cast<uint64_t>(window_ms_ - 1) ? range_.to_ms : from + (window_ms_ - 1);
  Result<std::vector<SeriesPoints>> points =
      store_.Query({ids_[current_]}, QueryRange{from, to, 0, Aggregation::kLast});
  if (!points.ok()) {
    // Denser history than the store answers in one query (an import at
    // millisecond resolution): retry the same start with half the window.
    if (points.status().code() == Status::Code::kResourceExhausted && to > from) {
      window_ms_ = std::max<int64_t>(
          1,
          static_cast<int64_t>((static_cast<uint64_t>(to) - static_cast<uint64_t>(from) + 1) / 2));
      return Status::Ok();
    }
    return points.status();
  }
  if (to == range_.to_ms) {
    in_series_ = false;
  } else {
    window_from_ = to + 1;
  }
  if (points->empty()) {
    window_ms_ = std::min(window_ms_ * 2, kMaxWindowMs);
    return Status::Ok();
  }
  window_ms_ = std::min(window_ms_, kWindowMs);
  window_ = std::move(points->front().points);
  window_pos_ = 0;
  return Status::Ok();
}

}  // namespace perfwatch
