// End-to-end: perfwatch import / export through the real binary.

#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <sstream>

#include "harness.h"

namespace perfwatch::e2e {
namespace {

std::string Slurp(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

const std::string kFixture = std::string(PERFWATCH_TEST_DATA) + "/interchange/history.csv";
const std::string kAll = "{__name__=~\".+\"}";

TEST(ImportExport, WhatGoesInComesOutEqualInEveryFormat) {
  for (const char* format : {"csv", "openmetrics", "json"}) {
    std::string a = FreshDir(std::string("pw_io_a_") + format);
    std::string b = FreshDir(std::string("pw_io_b_") + format);
    RunResult r = RunPerfwatch({"import", "--data-dir", a, "--format", "csv", kFixture});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.out.find("imported 5 samples of 3 series"), std::string::npos) << r.out;
    std::string first = a + ".out", second = b + ".out";
    r = RunPerfwatch({"export", "--data-dir", a, "--metric", kAll, "--from=-100000", "--format",
                      format, "-o", first});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    // Through a second store and out again: the same bytes.
    r = RunPerfwatch({"import", "--data-dir", b, "--format", format, first});
    ASSERT_EQ(r.exit_code, 0) << format << ": " << r.err;
    r = RunPerfwatch({"export", "--data-dir", b, "--metric", kAll, "--from=-100000", "--format",
                      format, "-o", second});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(Slurp(first), Slurp(second)) << format;
    // OpenMetrics writes seconds, the others milliseconds.
    EXPECT_NE(Slurp(first).find("1714564801"), std::string::npos) << format;
  }
}

// Three hours of three series, one with a gap, as OpenMetrics with metadata.
std::string WriteImportFile(const std::string& path) {
  std::ofstream out(path);
  out << "# TYPE imported_load gauge\n# HELP imported_load Load average.\n";
  for (int host = 0; host < 2; ++host) {
    for (int i = 0; i < 3 * 3600; i += host == 0 ? 1 : 10) {
      if (host == 1 && i >= 3600 && i < 7200) continue;
      out << "imported_load{host=\""
          << "ab"[host] << "\"} " << (i % 200) * 0.25 << " " << 1714564800 + i << "\n";
    }
  }
  out << "# TYPE imported_temp_celsius gauge\n# UNIT imported_temp_celsius celsius\n";
  for (int i = 0; i < 3 * 3600; i += 5) {
    out << "imported_temp_celsius " << 40 + (i % 17) << " " << 1714564800 + i << "\n";
  }
  out << "# EOF\n";
  return path;
}

TEST(ImportExport, TheServedExportEqualsPerfwatchExportInEveryFormat) {
  std::string dir = FreshDir("pw_io_http");
  std::string file = WriteImportFile(dir + ".om");
  RunResult r = RunPerfwatch({"import", "--data-dir", dir, "--format", "openmetrics", file});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  // Half past the second hour, so the range ends inside the data.
  const std::string from = "1714564800000", to = "1714573800000";
  const char* kFormats[] = {"csv", "openmetrics", "json"};
  std::map<std::string, std::string> cli;
  for (const char* format : kFormats) {
    std::string out = dir + "." + format;
    r = RunPerfwatch({"export", "--data-dir", dir, "--metric", "{__name__=~\"imported_.*\"}",
                      "--from", from, "--to", to, "--format", format, "-o", out});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    cli[format] = Slurp(out);
  }
  ASSERT_GT(cli["csv"].size(), 500'000u);

  PerfwatchProcess server({"--data-dir", dir});
  ASSERT_TRUE(server.started()) << server.log();
  for (const char* format : kFormats) {
    HttpResult h = HttpGet(
        server.port(), "/api/v1/export?metric=%7B__name__%3D~%22imported_.*%22%7D&from=" + from +
                           "&to=" + to + "&format=" + format);
    ASSERT_EQ(h.status, 200) << format << ": " << h.body;
    EXPECT_NE(h.headers.find("Transfer-Encoding: chunked"), std::string::npos) << h.headers;
    EXPECT_TRUE(h.body == cli[format]) << format << ": " << h.body.size() << " bytes served, "
                                       << cli[format].size() << " exported";
  }
}

TEST(ImportExport, ImportingTwiceDoesNotDuplicateSamples) {
  std::string dir = FreshDir("pw_io_twice");
  for (int i = 0; i < 2; ++i) {
    ASSERT_EQ(RunPerfwatch({"import", "--data-dir", dir, "--format", "csv", kFixture}).exit_code,
              0);
  }
  RunResult r = RunPerfwatch(
      {"export", "--data-dir", dir, "--metric", kAll, "--from=-100000", "--format", "csv"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("exported 5 samples"), std::string::npos) << r.err;
}

TEST(ImportExport, ABadFileIsRefusedNamingTheLineAndNothingIsImported) {
  std::string dir = FreshDir("pw_io_bad");
  std::string bad = dir + ".csv";
  std::ofstream(bad) << "metric,labels,timestamp_ms,value\nup,,1000,1\nup,,not-a-time,2\n";
  RunResult r = RunPerfwatch({"import", "--data-dir", dir, "--format", "csv", bad});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("line 3"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("nothing was imported"), std::string::npos) << r.err;
}

TEST(ImportExport, ImportRefusesWhileAPerfwatchServesTheDirectory) {
  std::string dir = FreshDir("pw_io_served");
  PerfwatchProcess server({"--data-dir", dir});
  ASSERT_TRUE(server.started()) << server.log();
  RunResult r = RunPerfwatch({"import", "--data-dir", dir, "--format", "csv", kFixture});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("a perfwatch is serving " + dir), std::string::npos) << r.err;
}

}  // namespace
}  // namespace perfwatch::e2e
