#include "analysis/status_class.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "model/registry.h"
#include "model/tick.h"

namespace perfwatch {
namespace {

using ::testing::HasSubstr;

struct Reading {
  std::string metric;
  Labels labels;
  double value;
};

class StatusClassTest : public ::testing::Test {
 protected:
  Tick MakeTick(const std::vector<Reading>& readings, TimestampMs t = 1000) {
    Tick tick(registry_, t);
    for (const Reading& r : readings) EXPECT_TRUE(tick.Append(r.metric, r.labels, r.value).ok());
    return tick;
  }
  StatusReport Classify(const std::vector<Reading>& readings) {
    StatusClassifier classifier{StatusOptions{}};
    return classifier.Classify(MakeTick(readings));
  }
  SeriesRegistry registry_;
};

Reading Cpu(double v) { return {"system_cpu_usage_percent", Labels(), v}; }
Reading Mem(double v) { return {"system_memory_used_percent", Labels(), v}; }
Reading Resp(std::string app, double v) {
  return {"app_response_time_avg_seconds", Labels{{"app", app}}, v / 1000};
}
Reading Errors(std::string app, double v) {
  return {"app_error_rate_percent", Labels{{"app", app}}, v};
}
Reading Cache(std::string app, double v) {
  return {"app_cache_hit_rate_percent", Labels{{"app", app}}, v};
}

struct TableCase {
  std::vector<Reading> readings;
  StatusClass want;
};

TEST_F(StatusClassTest, ClassifiesSeedTableIncludingBoundaries) {
  const std::vector<TableCase> cases = {
      {{Cpu(10), Mem(20)}, StatusClass::kExcellent},
      {{Cpu(29.9), Mem(39.9)}, StatusClass::kExcellent},
      {{Cpu(30), Mem(20)}, StatusClass::kGood},  // 30 is not < 30
      {{Cpu(10), Mem(60)}, StatusClass::kGood},  // 60 is not > 60
      {{Cpu(10), Mem(60.01)}, StatusClass::kFair},
      {{Cpu(50.5), Mem(20)}, StatusClass::kFair},
      {{Cpu(70), Mem(20)}, StatusClass::kFair},  // 70 is not > 70
      {{Cpu(70.1), Mem(20)}, StatusClass::kPoor},
      {{Cpu(10), Mem(95)}, StatusClass::kPoor},  // 95 is not > 95
      {{Cpu(10), Mem(95.1)}, StatusClass::kCritical},
      {{Cpu(90.5), Mem(10)}, StatusClass::kCritical},
      {{Cpu(10), Mem(10), Resp("api", 150)}, StatusClass::kExcellent},
      {{Cpu(10), Mem(10), Resp("api", 600)}, StatusClass::kFair},
      {{Cpu(10), Mem(10), Resp("api", 5001)}, StatusClass::kCritical},
      {{Cpu(10), Mem(10), Errors("api", 20.5)}, StatusClass::kCritical},
      {{Cpu(10), Mem(10), Errors("api", 0.5), Cache("api", 95)}, StatusClass::kExcellent},
      {{Cpu(10), Mem(10), Cache("api", 90)}, StatusClass::kGood},  // not > 90
      {{Cpu(10), Mem(10), Cache("api", 65)}, StatusClass::kFair},
      {{Cpu(10), Mem(10), Cache("api", 29)}, StatusClass::kCritical},
      {{Cpu(10), Mem(10), Resp("a", 100), Resp("b", 1200)}, StatusClass::kPoor},
  };
  for (size_t i = 0; i < cases.size(); ++i) {
    EXPECT_EQ(Classify(cases[i].readings).status, cases[i].want) << "case " << i;
  }
}

TEST_F(StatusClassTest, MissingMetricsAreIgnored) {
  EXPECT_EQ(Classify({Mem(20)}).status, StatusClass::kExcellent);
  EXPECT_EQ(Classify({Resp("api", 700)}).status, StatusClass::kFair);
  // Nothing classifiable: Good, not Excellent.
  StatusReport none = Classify({{"system_load1", Labels(), 3}});
  EXPECT_EQ(none.status, StatusClass::kGood);
  EXPECT_TRUE(none.reasons.empty());
}

TEST_F(StatusClassTest, PerCoreCpuAndNaNDoNotCount) {
  StatusReport r = Classify({{"system_cpu_usage_percent", Labels{{"cpu", "3"}}, 99},
                             Mem(std::numeric_limits<double>::quiet_NaN()),
                             Cpu(12)});
  EXPECT_EQ(r.status, StatusClass::kExcellent);
  ASSERT_EQ(r.reasons.size(), 1u);
  EXPECT_EQ(r.reasons[0].metric, "system_cpu_usage_percent");
}

TEST_F(StatusClassTest, ReasonsListWorstFirstWithText) {
  StatusReport r = Classify({Cpu(55), Mem(96.24), Resp("api", 300), Cache("web", 50)});
  EXPECT_EQ(r.status, StatusClass::kCritical);
  ASSERT_EQ(r.reasons.size(), 4u);
  EXPECT_EQ(r.reasons[0].text, "memory 96.2% > 95% (critical)");
  EXPECT_EQ(r.reasons[0].bound, 95);
  EXPECT_EQ(r.reasons[1].text, "cache hit rate (web) 50.0% < 60% (poor)");
  EXPECT_EQ(r.reasons[1].labels.Get("app"), "web");
  EXPECT_EQ(r.reasons[2].implies, StatusClass::kFair);
  EXPECT_EQ(r.reasons[3].text, "response time (api) 300 ms >= 200 ms (good)");
}

TEST_F(StatusClassTest, ExcellentListsEveryMetric) {
  StatusReport r = Classify({Cpu(5), Mem(12)});
  ASSERT_EQ(r.reasons.size(), 2u);
  EXPECT_EQ(r.reasons[0].text, "cpu 5.0% < 30% (excellent)");
}

TEST_F(StatusClassTest, BoundsAreConfigurable) {
  StatusOptions options;
  options.poor.memory_percent = 50;
  options.fair.memory_percent = 45;
  StatusClassifier classifier(options);
  EXPECT_EQ(classifier.Classify(MakeTick({Mem(55)})).status, StatusClass::kPoor);
}

TEST_F(StatusClassTest, ScoreFallsMonotonicallyAndMatchesClassBands) {
  EXPECT_EQ(Classify({Cpu(0), Mem(0)}).score, 100);
  int previous = 101;
  for (double v = 0; v <= 100; v += 0.5) {
    int score = Classify({Mem(v)}).score;
    EXPECT_LE(score, previous) << "memory " << v;
    previous = score;
  }
  EXPECT_EQ(previous, 0);
  EXPECT_EQ(Classify({Mem(40)}).score, 80);
  EXPECT_EQ(Classify({Mem(60)}).score, 60);
  EXPECT_EQ(Classify({Mem(80)}).score, 40);
  EXPECT_EQ(Classify({Mem(95)}).score, 20);
  EXPECT_EQ(Classify({Mem(50)}).score, 70);  // halfway between 40 and 60
  // The worst metric decides; a lower hit rate scores lower.
  EXPECT_EQ(Classify({Mem(10), Cache("api", 60)}).score, 40);
  EXPECT_LT(Classify({Cache("api", 50)}).score, Classify({Cache("api", 80)}).score);
  EXPECT_EQ(Classify({Resp("api", 10000)}).score, 0);
}

TEST_F(StatusClassTest, PoorStreakCountsConsecutivePoorOrWorse) {
  StatusClassifier classifier{StatusOptions{}};
  EXPECT_EQ(classifier.Classify(MakeTick({Mem(85)})).poor_streak, 1u);
  EXPECT_EQ(classifier.Classify(MakeTick({Mem(99)})).poor_streak, 2u);
  EXPECT_EQ(classifier.Classify(MakeTick({Mem(81)})).poor_streak, 3u);
  EXPECT_EQ(classifier.Classify(MakeTick({Mem(70)})).poor_streak, 0u);
  EXPECT_EQ(classifier.Classify(MakeTick({Mem(90)})).poor_streak, 1u);
}

TEST(StatusDegraded, OnlyWorseAndAtLeastFair) {
  EXPECT_TRUE(Degraded(StatusClass::kGood, StatusClass::kFair));
  EXPECT_TRUE(Degraded(StatusClass::kExcellent, StatusClass::kCritical));
  EXPECT_FALSE(Degraded(StatusClass::kExcellent, StatusClass::kGood));
  EXPECT_FALSE(Degraded(StatusClass::kPoor, StatusClass::kFair));
  EXPECT_FALSE(Degraded(StatusClass::kPoor, StatusClass::kPoor));
}

TEST(StatusNames, NamesAndSeedColours) {
  EXPECT_EQ(StatusClassName(StatusClass::kExcellent), "Excellent");
  EXPECT_EQ(StatusColorName(StatusClass::kExcellent), "green");
  EXPECT_EQ(StatusColorName(StatusClass::kGood), "blue");
  EXPECT_EQ(StatusColorName(StatusClass::kFair), "yellow");
  EXPECT_EQ(StatusColorName(StatusClass::kPoor), "orange");
  EXPECT_EQ(StatusColorName(StatusClass::kCritical), "red");
}

TEST_F(StatusClassTest, AppendsStatusMetricsWithHelp) {
  StatusClassifier classifier{StatusOptions{}};
  Tick in = MakeTick({Mem(85)});
  StatusReport report = classifier.Classify(in);
  Tick out(registry_, 2000);
  AppendStatusMetrics(report, out);
  std::map<std::string, double> got;
  for (const auto& [id, v] : out.samples()) got[registry_.Key(id).name] = v;
  EXPECT_EQ(got["perfwatch_status"], 3);
  EXPECT_EQ(got["perfwatch_status_score"], report.score);
  EXPECT_EQ(got["perfwatch_status_poor_streak"], 1);
  auto meta = registry_.Meta("perfwatch_status");
  ASSERT_TRUE(meta.has_value());
  EXPECT_THAT(meta->help, HasSubstr("3 Poor"));
}

TEST_F(StatusClassTest, JsonCarriesClassScoreColourAndReasons) {
  StatusReport report = Classify({Mem(65)});
  nlohmann::json j = nlohmann::json::parse(StatusJson(report));
  EXPECT_EQ(j["status"], "Fair");
  EXPECT_EQ(j["class"], 2);
  EXPECT_EQ(j["color"], "yellow");
  EXPECT_EQ(j["score"], report.score);
  EXPECT_EQ(j["time"], 1000);
  ASSERT_EQ(j["reasons"].size(), 1u);
  EXPECT_EQ(j["reasons"][0]["metric"], "system_memory_used_percent");
  EXPECT_EQ(j["reasons"][0]["class"], "Fair");
  EXPECT_EQ(j["reasons"][0]["labels"], nlohmann::json::object());
}

}  // namespace
}  // namespace perfwatch
