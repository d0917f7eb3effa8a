#include "api/exposition.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

namespace perfwatch {
namespace {

size_t Count(const std::string& text, const std::string& needle) {
  size_t n = 0;
  for (size_t pos = text.find(needle); pos != std::string::npos; pos = text.find(needle, pos + 1)) {
    ++n;
  }
  return n;
}

std::string Value(double v) {
  std::string out;
  AppendPrometheusFloat(out, v);
  return out;
}

TEST(Exposition, SpellsSpecialValuesAsPrometheusParsesThem) {
  EXPECT_EQ(Value(std::nan("")), "NaN");
  EXPECT_EQ(Value(std::numeric_limits<double>::infinity()), "+Inf");
  EXPECT_EQ(Value(-std::numeric_limits<double>::infinity()), "-Inf");
  EXPECT_EQ(Value(0), "0");
  EXPECT_EQ(Value(-1.5), "-1.5");
  EXPECT_EQ(Value(1e21), "1e+21");
}

TEST(Exposition, EscapesBackslashAndNewlineInHelpButNotQuotes) {
  std::string out;
  AppendEscapedHelp(out, "a \\ b\n\"c\"");
  EXPECT_EQ(out, "a \\\\ b\\n\"c\"");
}

TEST(Exposition, WritesEachFamilyOnceWithHelpAndTypeBeforeItsSamples) {
  SeriesRegistry registry;
  Tick tick(registry, 1000);
  tick.Describe({"b_total", MetricKind::kCounter, "Things counted.", ""});
  tick.Describe({"a_bytes", MetricKind::kGauge, "Bytes in use.", "bytes"});
  // Interleaved on purpose: families must still come out contiguous.
  ASSERT_TRUE(tick.Append("b_total", {{"k", "1"}}, 1).ok());
  ASSERT_TRUE(tick.Append("a_bytes", {}, 2).ok());
  ASSERT_TRUE(tick.Append("b_total", {{"k", "2"}}, 3).ok());
  EXPECT_EQ(RenderExposition(tick),
            "# HELP a_bytes Bytes in use.\n"
            "# TYPE a_bytes gauge\n"
            "a_bytes 2\n"
            "# HELP b_total Things counted.\n"
            "# TYPE b_total counter\n"
            "b_total{k=\"1\"} 1\n"
            "b_total{k=\"2\"} 3\n");
}

TEST(Exposition, PrintsASummaryOrHistogramWithItsSumCountAndBucketsAsOneFamily) {
  SeriesRegistry registry;
  Tick tick(registry, 1000);
  tick.Describe({"lat_ms", MetricKind::kSummary, "Latency.", "milliseconds"});
  tick.Describe({"size", MetricKind::kHistogram, "Sizes.", ""});
  ASSERT_TRUE(tick.Append("lat_ms", {{"quantile", "0.5"}}, 2).ok());
  ASSERT_TRUE(tick.Append("size_bucket", {{"le", "1"}}, 1).ok());
  ASSERT_TRUE(tick.Append("lat_ms_sum", {}, 20).ok());
  ASSERT_TRUE(tick.Append("size_bucket", {{"le", "+Inf"}}, 3).ok());
  ASSERT_TRUE(tick.Append("lat_ms_count", {}, 10).ok());
  ASSERT_TRUE(tick.Append("size_sum", {}, 9).ok());
  ASSERT_TRUE(tick.Append("size_count", {}, 3).ok());
  // A gauge whose name merely ends in _count is its own family.
  ASSERT_TRUE(tick.Append("queue_count", {}, 4).ok());
  EXPECT_EQ(RenderExposition(tick),
            "# HELP lat_ms Latency.\n"
            "# TYPE lat_ms summary\n"
            "lat_ms{quantile=\"0.5\"} 2\n"
            "lat_ms_sum 20\n"
            "lat_ms_count 10\n"
            "# HELP queue_count Metric queue_count (no description was given by its source).\n"
            "# TYPE queue_count untyped\n"
            "queue_count 4\n"
            "# HELP size Sizes.\n"
            "# TYPE size histogram\n"
            "size_bucket{le=\"1\"} 1\n"
            "size_bucket{le=\"+Inf\"} 3\n"
            "size_sum 9\n"
            "size_count 3\n");
}

TEST(Exposition, EscapesLabelValuesAndHelpText) {
  SeriesRegistry registry;
  Tick tick(registry, 1000);
  tick.Describe({"x", MetricKind::kGauge, "Path like C:\\tmp\nsecond line.", ""});
  ASSERT_TRUE(tick.Append("x", {{"path", "C:\\tmp \"q\"\nz"}}, std::nan("")).ok());
  std::string text = RenderExposition(tick);
  EXPECT_NE(text.find("# HELP x Path like C:\\\\tmp\\nsecond line.\n"), std::string::npos) << text;
  EXPECT_NE(text.find("x{path=\"C:\\\\tmp \\\"q\\\"\\nz\"} NaN\n"), std::string::npos) << text;
}

TEST(Exposition, GivesFamiliesWithoutMetadataAPlaceholderHelpAndUntypedType) {
  SeriesRegistry registry;
  Tick tick(registry, 1000);
  ASSERT_TRUE(tick.Append("app_queue_depth", {}, 4).ok());
  std::string text = RenderExposition(tick);
  EXPECT_EQ(Count(text, "# HELP app_queue_depth "), 1u);
  EXPECT_NE(text.find("# TYPE app_queue_depth untyped\n"), std::string::npos) << text;
}

TEST(Exposition, RendersAnEmptyTickAsAnEmptyBody) {
  SeriesRegistry registry;
  Tick tick(registry, 1000);
  EXPECT_EQ(RenderExposition(tick), "");
}

}  // namespace
}  // namespace perfwatch
