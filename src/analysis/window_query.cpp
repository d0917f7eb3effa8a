#include "analysis/window_query.h"

#include <cmath>

#include "model/duration.h"

namespace perfwatch {

WindowQuery::WindowQuery(const SeriesSource& source, TimestampMs now, int64_t window_ms)
    : source_(source), now_(now), window_ms_(window_ms), range_(FormatDuration(window_ms)) {}

Result<std::vector<VectorSample>> WindowQuery::Vector(const std::string& expr) const {
  Result<ParsedExpr> parsed = ParseExpr(expr);
  if (!parsed.ok()) {
    return Status::Internal("analysis expression '" + expr + "': " + parsed.status().message());
  }
  Result<QueryValue> value = Evaluate(*parsed, source_, now_);
  if (!value.ok()) return value.status();
  std::vector<VectorSample> out;
  if (value->kind == QueryValue::Kind::kScalar) {
    if (!std::isnan(value->scalar)) out.push_back({Labels(), value->scalar});
    return out;
  }
  for (VectorSample& s : value->vector) {
    if (!std::isnan(s.value)) out.push_back(std::move(s));
  }
  return out;
}

Result<std::optional<double>> WindowQuery::Single(const std::string& expr) const {
  Result<std::vector<VectorSample>> v = Vector(expr);
  if (!v.ok()) return v.status();
  if (v->empty()) return std::optional<double>();
  return std::optional<double>(v->front().value);
}

std::string WindowQuery::Over(std::string_view fn, std::string_view selector) const {
  std::string out(fn);
  out.append("(").append(selector).append("[").append(range_).append("])");
  return out;
}

}  // namespace perfwatch
