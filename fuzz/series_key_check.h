#pragma once
// What every reader of untrusted bytes promises about a SeriesKey it hands
// on: a valid metric name, and labels exactly as Labels::Make would build
// them (sorted, unique, valid names, no empty values, within the limits).

#include <vector>

#include "model/labels.h"
#include "model/registry.h"

namespace perfwatch::fuzz {

inline bool IsWellFormedKey(const SeriesKey& key) {
  if (!IsValidMetricName(key.name) || key.labels.size() > kMaxLabelsPerSeries) return false;
  for (const Label& l : key.labels) {
    if (l.value.empty() || l.value.size() > kMaxLabelValueBytes) return false;
  }
  // Make sorts, validates and drops empty values: a canonical set comes back unchanged.
  Result<Labels> remade = Labels::Make(std::vector<Label>(key.labels.begin(), key.labels.end()));
  return remade.ok() && *remade == key.labels;
}

}  // namespace perfwatch::fuzz
