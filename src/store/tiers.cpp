#include "store/tiers.h"

#include <algorithm>
#include <limits>
#include <string>

#include "model/duration.h"

namespace perfwatch {
namespace {

constexpr TimestampMs kMinT = std::numeric_limits<TimestampMs>::min();

// Coarsest first: the order ChooseTier tries them in.
constexpr std::array<Tier, kTierCount> kCoarsestFirst = {Tier::kHour, Tier::kMinute, Tier::kRaw};

bool Holds(const TierHorizons& oldest, Tier tier, TimestampMs from) {
  return from >= oldest[static_cast<size_t>(tier)];
}

}  // namespace

std::string_view ToString(Tier tier) {
  switch (tier) {
    case Tier::kRaw:
      return "raw";
    case Tier::kMinute:
      return "1m";
    case Tier::kHour:
      return "1h";
  }
  return "?";
}

int64_t TierResolutionMs(Tier tier, int64_t raw_interval_ms) {
  switch (tier) {
    case Tier::kMinute:
      return kMinuteMs;
    case Tier::kHour:
      return kHourMs;
    default:
      return raw_interval_ms;
  }
}

const TierPolicy& RetentionConfig::policy(Tier tier) const {
  switch (tier) {
    case Tier::kMinute:
      return minute;
    case Tier::kHour:
      return hour;
    default:
      return raw;
  }
}

Status ValidateRetention(const RetentionConfig& config) {
  for (Tier tier : kAllTiers) {
    const int64_t age = config.policy(tier).max_age_ms;
    if (age < 0) {
      return Status::InvalidArgument("retention of the " + std::string(ToString(tier)) +
                                     " tier must not be negative, got " + std::to_string(age) +
                                     " ms");
    }
  }
  return Status::Ok();
}

Status ValidateBlockLayout(const BlockLayout& layout) {
  if (layout.hour_block_ms <= 0 || layout.hour_block_ms % kHourMs != 0 ||
      layout.hour_block_ms > kDayMs) {
    return Status::InvalidArgument(
        "the 1-hour tier's blocks must be a whole number of hours, at most a day");
  }
  if (layout.window_ms <= 0 || layout.window_ms % kMinuteMs != 0 ||
      layout.hour_block_ms % layout.window_ms != 0) {
    return Status::InvalidArgument(
        "storage.block_duration must be a whole number of minutes that divides " +
        FormatDuration(layout.hour_block_ms) + ", got " + FormatDuration(layout.window_ms));
  }
  return Status::Ok();
}

TierHorizons HorizonsByAge(const RetentionConfig& config, TimestampMs now) {
  TierHorizons horizons;
  for (Tier tier : kAllTiers) {
    const int64_t age = config.policy(tier).max_age_ms;
    TimestampMs horizon = kMinT;
    if (age > 0 && __builtin_sub_overflow(now, age, &horizon)) horizon = kMinT;
    horizons[static_cast<size_t>(tier)] = horizon;
  }
  return horizons;
}

Tier ChooseTier(int64_t step_ms, int64_t raw_interval_ms, TimestampMs from, TimestampMs now,
                const RetentionConfig& config) {
  return ChooseTier(step_ms, raw_interval_ms, from, HorizonsByAge(config, now));
}

Tier ChooseTier(int64_t step_ms, int64_t raw_interval_ms, TimestampMs from,
                const TierHorizons& oldest_held) {
  for (Tier tier : kCoarsestFirst) {
    if (step_ms > 0 && TierResolutionMs(tier, raw_interval_ms) <= step_ms &&
        Holds(oldest_held, tier, from)) {
      return tier;
    }
  }
  for (Tier tier : kAllTiers) {
    if (Holds(oldest_held, tier, from)) return tier;
  }
  return Tier::kHour;
}

void AnswerFromRollups(std::span<const RollupPoint> points, int64_t resolution_ms,
                       const QueryRange& range, std::vector<Sample>* out) {
  auto it = std::partition_point(points.begin(), points.end(), [&](const RollupPoint& p) {
    TimestampMs end;
    return !__builtin_add_overflow(p.t, resolution_ms, &end) && end <= range.from_ms;
  });
  RollupPoint acc;
  TimestampMs bucket = 0;
  bool open = false;
  for (; it != points.end() && it->t <= range.to_ms; ++it) {
    const TimestampMs b = range.step_ms == 0 ? it->t : AlignDown(it->t, range.step_ms);
    if (open && b == bucket) {
      acc = Combine(acc, *it);
      continue;
    }
    if (open) out->push_back({bucket, Value(acc, range.agg)});
    acc = *it;
    bucket = b;
    open = true;
  }
  if (open) out->push_back({bucket, Value(acc, range.agg)});
}

}  // namespace perfwatch
