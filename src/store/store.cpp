#include "store/store.h"

#include <string>

namespace perfwatch {

Result<Aggregation> ParseAggregation(std::string_view text) {
  if (text == "avg") return Aggregation::kAvg;
  if (text == "min") return Aggregation::kMin;
  if (text == "max") return Aggregation::kMax;
  if (text == "last") return Aggregation::kLast;
  return Status::InvalidArgument("unknown aggregation \"" + std::string(text) +
                                 "\" (allowed: avg, min, max, last)");
}

}  // namespace perfwatch
