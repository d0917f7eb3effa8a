#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "history_test_util.h"

namespace perfwatch {
namespace {

constexpr HistoryFormat kOm = HistoryFormat::kOpenMetrics;

TEST(OpenMetricsReader, ReadsMetadataEscapesExemplarsAndSpecialValuesFromTheFixture) {
  CollectingSink sink;
  ReadStats stats;
  Status s = ReadText(kOm, ReadFile(DataPath("history.om")), sink, {}, &stats);
  ASSERT_TRUE(s.ok()) << s.message();
  EXPECT_EQ(stats.lines, 20u);
  EXPECT_EQ(stats.samples, 12u);
  ASSERT_EQ(sink.series.size(), 10u);

  const CollectedSeries& lo = sink.series[0];
  EXPECT_EQ(lo.key.name, "system_network_receive_bytes_total");
  EXPECT_EQ(lo.key.labels, (Labels{{"interface", "lo"}}));
  ASSERT_TRUE(lo.meta.has_value());
  EXPECT_EQ(lo.meta->name, "system_network_receive_bytes_total");
  EXPECT_EQ(lo.meta->kind, MetricKind::kCounter);
  EXPECT_EQ(lo.meta->unit, "bytes");
  EXPECT_EQ(lo.meta->help, "Bytes received, by \"interface\".");
  EXPECT_TRUE(SameSamples(lo.samples, {{1714564800000, 3939340639}, {1714564801001, 3939341000}}));

  EXPECT_TRUE(SameSamples(sink.series[1].samples, {{1714564800000, 48271891}}));  // exemplar
  EXPECT_EQ(sink.series[2].key.name, "system_network_receive_bytes_created");
  EXPECT_FALSE(sink.series[2].meta.has_value());

  const CollectedSeries& cpu = sink.series[3];
  ASSERT_TRUE(cpu.meta.has_value());
  EXPECT_EQ(cpu.meta->kind, MetricKind::kGauge);
  EXPECT_EQ(cpu.meta->help, "Busy share of CPU time.\nSecond line.");
  EXPECT_TRUE(cpu.key.labels.empty());
  EXPECT_TRUE(std::isnan(sink.series[4].samples.at(0).value));
  EXPECT_EQ(sink.series[4].samples.at(0).t_ms, 1714564800500);
  const double inf = std::numeric_limits<double>::infinity();
  EXPECT_TRUE(SameSamples(sink.series[5].samples, {{1714564800500, inf}, {1714564801000, -0.0}}));

  EXPECT_EQ(sink.series[6].key.labels.Get("path"), "/a \"b\"\\c\nd");
  EXPECT_EQ(sink.series[6].key.labels.Get("le"), "0.5");
  EXPECT_FALSE(sink.series[6].meta.has_value());  // histograms are stored as plain series
  EXPECT_TRUE(SameSamples(sink.series[9].samples, {{1714564800123, 1e-300}}));
}

TEST(OpenMetricsReader, NamesTheLineAndColumnOfEveryKindOfBadLine) {
  struct Case {
    std::string line;
    std::string error;
  };
  const Case cases[] = {
      {R"(a{x="1",} 1 1)", "line 3, column 9: expected a label name"},
      {R"(a{x="1" y="2"} 1 1)", "line 3, column 8: expected ',' or '}' after a label"},
      {R"(a{x="\t"} 1 1)",
       R"(line 3, column 6: bad escape in label value (allowed: \\, \" and \n))"},
      {R"(a{x="1} 1 1)", "line 3, column 5: unterminated label value"},
      {R"(a{x="1",x="2"} 1 1)", "line 3, column 2: duplicate label name \"x\""},
      {R"(a{__x="1"} 1 1)", "line 3, column 2: invalid label name \"__x\""},
      {"a 1",
       "line 3, column 4: expected a timestamp after the value (promtool needs one on "
       "every sample)"},
      {R"(a{x="1"})", "line 3, column 9: expected a value after the labels"},
      {"a", "line 3, column 2: expected a value after the metric name"},
      {R"(a{x="1"}1 1)", "line 3, column 9: expected a space after the labels"},
      {"a x 1", "line 3, column 3: invalid value \"x\""},
      {"a 0x1p3 1", "line 3, column 3: invalid value \"0x1p3\""},
      {"a 1 x", "line 3, column 5: invalid timestamp \"x\" (seconds)"},
      {"a 1 NaN", "line 3, column 5: invalid timestamp \"NaN\" (seconds)"},
      {"a 1  1", "line 3, column 5: invalid timestamp \"\" (seconds)"},
      {"a 1 1 2", "line 3, column 6: unexpected text after the timestamp"},
      {R"(a 1 # {x="y"} 1)",
       "line 3, column 5: expected a timestamp before the exemplar (promtool needs one)"},
      {"a 1 1\r", "line 3, column 6: carriage return at the end of the line (lines end with \\n)"},
      {"", "line 3, column 1: empty line (OpenMetrics has none)"},
      {"1a 1 1", "line 3, column 1: expected a metric name"},
      {"# a comment",
       "line 3, column 1: a comment line must be \"# TYPE\", \"# HELP\", \"# UNIT\" or \"# EOF\""},
      {"# TYPE b widget", "line 3, column 10: unknown metric type \"widget\""},
      {"# TYPE b", "line 3, column 9: expected a space and text after the metric name"},
      {"# HELP b bad \\t",
       "line 3, column 10: bad escape in help text (allowed: \\\\, \\\" and \\n)"},
      {"# UNIT b_bytes seconds",
       "line 3, column 16: unit \"seconds\" is not a suffix of metric \"b_bytes\""},
      {"# TYPE  b gauge", "line 3, column 8: expected a metric name after \"# TYPE \""},
  };
  for (const Case& c : cases) {
    std::string text = "# TYPE a gauge\na 1 1\n" + c.line + "\na 2 2\n# EOF\n";
    EXPECT_EQ(ReadError(kOm, text), c.error) << c.line;
  }
}

TEST(OpenMetricsReader, RequiresEofLastAndNothingAfterIt) {
  EXPECT_EQ(ReadError(kOm, "a 1 1\n"), "line 2: the input ends without \"# EOF\"");
  EXPECT_EQ(ReadError(kOm, ""), "line 1: the input ends without \"# EOF\"");
  // Found by fuzz_interchange_readers: a last line without "\n" was reported
  // as the line after it, one the input does not have.
  EXPECT_EQ(ReadError(kOm, "a 1 1\na 2 2"), "line 2: the input ends without \"# EOF\"");
  EXPECT_EQ(ReadError(kOm, "a 1 1\n# EOF\nb 1 1\n"), "line 3: unexpected data after \"# EOF\"");
  EXPECT_EQ(ReadError(kOm, "a 1 1\n# EOF\n\n"), "line 3: unexpected data after \"# EOF\"");
  EXPECT_EQ(ReadError(kOm, "a 1 1\n# EOF"), "ok");
  EXPECT_EQ(ReadError(kOm, "# EOF\n"), "ok");
}

TEST(OpenMetricsReader, SkipsAndCountsBadLinesOnlyWhenAsked) {
  std::string text = "a 1 1\na 2\nb{ 3 3\na 4 4\n# EOF\n";
  CollectingSink sink;
  ReadStats stats;
  ReadOptions options;
  options.skip_bad_records = true;
  ASSERT_TRUE(ReadText(kOm, text, sink, options, &stats).ok());
  EXPECT_EQ(stats.skipped, 2u);
  EXPECT_EQ(stats.samples, 2u);
  ASSERT_EQ(stats.skipped_errors.size(), 2u);
  EXPECT_EQ(stats.skipped_errors[1], "line 3, column 3: expected a label name");
  ASSERT_EQ(sink.series.size(), 1u);  // the bad lines do not break the series
  EXPECT_TRUE(SameSamples(sink.series[0].samples, {{1000, 1}, {4000, 4}}));
  EXPECT_NE(ReadError(kOm, text), "ok");
}

// Found by fuzz_interchange_readers: a skipped HELP line with invalid UTF-8
// still became the family's help (and a written export then failed to read
// back), and a skipped TYPE line of another family cleared the current one.
TEST(OpenMetricsReader, SkippedMetadataLinesChangeNoMetadata) {
  std::string text =
      "# TYPE a gauge\n# HELP a Good.\n# HELP a Bad \xff.\n# HELP a Bad \\t.\n"
      "# TYPE b bogus\na 1 1\n# EOF\n";
  CollectingSink sink;
  ReadStats stats;
  ReadOptions options;
  options.skip_bad_records = true;
  ASSERT_TRUE(ReadText(kOm, text, sink, options, &stats).ok());
  EXPECT_EQ(stats.skipped, 3u);
  ASSERT_EQ(sink.series.size(), 1u);
  ASSERT_TRUE(sink.series[0].meta.has_value());
  EXPECT_EQ(sink.series[0].meta->kind, MetricKind::kGauge);
  EXPECT_EQ(sink.series[0].meta->help, "Good.");
}

TEST(OpenMetricsReader, RefusesOverlongLinesWithoutHoldingThem) {
  ReadOptions options;
  options.max_line_bytes = 64;
  CollectingSink sink;
  std::string text = "a{x=\"" + std::string(100, 'y') + "\"} 1 1\n# EOF\n";
  Status s = ReadText(kOm, text, sink, options);
  EXPECT_EQ(s.message(), "line 1: line longer than 64 bytes");
}

TEST(OpenMetricsReader, PassesTheSinksErrorWithTheLine) {
  struct Full : HistorySink {
    Status BeginSeries(const SeriesKey&, const MetricMeta*) override { return Status::Ok(); }
    Status AddSample(Sample) override { return Status::ResourceExhausted("store is full"); }
  } sink;
  std::istringstream in("a 1 1\n# EOF\n");
  Status s = ReadHistory(kOm, in, sink);
  EXPECT_EQ(s.code(), Status::Code::kResourceExhausted);
  EXPECT_EQ(s.message(), "line 1: store is full");
}

TEST(OpenMetricsWriter, WritesFamilyMetadataOnceAndSecondsTimestamps) {
  MetricMeta bytes{"net_receive_bytes_total", MetricKind::kCounter, "Bytes \"in\".\nPer NIC.",
                   "bytes"};
  MetricMeta load{"load1", MetricKind::kGauge, "", "seconds"};  // unit is no suffix: no # UNIT
  MetricMeta odd{"odd_counter", MetricKind::kCounter, "Not named _total.", ""};
  std::vector<CollectedSeries> series = {
      {{"net_receive_bytes_total", {{"if", "lo"}}},
       bytes,
       {{1795260165001, 10}, {1795260166000, 12}}},
      {{"net_receive_bytes_total", {{"if", "a\"b\\c\nd"}}}, bytes, {{1795260165001, 0}}},
      {{"load1", {}}, load, {{-1001, std::numeric_limits<double>::quiet_NaN()}}},
      {{"odd_counter", {}}, odd, {{0, -0.0}}},
      {{"no_meta", {}}, std::nullopt, {}},  // no samples: nothing written
      {{"no_meta", {}}, std::nullopt, {{1, -std::numeric_limits<double>::infinity()}}},
  };
  EXPECT_EQ(WriteText(kOm, series),
            "# TYPE net_receive_bytes counter\n"
            "# UNIT net_receive_bytes bytes\n"
            "# HELP net_receive_bytes Bytes \\\"in\\\".\\nPer NIC.\n"
            "net_receive_bytes_total{if=\"lo\"} 10 1795260165.001\n"
            "net_receive_bytes_total{if=\"lo\"} 12 1795260166\n"
            "net_receive_bytes_total{if=\"a\\\"b\\\\c\\nd\"} 0 1795260165.001\n"
            "# TYPE load1 gauge\n"
            // -1.001 * 1000 is -1000.9999999999999, which promtool truncates to -1000.
            "load1 NaN -1.0010000000000001\n"
            "# TYPE odd_counter unknown\n"
            "# HELP odd_counter Not named _total.\n"
            "odd_counter -0 0\n"
            "no_meta -Inf 0.001\n"
            "# EOF\n");
}

TEST(OpenMetricsWriter, RefusesAnInvalidMetricName) {
  std::unique_ptr<HistoryWriter> writer = MakeHistoryWriter(kOm, [](std::string_view) {});
  Status s = writer->BeginSeries({"1bad", {}}, nullptr);
  EXPECT_EQ(s.message(), "invalid metric name \"1bad\"");
  EXPECT_EQ(writer->AddSample({1, 1}).code(), Status::Code::kInternal);
}

TEST(OpenMetricsWriter, HandsOverTextInChunksOfAboutTheAskedSize) {
  std::vector<size_t> chunk_sizes;
  std::unique_ptr<HistoryWriter> writer = MakeHistoryWriter(
      kOm, [&](std::string_view chunk) { chunk_sizes.push_back(chunk.size()); }, {256});
  ASSERT_TRUE(writer->BeginSeries({"a", {}}, nullptr).ok());
  for (int i = 0; i < 1000; ++i) ASSERT_TRUE(writer->AddSample({i * 1000, 1.5}).ok());
  EXPECT_GT(chunk_sizes.size(), 10u);
  writer->Finish();
  for (size_t i = 0; i + 1 < chunk_sizes.size(); ++i) {
    EXPECT_GE(chunk_sizes[i], 256u);
    EXPECT_LT(chunk_sizes[i], 256u + 64);
  }
}

}  // namespace
}  // namespace perfwatch
