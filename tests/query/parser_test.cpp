#include <gtest/gtest.h>

#include <optional>
#include <sstream>

#include "query/ast.h"
#include "query/query.h"

namespace perfwatch {
namespace {

const char* OpName(BinaryOp op) {
  static const char* kNames[] = {
      "+", "-", "*", "/", "%", "^", "==", "!=", ">", "<", ">=", "<=", "and", "or", "unless"};
  return kNames[static_cast<int>(op)];
}

const char* FunctionName(Function f) {
  static const char* kNames[] = {"avg_over_time",
                                 "min_over_time",
                                 "max_over_time",
                                 "sum_over_time",
                                 "count_over_time",
                                 "last_over_time",
                                 "quantile_over_time",
                                 "rate",
                                 "increase",
                                 "delta",
                                 "abs",
                                 "clamp_min",
                                 "clamp_max"};
  return kNames[static_cast<int>(f)];
}

// A fully parenthesised rendering that shows how the tree grouped.
std::string Dump(const Expr& e) {
  std::ostringstream out;
  switch (e.kind) {
    case Expr::Kind::kNumber:
      out << e.number;
      break;
    case Expr::Kind::kSelector: {
      out << e.selector.metric() << "{";
      for (size_t i = 0; i < e.selector.matchers().size(); ++i) {
        const LabelMatcher& m = e.selector.matchers()[i];
        static const char* kOps[] = {"=", "!=", "=~", "!~"};
        out << (i ? "," : "") << m.name << kOps[static_cast<int>(m.op)] << '"' << m.value << '"';
      }
      out << "}";
      if (e.range_ms) out << "[" << e.range_ms << "ms]";
      if (e.offset_ms) out << " offset " << e.offset_ms << "ms";
      break;
    }
    case Expr::Kind::kCall:
      out << FunctionName(e.function) << "(";
      for (size_t i = 0; i < e.children.size(); ++i) out << (i ? ", " : "") << Dump(*e.children[i]);
      out << ")";
      break;
    case Expr::Kind::kAggregate: {
      static const char* kAggs[] = {"sum", "avg", "min", "max", "count"};
      out << kAggs[static_cast<int>(e.aggregate)];
      if (e.without || !e.grouping.empty()) {
        out << (e.without ? " without (" : " by (");
        for (size_t i = 0; i < e.grouping.size(); ++i) out << (i ? "," : "") << e.grouping[i];
        out << ")";
      }
      out << "(" << Dump(*e.children[0]) << ")";
      break;
    }
    case Expr::Kind::kBinary:
      out << "(" << Dump(*e.children[0]) << " " << OpName(e.op) << (e.return_bool ? " bool" : "")
          << " " << Dump(*e.children[1]) << ")";
      break;
    case Expr::Kind::kNegate:
      out << "-(" << Dump(*e.children[0]) << ")";
      break;
  }
  return out.str();
}

std::string Parsed(std::string_view text) {
  Result<ParsedExpr> e = ParseExpr(text);
  EXPECT_TRUE(e.ok()) << text << ": " << e.status().message();
  return e.ok() ? Dump(e->root()) : "";
}

std::string ParseError(std::string_view text) {
  Result<ParsedExpr> e = ParseExpr(text);
  EXPECT_FALSE(e.ok()) << text << " parsed";
  return e.ok() ? "" : e.status().message();
}

TEST(Parser, FollowsPromqlPrecedence) {
  EXPECT_EQ(Parsed("1 + 2 * 3"), "(1 + (2 * 3))");
  EXPECT_EQ(Parsed("1 * 2 + 3"), "((1 * 2) + 3)");
  EXPECT_EQ(Parsed("a - b - c"), "((a{} - b{}) - c{})");
  EXPECT_EQ(Parsed("2 ^ 3 ^ 2"), "(2 ^ (3 ^ 2))");
  EXPECT_EQ(Parsed("-2 ^ 2"), "-((2 ^ 2))");
  EXPECT_EQ(Parsed("-a * b"), "(-(a{}) * b{})");
  EXPECT_EQ(Parsed("2 ^ -1"), "(2 ^ -1)");
  EXPECT_EQ(Parsed("a + b > c * 2"), "((a{} + b{}) > (c{} * 2))");
  EXPECT_EQ(Parsed("a > b and c or d unless e"), "(((a{} > b{}) and c{}) or (d{} unless e{}))");
  EXPECT_EQ(Parsed("a or b and c"), "(a{} or (b{} and c{}))");
  EXPECT_EQ(Parsed("(1 + 2) * 3"), "((1 + 2) * 3)");
  EXPECT_EQ(Parsed("a % 3 / 2"), "((a{} % 3) / 2)");
  EXPECT_EQ(Parsed("a > bool 1"), "(a{} > bool 1)");
  EXPECT_EQ(Parsed("1 == bool 1"), "(1 == bool 1)");
}

TEST(Parser, ReadsSelectorsRangesAndOffsets) {
  EXPECT_EQ(Parsed(R"(m{a="1", b!="2", c=~"x.*", d!~'y',})"), R"(m{a="1",b!="2",c=~"x.*",d!~"y"})");
  EXPECT_EQ(Parsed("rate(m[1m30s])"), "rate(m{}[90000ms])");
  EXPECT_EQ(Parsed("avg_over_time(m[1h])"), "avg_over_time(m{}[3600000ms])");
  EXPECT_EQ(Parsed("m offset 5m"), "m{} offset 300000ms");
  EXPECT_EQ(Parsed("rate(m[5m] offset 1m)"), "rate(m{}[300000ms] offset 60000ms)");
  EXPECT_EQ(Parsed(R"({__name__=~"cpu|mem"})"), R"({__name__=~"cpu|mem"})");
  // A selector without a name reads every metric, as in PromQL.
  EXPECT_EQ(Parsed(R"({job="x"})"), R"({job="x",__name__=~".+"})");
  EXPECT_EQ(Parsed("m:recorded:rate5m"), "m:recorded:rate5m{}");
  EXPECT_EQ(Parsed(R"(m{a="tab\there"})"), "m{a=\"tab\there\"}");
}

TEST(Parser, ReadsCallsAndAggregations) {
  EXPECT_EQ(Parsed("quantile_over_time(0.95, m[5m])"), "quantile_over_time(0.95, m{}[300000ms])");
  EXPECT_EQ(Parsed("clamp_min(m, 1 + 1)"), "clamp_min(m{}, (1 + 1))");
  EXPECT_EQ(Parsed("abs(-m)"), "abs(-(m{}))");
  EXPECT_EQ(Parsed("sum by (b, a) (m)"), "sum by (a,b)(m{})");
  EXPECT_EQ(Parsed("sum(m) by (a)"), "sum by (a)(m{})");
  EXPECT_EQ(Parsed("max without (cpu) (m)"), "max without (cpu)(m{})");
  EXPECT_EQ(Parsed("count(m) without ()"), "count without ()(m{})");
  EXPECT_EQ(Parsed("avg(rate(m[1m]))"), "avg(rate(m{}[60000ms]))");
  EXPECT_EQ(Parsed("min by (instance) (m) > 90"), "(min by (instance)(m{}) > 90)");
  EXPECT_EQ(Parsed("Inf"), "inf");
  EXPECT_EQ(Parsed("-1e3"), "-1000");
}

TEST(Parser, RejectsBadInputNamingColumnAndExpectation) {
  struct Case {
    const char* text;
    const char* error;
  } cases[] = {
      {"", "column 1: expected an expression, found end of input"},
      {"   ", "column 4: expected an expression, found end of input"},
      {"m{a=\"b\"", "column 8: expected ',' or '}' in label matchers, found end of input"},
      {"m{a \"b\"}", "column 5: expected one of =, !=, =~, !~ after label name 'a', found string"},
      {"m{a=b}", "column 5: expected a quoted label value, found identifier 'b'"},
      {"m[5x]",
       "column 3: expected a duration such as 5m, found '5x' (unit 'x' is unknown or "
       "out of order (ms, s, m, h, d, w, y))"},
      {"m[5m", "column 5: expected ']' after range duration, found end of input"},
      {"m[]", "column 3: expected a duration such as 5m, found ']'"},
      {"m[0s]", "column 3: expected a positive range, found 0"},
      {"rate(m[5m:1m])", "column 10: subqueries (x[5m:1m]) are not supported"},
      {"foo(m)", "column 1: unknown function 'foo'"},
      {"irate(m[5m])", "column 1: function 'irate' is not supported"},
      {"topk(3, m)", "column 1: aggregation 'topk' is not supported"},
      {"rate(m)",
       "column 6: expected range vector as argument 1 of rate(), found instant vector "
       "(add a range, e.g. rate(x[5m]))"},
      {"abs(m[5m])",
       "column 5: expected instant vector as argument 1 of abs(), found range "
       "vector"},
      {"rate(m[5m], 1)", "column 14: expected 1 argument to rate(), found 2"},
      {"quantile_over_time(m[5m])",
       "column 25: expected 2 arguments to quantile_over_time(), "
       "found 1"},
      {"clamp_min(m, m)",
       "column 14: expected scalar as argument 2 of clamp_min(), found instant "
       "vector"},
      {"m[5m] + 1",
       "column 1: expected an instant vector or scalar operand of '+', found range "
       "vector"},
      {"m[5m]",
       "column 1: expected an instant vector or scalar expression, found range vector "
       "(pass it to a function such as rate() or avg_over_time())"},
      {"sum(m[5m])", "column 5: expected instant vector in aggregation sum(), found range vector"},
      {"sum(1)", "column 5: expected instant vector in aggregation sum(), found scalar"},
      {"sum by (a) (m) by (b)", "column 16: grouping given twice for sum"},
      {"sum by a (m)", "column 8: expected '(' after by, found identifier 'a'"},
      {"m foo", "column 3: expected an operator or end of input, found identifier 'foo'"},
      {"1 2", "column 3: expected an operator or end of input, found number 2"},
      {"(m", "column 3: expected ')', found end of input"},
      {"m +", "column 4: expected an expression, found end of input"},
      {"1 > 2",
       "column 3: comparisons between scalars must use the bool modifier (write '> "
       "bool')"},
      {"m + bool 1", "column 5: the bool modifier only applies to comparisons, not '+'"},
      {"m and 1", "column 7: expected instant vectors on both sides of 'and', found scalar"},
      {"a + on(x) b",
       "column 5: vector matching modifier 'on' is not supported (vectors match "
       "one-to-one on all labels except __name__)"},
      {"a / ignoring(x) b",
       "column 5: vector matching modifier 'ignoring' is not supported "
       "(vectors match one-to-one on all labels except __name__)"},
      {"m{a=~\"(\"}", "column 6: invalid regular expression \"(\": missing ): ("},
      {"m{__name__=\"x\"}", "column 12: metric name must not be set twice (name and __name__)"},
      {"{a=~\".*\"}",
       "column 1: expected a metric name or a matcher that does not match the "
       "empty string (e.g. {job=~\".+\"})"},
      {"\"str\"",
       "column 1: expected an expression, found string (strings are only allowed as "
       "label values)"},
      {"m @ 100", "column 3: the @ modifier is not supported"},
      {"(1 + 2) offset 5m", "column 9: offset can only follow a selector"},
      {"by", "column 1: expected an expression, found identifier 'by'"},
  };
  for (const Case& c : cases) EXPECT_EQ(ParseError(c.text), c.error) << c.text;
}

TEST(ParsedExpr, ReportsRangesSelectorsAndDirection) {
  ParsedExpr e = *ParseExpr("avg_over_time(a[10s]) > 80 and rate(b[5m] offset 1m) > 0 or c");
  EXPECT_EQ(e.max_range_ms(), 360'000);
  ASSERT_EQ(e.selectors().size(), 3u);
  EXPECT_EQ(e.selectors()[0]->metric(), "a");
  auto ranges = e.selector_ranges();
  ASSERT_EQ(ranges.size(), 3u);
  EXPECT_EQ(ranges[0].second, 10'000);
  EXPECT_EQ(ranges[1].second, 360'000);
  EXPECT_EQ(ranges[2].second, 0);
  EXPECT_EQ(ParseExpr("c offset 1m")->selector_ranges()[0].second, 60'000 + kLookbackMs);
  EXPECT_EQ(ParseExpr("x")->max_range_ms(), 0);
  EXPECT_EQ(e.text(), "avg_over_time(a[10s]) > 80 and rate(b[5m] offset 1m) > 0 or c");

  EXPECT_EQ(ParseExpr("x > 80")->comparison_direction(), 1);
  EXPECT_EQ(ParseExpr("x >= 80")->comparison_direction(), 1);
  EXPECT_EQ(ParseExpr("x < 10")->comparison_direction(), -1);
  EXPECT_EQ(ParseExpr("10 > x")->comparison_direction(), -1);
  EXPECT_EQ(ParseExpr("80 < avg_over_time(x[1m])")->comparison_direction(), 1);
  EXPECT_EQ(ParseExpr("x > bool 80")->comparison_direction(), 0);
  EXPECT_EQ(ParseExpr("x == 80")->comparison_direction(), 0);
  EXPECT_EQ(ParseExpr("x > y")->comparison_direction(), 0);
  EXPECT_EQ(ParseExpr("x")->comparison_direction(), 0);
}

TEST(ParsedExpr, ComparisonOperandIsTheVectorSideWithItsText) {
  struct Case {
    const char* text;
    const char* operand;  // its text(); the tree must match the parse of it
  };
  const Case cases[] = {
      {"x > 80", "x"},
      {"x>=80", "x"},
      {"10 > x", "x"},
      {"80 < avg_over_time(x{app=\"shop\"}[1m])", "avg_over_time(x{app=\"shop\"}[1m])"},
      {"(x + y) > (80)", "(x + y)"},
      {"(rate(x[5m]) <= -2)", "rate(x[5m])"},
      {"  sum by (app) (x)  <  0.5 ", "sum by (app) (x)"},
      {"2 * 3 >= (a / b)", "(a / b)"},
  };
  for (const Case& c : cases) {
    Result<ParsedExpr> e = ParseExpr(c.text);
    ASSERT_TRUE(e.ok()) << c.text;
    std::optional<ParsedExpr> operand = e->comparison_operand();
    ASSERT_TRUE(operand.has_value()) << c.text;
    EXPECT_EQ(operand->text(), c.operand) << c.text;
    EXPECT_EQ(Dump(operand->root()), Dump(ParseExpr(c.operand)->root())) << c.text;
    // The operand shares the comparison's tree: its selectors are the same objects.
    EXPECT_EQ(operand->selectors().front(), e->selectors().front()) << c.text;
  }
  for (const char* text :
       {"x > bool 80", "x == 80", "x != 1", "x > y", "x", "x + 1", "x > 1 and y"}) {
    EXPECT_FALSE(ParseExpr(text)->comparison_operand().has_value()) << text;
  }
}

TEST(ParsedExpr, ComparisonOperandOutlivesItsParent) {
  std::optional<ParsedExpr> operand = ParseExpr("cpu_usage{cpu=\"0\"} > 80")->comparison_operand();
  ASSERT_TRUE(operand.has_value());
  ASSERT_EQ(operand->selectors().size(), 1u);
  EXPECT_EQ(operand->selectors()[0]->metric(), "cpu_usage");
  EXPECT_EQ(operand->selector_ranges()[0].second, 0);
  EXPECT_EQ(operand->comparison_direction(), 0);
}

}  // namespace
}  // namespace perfwatch
