#pragma once
// Retention planning: given every stored block and the RetentionConfig,
// which blocks to delete, and why. Pure: the block store lists its blocks,
// applies the plan and logs its summary. Thread-safe.
//
// Order of deletion, each pass oldest first (by the block's newest data):
//  1. age: in each tier, blocks whose newest data is older than
//     now - max_age_ms;
//  2. tier size: in each tier with max_bytes, until the tier fits it;
//  3. disk cap: over all tiers until the total fits max_disk_bytes, next the
//     block that has used the largest fraction of its tier's age limit
//     (age of its newest data / max_age_ms; a tier without an age limit
//     weighs by its default one), raw first on ties. See tiers.h for why.
// After the plan, total bytes <= max_disk_bytes and each tier's bytes <= its
// max_bytes. Running it after each block write keeps disk use within the cap
// plus the one block being written. Cost: a sort of each tier's blocks (1M
// blocks take about 0.3 s, 10k about 1 ms), so a store with many blocks
// plans only when its running total passes a cap or its oldest block of a
// tier passes that tier's age.

#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "model/byte_size.h"  // ParseByteSize, used with retention settings
#include "model/sample.h"
#include "model/status.h"
#include "store/tiers.h"

namespace perfwatch {

struct BlockInfo {
  int64_t series = 0;
  Tier tier = Tier::kRaw;
  TimestampMs start_ms = 0;  // oldest data in the block
  TimestampMs end_ms = 0;    // newest data in the block
  uint64_t bytes = 0;
  uint64_t samples = 0;  // samples or points held; 0 when unknown
};

enum class RetentionReason { kAge = 0, kTierSize = 1, kDiskCap = 2 };
inline constexpr size_t kRetentionReasonCount = 3;

std::string_view ToString(RetentionReason reason);  // "age", "tier size", "disk cap"

struct RetentionTotals {
  uint64_t blocks = 0;
  uint64_t bytes = 0;
  uint64_t samples = 0;  // of blocks that knew theirs
};

struct RetentionPlan {
  struct Deletion {
    size_t block = 0;  // index into PlanRetention's input
    RetentionReason reason = RetentionReason::kAge;
  };
  std::vector<Deletion> deletions;  // in the order chosen
  // removed[tier][reason] and kept[tier], indexed by the enums' values.
  std::array<std::array<RetentionTotals, kRetentionReasonCount>, kTierCount> removed{};
  std::array<RetentionTotals, kTierCount> kept{};
  uint64_t bytes_before = 0;
  uint64_t bytes_after = 0;

  bool empty() const { return deletions.empty(); }
  RetentionTotals Removed(Tier tier) const;  // over all reasons
  // For the cleanup log line, e.g. "removed 3 blocks (1.5MiB): raw 2 blocks
  // 1.0MiB by age, 1h 1 block 512KiB by disk cap; 1.9GiB kept".
  std::string Summary() const;
};

RetentionPlan PlanRetention(std::span<const BlockInfo> blocks, const RetentionConfig& config,
                            TimestampMs now);

}  // namespace perfwatch
