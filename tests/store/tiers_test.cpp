#include "store/tiers.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "model/tick.h"
#include "store/mem_store.h"

namespace perfwatch {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr int64_t kSecond = 1000;
constexpr TimestampMs kNow = 1'700'000'000'000;

bool SameDouble(double a, double b) { return (std::isnan(a) && std::isnan(b)) || a == b; }

TEST(RetentionConfig, DefaultsKeepRaw14DaysMinutes90DaysHours2YearsIn2GiB) {
  const RetentionConfig config;
  EXPECT_EQ(config.policy(Tier::kRaw).max_age_ms, 14 * kDayMs);
  EXPECT_EQ(config.policy(Tier::kMinute).max_age_ms, 90 * kDayMs);
  EXPECT_EQ(config.policy(Tier::kHour).max_age_ms, 730 * kDayMs);
  for (Tier tier : kAllTiers) EXPECT_EQ(config.policy(tier).max_bytes, 0u);
  EXPECT_EQ(config.max_disk_bytes, uint64_t{2} << 30);
  EXPECT_TRUE(ValidateRetention(config).ok());
}

TEST(RetentionConfig, ValidationRefusesANegativeAgeNamingTheTier) {
  RetentionConfig config;
  config.minute.max_age_ms = -1;
  const Status status = ValidateRetention(config);
  EXPECT_EQ(status.code(), Status::Code::kInvalidArgument);
  EXPECT_NE(status.message().find("1m"), std::string::npos) << status.message();
}

TEST(Tier, NamesAndResolutions) {
  EXPECT_EQ(ToString(Tier::kRaw), "raw");
  EXPECT_EQ(ToString(Tier::kMinute), "1m");
  EXPECT_EQ(ToString(Tier::kHour), "1h");
  EXPECT_EQ(TierResolutionMs(Tier::kRaw, 5000), 5000);
  EXPECT_EQ(TierResolutionMs(Tier::kMinute, 5000), 60'000);
  EXPECT_EQ(TierResolutionMs(Tier::kHour, 5000), 3'600'000);
}

struct TierCase {
  std::string what;
  int64_t step_ms;
  int64_t age_of_from_ms;  // from = kNow - age
  Tier want;
};

TEST(ChooseTier, PicksTheCoarsestTierThatServesTheStepAndStillHoldsTheStart) {
  const RetentionConfig config;
  const std::vector<TierCase> cases = {
      {"24 h at 1000 points (86.4 s)", 86'400, kDayMs, Tier::kMinute},
      {"30 days at 1 h", 3'600'000, 30 * kDayMs, Tier::kHour},
      {"10 min at 1 s", kSecond, 10 * 60'000, Tier::kRaw},
      {"raw samples of the last hour", 0, 3'600'000, Tier::kRaw},
      {"1 h at 30 s: minutes are too coarse", 30 * kSecond, 3'600'000, Tier::kRaw},
      {"step finer than the interval", 100, 60'000, Tier::kRaw},
      {"exactly one minute", 60'000, kDayMs, Tier::kMinute},
      {"just under an hour", 3'599'999, kDayMs, Tier::kMinute},
      {"exactly one hour", 3'600'000, kDayMs, Tier::kHour},
      {"a week at 1 day", kDayMs, 7 * kDayMs, Tier::kHour},
      {"1 s step, 20 days ago: raw expired", kSecond, 20 * kDayMs, Tier::kMinute},
      {"raw samples 20 days ago", 0, 20 * kDayMs, Tier::kMinute},
      {"raw kept exactly 14 days", kSecond, 14 * kDayMs, Tier::kRaw},
      {"1 min step, 100 days ago: minutes expired", 60'000, 100 * kDayMs, Tier::kHour},
      {"1 s step, 1 year ago", kSecond, 365 * kDayMs, Tier::kHour},
      {"3 years ago: nothing holds it", 3'600'000, 3 * 365 * kDayMs, Tier::kHour},
  };
  for (const TierCase& c : cases) {
    EXPECT_EQ(ChooseTier(c.step_ms, kSecond, kNow - c.age_of_from_ms, kNow, config), c.want)
        << c.what;
  }
}

TEST(ChooseTier, ATierWithoutAnAgeLimitHoldsEverything) {
  RetentionConfig config;
  config.raw.max_age_ms = 0;
  EXPECT_EQ(ChooseTier(kSecond, kSecond, kNow - 5 * 365 * kDayMs, kNow, config), Tier::kRaw);
}

TEST(ChooseTier, FollowsWhatTiersActuallyHoldWhenSizeCapsDeletedMore) {
  // Raw trimmed by size to the last 2 days; minutes hold 90 days.
  const TierHorizons held = {kNow - 2 * kDayMs, kNow - 90 * kDayMs, kNow - 700 * kDayMs};
  EXPECT_EQ(ChooseTier(kSecond, kSecond, kNow - kDayMs, held), Tier::kRaw);
  EXPECT_EQ(ChooseTier(kSecond, kSecond, kNow - 3 * kDayMs, held), Tier::kMinute);
  // An empty tier (INT64_MAX) is never chosen while another holds the start.
  const TierHorizons no_hours = {kNow - kDayMs, kNow - 90 * kDayMs,
                                 std::numeric_limits<TimestampMs>::max()};
  EXPECT_EQ(ChooseTier(3'600'000, kSecond, kNow - 10 * kDayMs, no_hours), Tier::kMinute);
}

TEST(ChooseTier, WithALongCollectionIntervalRawServesOnlyStepsAsLongAsIt) {
  const RetentionConfig config;
  // Raw every 10 s: a 5 s step still reads raw (nothing finer), a 2 min step minutes.
  EXPECT_EQ(ChooseTier(5 * kSecond, 10 * kSecond, kNow - 3'600'000, kNow, config), Tier::kRaw);
  EXPECT_EQ(ChooseTier(120 * kSecond, 10 * kSecond, kNow - 3'600'000, kNow, config), Tier::kMinute);
}

std::vector<RollupPoint> Points(int64_t width, TimestampMs start, int n) {
  std::vector<RollupPoint> out;
  for (int i = 0; i < n; ++i) {
    const double v = i;
    out.push_back(
        {.t = start + i * width, .min = v - 1, .max = v + 1, .sum = 2 * v, .count = 2, .last = v});
  }
  return out;
}

TEST(AnswerFromRollups, ThirtyDaysOfHoursAtAnHourStepGiveOneValuePerPoint) {
  const TimestampMs start = kNow / kHourMs * kHourMs - 30 * kDayMs;
  const std::vector<RollupPoint> hours = Points(kHourMs, start, 720);
  std::vector<Sample> out;
  AnswerFromRollups(hours, kHourMs,
                    {.from_ms = start,
                     .to_ms = start + 30 * kDayMs - 1,
                     .step_ms = kHourMs,
                     .agg = Aggregation::kMax},
                    &out);
  ASSERT_EQ(out.size(), 720u);
  for (size_t i = 0; i < out.size(); ++i) {
    EXPECT_EQ(out[i].t_ms, hours[i].t);
    EXPECT_EQ(out[i].value, hours[i].max);
  }
}

TEST(AnswerFromRollups, CombinesPointsOfAStepBucketWeightingAvgByCount) {
  std::vector<RollupPoint> minutes = {
      {.t = 0, .min = 1, .max = 1, .sum = 1, .count = 1, .last = 1},
      {.t = 60'000, .min = 3, .max = 5, .sum = 8, .count = 2, .last = 5},
      {.t = 120'000, .sum = 0, .count = 0, .last = kNaN},
      {.t = 300'000, .min = 7, .max = 7, .sum = 7, .count = 1, .last = 7},
  };
  auto answer = [&](Aggregation agg) {
    std::vector<Sample> out;
    AnswerFromRollups(minutes, kMinuteMs,
                      {.from_ms = 0, .to_ms = 400'000, .step_ms = 180'000, .agg = agg}, &out);
    return out;
  };
  const std::vector<Sample> avg = answer(Aggregation::kAvg);
  ASSERT_EQ(avg.size(), 2u);
  EXPECT_EQ(avg[0], (Sample{0, 3}));  // (1 + 8) / 3, not the mean of the two means
  EXPECT_EQ(avg[1], (Sample{180'000, 7}));
  EXPECT_EQ(answer(Aggregation::kMin)[0].value, 1);
  EXPECT_EQ(answer(Aggregation::kMax)[0].value, 5);
  EXPECT_TRUE(std::isnan(answer(Aggregation::kLast)[0].value));
}

TEST(AnswerFromRollups, TakesPointsOverlappingTheRangeAndStampsBucketStarts) {
  const std::vector<RollupPoint> minutes = Points(kMinuteMs, 0, 10);
  std::vector<Sample> out;
  // [90 s, 200 s] overlaps the minutes starting at 60 s, 120 s and 180 s.
  AnswerFromRollups(
      minutes, kMinuteMs,
      {.from_ms = 90'000, .to_ms = 200'000, .step_ms = kMinuteMs, .agg = Aggregation::kLast}, &out);
  EXPECT_EQ(out, (std::vector<Sample>{{60'000, 1}, {120'000, 2}, {180'000, 3}}));
}

TEST(AnswerFromRollups, AStepThatIsNoMultipleOfTheResolutionPutsEachPointWhereItStarts) {
  const std::vector<RollupPoint> minutes = Points(kMinuteMs, 0, 4);  // 0, 60, 120, 180 s
  std::vector<Sample> out;
  AnswerFromRollups(minutes, kMinuteMs,
                    {.from_ms = 0, .to_ms = 239'999, .step_ms = 86'400, .agg = Aggregation::kLast},
                    &out);
  // Buckets of 86.4 s: [0, 86.4) gets 0 and 60 s, [86.4, 172.8) 120 s, [172.8, ...) 180 s.
  EXPECT_EQ(out, (std::vector<Sample>{{0, 1}, {86'400, 2}, {172'800, 3}}));
}

TEST(AnswerFromRollups, AStepFinerThanTheResolutionYieldsOneValuePerPoint) {
  const std::vector<RollupPoint> minutes = Points(kMinuteMs, 0, 3);
  std::vector<Sample> out;
  AnswerFromRollups(minutes, kMinuteMs,
                    {.from_ms = 0, .to_ms = 1'000'000, .step_ms = 7'000, .agg = Aggregation::kAvg},
                    &out);
  EXPECT_EQ(out, (std::vector<Sample>{{0, 0}, {56'000, 1}, {119'000, 2}}));
  out.clear();
  AnswerFromRollups(minutes, kMinuteMs, {.from_ms = 0, .to_ms = 1'000'000}, &out);
  EXPECT_EQ(out, (std::vector<Sample>{{0, 0}, {60'000, 1}, {120'000, 2}}));
}

TEST(AnswerFromRollups, NothingInRangeAppendsNothing) {
  std::vector<Sample> out = {{1, 1}};
  AnswerFromRollups(Points(kMinuteMs, 0, 3), kMinuteMs, {.from_ms = 180'000, .to_ms = 500'000},
                    &out);
  AnswerFromRollups({}, kMinuteMs, {.from_ms = 0, .to_ms = 500'000}, &out);
  EXPECT_EQ(out.size(), 1u);
}

class TierAnswerAgreesWithMemStore : public ::testing::TestWithParam<Aggregation> {};

// Minute points answering 5-minute and 1-hour steps equal MemStore's answer
// from the raw samples they summarize.
TEST_P(TierAnswerAgreesWithMemStore, AtStepsThatAreWholeMinutes) {
  std::mt19937_64 rng(3);
  std::uniform_int_distribution<int> value(-1000, 1000);
  std::uniform_int_distribution<int> percent(0, 99);
  std::vector<Sample> samples;
  for (TimestampMs t = kNow; samples.size() < 30'000; t += percent(rng) < 2 ? 400'000 : 1000) {
    samples.push_back({t, percent(rng) < 5 ? kNaN : value(rng)});
  }
  SeriesRegistry registry;
  MemStore store({.retention_ms = 365 * kDayMs, .max_points_per_query = 1'000'000});
  for (const Sample& s : samples) {
    Tick tick(registry, s.t_ms);
    ASSERT_TRUE(tick.Append("m", {}, s.value).ok());
    ASSERT_TRUE(store.Commit(tick).ok());
  }
  const std::vector<RollupPoint> minutes = RollUp(samples, kMinuteMs);
  for (int64_t step : {5 * kMinuteMs, kHourMs}) {
    // Whole minutes, so no minute point lies partly outside the range.
    const QueryRange range{.from_ms = AlignDown(kNow, kMinuteMs) + kMinuteMs,
                           .to_ms = AlignDown(samples.back().t_ms, kMinuteMs) - 1,
                           .step_ms = step,
                           .agg = GetParam()};
    Result<std::vector<SeriesPoints>> want = store.Query({0}, range);
    ASSERT_TRUE(want.ok()) << want.status().ToString();
    std::vector<Sample> got;
    AnswerFromRollups(minutes, kMinuteMs, range, &got);
    ASSERT_EQ(got.size(), (*want)[0].points.size()) << "step " << step;
    for (size_t i = 0; i < got.size(); ++i) {
      const Sample& w = (*want)[0].points[i];
      EXPECT_EQ(got[i].t_ms, w.t_ms);
      // Sums over minutes round differently from sums over samples.
      if (GetParam() == Aggregation::kAvg && !std::isnan(w.value)) {
        EXPECT_NEAR(got[i].value, w.value, 1e-9) << "step " << step << " bucket " << w.t_ms;
      } else {
        EXPECT_TRUE(SameDouble(got[i].value, w.value)) << "step " << step << " bucket " << w.t_ms;
      }
    }
  }
}

INSTANTIATE_TEST_SUITE_P(EveryAggregation, TierAnswerAgreesWithMemStore,
                         ::testing::Values(Aggregation::kAvg, Aggregation::kMin, Aggregation::kMax,
                                           Aggregation::kLast));

}  // namespace
}  // namespace perfwatch
