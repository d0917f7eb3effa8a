// Wal::Replay: reads segments front to back, steps over damage, and cuts a
// torn tail off the newest segment (docs/FORMATS.md, "What a reader rejects").

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <unordered_map>

#include "store/wal.h"
#include "store/wal_format.h"

namespace perfwatch {
namespace {

// Reads one file front to back through a buffer of up to 1 MiB, grown only
// for a record longer than that which the file really holds: memory is
// bounded by the file, never by a length field.
class SegmentReader {
 public:
  SegmentReader(int fd, uint64_t size) : fd_(fd), size_(size) {}

  uint64_t offset() const { return offset_; }  // file offset of data()
  uint64_t remaining() const { return size_ - offset_; }
  const char* data() const { return buffer_.data() + pos_; }
  void Skip(size_t n) {
    pos_ += n;
    offset_ += n;
  }

  // Makes the next n bytes readable at data(). Precondition: n <= remaining().
  Status Fill(size_t n) {
    if (end_ - pos_ >= n) return Status::Ok();
    std::memmove(buffer_.data(), buffer_.data() + pos_, end_ - pos_);
    end_ -= pos_;
    pos_ = 0;
    const size_t want = std::max<uint64_t>(n, std::min<uint64_t>(kChunk, remaining()));
    if (buffer_.size() < want) buffer_.resize(want);
    while (end_ < n) {
      const ssize_t got = ::read(fd_, buffer_.data() + end_, buffer_.size() - end_);
      if (got < 0 && errno == EINTR) continue;
      if (got < 0) return Status::IOError(std::string("read error: ") + std::strerror(errno));
      if (got == 0) return Status::IOError("the file shrank while being read");
      end_ += static_cast<size_t>(got);
    }
    return Status::Ok();
  }

 private:
  static constexpr uint64_t kChunk = 1 << 20;
  const int fd_;
  const uint64_t size_;
  uint64_t offset_ = 0;
  std::string buffer_;
  size_t pos_ = 0;  // buffer_[pos_, end_) holds the file from offset_ on
  size_t end_ = 0;
};

struct StringHash {
  using is_transparent = void;
  size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
};

// What replay carries from one segment to the next.
class LogReplay {
 public:
  LogReplay(const std::string& dir, WalVisitor& visitor) : dir_(dir), visitor_(visitor) {}

  // Replays one segment. Damage is recorded in stats(); only a segment of a
  // newer format version is an error.
  Status Segment(const wal::SegmentFile& file, bool newest);
  ReplayStats& stats() { return stats_; }

 private:
  // Why reading a segment stopped early; empty at its end. `cut` is false
  // for an I/O error, which is no reason to truncate.
  struct Stop {
    std::string reason;
    bool cut = true;
  };
  // Reads records until the end or the first damage.
  Stop Records(SegmentReader& reader);
  std::string Apply(uint8_t type, std::string_view payload);

  const std::string& dir_;
  WalVisitor& visitor_;
  ReplayStats stats_;
  // Series payload bytes -> replay id: the canonical spelling of each key,
  // and any other spelling met in the log.
  std::unordered_map<std::string, SeriesId, StringHash, std::equal_to<>> ids_;
  wal::TickDecoder decoder_;
  std::vector<std::pair<SeriesId, double>> samples_;
};

Status LogReplay::Segment(const wal::SegmentFile& file, bool newest) {
  const std::string path = dir_ + "/" + wal::SegmentFileName(file.number);
  WalDamage damage{file.number, 0, file.bytes, false, ""};
  const int fd = ::open(path.c_str(), (newest ? O_RDWR : O_RDONLY) | O_CLOEXEC);
  struct stat st {};
  if (fd < 0 || ::fstat(fd, &st) != 0) {
    damage.reason = std::string("cannot open: ") + std::strerror(errno);
    if (fd >= 0) ::close(fd);
    stats_.damage.push_back(std::move(damage));
    return Status::Ok();
  }
  ++stats_.segments;
  const auto size = static_cast<uint64_t>(st.st_size);
  if (size == 0) {  // created, then cut short before its header: no records
    ::close(fd);
    return Status::Ok();
  }
  SegmentReader reader(fd, size);
  const size_t header_bytes = std::min<uint64_t>(size, wal::kSegmentHeaderBytes);
  Stop stop;
  if (Status s = reader.Fill(header_bytes); !s.ok()) {
    stop = {s.message(), false};
  } else if (wal::CheckSegmentHeader(std::string_view(reader.data(), header_bytes), file.number,
                                     &stop.reason) == wal::HeaderCheck::kNewerVersion) {
    ::close(fd);
    return Status::InvalidArgument("cannot replay " + path + ": " + stop.reason);
  } else if (stop.reason.empty()) {
    reader.Skip(header_bytes);
    stats_.bytes += header_bytes;
    decoder_.Reset();
    stop = Records(reader);
  }
  if (!stop.reason.empty()) {
    damage.reason = std::move(stop.reason);
    damage.offset = reader.offset();
    damage.bytes_dropped = size - damage.offset;
    if (newest && stop.cut) {
      if (::ftruncate(fd, static_cast<off_t>(damage.offset)) == 0 && ::fdatasync(fd) == 0) {
        damage.truncated = true;
      } else {
        damage.reason += std::string("; cannot truncate: ") + std::strerror(errno);
      }
    }
    stats_.damage.push_back(std::move(damage));
  }
  ::close(fd);
  return Status::Ok();
}

LogReplay::Stop LogReplay::Records(SegmentReader& reader) {
  while (reader.remaining() > 0) {
    if (reader.remaining() < wal::kRecordHeaderBytes) {
      return {"torn record header (" + std::to_string(reader.remaining()) + " bytes at the end)"};
    }
    if (Status s = reader.Fill(wal::kRecordHeaderBytes); !s.ok()) return {s.message(), false};
    const wal::RecordHeader h = wal::RecordHeader::Parse(reader.data());
    if (h.masked_crc == 0 && h.length == 0 && h.type == 0) {
      return {"zero bytes where a record should start (space allocated, never written)"};
    }
    if (h.length > wal::kMaxRecordPayload) {
      return {"record length " + std::to_string(h.length) + " over the limit of " +
              std::to_string(wal::kMaxRecordPayload)};
    }
    const uint64_t left = reader.remaining() - wal::kRecordHeaderBytes;
    if (h.length > left) {
      return {"torn record (" + std::to_string(h.length) + " payload bytes, " +
              std::to_string(left) + " left in the file)"};
    }
    const size_t record_bytes = wal::kRecordHeaderBytes + h.length;
    if (Status s = reader.Fill(record_bytes); !s.ok()) return {s.message(), false};
    const std::string_view record(reader.data(), record_bytes);
    if (wal::UnmaskCrc(h.masked_crc) != wal::RecordCrc(record)) return {"checksum mismatch"};
    if (std::string why = Apply(h.type, record.substr(wal::kRecordHeaderBytes)); !why.empty()) {
      return {std::move(why)};
    }
    reader.Skip(record_bytes);
    stats_.bytes += record_bytes;
  }
  return {};
}

std::string LogReplay::Apply(uint8_t type, std::string_view payload) {
  switch (static_cast<wal::RecordType>(type)) {
    case wal::RecordType::kSeries: {
      if (auto it = ids_.find(payload); it != ids_.end()) {
        decoder_.Define(it->second);
        return "";
      }
      Result<SeriesKey> key = wal::ParseSeriesPayload(payload);
      if (!key.ok()) return key.status().message();
      // The writer spells a key one way (labels sorted); any other spelling
      // of a key already seen (labels out of order, an empty value, which
      // Labels::Make drops) is the same series, so OnSeries stays once per key.
      std::string canonical;
      wal::AppendSeriesRecord(canonical, *key);
      canonical.erase(0, wal::kRecordHeaderBytes);
      const auto [it, added] = ids_.try_emplace(canonical, static_cast<SeriesId>(stats_.series));
      if (canonical != payload) ids_.emplace(std::string(payload), it->second);
      decoder_.Define(it->second);
      if (added) {
        ++stats_.series;
        visitor_.OnSeries(it->second, *key);
      }
      return "";
    }
    case wal::RecordType::kTick: {
      TimestampMs t = 0;
      if (Status s = decoder_.Decode(payload, &t, &samples_); !s.ok()) return s.message();
      ++stats_.ticks;
      stats_.samples += samples_.size();
      visitor_.OnTick(t, samples_);
      return "";
    }
  }
  return "unknown record type " + std::to_string(type);
}

}  // namespace

Result<ReplayStats> Wal::Replay(const std::string& dir, WalVisitor& visitor) {
  std::error_code ec;
  if (!std::filesystem::exists(dir, ec)) {
    if (ec) return Status::IOError("cannot read WAL directory " + dir + ": " + ec.message());
    return ReplayStats{};
  }
  Result<wal::DirLock> lock = wal::DirLock::Acquire(dir);
  if (!lock.ok()) return lock.status();
  Result<std::vector<wal::SegmentFile>> segments = wal::ListSegments(dir);
  if (!segments.ok()) return segments.status();
  LogReplay replay(dir, visitor);
  for (size_t i = 0; i < segments->size(); ++i) {
    if (Status s = replay.Segment((*segments)[i], i + 1 == segments->size()); !s.ok()) return s;
  }
  return std::move(replay.stats());
}

}  // namespace perfwatch
