#include "ingest/prom_text_parser.h"

#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

namespace perfwatch {
namespace {

struct Seen {
  size_t line;
  std::string series;
  std::string name;
  double value;
  std::optional<TimestampMs> t;
};

struct Rejected {
  size_t line;
  std::string reason;
  std::string message;
};

class Recorder : public PromTextHandler {
 public:
  void Type(std::string_view family, PromTextType type) override {
    types.emplace_back(std::string(family), type);
  }
  void Help(std::string_view family, std::string_view help) override {
    helps.emplace_back(std::string(family), std::string(help));
  }
  void Sample(size_t line, std::string_view series, std::string_view name, double value,
              std::optional<TimestampMs> t) override {
    samples.push_back({line, std::string(series), std::string(name), value, t});
  }
  void Error(size_t line, std::string_view reason, std::string_view message) override {
    errors.push_back({line, std::string(reason), std::string(message)});
  }
  std::vector<std::pair<std::string, PromTextType>> types;
  std::vector<std::pair<std::string, std::string>> helps;
  std::vector<Seen> samples;
  std::vector<Rejected> errors;
};

Recorder Parse(std::string_view text, PromTextOptions options = {}) {
  Recorder r;
  const size_t n = ParsePromText(text, r, options);
  EXPECT_EQ(n, r.samples.size());
  return r;
}

TEST(PromTextParser, ReadsSamplesCommentsAndTimestamps) {
  Recorder r = Parse(
      "# HELP http_requests_total The total number of HTTP requests.\n"
      "# TYPE http_requests_total counter\n"
      "http_requests_total{method=\"post\",code=\"200\"} 1027 1395066363000\n"
      "http_requests_total{method=\"post\",code=\"400\"}    3 1395066363000\n"
      "\n"
      "# A normal comment.\n"
      "msdos_file_access_time_seconds{path=\"C:\\\\DIR\\\\FILE.TXT\",error=\"Cannot find "
      "file:\\n\\\"FILE.TXT\\\"\"} 1.458255915e9\n"
      "metric_without_timestamp_and_labels 12.47\n"
      "something_weird{problem=\"division by zero\"} +Inf -3982045\n"
      "  indented:name\t-0.5\r\n");
  ASSERT_TRUE(r.errors.empty()) << r.errors[0].message;
  ASSERT_EQ(r.samples.size(), 6u);
  EXPECT_EQ(r.samples[0].line, 3u);
  EXPECT_EQ(r.samples[0].series, "http_requests_total{method=\"post\",code=\"200\"}");
  EXPECT_EQ(r.samples[0].name, "http_requests_total");
  EXPECT_EQ(r.samples[0].value, 1027);
  EXPECT_EQ(r.samples[0].t, 1395066363000);
  EXPECT_EQ(r.samples[1].value, 3);
  EXPECT_EQ(r.samples[2].value, 1.458255915e9);
  EXPECT_FALSE(r.samples[2].t.has_value());
  EXPECT_EQ(r.samples[3].series, "metric_without_timestamp_and_labels");
  EXPECT_TRUE(std::isinf(r.samples[4].value));
  EXPECT_EQ(r.samples[4].t, -3982045);
  EXPECT_EQ(r.samples[5].series, "indented:name");
  EXPECT_EQ(r.samples[5].value, -0.5);
  EXPECT_EQ(r.samples[5].line, 10u);
  ASSERT_EQ(r.types.size(), 1u);
  EXPECT_EQ(r.types[0].second, PromTextType::kCounter);
  ASSERT_EQ(r.helps.size(), 1u);
  EXPECT_EQ(r.helps[0].second, "The total number of HTTP requests.");
}

TEST(PromTextParser, ReadsGoFloatSpellings) {
  Recorder r = Parse("a NaN\nb -Inf\nc +inf\nd 1e-400\ne .5\nf 1E3\n");
  ASSERT_TRUE(r.errors.empty());
  ASSERT_EQ(r.samples.size(), 6u);
  EXPECT_TRUE(std::isnan(r.samples[0].value));
  EXPECT_EQ(r.samples[1].value, -INFINITY);
  EXPECT_EQ(r.samples[2].value, INFINITY);
  EXPECT_EQ(r.samples[3].value, 0);
  EXPECT_EQ(r.samples[4].value, 0.5);
  EXPECT_EQ(r.samples[5].value, 1000);
}

TEST(PromTextParser, AcceptsTrailingCommaAndBlanksInsideLabels) {
  Recorder r = Parse("a{x=\"1\",} 1\nb{ x = \"1\" , y=\"2\" } 2\nc{} 3\n");
  ASSERT_TRUE(r.errors.empty()) << r.errors[0].message;
  ASSERT_EQ(r.samples.size(), 3u);
  EXPECT_EQ(r.samples[1].series, "b{ x = \"1\" , y=\"2\" }");
  EXPECT_EQ(r.samples[2].series, "c{}");
}

TEST(PromTextParser, ReadsEveryType) {
  Recorder r = Parse(
      "# TYPE a gauge\n# TYPE b summary\n# TYPE c histogram\n# TYPE d untyped\n"
      "# TYPE e counter\n");
  ASSERT_EQ(r.types.size(), 5u);
  EXPECT_EQ(r.types[0].second, PromTextType::kGauge);
  EXPECT_EQ(r.types[1].second, PromTextType::kSummary);
  EXPECT_EQ(r.types[2].second, PromTextType::kHistogram);
  EXPECT_EQ(r.types[3].second, PromTextType::kUntyped);
}

struct MalformedCase {
  std::string line;
  std::string reason;
};

// Each malformed class sits between two good lines, which must both survive.
TEST(PromTextParser, ReportsEveryMalformedClassAndKeepsTheGoodLines) {
  const std::vector<MalformedCase> cases = {
      {"9bad 1", "bad_name"},
      {"{a=\"1\"} 1", "bad_name"},
      {"m{a=\"1\" 1", "bad_labels"},
      {"m{a=\"1\"", "bad_labels"},
      {"m{a=\"1 1", "bad_labels"},
      {"m{a=1} 1", "bad_labels"},
      {"m{a} 1", "bad_labels"},
      {"m{1a=\"x\"} 1", "bad_labels"},
      {"m{a=\"x\"b=\"y\"} 1", "bad_labels"},
      {"m{a=\"\\t\"} 1", "bad_escape"},
      {"m{a=\"x\",a=\"y\"} 1", "duplicate_label"},
      {"m", "missing_value"},
      {"m{a=\"x\"}", "missing_value"},
      {"m   ", "missing_value"},
      {"m abc", "bad_value"},
      {"m 0x10", "bad_value"},
      {"m 1_000", "bad_value"},
      {"m 1 1.5", "bad_timestamp"},
      {"m 1 12ab", "bad_timestamp"},
      {"m 1 99999999999999999999", "bad_timestamp"},
      {"m 1 2 3", "bad_line"},
      {"m{a=\"x\"}1", "bad_line"},
      {"m{a=\"\xC3\x28\"} 1", "invalid_utf8"},
      {"m{a=\"\xED\xA0\x80\"} 1", "invalid_utf8"},
      {"# TYPE m flavour", "bad_type"},
      {"# TYPE 1m gauge", "bad_name"},
  };
  for (const MalformedCase& c : cases) {
    Recorder r = Parse("good_before 1\n" + c.line + "\ngood_after{x=\"y\"} 2\n");
    ASSERT_EQ(r.errors.size(), 1u) << c.line;
    EXPECT_EQ(r.errors[0].reason, c.reason) << c.line << ": " << r.errors[0].message;
    EXPECT_EQ(r.errors[0].line, 2u) << c.line;
    EXPECT_NE(r.errors[0].message.find("line 2"), std::string::npos) << r.errors[0].message;
    ASSERT_EQ(r.samples.size(), 2u) << c.line;
    EXPECT_EQ(r.samples[0].series, "good_before");
    EXPECT_EQ(r.samples[1].series, "good_after{x=\"y\"}");
    EXPECT_EQ(r.samples[1].line, 3u);
  }
}

TEST(PromTextParser, NamesTheLabelAndColumnInTheMessage) {
  Recorder r = Parse("m{a=\"x\",a=\"y\"} 1\n");
  ASSERT_EQ(r.errors.size(), 1u);
  EXPECT_EQ(r.errors[0].message, "line 1, column 9: duplicate label \"a\"");
}

TEST(PromTextParser, RefusesOverlongLinesAndGoesOn) {
  PromTextOptions options;
  options.max_line_bytes = 32;
  const std::string long_line = "m{a=\"" + std::string(100, 'x') + "\"} 1";
  Recorder r = Parse("a 1\n" + long_line + "\nb 2", options);
  ASSERT_EQ(r.errors.size(), 1u);
  EXPECT_EQ(r.errors[0].reason, "line_too_long");
  EXPECT_EQ(r.errors[0].line, 2u);
  ASSERT_EQ(r.samples.size(), 2u);
  EXPECT_EQ(r.samples[1].series, "b");
}

TEST(PromTextParser, HandsOverNothingForEmptyOrCommentOnlyText) {
  EXPECT_TRUE(Parse("").samples.empty());
  Recorder r = Parse("\n\n# just a comment\n#\n   \n");
  EXPECT_TRUE(r.samples.empty());
  EXPECT_TRUE(r.errors.empty());
}

TEST(PromTextParser, ReadsOpenMetricsSecondsAndSkipsExemplars) {
  PromTextOptions om;
  om.openmetrics = true;
  Recorder r = Parse(
      "# TYPE foo counter\n"
      "foo_total 17 1520879607.789\n"
      "foo_bucket{le=\"0.1\"} 8 # {trace_id=\"KOO5S4vxi0o\"} 0.067 1520879602.1\n"
      "foo_bucket{le=\"1\"} 9 1520879607 # {trace_id=\"x\"} 0.5\n"
      "bar 1 1520879607789\n"
      "baz 1 # not an exemplar\n"
      "# EOF\n",
      om);
  ASSERT_EQ(r.samples.size(), 4u);
  EXPECT_EQ(r.samples[0].t, 1520879607789);
  EXPECT_FALSE(r.samples[1].t.has_value());
  EXPECT_EQ(r.samples[1].value, 8);
  EXPECT_EQ(r.samples[2].t, 1520879607000);
  EXPECT_EQ(r.samples[3].t, 1520879607789000);  // seconds, as OpenMetrics says
  ASSERT_EQ(r.errors.size(), 1u);
  EXPECT_EQ(r.errors[0].line, 6u);
  EXPECT_EQ(r.errors[0].reason, "bad_timestamp");
  // The 0.0.4 format has neither float timestamps nor exemplars.
  Recorder plain = Parse("foo_total 17 1520879607.789\nfoo 1 # {a=\"b\"} 1\n");
  ASSERT_EQ(plain.errors.size(), 2u);
  EXPECT_EQ(plain.errors[0].reason, "bad_timestamp");
  EXPECT_EQ(plain.errors[1].reason, "bad_timestamp");
}

TEST(ParseSeriesLabels, UnescapesValuesAndSortsLabels) {
  Labels labels;
  ASSERT_TRUE(ParseSeriesLabels("m{z=\"a\\\"b\",a=\"c\\\\d\\n\",}", &labels).ok());
  EXPECT_EQ(labels.size(), 2u);
  EXPECT_EQ(labels.Get("z"), "a\"b");
  EXPECT_EQ(labels.Get("a"), "c\\d\n");
  ASSERT_TRUE(ParseSeriesLabels("plain", &labels).ok());
  EXPECT_TRUE(labels.empty());
}

TEST(ParseSeriesLabels, RefusesDuplicatesAndReservedNames) {
  Labels labels;
  EXPECT_FALSE(ParseSeriesLabels("m{a=\"1\",a=\"2\"}", &labels).ok());
  EXPECT_FALSE(ParseSeriesLabels("m{__name__=\"x\"}", &labels).ok());
  EXPECT_FALSE(ParseSeriesLabels("m{a=\"1\"", &labels).ok());
  EXPECT_FALSE(ParseSeriesLabels("{a=\"1\"}", &labels).ok());
}

}  // namespace
}  // namespace perfwatch
