#include "store/retention.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <limits>

namespace perfwatch {
namespace {

size_t Index(Tier tier) { return static_cast<size_t>(tier); }

// One tier's blocks, oldest first; `next` is the first one not yet deleted.
struct TierQueue {
  std::vector<size_t> order;
  size_t next = 0;
  uint64_t bytes = 0;  // of blocks not deleted
  bool has_next() const { return next < order.size(); }
};

class Planner {
 public:
  Planner(std::span<const BlockInfo> blocks, const RetentionConfig& config, TimestampMs now)
      : blocks_(blocks), config_(config), now_(now) {
    for (size_t i = 0; i < blocks.size(); ++i) {
      TierQueue& queue = queues_[Index(blocks[i].tier)];
      queue.order.push_back(i);
      queue.bytes += blocks[i].bytes;
      total_ += blocks[i].bytes;
    }
    for (TierQueue& queue : queues_) {
      std::sort(queue.order.begin(), queue.order.end(), [&](size_t a, size_t b) {
        const BlockInfo& x = blocks[a];
        const BlockInfo& y = blocks[b];
        if (x.end_ms != y.end_ms) return x.end_ms < y.end_ms;
        if (x.start_ms != y.start_ms) return x.start_ms < y.start_ms;
        if (x.series != y.series) return x.series < y.series;
        return a < b;
      });
    }
    plan_.bytes_before = total_;
  }

  RetentionPlan Run() && {
    for (Tier tier : kAllTiers) DropExpired(tier);
    for (Tier tier : kAllTiers) DropOverTierCap(tier);
    DropOverDiskCap();
    for (Tier tier : kAllTiers) {
      const TierQueue& queue = queues_[Index(tier)];
      for (size_t i = queue.next; i < queue.order.size(); ++i) {
        Count(plan_.kept[Index(tier)], blocks_[queue.order[i]]);
      }
    }
    plan_.bytes_after = total_;
    return std::move(plan_);
  }

 private:
  void DropExpired(Tier tier) {
    const int64_t age = config_.policy(tier).max_age_ms;
    TimestampMs cutoff;
    if (age <= 0 || __builtin_sub_overflow(now_, age, &cutoff)) return;
    TierQueue& queue = queues_[Index(tier)];
    while (queue.has_next() && blocks_[queue.order[queue.next]].end_ms < cutoff) {
      DropNext(tier, RetentionReason::kAge);
    }
  }

  void DropOverTierCap(Tier tier) {
    const uint64_t cap = config_.policy(tier).max_bytes;
    if (cap == 0) return;
    TierQueue& queue = queues_[Index(tier)];
    while (queue.bytes > cap) DropNext(tier, RetentionReason::kTierSize);
  }

  void DropOverDiskCap() {
    const uint64_t cap = config_.max_disk_bytes;
    if (cap == 0) return;
    while (total_ > cap) DropNext(MostExpendableTier(), RetentionReason::kDiskCap);
  }

  // The tier whose oldest remaining block has used the largest fraction of
  // the tier's age limit; raw first on ties. Precondition: a block remains.
  Tier MostExpendableTier() const {
    Tier best = Tier::kRaw;
    double best_fraction = -std::numeric_limits<double>::infinity();
    for (Tier tier : kAllTiers) {
      const TierQueue& queue = queues_[Index(tier)];
      if (!queue.has_next()) continue;
      const double age =
          static_cast<double>(now_) - static_cast<double>(blocks_[queue.order[queue.next]].end_ms);
      const double fraction = age / static_cast<double>(WeightAge(tier));
      if (fraction > best_fraction) {
        best = tier;
        best_fraction = fraction;
      }
    }
    return best;
  }

  int64_t WeightAge(Tier tier) const {
    const int64_t age = config_.policy(tier).max_age_ms;
    return age > 0 ? age : RetentionConfig{}.policy(tier).max_age_ms;
  }

  void DropNext(Tier tier, RetentionReason reason) {
    TierQueue& queue = queues_[Index(tier)];
    const size_t block = queue.order[queue.next++];
    const uint64_t bytes = blocks_[block].bytes;
    queue.bytes -= bytes;
    total_ -= bytes;
    plan_.deletions.push_back({block, reason});
    Count(plan_.removed[Index(tier)][static_cast<size_t>(reason)], blocks_[block]);
  }

  static void Count(RetentionTotals& totals, const BlockInfo& block) {
    ++totals.blocks;
    totals.bytes += block.bytes;
    totals.samples += block.samples;
  }

  std::span<const BlockInfo> blocks_;
  const RetentionConfig& config_;
  const TimestampMs now_;
  std::array<TierQueue, kTierCount> queues_;
  uint64_t total_ = 0;  // bytes of blocks not deleted
  RetentionPlan plan_;
};

// "1.5MiB": for log lines, not for reading back.
std::string HumanBytes(uint64_t bytes) {
  constexpr const char* kUnits[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
  double value = static_cast<double>(bytes);
  size_t unit = 0;
  while (value >= 1024 && unit + 1 < std::size(kUnits)) {
    value /= 1024;
    ++unit;
  }
  char text[32];
  if (unit == 0) {
    std::snprintf(text, sizeof text, "%lluB", static_cast<unsigned long long>(bytes));
  } else {
    std::snprintf(text, sizeof text, "%.1f%s", value, kUnits[unit]);
  }
  return text;
}

std::string Blocks(uint64_t n) { return std::to_string(n) + (n == 1 ? " block" : " blocks"); }

}  // namespace

std::string_view ToString(RetentionReason reason) {
  switch (reason) {
    case RetentionReason::kAge:
      return "age";
    case RetentionReason::kTierSize:
      return "tier size";
    case RetentionReason::kDiskCap:
      return "disk cap";
  }
  return "?";
}

RetentionTotals RetentionPlan::Removed(Tier tier) const {
  RetentionTotals sum;
  for (const RetentionTotals& t : removed[Index(tier)]) {
    sum.blocks += t.blocks;
    sum.bytes += t.bytes;
    sum.samples += t.samples;
  }
  return sum;
}

std::string RetentionPlan::Summary() const {
  std::string parts;
  for (Tier tier : kAllTiers) {
    for (size_t r = 0; r < kRetentionReasonCount; ++r) {
      const RetentionTotals& t = removed[Index(tier)][r];
      if (t.blocks == 0) continue;
      if (!parts.empty()) parts += ", ";
      parts += std::string(ToString(tier)) + " " + Blocks(t.blocks) + " " + HumanBytes(t.bytes) +
               " by " + std::string(ToString(static_cast<RetentionReason>(r)));
    }
  }
  const uint64_t bytes = bytes_before - bytes_after;
  return "removed " + Blocks(deletions.size()) + " (" + HumanBytes(bytes) + ")" +
         (parts.empty() ? "" : ": " + parts) + "; " + HumanBytes(bytes_after) + " kept";
}

RetentionPlan PlanRetention(std::span<const BlockInfo> blocks, const RetentionConfig& config,
                            TimestampMs now) {
  return Planner(blocks, config, now).Run();
}

}  // namespace perfwatch
