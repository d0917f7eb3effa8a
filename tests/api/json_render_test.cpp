#include "api/json_render.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <nlohmann/json.hpp>

#include "api/json_writer.h"

namespace perfwatch {
namespace {

using nlohmann::json;

std::string JsonString(std::string_view s) {
  std::string out;
  AppendJsonString(out, s);
  return out;
}

std::string JsonNumber(double v) {
  std::string out;
  AppendJsonNumber(out, v);
  return out;
}

TEST(JsonWriter, EscapesQuotesBackslashesAndControlCharacters) {
  EXPECT_EQ(JsonString("a\"b\\c"), R"("a\"b\\c")");
  EXPECT_EQ(JsonString("line\nnext\ttab\r"), R"("line\nnext\ttab\r")");
  EXPECT_EQ(JsonString(std::string("\x01\x1f", 2)), R"("\u0001\u001f")");
}

TEST(JsonWriter, KeepsValidUtf8AndReplacesInvalidBytes) {
  EXPECT_EQ(JsonString("température €"), "\"température €\"");
  EXPECT_EQ(JsonString("\xF0\x9F\x98\x80"), "\"\xF0\x9F\x98\x80\"");
  // Truncated sequence, lone continuation byte, overlong '/', surrogate.
  for (std::string bad : {"\xC3", "\x80", "\xC0\xAF", "\xED\xA0\x80", "\xF5\x80\x80\x80"}) {
    std::string out = JsonString("a" + bad + "b");
    EXPECT_NO_THROW(json::parse(out)) << out;
    EXPECT_NE(out.find("\xEF\xBF\xBD"), std::string::npos) << out;
  }
}

TEST(JsonWriter, RendersNonFiniteNumbersAsNull) {
  EXPECT_EQ(JsonNumber(std::nan("")), "null");
  EXPECT_EQ(JsonNumber(std::numeric_limits<double>::infinity()), "null");
  EXPECT_EQ(JsonNumber(-std::numeric_limits<double>::infinity()), "null");
}

TEST(JsonWriter, RendersNumbersThatRoundTrip) {
  for (double v : {0.0, 1.0, -2.5, 0.1, 1e20, 1e-300, 123456789.123, 1.7976931348623157e308}) {
    EXPECT_EQ(json::parse(JsonNumber(v)).get<double>(), v) << JsonNumber(v);
  }
  EXPECT_EQ(JsonNumber(42), "42");
}

class TickJsonTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(tick_.Append("system_cpu_usage_percent", {{"cpu", "0"}}, 12.5).ok());
    ASSERT_TRUE(tick_.Append("system_cpu_usage_percent", {{"cpu", "1"}}, std::nan("")).ok());
    ASSERT_TRUE(tick_.Append("system_memory_used_bytes", {}, 1024).ok());
    ASSERT_TRUE(tick_.Append("net_bytes_total", {{"dev", "eth\"0\\"}}, 7).ok());
  }
  SeriesRegistry registry_;
  Tick tick_{registry_, 1700000000123};
};

TEST_F(TickJsonTest, RendersTimeAndEverySampleWithLabels) {
  json doc = json::parse(RenderTickJson(tick_));
  EXPECT_EQ(doc["time"], 1700000000123);
  ASSERT_EQ(doc["samples"].size(), 4u);
  EXPECT_EQ(doc["samples"][0], json::parse(R"({"metric":"system_cpu_usage_percent",
      "labels":{"cpu":"0"},"value":12.5})"));
  EXPECT_TRUE(doc["samples"][1]["value"].is_null());
  EXPECT_EQ(doc["samples"][2]["labels"], json::object());
  EXPECT_EQ(doc["samples"][3]["labels"]["dev"], "eth\"0\\");
}

TEST_F(TickJsonTest, KeepsOnlySamplesMatchingAPrefix) {
  std::vector<std::string> prefixes = {"system_cpu", "net_"};
  json doc = json::parse(RenderTickJson(tick_, prefixes));
  ASSERT_EQ(doc["samples"].size(), 3u);
  for (const json& s : doc["samples"]) {
    std::string name = s["metric"];
    EXPECT_TRUE(name.starts_with("system_cpu") || name.starts_with("net_")) << name;
  }
  std::vector<std::string> none = {"nothing_"};
  EXPECT_EQ(json::parse(RenderTickJson(tick_, none))["samples"].size(), 0u);
}

TEST_F(TickJsonTest, RendersAnEmptyTick) {
  Tick empty(registry_, 5);
  EXPECT_EQ(RenderTickJson(empty), R"({"time":5,"samples":[]})");
}

TEST_F(TickJsonTest, RendersHistoryWithPointsAndNullForNaN) {
  QueryRange range{.from_ms = 1000, .to_ms = 5000, .step_ms = 1000, .agg = Aggregation::kMax};
  std::vector<SeriesPoints> series = {{0, {{1000, 1.5}, {2000, std::nan("")}}}, {2, {{3000, 3}}}};
  json doc = json::parse(RenderHistoryJson("system_cpu_usage_percent", range, series, registry_));
  EXPECT_EQ(doc["metric"], "system_cpu_usage_percent");
  EXPECT_EQ(doc["from"], 1000);
  EXPECT_EQ(doc["to"], 5000);
  EXPECT_EQ(doc["step"], 1000);
  EXPECT_EQ(doc["agg"], "max");
  ASSERT_EQ(doc["series"].size(), 2u);
  EXPECT_EQ(doc["series"][0]["metric"], "system_cpu_usage_percent");
  EXPECT_EQ(doc["series"][0]["labels"]["cpu"], "0");
  EXPECT_EQ(doc["series"][0]["points"], json::parse("[[1000,1.5],[2000,null]]"));
  EXPECT_EQ(doc["series"][1]["metric"], "system_memory_used_bytes");
}

}  // namespace
}  // namespace perfwatch
