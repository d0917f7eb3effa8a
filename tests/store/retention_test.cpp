#include "store/retention.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <set>
#include <string>
#include <vector>

namespace perfwatch {
namespace {

constexpr TimestampMs kNow = 1'700'000'000'000;

// A block of `tier` whose newest data is `age_days` old, spanning 1 hour.
BlockInfo Block(Tier tier, double age_days, uint64_t bytes, int64_t series = 0) {
  const TimestampMs end = kNow - static_cast<int64_t>(age_days * kDayMs);
  return {.series = series,
          .tier = tier,
          .start_ms = end - kHourMs,
          .end_ms = end,
          .bytes = bytes,
          .samples = bytes / 2};
}

std::set<size_t> Deleted(const RetentionPlan& plan) {
  std::set<size_t> out;
  for (const auto& d : plan.deletions) out.insert(d.block);
  return out;
}

RetentionConfig Unlimited() {
  RetentionConfig config;
  config.max_disk_bytes = 0;
  return config;
}

TEST(PlanRetention, NoBlocksPlanNothing) {
  const RetentionPlan plan = PlanRetention({}, RetentionConfig{}, kNow);
  EXPECT_TRUE(plan.empty());
  EXPECT_EQ(plan.bytes_before, 0u);
  EXPECT_EQ(plan.bytes_after, 0u);
  EXPECT_EQ(plan.Summary(), "removed 0 blocks (0B); 0B kept");
}

TEST(PlanRetention, DeletesBlocksPastTheirTiersAgeAndNothingElse) {
  const std::vector<BlockInfo> blocks = {
      Block(Tier::kRaw, 15, 100),     // 0: past 14 days
      Block(Tier::kRaw, 13, 100),     // 1
      Block(Tier::kMinute, 15, 100),  // 2: minutes keep 90 days
      Block(Tier::kMinute, 91, 100),  // 3
      Block(Tier::kHour, 729, 100),   // 4
      Block(Tier::kHour, 731, 100),   // 5
  };
  const RetentionPlan plan = PlanRetention(blocks, RetentionConfig{}, kNow);
  EXPECT_EQ(Deleted(plan), (std::set<size_t>{0, 3, 5}));
  for (const auto& d : plan.deletions) EXPECT_EQ(d.reason, RetentionReason::kAge);
  EXPECT_EQ(plan.Removed(Tier::kRaw).blocks, 1u);
  EXPECT_EQ(plan.Removed(Tier::kRaw).samples, 50u);
  EXPECT_EQ(plan.kept[static_cast<size_t>(Tier::kMinute)].bytes, 100u);
  EXPECT_EQ(plan.bytes_before, 600u);
  EXPECT_EQ(plan.bytes_after, 300u);
}

TEST(PlanRetention, ABlockIsExpiredOnlyWhenItsNewestDataIs) {
  RetentionConfig config = Unlimited();
  BlockInfo straddling = Block(Tier::kRaw, 0, 10);
  straddling.start_ms = kNow - 20 * kDayMs;
  BlockInfo at_cutoff = Block(Tier::kRaw, 14, 10);
  EXPECT_TRUE(PlanRetention(std::vector{straddling, at_cutoff}, config, kNow).empty());
}

TEST(PlanRetention, ZeroAgeMeansNoAgeLimit) {
  RetentionConfig config = Unlimited();
  config.raw.max_age_ms = 0;
  EXPECT_TRUE(PlanRetention(std::vector{Block(Tier::kRaw, 5000, 1)}, config, kNow).empty());
}

TEST(PlanRetention, DeletesATiersOldestBlocksUntilItFitsItsOwnCap) {
  RetentionConfig config = Unlimited();
  config.minute.max_bytes = 250;
  const std::vector<BlockInfo> blocks = {
      Block(Tier::kMinute, 1, 100, 1),  // 0
      Block(Tier::kMinute, 3, 100, 2),  // 1
      Block(Tier::kMinute, 2, 100, 3),  // 2
      Block(Tier::kMinute, 4, 100, 4),  // 3
      Block(Tier::kRaw, 10, 1000),      // 4: other tiers are not affected
  };
  const RetentionPlan plan = PlanRetention(blocks, config, kNow);
  ASSERT_EQ(plan.deletions.size(), 2u);
  EXPECT_EQ(plan.deletions[0].block, 3u);
  EXPECT_EQ(plan.deletions[1].block, 1u);
  EXPECT_EQ(plan.deletions[0].reason, RetentionReason::kTierSize);
  EXPECT_EQ(plan.kept[static_cast<size_t>(Tier::kMinute)].bytes, 200u);
}

TEST(PlanRetention, AgeGoesFirstThenTheTierCap) {
  RetentionConfig config = Unlimited();
  config.raw.max_bytes = 100;
  const std::vector<BlockInfo> blocks = {Block(Tier::kRaw, 20, 100), Block(Tier::kRaw, 2, 100),
                                         Block(Tier::kRaw, 1, 100)};
  const RetentionPlan plan = PlanRetention(blocks, config, kNow);
  ASSERT_EQ(plan.deletions.size(), 2u);
  EXPECT_EQ(plan.deletions[0].block, 0u);
  EXPECT_EQ(plan.deletions[0].reason, RetentionReason::kAge);
  EXPECT_EQ(plan.deletions[1].block, 1u);
  EXPECT_EQ(plan.deletions[1].reason, RetentionReason::kTierSize);
}

TEST(PlanRetention, ExactlyAtTheCapDeletesNothing) {
  RetentionConfig config;
  config.max_disk_bytes = 300;
  config.raw.max_bytes = 200;
  const std::vector<BlockInfo> blocks = {Block(Tier::kRaw, 1, 100), Block(Tier::kRaw, 2, 100),
                                         Block(Tier::kHour, 300, 100)};
  EXPECT_TRUE(PlanRetention(blocks, config, kNow).empty());
  config.max_disk_bytes = 299;
  const RetentionPlan plan = PlanRetention(blocks, config, kNow);
  ASSERT_EQ(plan.deletions.size(), 1u);
  EXPECT_EQ(plan.deletions[0].reason, RetentionReason::kDiskCap);
  EXPECT_EQ(plan.bytes_after, 200u);
}

TEST(PlanRetention, TheDiskCapShrinksEveryTierToTheSameFractionOfItsAgeLimit) {
  RetentionConfig config;
  // One block per day of each tier's configured history, each of 1 byte.
  std::vector<BlockInfo> blocks;
  for (int d = 0; d < 14; ++d) blocks.push_back(Block(Tier::kRaw, d, 1));
  for (int d = 0; d < 90; ++d) blocks.push_back(Block(Tier::kMinute, d, 1));
  for (int d = 0; d < 730; ++d) blocks.push_back(Block(Tier::kHour, d, 1));
  config.max_disk_bytes = blocks.size() / 2;
  const RetentionPlan plan = PlanRetention(blocks, config, kNow);
  EXPECT_EQ(plan.bytes_after, config.max_disk_bytes);
  // About half of each tier's days remain.
  EXPECT_NEAR(plan.kept[0].blocks, 7, 1);
  EXPECT_NEAR(plan.kept[1].blocks, 45, 1);
  EXPECT_NEAR(plan.kept[2].blocks, 365, 1);
}

TEST(PlanRetention, UnderTheDiskCapRawGoesBeforeRollupsOfTheSameTime) {
  RetentionConfig config;
  config.max_disk_bytes = 200;
  const std::vector<BlockInfo> blocks = {Block(Tier::kHour, 5, 100), Block(Tier::kMinute, 5, 100),
                                         Block(Tier::kRaw, 5, 100)};
  const RetentionPlan plan = PlanRetention(blocks, config, kNow);
  ASSERT_EQ(plan.deletions.size(), 1u);
  EXPECT_EQ(plan.deletions[0].block, 2u);
  EXPECT_EQ(plan.removed[0][static_cast<size_t>(RetentionReason::kDiskCap)].bytes, 100u);
}

TEST(PlanRetention, WithEqualAgeLimitsTheDiskCapDropsRawThenMinutesThenHoursOfTheSameTime) {
  RetentionConfig config;
  for (TierPolicy* p : {&config.raw, &config.minute, &config.hour}) p->max_age_ms = 30 * kDayMs;
  config.max_disk_bytes = 100;
  const std::vector<BlockInfo> blocks = {Block(Tier::kHour, 5, 100), Block(Tier::kMinute, 5, 100),
                                         Block(Tier::kRaw, 5, 100)};
  const RetentionPlan plan = PlanRetention(blocks, config, kNow);
  ASSERT_EQ(plan.deletions.size(), 2u);
  EXPECT_EQ(plan.deletions[0].block, 2u);
  EXPECT_EQ(plan.deletions[1].block, 1u);
}

TEST(PlanRetention, MixesAllThreeReasonsAndSummarizesThem) {
  RetentionConfig config;
  config.hour.max_bytes = 1024;
  config.max_disk_bytes = 3 * 1024;
  const std::vector<BlockInfo> blocks = {
      Block(Tier::kRaw, 30, 1024),    // 0: age
      Block(Tier::kRaw, 10, 1024),    // 1: disk cap (10/14 of raw's age limit)
      Block(Tier::kRaw, 1, 1024),     // 2
      Block(Tier::kMinute, 1, 1024),  // 3
      Block(Tier::kHour, 400, 512),   // 4: tier size
      Block(Tier::kHour, 100, 1024),  // 5
  };
  const RetentionPlan plan = PlanRetention(blocks, config, kNow);
  ASSERT_EQ(plan.deletions.size(), 3u);
  EXPECT_EQ(plan.deletions[0].block, 0u);
  EXPECT_EQ(plan.deletions[1].block, 4u);
  EXPECT_EQ(plan.deletions[1].reason, RetentionReason::kTierSize);
  EXPECT_EQ(plan.deletions[2].block, 1u);
  EXPECT_EQ(plan.deletions[2].reason, RetentionReason::kDiskCap);
  EXPECT_EQ(plan.bytes_after, 3u * 1024);
  EXPECT_EQ(plan.Summary(),
            "removed 3 blocks (2.5KiB): raw 1 block 1.0KiB by age, raw 1 block 1.0KiB by disk "
            "cap, 1h 1 block 512B by tier size; 3.0KiB kept");
}

// Random block sets: after the plan the total fits the cap, each tier its
// own cap, and within a tier no kept block is older than a deleted one.
TEST(PlanRetention, RandomBlockSetsEndWithinTheCapsOldestFirstPerTier) {
  std::mt19937_64 rng(17);
  std::uniform_int_distribution<int> tier_of(0, 2);
  std::uniform_int_distribution<int64_t> age(-kDayMs, 1000 * kDayMs);
  std::uniform_int_distribution<uint64_t> bytes(0, 1 << 20);
  for (int round = 0; round < 300; ++round) {
    std::vector<BlockInfo> blocks(rng() % 400);
    uint64_t total = 0;
    for (BlockInfo& b : blocks) {
      b.series = static_cast<int64_t>(rng() % 10);
      b.tier = static_cast<Tier>(tier_of(rng));
      b.end_ms = kNow - age(rng);
      b.start_ms = b.end_ms - static_cast<int64_t>(rng() % kDayMs);
      b.bytes = bytes(rng);
      total += b.bytes;
    }
    RetentionConfig config;
    config.max_disk_bytes = total == 0 ? 0 : rng() % (total + total / 2);
    for (TierPolicy* p : {&config.raw, &config.minute, &config.hour}) {
      if (rng() % 3 == 0) p->max_bytes = rng() % (total / 2 + 1);
      if (rng() % 4 == 0) p->max_age_ms = static_cast<int64_t>(rng() % (500 * kDayMs));
    }
    const RetentionPlan plan = PlanRetention(blocks, config, kNow);
    const std::set<size_t> deleted = Deleted(plan);
    ASSERT_EQ(deleted.size(), plan.deletions.size()) << "a block deleted twice";

    std::array<uint64_t, kTierCount> kept_bytes{};
    uint64_t kept_total = 0;
    for (size_t i = 0; i < blocks.size(); ++i) {
      if (deleted.count(i)) continue;
      kept_bytes[static_cast<size_t>(blocks[i].tier)] += blocks[i].bytes;
      kept_total += blocks[i].bytes;
    }
    EXPECT_EQ(plan.bytes_after, kept_total);
    if (config.max_disk_bytes > 0) {
      EXPECT_LE(kept_total, config.max_disk_bytes);
    }
    for (Tier tier : kAllTiers) {
      const TierPolicy& p = config.policy(tier);
      const size_t t = static_cast<size_t>(tier);
      if (p.max_bytes > 0) {
        EXPECT_LE(kept_bytes[t], p.max_bytes);
      }
      EXPECT_EQ(plan.kept[t].bytes, kept_bytes[t]);
      TimestampMs newest_deleted = std::numeric_limits<TimestampMs>::min();
      TimestampMs oldest_kept = std::numeric_limits<TimestampMs>::max();
      for (size_t i = 0; i < blocks.size(); ++i) {
        if (blocks[i].tier != tier) continue;
        if (deleted.count(i)) {
          newest_deleted = std::max(newest_deleted, blocks[i].end_ms);
        } else {
          oldest_kept = std::min(oldest_kept, blocks[i].end_ms);
          if (p.max_age_ms > 0) {
            EXPECT_GE(blocks[i].end_ms, kNow - p.max_age_ms);
          }
        }
      }
      EXPECT_LE(newest_deleted, oldest_kept) << "tier " << ToString(tier) << " round " << round;
    }
  }
}

TEST(ParseByteSize, ReadsUnitsOfBothKindsAndPlainBytes) {
  const std::vector<std::pair<std::string, uint64_t>> cases = {
      {"0", 0},
      {"1048576", 1048576},
      {"512B", 512},
      {"2GiB", uint64_t{2} << 30},
      {"2gib", uint64_t{2} << 30},
      {"2 GiB", uint64_t{2} << 30},
      {"500MB", 500'000'000},
      {"500mb", 500'000'000},
      {"1.5G", uint64_t{3} << 29},
      {"1.5GB", 1'500'000'000},
      {"10K", 10240},
      {"10KB", 10'000},
      {"64KiB", 65536},
      {"3M", 3 << 20},
      {"1TiB", uint64_t{1} << 40},
      {"2TB", 2'000'000'000'000},
      {"0.5KiB", 512},
      {"1.25KB", 1250},
      {"18446744073709551615", 18446744073709551615u},
  };
  for (const auto& [text, want] : cases) {
    Result<uint64_t> got = ParseByteSize(text);
    ASSERT_TRUE(got.ok()) << text << ": " << got.status().ToString();
    EXPECT_EQ(*got, want) << text;
  }
}

TEST(ParseByteSize, ErrorsNameTheText) {
  for (std::string text :
       {"", "GiB", "-1G", "2XB", "2 ", "2  GiB", "1.2.3M", ".5G", "5.G", "nan", "inf", "1e3", " 2G",
        "20000000000T", "18446744073709551616", "99999999999.9TiB"}) {
    Result<uint64_t> got = ParseByteSize(text);
    ASSERT_FALSE(got.ok()) << "\"" << text << "\" parsed as " << got.value();
    EXPECT_EQ(got.status().code(), Status::Code::kInvalidArgument);
    EXPECT_NE(got.status().message().find("\"" + text + "\""), std::string::npos)
        << got.status().message();
  }
}

TEST(FormatByteSize, WritesTheShortestExactSpellingThatReadsBack) {
  EXPECT_EQ(FormatByteSize(0), "0B");
  EXPECT_EQ(FormatByteSize(1500), "1500B");
  EXPECT_EQ(FormatByteSize(uint64_t{2} << 30), "2GiB");
  EXPECT_EQ(FormatByteSize(500'000'000), "500MB");
  EXPECT_EQ(FormatByteSize(1024), "1KiB");
  std::mt19937_64 rng(1);
  for (int i = 0; i < 1000; ++i) {
    const uint64_t n = i % 2 ? rng() : (rng() % 4096) << (rng() % 40);
    Result<uint64_t> back = ParseByteSize(FormatByteSize(n));
    ASSERT_TRUE(back.ok()) << FormatByteSize(n);
    EXPECT_EQ(*back, n) << FormatByteSize(n);
  }
}

}  // namespace
}  // namespace perfwatch
