#pragma once
// The expression language shared by rules, GET /api/v1/query, the
// dashboard and analysis: a subset of PromQL with PromQL's meaning wherever
// both have a construct (docs/QUERY.md lists the grammar).
//
//   expr     := or_expr
//   selector := name{label="v", label!="v", label=~"re", label!~"re"}
//   range    := selector[10s]
//   calls    := avg_over_time min_over_time max_over_time sum_over_time
//               count_over_time last_over_time rate increase
//               quantile_over_time(0.95, x[5m]) abs clamp_min clamp_max
//   aggr     := avg|min|max|sum|count [by|without (l1, l2)] (expr)
//   binary   := + - * / % ^ with scalars or vectors (one-to-one matching),
//               == != > < >= <= (filtering; "bool" modifier), and or unless
//
// Semantics follow Prometheus 2.42 (Debian's promtool, which the oracle
// test runs): a range selector x[r] evaluated at t reads the samples with
// t - r <= ts <= t (closed on the left, as 2.x; Prometheus 3 made it open),
// and an instant selector reads the newest sample with
// t - kLookbackMs <= ts <= t. rate/increase extrapolate exactly as 2.42's
// extrapolatedRate. docs/QUERY.md lists the differences from PromQL.
//
// Expr is immutable after ParseExpr and safe to evaluate from many threads
// at once. Evaluation reads series through SeriesSource, which must outlive
// the call.

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "model/labels.h"
#include "model/registry.h"
#include "model/sample.h"
#include "model/selector.h"
#include "model/status.h"

namespace perfwatch {

class Expr;  // opaque parsed expression (query/ast.h)

// A parsed expression with the text it came from.
class ParsedExpr {
 public:
  const std::string& text() const { return text_; }
  const Expr& root() const { return *root_; }
  // The longest range plus offset any range selector of the expression
  // reads (0 when none); a window cache must hold at least this much.
  int64_t max_range_ms() const;
  // Every selector the expression reads, for cache sizing and docs.
  std::vector<const SeriesSelector*> selectors() const;
  // Every selector with the history it reads back from the evaluation time:
  // its range plus offset for a range selector; 0 for an instant selector,
  // which needs only each series' newest sample (offset plus kLookbackMs
  // when it has an offset). Pointers live as long as this object (or a
  // copy of it: copies share the tree). WindowCache::SetRangeNeeds takes
  // this.
  std::vector<std::pair<const SeriesSelector*, int64_t>> selector_ranges() const;
  // When the root is a filtering comparison of a vector with a scalar
  // ("x > 80", also "80 < x"): +1 when higher values of the vector pass
  // (> and >=), -1 when lower ones do, 0 otherwise (bool, ==, vector-vector).
  // Tells the alert engine which direction of the value is "worse".
  int comparison_direction() const;
  // The vector side of that comparison (whenever comparison_direction() is
  // not 0, else nullopt): "x" for "x > 80" and for "80 < x". It shares this
  // expression's tree. text() is the operand's own text cut from this one
  // ("avg_over_time(x[1m])"), or this whole text when the cut does not
  // parse back to a vector (never expected; it keeps text() readable).
  std::optional<ParsedExpr> comparison_operand() const;

 private:
  friend Result<ParsedExpr> ParseExpr(std::string_view text);
  std::string text_;
  std::shared_ptr<const Expr> root_;
};

// Errors say the 1-based column and what was expected:
//   "column 14: expected ']' after range duration, found 'x'".
// Type errors are caught here too (rate of an instant vector, a range
// vector where an instant vector belongs, "1 > 2" without bool).
Result<ParsedExpr> ParseExpr(std::string_view text);

// One element of an instant vector. `labels` includes the metric name as
// __name__ only where PromQL keeps it (a plain selector, a filtering
// comparison, and/or/unless, last_over_time); other functions,
// aggregations, arithmetic and bool comparisons drop it, as in PromQL.
struct VectorSample {
  Labels labels;
  double value = 0;
};

struct QueryValue {
  enum class Kind { kScalar, kVector };
  Kind kind = Kind::kVector;
  double scalar = 0;
  std::vector<VectorSample> vector;  // sorted by labels
};

// Where evaluation reads series. Implementations: StoreSource (any range,
// through Store::Query) and WindowCache (the recent window kept in memory
// for rule evaluation).
//
// Evaluation calls Select, then Visit (range selectors) or VisitLatest
// (instant selectors); Samples is the simple form other readers may use.
// Evaluation is faster when Select returns ids ordered by label set (as
// Prometheus orders series, __name__ counted as a label): then sums and
// means add in Prometheus's order and match its results to the last bit.
class SeriesSource {
 public:
  using SamplesFn = std::function<void(SeriesId, std::span<const Sample>)>;
  using LatestFn = std::function<void(SeriesId, const Sample&)>;

  virtual ~SeriesSource() = default;
  // The series a selector matches.
  virtual std::vector<SeriesId> Select(const SeriesSelector& selector) const = 0;
  virtual const SeriesKey& Key(SeriesId id) const = 0;
  // Samples of each id with from_ms < t <= to_ms, in time order, ids in the
  // order given (ids with no samples may be omitted).
  virtual Result<std::vector<std::pair<SeriesId, std::vector<Sample>>>> Samples(
      const std::vector<SeriesId>& ids, TimestampMs from_ms, TimestampMs to_ms) const = 0;
  // As Samples, but hands each id's samples to `fn` (only ids with at least
  // one sample, in the order given); the span is valid during the call
  // only. The default copies through Samples; in-memory sources override
  // it to hand out their own buffers.
  virtual Status Visit(const std::vector<SeriesId>& ids, TimestampMs from_ms, TimestampMs to_ms,
                       const SamplesFn& fn) const;
  // The newest sample of each id with from_ms < t <= to_ms, in the order
  // given, ids without one skipped. The default takes the last of Visit.
  virtual Status VisitLatest(const std::vector<SeriesId>& ids, TimestampMs from_ms,
                             TimestampMs to_ms, const LatestFn& fn) const;
};

// PromQL's lookback for instant selectors: the newest sample no older than
// this counts as the value at the evaluation time (a sample exactly this
// old still counts, as in Prometheus 2.42).
inline constexpr int64_t kLookbackMs = 5 * 60 * 1000;

// Evaluates `expr` at time `at_ms`. Fails on what PromQL refuses at run
// time (several series with one label set on one side of a vector
// match, a vector holding one label set twice) and on the source's errors
// (a store's point limit).
Result<QueryValue> Evaluate(const ParsedExpr& expr, const SeriesSource& source, TimestampMs at_ms);

// A range query: one evaluation every `step_ms` from start to end
// inclusive, grouped per output series (as Prometheus's query_range),
// sorted by labels. A scalar result becomes one series with no labels.
struct RangeSeries {
  Labels labels;
  std::vector<Sample> points;
};
Result<std::vector<RangeSeries>> EvaluateRange(const ParsedExpr& expr, const SeriesSource& source,
                                               TimestampMs start_ms, TimestampMs end_ms,
                                               int64_t step_ms);

}  // namespace perfwatch
