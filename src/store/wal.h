#pragma once
// Write-ahead log: every committed tick is appended to numbered segment
// files in <data-dir>/wal/ before the store acknowledges it, and replayed at
// start-up, so samples held only in memory survive a restart or a crash.
// docs/FORMATS.md ("Write-ahead log") gives the bytes on disk.
//
// Start-up order: Wal::Replay(dir, visitor) first (it cuts a torn tail off
// the newest segment), then Wal::Open(options, registry), which always
// starts a new segment.
//
// Deleting history: segment numbers are a clock. To drop what is sealed,
// Rotate() and remember s = current_segment(); every sample appended before
// that point, replayed ones included, sits in segments below s. Once all of
// them are durable elsewhere (their head chunks sealed into blocks), call
// RemoveSegmentsBefore(s). Series need no bookkeeping by the caller: each
// segment defines, from the registry, exactly the series its ticks use, so
// any suffix of segments replays alone.

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "model/registry.h"
#include "model/sample.h"
#include "model/status.h"

namespace perfwatch {

// When appended records are forced to disk with fdatasync. Records reach the
// kernel before Append returns, so a kill -9 of perfwatch loses nothing that
// was acknowledged under any policy; the policy bounds what a power loss or
// kernel crash loses.
struct WalSync {
  enum class Mode {
    kAlways,    // after every append
    kPeriodic,  // from the first append that finds the last sync period_ms old
    kOff,       // never; the kernel writes back when it likes
  };
  Mode mode = Mode::kPeriodic;
  int64_t period_ms = 1000;  // used by kPeriodic only; > 0
  friend bool operator==(const WalSync&, const WalSync&) = default;
};

// The `wal_fsync` setting: "always", "off", or a positive duration ("1s",
// "500ms"; model/duration.h). The error names the text.
Result<WalSync> ParseWalSync(std::string_view text);
// The inverse, for --save-config: "always", "off" or e.g. "1s".
std::string FormatWalSync(const WalSync& sync);

struct WalOptions {
  // The log's directory, normally <data-dir>/wal; created (with parents) if
  // missing.
  std::string dir;
  // Default `wal_fsync: 1s`.
  WalSync sync;
  // A segment is closed and a new one started once it holds this many bytes,
  // so a segment is at most this plus one tick. Smaller segments let the
  // caller delete sealed history sooner; each one repeats the definitions of
  // the series it uses.
  uint64_t segment_bytes = 16 << 20;
};

struct WalStats {
  uint64_t segments = 0;     // segment files on disk, the open one included
  uint64_t bytes = 0;        // their total size
  uint64_t ticks = 0;        // tick records appended by this Wal
  uint64_t samples = 0;      // samples in those ticks
  uint64_t records = 0;      // records appended: ticks plus series definitions
  uint64_t syncs = 0;        // successful fdatasync calls, segment creation included
  int64_t last_sync_ms = 0;  // wall clock of the latest of them (ms since the epoch)
  uint64_t errors = 0;       // failed writes, syncs and deletions; each returned a Status
};

// Damage that replay found in one segment and stepped over.
struct WalDamage {
  uint64_t segment = 0;
  uint64_t offset = 0;         // byte offset in the segment file where reading stopped
  uint64_t bytes_dropped = 0;  // bytes from there to the end of the file, not replayed
  bool truncated = false;      // the file was cut at `offset` (newest segment only)
  std::string reason;          // e.g. "checksum mismatch"
  // One line for the log: "wal segment 3 at byte 4096: checksum mismatch; ...".
  std::string ToString() const;
};

struct ReplayStats {
  uint64_t segments = 0;  // segment files read
  uint64_t series = 0;    // distinct series (OnSeries calls)
  uint64_t ticks = 0;     // OnTick calls
  uint64_t samples = 0;
  uint64_t bytes = 0;             // bytes of valid records and headers read
  std::vector<WalDamage> damage;  // the caller logs each
};

// Receives what Replay reads, in log order. Called on the thread that calls
// Replay.
class WalVisitor {
 public:
  virtual ~WalVisitor() = default;
  // Once per distinct (name, labels) in the log, before the first OnTick that
  // uses `id`. Ids are dense from 0 and hold for this one replay only; they are
  // not the SeriesIds of the process that wrote the log.
  virtual void OnSeries(SeriesId id, const SeriesKey& key) = 0;
  // One committed tick; `samples` is valid during the call only.
  virtual void OnTick(TimestampMs t, std::span<const std::pair<SeriesId, double>> samples) = 0;
};

// The writer. Not thread-safe: one thread (the store's committer) calls
// every method except Stats(), which any thread may call at any time. One
// process at a time may use a directory: Open and Replay hold an flock on
// <dir>/LOCK and fail while another holder has it.
class Wal {
 public:
  // Creates the directory if needed and starts a new segment after the
  // existing ones. `registry` names the series of appended ticks and must
  // outlive the Wal.
  static Result<std::unique_ptr<Wal>> Open(WalOptions options, const SeriesRegistry& registry);

  // Reads every segment of `dir` in order into `visitor`. Damage (a torn
  // write, a checksum mismatch) ends the segment it is in; records before it
  // are used, reading goes on with the next segment, and the newest segment
  // is truncated after its last valid record. Only an unreadable directory or
  // a segment written by a newer format version (untouched) is an error. A
  // missing directory is an empty log.
  static Result<ReplayStats> Replay(const std::string& dir, WalVisitor& visitor);

  ~Wal();  // syncs (unless the policy is kOff) and closes
  Wal(const Wal&) = delete;
  Wal& operator=(const Wal&) = delete;

  // Appends one tick: definitions of series new to the segment, then the
  // tick, in one write, then syncs as the policy says. Every id must come
  // from the registry. On error nothing of the tick is in the log, and the
  // next append starts a new segment.
  Status AppendTick(TimestampMs t, std::span<const std::pair<SeriesId, double>> samples);

  // fdatasync now, whatever the policy.
  Status Sync();
  // Closes the current segment (synced unless kOff) and starts the next.
  Status Rotate();
  // Number of the segment being appended to.
  uint64_t current_segment() const;
  // Deletes every closed segment numbered below `segment`; the current one
  // is never deleted. Call it only once their samples are durable elsewhere.
  Status RemoveSegmentsBefore(uint64_t segment);

  WalStats Stats() const;

 private:
  struct State;  // wal.cpp: the open segment, the encoder, counters
  explicit Wal(std::unique_ptr<State> state);
  Status CreateSegment();
  Status MaybeSync();

  std::unique_ptr<State> s_;
};

}  // namespace perfwatch
