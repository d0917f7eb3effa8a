#include "store/wal.h"

#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <filesystem>

#include "model/duration.h"
#include "store/wal_format.h"

namespace perfwatch {
namespace {

int64_t WallMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

Status WriteAt(int fd, std::string_view data, uint64_t offset, const std::string& path) {
  while (!data.empty()) {
    const ssize_t n = ::pwrite(fd, data.data(), data.size(), static_cast<off_t>(offset));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      if (n == 0) errno = EIO;
      return wal::ErrnoStatus("cannot write", path);
    }
    data.remove_prefix(static_cast<size_t>(n));
    offset += static_cast<uint64_t>(n);
  }
  return Status::Ok();
}

// Makes a new file's directory entry durable.
Status SyncDir(const std::string& dir) {
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return wal::ErrnoStatus("cannot open", dir);
  const int rc = ::fsync(fd);
  const int err = errno;
  ::close(fd);
  errno = err;
  return rc == 0 ? Status::Ok() : wal::ErrnoStatus("cannot sync", dir);
}

}  // namespace

Result<WalSync> ParseWalSync(std::string_view text) {
  if (text == "always") return WalSync{WalSync::Mode::kAlways, 0};
  if (text == "off") return WalSync{WalSync::Mode::kOff, 0};
  Result<int64_t> ms = ParseDuration(text);
  if (!ms.ok() || *ms <= 0) {
    return Status::InvalidArgument("invalid wal_fsync \"" + std::string(text) +
                                   "\": expected \"always\", \"off\" or a positive duration "
                                   "such as \"1s\" or \"500ms\"");
  }
  return WalSync{WalSync::Mode::kPeriodic, *ms};
}

std::string FormatWalSync(const WalSync& sync) {
  switch (sync.mode) {
    case WalSync::Mode::kAlways:
      return "always";
    case WalSync::Mode::kOff:
      return "off";
    case WalSync::Mode::kPeriodic:
      break;
  }
  return FormatDuration(sync.period_ms);
}

std::string WalDamage::ToString() const {
  std::string s = "wal segment " + std::to_string(segment) + " at byte " + std::to_string(offset) +
                  ": " + reason + "; " + std::to_string(bytes_dropped) + " bytes not replayed";
  if (truncated) s += ", file truncated there";
  return s;
}

// Written by the writer thread only; the counters are atomics so that Stats()
// may read them from any thread.
struct Wal::State {
  WalOptions options;
  const SeriesRegistry* registry = nullptr;
  wal::DirLock lock;
  int fd = -1;                // the open segment, or -1 after a failed creation
  uint64_t segment = 0;       // number of the open (or last created) segment
  uint64_t next_segment = 1;  // numbers are never reused, even after a failed creation
  uint64_t offset = 0;        // bytes written to the open segment
  uint64_t segment_records = 0;
  bool must_rotate = false;              // after a failed write or sync: continue in a new file
  std::vector<wal::SegmentFile> closed;  // older segments on disk, by number
  wal::TickEncoder encoder;
  std::string buffer;  // one append's records, reused
  std::chrono::steady_clock::time_point last_sync;

  std::atomic<uint64_t> segments{0}, bytes{0}, ticks{0}, samples{0}, records{0}, syncs{0},
      errors{0};
  std::atomic<int64_t> last_sync_ms{0};

  explicit State(wal::DirLock l) : lock(std::move(l)) {}
  std::string SegmentPath(uint64_t number) const {
    return options.dir + "/" + wal::SegmentFileName(number);
  }
  Status Fail(Status status) {
    errors.fetch_add(1, std::memory_order_relaxed);
    must_rotate = true;
    return status;
  }
  Status SyncFile() {
    if (::fdatasync(fd) != 0) return Fail(wal::ErrnoStatus("cannot sync", SegmentPath(segment)));
    syncs.fetch_add(1, std::memory_order_relaxed);
    last_sync_ms.store(WallMs(), std::memory_order_relaxed);
    last_sync = std::chrono::steady_clock::now();
    return Status::Ok();
  }
};

Wal::Wal(std::unique_ptr<State> state) : s_(std::move(state)) {}

Wal::~Wal() {
  if (s_->fd < 0) return;
  if (s_->options.sync.mode != WalSync::Mode::kOff) (void)s_->SyncFile();
  ::close(s_->fd);
}

Result<std::unique_ptr<Wal>> Wal::Open(WalOptions options, const SeriesRegistry& registry) {
  std::error_code ec;
  std::filesystem::create_directories(options.dir, ec);
  if (ec) {
    return Status::IOError("cannot create WAL directory " + options.dir + ": " + ec.message());
  }
  Result<wal::DirLock> lock = wal::DirLock::Acquire(options.dir);
  if (!lock.ok()) return lock.status();
  Result<std::vector<wal::SegmentFile>> existing = wal::ListSegments(options.dir);
  if (!existing.ok()) return existing.status();

  auto state = std::make_unique<State>(std::move(lock).value());
  state->options = std::move(options);
  state->registry = &registry;
  state->closed = std::move(existing).value();
  for (const wal::SegmentFile& f : state->closed) state->bytes += f.bytes;
  state->segments = state->closed.size();
  if (!state->closed.empty()) state->next_segment = state->closed.back().number + 1;
  std::unique_ptr<Wal> wal(new Wal(std::move(state)));
  if (Status s = wal->CreateSegment(); !s.ok()) return s;
  return wal;
}

Status Wal::CreateSegment() {
  State& s = *s_;
  const uint64_t number = s.next_segment++;
  const std::string path = s.SegmentPath(number);
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0) return s.Fail(wal::ErrnoStatus("cannot create", path));
  std::string header;
  wal::AppendSegmentHeader(header, number);
  Status status = WriteAt(fd, header, 0, path);
  const bool durable = s.options.sync.mode != WalSync::Mode::kOff;
  if (status.ok() && durable && ::fdatasync(fd) != 0)
    status = wal::ErrnoStatus("cannot sync", path);
  if (status.ok() && durable) status = SyncDir(s.options.dir);
  if (!status.ok()) {
    ::close(fd);
    ::unlink(path.c_str());
    return s.Fail(status);
  }
  s.fd = fd;
  s.segment = number;
  s.offset = header.size();
  s.segment_records = 0;
  s.must_rotate = false;
  s.encoder.Reset();
  s.segments.fetch_add(1, std::memory_order_relaxed);
  s.bytes.fetch_add(header.size(), std::memory_order_relaxed);
  if (durable) {
    s.syncs.fetch_add(2, std::memory_order_relaxed);  // the file and its directory
    s.last_sync_ms.store(WallMs(), std::memory_order_relaxed);
  }
  s.last_sync = std::chrono::steady_clock::now();
  return Status::Ok();
}

Status Wal::Rotate() {
  State& s = *s_;
  Status synced;
  if (s.fd >= 0) {
    // A failed sync still moves on: the new segment starts from clean state.
    if (s.options.sync.mode != WalSync::Mode::kOff) synced = s.SyncFile();
    ::close(s.fd);
    s.fd = -1;
    s.closed.push_back({s.segment, s.offset});
  }
  Status created = CreateSegment();
  return created.ok() ? synced : created;
}

Status Wal::AppendTick(TimestampMs t, std::span<const std::pair<SeriesId, double>> samples) {
  State& s = *s_;
  if (s.must_rotate || s.fd < 0 || (s.segment_records > 0 && s.offset >= s.options.segment_bytes)) {
    if (Status r = Rotate(); !r.ok() && s.fd < 0) return r;
  }
  s.buffer.clear();
  Result<size_t> records = s.encoder.Encode(t, samples, *s.registry, s.buffer);
  if (!records.ok()) return records.status();
  if (Status w = WriteAt(s.fd, s.buffer, s.offset, s.SegmentPath(s.segment)); !w.ok()) {
    // Cut the partial record so this segment ends cleanly; the encoder has
    // counted series this write did not deliver, so the next append rotates.
    (void)::ftruncate(s.fd, static_cast<off_t>(s.offset));
    return s.Fail(w);
  }
  s.offset += s.buffer.size();
  s.segment_records += *records;
  s.bytes.fetch_add(s.buffer.size(), std::memory_order_relaxed);
  s.records.fetch_add(*records, std::memory_order_relaxed);
  s.ticks.fetch_add(1, std::memory_order_relaxed);
  s.samples.fetch_add(samples.size(), std::memory_order_relaxed);
  return MaybeSync();
}

Status Wal::MaybeSync() {
  State& s = *s_;
  switch (s.options.sync.mode) {
    case WalSync::Mode::kAlways:
      return s.SyncFile();
    case WalSync::Mode::kPeriodic:
      if (std::chrono::steady_clock::now() - s.last_sync >=
          std::chrono::milliseconds(s.options.sync.period_ms)) {
        return s.SyncFile();
      }
      return Status::Ok();
    case WalSync::Mode::kOff:
      break;
  }
  return Status::Ok();
}

Status Wal::Sync() {
  if (s_->fd < 0) return Status::IOError("WAL has no open segment (its creation failed)");
  return s_->SyncFile();
}

uint64_t Wal::current_segment() const { return s_->segment; }

Status Wal::RemoveSegmentsBefore(uint64_t segment) {
  State& s = *s_;
  Status status;
  std::vector<wal::SegmentFile> kept;
  for (const wal::SegmentFile& f : s.closed) {
    if (f.number >= segment || f.number == s.segment) {
      kept.push_back(f);
      continue;
    }
    const std::string path = s.SegmentPath(f.number);
    if (::unlink(path.c_str()) != 0 && errno != ENOENT) {
      if (status.ok()) status = wal::ErrnoStatus("cannot delete", path);
      kept.push_back(f);
      continue;
    }
    s.segments.fetch_sub(1, std::memory_order_relaxed);
    s.bytes.fetch_sub(f.bytes, std::memory_order_relaxed);
  }
  s.closed = std::move(kept);
  if (!status.ok()) s.errors.fetch_add(1, std::memory_order_relaxed);
  return status;
}

WalStats Wal::Stats() const {
  const State& s = *s_;
  constexpr auto kRelaxed = std::memory_order_relaxed;
  return {s.segments.load(kRelaxed),     s.bytes.load(kRelaxed),   s.ticks.load(kRelaxed),
          s.samples.load(kRelaxed),      s.records.load(kRelaxed), s.syncs.load(kRelaxed),
          s.last_sync_ms.load(kRelaxed), s.errors.load(kRelaxed)};
}

}  // namespace perfwatch
