#include "collect/pressure.h"

#include <gtest/gtest.h>

#include "test_support.h"

namespace perfwatch {
namespace {

using testing::FixtureHost;
using testing::ReadFixture;
using testing::RecordingAppender;

TEST(Pressure, ParsesSomeAndFullLines) {
  Result<Pressure> p = ParsePressure(ReadFixture("tick1/proc/pressure/io"));
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  EXPECT_DOUBLE_EQ(p->some->avg10, 0.03);
  EXPECT_DOUBLE_EQ(p->some->avg300, 0.84);
  EXPECT_EQ(p->some->total_us, 5882273u);
  EXPECT_DOUBLE_EQ(p->full->avg60, 0.25);
  EXPECT_EQ(p->full->total_us, 5547151u);
}

TEST(Pressure, AcceptsCpuWithoutAFullLineAsBefore5_13) {
  Result<Pressure> p = ParsePressure("some avg10=1.50 avg60=0.50 avg300=0.10 total=123456\n");
  ASSERT_TRUE(p.ok());
  EXPECT_FALSE(p->full.has_value());
}

TEST(Pressure, RejectsGarbageNamingTheLine) {
  Result<Pressure> p = ParsePressure(ReadFixture("garbage/proc/pressure/cpu"));
  ASSERT_FALSE(p.ok());
  EXPECT_NE(p.status().message().find("line 2"), std::string::npos) << p.status().message();
  EXPECT_FALSE(ParsePressure("").ok());
}

TEST(PressureCollector, ReportsStallSecondsAndWindowPercents) {
  PressureCollector c(FixtureHost("tick1"));
  RecordingAppender out;
  ASSERT_TRUE(c.Collect(out).ok());
  EXPECT_DOUBLE_EQ(
      *out.Get("system_pressure_stalled_seconds_total", R"({kind="some",resource="cpu"})"),
      18.351467);
  EXPECT_DOUBLE_EQ(
      *out.Get("system_pressure_percent", R"({kind="some",resource="cpu",window="60s"})"), 8.92);
  EXPECT_DOUBLE_EQ(
      *out.Get("system_pressure_percent", R"({kind="full",resource="io",window="300s"})"), 0.79);
  EXPECT_EQ(out.Count("system_pressure_stalled_seconds_total"), 6u);
  EXPECT_EQ(out.Count("system_pressure_percent"), 18u);
}

TEST(PressureCollector, MissingDirectoryIsUnavailableNamingTheFile) {
  PressureCollector c(FixtureHost("old_kernel"));
  RecordingAppender out;
  Status s = c.Collect(out);
  EXPECT_EQ(s.code(), Status::Code::kUnavailable);
  EXPECT_NE(s.message().find("old_kernel/proc/pressure/cpu: No such file or directory"),
            std::string::npos)
      << s.message();
  EXPECT_TRUE(out.samples.empty());
}

TEST(PressureCollector, GarbageIsInvalidArgumentNamingFileAndLine) {
  PressureCollector c(FixtureHost("garbage"));
  RecordingAppender out;
  Status s = c.Collect(out);
  EXPECT_EQ(s.code(), Status::Code::kInvalidArgument);
  EXPECT_NE(s.message().find("garbage/proc/pressure/cpu: line 2"), std::string::npos)
      << s.message();
}

}  // namespace
}  // namespace perfwatch
