#include "store/rollup.h"

#include <algorithm>
#include <cassert>
#include <cmath>
#include <string>
#include <utility>

namespace perfwatch {
namespace {

constexpr TimestampMs kMaxT = std::numeric_limits<TimestampMs>::max();

TimestampMs SaturatingAdd(TimestampMs t, int64_t d) {
  TimestampMs out;
  return __builtin_add_overflow(t, d, &out) ? kMaxT : out;
}

// A point holding one sample, stamped `start`.
RollupPoint PointOf(TimestampMs start, double value) {
  RollupPoint p{.t = start, .last = value};
  if (!std::isnan(value)) {
    p.min = p.max = p.sum = value;
    p.count = 1;
  }
  return p;
}

}  // namespace

TimestampMs AlignDown(TimestampMs t, int64_t width) {
  const int64_t rem = t % width;
  const TimestampMs toward_zero = t - rem;
  if (rem >= 0) return toward_zero;
  TimestampMs start;
  if (__builtin_sub_overflow(toward_zero, width, &start)) {
    return std::numeric_limits<TimestampMs>::min();
  }
  return start;
}

RollupPoint Combine(const RollupPoint& a, const RollupPoint& b) {
  if (b.count == 0) return {a.t, a.min, a.max, a.sum, a.count, b.last};
  if (a.count == 0) return {a.t, b.min, b.max, b.sum, b.count, b.last};
  return {a.t,           std::min(a.min, b.min), std::max(a.max, b.max),
          a.sum + b.sum, a.count + b.count,      b.last};
}

double Value(const RollupPoint& point, Aggregation agg) {
  if (agg == Aggregation::kLast) return point.last;
  if (point.count == 0) return std::numeric_limits<double>::quiet_NaN();
  switch (agg) {
    case Aggregation::kMin:
      return point.min;
    case Aggregation::kMax:
      return point.max;
    default:
      return point.sum / static_cast<double>(point.count);
  }
}

RollupBuilder::RollupBuilder(int64_t bucket_ms, RollupSink sink)
    : bucket_ms_(bucket_ms), sink_(std::move(sink)) {
  assert(bucket_ms_ > 0);
}

RollupBuilder::SeriesState& RollupBuilder::StateOf(SeriesId id) {
  if (id >= series_.size()) series_.resize(size_t{id} + 1);
  return series_[id];
}

Status RollupBuilder::Refuse(SeriesId id, TimestampMs t, const SeriesState& state) {
  ++refused_;
  return Status::InvalidArgument("rollup of series " + std::to_string(id) + ": input at " +
                                 std::to_string(t) + " ms is before " +
                                 std::to_string(state.next_t) + " ms (out of order)");
}

void RollupBuilder::Advance(SeriesId id, SeriesState& state, TimestampMs t) {
  const TimestampMs start = AlignDown(t, bucket_ms_);
  if (state.has_open && state.open.t != start) Emit(id, state);
  if (!state.has_open) {
    state.open = RollupPoint{.t = start};
    state.has_open = true;
    ++open_buckets_;
  }
  state.next_t = SaturatingAdd(t, 1);
}

Status RollupBuilder::Feed(SeriesId id, const Sample& sample) {
  SeriesState& state = StateOf(id);
  if (sample.t_ms < state.next_t) return Refuse(id, sample.t_ms, state);
  Advance(id, state, sample.t_ms);
  state.open = Combine(state.open, PointOf(state.open.t, sample.value));
  return Status::Ok();
}

Status RollupBuilder::FeedRollup(SeriesId id, const RollupPoint& point) {
  SeriesState& state = StateOf(id);
  if (point.t < state.next_t) return Refuse(id, point.t, state);
  Advance(id, state, point.t);
  state.open = Combine(state.open, point);
  return Status::Ok();
}

void RollupBuilder::Emit(SeriesId id, SeriesState& state) {
  state.has_open = false;
  --open_buckets_;
  state.next_t = std::max(state.next_t, SaturatingAdd(state.open.t, bucket_ms_));
  sink_(id, state.open);
}

void RollupBuilder::Flush(TimestampMs now) {
  if (open_buckets_ == 0) return;
  for (SeriesId id = 0; id < series_.size(); ++id) {
    SeriesState& state = series_[id];
    if (state.has_open && SaturatingAdd(state.open.t, bucket_ms_) <= now) Emit(id, state);
  }
}

void RollupBuilder::FlushAll() { Flush(kMaxT); }

std::optional<RollupPoint> RollupBuilder::Open(SeriesId id) const {
  if (id >= series_.size() || !series_[id].has_open) return std::nullopt;
  return series_[id].open;
}

std::vector<RollupPoint> RollUp(std::span<const Sample> samples, int64_t bucket_ms) {
  std::vector<RollupPoint> out;
  RollupBuilder builder(bucket_ms, [&](SeriesId, const RollupPoint& p) { out.push_back(p); });
  for (const Sample& s : samples) (void)builder.Feed(0, s);
  builder.FlushAll();
  return out;
}

std::vector<RollupPoint> RollUp(std::span<const RollupPoint> points, int64_t bucket_ms) {
  std::vector<RollupPoint> out;
  RollupBuilder builder(bucket_ms, [&](SeriesId, const RollupPoint& p) { out.push_back(p); });
  for (const RollupPoint& p : points) (void)builder.FeedRollup(0, p);
  builder.FlushAll();
  return out;
}

}  // namespace perfwatch
