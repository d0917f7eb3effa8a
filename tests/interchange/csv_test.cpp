#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "history_test_util.h"
#include "interchange/csv_history.h"

namespace perfwatch {
namespace {

constexpr HistoryFormat kCsv = HistoryFormat::kCsv;
const std::string kHead = "metric,labels,timestamp_ms,value\n";

TEST(CsvReader, ReadsTheFixtureWithCrlfQuotedLabelsAndSpecialValues) {
  CollectingSink sink;
  ReadStats stats;
  Status s = ReadText(kCsv, ReadFile(DataPath("history.csv")), sink, {}, &stats);
  ASSERT_TRUE(s.ok()) << s.message();
  EXPECT_EQ(stats.lines, 7u);
  EXPECT_EQ(stats.samples, 5u);
  ASSERT_EQ(sink.series.size(), 3u);
  EXPECT_EQ(sink.series[0].key.name, "system_cpu_usage_percent");
  EXPECT_TRUE(sink.series[0].key.labels.empty());
  EXPECT_FALSE(sink.series[0].meta.has_value());  // CSV carries no metadata
  EXPECT_TRUE(SameSamples(sink.series[0].samples, {{1714564800000, 7.035175879396985}}));
  EXPECT_EQ(sink.series[1].key.labels, (Labels{{"cpu", "0"}}));
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const double inf = std::numeric_limits<double>::infinity();
  EXPECT_TRUE(SameSamples(sink.series[1].samples, {{1714564800000, nan}, {1714564801000, inf}}));
  const CollectedSeries& app = sink.series[2];
  EXPECT_EQ(app.key.labels.Get("path"), "/a,b \"q\" \\ \n");
  EXPECT_EQ(app.key.labels.Get("status"), "200");
  EXPECT_TRUE(SameSamples(app.samples, {{-1000, -0.0}, {1714564800123, 1e-300}}));
}

TEST(CsvReader, NamesTheLineAndColumnOfEveryKindOfBadRow) {
  struct Case {
    std::string row;
    std::string error;
  };
  const Case cases[] = {
      {"a,,1", "line 2: expected 4 fields (metric,labels,timestamp_ms,value), got 3"},
      {"a,,1,2,3", "line 2: expected 4 fields (metric,labels,timestamp_ms,value), got 5"},
      {"1a,,1,2", "line 2, column 1: invalid metric name \"1a\""},
      {"a,x,1,2", "line 2, column 3: labels: expected {name=\"value\",...} or nothing"},
      {R"(a,"{x=""1""}z",1,2)", "line 2, column 3: labels: unexpected text after the closing '}'"},
      {R"(a,"{x=""1"",x=""2""}",1,2)", "line 2, column 3: labels: duplicate label name \"x\""},
      {R"(a,"{x=""\q""}",1,2)",
       R"(line 2, column 3: labels: bad escape in label value (allowed: \\, \" and \n))"},
      {"a,,1.5,2", "line 2, column 4: invalid timestamp_ms \"1.5\" (whole milliseconds)"},
      {"a,,,2", "line 2, column 4: invalid timestamp_ms \"\" (whole milliseconds)"},
      {"a,,99999999999999999999,2",
       "line 2, column 4: invalid timestamp_ms \"99999999999999999999\" (whole milliseconds)"},
      {"a,,1,x", "line 2, column 6: invalid value \"x\""},
      {"a,,1,", "line 2, column 6: invalid value \"\""},
      {"a,b\"c,1,2", "line 2, column 4: a quote inside an unquoted field (quote the whole field)"},
      {"a,\"x\"y,1,2", "line 2, column 6: unexpected text after a closing quote"},
      {"a,\"x,1,2", "line 2: unterminated quoted field"},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(ReadError(kCsv, kHead + c.row + "\nb,,1,1\n"), c.error) << c.row;
  }
}

TEST(CsvReader, CountsLinesInsideMultiLineQuotedFields) {
  // RFC 4180 lets a quoted field hold line breaks; the error names the line
  // where its record starts, and later records keep their own lines.
  std::string text = kHead + "a,,1,\"2\n\"\nb,,1,x\nc,\"{x=\"\"1\n2\"\"}\",1,1\n";
  CollectingSink sink;
  ReadStats stats;
  ReadOptions options;
  options.skip_bad_records = true;
  ASSERT_TRUE(ReadText(kCsv, text, sink, options, &stats).ok());
  EXPECT_EQ(stats.skipped, 3u);
  ASSERT_EQ(stats.skipped_errors.size(), 3u);
  EXPECT_EQ(stats.skipped_errors[0], "line 2, column 6: invalid value \"2\n\"");
  EXPECT_EQ(stats.skipped_errors[1], "line 4, column 6: invalid value \"x\"");
  EXPECT_EQ(stats.skipped_errors[2],
            "line 5, column 3: labels: raw newline in label value (write \\n)");
  EXPECT_EQ(stats.lines, 6u);
}

TEST(CsvReader, RequiresTheHeaderAndAcceptsAByteOrderMarkAndBlankLines) {
  EXPECT_EQ(ReadError(kCsv, "metric,value\na,1\n"),
            "line 1: expected the header metric,labels,timestamp_ms,value, got \"metric,value\"");
  EXPECT_EQ(ReadError(kCsv, ""),
            "line 1: empty input; expected the header metric,labels,timestamp_ms,value");
  EXPECT_EQ(ReadError(kCsv, "\xEF\xBB\xBF" + kHead + "\na,,1,2\n\n"), "ok");
  EXPECT_EQ(ReadError(kCsv, kHead), "ok");
}

TEST(CsvWriter, QuotesTheLabelsFieldAndSpellsSpecialValues) {
  std::vector<CollectedSeries> series = {
      {{"up", {}}, std::nullopt, {{1714564800000, 1}, {1714564801000, 0.1}}},
      {{"req_total", {{"path", "/a,\"b\"\n"}, {"code", "200"}}},
       std::nullopt,
       {{-5, std::numeric_limits<double>::quiet_NaN()}, {0, -0.0}}},
  };
  EXPECT_EQ(WriteText(kCsv, series),
            "metric,labels,timestamp_ms,value\n"
            "up,,1714564800000,1\n"
            "up,,1714564801000,0.1\n"
            "req_total,\"{code=\"\"200\"\",path=\"\"/a,\\\"\"b\\\"\"\\n\"\"}\",-5,NaN\n"
            "req_total,\"{code=\"\"200\"\",path=\"\"/a,\\\"\"b\\\"\"\\n\"\"}\",0,-0\n");
  EXPECT_EQ(WriteText(kCsv, {}), "metric,labels,timestamp_ms,value\n");
}

}  // namespace
}  // namespace perfwatch
