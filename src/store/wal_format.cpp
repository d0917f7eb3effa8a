#include "store/wal_format.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <bit>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>

#include "model/labels.h"
#include "store/crc32c.h"

namespace perfwatch::wal {
namespace {

// Little-endian stores and loads, written bytewise: compilers turn them into
// single moves on little-endian hosts.
void PutFixed32(char* p, uint32_t v) {
  for (int i = 0; i < 4; ++i) p[i] = static_cast<char>(v >> (8 * i));
}
void PutFixed64(char* p, uint64_t v) {
  for (int i = 0; i < 8; ++i) p[i] = static_cast<char>(v >> (8 * i));
}
uint32_t GetFixed32(const char* p) {
  uint32_t v = 0;
  for (int i = 0; i < 4; ++i) v |= uint32_t{static_cast<uint8_t>(p[i])} << (8 * i);
  return v;
}
uint64_t GetFixed64(const char* p) {
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v |= uint64_t{static_cast<uint8_t>(p[i])} << (8 * i);
  return v;
}

// The longest varint of a 64-bit value.
constexpr size_t kMaxVarint = 10;
// Most bytes one tick sample can take: id varint (a difference of two 32-bit
// numbers), control byte, 8 value bytes.
constexpr size_t kMaxSampleBytes = 6 + 1 + 8;

char* PutVarint(char* p, uint64_t v) {
  while (v >= 0x80) {
    *p++ = static_cast<char>(v | 0x80);
    v >>= 7;
  }
  *p++ = static_cast<char>(v);
  return p;
}
void AppendVarint(std::string& out, uint64_t v) {
  char buf[kMaxVarint];
  out.append(buf, PutVarint(buf, v) - buf);
}
size_t VarintSize(uint64_t v) {
  size_t n = 1;
  for (; v >= 0x80; v >>= 7) ++n;
  return n;
}
// False on a truncated or over-long varint.
bool GetVarint(const char** p, const char* end, uint64_t* v) {
  uint64_t result = 0;
  for (int shift = 0; shift < 64 && *p < end; shift += 7) {
    const auto byte = static_cast<uint8_t>(*(*p)++);
    result |= uint64_t{byte & 0x7Fu} << shift;
    if (byte < 0x80) {
      *v = result;
      return true;
    }
  }
  return false;
}
bool GetLengthPrefixed(const char** p, const char* end, std::string* out) {
  uint64_t n = 0;
  if (!GetVarint(p, end, &n) || n > static_cast<uint64_t>(end - *p)) return false;
  out->assign(*p, n);
  *p += n;
  return true;
}

uint64_t ZigZag(int64_t v) { return (static_cast<uint64_t>(v) << 1) ^ (v < 0 ? ~uint64_t{0} : 0); }
int64_t UnZigZag(uint64_t v) { return static_cast<int64_t>((v >> 1) ^ (~(v & 1) + 1)); }

// The value field: a control byte (whole zero bytes above and below x), then
// the middle bytes of x, little-endian. Writes 8 bytes at p + 1 whatever N.
char* PutXor(char* p, uint64_t x) {
  if (x == 0) {
    *p = static_cast<char>(0x80);
    return p + 1;
  }
  const int lead = std::countl_zero(x) / 8;
  const int trail = std::countr_zero(x) / 8;
  *p = static_cast<char>(lead << 4 | trail);
  PutFixed64(p + 1, x >> (8 * trail));
  return p + 1 + (8 - lead - trail);
}

void FinishRecord(std::string& out, size_t start, RecordType type) {
  char* p = out.data() + start;
  PutFixed32(p + 4, static_cast<uint32_t>(out.size() - start - kRecordHeaderBytes));
  p[8] = static_cast<char>(type);
  PutFixed32(p, MaskCrc(RecordCrc(std::string_view(p, out.size() - start))));
}

Status Corrupt(std::string msg) { return Status::InvalidArgument(std::move(msg)); }

}  // namespace

std::string SegmentFileName(uint64_t number) {
  char name[32];
  std::snprintf(name, sizeof(name), "%016llu.wal", static_cast<unsigned long long>(number));
  return name;
}

std::optional<uint64_t> ParseSegmentFileName(std::string_view name) {
  if (name.size() != 20 || !name.ends_with(".wal")) return std::nullopt;
  uint64_t number = 0;
  for (char c : name.substr(0, 16)) {
    if (c < '0' || c > '9') return std::nullopt;
    if (number > (UINT64_MAX - 9) / 10) return std::nullopt;
    number = number * 10 + static_cast<uint64_t>(c - '0');
  }
  return number;
}

void AppendSegmentHeader(std::string& out, uint64_t number) {
  out.append(kMagic);
  out.push_back(static_cast<char>(kVersion));
  out.append(2, '\0');
  char buf[8];
  PutFixed64(buf, number);
  out.append(buf, 8);
}

HeaderCheck CheckSegmentHeader(std::string_view header, uint64_t number, std::string* why) {
  if (header.size() < kSegmentHeaderBytes) {
    *why = "torn segment header (" + std::to_string(header.size()) + " of " +
           std::to_string(kSegmentHeaderBytes) + " bytes)";
    return HeaderCheck::kDamaged;
  }
  if (!header.starts_with(kMagic)) {
    *why = "not a WAL segment (bad magic)";
    return HeaderCheck::kDamaged;
  }
  const auto version = static_cast<uint8_t>(header[5]);
  if (version > kVersion) {
    *why = "WAL format version " + std::to_string(version) + " (this perfwatch reads up to " +
           std::to_string(kVersion) + ")";
    return HeaderCheck::kNewerVersion;
  }
  if (version != kVersion || header[6] != 0 || header[7] != 0) {
    *why = "bad segment header (version " + std::to_string(version) + ")";
    return HeaderCheck::kDamaged;
  }
  if (const uint64_t in_header = GetFixed64(header.data() + 8); in_header != number) {
    *why = "segment header says segment " + std::to_string(in_header);
    return HeaderCheck::kDamaged;
  }
  return HeaderCheck::kOk;
}

RecordHeader RecordHeader::Parse(const char* p) {
  return {GetFixed32(p), GetFixed32(p + 4), static_cast<uint8_t>(p[8])};
}

uint32_t RecordCrc(std::string_view record) { return Crc32c(record.substr(4)); }

void AppendSeriesRecord(std::string& out, const SeriesKey& key) {
  const size_t start = out.size();
  out.append(kRecordHeaderBytes, '\0');
  AppendVarint(out, key.name.size());
  out.append(key.name);
  AppendVarint(out, key.labels.size());
  for (const Label& label : key.labels) {
    AppendVarint(out, label.name.size());
    out.append(label.name);
    AppendVarint(out, label.value.size());
    out.append(label.value);
  }
  FinishRecord(out, start, RecordType::kSeries);
}

size_t SeriesRecordSize(const SeriesKey& key) {
  size_t n = kRecordHeaderBytes + VarintSize(key.name.size()) + key.name.size() +
             VarintSize(key.labels.size());
  for (const Label& label : key.labels) {
    n += VarintSize(label.name.size()) + label.name.size() + VarintSize(label.value.size()) +
         label.value.size();
  }
  return n;
}

Result<SeriesKey> ParseSeriesPayload(std::string_view payload) {
  const char* p = payload.data();
  const char* end = p + payload.size();
  SeriesKey key;
  if (!GetLengthPrefixed(&p, end, &key.name)) return Corrupt("series record: truncated name");
  if (!IsValidMetricName(key.name)) return Corrupt("series record: invalid metric name");
  uint64_t count = 0;
  if (!GetVarint(&p, end, &count) || count > kMaxLabelsPerSeries) {
    return Corrupt("series record: bad label count");
  }
  std::vector<Label> labels(count);
  for (Label& label : labels) {
    if (!GetLengthPrefixed(&p, end, &label.name) || !GetLengthPrefixed(&p, end, &label.value)) {
      return Corrupt("series record: truncated label");
    }
  }
  if (p != end) return Corrupt("series record: bytes after the last label");
  Result<Labels> made = Labels::Make(std::move(labels));
  if (!made.ok()) return Corrupt("series record: " + made.status().message());
  key.labels = std::move(made).value();
  return key;
}

void TickEncoder::Reset() {
  std::fill(number_of_.begin(), number_of_.end(), kUndefined);
  last_bits_.clear();
}

Status TickEncoder::Check(std::span<const std::pair<SeriesId, double>> samples,
                          const SeriesRegistry& registry) const {
  if (samples.size() > (kMaxRecordPayload - 8 - kMaxVarint) / kMaxSampleBytes) {
    return Status::InvalidArgument("tick of " + std::to_string(samples.size()) +
                                   " samples is too large for one WAL record");
  }
  size_t registry_size = 0;  // read once, and only if a series is new
  for (const auto& [id, value] : samples) {
    if (id < number_of_.size() && number_of_[id] != kUndefined) continue;
    if (registry_size <= id) registry_size = registry.size();
    if (id >= registry_size) {
      return Status::InvalidArgument("series id " + std::to_string(id) + " is not in the registry");
    }
    if (SeriesRecordSize(registry.Key(id)) > kRecordHeaderBytes + kMaxRecordPayload) {
      return Status::InvalidArgument("series " + registry.Key(id).name +
                                     " is too large for a WAL record");
    }
  }
  return Status::Ok();
}

Result<size_t> TickEncoder::Encode(TimestampMs t,
                                   std::span<const std::pair<SeriesId, double>> samples,
                                   const SeriesRegistry& registry, std::string& out) {
  if (Status s = Check(samples, registry); !s.ok()) return s;
  size_t records = 1;
  for (const auto& [id, value] : samples) {
    if (id >= number_of_.size())
      number_of_.resize(std::max<size_t>(id + 1, registry.size()), kUndefined);
    if (number_of_[id] != kUndefined) continue;
    number_of_[id] = static_cast<uint32_t>(last_bits_.size());
    last_bits_.push_back(0);
    AppendSeriesRecord(out, registry.Key(id));
    ++records;
  }

  const size_t start = out.size();
  // Room for the largest encoding; PutXor may write up to 8 bytes past its
  // field, which this bound covers as well.
  out.resize(start + kRecordHeaderBytes + 8 + kMaxVarint + kMaxSampleBytes * samples.size() + 8);
  char* p = out.data() + start + kRecordHeaderBytes;
  PutFixed64(p, static_cast<uint64_t>(t));
  p = PutVarint(p + 8, samples.size());
  int64_t previous = -1;
  for (const auto& [id, value] : samples) {
    const uint32_t number = number_of_[id];
    p = PutVarint(p, ZigZag(int64_t{number} - previous - 1));
    previous = number;
    const auto bits = std::bit_cast<uint64_t>(value);
    p = PutXor(p, bits ^ last_bits_[number]);
    last_bits_[number] = bits;
  }
  out.resize(p - out.data());
  FinishRecord(out, start, RecordType::kTick);
  return records;
}

void TickDecoder::Reset() {
  ids_.clear();
  last_bits_.clear();
}

Status TickDecoder::Decode(std::string_view payload, TimestampMs* t,
                           std::vector<std::pair<SeriesId, double>>* samples) {
  const char* p = payload.data();
  const char* const end = p + payload.size();
  if (payload.size() < 8) return Corrupt("tick record: truncated time");
  *t = static_cast<TimestampMs>(GetFixed64(p));
  p += 8;
  uint64_t count = 0;
  if (!GetVarint(&p, end, &count)) return Corrupt("tick record: truncated sample count");
  // Each sample takes at least 2 bytes, so a garbage count cannot allocate.
  if (count > static_cast<uint64_t>(end - p) / 2) {
    return Corrupt("tick record: " + std::to_string(count) + " samples do not fit in " +
                   std::to_string(end - p) + " bytes");
  }
  samples->clear();
  samples->reserve(count);
  uint64_t previous = UINT64_MAX;  // -1: the first id is written as number - (-1) - 1
  for (uint64_t i = 0; i < count; ++i) {
    uint64_t zigzag = 0;
    if (!GetVarint(&p, end, &zigzag)) return Corrupt("tick record: truncated series number");
    // Modular arithmetic: a negative or huge result fails the bound below.
    const uint64_t number = previous + 1 + static_cast<uint64_t>(UnZigZag(zigzag));
    if (number >= ids_.size()) {
      return Corrupt("tick record: sample " + std::to_string(i) + " names series " +
                     std::to_string(static_cast<int64_t>(number)) + " of " +
                     std::to_string(ids_.size()) + " defined in the segment");
    }
    previous = number;
    if (p == end) return Corrupt("tick record: truncated value");
    const auto control = static_cast<uint8_t>(*p++);
    const int lead = control >> 4;
    const int trail = control & 0xF;
    if (lead > 8 || lead + trail > 8 || (lead == 8 && trail != 0)) {
      return Corrupt("tick record: bad value control byte " + std::to_string(control));
    }
    const int n = 8 - lead - trail;
    if (end - p < n) return Corrupt("tick record: truncated value");
    uint64_t x = 0;
    if (n > 0) {
      if (end - p >= 8) {
        x = GetFixed64(p) & (~uint64_t{0} >> (64 - 8 * n));
      } else {
        for (int b = 0; b < n; ++b) x |= uint64_t{static_cast<uint8_t>(p[b])} << (8 * b);
      }
      x <<= 8 * trail;
      p += n;
    }
    const uint64_t bits = last_bits_[number] ^ x;
    last_bits_[number] = bits;
    samples->emplace_back(ids_[number], std::bit_cast<double>(bits));
  }
  if (p != end) {
    return Corrupt("tick record: " + std::to_string(end - p) + " bytes after the last sample");
  }
  return Status::Ok();
}

Result<std::vector<SegmentFile>> ListSegments(const std::string& dir) {
  std::error_code ec;
  std::vector<SegmentFile> segments;
  for (std::filesystem::directory_iterator it(dir, ec), last; !ec && it != last; it.increment(ec)) {
    const std::optional<uint64_t> number = ParseSegmentFileName(it->path().filename().string());
    if (!number || !it->is_regular_file(ec)) continue;
    const uintmax_t bytes = it->file_size(ec);
    if (ec) break;
    segments.push_back({*number, bytes});
  }
  if (ec) return Status::IOError("cannot list WAL directory " + dir + ": " + ec.message());
  std::sort(segments.begin(), segments.end(),
            [](const SegmentFile& a, const SegmentFile& b) { return a.number < b.number; });
  return segments;
}

Result<DirLock> DirLock::Acquire(const std::string& dir) {
  const std::string path = dir + "/LOCK";
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) return ErrnoStatus("cannot open", path);
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    const int err = errno;
    ::close(fd);
    if (err == EWOULDBLOCK) {
      return Status::IOError("WAL directory " + dir + " is in use by another process (" + path +
                             " is locked)");
    }
    errno = err;
    return ErrnoStatus("cannot lock", path);
  }
  return DirLock(fd);
}

DirLock& DirLock::operator=(DirLock&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = std::exchange(other.fd_, -1);
  }
  return *this;
}

DirLock::~DirLock() {
  if (fd_ >= 0) ::close(fd_);  // closing the last descriptor releases the flock
}

Status ErrnoStatus(std::string_view what, const std::string& path) {
  return Status::IOError(std::string(what) + " " + path + ": " + std::strerror(errno));
}

}  // namespace perfwatch::wal
