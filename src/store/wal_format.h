#pragma once
// The write-ahead log's bytes and files (docs/FORMATS.md, "Write-ahead log"):
// segment names and headers, record framing, and the per-segment series
// numbering and XOR value coding of tick records. Private to store/; the
// rest of perfwatch uses store/wal.h.
//
// Every class here is a value owned by one thread.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "model/registry.h"
#include "model/sample.h"
#include "model/status.h"

namespace perfwatch::wal {

inline constexpr std::string_view kMagic = "PWWAL";
inline constexpr uint8_t kVersion = 1;
inline constexpr size_t kSegmentHeaderBytes = 16;  // magic, version, 2 reserved, u64 number
inline constexpr size_t kRecordHeaderBytes = 9;    // masked crc, u32 length, type
// Larger lengths are damage: a garbage length never becomes an allocation.
inline constexpr uint32_t kMaxRecordPayload = 64u << 20;

enum class RecordType : uint8_t { kSeries = 1, kTick = 2 };

// "0000000000000042.wal" <-> 42. Parse accepts exactly 16 digits + ".wal".
std::string SegmentFileName(uint64_t number);
std::optional<uint64_t> ParseSegmentFileName(std::string_view name);

void AppendSegmentHeader(std::string& out, uint64_t number);

enum class HeaderCheck { kOk, kDamaged, kNewerVersion };
// Checks a segment's first kSegmentHeaderBytes (fewer is kDamaged).
HeaderCheck CheckSegmentHeader(std::string_view header, uint64_t number, std::string* why);

// leveldb's CRC mask: a CRC stored inside data that is itself checksummed.
inline uint32_t MaskCrc(uint32_t crc) { return ((crc >> 15) | (crc << 17)) + 0xa282ead8u; }
inline uint32_t UnmaskCrc(uint32_t masked) {
  const uint32_t rot = masked - 0xa282ead8u;
  return (rot >> 17) | (rot << 15);
}

// A record header as read from disk; Parse needs kRecordHeaderBytes.
struct RecordHeader {
  uint32_t masked_crc = 0;
  uint32_t length = 0;
  uint8_t type = 0;
  static RecordHeader Parse(const char* p);
};
// CRC-32C of a record's length, type and payload: `record` is the whole
// record, header included.
uint32_t RecordCrc(std::string_view record);

// Appends a series record for `key` (the payload of docs/FORMATS.md).
void AppendSeriesRecord(std::string& out, const SeriesKey& key);
// Bytes of that record, to refuse one over kMaxRecordPayload before writing.
size_t SeriesRecordSize(const SeriesKey& key);
// Parses a series record's payload; the error says what is wrong.
Result<SeriesKey> ParseSeriesPayload(std::string_view payload);

// Encodes ticks into one segment's records: numbers the segment's series in
// order of first use and remembers each one's last value for the XOR.
class TickEncoder {
 public:
  // Starts a new segment: no series defined.
  void Reset();

  // Appends to `out` a series record for each series of `samples` not yet in
  // this segment, then the tick record. On error (an id the registry does not
  // know, a record over kMaxRecordPayload) appends nothing and changes
  // nothing. Returns the number of records appended.
  Result<size_t> Encode(TimestampMs t, std::span<const std::pair<SeriesId, double>> samples,
                        const SeriesRegistry& registry, std::string& out);

 private:
  static constexpr uint32_t kUndefined = UINT32_MAX;
  Status Check(std::span<const std::pair<SeriesId, double>> samples,
               const SeriesRegistry& registry) const;

  std::vector<uint32_t> number_of_;  // SeriesId -> segment series number or kUndefined
  std::vector<uint64_t> last_bits_;  // segment series number -> bits of its last value
};

// Decodes one segment's tick records, given its series records in order.
class TickDecoder {
 public:
  void Reset();
  // The next segment series number is the replay's series `id`.
  void Define(SeriesId id) {
    ids_.push_back(id);
    last_bits_.push_back(0);
  }
  // Decodes a tick record's payload into `samples` (replay ids). The error
  // says what is wrong; `samples` is then unspecified.
  Status Decode(std::string_view payload, TimestampMs* t,
                std::vector<std::pair<SeriesId, double>>* samples);

 private:
  std::vector<SeriesId> ids_;        // segment series number -> replay id
  std::vector<uint64_t> last_bits_;  // segment series number -> bits of its last value
};

// A segment file and its size, as listed on disk.
struct SegmentFile {
  uint64_t number = 0;
  uint64_t bytes = 0;
};
// Segment files of `dir`, by number; other names are ignored.
Result<std::vector<SegmentFile>> ListSegments(const std::string& dir);

// An exclusive flock on <dir>/LOCK, released when destroyed (or when the
// process dies). Acquire fails at once while another holder has it.
class DirLock {
 public:
  static Result<DirLock> Acquire(const std::string& dir);
  DirLock(DirLock&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  DirLock& operator=(DirLock&& other) noexcept;
  ~DirLock();

 private:
  explicit DirLock(int fd) : fd_(fd) {}
  int fd_ = -1;
};

// "<what> <path>: <strerror(errno)>" as an IOError.
Status ErrnoStatus(std::string_view what, const std::string& path);

}  // namespace perfwatch::wal
