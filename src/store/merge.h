#pragma once
// Merging of time-ordered runs of samples or rollup points, for writing a
// block where one may already be (a seal over an import, an import over a
// seal). Header-only; pure.

#include <vector>

namespace perfwatch {

// Merges two time-ordered runs; on equal times `mine` wins (the live
// collector's sample over an imported one).
template <typename T, typename TimeOf>
std::vector<T> MergeByTime(std::vector<T> mine, std::vector<T> theirs, TimeOf time_of) {
  if (theirs.empty()) return mine;
  std::vector<T> out;
  out.reserve(mine.size() + theirs.size());
  size_t i = 0, j = 0;
  while (i < mine.size() || j < theirs.size()) {
    if (j == theirs.size() || (i < mine.size() && time_of(mine[i]) <= time_of(theirs[j]))) {
      if (j < theirs.size() && time_of(theirs[j]) == time_of(mine[i])) ++j;
      out.push_back(mine[i++]);
    } else {
      out.push_back(theirs[j++]);
    }
  }
  return out;
}

}  // namespace perfwatch
