#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "history_test_util.h"
#include "interchange/seed_history.h"

namespace perfwatch {
namespace {

constexpr HistoryFormat kJson = HistoryFormat::kJson;
const double kNaN = std::numeric_limits<double>::quiet_NaN();
const double kInf = std::numeric_limits<double>::infinity();

TEST(JsonReader, ReadsTheHistoryApiAnswer) {
  CollectingSink sink;
  ReadStats stats;
  Status s = ReadText(kJson, ReadFile(DataPath("history_api.json")), sink, {}, &stats);
  ASSERT_TRUE(s.ok()) << s.message();
  ASSERT_EQ(sink.series.size(), 2u);
  EXPECT_EQ(sink.series[0].key.name, "system_cpu_usage_percent");
  EXPECT_EQ(sink.series[0].key.labels, (Labels{{"cpu", "0"}}));
  EXPECT_FALSE(sink.series[0].meta.has_value());
  EXPECT_TRUE(SameSamples(sink.series[0].samples, {{1795260140000, 1.6129032258064515},
                                                   {1795260150000, 6.930693069306931},
                                                   {1795260160000, 4.081632653061225}}));
  // The API writes NaN and ±Inf as null.
  EXPECT_TRUE(SameSamples(sink.series[1].samples,
                          {{1795260140000, kNaN}, {1795260150000, 10.784313725490197}}));
  EXPECT_EQ(stats.samples, 5u);
  EXPECT_EQ(stats.lines, 5u);
  EXPECT_EQ(stats.unknown_keys, 0u);
}

TEST(JsonReader, ReadsJsonLinesWithMetadataAndPointsBeforeTheMetric) {
  CollectingSink sink;
  Status s = ReadText(kJson, ReadFile(DataPath("series.jsonl")), sink);
  ASSERT_TRUE(s.ok()) << s.message();
  ASSERT_EQ(sink.series.size(), 3u);
  const CollectedSeries& bytes = sink.series[0];
  ASSERT_TRUE(bytes.meta.has_value());
  EXPECT_EQ(bytes.meta->name, "system_network_receive_bytes_total");
  EXPECT_EQ(bytes.meta->kind, MetricKind::kCounter);
  EXPECT_EQ(bytes.meta->help, "Bytes received.");
  EXPECT_EQ(bytes.meta->unit, "bytes");
  EXPECT_EQ(sink.series[1].key.name, "app_latency_seconds_bucket");
  EXPECT_EQ(sink.series[1].key.labels, (Labels{{"le", "+Inf"}}));
  EXPECT_TRUE(SameSamples(sink.series[1].samples, {{1795260140000, 0.5}}));
  EXPECT_EQ(sink.series[2].meta->kind, MetricKind::kGauge);
  EXPECT_TRUE(SameSamples(sink.series[2].samples, {{1795260140000, kNaN},
                                                   {1795260150000, kInf},
                                                   {1795260160000, -kInf},
                                                   {1795260170000, -0.0}}));
}

TEST(JsonReader, ReadsABareArrayOfSeries) {
  CollectingSink sink;
  ASSERT_TRUE(
      ReadText(kJson, R"([{"metric":"a","points":[[1,2]]},{"metric":"b","points":[]}])", sink)
          .ok());
  ASSERT_EQ(sink.series.size(), 1u);  // a series without points is not begun
  EXPECT_TRUE(sink.series[0].key.labels.empty());
}

// Found by fuzz_interchange_readers' author: points of a first "points" key
// held until "metric" and "labels" were known were dropped when a second
// "points" key followed them.
TEST(JsonReader, KeepsPointsOfARepeatedPointsKey) {
  CollectingSink sink;
  ASSERT_TRUE(
      ReadText(kJson, R"({"points":[[1,1]],"metric":"a","labels":{},"points":[[2,2]]})", sink)
          .ok());
  ASSERT_EQ(sink.series.size(), 1u);
  ASSERT_EQ(sink.series[0].samples.size(), 2u);
  EXPECT_EQ(sink.series[0].samples[0].t_ms, 1);
  EXPECT_EQ(sink.series[0].samples[1].t_ms, 2);
}

TEST(JsonReader, BoundsThePointsHeldBeforeTheMetricIsKnown) {
  ReadOptions options;
  options.max_buffered_points = 2;
  CollectingSink sink;
  Status s = ReadText(kJson, R"({"points":[[1,1],[2,2],[3,3]],"metric":"a"})", sink, options);
  EXPECT_EQ(s.message(),
            "line 1, column 28: more than 2 points before the series' \"metric\" and \"labels\"; "
            "put those first");
}

TEST(JsonReader, NamesTheLineOfEveryKindOfBadSeries) {
  struct Case {
    std::string object;
    std::string why;
  };
  const Case cases[] = {
      {R"({"metric":"a","labels":{},"points":[[1.5,2]]})",
       "a point's time must be whole milliseconds (an int64 integer)"},
      {R"({"metric":"a","labels":{},"points":[[18446744073709551615,2]]})",
       "a point's time must be whole milliseconds (an int64 integer)"},
      {R"({"metric":"a","labels":{},"points":[[1,"x"]]})",
       "a point's value must be a number, null, \"NaN\", \"+Inf\" or \"-Inf\""},
      {R"({"metric":"a","labels":{},"points":[[1,2,3]]})", "a point must be [ms, value]"},
      {R"({"metric":"a","labels":{},"points":[[1]]})", "a point must be [ms, value]"},
      {R"({"metric":"a","labels":{},"points":[5]})", "each point must be an array [ms, value]"},
      {R"({"metric":"a","labels":{},"points":[{"t":1}]})",
       "each point must be an array [ms, value]"},
      {R"({"metric":"a","labels":{},"points":[[1,[2]]]})",
       "a point holds numbers, not objects or arrays"},
      {R"({"metric":"1a","labels":{},"points":[[1,2]]})", "invalid metric name \"1a\""},
      {R"({"metric":7,"points":[[1,2]]})", "\"metric\" must be a string"},
      {R"({"metric":"a","labels":{"x":1},"points":[]})",
       "the value of label \"x\" must be a string"},
      {R"({"metric":"a","labels":{"x":"1","x":"2"},"points":[]})", "duplicate label name \"x\""},
      {R"({"metric":"a","labels":[],"points":[]})", "\"labels\" must be an object"},
      {R"({"metric":"a","labels":{},"points":{}})", "\"points\" must be an array"},
      {R"({"metric":"a","labels":{},"points":[[1,2]],"type":"gauge"})",
       "\"type\" must come before \"points\""},
      {R"({"metric":"a","labels":{},"type":"histogram","points":[[1,2]]})",
       "unknown metric type \"histogram\" (gauge, counter, untyped)"},
      {R"({"labels":{},"points":[[1,2]]})", "a series object without \"metric\""},
      {R"({"timestamp":"2024-05-01T12:00:00","cpu_usage":1})",
       "expected a series object (with \"points\") in this list"},
      {R"({"foo":1})",
       "an object that is neither a series (no \"points\") nor a snapshot (no \"timestamp\")"},
      {"7", "expected a series object (with \"points\"), not a scalar"},
  };
  for (const Case& c : cases) {
    std::string text =
        "{\"series\":[\n{\"metric\":\"ok\",\"points\":[[1,2]]},\n" + c.object + "\n]}\n";
    std::string error = ReadError(kJson, text);
    EXPECT_TRUE(error.starts_with("line 3, column ")) << error;
    EXPECT_TRUE(error.ends_with(": " + c.why)) << error;
  }
}

TEST(JsonReader, SyntaxErrorsNameTheLineEvenInJsonLines) {
  std::string error =
      ReadError(kJson, "{\"series\":[\n{\"metric\":\"a\",\n\"points\":[[1,2],]}]}\n");
  EXPECT_EQ(error,
            "line 3, column 17: syntax error while parsing value - unexpected ']'; expected "
            "'[', '{', or a literal");
  error =
      ReadError(kJson, "{\"metric\":\"a\",\"points\":[]}\n{\"metric\":\"a\"}\n{\"metric\" 1}\n");
  // The number's end shows only at the next byte, so the column is one past it.
  EXPECT_TRUE(error.starts_with("line 3, column 12: syntax error")) << error;
  EXPECT_EQ(ReadError(kJson, " \n"), "line 1: empty input; expected JSON");
  EXPECT_TRUE(
      ReadError(kJson, "\"text\"").ends_with(": expected an object or an array at the top level"));
}

TEST(JsonReader, SkipsBadPointsAndCountsThemWhenAsked) {
  ReadOptions options;
  options.skip_bad_records = true;
  CollectingSink sink;
  ReadStats stats;
  std::string text =
      R"({"series":[{"metric":"a","labels":{},"points":[[1,1],[2,"x"],[3,[4]],[5,5]]}]})";
  ASSERT_TRUE(ReadText(kJson, text, sink, options, &stats).ok());
  EXPECT_EQ(stats.skipped, 2u);
  EXPECT_TRUE(SameSamples(sink.series.at(0).samples, {{1, 1}, {5, 5}}));
}

MetricMeta SeedMeta(const char* key) {
  const SeedMetricMapping* m = FindSeedMetric(key);
  return {std::string(m->metric), MetricKind::kGauge, std::string(m->help), std::string(m->unit)};
}

TEST(JsonReader, MapsSeedPerformanceHistoryToPerfwatchNamesAndSeconds) {
  CollectingSink sink;
  ReadStats stats;
  Status s = ReadText(kJson, ReadFile(DataPath("performance_history_20240501_120000.json")), sink,
                      {}, &stats);
  ASSERT_TRUE(s.ok()) << s.message();
  EXPECT_EQ(stats.samples, 19u);
  EXPECT_EQ(stats.unknown_keys, 3u);
  EXPECT_EQ(stats.unknown_key_names, (std::vector<std::string>{"status", "alerts", "gc"}));
  ASSERT_EQ(sink.series.size(), 19u);

  struct Expected {
    std::string metric;
    Labels labels;
    double value;
    std::string unit;
  };
  const TimestampMs noon = 1714564800000;  // 2024-05-01T12:00:00, naive = UTC by default
  const Expected first[] = {
      {"system_memory_used_percent", {}, 71.2, "percent"},
      {"system_cpu_usage_percent", {}, 35.0, "percent"},
      {"system_tcp_connections", {{"state", "established"}}, 12, ""},
      {"app_response_time_avg_seconds", {}, 0.2305, "seconds"},
      {"app_response_time_p95_seconds", {}, 0.41, "seconds"},
      {"app_requests_per_second", {}, 85.1, ""},
      {"app_error_rate_percent", {}, 0.5, "percent"},
      {"app_cache_hit_rate_percent", {}, 92.0, "percent"},
      {"app_cache_size", {}, 1500, ""},
  };
  for (size_t i = 0; i < std::size(first); ++i) {
    const CollectedSeries& got = sink.series[i];
    EXPECT_EQ(got.key.name, first[i].metric);
    EXPECT_EQ(got.key.labels, first[i].labels) << got.key.name;
    ASSERT_TRUE(got.meta.has_value());
    EXPECT_EQ(got.meta->name, first[i].metric);
    EXPECT_EQ(got.meta->kind, MetricKind::kGauge);
    EXPECT_EQ(got.meta->unit, first[i].unit);
    EXPECT_TRUE(SameSamples(got.samples, {{noon, first[i].value}})) << got.key.name;
  }
  EXPECT_TRUE(SameSamples(sink.series[12].samples, {{noon + 60'250, 1.25}}));
  EXPECT_TRUE(SameSamples(sink.series[13].samples, {{noon + 60'250, 2400.5 / 1000}}));
  EXPECT_EQ(sink.series[18].key.name, "system_cpu_usage_percent");
  EXPECT_TRUE(SameSamples(sink.series[18].samples, {{1714565000500, 20}}));
  EXPECT_EQ(sink.series[18].meta->help, SeedMeta("cpu_usage").help);
}

TEST(JsonReader, ReadsSeedHistoryInAWrapperWithALocalTimeOffset) {
  ReadOptions options;
  options.naive_time_offset_minutes = 120;
  CollectingSink sink;
  std::string text = R"({"history":[{"timestamp":"2024-05-01T14:00:00","error_rate":2}]})";
  ASSERT_TRUE(ReadText(kJson, text, sink, options).ok());
  ASSERT_EQ(sink.series.size(), 1u);
  EXPECT_EQ(sink.series[0].key.name, "app_error_rate_percent");
  EXPECT_TRUE(SameSamples(sink.series[0].samples, {{1714564800000, 2}}));
}

TEST(JsonReader, NamesTheLineOfABadSnapshotAndSkipsItWhenAsked) {
  std::string text =
      "[\n"
      "{\"timestamp\":\"2024-05-01T12:00:00\",\"cpu_usage\":1},\n"
      "{\"cpu_usage\":2},\n"
      "{\"timestamp\":\"yesterday\",\"cpu_usage\":3},\n"
      "{\"timestamp\":\"2024-05-01T12:00:01\",\"cpu_usage\":\"high\"},\n"
      "{\"timestamp\":\"2024-05-01T12:00:02\",\"cpu_usage\":{\"x\":1}},\n"
      "{\"timestamp\":\"2024-05-01T12:00:03\",\"cpu_usage\":4,\"series\":[]}\n"
      "]\n";
  EXPECT_EQ(ReadError(kJson, text), "line 3: a snapshot without \"timestamp\"");
  ReadOptions options;
  options.skip_bad_records = true;
  CollectingSink sink;
  ReadStats stats;
  ASSERT_TRUE(ReadText(kJson, text, sink, options, &stats).ok());
  EXPECT_EQ(stats.skipped, 4u);
  ASSERT_EQ(stats.skipped_errors.size(), 4u);
  EXPECT_EQ(stats.skipped_errors[0], "line 3: a snapshot without \"timestamp\"");
  EXPECT_TRUE(stats.skipped_errors[1].starts_with("line 4, column ")) << stats.skipped_errors[1];
  EXPECT_TRUE(stats.skipped_errors[1].ends_with(
      "invalid ISO 8601 time \"yesterday\": expected a date YYYY-MM-DD"));
  EXPECT_TRUE(stats.skipped_errors[2].ends_with("\"cpu_usage\" must be a number"));
  EXPECT_TRUE(stats.skipped_errors[3].starts_with("line 6, column "));
  ASSERT_EQ(sink.series.size(), 2u);
  EXPECT_TRUE(SameSamples(sink.series[1].samples, {{1714564803000, 4}}));
  EXPECT_EQ(stats.unknown_key_names, (std::vector<std::string>{"series"}));
}

TEST(JsonWriter, WritesTheHistoryShapeWithMetadataFirstAndSpecialValuesAsStrings) {
  MetricMeta requests{"req_total", MetricKind::kCounter, "Requests \"served\".", ""};
  std::vector<CollectedSeries> series = {
      {{"up", {}}, std::nullopt, {{1, 1}, {2, kNaN}}},
      {{"empty", {}}, std::nullopt, {}},
      {{"req_total", {{"code", "200"}, {"path", "/\xff\n"}}},
       requests,
       {{3, -0.0}, {4, kInf}, {5, 1e-300}, {6, 3939340639}, {7, -kInf}}},
  };
  EXPECT_EQ(WriteText(kJson, series),
            "{\"series\":[{\"metric\":\"up\",\"labels\":{},\"points\":[[1,1],[2,\"NaN\"]]},\n"
            "{\"metric\":\"req_total\",\"labels\":{\"code\":\"200\",\"path\":\"/\xEF\xBF\xBD\\n\"},"
            "\"type\":\"counter\",\"help\":\"Requests \\\"served\\\".\",\"unit\":\"\","
            "\"points\":[[3,-0.0],[4,\"+Inf\"],[5,1e-300],[6,3939340639],[7,\"-Inf\"]]}]}\n");
  EXPECT_EQ(WriteText(kJson, {}), "{\"series\":[]}\n");
}

}  // namespace
}  // namespace perfwatch
