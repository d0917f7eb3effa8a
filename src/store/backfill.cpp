#include "store/backfill.h"

#include <algorithm>
#include <filesystem>

#include "store/block_codec.h"
#include "store/merge.h"
#include "store/rollup.h"
#include "store/wal_format.h"

namespace perfwatch {
struct Backfill::Lock {
  wal::DirLock lock;
};

Backfill::Backfill(std::unique_ptr<Lock> lock, std::unique_ptr<BlockStore> db, BlockLayout layout)
    : lock_(std::move(lock)), db_(std::move(db)), layout_(layout) {}

Backfill::~Backfill() = default;

Result<std::unique_ptr<Backfill>> Backfill::Open(const std::string& data_dir,
                                                 const BlockLayout& layout) {
  std::error_code ec;
  std::filesystem::create_directories(data_dir + "/wal", ec);
  if (ec) return Status::IOError("cannot create " + data_dir + "/wal: " + ec.message());
  // The same lock a serving perfwatch holds through its WAL.
  Result<wal::DirLock> lock = wal::DirLock::Acquire(data_dir + "/wal");
  if (!lock.ok()) {
    return Status::IOError("a perfwatch is serving " + data_dir +
                           " (its lock is held): stop it before importing, or import into "
                           "another --data-dir");
  }
  Result<std::unique_ptr<BlockStore>> db = BlockStore::Open(data_dir + "/perfwatch.db");
  if (!db.ok()) return db.status();
  Result<BlockLayout> used = LoadOrRecordLayout(**db, layout);
  if (!used.ok()) return used.status();
  auto held = std::make_unique<Lock>(Lock{std::move(*lock)});
  return std::unique_ptr<Backfill>(new Backfill(std::move(held), std::move(*db), *used));
}

Status Backfill::Add(const SeriesKey& key, const MetricMeta* meta, const Sample& sample) {
  std::string text = key.name + key.labels.ToString();
  if (text != current_ || buffer_.size() >= kFlushSamples) {
    if (Status st = FlushSeries(); !st.ok()) return st;
    current_ = text;
    key_ = key;
    meta_ = meta ? *meta : MetricMeta{};
    meta_.name = key.name;
    if (seen_.insert(text).second) ++stats_.series;
  }
  buffer_.push_back(sample);
  ++stats_.samples;
  return Status::Ok();
}

Status Backfill::Finish() {
  if (Status st = FlushSeries(); !st.ok()) return st;
  return WriteBatch();
}

void Backfill::Queue(int64_t durable, Tier tier, BlockKind kind, TimestampMs start, TimestampMs end,
                     uint32_t count, std::string bytes) {
  batch_.total += bytes.size();
  batch_.bytes.push_back(std::move(bytes));
  batch_.writes.push_back({durable, tier, start, end, count, kind, batch_.bytes.back()});
  batch_.series.insert(durable);
  ++stats_.blocks;
}

Status Backfill::WriteBatch() {
  if (batch_.writes.empty()) return Status::Ok();
  Status st = db_->PutBlocks(batch_.writes);
  batch_ = Batch();
  return st;
}

Status Backfill::FlushSeries() {
  if (buffer_.empty()) return Status::Ok();
  std::stable_sort(buffer_.begin(), buffer_.end(),
                   [](const Sample& a, const Sample& b) { return a.t_ms < b.t_ms; });
  // The last of equal timestamps wins, as a later line overrides an earlier one.
  std::vector<Sample> unique;
  unique.reserve(buffer_.size());
  for (const Sample& s : buffer_) {
    if (!unique.empty() && unique.back().t_ms == s.t_ms) {
      unique.back() = s;
    } else {
      unique.push_back(s);
    }
  }
  buffer_.clear();
  Result<int64_t> durable = db_->PutSeries(key_.name, key_.labels.ToString(), meta_);
  if (!durable.ok()) return durable.status();
  // Merging reads what is stored: this series' queued blocks must be there.
  if (batch_.series.contains(*durable) || batch_.total >= kBatchBytes) {
    if (Status st = WriteBatch(); !st.ok()) return st;
  }
  std::map<TimestampMs, std::vector<RollupPoint>> minutes;  // by window
  size_t i = 0;
  while (i < unique.size()) {
    TimestampMs window = AlignDown(unique[i].t_ms, layout_.window_ms);
    size_t j = i;
    while (j < unique.size() && unique[j].t_ms < window + layout_.window_ms) ++j;
    std::vector<Sample> part(unique.begin() + i, unique.begin() + j);
    Result<std::vector<RollupPoint>> rolled = WriteWindow(*durable, window, std::move(part));
    if (!rolled.ok()) return rolled.status();
    minutes[window] = std::move(*rolled);
    i = j;
  }
  std::vector<TimestampMs> days;
  for (const auto& [window, points] : minutes) {
    TimestampMs day = AlignDown(window, layout_.hour_block_ms);
    if (days.empty() || days.back() != day) days.push_back(day);
  }
  for (TimestampMs day : days) {
    if (Status st = RebuildHours(*durable, day, minutes); !st.ok()) return st;
  }
  return Status::Ok();
}

Result<std::vector<RollupPoint>> Backfill::WriteWindow(int64_t durable, TimestampMs window,
                                                       std::vector<Sample> samples) {
  Result<std::vector<BlockRef>> raw_old = db_->Blocks(durable, Tier::kRaw, window, window);
  if (!raw_old.ok()) return raw_old.status();
  for (const BlockRef& b : *raw_old) {
    if (b.start_ms != window) continue;
    Result<std::vector<Sample>> theirs = DecodeSampleBlock(b.data);
    if (!theirs.ok()) return theirs.status();
    // The imported sample wins over one already stored at the same time.
    samples =
        MergeByTime(std::move(samples), std::move(*theirs), [](const Sample& s) { return s.t_ms; });
  }
  // Minutes are rebuilt from the merged raw window, so they always agree.
  std::vector<RollupPoint> minutes = RollUp(samples, 60'000);
  Result<std::string> raw = EncodeSampleBlock(samples);
  if (!raw.ok()) return raw.status();
  Result<std::string> rolled = EncodeRollupBlock(minutes);
  if (!rolled.ok()) return rolled.status();
  Queue(durable, Tier::kRaw, BlockKind::kSamples, window, samples.back().t_ms,
        static_cast<uint32_t>(samples.size()), std::move(*raw));
  Queue(durable, Tier::kMinute, BlockKind::kRollups, window, minutes.back().t,
        static_cast<uint32_t>(minutes.size()), std::move(*rolled));
  return minutes;
}

Status Backfill::RebuildHours(int64_t durable, TimestampMs day,
                              const std::map<TimestampMs, std::vector<RollupPoint>>& fresh) {
  const TimestampMs day_end = day + layout_.hour_block_ms;
  Result<std::vector<BlockRef>> refs = db_->Blocks(durable, Tier::kMinute, day, day_end - 1);
  if (!refs.ok()) return refs.status();
  std::vector<RollupPoint> minutes;
  for (const BlockRef& b : *refs) {
    if (b.start_ms < day || b.start_ms >= day_end || fresh.contains(b.start_ms)) continue;
    Result<std::vector<RollupPoint>> points = DecodeRollupBlock(b.data);
    if (!points.ok()) return points.status();
    minutes.insert(minutes.end(), points->begin(), points->end());
  }
  for (auto it = fresh.lower_bound(day); it != fresh.end() && it->first < day_end; ++it) {
    minutes.insert(minutes.end(), it->second.begin(), it->second.end());
  }
  if (minutes.empty()) return Status::Ok();
  std::sort(minutes.begin(), minutes.end(),
            [](const RollupPoint& a, const RollupPoint& b) { return a.t < b.t; });
  std::vector<RollupPoint> hours = RollUp(minutes, 3'600'000);
  Result<std::string> bytes = EncodeRollupBlock(hours);
  if (!bytes.ok()) return bytes.status();
  Queue(durable, Tier::kHour, BlockKind::kRollups, day, hours.back().t,
        static_cast<uint32_t>(hours.size()), std::move(*bytes));
  return Status::Ok();
}

}  // namespace perfwatch
