#pragma once
// The order Prometheus gives label sets: label by label, names sorted, the
// metric name counted as the label __name__. Query results and the series
// each source hands to evaluation follow it (see SeriesSource). Pure
// functions; thread-safe.

#include <string>

#include "model/labels.h"
#include "model/registry.h"

namespace perfwatch {

// <0, 0, >0 as {labels, __name__=*name} sorts before, with or after the
// other set; a null name means the set has no __name__.
int CompareLabelSets(const Labels& a, const std::string* a_name, const Labels& b,
                     const std::string* b_name);

inline bool SeriesKeyLess(const SeriesKey& a, const SeriesKey& b) {
  return CompareLabelSets(a.labels, &a.name, b.labels, &b.name) < 0;
}

// `labels` plus __name__="name", which Labels::Make refuses to build
// (__name__ is reserved). A set already at the model's label limit comes
// back without the name.
Labels WithMetricName(const Labels& labels, const std::string& name);

}  // namespace perfwatch
