#pragma once
// WindowQuery: evaluates query-language expressions over the last window of
// a SeriesSource at one instant (private to analysis/). Holds references
// only; the source must outlive it. Thread-safe when the source is.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "model/status.h"
#include "query/query.h"

namespace perfwatch {

class WindowQuery {
 public:
  WindowQuery(const SeriesSource& source, TimestampMs now, int64_t window_ms);

  // The instant vector of `expr` at now (a scalar becomes one unlabelled
  // element). NaN elements are dropped: they carry no evidence.
  Result<std::vector<VectorSample>> Vector(const std::string& expr) const;
  // The first element's value, or nullopt when the vector is empty.
  Result<std::optional<double>> Single(const std::string& expr) const;

  // "avg_over_time(<selector>[5m])" and friends, over the window.
  std::string Over(std::string_view fn, std::string_view selector) const;

  const SeriesSource& source() const { return source_; }
  TimestampMs now() const { return now_; }
  int64_t window_ms() const { return window_ms_; }
  const std::string& range() const { return range_; }  // "5m"

 private:
  const SeriesSource& source_;
  TimestampMs now_;
  int64_t window_ms_;
  std::string range_;
};

}  // namespace perfwatch
