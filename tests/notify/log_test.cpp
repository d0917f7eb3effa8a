// The log and console receivers writing real files.

#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <regex>
#include <set>

#include "notify/dispatcher.h"
#include "notify/receivers.h"
#include "test_support.h"

namespace perfwatch {
namespace {

using nlohmann::json;
using testing::kT0;
using testing::MakeAlert;
using testing::Notice;
using testing::TempDir;
using testing::WaitUntil;

std::vector<std::string> Lines(const std::filesystem::path& p) {
  std::vector<std::string> lines;
  std::ifstream in(p);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

TEST(LogReceiver, WritesOneJsonLinePerNoticeWithSeedEventNames) {
  TempDir dir;
  std::filesystem::path path = dir.path() / "alerts.jsonl";
  ReceiverOptions o = testing::ReceiverOf("log", path.string());
  Dispatcher d({o}, testing::NoWait(), [] { return kT0 + 7; });
  ASSERT_TRUE(d.Start().ok());
  d.Deliver({Notice(MakeAlert("HighCpu", "web-1")),
             Notice(MakeAlert("SlowResponses", "web-1"), "consecutive_poor_performance")});
  d.Event(testing::EventOf("performance_degradation_detected", kT0 + 1,
                           {{"metric", "response_time"}, {"change", "+40%"}}));
  ASSERT_TRUE(WaitUntil([&] { return Lines(path).size() == 3; }));
  d.Deliver({Notice(MakeAlert("HighCpu", "web-1", AlertState::kResolved))});
  d.Stop();

  std::vector<std::string> lines = Lines(path);
  ASSERT_EQ(lines.size(), 4u);
  std::multiset<std::string> events;
  std::regex iso(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z)");
  for (const std::string& line : lines) {
    json j = json::parse(line);
    events.insert(j["event"].get<std::string>());
    EXPECT_TRUE(std::regex_match(j["timestamp"].get<std::string>(), iso)) << line;
    if (j["event"] == "performance_degradation_detected") {
      EXPECT_EQ(j["timestamp"], "2024-05-01T12:00:00.001Z");
      EXPECT_EQ(j["metric"], "response_time");
      EXPECT_EQ(j["change"], "+40%");
    }
    if (j["event"] == "threshold_violation") {
      EXPECT_EQ(j["alertname"], "HighCpu");
      EXPECT_EQ(j["severity"], "warning");
      EXPECT_EQ(j["state"], "firing");
      EXPECT_DOUBLE_EQ(j["value"].get<double>(), 93.1);
      EXPECT_EQ(j["labels"]["instance"], "web-1");
      EXPECT_EQ(j["annotations"]["summary"], "CPU at 93.1%");
      EXPECT_EQ(j["timestamp"], "2024-05-01T12:00:00.000Z");
    }
    if (j["event"] == "alert_resolved") {
      EXPECT_EQ(j["state"], "resolved");
      EXPECT_EQ(j["timestamp"], "2024-05-01T12:01:00.000Z");
    }
  }
  EXPECT_EQ(events,
            (std::multiset<std::string>{"threshold_violation", "consecutive_poor_performance",
                                        "performance_degradation_detected", "alert_resolved"}));
  EXPECT_EQ(d.Stats()[0].sent, 3u);  // two groups, then the resolution
}

TEST(LogReceiver, AMissingDirectoryFailsWithoutCreatingIt) {
  TempDir dir;
  std::filesystem::path path = dir.path() / "missing" / "alerts.jsonl";
  Dispatcher d({testing::ReceiverOf("log", path.string())}, testing::NoWait());
  ASSERT_TRUE(d.Start().ok());
  d.Deliver({Notice(MakeAlert("HighCpu", "web-1"))});
  ASSERT_TRUE(WaitUntil([&] { return d.Stats()[0].failed == 1; }));
  d.Stop();
  EXPECT_FALSE(std::filesystem::exists(dir.path() / "missing"));
  EXPECT_EQ(d.Stats()[0].sent, 0u);
}

TEST(LogReceiver, AppendsToAnExistingFile) {
  TempDir dir;
  std::filesystem::path path = dir.path() / "alerts.jsonl";
  std::ofstream(path) << "{\"event\":\"earlier\"}\n";
  Dispatcher d({testing::ReceiverOf("log", path.string())}, testing::NoWait());
  ASSERT_TRUE(d.Start().ok());
  d.Deliver({Notice(MakeAlert("HighCpu", "web-1"))});
  d.Stop();
  std::vector<std::string> lines = Lines(path);
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[0], "{\"event\":\"earlier\"}");
}

TEST(ConsoleReceiver, PrintsOneLinePerNoticeAndEvent) {
  std::FILE* out = std::tmpfile();
  ASSERT_NE(out, nullptr);
  Dispatcher d({testing::ReceiverOf("console")}, testing::NoWait());
  d.SetReceiverForTest(0, MakeConsoleReceiver(out));
  ASSERT_TRUE(d.Start().ok());
  d.Deliver({Notice(MakeAlert("HighCpuUsage", "web-1"))});
  d.Event(testing::EventOf("performance_degradation_detected", 0, {{"metric", "cpu"}}));
  d.Stop();
  std::rewind(out);
  std::string text;
  char buf[512];
  while (std::fgets(buf, sizeof buf, out) != nullptr) text += buf;
  std::fclose(out);
  EXPECT_NE(text.find("[FIRING] HighCpuUsage warning instance=web-1 value=93.1 \u2014 CPU at "
                      "93.1%\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("[EVENT] performance_degradation_detected metric=cpu\n"), std::string::npos)
      << text;
}

}  // namespace
}  // namespace perfwatch
