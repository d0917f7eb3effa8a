// Evaluation of a parsed expression at one instant. Vectors travel as
// (borrowed label set, optional metric name, value) triples, so a rule
// that filters 100 series down to none never copies a label; Labels are
// built only for the elements of the final result.

#include <algorithm>
#include <cmath>
#include <memory>
#include <unordered_map>
#include <unordered_set>

#include "query/ast.h"
#include "query/functions.h"
#include "query/label_order.h"
#include "query/query.h"

namespace perfwatch {
namespace {

struct Elem {
  const Labels* labels = nullptr;     // every label but __name__
  const std::string* name = nullptr;  // the metric name while it is kept
  double value = 0;
};
using Vec = std::vector<Elem>;

struct Value {
  bool is_scalar = false;
  double scalar = 0;
  Vec vector;
  // The label sets without __name__ are known to be pairwise distinct, so
  // dropping the name cannot make two elements collide.
  bool distinct = false;
};

// Hashes and compares label sets by content, for vector matching.
struct LabelsHash {
  size_t operator()(const Labels* l) const {
    size_t h = 0;
    for (const Label& x : *l) {
      h = h * 1000003 ^ std::hash<std::string_view>{}(x.name);
      h = h * 1000003 ^ std::hash<std::string_view>{}(x.value);
    }
    return h;
  }
};
struct LabelsEq {
  bool operator()(const Labels* a, const Labels* b) const { return a == b || *a == *b; }
};
using SignatureSet = std::unordered_set<const Labels*, LabelsHash, LabelsEq>;

bool ElemLess(const Elem& a, const Elem& b) {
  return CompareLabelSets(*a.labels, a.name, *b.labels, b.name) < 0;
}

bool SameLabelSet(const Elem& a, const Elem& b) {
  return CompareLabelSets(*a.labels, a.name, *b.labels, b.name) == 0;
}

class Evaluator {
 public:
  Evaluator(const SeriesSource& source, TimestampMs at_ms) : source_(source), at_ms_(at_ms) {}

  Status Eval(const Expr& e, Value& out) {
    switch (e.kind) {
      case Expr::Kind::kNumber:
        out.is_scalar = true;
        out.scalar = e.number;
        return Status::Ok();
      case Expr::Kind::kSelector:
        // Series of one metric differ in their other labels.
        out.distinct = !e.selector.metric().empty();
        return InstantSelector(e, out.vector);
      case Expr::Kind::kCall:
        return Call(e, out);
      case Expr::Kind::kAggregate:
        return Aggregate(e, out);
      case Expr::Kind::kBinary:
        return Binary(e, out);
      case Expr::Kind::kNegate:
        return Negate(e, out);
    }
    return Status::Internal("unknown expression node");
  }

 private:
  Status InstantSelector(const Expr& e, Vec& out) {
    std::vector<SeriesId> ids = source_.Select(e.selector);
    if (ids.empty()) return Status::Ok();
    TimestampMs ref = at_ms_ - e.offset_ms;
    out.reserve(ids.size());
    // Prometheus 2.42 counts a sample exactly kLookbackMs old.
    return source_.VisitLatest(ids, ref - kLookbackMs - 1, ref, [&](SeriesId id, const Sample& s) {
      const SeriesKey& key = source_.Key(id);
      out.push_back(Elem{&key.labels, &key.name, s.value});
    });
  }

  Status Call(const Expr& e, Value& out) {
    switch (e.function) {
      case Function::kAbs:
      case Function::kClampMin:
      case Function::kClampMax:
        return InstantFunction(e, out);
      default:
        return RangeFunction(e, out);
    }
  }

  Status InstantFunction(const Expr& e, Value& result) {
    if (Status st = Eval(*e.children[0], result); !st.ok()) return st;
    Vec& out = result.vector;
    double bound = 0;
    if (e.children.size() > 1) {
      Value b;
      if (Status st = Eval(*e.children[1], b); !st.ok()) return st;
      bound = b.scalar;
    }
    for (Elem& x : out) {
      x.name = nullptr;
      if (e.function == Function::kAbs) x.value = std::fabs(x.value);
      if (e.function == Function::kClampMin) x.value = GoMax(bound, x.value);
      if (e.function == Function::kClampMax) x.value = GoMin(bound, x.value);
    }
    return CheckDistinct(result);
  }

  Status RangeFunction(const Expr& e, Value& result) {
    Vec& out = result.vector;
    const Expr& sel = *e.children.back();
    double q = 0;
    if (e.function == Function::kQuantileOverTime) {
      Value qv;
      if (Status st = Eval(*e.children[0], qv); !st.ok()) return st;
      q = qv.scalar;
    }
    std::vector<SeriesId> ids = source_.Select(sel.selector);
    if (ids.empty()) return Status::Ok();
    TimestampMs end = at_ms_ - sel.offset_ms;
    TimestampMs start = end - sel.range_ms;
    bool keep_name = e.function == Function::kLastOverTime;
    result.distinct = !sel.selector.metric().empty();
    out.reserve(ids.size());
    // [start, end] closed on the left, as Prometheus 2.42's range selection.
    Status st = source_.Visit(ids, start - 1, end, [&](SeriesId id, std::span<const Sample> s) {
      std::optional<double> v = RangeValue(e.function, q, s, start, end);
      if (!v) return;
      const SeriesKey& key = source_.Key(id);
      out.push_back(Elem{&key.labels, keep_name ? &key.name : nullptr, *v});
    });
    if (!st.ok()) return st;
    return keep_name ? Status::Ok() : CheckDistinct(result);
  }

  std::optional<double> RangeValue(Function f, double q, std::span<const Sample> s,
                                   TimestampMs start, TimestampMs end) {
    switch (f) {
      case Function::kAvgOverTime:
        return AvgOverTime(s);
      case Function::kMinOverTime:
        return MinOverTime(s);
      case Function::kMaxOverTime:
        return MaxOverTime(s);
      case Function::kSumOverTime:
        return SumOverTime(s);
      case Function::kCountOverTime:
        return static_cast<double>(s.size());
      case Function::kLastOverTime:
        return s.back().value;
      case Function::kQuantileOverTime:
        quantile_buf_.clear();
        for (const Sample& x : s) quantile_buf_.push_back(x.value);
        return Quantile(q, quantile_buf_);
      case Function::kRate:
        return ExtrapolatedRate(s, start, end, true, true);
      case Function::kIncrease:
        return ExtrapolatedRate(s, start, end, true, false);
      case Function::kDelta:
        return ExtrapolatedRate(s, start, end, false, false);
      default:
        return std::nullopt;
    }
  }

  struct Group {
    Elem first;  // the element that opened the group
    const Labels* labels = nullptr;
    double value = 0;
    double mean = 0;
    double count = 0;
  };

  Status Aggregate(const Expr& e, Value& result) {
    Value in;
    if (Status st = Eval(*e.children[0], in); !st.ok()) return st;
    bool by_name = !e.without && Grouped(e, "__name__");
    std::vector<Group> groups;
    // Hash of the deciding labels -> first group with it; a collision
    // falls back to a scan, so correctness never rests on the hash.
    std::unordered_map<uint64_t, size_t> index;
    for (const Elem& x : in.vector) {
      uint64_t h = GroupHash(e, by_name, x);
      auto it = index.find(h);
      Group* g = nullptr;
      if (it != index.end() && SameGroup(e, by_name, groups[it->second].first, x)) {
        g = &groups[it->second];
      } else if (it != index.end()) {
        for (Group& other : groups) {
          if (SameGroup(e, by_name, other.first, x)) g = &other;
        }
      }
      if (g != nullptr) {
        Accumulate(e.aggregate, *g, x.value);
        continue;
      }
      index.try_emplace(h, groups.size());
      groups.push_back(Group{x, GroupLabels(e, x), x.value, x.value, 1});
    }
    result.vector.reserve(groups.size());
    for (const Group& g : groups) {
      double v = e.aggregate == AggregateOp::kAvg     ? g.mean
                 : e.aggregate == AggregateOp::kCount ? g.count
                                                      : g.value;
      result.vector.push_back(Elem{g.labels, by_name ? g.first.name : nullptr, v});
    }
    // With by (__name__) two groups may differ only in the name.
    result.distinct = !by_name;
    return Status::Ok();
  }

  // Prometheus 2.42's aggregation steps, in its order of operations.
  static void Accumulate(AggregateOp op, Group& g, double v) {
    switch (op) {
      case AggregateOp::kSum:
        g.value += v;
        break;
      case AggregateOp::kAvg:
        g.count++;
        if (std::isinf(g.mean)) {
          if (std::isinf(v) && (g.mean > 0) == (v > 0)) break;
          if (!std::isinf(v) && !std::isnan(v)) break;
        }
        g.mean += v / g.count - g.mean / g.count;
        break;
      case AggregateOp::kMax:
        if (g.value < v || std::isnan(g.value)) g.value = v;
        break;
      case AggregateOp::kMin:
        if (g.value > v || std::isnan(g.value)) g.value = v;
        break;
      case AggregateOp::kCount:
        g.count++;
        break;
    }
  }

  // Grouping lists are short: a scan whose == checks lengths first beats a
  // binary search that compares every byte.
  static bool Grouped(const Expr& e, std::string_view label) {
    return std::find(e.grouping.begin(), e.grouping.end(), label) != e.grouping.end();
  }

  // Whether label `l` decides the group (by: listed; without: not listed).
  static bool Decides(const Expr& e, const Label& l) { return Grouped(e, l.name) != e.without; }

  static uint64_t GroupHash(const Expr& e, bool by_name, const Elem& x) {
    uint64_t h = 1469598103934665603ULL;
    auto mix = [&h](std::string_view s) {
      h = (h ^ std::hash<std::string_view>{}(s)) * 1099511628211ULL;
    };
    for (const Label& l : *x.labels) {
      if (!Decides(e, l)) continue;
      mix(l.name);
      mix(l.value);
    }
    if (by_name && x.name != nullptr) mix(*x.name);
    return h;
  }

  static bool SameGroup(const Expr& e, bool by_name, const Elem& a, const Elem& b) {
    if (by_name && (a.name == nullptr ? "" : *a.name) != (b.name == nullptr ? "" : *b.name)) {
      return false;
    }
    if (a.labels == b.labels) return true;
    auto ai = a.labels->begin(), ae = a.labels->end();
    auto bi = b.labels->begin(), be = b.labels->end();
    while (true) {
      while (ai != ae && !Decides(e, *ai)) ++ai;
      while (bi != be && !Decides(e, *bi)) ++bi;
      if (ai == ae || bi == be) return ai == ae && bi == be;
      if (*ai != *bi) return false;
      ++ai, ++bi;
    }
  }

  const Labels* GroupLabels(const Expr& e, const Elem& x) {
    if (e.without && e.grouping.empty()) return x.labels;
    std::vector<Label> kept;
    for (const Label& l : *x.labels) {
      if (Decides(e, l)) kept.push_back(l);
    }
    Result<Labels> made = Labels::Make(std::move(kept));
    arena_.push_back(std::make_unique<Labels>(made.ok() ? std::move(*made) : Labels()));
    return arena_.back().get();
  }

  Status Negate(const Expr& e, Value& out) {
    if (Status st = Eval(*e.children[0], out); !st.ok()) return st;
    out.scalar = -out.scalar;
    for (Elem& x : out.vector) {
      x.value = -x.value;
      x.name = nullptr;
    }
    return Status::Ok();
  }

  Status Binary(const Expr& e, Value& out) {
    Value lhs, rhs;
    if (Status st = Eval(*e.children[0], lhs); !st.ok()) return st;
    if (Status st = Eval(*e.children[1], rhs); !st.ok()) return st;
    if (IsSetOperator(e.op)) {
      // and/unless keep a subset of the left side; or may mix in the right.
      out.distinct = e.op != BinaryOp::kOr && lhs.distinct;
      return SetOperation(e.op, lhs.vector, rhs.vector, out.vector);
    }
    if (lhs.is_scalar && rhs.is_scalar) {
      bool keep;
      double v = ApplyBinary(e.op, lhs.scalar, rhs.scalar, &keep);
      out.is_scalar = true;
      out.scalar = IsComparison(e.op) ? (keep ? 1 : 0) : v;
      return Status::Ok();
    }
    if (lhs.is_scalar || rhs.is_scalar) {
      bool swap = lhs.is_scalar;
      Value& vec = swap ? rhs : lhs;
      VectorScalar(e, vec.vector, swap ? lhs.scalar : rhs.scalar, swap);
      out.vector.swap(vec.vector);
      out.distinct = vec.distinct;
      // A filtering comparison keeps the names, so nothing can collide.
      if (IsComparison(e.op) && !e.return_bool) return Status::Ok();
      return CheckDistinct(out);
    }
    // VectorVector refuses two results with one label set itself.
    out.distinct = true;
    return VectorVector(e, lhs.vector, rhs.vector, out.vector);
  }

  static void VectorScalar(const Expr& e, Vec& vec, double scalar, bool swap) {
    bool comparison = IsComparison(e.op);
    size_t kept = 0;
    for (Elem x : vec) {
      double l = swap ? scalar : x.value, r = swap ? x.value : scalar;
      bool keep;
      double v = ApplyBinary(e.op, l, r, &keep);
      // A comparison keeps the vector's value even when the scalar is on the left.
      if (comparison && swap) v = r;
      if (e.return_bool) {
        v = keep ? 1 : 0;
        keep = true;
      }
      if (!keep) continue;
      x.value = v;
      if (!comparison || e.return_bool) x.name = nullptr;
      vec[kept++] = x;
    }
    vec.resize(kept);
  }

  static Status VectorVector(const Expr& e, const Vec& lhs, const Vec& rhs, Vec& out) {
    std::unordered_map<const Labels*, size_t, LabelsHash, LabelsEq> right;
    right.reserve(rhs.size());
    for (size_t i = 0; i < rhs.size(); ++i) {
      if (!right.emplace(rhs[i].labels, i).second) {
        return Status::InvalidArgument(
            "found duplicate series for the match group " + rhs[i].labels->ToString() +
            " on the right hand-side of the operation; many-to-many matching not allowed");
      }
    }
    bool comparison = IsComparison(e.op);
    SignatureSet matched;
    for (const Elem& l : lhs) {
      auto it = right.find(l.labels);
      if (it == right.end()) continue;
      bool keep;
      double v = ApplyBinary(e.op, l.value, rhs[it->second].value, &keep);
      if (e.return_bool) {
        v = keep ? 1 : 0;
      } else if (!keep) {
        continue;
      }
      if (!matched.insert(l.labels).second) {
        return Status::InvalidArgument("multiple matches for labels " + l.labels->ToString() +
                                       ": many-to-one matching is not supported");
      }
      bool drop_name = !comparison || e.return_bool;
      out.push_back(Elem{l.labels, drop_name ? nullptr : l.name, v});
    }
    return Status::Ok();
  }

  static Status SetOperation(BinaryOp op, Vec& lhs, Vec& rhs, Vec& out) {
    SignatureSet sigs;
    const Vec& indexed = op == BinaryOp::kOr ? lhs : rhs;
    for (const Elem& x : indexed) sigs.insert(x.labels);
    if (op == BinaryOp::kOr) {
      out = std::move(lhs);
      for (const Elem& x : rhs) {
        if (!sigs.contains(x.labels)) out.push_back(x);
      }
      return Status::Ok();
    }
    bool want = op == BinaryOp::kAnd;
    for (const Elem& x : lhs) {
      if (sigs.contains(x.labels) == want) out.push_back(x);
    }
    return Status::Ok();
  }

  // PromQL refuses a vector holding one label set twice, which dropping
  // __name__ can cause ({__name__=~"a|b"} + 1 when a and b share labels).
  static Status CheckDistinct(Value& value) {
    const Vec& v = value.vector;
    if (value.distinct || v.size() < 2) return Status::Ok();
    std::vector<const Elem*> sorted;
    sorted.reserve(v.size());
    for (const Elem& x : v) sorted.push_back(&x);
    std::sort(sorted.begin(), sorted.end(),
              [](const Elem* a, const Elem* b) { return ElemLess(*a, *b); });
    for (size_t i = 1; i < sorted.size(); ++i) {
      if (SameLabelSet(*sorted[i - 1], *sorted[i])) {
        return Status::InvalidArgument("vector cannot contain metrics with the same labelset " +
                                       sorted[i]->labels->ToString());
      }
    }
    value.distinct = true;
    return Status::Ok();
  }

  const SeriesSource& source_;
  TimestampMs at_ms_;
  std::vector<std::unique_ptr<Labels>> arena_;  // label sets made by aggregations
  std::vector<double> quantile_buf_;
};

QueryValue Materialize(Value& v) {
  QueryValue out;
  if (v.is_scalar) {
    out.kind = QueryValue::Kind::kScalar;
    out.scalar = v.scalar;
    return out;
  }
  if (!std::is_sorted(v.vector.begin(), v.vector.end(), ElemLess)) {
    std::sort(v.vector.begin(), v.vector.end(), ElemLess);
  }
  out.vector.reserve(v.vector.size());
  for (const Elem& x : v.vector) {
    out.vector.push_back(
        VectorSample{x.name ? WithMetricName(*x.labels, *x.name) : *x.labels, x.value});
  }
  return out;
}

}  // namespace

Status SeriesSource::Visit(const std::vector<SeriesId>& ids, TimestampMs from_ms, TimestampMs to_ms,
                           const SamplesFn& fn) const {
  auto samples = Samples(ids, from_ms, to_ms);
  if (!samples.ok()) return samples.status();
  for (const auto& [id, points] : *samples) {
    if (!points.empty()) fn(id, points);
  }
  return Status::Ok();
}

Status SeriesSource::VisitLatest(const std::vector<SeriesId>& ids, TimestampMs from_ms,
                                 TimestampMs to_ms, const LatestFn& fn) const {
  return Visit(ids, from_ms, to_ms,
               [&](SeriesId id, std::span<const Sample> s) { fn(id, s.back()); });
}

Result<QueryValue> Evaluate(const ParsedExpr& expr, const SeriesSource& source, TimestampMs at_ms) {
  Evaluator ev(source, at_ms);
  Value v;
  if (Status st = ev.Eval(expr.root(), v); !st.ok()) return st;
  return Materialize(v);
}

Result<std::vector<RangeSeries>> EvaluateRange(const ParsedExpr& expr, const SeriesSource& source,
                                               TimestampMs start_ms, TimestampMs end_ms,
                                               int64_t step_ms) {
  constexpr int64_t kMaxSteps = 11000;  // Prometheus's limit for query_range
  if (step_ms <= 0) return Status::InvalidArgument("step must be positive");
  if (end_ms < start_ms) return Status::InvalidArgument("end is before start");
  if ((end_ms - start_ms) / step_ms + 1 > kMaxSteps) {
    return Status::InvalidArgument("range query of more than " + std::to_string(kMaxSteps) +
                                   " steps; use a larger step");
  }
  std::vector<RangeSeries> out;
  std::unordered_map<std::string, size_t> index;
  for (TimestampMs t = start_ms; t <= end_ms; t += step_ms) {
    Result<QueryValue> v = Evaluate(expr, source, t);
    if (!v.ok()) return v.status();
    if (v->kind == QueryValue::Kind::kScalar) {
      v->vector.push_back(VectorSample{Labels(), v->scalar});
    }
    for (VectorSample& s : v->vector) {
      auto [it, fresh] = index.try_emplace(s.labels.ToString(), out.size());
      if (fresh) out.push_back(RangeSeries{std::move(s.labels), {}});
      out[it->second].points.push_back(Sample{t, s.value});
    }
  }
  std::sort(out.begin(), out.end(), [](const RangeSeries& a, const RangeSeries& b) {
    return CompareLabelSets(a.labels, nullptr, b.labels, nullptr) < 0;
  });
  return out;
}

}  // namespace perfwatch
