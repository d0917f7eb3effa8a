#include "store/durable_store.h"

#include <algorithm>
#include <filesystem>

#include "model/duration.h"
#include "model/event_log.h"
#include "model/selector.h"
#include "store/block_codec.h"
#include "store/merge.h"
#include "store/retention.h"
#include "store/rollup.h"

namespace perfwatch {
namespace {

constexpr size_t kMaxQueuedJobs = 4;
constexpr std::string_view kSealedUntilKey =
    "sealed_until_ms";  // a full disk must not grow memory without bound
constexpr std::chrono::seconds kRetryAfter{10};

std::string KeyText(const SeriesKey& key) { return key.name + key.labels.ToString(); }

// Stored series keep labels as their canonical text; the selector parser
// reads that text back into Labels.
Result<Labels> ParseLabelsText(const std::string& name, const std::string& labels) {
  if (labels.empty()) return Labels();
  Result<SeriesSelector> sel = SeriesSelector::Parse(name + labels);
  if (!sel.ok()) return sel.status();
  std::vector<Label> out;
  for (const LabelMatcher& m : sel->matchers()) out.push_back({m.name, m.value});
  return Labels::Make(std::move(out));
}

}  // namespace

// Closed rollup points waiting for their blocks to reach SQLite, by series.
struct DurableStore::Pending {
  std::unordered_map<SeriesId, std::vector<RollupPoint>> minutes;  // t >= sealed_until
  std::unordered_map<SeriesId, std::vector<RollupPoint>> hours;    // t >= hour boundary
};

// One raw window to write: everything the writer needs, copied out of the
// head so the collection thread never waits for SQLite.
struct DurableStore::SealJob {
  struct Series {
    SeriesId id = 0;
    SeriesKey key;
    MetricMeta meta;
    std::vector<Sample> raw;
    std::vector<RollupPoint> minutes;
    std::vector<RollupPoint> hours;  // the day so far: rewritten each window
  };
  TimestampMs window_start = 0;
  TimestampMs window_end = 0;
  TimestampMs day_start = 0;
  uint64_t wal_segment = 0;  // segments before this hold nothing newer than window_end
  std::vector<Series> series;
};

DurableStore::DurableStore(SeriesRegistry& registry, DurableStoreOptions options)
    : registry_(registry),
      options_(std::move(options)),
      head_(options_.head),
      minute_(60'000,
              [this](SeriesId id, const RollupPoint& p) {
                {
                  std::lock_guard lock(mu_);
                  pending_->minutes[id].push_back(p);
                }
                (void)hour_.FeedRollup(id, p);
              }),
      hour_(3'600'000,
            [this](SeriesId id, const RollupPoint& p) {
              std::lock_guard lock(mu_);
              std::vector<RollupPoint>& hours = pending_->hours[id];
              // A crash between writing a window's blocks and recording
              // sealed_until replays that window: its hour comes back,
              // built from the replayed ticks only, behind the complete
              // point Open seeded from the stored day block. Keep the
              // complete one; a duplicate would fail every later seal.
              if (!hours.empty() && hours.back().t >= p.t) return;
              hours.push_back(p);
            }),
      pending_(std::make_unique<Pending>()) {}

Result<std::unique_ptr<DurableStore>> DurableStore::Open(SeriesRegistry& registry,
                                                         DurableStoreOptions options) {
  if (Status st = ValidateBlockLayout(options.blocks); !st.ok()) return st;
  if (Status st = ValidateRetention(options.retention); !st.ok()) return st;
  std::error_code ec;
  std::filesystem::create_directories(options.data_dir, ec);
  if (ec) {
    return Status::IOError("cannot create data directory " + options.data_dir + ": " +
                           ec.message());
  }
  std::string db_path = options.data_dir + "/perfwatch.db";
  Result<std::unique_ptr<BlockStore>> db = BlockStore::Open(db_path);
  if (!db.ok() && BlockStore::LooksCorrupt(db.status()) && options.reset_corrupt_db) {
    Result<std::string> aside = BlockStore::MoveAside(db_path);
    if (!aside.ok()) return aside.status();
    LogEvent(LogLevel::kWarn, "storage_reset",
             {{"moved_to", *aside}, {"error", db.status().message()}});
    db = BlockStore::Open(db_path);
  }
  if (!db.ok()) return db.status();
  Result<BlockLayout> layout = LoadOrRecordLayout(**db, options.blocks);
  if (!layout.ok()) return layout.status();
  if (layout->window_ms != options.blocks.window_ms) {
    LogEvent(LogLevel::kWarn, "storage_layout_kept",
             {{"block_duration", FormatDuration(layout->window_ms)},
              {"configured", FormatDuration(options.blocks.window_ms)},
              {"why", "the database was created with it; a new data directory takes the new one"}});
  }
  options.blocks = *layout;
  // A window is sealed from the head, so the head must still hold all of it
  // when the tick that closes it arrives.
  options.head.retention_ms = std::max(options.head.retention_ms, options.blocks.window_ms);

  std::unique_ptr<DurableStore> store(new DurableStore(registry, std::move(options)));
  store->writer_db_ = std::move(*db);
  Result<std::unique_ptr<BlockStore>> reader = BlockStore::OpenReadOnly(db_path);
  if (!reader.ok()) return reader.status();
  store->reader_db_ = std::move(*reader);
  if (Status st = store->LoadSeries(); !st.ok()) return st;
  if (Status st = store->ReplayWal(); !st.ok()) return st;
  WalOptions wal_options;
  wal_options.dir = store->options_.data_dir + "/wal";
  wal_options.sync = store->options_.wal_sync;
  Result<std::unique_ptr<Wal>> wal = Wal::Open(wal_options, registry);
  if (!wal.ok()) return wal.status();
  store->wal_ = std::move(*wal);
  store->writer_ = std::thread([s = store.get()] { s->WriterLoop(); });
  return store;
}

DurableStore::~DurableStore() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (writer_.joinable()) writer_.join();
  if (wal_) (void)wal_->Sync();
}

// Every series ever stored becomes known to the registry, so selectors find
// history written before this start.
Status DurableStore::LoadSeries() {
  Result<std::vector<StoredSeries>> stored = writer_db_->LoadSeries();
  if (!stored.ok()) return stored.status();
  for (const StoredSeries& s : *stored) {
    Result<Labels> labels = ParseLabelsText(s.name, s.labels);
    if (!labels.ok()) continue;  // written by a future version with other rules
    if (!registry_.Intern(s.name, *labels).ok()) continue;
    registry_.Describe({s.name, s.kind, s.help, s.unit});
    durable_[s.name + s.labels] = s.id;
  }
  // sealed_until: where the last successful seal ended; WAL ticks before it
  // are in SQLite already. Recorded explicitly because imports may add
  // blocks beyond it.
  Result<std::string> sealed = writer_db_->GetMeta(kSealedUntilKey);
  if (!sealed.ok()) return sealed.status();
  sealed_until_ = sealed->empty() ? 0 : std::stoll(*sealed);
  // Nothing may be committed into a window already sealed, even when the
  // WAL is empty and the clock is behind it after a restart.
  newest_ = sealed_until_ - 1;
  // The partial day of hour points was rewritten at each seal: it seeds the
  // pending hours so the day block keeps growing instead of restarting.
  TimestampMs day = AlignDown(sealed_until_, options_.blocks.hour_block_ms);
  for (const StoredSeries& s : *stored) {
    Result<std::vector<BlockRef>> blocks = writer_db_->Blocks(s.id, Tier::kHour, day, day);
    if (!blocks.ok()) return blocks.status();
    for (const BlockRef& b : *blocks) {
      if (b.start_ms != day) continue;
      Result<std::vector<RollupPoint>> points = DecodeRollupBlock(b.data);
      Result<Labels> labels = ParseLabelsText(s.name, s.labels);
      if (!points.ok() || !labels.ok()) continue;
      Result<SeriesId> id = registry_.Intern(s.name, *labels);
      if (id.ok()) pending_->hours[*id] = std::move(*points);
    }
  }
  return Status::Ok();
}

Status DurableStore::ReplayWal() {
  struct Visitor : WalVisitor {
    DurableStore* store;
    std::vector<SeriesId> ids;  // replay id -> registry id (or kNone)
    const SeriesId kNone = ~SeriesId{0};
    void OnSeries(SeriesId id, const SeriesKey& key) override {
      if (ids.size() <= id) ids.resize(id + 1, kNone);
      Result<SeriesId> mine = store->registry_.Intern(key.name, key.labels);
      ids[id] = mine.ok() ? *mine : kNone;
    }
    void OnTick(TimestampMs t, std::span<const std::pair<SeriesId, double>> samples) override {
      if (t < store->sealed_until_) return;  // already in SQLite
      Tick tick(store->registry_, t);
      for (const auto& [id, value] : samples) {
        if (id < ids.size() && ids[id] != kNone) tick.AppendInterned(ids[id], value);
      }
      store->MaybeSeal(t);
      store->CommitToHeadAndRollups(tick);
    }
  } visitor;
  visitor.store = this;
  Result<ReplayStats> stats = Wal::Replay(options_.data_dir + "/wal", visitor);
  if (!stats.ok()) return stats.status();
  replay_ = std::move(*stats);
  return Status::Ok();
}

void DurableStore::CommitToHeadAndRollups(const Tick& tick) {
  (void)head_.Commit(tick);
  const TimestampMs t = tick.time();
  newest_ = std::max(newest_, t);
  for (const auto& [id, value] : tick.samples()) (void)minute_.Feed(id, {t, value});
  minute_.Flush(t);
  hour_.Flush(t);
}

Status DurableStore::Commit(const Tick& tick) {
  const TimestampMs t = tick.time();
  if (t <= newest_) {
    // The clock went backwards (or a tick repeated): the tick would land
    // among history already kept, in memory or sealed. It is dropped before
    // the WAL, counted, and logged once per jump.
    backwards_samples_.fetch_add(tick.samples().size());
    if (!going_backwards_) {
      LogEvent(LogLevel::kWarn, "clock_went_backwards",
               {{"tick_ms", std::to_string(t)}, {"newest_ms", std::to_string(newest_)}});
    }
    going_backwards_ = true;
    return Status::Ok();
  }
  going_backwards_ = false;
  MaybeSeal(t);
  Status wal_status = wal_->AppendTick(t, tick.samples());
  if (!wal_status.ok()) {
    // Collection and serving go on from memory; the failure is counted and
    // the WAL tried again on the next tick.
    errors_.fetch_add(1);
  }
  CommitToHeadAndRollups(tick);
  if (uint64_t segment = pending_removal_.load(); segment > removable_segment_) {
    if (wal_->RemoveSegmentsBefore(segment).ok()) removable_segment_ = segment;
  }
  return wal_status;
}

// Closes the raw window when a tick passes its end: copies the window's raw
// samples and rollup points out of memory into a job for the writer, and
// starts a new WAL segment so the old ones can go once the job is written.
void DurableStore::MaybeSeal(TimestampMs t) {
  const int64_t w = options_.blocks.window_ms;
  if (window_end_ == 0) window_end_ = std::max(sealed_until_, AlignDown(t, w) + w);
  if (t < window_end_) return;
  auto job = std::make_unique<SealJob>();
  job->window_end = window_end_;
  job->window_start = window_end_ - w;
  job->day_start = AlignDown(job->window_start, options_.blocks.hour_block_ms);
  minute_.Flush(job->window_end);
  hour_.Flush(job->window_end);
  QueryRange range{job->window_start, job->window_end - 1, 0, Aggregation::kLast};
  std::lock_guard lock(mu_);
  for (SeriesId id = 0; id < registry_.size(); ++id) {
    SealJob::Series s;
    s.id = id;
    Result<std::vector<SeriesPoints>> raw = head_.Query({id}, range);
    if (raw.ok() && !raw->empty()) s.raw = std::move((*raw)[0].points);
    for (const RollupPoint& p : pending_->minutes[id]) {
      if (p.t >= job->window_start && p.t < job->window_end) s.minutes.push_back(p);
    }
    for (const RollupPoint& p : pending_->hours[id]) {
      if (p.t >= job->day_start && p.t < job->window_end) s.hours.push_back(p);
    }
    if (s.raw.empty() && s.minutes.empty() && s.hours.empty()) continue;
    s.key = registry_.Key(id);
    MetricMeta undescribed;
    undescribed.name = s.key.name;
    s.meta = registry_.Meta(s.key.name).value_or(undescribed);
    job->series.push_back(std::move(s));
  }
  if (wal_ && wal_->Rotate().ok()) job->wal_segment = wal_->current_segment();
  if (jobs_.size() >= kMaxQueuedJobs && writer_failing_) {
    // The disk has refused writes for hours; the WAL still holds these
    // samples (its segments are only removed after a successful write).
    // The front job is the writer's, in flight: drop the next oldest. A
    // healthy writer that is merely behind (a WAL replay spanning many
    // windows, a slow disk) keeps every window: dropping one would leave a
    // hole in the history that nothing fills.
    LogEvent(LogLevel::kError, "storage_backlog_dropped",
             {{"window_end_ms", std::to_string(jobs_[1]->window_end)}});
    jobs_.erase(jobs_.begin() + 1);
  }
  jobs_.push_back(std::move(job));
  window_end_ = AlignDown(t, w) + w;
  wake_.notify_all();
}

Status DurableStore::WriteJob(SealJob& job) {
  std::vector<std::string> encoded;  // owns the bytes BlockWrite points at
  std::vector<BlockWrite> writes;
  encoded.reserve(job.series.size() * 3);
  writes.reserve(job.series.size() * 3);
  for (const SealJob::Series& s : job.series) {
    std::string key_text = KeyText(s.key);
    int64_t durable = 0;
    {
      std::lock_guard lock(mu_);
      auto it = durable_.find(key_text);
      if (it != durable_.end()) durable = it->second;
    }
    if (durable == 0) {
      Result<int64_t> id = writer_db_->PutSeries(s.key.name, s.key.labels.ToString(), s.meta);
      if (!id.ok()) return id.status();
      durable = *id;
      std::lock_guard lock(mu_);
      durable_[key_text] = durable;
    }
    // Blocks are keyed by their window's start, so a block already there
    // (an import) is merged with, never overwritten.
    auto existing = [&](Tier tier, TimestampMs start) -> Result<std::string> {
      Result<std::vector<BlockRef>> refs = writer_db_->Blocks(durable, tier, start, start);
      if (!refs.ok()) return refs.status();
      for (BlockRef& b : *refs) {
        if (b.start_ms == start) return std::move(b.data);
      }
      return std::string();
    };
    auto put = [&](Tier tier, BlockKind kind, TimestampMs start, TimestampMs end, uint32_t count,
                   Result<std::string> bytes) -> Status {
      if (!bytes.ok()) return bytes.status();
      encoded.push_back(std::move(*bytes));
      writes.push_back({durable, tier, start, end, count, kind, encoded.back()});
      return Status::Ok();
    };
    auto put_samples = [&](std::vector<Sample> samples) -> Status {
      Result<std::string> old = existing(Tier::kRaw, job.window_start);
      if (!old.ok()) return old.status();
      if (!old->empty()) {
        Result<std::vector<Sample>> theirs = DecodeSampleBlock(*old);
        if (theirs.ok()) {
          samples = MergeByTime(std::move(samples), std::move(*theirs),
                                [](const Sample& x) { return x.t_ms; });
        }
      }
      return put(Tier::kRaw, BlockKind::kSamples, job.window_start, samples.back().t_ms,
                 static_cast<uint32_t>(samples.size()), EncodeSampleBlock(samples));
    };
    auto put_rollups = [&](Tier tier, TimestampMs start,
                           std::vector<RollupPoint> points) -> Status {
      Result<std::string> old = existing(tier, start);
      if (!old.ok()) return old.status();
      if (!old->empty()) {
        Result<std::vector<RollupPoint>> theirs = DecodeRollupBlock(*old);
        if (theirs.ok()) {
          points = MergeByTime(std::move(points), std::move(*theirs),
                               [](const RollupPoint& x) { return x.t; });
        }
      }
      return put(tier, BlockKind::kRollups, start, points.back().t,
                 static_cast<uint32_t>(points.size()), EncodeRollupBlock(points));
    };
    Status st;
    if (!s.raw.empty()) st = put_samples(s.raw);
    if (st.ok() && !s.minutes.empty()) st = put_rollups(Tier::kMinute, job.window_start, s.minutes);
    // The hour block is keyed by its day's start, so each window rewrites it.
    if (st.ok() && !s.hours.empty()) st = put_rollups(Tier::kHour, job.day_start, s.hours);
    if (!st.ok()) return st;
  }
  last_batch_bytes_ = 0;
  for (const std::string& bytes : encoded) last_batch_bytes_ += bytes.size();
  return writer_db_->PutBlocks(writes);
}

void DurableStore::WriterLoop() {
  std::unique_lock lock(mu_);
  while (true) {
    wake_.wait(lock, [this] { return stopping_ || !jobs_.empty(); });
    if (stopping_) return;
    SealJob* job = jobs_.front().get();
    lock.unlock();
    Status st = WriteJob(*job);
    lock.lock();
    writer_failing_ = !st.ok();
    if (!st.ok()) {
      errors_.fetch_add(1);
      LogEvent(LogLevel::kError, "storage_write_failed",
               {{"error", st.ToString()}, {"window_end_ms", std::to_string(job->window_end)}});
      wake_.wait_for(lock, kRetryAfter, [this] { return stopping_; });
      continue;
    }
    // The window is in SQLite: queries read it there from now on.
    sealed_until_ = std::max(sealed_until_, job->window_end);
    lock.unlock();
    // If this write is lost to a crash, the WAL replays the window and the
    // next seal merges it again: idempotent.
    if (!writer_db_->PutMeta(kSealedUntilKey, std::to_string(job->window_end)).ok()) {
      errors_.fetch_add(1);
    }
    lock.lock();
    TimestampMs hour_boundary = AlignDown(sealed_until_, options_.blocks.hour_block_ms);
    for (auto& [id, points] : pending_->minutes) {
      std::erase_if(points, [&](const RollupPoint& p) { return p.t < sealed_until_; });
    }
    for (auto& [id, points] : pending_->hours) {
      std::erase_if(points, [&](const RollupPoint& p) { return p.t < hour_boundary; });
    }
    pending_removal_ = job->wal_segment;
    TimestampMs now = job->window_end;
    jobs_.pop_front();
    lock.unlock();
    RunRetention(now);
    lock.lock();
  }
}

uint64_t DurableStore::OverheadBytes(uint64_t block_bytes) const {
  uint64_t total = 0;
  if (Result<uint64_t> file = writer_db_->FileBytes(); file.ok()) total += *file;
  if (wal_) total += wal_->Stats().bytes;
  return total > block_bytes ? total - block_bytes : 0;
}

// store/retention.h decides what goes: age per tier, each tier's own cap,
// then the disk cap. The cap covers the whole directory, so the plan gets
// the cap less what is not blocks, and less room for the next window's
// blocks (as large as the last window's): the next seal then writes into
// space already free, and the directory stays within the cap instead of
// overshooting it until the cleanup after the write.
void DurableStore::RunRetention(TimestampMs now) {
  Result<std::vector<BlockInfo>> blocks = writer_db_->ListBlocks();
  if (!blocks.ok()) {
    errors_.fetch_add(1);
    LogEvent(LogLevel::kError, "storage_cleanup_failed", {{"error", blocks.status().ToString()}});
    return;
  }
  RetentionConfig config = options_.retention;
  if (config.max_disk_bytes > 0) {
    uint64_t block_bytes = 0;
    for (const BlockInfo& b : *blocks) block_bytes += b.bytes;
    const uint64_t overhead = OverheadBytes(block_bytes) + last_batch_bytes_;
    // A cap smaller than the overhead leaves no room for blocks at all; 1
    // byte (not 0, which means "no cap") deletes them all.
    config.max_disk_bytes = config.max_disk_bytes > overhead ? config.max_disk_bytes - overhead : 1;
  }
  RetentionPlan plan = PlanRetention(*blocks, config, now);
  std::string summary = "nothing removed";
  if (!plan.empty()) {
    std::vector<BlockInfo> doomed;
    doomed.reserve(plan.deletions.size());
    for (const RetentionPlan::Deletion& d : plan.deletions) doomed.push_back((*blocks)[d.block]);
    Result<RemovedBlocks> removed = writer_db_->DeleteBlocks(doomed);
    if (!removed.ok()) {
      errors_.fetch_add(1);
      LogEvent(LogLevel::kError, "storage_cleanup_failed",
               {{"error", removed.status().ToString()}});
      return;
    }
    if (!writer_db_->Reclaim().ok()) errors_.fetch_add(1);
    summary = plan.Summary();
    LogEvent(LogLevel::kInfo, "storage_cleanup",
             {{"removed", summary},
              {"blocks", std::to_string(removed->blocks)},
              {"bytes", std::to_string(removed->bytes)}});
  }
  std::lock_guard lock(mu_);
  last_stats_.last_cleanup_ms = now;
  last_stats_.last_cleanup = std::move(summary);
}

// Each instant is read from one place: memory (the head, or rollup points
// not yet sealed) from the first point memory holds in the range, SQLite
// before it. Imported blocks that overlap memory show once a seal has
// merged them.
Result<std::vector<Sample>> DurableStore::QueryTier(SeriesId id, Tier tier,
                                                    const QueryRange& range) const {
  if (tier == Tier::kRaw) {
    Result<std::vector<Sample>> raw = RawSamples(id, range.from_ms, range.to_ms, range.agg);
    if (!raw.ok() || range.step_ms == 0) return raw;
    std::vector<RollupPoint> points = RollUp(*raw, 1);
    std::vector<Sample> out;
    AnswerFromRollups(points, options_.interval_ms, range, &out);
    return out;
  }
  Result<std::vector<RollupPoint>> points = TierPoints(id, tier, range.from_ms, range.to_ms);
  if (!points.ok()) return points.status();
  // A tier holds closed intervals only: the open hour (or minute) is still
  // in the finer tiers. Without it a 30-day chart at a 1-hour step would
  // end up to an hour short of now, and be empty on a new install.
  Status tail = AppendFinerTail(id, tier, range.from_ms, range.to_ms, &*points);
  if (!tail.ok()) return tail;
  std::vector<Sample> out;
  AnswerFromRollups(*points, TierResolutionMs(tier, options_.interval_ms), range, &out);
  return out;
}

Result<std::vector<Sample>> DurableStore::RawSamples(SeriesId id, TimestampMs from, TimestampMs to,
                                                     Aggregation agg) const {
  Result<std::vector<SeriesPoints>> head = head_.Query({id}, {from, to, 0, agg});
  if (!head.ok()) return head.status();
  std::vector<Sample> recent;
  if (!head->empty()) recent = std::move((*head)[0].points);
  const TimestampMs boundary = recent.empty() ? to + 1 : recent.front().t_ms;
  Result<std::vector<BlockRef>> blocks = DurableBlocks(id, Tier::kRaw, from, boundary);
  if (!blocks.ok()) return blocks.status();
  std::vector<Sample> raw;
  for (const BlockRef& b : *blocks) {
    Result<std::vector<Sample>> samples = DecodeSampleBlock(b.data);
    if (!samples.ok()) return samples.status();
    for (const Sample& s : *samples) {
      if (s.t_ms >= from && s.t_ms < boundary) raw.push_back(s);
    }
  }
  raw.insert(raw.end(), recent.begin(), recent.end());
  return raw;
}

Result<std::vector<RollupPoint>> DurableStore::TierPoints(SeriesId id, Tier tier, TimestampMs from,
                                                          TimestampMs to) const {
  std::vector<RollupPoint> recent;
  {
    std::lock_guard lock(mu_);
    auto& map = tier == Tier::kMinute ? pending_->minutes : pending_->hours;
    if (auto it = map.find(id); it != map.end()) {
      for (const RollupPoint& p : it->second) {
        if (p.t >= from && p.t <= to) recent.push_back(p);
      }
    }
  }
  const TimestampMs boundary = recent.empty() ? to + 1 : recent.front().t;
  Result<std::vector<BlockRef>> blocks = DurableBlocks(id, tier, from, boundary);
  if (!blocks.ok()) return blocks.status();
  std::vector<RollupPoint> points;
  for (const BlockRef& b : *blocks) {
    Result<std::vector<RollupPoint>> decoded = DecodeRollupBlock(b.data);
    if (!decoded.ok()) return decoded.status();
    for (const RollupPoint& p : *decoded) {
      if (p.t >= from && p.t < boundary) points.push_back(p);
    }
  }
  points.insert(points.end(), recent.begin(), recent.end());
  return points;
}

// Blocks of the series in `tier` that hold data in [from, before).
Result<std::vector<BlockRef>> DurableStore::DurableBlocks(SeriesId id, Tier tier, TimestampMs from,
                                                          TimestampMs before) const {
  int64_t durable = 0;
  {
    std::lock_guard lock(mu_);
    if (id < registry_.size()) {
      auto it = durable_.find(KeyText(registry_.Key(id)));
      if (it != durable_.end()) durable = it->second;
    }
  }
  if (durable == 0 || from >= before) return std::vector<BlockRef>{};
  std::lock_guard lock(reader_mu_);
  return reader_db_->Blocks(durable, tier, from, before - 1);
}

// Appends, after the last of `points` (a `tier` answer for [from, to]), the
// rest of the range from the next finer tier, and so on down to raw
// samples. Points of a finer width land in the bucket of their start like
// any other, so the open interval counts as far as it has been collected.
Status DurableStore::AppendFinerTail(SeriesId id, Tier tier, TimestampMs from, TimestampMs to,
                                     std::vector<RollupPoint>* points) const {
  TimestampMs covered =
      points->empty() ? from : points->back().t + TierResolutionMs(tier, options_.interval_ms);
  if (covered > to) return Status::Ok();
  if (tier == Tier::kHour) {
    Result<std::vector<RollupPoint>> minutes = TierPoints(id, Tier::kMinute, covered, to);
    if (!minutes.ok()) return minutes.status();
    if (!minutes->empty()) {
      points->insert(points->end(), minutes->begin(), minutes->end());
      covered = points->back().t + kMinuteMs;
    }
  }
  if (covered > to) return Status::Ok();
  Result<std::vector<Sample>> raw = RawSamples(id, covered, to, Aggregation::kLast);
  if (!raw.ok()) return raw.status();
  std::vector<RollupPoint> tail = RollUp(*raw, 1);
  points->insert(points->end(), tail.begin(), tail.end());
  return Status::Ok();
}

Result<std::vector<SeriesPoints>> DurableStore::Query(const std::vector<SeriesId>& ids,
                                                      const QueryRange& range) const {
  if (range.from_ms > range.to_ms) {
    return Status::InvalidArgument("range start " + std::to_string(range.from_ms) +
                                   " is after its end " + std::to_string(range.to_ms));
  }
  TimestampMs now = std::chrono::duration_cast<std::chrono::milliseconds>(
                        std::chrono::system_clock::now().time_since_epoch())
                        .count();
  // Step 0 asks for raw samples, whatever their age.
  Tier tier = range.step_ms == 0 ? Tier::kRaw
                                 : ChooseTier(range.step_ms, options_.interval_ms, range.from_ms,
                                              now, options_.retention);
  std::vector<SeriesPoints> out;
  size_t points = 0;
  std::vector<SeriesId> sorted = ids;
  std::sort(sorted.begin(), sorted.end());
  sorted.erase(std::unique(sorted.begin(), sorted.end()), sorted.end());
  for (SeriesId id : sorted) {
    Result<std::vector<Sample>> r = QueryTier(id, tier, range);
    if (!r.ok()) return r.status();
    if (r->empty()) continue;
    points += r->size();
    if (points > options_.head.max_points_per_query) {
      return Status::ResourceExhausted("query would return more than " +
                                       std::to_string(options_.head.max_points_per_query) +
                                       " points; use a larger step");
    }
    out.push_back({id, std::move(*r)});
  }
  return out;
}

StoreStats DurableStore::Stats() const {
  StoreStats s = head_.Stats();
  s.out_of_order += backwards_samples_.load();
  return s;
}

StorageStats DurableStore::Storage() const {
  StorageStats s;
  {
    std::lock_guard lock(reader_mu_);
    for (int i = 0; i < 3; ++i) {
      Result<TierUsage> u = reader_db_->Usage(static_cast<Tier>(i));
      if (u.ok()) s.tiers[i] = *u;
    }
    Result<uint64_t> bytes = reader_db_->FileBytes();
    if (bytes.ok()) s.file_bytes = *bytes;
  }
  if (wal_) {
    WalStats w = wal_->Stats();
    s.wal_bytes = w.bytes;
    s.wal_segments = w.segments;
  }
  s.out_of_order = Stats().out_of_order;
  std::lock_guard lock(mu_);
  s.errors = errors_.load();
  s.sealed_until = sealed_until_;
  s.series = durable_.size();
  s.last_cleanup_ms = last_stats_.last_cleanup_ms;
  s.last_cleanup = last_stats_.last_cleanup;
  return s;
}

}  // namespace perfwatch
