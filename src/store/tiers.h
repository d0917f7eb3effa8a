#pragma once
// Storage tiers: raw samples, 1-minute and 1-hour rollups, each with its own
// retention; which tier answers a query; answering it from rollup points.
// Pure functions and value types; thread-safe.
//
// Disk cap rule (RetentionConfig::max_disk_bytes, `--max-disk`): a hard
// total over all tiers, not split into fixed shares. Each tier may also have
// its own size cap; absent that, tiers share the total: when it is exceeded,
// the block deleted next is the one that has used up the largest fraction of
// its tier's age limit (age / max_age). Under pressure every tier so keeps
// the same fraction of its configured history (1-hour still reaches about 52
// times further back than raw), no disk is set aside unused, and of data of
// the same time raw goes first, its rollups summarizing it. See retention.h.

#include <array>
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "model/sample.h"
#include "model/status.h"
#include "store/rollup.h"
#include "store/store.h"

namespace perfwatch {

enum class Tier { kRaw = 0, kMinute = 1, kHour = 2 };
inline constexpr size_t kTierCount = 3;
inline constexpr std::array<Tier, kTierCount> kAllTiers = {Tier::kRaw, Tier::kMinute, Tier::kHour};

inline constexpr int64_t kMinuteMs = 60'000;
inline constexpr int64_t kHourMs = 3'600'000;
inline constexpr int64_t kDayMs = 86'400'000;
inline constexpr uint64_t kGiB = uint64_t{1} << 30;

std::string_view ToString(Tier tier);  // "raw", "1m", "1h"

// Width of one point of the tier; raw's is the collection interval.
int64_t TierResolutionMs(Tier tier, int64_t raw_interval_ms);

struct TierPolicy {
  // Blocks whose newest data is older than now - max_age_ms are deleted.
  // 0: no age limit.
  int64_t max_age_ms = 0;
  // This tier's own size cap in bytes, its oldest blocks deleted first.
  // 0: no cap of its own; only the shared max_disk_bytes applies.
  uint64_t max_bytes = 0;
};

struct RetentionConfig {
  TierPolicy raw{.max_age_ms = 14 * kDayMs};        // 14 days of raw samples
  TierPolicy minute{.max_age_ms = 90 * kDayMs};     // 90 days of 1-minute points
  TierPolicy hour{.max_age_ms = 2 * 365 * kDayMs};  // 2 years (730 days) of 1-hour points
  // Total bytes of blocks over all tiers (`--max-disk`); 0: no total cap.
  uint64_t max_disk_bytes = 2 * kGiB;

  const TierPolicy& policy(Tier tier) const;
};

// Negative ages are refused; the message names the tier.
Status ValidateRetention(const RetentionConfig& config);

// How sealed history is cut into blocks. The raw and 1-minute tiers get one
// block per series per window; the 1-hour tier one per day, rewritten as
// the day fills. A database keeps the layout it was created with (the meta
// table records it), so blocks of one tier never overlap.
//
// Why 2 hours: a block costs about 50 bytes before its first sample (SQLite
// row, index entry, zstd frame, column headers) and zstd finds more to share
// in a longer window; 7,200-sample blocks are 6 % smaller on disk than
// 3,600-sample ones (docs/FORMATS.md, "Blocks on disk"). Longer windows keep
// more in memory and in the WAL before a seal.
struct BlockLayout {
  int64_t window_ms = 2 * kHourMs;
  int64_t hour_block_ms = kDayMs;
};
// The window must be a whole number of minutes (a 1-minute point never
// straddles two blocks) that divides the hour block; the hour block a whole
// number of hours. The message names `storage.block_duration`.
Status ValidateBlockLayout(const BlockLayout& layout);

// The oldest time each tier can still hold data for, by age limit alone
// (INT64_MIN for a tier without one), indexed by Tier.
using TierHorizons = std::array<TimestampMs, kTierCount>;
TierHorizons HorizonsByAge(const RetentionConfig& config, TimestampMs now);

// The tier a query of `step_ms` starting at `from` reads:
//  1. the coarsest tier whose resolution <= step and that holds `from`;
//  2. else (the fine tiers expired there) the finest tier that holds `from`,
//     even though coarser than the step;
//  3. else (older than everything kept) the 1-hour tier, which reaches back
//     furthest.
// step 0 (raw samples) counts as a step finer than every tier.
// With a 1 s interval and default retention:
//   24 h at 1000 points (step 86.4 s)     -> kMinute (kHour's 1 h > 86.4 s)
//   30 days at a 1 h step                  -> kHour
//   10 min at 1 s                          -> kRaw
//   1 min at 1 s, 20 days ago              -> kMinute (raw keeps 14 days)
//   step 1 h, 3 years ago                  -> kHour (nothing holds it)
Tier ChooseTier(int64_t step_ms, int64_t raw_interval_ms, TimestampMs from, TimestampMs now,
                const RetentionConfig& config);
// The same over what each tier actually holds (after size caps deleted more
// than age would), e.g. the oldest block start per tier; INT64_MAX for a
// tier holding nothing.
Tier ChooseTier(int64_t step_ms, int64_t raw_interval_ms, TimestampMs from,
                const TierHorizons& oldest_held);

// Answers `range` for one series from its time-ordered rollup points of
// width `resolution_ms`, as MemStore answers it from raw samples: a point
// goes to the step bucket holding its start, AlignDown(t, step), and each
// non-empty bucket yields Value(combined points, range.agg). Points count
// when their interval [t, t + resolution) overlaps [from_ms, to_ms]. When the
// step is not a multiple of the resolution a point is not split: it lands
// whole in the bucket of its start. step 0 yields one value per point.
// Appends to `out`.
void AnswerFromRollups(std::span<const RollupPoint> points, int64_t resolution_ms,
                       const QueryRange& range, std::vector<Sample>* out);

}  // namespace perfwatch
