// Readers and writers stream: 50 MB of input goes through with a bounded
// memory footprint. A functional check of peak RSS (VmHWM after resetting
// it through /proc/self/clear_refs), not a timing.

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <fstream>

#include "history_test_util.h"

namespace perfwatch {
namespace {

constexpr uint64_t kInputBytes = 50ull << 20;
constexpr int64_t kAllowedGrowthKb = 8 * 1024;

int64_t StatusKb(const char* field) {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.starts_with(field)) return std::stoll(line.substr(std::strlen(field)));
  }
  return -1;
}

// Resets VmHWM to the current RSS (Linux 4.0+); false where unsupported.
bool ResetPeakRss() {
  std::ofstream clear("/proc/self/clear_refs");
  clear << "5";
  clear.flush();
  return clear.good();
}

// Counts without keeping anything.
class CountingSink : public HistorySink {
 public:
  Status BeginSeries(const SeriesKey&, const MetricMeta*) override {
    ++series;
    return Status::Ok();
  }
  Status AddSample(Sample) override {
    ++samples;
    return Status::Ok();
  }
  uint64_t series = 0;
  uint64_t samples = 0;
};

// Writes `format` into `path` through a writer until the file holds at
// least kInputBytes; returns the number of samples.
uint64_t WriteLargeFile(HistoryFormat format, const std::string& path) {
  std::ofstream file(path, std::ios::binary);
  uint64_t bytes = 0;
  std::unique_ptr<HistoryWriter> writer = MakeHistoryWriter(format, [&](std::string_view chunk) {
    file.write(chunk.data(), static_cast<std::streamsize>(chunk.size()));
    bytes += chunk.size();
  });
  MetricMeta meta{"load_seconds", MetricKind::kGauge, "Load.", "seconds"};
  uint64_t samples = 0;
  for (int s = 0; bytes < kInputBytes; ++s) {
    SeriesKey key{"load_seconds", Labels{{"host", "host-" + std::to_string(s)}, {"dc", "x"}}};
    EXPECT_TRUE(writer->BeginSeries(key, &meta).ok());
    for (int i = 0; i < 100'000; ++i, ++samples) {
      EXPECT_TRUE(writer->AddSample({1'700'000'000'000 + i * 1000, i * 0.25}).ok());
    }
  }
  writer->Finish();
  return samples;
}

void ExpectBoundedRead(HistoryFormat format) {
  std::string path =
      (std::filesystem::temp_directory_path() /
       ("pw_interchange_stream_" + std::to_string(getpid()) + "." + std::string(ToString(format))))
          .string();
  ASSERT_TRUE(ResetPeakRss()) << "cannot reset VmHWM through /proc/self/clear_refs";
  int64_t before = StatusKb("VmRSS:");
  uint64_t written = WriteLargeFile(format, path);
  int64_t write_growth = StatusKb("VmHWM:") - before;
  ASSERT_GE(std::filesystem::file_size(path), kInputBytes);

  ASSERT_TRUE(ResetPeakRss());
  before = StatusKb("VmRSS:");
  CountingSink sink;
  {
    std::ifstream in(path, std::ios::binary);
    Status s = ReadHistory(format, in, sink);
    ASSERT_TRUE(s.ok()) << s.message();
  }
  int64_t read_growth = StatusKb("VmHWM:") - before;
  std::filesystem::remove(path);

  EXPECT_EQ(sink.samples, written);
  EXPECT_LT(write_growth, kAllowedGrowthKb) << "writing grew RSS by " << write_growth << " kB";
  EXPECT_LT(read_growth, kAllowedGrowthKb) << "reading grew RSS by " << read_growth << " kB";
}

TEST(Streaming, OpenMetricsOf50MegabytesReadsAndWritesInBoundedMemory) {
  ExpectBoundedRead(HistoryFormat::kOpenMetrics);
}

TEST(Streaming, CsvOf50MegabytesReadsAndWritesInBoundedMemory) {
  ExpectBoundedRead(HistoryFormat::kCsv);
}

TEST(Streaming, JsonOf50MegabytesReadsAndWritesInBoundedMemory) {
  ExpectBoundedRead(HistoryFormat::kJson);
}

// The control: the same measurement does see a sink that keeps everything.
TEST(Streaming, TheMemoryCheckSeesASinkThatKeepsEverySample) {
  std::string path = (std::filesystem::temp_directory_path() /
                      ("pw_interchange_control_" + std::to_string(getpid()) + ".csv"))
                         .string();
  WriteLargeFile(HistoryFormat::kCsv, path);
  struct KeepingSink : HistorySink {
    Status BeginSeries(const SeriesKey&, const MetricMeta*) override { return Status::Ok(); }
    Status AddSample(Sample sample) override {
      kept.push_back(sample);
      return Status::Ok();
    }
    std::vector<Sample> kept;
  } sink;
  ASSERT_TRUE(ResetPeakRss());
  int64_t before = StatusKb("VmRSS:");
  {
    std::ifstream in(path, std::ios::binary);
    ASSERT_TRUE(ReadHistory(HistoryFormat::kCsv, in, sink).ok());
  }
  int64_t growth = StatusKb("VmHWM:") - before;
  std::filesystem::remove(path);
  EXPECT_GT(growth, kAllowedGrowthKb)
      << "the RSS check cannot see " << sink.kept.size() << " kept samples";
}

TEST(Streaming, SeedSnapshotsOf50MegabytesReadInBoundedMemory) {
  std::string path = (std::filesystem::temp_directory_path() /
                      ("pw_interchange_seed_" + std::to_string(getpid()) + ".json"))
                         .string();
  uint64_t snapshots = 0;
  {
    std::ofstream file(path, std::ios::binary);
    file << "[";
    std::string record;
    for (uint64_t bytes = 0; bytes < kInputBytes; ++snapshots) {
      record = snapshots ? ",\n" : "\n";
      record += "{\"timestamp\":" + std::to_string(1714564800 + snapshots) +
                ",\"memory_usage\":71.2,\"cpu_usage\":35.5,\"active_connections\":12,"
                "\"response_time_avg\":230.5,\"response_time_p95\":410,\"requests_per_second\":"
                "85.1,\"error_rate\":0.5,\"cache_hit_rate\":92,\"cache_size\":1500,\"note\":\"x\"}";
      file << record;
      bytes += record.size();
    }
    file << "\n]\n";
  }
  ASSERT_TRUE(ResetPeakRss());
  int64_t before = StatusKb("VmRSS:");
  CountingSink sink;
  ReadStats stats;
  {
    std::ifstream in(path, std::ios::binary);
    Status s = ReadHistory(HistoryFormat::kJson, in, sink, {}, &stats);
    ASSERT_TRUE(s.ok()) << s.message();
  }
  int64_t growth = StatusKb("VmHWM:") - before;
  std::filesystem::remove(path);
  EXPECT_EQ(sink.samples, snapshots * 9);
  EXPECT_EQ(stats.unknown_keys, snapshots);
  EXPECT_LT(growth, kAllowedGrowthKb) << "reading grew RSS by " << growth << " kB";
}

}  // namespace
}  // namespace perfwatch
