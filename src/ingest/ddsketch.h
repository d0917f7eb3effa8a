#pragma once
// DDSketch (Masson, Rim, Lee: "DDSketch: a fast and fully-mergeable quantile
// sketch with relative-error guarantees", VLDB 2019): every quantile it
// returns is within `relative_accuracy` of the exact value of the same rank,
// and two sketches of the same accuracy merge without losing any of it, so
// a p95 over a minute is computed from the minute's data, not from an
// average of per-second p95s.
//
// A positive value v falls in bin ceil(log_gamma(v)), gamma = (1+a)/(1-a);
// negative values use a mirrored store, values too small to index count as
// zero. count, sum, min and max are kept exactly.
//
// Memory: each store is a dense array spanning the lowest to the highest
// bin seen, at most `max_bins` doubles; past that the lowest bins collapse
// into one (as DDSketch's CollapsingLowestDenseStore does), which only loses
// accuracy for quantiles among the smallest values. With a = 0.01, 2048
// bins span a ratio of 1e17 between the smallest and the largest value, so
// a sketch is at most 2 x 16 KiB plus a few words, and typically holds a
// few hundred bins.
//
// Not thread-safe: the owner serialises access. A value type (copyable).

#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

namespace perfwatch {

class DDSketch {
 public:
  static constexpr int kDefaultMaxBins = 2048;

  explicit DDSketch(double relative_accuracy = 0.01, int max_bins = kDefaultMaxBins);

  // Counts `value` `weight` times. Non-finite values and weights that are
  // not > 0 are ignored (callers refuse them first).
  void Add(double value, double weight = 1) {
    if (!(weight > 0) || !(value - value == 0) || !(weight - weight == 0)) return;
    if (value > min_indexable_) {
      positive_.Add(Index(value), weight);
    } else if (value < -min_indexable_) {
      negative_.Add(Index(-value), weight);
    } else {
      zero_count_ += weight;
    }
    count_ += weight;
    sum_ += value * weight;
    if (value < min_) min_ = value;
    if (value > max_) max_ = value;
  }

  // Adds every value of `other`. Exact when both have the same accuracy;
  // otherwise `other`'s bins are re-added at their representative values.
  void Merge(const DDSketch& other);

  // The value of rank q * (count - 1) (the lower one of a fractional rank),
  // within the relative accuracy and clamped to [min, max]; NaN when empty
  // or q is outside [0, 1].
  double Quantile(double q) const;

  // Forgets every value; keeps the bins' memory for reuse.
  void Clear();

  bool empty() const { return count_ == 0; }
  double count() const { return count_; }
  double sum() const { return sum_; }
  double min() const { return min_; }  // +inf when empty
  double max() const { return max_; }  // -inf when empty
  double relative_accuracy() const { return relative_accuracy_; }
  // Bins in use (positive + negative stores); for tests of the memory bound.
  int bin_count() const { return positive_.span() + negative_.span(); }

 private:
  // Bins of one sign: a dense array over [offset_, offset_ + bins_.size()),
  // holding data in [min_key_, max_key_].
  class Store {
   public:
    explicit Store(int max_bins) : max_bins_(max_bins) {}
    void Add(int key, double weight) {
      const int64_t i = static_cast<int64_t>(key) - offset_;
      if (i >= 0 && i < static_cast<int64_t>(bins_.size())) {
        bins_[i] += weight;
        if (key < min_key_) min_key_ = key;
        if (key > max_key_) max_key_ = key;
      } else {
        AddOutside(key, weight);
      }
      total_ += weight;
    }
    void Merge(const Store& other);
    // Key of the bin holding the value of 0-based rank `rank` (lower) or
    // the bin where the running count first reaches rank + 1 (upper).
    int KeyAtRank(double rank, bool lower) const;
    void Clear();
    double total() const { return total_; }
    int span() const { return total_ > 0 ? max_key_ - min_key_ + 1 : 0; }
    template <typename F>
    void ForEach(F f) const {
      if (total_ == 0) return;
      for (int k = min_key_; k <= max_key_; ++k) {
        const double w = bins_[k - offset_];
        if (w != 0) f(k, w);
      }
    }

   private:
    void AddOutside(int key, double weight);
    int max_bins_;
    std::vector<double> bins_;
    int offset_ = 0;
    int min_key_ = std::numeric_limits<int>::max();
    int max_key_ = std::numeric_limits<int>::min();
    double total_ = 0;
  };

  // v > min_indexable_: bin k holds (gamma^(k-1), gamma^k].
  int Index(double v) const { return static_cast<int>(std::ceil(std::log(v) * multiplier_)); }
  double Value(int index) const;  // the bin's representative value

  double relative_accuracy_;
  double gamma_;
  double multiplier_;  // 1 / ln(gamma)
  double min_indexable_;
  Store positive_;
  Store negative_;  // keyed by the index of -value
  double zero_count_ = 0;
  double count_ = 0;
  double sum_ = 0;
  double min_ = std::numeric_limits<double>::infinity();
  double max_ = -std::numeric_limits<double>::infinity();
};

}  // namespace perfwatch
