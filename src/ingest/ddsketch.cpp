#include "ingest/ddsketch.h"

#include <algorithm>

namespace perfwatch {
namespace {

// Extra bins allocated beyond the data when a store grows, so a slowly
// widening range does not reallocate on every new bin.
constexpr int64_t kGrowthSlack = 64;

}  // namespace

DDSketch::DDSketch(double relative_accuracy, int max_bins)
    : relative_accuracy_(relative_accuracy > 0 && relative_accuracy < 1 ? relative_accuracy : 0.01),
      gamma_((1 + relative_accuracy_) / (1 - relative_accuracy_)),
      multiplier_(1 / std::log(gamma_)),
      // Below this, log() leaves the normal range and indices lose meaning.
      min_indexable_(std::numeric_limits<double>::min() * gamma_),
      positive_(std::max(max_bins, 1)),
      negative_(std::max(max_bins, 1)) {}

double DDSketch::Value(int index) const {
  // The point of (gamma^(k-1), gamma^k] at relative distance a from both ends.
  return std::exp(index / multiplier_) * (1 - relative_accuracy_);
}

void DDSketch::Merge(const DDSketch& other) {
  if (other.empty()) return;
  if (other.gamma_ == gamma_) {
    positive_.Merge(other.positive_);
    negative_.Merge(other.negative_);
  } else {
    other.positive_.ForEach([&](int k, double w) { positive_.Add(Index(other.Value(k)), w); });
    other.negative_.ForEach([&](int k, double w) { negative_.Add(Index(other.Value(k)), w); });
  }
  zero_count_ += other.zero_count_;
  count_ += other.count_;
  sum_ += other.sum_;
  min_ = std::min(min_, other.min_);
  max_ = std::max(max_, other.max_);
}

double DDSketch::Quantile(double q) const {
  if (count_ <= 0 || !(q >= 0 && q <= 1)) return std::numeric_limits<double>::quiet_NaN();
  const double rank = std::max(0.0, q * (count_ - 1));
  const double negatives = negative_.total();
  double v;
  if (rank < negatives) {
    // The negative store is ordered by magnitude, the reverse of value order.
    v = -Value(negative_.KeyAtRank(negatives - 1 - rank, /*lower=*/false));
  } else if (rank < negatives + zero_count_) {
    v = 0;
  } else {
    v = Value(positive_.KeyAtRank(rank - negatives - zero_count_, /*lower=*/true));
  }
  return std::clamp(v, min_, max_);
}

void DDSketch::Clear() {
  positive_.Clear();
  negative_.Clear();
  zero_count_ = 0;
  count_ = 0;
  sum_ = 0;
  min_ = std::numeric_limits<double>::infinity();
  max_ = -std::numeric_limits<double>::infinity();
}

void DDSketch::Store::AddOutside(int key, double weight) {
  const bool empty = total_ == 0;
  const int hi = empty ? key : std::max(max_key_, key);
  int lo = empty ? key : std::min(min_key_, key);
  if (static_cast<int64_t>(hi) - lo + 1 > max_bins_) lo = hi - max_bins_ + 1;
  key = std::max(key, lo);
  const int64_t size = static_cast<int64_t>(bins_.size());
  if (!bins_.empty() && lo >= offset_ && hi < offset_ + size) {
    // A collapsed store: the key was below the lowest bin and joins it.
    bins_[key - offset_] += weight;
    min_key_ = lo;
    max_key_ = hi;
    return;
  }
  const int64_t span = static_cast<int64_t>(hi) - lo + 1;
  const int64_t len = std::min<int64_t>(max_bins_, span + kGrowthSlack);
  int new_offset;
  if (empty) {
    new_offset = static_cast<int>(lo - (len - span) / 2);
  } else if (key < min_key_) {
    new_offset = static_cast<int>(hi - len + 1);  // growing down: slack below
  } else {
    new_offset = lo;
  }
  std::vector<double> bins(static_cast<size_t>(len), 0.0);
  ForEach([&](int k, double w) { bins[std::max(k, lo) - new_offset] += w; });
  bins[key - new_offset] += weight;
  bins_ = std::move(bins);
  offset_ = new_offset;
  min_key_ = lo;
  max_key_ = hi;
}

void DDSketch::Store::Merge(const Store& other) {
  if (other.total_ == 0) return;
  // The two ends first, so the array grows at most twice.
  Add(other.max_key_, other.bins_[other.max_key_ - other.offset_]);
  if (other.min_key_ != other.max_key_) {
    Add(other.min_key_, other.bins_[other.min_key_ - other.offset_]);
  }
  const int64_t size = static_cast<int64_t>(bins_.size());
  if (other.min_key_ >= offset_ && other.max_key_ < offset_ + size) {
    // No collapse: add bin to bin (totals and key range are already right
    // for the inner bins, which lie between the two ends).
    const double* from = &other.bins_[other.min_key_ + 1 - other.offset_];
    double* to = &bins_[other.min_key_ + 1 - offset_];
    double inner = 0;
    for (int k = other.min_key_ + 1; k < other.max_key_; ++k, ++from, ++to) {
      *to += *from;
      inner += *from;
    }
    total_ += inner;
    return;
  }
  for (int k = other.min_key_ + 1; k < other.max_key_; ++k) {
    const double w = other.bins_[k - other.offset_];
    if (w != 0) Add(k, w);
  }
}

int DDSketch::Store::KeyAtRank(double rank, bool lower) const {
  double running = 0;
  for (int k = min_key_; k <= max_key_; ++k) {
    running += bins_[k - offset_];
    if (lower ? running > rank : running >= rank + 1) return k;
  }
  return max_key_;
}

void DDSketch::Store::Clear() {
  if (total_ > 0) {
    std::fill(bins_.begin() + (min_key_ - offset_), bins_.begin() + (max_key_ - offset_ + 1), 0.0);
  }
  min_key_ = std::numeric_limits<int>::max();
  max_key_ = std::numeric_limits<int>::min();
  total_ = 0;
}

}  // namespace perfwatch
