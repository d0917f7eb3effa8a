#include "query/window_cache.h"

#include <algorithm>

#include "query/label_order.h"

namespace perfwatch {
namespace {

// Bounds the selection cache when rules come and go.
constexpr size_t kMaxCachedSelections = 4096;

bool SameSelector(const SeriesSelector& a, const SeriesSelector& b) {
  if (a.metric() != b.metric() || a.matchers().size() != b.matchers().size()) return false;
  for (size_t i = 0; i < a.matchers().size(); ++i) {
    const LabelMatcher& x = a.matchers()[i];
    const LabelMatcher& y = b.matchers()[i];
    if (x.name != y.name || x.op != y.op || x.value != y.value) return false;
  }
  return true;
}

}  // namespace

WindowCache::WindowCache(const SeriesRegistry& registry, int64_t window_ms)
    : registry_(registry), window_ms_(window_ms) {}

void WindowCache::set_window(int64_t window_ms) {
  window_ms_ = window_ms;
  if (has_needs_) return;
  for (SeriesWindow& w : series_) w.keep_ms = window_ms_;
}

void WindowCache::SetRangeNeeds(
    const std::vector<std::pair<const SeriesSelector*, int64_t>>& needs) {
  has_needs_ = true;
  needs_.clear();
  needs_by_name_.clear();
  unnamed_needs_.clear();
  for (const auto& [selector, back_ms] : needs) {
    size_t i = needs_.size();
    needs_.push_back(RangeNeed{*selector, back_ms});
    if (selector->metric().empty()) {
      unnamed_needs_.push_back(i);
    } else {
      needs_by_name_[selector->metric()].push_back(i);
    }
  }
  for (SeriesId id = 0; id < series_.size(); ++id) series_[id].keep_ms = KeepFor(id);
}

int64_t WindowCache::KeepFor(SeriesId id) const {
  if (!has_needs_) return window_ms_;
  const SeriesKey& key = registry_.Key(id);
  int64_t keep = 0;  // only the newest sample
  auto consider = [&](size_t i) {
    int64_t back = needs_[i].back_ms;
    if (back > keep && needs_[i].selector.Matches(key)) keep = back;
  };
  if (auto it = needs_by_name_.find(key.name); it != needs_by_name_.end()) {
    for (size_t i : it->second) consider(i);
  }
  for (size_t i : unnamed_needs_) consider(i);
  return keep;
}

void WindowCache::ExtendSeries() {
  size_t n = registry_.size();
  for (SeriesId id = static_cast<SeriesId>(series_.size()); id < n; ++id) {
    series_.emplace_back();
    series_.back().keep_ms = KeepFor(id);
    series_.back().key = &registry_.Key(id);
  }
}

void WindowCache::Trim(SeriesWindow& w, TimestampMs now) const {
  TimestampMs cutoff = now - w.keep_ms;
  while (w.begin + 1 < w.samples.size() && w.samples[w.begin].t_ms < cutoff) ++w.begin;
  if (w.begin > 0 && w.begin >= w.samples.size() - w.begin) {
    w.samples.erase(w.samples.begin(), w.samples.begin() + static_cast<ptrdiff_t>(w.begin));
    w.begin = 0;
  }
}

void WindowCache::Observe(const Tick& tick) {
  TimestampMs t = tick.time();
  newest_ = std::max(newest_, t);
  for (const auto& [id, value] : tick.samples()) {
    if (id >= series_.size()) ExtendSeries();
    if (id >= series_.size()) continue;  // not from this registry
    SeriesWindow& w = series_[id];
    if (!w.samples.empty() && w.samples.back().t_ms >= t) continue;
    w.samples.push_back(Sample{t, value});
    Trim(w, newest_);
  }
}

size_t WindowCache::sample_count() const {
  size_t n = 0;
  for (const SeriesWindow& w : series_) n += w.samples.size() - w.begin;
  return n;
}

WindowCache::Selection& WindowCache::SelectionFor(const SeriesSelector& selector) const {
  auto it = selections_.find(&selector);
  if (it != selections_.end() && SameSelector(it->second.selector, selector)) return it->second;
  if (selections_.size() >= kMaxCachedSelections) selections_.clear();
  // First sight: the registry's name index finds the matches; ids interned
  // meanwhile are dropped here and picked up by the incremental scan.
  Selection sel{selector, {}, registry_.size()};
  for (SeriesId id : selector.Select(registry_)) {
    if (id < sel.scanned) sel.ids.push_back(id);
  }
  std::sort(sel.ids.begin(), sel.ids.end(), [&](SeriesId a, SeriesId b) {
    return SeriesKeyLess(registry_.Key(a), registry_.Key(b));
  });
  return selections_.insert_or_assign(&selector, std::move(sel)).first->second;
}

std::vector<SeriesId> WindowCache::Select(const SeriesSelector& selector) const {
  Selection& sel = SelectionFor(selector);
  size_t n = registry_.size();
  if (sel.scanned < n) {
    size_t before = sel.ids.size();
    for (SeriesId id = static_cast<SeriesId>(sel.scanned); id < n; ++id) {
      if (sel.selector.Matches(registry_.Key(id))) sel.ids.push_back(id);
    }
    sel.scanned = n;
    if (sel.ids.size() != before) {
      std::sort(sel.ids.begin(), sel.ids.end(), [&](SeriesId a, SeriesId b) {
        return SeriesKeyLess(registry_.Key(a), registry_.Key(b));
      });
    }
  }
  return sel.ids;
}

Status WindowCache::Visit(const std::vector<SeriesId>& ids, TimestampMs from_ms, TimestampMs to_ms,
                          const SamplesFn& fn) const {
  for (SeriesId id : ids) {
    if (id >= series_.size()) continue;
    std::span<const Sample> s = series_[id].live();
    auto lo = std::upper_bound(s.begin(), s.end(), from_ms,
                               [](TimestampMs t, const Sample& x) { return t < x.t_ms; });
    auto hi = std::upper_bound(lo, s.end(), to_ms,
                               [](TimestampMs t, const Sample& x) { return t < x.t_ms; });
    if (lo != hi) fn(id, std::span<const Sample>(lo, hi));
  }
  return Status::Ok();
}

Status WindowCache::VisitLatest(const std::vector<SeriesId>& ids, TimestampMs from_ms,
                                TimestampMs to_ms, const LatestFn& fn) const {
  for (SeriesId id : ids) {
    if (id >= series_.size()) continue;
    std::span<const Sample> s = series_[id].live();
    // Almost always the newest sample; walk back only when evaluating
    // before it.
    size_t i = s.size();
    while (i > 0 && s[i - 1].t_ms > to_ms) --i;
    if (i > 0 && s[i - 1].t_ms > from_ms) fn(id, s[i - 1]);
  }
  return Status::Ok();
}

Result<std::vector<std::pair<SeriesId, std::vector<Sample>>>> WindowCache::Samples(
    const std::vector<SeriesId>& ids, TimestampMs from_ms, TimestampMs to_ms) const {
  std::vector<std::pair<SeriesId, std::vector<Sample>>> out;
  Status st = Visit(ids, from_ms, to_ms, [&](SeriesId id, std::span<const Sample> s) {
    out.emplace_back(id, std::vector<Sample>(s.begin(), s.end()));
  });
  if (!st.ok()) return st;
  return out;
}

}  // namespace perfwatch
