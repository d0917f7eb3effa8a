// Recursive-descent parser for the expression language (query.h), with
// PromQL's operator precedence (lowest first): or; and unless; comparisons;
// + -; * / %; unary minus; ^ (right-associative).

#include <algorithm>
#include <cstdlib>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "query/ast.h"
#include "query/lexer.h"

namespace perfwatch {
namespace {

using ExprPtr = std::unique_ptr<Expr>;
using TK = Token::Kind;

struct BinaryInfo {
  BinaryOp op;
  int precedence;  // higher binds tighter
  bool right_assoc;
};
constexpr int kPowPrecedence = 6;

bool LookupBinary(const Token& t, BinaryInfo& out) {
  switch (t.kind) {
    case TK::kAdd:
      out = {BinaryOp::kAdd, 4, false};
      return true;
    case TK::kSub:
      out = {BinaryOp::kSub, 4, false};
      return true;
    case TK::kMul:
      out = {BinaryOp::kMul, 5, false};
      return true;
    case TK::kDiv:
      out = {BinaryOp::kDiv, 5, false};
      return true;
    case TK::kMod:
      out = {BinaryOp::kMod, 5, false};
      return true;
    case TK::kPow:
      out = {BinaryOp::kPow, kPowPrecedence, true};
      return true;
    case TK::kEq:
      out = {BinaryOp::kEq, 3, false};
      return true;
    case TK::kNe:
      out = {BinaryOp::kNe, 3, false};
      return true;
    case TK::kGt:
      out = {BinaryOp::kGt, 3, false};
      return true;
    case TK::kLt:
      out = {BinaryOp::kLt, 3, false};
      return true;
    case TK::kGe:
      out = {BinaryOp::kGe, 3, false};
      return true;
    case TK::kLe:
      out = {BinaryOp::kLe, 3, false};
      return true;
    case TK::kIdentifier:
      if (t.text == "and")
        out = {BinaryOp::kAnd, 2, false};
      else if (t.text == "unless")
        out = {BinaryOp::kUnless, 2, false};
      else if (t.text == "or")
        out = {BinaryOp::kOr, 1, false};
      else
        return false;
      return true;
    default:
      return false;
  }
}

struct FunctionInfo {
  std::string_view name;
  Function function;
  std::vector<ValueType> args;
};

const FunctionInfo* LookupFunction(std::string_view name) {
  using V = ValueType;
  static const FunctionInfo kFunctions[] = {
      {"avg_over_time", Function::kAvgOverTime, {V::kRange}},
      {"min_over_time", Function::kMinOverTime, {V::kRange}},
      {"max_over_time", Function::kMaxOverTime, {V::kRange}},
      {"sum_over_time", Function::kSumOverTime, {V::kRange}},
      {"count_over_time", Function::kCountOverTime, {V::kRange}},
      {"last_over_time", Function::kLastOverTime, {V::kRange}},
      {"quantile_over_time", Function::kQuantileOverTime, {V::kScalar, V::kRange}},
      {"rate", Function::kRate, {V::kRange}},
      {"increase", Function::kIncrease, {V::kRange}},
      {"delta", Function::kDelta, {V::kRange}},
      {"abs", Function::kAbs, {V::kInstant}},
      {"clamp_min", Function::kClampMin, {V::kInstant, V::kScalar}},
      {"clamp_max", Function::kClampMax, {V::kInstant, V::kScalar}},
  };
  for (const FunctionInfo& f : kFunctions) {
    if (f.name == name) return &f;
  }
  return nullptr;
}

// PromQL functions outside the subset, so the error says "not supported"
// rather than "unknown".
bool IsOtherPromqlFunction(std::string_view name) {
  static constexpr std::string_view kNames[] = {"absent",
                                                "absent_over_time",
                                                "ceil",
                                                "changes",
                                                "clamp",
                                                "day_of_month",
                                                "day_of_week",
                                                "days_in_month",
                                                "deriv",
                                                "exp",
                                                "floor",
                                                "histogram_quantile",
                                                "holt_winters",
                                                "hour",
                                                "idelta",
                                                "irate",
                                                "label_join",
                                                "label_replace",
                                                "ln",
                                                "log10",
                                                "log2",
                                                "minute",
                                                "month",
                                                "predict_linear",
                                                "present_over_time",
                                                "resets",
                                                "round",
                                                "scalar",
                                                "sgn",
                                                "sort",
                                                "sort_desc",
                                                "sqrt",
                                                "stddev_over_time",
                                                "stdvar_over_time",
                                                "time",
                                                "timestamp",
                                                "vector",
                                                "year"};
  return std::find(std::begin(kNames), std::end(kNames), name) != std::end(kNames);
}

bool LookupAggregate(std::string_view name, AggregateOp& op) {
  if (name == "sum")
    op = AggregateOp::kSum;
  else if (name == "avg")
    op = AggregateOp::kAvg;
  else if (name == "min")
    op = AggregateOp::kMin;
  else if (name == "max")
    op = AggregateOp::kMax;
  else if (name == "count")
    op = AggregateOp::kCount;
  else
    return false;
  return true;
}

bool IsOtherAggregate(std::string_view name) {
  return name == "topk" || name == "bottomk" || name == "quantile" || name == "stddev" ||
         name == "stdvar" || name == "count_values" || name == "group";
}

bool IsKeyword(std::string_view name) {
  static constexpr std::string_view kKeywords[] = {"and",      "or",         "unless",     "by",
                                                   "without",  "bool",       "offset",     "on",
                                                   "ignoring", "group_left", "group_right"};
  return std::find(std::begin(kKeywords), std::end(kKeywords), name) != std::end(kKeywords);
}

bool IsMatchingModifier(std::string_view name) {
  return name == "on" || name == "ignoring" || name == "group_left" || name == "group_right";
}

bool IsLabelName(std::string_view name) {
  if (name.empty() || std::isdigit(static_cast<unsigned char>(name[0]))) return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_';
  });
}

Status ErrorAt(int column, const std::string& what) {
  return Status::InvalidArgument("column " + std::to_string(column) + ": " + what);
}

void AppendQuoted(std::string& out, std::string_view value) {
  out += '"';
  AppendEscapedLabelValue(out, value);
  out += '"';
}

class Parser {
 public:
  explicit Parser(std::string_view text) : lexer_(text) {}

  Result<ExprPtr> Run() {
    if (Status st = Advance(); !st.ok()) return st;
    if (tok_.kind == TK::kEnd) return Expected("an expression");
    Result<ExprPtr> root = ParseBinary(0);
    if (!root.ok()) return root;
    if (tok_.kind != TK::kEnd) return Expected("an operator or end of input");
    if ((*root)->type == ValueType::kRange) {
      return ErrorAt(1,
                     "expected an instant vector or scalar expression, found range vector "
                     "(pass it to a function such as rate() or avg_over_time())");
    }
    return root;
  }

 private:
  Status Advance() {
    Result<Token> t = lexer_.Next();
    if (!t.ok()) return t.status();
    tok_ = std::move(*t);
    return Status::Ok();
  }

  Status Expected(const std::string& what) const {
    return ErrorAt(tok_.column, "expected " + what + ", found " + DescribeToken(tok_));
  }

  Status Expect(TK kind, const std::string& what) {
    if (tok_.kind != kind) return Expected(what);
    return Advance();
  }

  bool AtIdentifier(std::string_view name) const {
    return tok_.kind == TK::kIdentifier && tok_.text == name;
  }

  Result<ExprPtr> ParseBinary(int min_precedence) {
    Result<ExprPtr> lhs = ParseUnary();
    if (!lhs.ok()) return lhs;
    BinaryInfo info;
    while (LookupBinary(tok_, info) && info.precedence >= min_precedence) {
      Token op_token = tok_;
      if (Status st = Advance(); !st.ok()) return st;
      bool return_bool = false;
      if (AtIdentifier("bool")) {
        if (!IsComparison(info.op)) {
          return ErrorAt(tok_.column, "the bool modifier only applies to comparisons, not '" +
                                          op_token.text + "'");
        }
        return_bool = true;
        if (Status st = Advance(); !st.ok()) return st;
      }
      if (tok_.kind == TK::kIdentifier && IsMatchingModifier(tok_.text)) {
        return ErrorAt(tok_.column, "vector matching modifier '" + tok_.text +
                                        "' is not supported (vectors match one-to-one on all "
                                        "labels except __name__)");
      }
      int next = info.right_assoc ? info.precedence : info.precedence + 1;
      Result<ExprPtr> rhs = ParseBinary(next);
      if (!rhs.ok()) return rhs;
      Result<ExprPtr> node =
          MakeBinary(op_token, info.op, return_bool, std::move(*lhs), std::move(*rhs));
      if (!node.ok()) return node;
      lhs = std::move(node);
    }
    return lhs;
  }

  Result<ExprPtr> MakeBinary(const Token& op_token, BinaryOp op, bool return_bool, ExprPtr lhs,
                             ExprPtr rhs) {
    for (const ExprPtr* side : {&lhs, &rhs}) {
      if ((*side)->type == ValueType::kRange) {
        return ErrorAt((*side)->column, "expected an instant vector or scalar operand of '" +
                                            op_token.text + "', found range vector");
      }
    }
    bool scalars = lhs->type == ValueType::kScalar && rhs->type == ValueType::kScalar;
    if (IsSetOperator(op)) {
      const ExprPtr& bad = lhs->type == ValueType::kScalar ? lhs : rhs;
      if (bad->type == ValueType::kScalar) {
        return ErrorAt(bad->column, "expected instant vectors on both sides of '" + op_token.text +
                                        "', found scalar");
      }
    }
    if (IsComparison(op) && scalars && !return_bool) {
      return ErrorAt(op_token.column,
                     "comparisons between scalars must use the bool modifier "
                     "(write '" +
                         op_token.text + " bool')");
    }
    auto node = std::make_unique<Expr>();
    node->kind = Expr::Kind::kBinary;
    node->type = scalars ? ValueType::kScalar : ValueType::kInstant;
    node->column = lhs->column;
    node->op = op;
    node->return_bool = return_bool;
    node->children.push_back(std::move(lhs));
    node->children.push_back(std::move(rhs));
    return node;
  }

  Result<ExprPtr> ParseUnary() {
    if (tok_.kind != TK::kSub && tok_.kind != TK::kAdd) return ParsePostfix();
    Token sign = tok_;
    if (Status st = Advance(); !st.ok()) return st;
    // Unary minus binds looser than ^ (-2^2 is -4), as in PromQL.
    Result<ExprPtr> operand = ParseBinary(kPowPrecedence);
    if (!operand.ok()) return operand;
    ExprPtr e = std::move(*operand);
    if (e->type == ValueType::kRange) {
      return ErrorAt(e->column, "expected an instant vector or scalar after unary '" + sign.text +
                                    "', found range vector");
    }
    if (sign.kind == TK::kAdd) return e;
    if (e->kind == Expr::Kind::kNumber) {
      e->number = -e->number;
      e->column = sign.column;
      return e;
    }
    auto node = std::make_unique<Expr>();
    node->kind = Expr::Kind::kNegate;
    node->type = e->type;
    node->column = sign.column;
    node->children.push_back(std::move(e));
    return node;
  }

  Result<ExprPtr> ParsePostfix() {
    Result<ExprPtr> primary = ParsePrimary();
    if (!primary.ok()) return primary;
    ExprPtr e = std::move(*primary);
    if (tok_.kind == TK::kLeftBracket) {
      if (e->kind != Expr::Kind::kSelector || e->range_ms > 0 || e->offset_ms != 0) {
        return ErrorAt(tok_.column, "a range [...] can only follow a plain selector such as x[5m]");
      }
      Result<Token> d = lexer_.NextDuration();
      if (!d.ok()) return d.status();
      if (d->duration_ms <= 0) return ErrorAt(d->column, "expected a positive range, found 0");
      e->range_ms = d->duration_ms;
      e->type = ValueType::kRange;
      if (Status st = Advance(); !st.ok()) return st;
      // The lexer reads ":1m" as an identifier (metric names may hold ':').
      if (tok_.kind == TK::kColon || (tok_.kind == TK::kIdentifier && tok_.text.starts_with(":"))) {
        return ErrorAt(tok_.column, "subqueries (x[5m:1m]) are not supported");
      }
      if (Status st = Expect(TK::kRightBracket, "']' after range duration"); !st.ok()) return st;
    }
    if (AtIdentifier("offset")) {
      if (e->kind != Expr::Kind::kSelector) {
        return ErrorAt(tok_.column, "offset can only follow a selector");
      }
      Result<Token> d = lexer_.NextDuration();
      if (!d.ok()) return d.status();
      e->offset_ms = d->duration_ms;
      if (Status st = Advance(); !st.ok()) return st;
    }
    if (tok_.kind == TK::kAt) return ErrorAt(tok_.column, "the @ modifier is not supported");
    return e;
  }

  Result<ExprPtr> ParsePrimary() {
    Token t = tok_;
    switch (t.kind) {
      case TK::kNumber: {
        if (Status st = Advance(); !st.ok()) return st;
        auto e = std::make_unique<Expr>();
        e->kind = Expr::Kind::kNumber;
        e->type = ValueType::kScalar;
        e->column = t.column;
        e->number = t.number;
        return e;
      }
      case TK::kLeftParen: {
        if (Status st = Advance(); !st.ok()) return st;
        if (tok_.kind == TK::kRightParen) return Expected("an expression");
        Result<ExprPtr> inner = ParseBinary(0);
        if (!inner.ok()) return inner;
        if (Status st = Expect(TK::kRightParen, "')'"); !st.ok()) return st;
        return inner;
      }
      case TK::kLeftBrace:
        return ParseSelector("", t.column);
      case TK::kString:
        return ErrorAt(t.column,
                       "expected an expression, found string (strings are only "
                       "allowed as label values)");
      case TK::kIdentifier:
        return ParseIdentifier();
      default:
        return Expected("an expression");
    }
  }

  Result<ExprPtr> ParseIdentifier() {
    Token t = tok_;
    AggregateOp agg;
    if (LookupAggregate(t.text, agg)) return ParseAggregate(agg, t.column);
    if (IsOtherAggregate(t.text)) {
      return ErrorAt(t.column, "aggregation '" + t.text + "' is not supported");
    }
    if (IsKeyword(t.text)) return Expected("an expression");
    if (Status st = Advance(); !st.ok()) return st;
    if (tok_.kind == TK::kLeftParen) return ParseCall(t);
    return ParseSelector(t.text, t.column);
  }

  Result<ExprPtr> ParseCall(const Token& name) {
    const FunctionInfo* info = LookupFunction(name.text);
    if (info == nullptr) {
      return ErrorAt(name.column, (IsOtherPromqlFunction(name.text)
                                       ? "function '" + name.text + "' is not supported"
                                       : "unknown function '" + name.text + "'"));
    }
    auto e = std::make_unique<Expr>();
    e->kind = Expr::Kind::kCall;
    e->type = ValueType::kInstant;
    e->column = name.column;
    e->function = info->function;
    if (Status st = Advance(); !st.ok()) return st;  // '('
    while (tok_.kind != TK::kRightParen) {
      if (!e->children.empty()) {
        if (Status st = Expect(TK::kComma, "',' or ')' in call of " + name.text + "()"); !st.ok()) {
          return st;
        }
      }
      Result<ExprPtr> arg = ParseBinary(0);
      if (!arg.ok()) return arg;
      e->children.push_back(std::move(*arg));
    }
    int close_column = tok_.column;
    if (Status st = Advance(); !st.ok()) return st;
    if (e->children.size() != info->args.size()) {
      return ErrorAt(close_column, "expected " + std::to_string(info->args.size()) + " argument" +
                                       (info->args.size() == 1 ? "" : "s") + " to " + name.text +
                                       "(), found " + std::to_string(e->children.size()));
    }
    for (size_t i = 0; i < info->args.size(); ++i) {
      const Expr& arg = *e->children[i];
      if (arg.type == info->args[i]) continue;
      std::string hint = info->args[i] == ValueType::kRange && arg.kind == Expr::Kind::kSelector
                             ? " (add a range, e.g. " + name.text + "(x[5m]))"
                             : "";
      return ErrorAt(arg.column, "expected " + std::string(ValueTypeName(info->args[i])) +
                                     " as argument " + std::to_string(i + 1) + " of " + name.text +
                                     "(), found " + ValueTypeName(arg.type) + hint);
    }
    return e;
  }

  Result<ExprPtr> ParseAggregate(AggregateOp op, int column) {
    std::string name = tok_.text;
    auto e = std::make_unique<Expr>();
    e->kind = Expr::Kind::kAggregate;
    e->type = ValueType::kInstant;
    e->column = column;
    e->aggregate = op;
    if (Status st = Advance(); !st.ok()) return st;
    bool grouped = false;
    if (AtIdentifier("by") || AtIdentifier("without")) {
      if (Status st = ParseGrouping(*e); !st.ok()) return st;
      grouped = true;
    }
    if (Status st = Expect(TK::kLeftParen, "'(' after " + name); !st.ok()) return st;
    if (tok_.kind == TK::kRightParen) return Expected("an expression in " + name + "(...)");
    Result<ExprPtr> arg = ParseBinary(0);
    if (!arg.ok()) return arg;
    if (Status st = Expect(TK::kRightParen, "')' closing " + name + "(...)"); !st.ok()) return st;
    if ((*arg)->type != ValueType::kInstant) {
      return ErrorAt((*arg)->column, "expected instant vector in aggregation " + name +
                                         "(), found " + ValueTypeName((*arg)->type));
    }
    e->children.push_back(std::move(*arg));
    if (AtIdentifier("by") || AtIdentifier("without")) {
      if (grouped) return ErrorAt(tok_.column, "grouping given twice for " + name);
      if (Status st = ParseGrouping(*e); !st.ok()) return st;
    }
    return e;
  }

  Status ParseGrouping(Expr& e) {
    e.without = tok_.text == "without";
    std::string keyword = tok_.text;
    if (Status st = Advance(); !st.ok()) return st;
    if (Status st = Expect(TK::kLeftParen, "'(' after " + keyword); !st.ok()) return st;
    while (tok_.kind != TK::kRightParen) {
      if (tok_.kind != TK::kIdentifier || !IsLabelName(tok_.text)) {
        return Expected("a label name or ')' in " + keyword + " (...)");
      }
      e.grouping.push_back(tok_.text);
      if (Status st = Advance(); !st.ok()) return st;
      if (tok_.kind == TK::kComma) {
        if (Status st = Advance(); !st.ok()) return st;
      } else if (tok_.kind != TK::kRightParen) {
        return Expected("',' or ')' in " + keyword + " (...)");
      }
    }
    std::sort(e.grouping.begin(), e.grouping.end());
    e.grouping.erase(std::unique(e.grouping.begin(), e.grouping.end()), e.grouping.end());
    return Advance();
  }

  // One label matcher as written, for building the canonical selector text
  // and for mapping SeriesSelector's errors back to a column.
  struct SourceMatcher {
    std::string name;
    std::string op;
    std::string value;
    int value_column = 0;
    size_t canonical_begin = 0;
    size_t canonical_end = 0;
  };

  Result<ExprPtr> ParseSelector(std::string metric, int column) {
    std::vector<SourceMatcher> matchers;
    if (tok_.kind == TK::kLeftBrace) {
      if (Status st = ParseMatchers(matchers); !st.ok()) return st;
    }
    return BuildSelector(metric, column, matchers);
  }

  Status ParseMatchers(std::vector<SourceMatcher>& out) {
    if (Status st = Advance(); !st.ok()) return st;  // '{'
    while (tok_.kind != TK::kRightBrace) {
      if (tok_.kind != TK::kIdentifier || !IsLabelName(tok_.text)) {
        return Expected("a label name or '}'");
      }
      SourceMatcher m;
      m.name = tok_.text;
      if (Status st = Advance(); !st.ok()) return st;
      if (tok_.kind != TK::kAssign && tok_.kind != TK::kNe && tok_.kind != TK::kRegexMatch &&
          tok_.kind != TK::kRegexNoMatch) {
        return Expected("one of =, !=, =~, !~ after label name '" + m.name + "'");
      }
      m.op = tok_.text;
      if (Status st = Advance(); !st.ok()) return st;
      if (tok_.kind != TK::kString) return Expected("a quoted label value");
      m.value = tok_.text;
      m.value_column = tok_.column;
      out.push_back(std::move(m));
      if (Status st = Advance(); !st.ok()) return st;
      if (tok_.kind == TK::kComma) {
        if (Status st = Advance(); !st.ok()) return st;
      } else if (tok_.kind != TK::kRightBrace) {
        return Expected("',' or '}' in label matchers");
      }
    }
    return Advance();
  }

  Result<ExprPtr> BuildSelector(const std::string& metric, int column,
                                std::vector<SourceMatcher>& matchers) {
    bool names_metric = !metric.empty();
    for (const SourceMatcher& m : matchers) {
      if (m.name != "__name__") continue;
      if (!metric.empty()) {
        return ErrorAt(m.value_column, "metric name must not be set twice (name and __name__)");
      }
      names_metric = names_metric || m.op == "=" || m.op == "=~";
    }
    std::string text = metric + "{";
    for (SourceMatcher& m : matchers) {
      if (text.size() > 1 + metric.size()) text += ',';
      m.canonical_begin = text.size();
      text += m.name + m.op;
      AppendQuoted(text, m.value);
      m.canonical_end = text.size();
    }
    // A selector naming no metric reads every metric, as PromQL's does;
    // SeriesSelector wants that said with a __name__ matcher.
    if (!names_metric) text += std::string(matchers.empty() ? "" : ",") + "__name__=~\".+\"";
    text += '}';
    Result<SeriesSelector> sel = SeriesSelector::Parse(text);
    if (!sel.ok()) return MapSelectorError(sel.status(), column, matchers);
    if (metric.empty()) {
      bool any_non_empty = false;
      for (size_t i = 0; i < matchers.size(); ++i) {
        any_non_empty = any_non_empty || !sel->matchers()[i].Matches("");
      }
      if (!any_non_empty) {
        return ErrorAt(column,
                       "expected a metric name or a matcher that does not match the "
                       "empty string (e.g. {job=~\".+\"})");
      }
    }
    auto e = std::make_unique<Expr>();
    e->kind = Expr::Kind::kSelector;
    e->type = ValueType::kInstant;
    e->column = column;
    e->selector = std::move(*sel);
    return e;
  }

  // SeriesSelector errors end in "at offset N" of the canonical text; the
  // matcher holding N tells the column in the user's text.
  static Status MapSelectorError(const Status& st, int column,
                                 const std::vector<SourceMatcher>& matchers) {
    std::string msg = st.message();
    if (msg.starts_with("selector: ")) msg = msg.substr(10);
    size_t at = msg.rfind(" at offset ");
    if (at != std::string::npos) {
      size_t offset = std::strtoul(msg.c_str() + at + 11, nullptr, 10);
      msg.resize(at);
      for (const SourceMatcher& m : matchers) {
        if (offset >= m.canonical_begin && offset <= m.canonical_end) column = m.value_column;
      }
    }
    return ErrorAt(column, msg);
  }

  Lexer lexer_;
  Token tok_;
};

// The operator of the comparison `cmp` (a node of `text`) lies just before
// its right operand, past blanks and the parentheses that open that
// operand. Returns [operator begin, operator end) as offsets into `text`.
std::pair<size_t, size_t> ComparisonOperatorSpan(std::string_view text, const Expr& cmp) {
  size_t pos = std::min(static_cast<size_t>(cmp.children[1]->column - 1), text.size());
  while (pos > 0 && std::string_view(" \t\r\n(").find(text[pos - 1]) != std::string_view::npos) {
    --pos;
  }
  const size_t end = pos;
  while (pos > 0 && std::string_view("<>=!").find(text[pos - 1]) != std::string_view::npos) --pos;
  return {pos, end};
}

std::string_view TrimBlanks(std::string_view s) {
  constexpr std::string_view kBlanks = " \t\r\n";
  const size_t begin = s.find_first_not_of(kBlanks);
  if (begin == std::string_view::npos) return {};
  return s.substr(begin, s.find_last_not_of(kBlanks) - begin + 1);
}

// `cut` with the parentheses it leaves unbalanced (those of a comparison
// that was itself parenthesized) taken off, when that parses as an instant
// vector; "" otherwise.
std::string ParseableOperand(std::string_view cut) {
  for (;;) {
    cut = TrimBlanks(cut);
    Result<ParsedExpr> parsed = ParseExpr(cut);
    if (parsed.ok() && parsed->root().type == ValueType::kInstant) return std::string(cut);
    const auto opens = std::count(cut.begin(), cut.end(), '(');
    const auto closes = std::count(cut.begin(), cut.end(), ')');
    if (opens > closes && cut.starts_with('(')) {
      cut.remove_prefix(1);
    } else if (closes > opens && cut.ends_with(')')) {
      cut.remove_suffix(1);
    } else {
      return "";
    }
  }
}

void Walk(const Expr& e, const std::function<void(const Expr&)>& fn) {
  fn(e);
  for (const auto& child : e.children) Walk(*child, fn);
}

}  // namespace

const char* ValueTypeName(ValueType type) {
  switch (type) {
    case ValueType::kScalar:
      return "scalar";
    case ValueType::kInstant:
      return "instant vector";
    case ValueType::kRange:
      return "range vector";
  }
  return "?";
}

bool IsComparison(BinaryOp op) { return op >= BinaryOp::kEq && op <= BinaryOp::kLe; }
bool IsSetOperator(BinaryOp op) { return op >= BinaryOp::kAnd; }

Result<ParsedExpr> ParseExpr(std::string_view text) {
  Parser parser(text);
  Result<ExprPtr> root = parser.Run();
  if (!root.ok()) return root.status();
  ParsedExpr out;
  out.text_ = std::string(text);
  out.root_ = std::shared_ptr<const Expr>(std::move(*root));
  return out;
}

int64_t ParsedExpr::max_range_ms() const {
  int64_t max = 0;
  Walk(*root_, [&](const Expr& e) {
    if (e.kind == Expr::Kind::kSelector && e.range_ms > 0) {
      max = std::max(max, e.range_ms + e.offset_ms);
    }
  });
  return max;
}

std::vector<const SeriesSelector*> ParsedExpr::selectors() const {
  std::vector<const SeriesSelector*> out;
  Walk(*root_, [&](const Expr& e) {
    if (e.kind == Expr::Kind::kSelector) out.push_back(&e.selector);
  });
  return out;
}

std::vector<std::pair<const SeriesSelector*, int64_t>> ParsedExpr::selector_ranges() const {
  std::vector<std::pair<const SeriesSelector*, int64_t>> out;
  Walk(*root_, [&](const Expr& e) {
    if (e.kind != Expr::Kind::kSelector) return;
    // An instant selector without offset reads only each series' newest sample.
    int64_t back = e.range_ms > 0    ? e.range_ms + e.offset_ms
                   : e.offset_ms > 0 ? e.offset_ms + kLookbackMs
                                     : 0;
    out.emplace_back(&e.selector, back);
  });
  return out;
}

int ParsedExpr::comparison_direction() const {
  const Expr& e = *root_;
  if (e.kind != Expr::Kind::kBinary || e.return_bool || e.type != ValueType::kInstant) return 0;
  bool vector_left = e.children[0]->type == ValueType::kInstant;
  bool vector_right = e.children[1]->type == ValueType::kInstant;
  if (vector_left == vector_right) return 0;
  int dir = 0;
  if (e.op == BinaryOp::kGt || e.op == BinaryOp::kGe) dir = 1;
  if (e.op == BinaryOp::kLt || e.op == BinaryOp::kLe) dir = -1;
  return vector_left ? dir : -dir;
}

std::optional<ParsedExpr> ParsedExpr::comparison_operand() const {
  if (comparison_direction() == 0) return std::nullopt;
  const bool vector_left = root_->children[0]->type == ValueType::kInstant;
  const auto [op_begin, op_end] = ComparisonOperatorSpan(text_, *root_);
  std::string_view whole = text_;
  std::string text =
      ParseableOperand(vector_left ? whole.substr(0, op_begin) : whole.substr(op_end));
  ParsedExpr out;
  out.text_ = text.empty() ? text_ : std::move(text);
  const Expr* operand = root_->children[vector_left ? 0 : 1].get();
  out.root_ = std::shared_ptr<const Expr>(root_, operand);
  return out;
}

}  // namespace perfwatch
