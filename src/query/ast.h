#pragma once
// The parsed form of an expression: a tree of Expr nodes built by the
// parser (parser.cpp) and walked by the evaluator (eval.cpp). Private to
// query/. Immutable after parsing; safe to read from many threads.

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "model/selector.h"
#include "query/query.h"

namespace perfwatch {

enum class ValueType { kScalar, kInstant, kRange };

// "scalar", "instant vector", "range vector", for messages.
const char* ValueTypeName(ValueType type);

enum class Function {
  kAvgOverTime,
  kMinOverTime,
  kMaxOverTime,
  kSumOverTime,
  kCountOverTime,
  kLastOverTime,
  kQuantileOverTime,
  kRate,
  kIncrease,
  kDelta,
  kAbs,
  kClampMin,
  kClampMax,
};

enum class AggregateOp { kSum, kAvg, kMin, kMax, kCount };

enum class BinaryOp {
  kAdd,
  kSub,
  kMul,
  kDiv,
  kMod,
  kPow,
  kEq,
  kNe,
  kGt,
  kLt,
  kGe,
  kLe,
  kAnd,
  kOr,
  kUnless,
};

bool IsComparison(BinaryOp op);
bool IsSetOperator(BinaryOp op);

class Expr {
 public:
  enum class Kind { kNumber, kSelector, kCall, kAggregate, kBinary, kNegate };

  Kind kind = Kind::kNumber;
  ValueType type = ValueType::kScalar;
  int column = 1;  // 1-based column where the node starts

  double number = 0;  // kNumber

  // kSelector: range_ms > 0 makes it a range selector.
  SeriesSelector selector;
  int64_t range_ms = 0;
  int64_t offset_ms = 0;

  Function function = Function::kAbs;         // kCall
  AggregateOp aggregate = AggregateOp::kSum;  // kAggregate
  bool without = false;                       // kAggregate: `without` rather than `by`
  std::vector<std::string> grouping;          // kAggregate, sorted
  BinaryOp op = BinaryOp::kAdd;               // kBinary
  bool return_bool = false;                   // kBinary: the `bool` modifier

  // kCall: the arguments; kAggregate: the one argument; kBinary: lhs, rhs;
  // kNegate: the operand.
  std::vector<std::unique_ptr<const Expr>> children;
};

}  // namespace perfwatch
