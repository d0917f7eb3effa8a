#include "query/label_order.h"

#include <algorithm>
#include <array>
#include <string_view>
#include <utility>

namespace perfwatch {
namespace {

constexpr std::string_view kNameLabel = "__name__";

// A label set with __name__ merged in at its sorted place, read by index.
class MergedLabels {
 public:
  MergedLabels(const Labels& labels, const std::string* name) : labels_(labels), name_(name) {
    if (name_ != nullptr) {
      name_pos_ = std::lower_bound(labels.begin(), labels.end(), kNameLabel,
                                   [](const Label& l, std::string_view n) { return l.name < n; }) -
                  labels.begin();
    }
  }
  size_t size() const { return labels_.size() + (name_ != nullptr ? 1 : 0); }
  std::pair<std::string_view, std::string_view> at(size_t k) const {
    if (name_ != nullptr) {
      if (k == name_pos_) return {kNameLabel, *name_};
      if (k > name_pos_) --k;
    }
    const Label& l = labels_.begin()[k];
    return {l.name, l.value};
  }

 private:
  const Labels& labels_;
  const std::string* name_;
  size_t name_pos_ = 0;
};

constexpr size_t kMaxWithName = kMaxLabelsPerSeries + 1;

template <size_t... I>
Labels FromArray(const std::array<Label, kMaxWithName>& a, std::index_sequence<I...>) {
  return Labels{a[I]...};
}

}  // namespace

int CompareLabelSets(const Labels& a, const std::string* a_name, const Labels& b,
                     const std::string* b_name) {
  MergedLabels x(a, a_name), y(b, b_name);
  size_t n = std::min(x.size(), y.size());
  for (size_t k = 0; k < n; ++k) {
    auto [xn, xv] = x.at(k);
    auto [yn, yv] = y.at(k);
    if (int c = xn.compare(yn); c != 0) return c;
    if (int c = xv.compare(yv); c != 0) return c;
  }
  return x.size() < y.size() ? -1 : x.size() > y.size() ? 1 : 0;
}

Labels WithMetricName(const Labels& labels, const std::string& name) {
  if (labels.size() >= kMaxWithName) return labels;
  // Labels' list constructor is the one that does not validate names; slots
  // left with empty values are dropped by it.
  std::array<Label, kMaxWithName> all;
  size_t i = 0;
  for (const Label& l : labels) all[i++] = l;
  all[i] = Label{std::string(kNameLabel), name};
  return FromArray(all, std::make_index_sequence<kMaxWithName>());
}

}  // namespace perfwatch
