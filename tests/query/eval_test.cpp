// Evaluation against hand-computed values, through StoreSource over a
// MemStore (series_fixture.h).

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "query/query.h"
#include "series_fixture.h"

namespace perfwatch {
namespace {

using testing::SeriesFixture;

constexpr double kInf = std::numeric_limits<double>::infinity();

class EvalTest : public ::testing::Test {
 protected:
  // Samples every 10 s from t=0.
  void Load(const std::vector<testing::InputSeries>& series) { fx_.Load(series, 10'000); }

  QueryValue Eval(std::string_view text, TimestampMs t_ms) {
    Result<ParsedExpr> e = ParseExpr(text);
    EXPECT_TRUE(e.ok()) << text << ": " << e.status().message();
    if (!e.ok()) return {};
    Result<QueryValue> v = Evaluate(*e, fx_.source, t_ms);
    EXPECT_TRUE(v.ok()) << text << ": " << v.status().message();
    return v.ok() ? *v : QueryValue{};
  }

  std::string EvalError(std::string_view text, TimestampMs t_ms) {
    Result<QueryValue> v = Evaluate(*ParseExpr(text), fx_.source, t_ms);
    EXPECT_FALSE(v.ok()) << text;
    return v.ok() ? "" : v.status().message();
  }

  // "labels=value" for each element, in result order.
  std::vector<std::string> Render(std::string_view text, TimestampMs t_ms) {
    QueryValue v = Eval(text, t_ms);
    std::vector<std::string> out;
    for (const VectorSample& s : v.vector) {
      std::string value;
      AppendPrometheusFloat(value, s.value);
      out.push_back(s.labels.ToString() + "=" + value);
    }
    return out;
  }

  double Scalar(std::string_view text) {
    QueryValue v = Eval(text, 0);
    EXPECT_EQ(v.kind, QueryValue::Kind::kScalar) << text;
    return v.scalar;
  }

  double Single(std::string_view text, TimestampMs t_ms) {
    QueryValue v = Eval(text, t_ms);
    EXPECT_EQ(v.vector.size(), 1u) << text;
    return v.vector.empty() ? std::nan("") : v.vector[0].value;
  }

  SeriesFixture fx_;
};

using V = std::vector<std::string>;

TEST_F(EvalTest, InstantSelectorTakesNewestSampleWithinLookback) {
  Load({{R"(cpu{instance="a"})", "1 2 3"}, {R"(cpu{instance="b"})", "7"}});
  EXPECT_EQ(Render("cpu", 25'000),
            (V{R"({__name__="cpu",instance="a"}=3)", R"({__name__="cpu",instance="b"}=7)"}));
  EXPECT_EQ(Render("cpu", 15'000),
            (V{R"({__name__="cpu",instance="a"}=2)", R"({__name__="cpu",instance="b"}=7)"}));
  // Exactly 5 minutes after b's only sample it still counts (Prometheus 2.42).
  EXPECT_EQ(Render(R"(cpu{instance="b"})", kLookbackMs), (V{R"({__name__="cpu",instance="b"}=7)"}));
  EXPECT_EQ(Render(R"(cpu{instance="b"})", kLookbackMs + 1), V{});
  EXPECT_EQ(Render("cpu", -1), V{});
  EXPECT_EQ(Render("nothing_here", 25'000), V{});
}

TEST_F(EvalTest, MatchersSelectByLabel) {
  Load({{R"(cpu{instance="a",mode="user"})", "1"},
        {R"(cpu{instance="b",mode="idle"})", "2"},
        {R"(mem{instance="a"})", "3"}});
  EXPECT_EQ(Render(R"(cpu{mode!="idle"})", 0),
            (V{R"({__name__="cpu",instance="a",mode="user"}=1)"}));
  EXPECT_EQ(Render(R"(cpu{instance=~"b|c"})", 0),
            (V{R"({__name__="cpu",instance="b",mode="idle"}=2)"}));
  EXPECT_EQ(Render(R"(cpu{instance!~"b"})", 0),
            (V{R"({__name__="cpu",instance="a",mode="user"}=1)"}));
  EXPECT_EQ(Render(R"({instance="a"})", 0), (V{R"({__name__="cpu",instance="a",mode="user"}=1)",
                                               R"({__name__="mem",instance="a"}=3)"}));
  // Regexes are anchored: "use" does not match "user".
  EXPECT_EQ(Render(R"(cpu{mode=~"use"})", 0), V{});
}

TEST_F(EvalTest, RangeSelectorWindowIsClosedOnTheLeft) {
  Load({{"x", "0+1x12"}});                                  // 0..12 at 0 s..120 s
  EXPECT_EQ(Single("count_over_time(x[1m])", 60'000), 7);   // 0 s..60 s inclusive
  EXPECT_EQ(Single("count_over_time(x[1m])", 65'000), 6);   // 10 s..60 s
  EXPECT_EQ(Single("count_over_time(x[10s])", 60'000), 2);  // 50 s and 60 s
  EXPECT_EQ(Single("sum_over_time(x[30s])", 120'000), 9 + 10 + 11 + 12);
  EXPECT_EQ(Single("avg_over_time(x[30s])", 120'000), 10.5);
  EXPECT_EQ(Single("min_over_time(x[30s])", 120'000), 9);
  EXPECT_EQ(Single("max_over_time(x[30s])", 120'000), 12);
  EXPECT_EQ(Single("last_over_time(x[30s])", 125'000), 12);
  EXPECT_EQ(Single("count_over_time(x[5s])", 125'000), 1);  // 120 s
  EXPECT_EQ(Render("count_over_time(x[4s])", 125'000), V{});
}

TEST_F(EvalTest, QuantileOverTimeInterpolatesLinearly) {
  Load({{"x", "5 1 4 2 3"}});
  EXPECT_EQ(Single("quantile_over_time(0.5, x[1m])", 40'000), 3);
  EXPECT_DOUBLE_EQ(Single("quantile_over_time(0.9, x[1m])", 40'000), 4.6);
  EXPECT_EQ(Single("quantile_over_time(0, x[1m])", 40'000), 1);
  EXPECT_EQ(Single("quantile_over_time(1, x[1m])", 40'000), 5);
  EXPECT_EQ(Single("quantile_over_time(-0.5, x[1m])", 40'000), -kInf);
  EXPECT_EQ(Single("quantile_over_time(1.5, x[1m])", 40'000), kInf);
}

TEST_F(EvalTest, RateExtrapolatesToTheWindowEdges) {
  Load({{"c_total", "0+10x12"}});  // 1 per second
  EXPECT_EQ(Single("rate(c_total[1m])", 60'000), 1);
  EXPECT_EQ(Single("increase(c_total[1m])", 60'000), 60);
  // Window 5 s..65 s holds 10..60: 50 over 50 s, extrapolated 5 s each way.
  EXPECT_EQ(Single("increase(c_total[1m])", 65'000), 60);
  EXPECT_EQ(Single("rate(c_total[1m])", 65'000), 1);
}

TEST_F(EvalTest, RateHandlesCounterResets) {
  Load({{"c_total", "5 8 2 4"}});
  // 8 is added back at the reset: 4 - 5 + 8 = 7 over the whole 30 s window.
  EXPECT_EQ(Single("increase(c_total[30s])", 30'000), 7);
  EXPECT_DOUBLE_EQ(Single("rate(c_total[30s])", 30'000), 7.0 / 30);
}

TEST_F(EvalTest, RateNeverExtrapolatesACounterBelowZero) {
  Load({{"c_total", "_x3 1 2 3 4"}});  // samples at 30 s..60 s
  // 30 s to the window start but the slope reaches 0 after 10 s: 3 * 40 / 30.
  EXPECT_DOUBLE_EQ(Single("increase(c_total[1m])", 60'000), 4);
  // A gauge (delta) has no zero point: 30 s > 1.1 * 10 s, so only 5 s more.
  EXPECT_DOUBLE_EQ(Single("delta(c_total[1m])", 60'000), 3.5);
}

TEST_F(EvalTest, RateNeedsTwoSamplesAndDropsTheName) {
  Load({{R"(c_total{i="a"})", "1"}, {R"(c_total{i="b"})", "1 2"}});
  // 1 -> 2 in 10 s: the zero point lies 10 s before the first sample, so
  // the increase stretches to 2 over the minute; a gauge only by 5 s.
  EXPECT_EQ(Render("rate(c_total[1m])", 10'000), (V{R"({i="b"}=0.03333333333333333)"}));
  EXPECT_EQ(Render("delta(c_total[1m])", 10'000), (V{R"({i="b"}=1.5)"}));
  EXPECT_EQ(Render("last_over_time(c_total[1m])", 10'000),
            (V{R"({__name__="c_total",i="a"}=1)", R"({__name__="c_total",i="b"}=2)"}));
}

TEST_F(EvalTest, ScalarArithmeticFollowsIeee) {
  EXPECT_EQ(Scalar("1 + 2 * 3"), 7);
  EXPECT_EQ(Scalar("2 ^ 3 ^ 2"), 512);
  EXPECT_EQ(Scalar("-2 ^ 2"), -4);
  EXPECT_EQ(Scalar("7 % 4"), 3);
  EXPECT_EQ(Scalar("-7 % 4"), -3);
  EXPECT_EQ(Scalar("1 / 0"), kInf);
  EXPECT_TRUE(std::isnan(Scalar("0 / 0")));
  EXPECT_TRUE(std::isnan(Scalar("NaN + 1")));
  EXPECT_EQ(Scalar("Inf - 1"), kInf);
  EXPECT_EQ(Scalar("3 > bool 2"), 1);
  EXPECT_EQ(Scalar("3 < bool 2"), 0);
  EXPECT_EQ(Scalar("NaN == bool NaN"), 0);
  EXPECT_EQ(Scalar("NaN != bool NaN"), 1);
}

TEST_F(EvalTest, VectorScalarOperatorsKeepOrDropTheName) {
  Load({{R"(cpu{i="a"})", "10"}, {R"(cpu{i="b"})", "90"}});
  EXPECT_EQ(Render("cpu * 2", 0), (V{R"({i="a"}=20)", R"({i="b"}=180)"}));
  EXPECT_EQ(Render("100 - cpu", 0), (V{R"({i="a"}=90)", R"({i="b"}=10)"}));
  EXPECT_EQ(Render("cpu > 50", 0), (V{R"({__name__="cpu",i="b"}=90)"}));
  EXPECT_EQ(Render("50 < cpu", 0), (V{R"({__name__="cpu",i="b"}=90)"}));
  EXPECT_EQ(Render("cpu >= bool 90", 0), (V{R"({i="a"}=0)", R"({i="b"}=1)"}));
  EXPECT_EQ(Render("cpu == 10", 0), (V{R"({__name__="cpu",i="a"}=10)"}));
  EXPECT_EQ(Render("cpu != 10", 0), (V{R"({__name__="cpu",i="b"}=90)"}));
  EXPECT_EQ(Render("-cpu", 0), (V{R"({i="a"}=-10)", R"({i="b"}=-90)"}));
  EXPECT_EQ(Render("cpu / 0", 0), (V{R"({i="a"}=+Inf)", R"({i="b"}=+Inf)"}));
  EXPECT_EQ(Render("cpu > NaN", 0), V{});
  EXPECT_EQ(Render("cpu > 100", 0), V{});
}

TEST_F(EvalTest, VectorVectorMatchesOnAllLabelsButTheName) {
  Load({{R"(used{i="a"})", "30"},
        {R"(used{i="b"})", "80"},
        {R"(total{i="a"})", "100"},
        {R"(total{i="c"})", "100"}});
  EXPECT_EQ(Render("used / total * 100", 0), (V{R"({i="a"}=30)"}));
  EXPECT_EQ(Render("used < total", 0), (V{R"({__name__="used",i="a"}=30)"}));
  EXPECT_EQ(Render("used > bool total", 0), (V{R"({i="a"}=0)"}));
  EXPECT_EQ(Render("used > total", 0), V{});
}

TEST_F(EvalTest, VectorMatchingRefusesAmbiguity) {
  Load({{R"(a{i="x"})", "1"}, {R"(b{i="x"})", "2"}, {R"(c{i="x"})", "3"}});
  EXPECT_EQ(EvalError(R"(c + {__name__=~"a|b"})", 0),
            "found duplicate series for the match group {i=\"x\"} on the right hand-side of the "
            "operation; many-to-many matching not allowed");
  EXPECT_EQ(EvalError(R"({__name__=~"a|b"} + 1)", 0),
            "vector cannot contain metrics with the same labelset {i=\"x\"}");
  EXPECT_EQ(EvalError(R"(abs({__name__=~"a|b"}))", 0),
            "vector cannot contain metrics with the same labelset {i=\"x\"}");
  // Comparisons keep the name, so the label sets stay distinct.
  EXPECT_EQ(Render(R"({__name__=~"a|b"} > 0)", 0).size(), 2u);
}

TEST_F(EvalTest, SetOperatorsMatchByLabelSet) {
  Load({{R"(a{i="1"})", "1"}, {R"(a{i="2"})", "2"}, {R"(b{i="2"})", "20"}, {R"(b{i="3"})", "30"}});
  EXPECT_EQ(Render("a and b", 0), (V{R"({__name__="a",i="2"}=2)"}));
  EXPECT_EQ(Render("a unless b", 0), (V{R"({__name__="a",i="1"}=1)"}));
  EXPECT_EQ(Render("a or b", 0), (V{R"({__name__="a",i="1"}=1)", R"({__name__="a",i="2"}=2)",
                                    R"({__name__="b",i="3"}=30)"}));
  EXPECT_EQ(Render("a and nothing", 0), V{});
  EXPECT_EQ(Render("nothing or b", 0).size(), 2u);
}

TEST_F(EvalTest, AggregationsGroupAndIgnoreNaNAsPrometheus) {
  Load({{R"(m{i="a",j="x"})", "1"},
        {R"(m{i="a",j="y"})", "3"},
        {R"(m{i="b",j="x"})", "NaN"},
        {R"(m{i="b",j="y"})", "8"}});
  EXPECT_EQ(Render("sum by (i) (m)", 0), (V{R"({i="a"}=4)", R"({i="b"}=NaN)"}));
  EXPECT_EQ(Render("max by (i) (m)", 0), (V{R"({i="a"}=3)", R"({i="b"}=8)"}));
  EXPECT_EQ(Render("min by (i) (m)", 0), (V{R"({i="a"}=1)", R"({i="b"}=8)"}));
  EXPECT_EQ(Render("avg by (j) (m)", 0), (V{R"({j="x"}=NaN)", R"({j="y"}=5.5)"}));
  EXPECT_EQ(Render("count without (j) (m)", 0), (V{R"({i="a"}=2)", R"({i="b"}=2)"}));
  EXPECT_EQ(Render("count(m)", 0), (V{"=4"}));
  EXPECT_EQ(Render("sum(m) by (nothere)", 0), (V{"=NaN"}));
  EXPECT_EQ(Render("max(m) without ()", 0).size(), 4u);
  EXPECT_EQ(Render(R"(max(m{j="y"}))", 0), (V{"=8"}));
  EXPECT_EQ(Render("sum(nothing)", 0), V{});
}

TEST_F(EvalTest, InstantFunctionsDropTheName) {
  Load({{R"(m{i="a"})", "-5"}, {R"(m{i="b"})", "50"}, {R"(m{i="c"})", "NaN"}});
  EXPECT_EQ(Render("abs(m)", 0), (V{R"({i="a"}=5)", R"({i="b"}=50)", R"({i="c"}=NaN)"}));
  EXPECT_EQ(Render("clamp_min(m, 0)", 0), (V{R"({i="a"}=0)", R"({i="b"}=50)", R"({i="c"}=NaN)"}));
  EXPECT_EQ(Render("clamp_max(m, 10)", 0), (V{R"({i="a"}=-5)", R"({i="b"}=10)", R"({i="c"}=NaN)"}));
}

TEST_F(EvalTest, OverTimeFunctionsHandleNaNAndInf) {
  Load({{"x", "1 NaN 3"}, {"y", "1 Inf 3"}, {"z", "Inf -Inf"}});
  EXPECT_EQ(Single("max_over_time(x[1m])", 20'000), 3);
  EXPECT_EQ(Single("min_over_time(x[1m])", 20'000), 1);
  EXPECT_TRUE(std::isnan(Single("avg_over_time(x[1m])", 20'000)));
  EXPECT_TRUE(std::isnan(Single("sum_over_time(x[1m])", 20'000)));
  EXPECT_EQ(Single("avg_over_time(y[1m])", 20'000), kInf);
  EXPECT_EQ(Single("max_over_time(y[1m])", 20'000), kInf);
  EXPECT_TRUE(std::isnan(Single("avg_over_time(z[1m])", 20'000)));
}

TEST_F(EvalTest, OffsetShiftsTheEvaluationTime) {
  Load({{"x", "0+1x12"}});
  EXPECT_EQ(Single("x offset 30s", 120'000), 9);
  EXPECT_EQ(Single("count_over_time(x[20s] offset 1m)", 120'000), 3);
}

TEST(EvaluateRange, GroupsStepsPerSeries) {
  SeriesFixture fx;
  fx.Load({{R"(x{i="a"})", "1 2 3 4"}, {R"(x{i="b"})", "_ _ 10 20"}}, 10'000);
  Result<std::vector<RangeSeries>> r =
      EvaluateRange(*ParseExpr("x * 2"), fx.source, 0, 30'000, 10'000);
  ASSERT_TRUE(r.ok()) << r.status().message();
  ASSERT_EQ(r->size(), 2u);
  EXPECT_EQ((*r)[0].labels.ToString(), R"({i="a"})");
  EXPECT_EQ((*r)[0].points, (std::vector<Sample>{{0, 2}, {10'000, 4}, {20'000, 6}, {30'000, 8}}));
  EXPECT_EQ((*r)[1].points, (std::vector<Sample>{{20'000, 20}, {30'000, 40}}));

  Result<std::vector<RangeSeries>> s =
      EvaluateRange(*ParseExpr("1 + 1"), fx.source, 0, 20'000, 10'000);
  ASSERT_TRUE(s.ok());
  ASSERT_EQ(s->size(), 1u);
  EXPECT_TRUE((*s)[0].labels.empty());
  EXPECT_EQ((*s)[0].points.size(), 3u);

  EXPECT_FALSE(EvaluateRange(*ParseExpr("x"), fx.source, 0, 10, 0).ok());
  EXPECT_FALSE(EvaluateRange(*ParseExpr("x"), fx.source, 10, 0, 1).ok());
  EXPECT_FALSE(EvaluateRange(*ParseExpr("x"), fx.source, 0, 1'000'000'000, 1).ok());
}

}  // namespace
}  // namespace perfwatch
