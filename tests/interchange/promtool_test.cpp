// The OpenMetrics writer's output is what promtool backfills from:
// `promtool tsdb create-blocks-from openmetrics` accepts it, and `promtool
// tsdb dump` of the blocks shows every sample at its millisecond.

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>

#include "history_test_util.h"
#include "interchange/prom_text.h"
#include "round_trip_series.h"

namespace perfwatch {
namespace {

constexpr const char* kPromtool = "/usr/bin/promtool";

struct ShellResult {
  int exit_code = -1;
  std::string output;
};

ShellResult Shell(const std::string& command) {
  ShellResult run;
  FILE* pipe = popen((command + " 2>&1").c_str(), "r");
  if (!pipe) return run;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof(buf), pipe)) > 0) run.output.append(buf, n);
  int status = pclose(pipe);
  run.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return run;
}

class PromtoolTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(std::filesystem::exists(kPromtool))
        << kPromtool << " is missing: run scripts/install-deps (Debian package prometheus)";
    dir_ = std::filesystem::temp_directory_path() /
           ("pw_interchange_promtool_" + std::to_string(getpid()));
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::filesystem::path dir_;
};

// (timestamp, canonical value bits) of every sample; NaN counted as one NaN.
using Point = std::pair<TimestampMs, uint64_t>;

uint64_t Canonical(double v) {
  return std::isnan(v) ? 0x7ff8000000000000 : std::bit_cast<uint64_t>(v);
}

TEST_F(PromtoolTest, BackfillsTheOpenMetricsExportAndDumpsEverySampleAtItsMillisecond) {
  RandomHistoryOptions options;  // three hours of 2026, so promtool cuts two-hour blocks
  options.min_start = 1'767'225'600'000;
  options.max_start = options.min_start + 3'600'000;
  options.max_step_ms = 60'000;
  options.max_samples = 120;
  std::vector<CollectedSeries> history = RandomHistory(7, 40, options);
  std::string om = WriteText(HistoryFormat::kOpenMetrics, history);
  std::filesystem::path file = dir_ / "export.om";
  std::ofstream(file, std::ios::binary) << om;

  std::filesystem::path blocks = dir_ / "data";
  ShellResult create = Shell(std::string(kPromtool) + " tsdb create-blocks-from openmetrics " +
                             file.string() + " " + blocks.string());
  ASSERT_EQ(create.exit_code, 0) << create.output;
  std::filesystem::create_directories(blocks / "wal");  // promtool 2.42's dump wants one
  ShellResult dump = Shell(std::string(kPromtool) + " tsdb dump " + blocks.string());
  ASSERT_EQ(dump.exit_code, 0) << dump.output;

  std::multiset<Point> want;
  for (const CollectedSeries& s : history) {
    for (Sample sample : s.samples) want.insert({sample.t_ms, Canonical(sample.value)});
  }
  // Each line: {labels} value timestamp_ms. Label values may hold spaces,
  // so split from the right.
  std::multiset<Point> got;
  std::set<std::string> series;
  std::istringstream lines(dump.output);
  std::string line;
  while (std::getline(lines, line)) {
    size_t ts_space = line.rfind(' ');
    size_t value_space = line.rfind(' ', ts_space - 1);
    ASSERT_NE(value_space, std::string::npos) << line;
    double value = 0;
    ASSERT_TRUE(ParsePromFloat(line.substr(value_space + 1, ts_space - value_space - 1), &value))
        << line;
    got.insert({std::stoll(line.substr(ts_space + 1)), Canonical(value)});
    series.insert(line.substr(0, value_space));
  }
  EXPECT_EQ(got.size(), want.size());
  EXPECT_TRUE(got == want) << "promtool read other timestamps or values than were written";
  EXPECT_EQ(series.size(), history.size());
}

TEST_F(PromtoolTest, RejectsWhatTheReaderRejects) {
  // The reader's refusals mirror promtool's on the same input.
  const char* inputs[] = {
      "a 1\n# EOF\n",                     // no timestamp
      "a 1 1\n",                          // no # EOF
      "a{x=\"1\",x=\"2\"} 1 1\n# EOF\n",  // duplicate label
      "a{x=\"1\",} 1 1\n# EOF\n",         // trailing comma
      "# comment\na 1 1\n# EOF\n",        // free comment
      "\na 1 1\n# EOF\n",                 // blank line
      "a 1  1\n# EOF\n",                  // two spaces
  };
  int n = 0;
  for (const char* input : inputs) {
    std::filesystem::path file = dir_ / ("bad" + std::to_string(n++) + ".om");
    std::ofstream(file, std::ios::binary) << input;
    ShellResult create = Shell(std::string(kPromtool) + " tsdb create-blocks-from openmetrics " +
                               file.string() + " " + (dir_ / "out").string());
    EXPECT_NE(create.exit_code, 0) << input;
    EXPECT_NE(ReadError(HistoryFormat::kOpenMetrics, input), "ok") << input;
  }
}

}  // namespace
}  // namespace perfwatch
