// CompareWithBaseline and DescribeVerdict, and Debian's hyperfine as the
// peer whose JSON export perfwatch reads as a baseline.

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "bench/export.h"

namespace perfwatch {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using ::testing::Not;

// `n` runs with the given mean, spread evenly over mean ± spread.
CommandResult Measured(const std::string& command, double mean, double spread, int n = 10,
                       double rss = 50e6) {
  CommandResult r;
  r.command = command;
  for (int i = 0; i < n; ++i) {
    BenchRun run;
    run.wall_seconds = mean + spread * (2.0 * i / (n - 1) - 1);
    run.peak_rss_bytes = rss;
    r.runs.push_back(run);
  }
  Summarize(r, false);
  return r;
}

BenchReport Report(std::vector<CommandResult> results) {
  BenchReport report;
  report.results = std::move(results);
  return report;
}

const BaselineFinding* Find(const BaselineVerdict& v, const std::string& figure) {
  for (const auto& f : v.findings) {
    if (f.figure == figure) return &f;
  }
  return nullptr;
}

TEST(Baseline, TwentyPercentSlowerWithTightSpreadIsARegression) {
  const auto v = CompareWithBaseline(Report({Measured("work", 0.120, 0.001)}),
                                     Report({Measured("work", 0.100, 0.001)}), {});
  const BaselineFinding* time = Find(v, "mean time");
  ASSERT_NE(time, nullptr);
  EXPECT_NEAR(time->change, 0.2, 1e-9);
  EXPECT_DOUBLE_EQ(time->baseline, 0.100);
  EXPECT_TRUE(time->regression);
  EXPECT_FALSE(time->improvement);
  EXPECT_TRUE(v.regressed());
}

TEST(Baseline, TwentyPercentSlowerWithinHugeNoiseIsNoRegression) {
  // Standard deviations near 0.1 s over 10 runs: twice the standard error
  // of the difference is about 0.09 s, far above the 0.02 s change.
  const auto v = CompareWithBaseline(Report({Measured("work", 0.120, 0.15)}),
                                     Report({Measured("work", 0.100, 0.15)}), {});
  const BaselineFinding* time = Find(v, "mean time");
  ASSERT_NE(time, nullptr);
  EXPECT_NEAR(time->change, 0.2, 1e-9);
  EXPECT_FALSE(time->regression);
  EXPECT_FALSE(v.regressed());
  EXPECT_THAT(DescribeVerdict(v, {}), HasSubstr("within noise"));
}

TEST(Baseline, FivePercentSlowerIsBelowATenPercentThreshold) {
  const auto v = CompareWithBaseline(Report({Measured("work", 0.105, 0.0001)}),
                                     Report({Measured("work", 0.100, 0.0001)}), {});
  EXPECT_FALSE(v.regressed());
  // ...but it is with a 3% threshold.
  const auto strict = CompareWithBaseline(Report({Measured("work", 0.105, 0.0001)}),
                                          Report({Measured("work", 0.100, 0.0001)}),
                                          {.time = 0.03, .memory = 0.10});
  EXPECT_TRUE(strict.regressed());
}

TEST(Baseline, PeakRssThirtyPercentLargerIsARegression) {
  const auto v = CompareWithBaseline(Report({Measured("work", 0.1, 0.001, 10, 65e6)}),
                                     Report({Measured("work", 0.1, 0.001, 10, 50e6)}), {});
  const BaselineFinding* rss = Find(v, "peak RSS");
  ASSERT_NE(rss, nullptr);
  EXPECT_NEAR(rss->change, 0.3, 1e-9);
  EXPECT_TRUE(rss->regression);
  EXPECT_FALSE(Find(v, "mean time")->regression);
  EXPECT_TRUE(v.regressed());
}

TEST(Baseline, FasterAndSmallerAreImprovements) {
  const auto v = CompareWithBaseline(Report({Measured("work", 0.05, 0.001, 10, 20e6)}),
                                     Report({Measured("work", 0.1, 0.001, 10, 50e6)}), {});
  EXPECT_TRUE(Find(v, "mean time")->improvement);
  EXPECT_TRUE(Find(v, "peak RSS")->improvement);
  EXPECT_FALSE(v.regressed());
  EXPECT_THAT(DescribeVerdict(v, {}), HasSubstr("improved"));
}

TEST(Baseline, MatchesByCommandAndParametersAndListsMissingOnes) {
  CommandResult small = Measured("sort data", 0.1, 0.001);
  small.parameters = {{"size", "1"}};
  CommandResult large = Measured("sort data", 1.0, 0.001);
  large.parameters = {{"size", "10"}};
  CommandResult large_now = Measured("sort data", 1.0, 0.001);
  large_now.parameters = {{"size", "10"}};
  const auto v = CompareWithBaseline(Report({large_now, Measured("new command", 1, 0.01)}),
                                     Report({small, large, Measured("gone", 0.1, 0.001)}), {});
  ASSERT_EQ(v.missing.size(), 2u);
  EXPECT_EQ(v.missing[0], "sort data [size=1]");
  EXPECT_EQ(v.missing[1], "gone");
  const BaselineFinding* time = Find(v, "mean time");
  ASSERT_NE(time, nullptr);
  EXPECT_DOUBLE_EQ(time->baseline, 1.0);  // the size=10 one, not size=1
  EXPECT_FALSE(v.regressed());
  EXPECT_THAT(DescribeVerdict(v, {}), HasSubstr("missing: gone"));
}

TEST(Baseline, ThroughputIsInformational) {
  CommandResult now = Measured("gzip", 0.2, 0.0001);
  now.input_bytes = 1e6;
  Summarize(now, false);
  CommandResult before = Measured("gzip", 0.1, 0.0001);
  before.input_bytes = 1e6;
  Summarize(before, false);
  const auto v = CompareWithBaseline(Report({now}), Report({before}), {});
  const BaselineFinding* rate = Find(v, "throughput");
  ASSERT_NE(rate, nullptr);
  EXPECT_NEAR(rate->change, -0.5, 1e-9);
  EXPECT_FALSE(rate->regression);
  EXPECT_TRUE(Find(v, "mean time")->regression);  // the time finding decides
}

TEST(Baseline, DescribeVerdictEndsWithPassOrRegression) {
  const auto pass = CompareWithBaseline(Report({Measured("work", 0.1, 0.001)}),
                                        Report({Measured("work", 0.1, 0.001)}), {});
  const std::string pass_text = DescribeVerdict(pass, {});
  EXPECT_THAT(pass_text, HasSubstr("mean time of work: 100 ms -> 100 ms (+0.0%)"));
  EXPECT_THAT(pass_text, HasSubstr("\nPASS"));
  EXPECT_THAT(pass_text, Not(HasSubstr("REGRESSION")));

  const auto fail = CompareWithBaseline(Report({Measured("work", 0.2, 0.001, 10, 80e6)}),
                                        Report({Measured("work", 0.1, 0.001, 10, 50e6)}), {});
  const std::string fail_text = DescribeVerdict(fail, {});
  EXPECT_THAT(fail_text, HasSubstr("mean time of work: 100 ms -> 200 ms (+100.0%)  REGRESSION"));
  EXPECT_THAT(fail_text, HasSubstr("peak RSS of work:"));
  EXPECT_THAT(fail_text, HasSubstr("REGRESSION: 2 figure(s) beyond the threshold"));
  EXPECT_THAT(fail_text, Not(HasSubstr("PASS")));
}

// hyperfine from PATH, or "" when absent.
std::string FindHyperfine() {
  const char* path = std::getenv("PATH");
  std::stringstream dirs(path ? path : "/usr/bin:/bin");
  std::string dir;
  while (std::getline(dirs, dir, ':')) {
    const fs::path candidate = fs::path(dir) / "hyperfine";
    if (::access(candidate.c_str(), X_OK) == 0) return candidate;
  }
  return "";
}

class BaselineHyperfine : public ::testing::Test {
 protected:
  void SetUp() override {
    hyperfine_ = FindHyperfine();
    // A peer missing is a broken test machine, not a reason to pass.
    ASSERT_FALSE(hyperfine_.empty())
        << "hyperfine is not installed; scripts/install-deps installs it";
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    dir_ = fs::path("/tmp/perfwatch-export-test") /
           (std::string(info->name()) + "-" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  // Runs hyperfine with `args` and returns the text of its JSON export.
  std::string RunHyperfine(const std::string& args) {
    const fs::path json = dir_ / "hyperfine.json";
    const std::string cmd = hyperfine_ + " --style none --export-json '" + json.string() + "' " +
                            args + " > '" + (dir_ / "out.txt").string() + "' 2>&1";
    const int rc = std::system(cmd.c_str());
    std::ifstream out(dir_ / "out.txt");
    std::stringstream log;
    log << out.rdbuf();
    EXPECT_EQ(rc, 0) << cmd << "\n" << log.str();
    std::ifstream in(json);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
  }

  std::string hyperfine_;
  fs::path dir_;
};

TEST_F(BaselineHyperfine, ItsJsonIsABaseline) {
  const std::string text = RunHyperfine("-N --runs 3 true");
  ASSERT_FALSE(text.empty());
  Result<BenchReport> baseline = ParseBenchJson(text);
  ASSERT_TRUE(baseline.ok()) << baseline.status().message() << "\n" << text;
  ASSERT_EQ(baseline->results.size(), 1u);
  const CommandResult& b = baseline->results[0];
  EXPECT_EQ(b.command, "true");
  ASSERT_EQ(b.runs.size(), 3u);
  for (const BenchRun& run : b.runs) EXPECT_TRUE(run.ok());
  EXPECT_GT(b.time.mean, 0);
  EXPECT_DOUBLE_EQ(b.success_rate, 1);

  // Our statistics of its times agree with its own figures.
  std::vector<double> times;
  for (const BenchRun& run : b.runs) times.push_back(run.wall_seconds);
  const Stats s = ComputeStats(times);
  EXPECT_NEAR(s.mean, b.time.mean, 1e-12);
  EXPECT_NEAR(s.stddev, b.time.stddev, 1e-12);
  EXPECT_NEAR(s.median, b.time.median, 1e-12);
  EXPECT_DOUBLE_EQ(s.min, b.time.min);
  EXPECT_DOUBLE_EQ(s.max, b.time.max);

  // The same figures now pass; three times slower with a tight spread fails.
  BenchReport same;
  same.results.push_back(b);
  const BaselineVerdict pass = CompareWithBaseline(same, *baseline, {});
  EXPECT_FALSE(pass.regressed());
  EXPECT_TRUE(pass.missing.empty());
  EXPECT_EQ(Find(pass, "peak RSS"), nullptr);  // hyperfine 1.15 has no memory figures
  EXPECT_THAT(DescribeVerdict(pass, {}), HasSubstr("PASS"));

  CommandResult slower;
  slower.command = "true";
  for (int i = 0; i < 5; ++i) {
    BenchRun run;
    run.wall_seconds = b.time.mean * 3 * (1 + 0.001 * i);
    slower.runs.push_back(run);
  }
  Summarize(slower, false);
  BenchReport current;
  current.results.push_back(slower);
  const BaselineVerdict fail = CompareWithBaseline(current, *baseline, {});
  EXPECT_TRUE(fail.regressed()) << DescribeVerdict(fail, {});
  EXPECT_THAT(DescribeVerdict(fail, {}), HasSubstr("REGRESSION: 1 figure(s)"));
}

TEST_F(BaselineHyperfine, OurJsonAndCsvExtendItsShapes) {
  const std::string text = RunHyperfine("-N --runs 2 -L n 1,2 --export-csv '" +
                                        (dir_ / "h.csv").string() + "' 'sleep 0.00{n}'");
  const auto theirs = nlohmann::ordered_json::parse(text, nullptr, false);
  ASSERT_FALSE(theirs.is_discarded()) << text;
  Result<BenchReport> parsed = ParseBenchJson(text);
  ASSERT_TRUE(parsed.ok()) << parsed.status().message();
  ASSERT_EQ(parsed->results.size(), 2u);
  EXPECT_EQ(parsed->results[1].parameters,
            (std::vector<std::pair<std::string, std::string>>{{"n", "2"}}));
  // Every key hyperfine writes, we write too, in the same order first.
  const auto ours = nlohmann::ordered_json::parse(BenchToJson(*parsed));
  std::vector<std::string> their_keys, our_keys;
  for (const auto& [k, v] : theirs["results"][0].items()) their_keys.push_back(k);
  for (const auto& [k, v] : ours["results"][0].items()) our_keys.push_back(k);
  ASSERT_GE(our_keys.size(), their_keys.size());
  EXPECT_EQ(std::vector<std::string>(our_keys.begin(), our_keys.begin() + their_keys.size()),
            their_keys);
  EXPECT_DOUBLE_EQ(ours["results"][1]["mean"].get<double>(),
                   theirs["results"][1]["mean"].get<double>());

  std::ifstream csv(dir_ / "h.csv");
  std::string their_header;
  std::getline(csv, their_header);
  const std::string our_csv = BenchToCsv(*parsed);
  const std::string our_header = our_csv.substr(0, our_csv.find('\n'));
  EXPECT_EQ(their_header, "command,mean,stddev,median,user,system,min,max,parameter_n");
  EXPECT_EQ(our_header.substr(0, their_header.size() + 1), their_header + ",");
}

}  // namespace
}  // namespace perfwatch
