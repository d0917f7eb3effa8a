// What goes in comes out equal: random history written by each writer and
// read back by the matching reader, bit-exact (NaN equals NaN).

#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <limits>
#include <random>

#include "history_test_util.h"
#include "round_trip_series.h"

namespace perfwatch {
namespace {

// Which metadata a format carries: JSON all of it, OpenMetrics gauges and
// "_total" counters (RandomHistory names all counters so), CSV none.
std::optional<MetricMeta> ExpectedMeta(HistoryFormat format, const std::optional<MetricMeta>& m) {
  if (format == HistoryFormat::kCsv) return std::nullopt;
  return m;
}

void ExpectRoundTrip(HistoryFormat format, uint32_t seed, size_t chunk_bytes) {
  std::vector<CollectedSeries> in = RandomHistory(seed, 60);
  std::string text = WriteText(format, in, chunk_bytes);
  CollectingSink sink;
  ReadStats stats;
  Status s = ReadText(format, text, sink, {}, &stats);
  ASSERT_TRUE(s.ok()) << ToString(format) << " seed " << seed << ": " << s.message();
  ASSERT_EQ(sink.series.size(), in.size()) << ToString(format) << " seed " << seed;
  size_t samples = 0;
  for (size_t i = 0; i < in.size(); ++i) {
    const CollectedSeries& want = in[i];
    const CollectedSeries& got = sink.series[i];
    SCOPED_TRACE(std::string(ToString(format)) + " seed " + std::to_string(seed) + " series " +
                 want.key.name + want.key.labels.ToString());
    EXPECT_EQ(got.key.name, want.key.name);
    EXPECT_EQ(got.key.labels, want.key.labels);
    std::optional<MetricMeta> meta = ExpectedMeta(format, want.meta);
    ASSERT_EQ(got.meta.has_value(), meta.has_value());
    if (meta) {
      EXPECT_EQ(got.meta->name, meta->name);
      EXPECT_EQ(got.meta->kind, meta->kind);
      EXPECT_EQ(got.meta->help, meta->help);
      EXPECT_EQ(got.meta->unit, meta->unit);
    }
    EXPECT_TRUE(SameSamples(got.samples, want.samples));
    samples += want.samples.size();
  }
  EXPECT_EQ(stats.samples, samples);
}

TEST(RoundTrip, OpenMetricsGivesBackRandomHistoryBitExact) {
  for (uint32_t seed = 1; seed <= 20; ++seed)
    ExpectRoundTrip(HistoryFormat::kOpenMetrics, seed, 4096);
}

TEST(RoundTrip, CsvGivesBackRandomHistoryBitExact) {
  for (uint32_t seed = 1; seed <= 20; ++seed) ExpectRoundTrip(HistoryFormat::kCsv, seed, 4096);
}

TEST(RoundTrip, JsonGivesBackRandomHistoryBitExact) {
  for (uint32_t seed = 1; seed <= 20; ++seed) ExpectRoundTrip(HistoryFormat::kJson, seed, 4096);
}

TEST(RoundTrip, ReaderFeedsAWriterToConvertBetweenFormats) {
  std::vector<CollectedSeries> in = RandomHistory(99, 20);
  std::string om = WriteText(HistoryFormat::kOpenMetrics, in);
  std::string json;
  std::unique_ptr<HistoryWriter> writer = MakeHistoryWriter(
      HistoryFormat::kJson, [&json](std::string_view chunk) { json.append(chunk); });
  ASSERT_TRUE(ReadText(HistoryFormat::kOpenMetrics, om, *writer).ok());
  writer->Finish();
  CollectingSink sink;
  ASSERT_TRUE(ReadText(HistoryFormat::kJson, json, sink).ok());
  ASSERT_EQ(sink.series.size(), in.size());
  for (size_t i = 0; i < in.size(); ++i) {
    EXPECT_EQ(sink.series[i].key.labels, in[i].key.labels);
    EXPECT_TRUE(SameSamples(sink.series[i].samples, in[i].samples));
  }
}

}  // namespace
}  // namespace perfwatch
