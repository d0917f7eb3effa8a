// Wal::Replay (store/wal.h) on segment files made of arbitrary bytes, and on
// logs written by the real writer and then damaged. The first byte picks:
//
// 0. The rest is segment 1, as it is.
// 1. The rest after a valid segment header, every record that fits in the
//    file given a valid CRC, so that the payload parsers, not the checksum,
//    meet the garbage.
// 2. As 1, split at an input-chosen byte into segments 1 and 2 (series are
//    defined per segment and interned across segments).
// 3. Ticks derived from the input, written by Wal::AppendTick into small
//    segments so that it rotates; then one segment is truncated, has one bit
//    flipped, gets a zero-filled tail (space allocated, never written), or is
//    deleted, at an input-chosen place.
// 4. Segments 1 and 2 of CRC-valid records assembled from parts: series
//    records from a few names and labels in any order, empty values and
//    invalid names included, and tick records naming defined and undefined
//    series numbers, so that replay's bookkeeping (not the byte parsers)
//    meets what no writer wrote.
//
// Every replay must: terminate; fail only on a segment header of a newer
// version, and then touch nothing; give dense ids, each OnSeries before its
// first use and once per distinct key, every key well-formed; account for
// every byte (ReplayStats::bytes, or a WalDamage up to the end of its
// segment); cut the newest segment at its damage and no other segment; read
// the same again afterwards with no damage left in the newest segment; and
// never request a block larger than 8 times the largest segment (a tick's
// samples, 16 bytes each, 2 bytes or more on disk) plus 64 KiB.
// Mode 3 also checks the replay against what was written: every tick of the
// other segments and, of the damaged one, exactly the ticks whose record ends
// before the damage, bit for bit; the newest segment cut between the last
// surviving record and the damage.

#include <fcntl.h>
#include <fuzzer/FuzzedDataProvider.h>
#include <unistd.h>

#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_set>
#include <utility>
#include <vector>

#include "largest_allocation.h"
#include "series_key_check.h"
#include "store/wal.h"
#include "store/wal_format.h"

namespace {

namespace fs = std::filesystem;
using namespace perfwatch;

// One scratch directory per process, on tmpfs where there is one (replay
// fdatasyncs what it cuts), emptied before every input.
class ScratchDir {
 public:
  ScratchDir() {
    std::string pattern =
        (fs::is_directory("/dev/shm") ? "/dev/shm" : fs::temp_directory_path().string()) +
        "/fuzz_wal_replay.XXXXXX";
    if (::mkdtemp(pattern.data()) == nullptr) __builtin_trap();
    path_ = pattern + "/wal";
  }
  ~ScratchDir() {
    std::error_code ec;
    fs::remove_all(fs::path(path_).parent_path(), ec);
  }
  const std::string& Reset() {
    std::error_code ec;
    fs::remove_all(path_, ec);
    fs::create_directory(path_, ec);
    if (ec) __builtin_trap();
    return path_;
  }
  const std::string& path() const { return path_; }
  std::string Segment(uint64_t number) const { return path_ + "/" + wal::SegmentFileName(number); }

 private:
  std::string path_;
};

ScratchDir& Scratch() {
  static ScratchDir dir;
  return dir;
}

void WriteFile(const std::string& path, std::string_view bytes) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) __builtin_trap();
  while (!bytes.empty()) {
    const ssize_t n = ::write(fd, bytes.data(), bytes.size());
    if (n <= 0) __builtin_trap();
    bytes.remove_prefix(static_cast<size_t>(n));
  }
  ::close(fd);
}

std::string ReadFile(const std::string& path) {
  std::string bytes;
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) __builtin_trap();
  char buf[4096];
  for (ssize_t n; (n = ::read(fd, buf, sizeof(buf))) > 0;)
    bytes.append(buf, static_cast<size_t>(n));
  ::close(fd);
  return bytes;
}

uint64_t FileSize(const std::string& path) {
  std::error_code ec;
  const uintmax_t size = fs::file_size(path, ec);
  if (ec) __builtin_trap();
  return size;
}

// A tick as replay gives it back: series by their key text, values as bits.
struct LoggedTick {
  TimestampMs t = 0;
  std::vector<std::pair<std::string, uint64_t>> samples;
  friend bool operator==(const LoggedTick&, const LoggedTick&) = default;
};

std::string KeyText(const SeriesKey& key) { return key.name + key.labels.ToString(); }

// Records a replay and traps on what WalVisitor's contract rules out.
class CheckingVisitor final : public WalVisitor {
 public:
  void OnSeries(SeriesId id, const SeriesKey& key) override {
    if (id != keys.size() || !fuzz::IsWellFormedKey(key)) __builtin_trap();
    std::string text = KeyText(key);
    if (!distinct_.insert(text).second) __builtin_trap();
    keys.push_back(std::move(text));
  }
  void OnTick(TimestampMs t, std::span<const std::pair<SeriesId, double>> samples) override {
    LoggedTick tick{t, {}};
    for (const auto& [id, value] : samples) {
      if (id >= keys.size()) __builtin_trap();
      tick.samples.emplace_back(keys[id], std::bit_cast<uint64_t>(value));
    }
    sample_count += samples.size();
    ticks.push_back(std::move(tick));
  }

  std::vector<std::string> keys;  // by replay id
  std::vector<LoggedTick> ticks;
  uint64_t sample_count = 0;

 private:
  std::unordered_set<std::string> distinct_;
};

const WalDamage* DamageOf(const ReplayStats& stats, uint64_t segment) {
  const WalDamage* found = nullptr;
  for (const WalDamage& d : stats.damage) {
    if (d.segment != segment) continue;
    if (found != nullptr) __builtin_trap();  // one damage ends its segment
    found = &d;
  }
  return found;
}

// Replays Scratch() twice and checks what Wal::Replay promises of any log
// (the list at the top). Returns the first replay, or nothing where it
// rightly refused a segment of a newer format version.
std::optional<CheckingVisitor> ReplayChecked() {
  ScratchDir& dir = Scratch();
  Result<std::vector<wal::SegmentFile>> listed = wal::ListSegments(dir.path());
  if (!listed.ok()) __builtin_trap();
  const std::vector<wal::SegmentFile> before = std::move(listed).value();
  bool newer_version = false;
  uint64_t largest_file = 0;
  for (const wal::SegmentFile& f : before) {
    largest_file = std::max(largest_file, f.bytes);
    const std::string head = ReadFile(dir.Segment(f.number)).substr(0, wal::kSegmentHeaderBytes);
    newer_version |= head.size() == wal::kSegmentHeaderBytes && head.starts_with(wal::kMagic) &&
                     static_cast<uint8_t>(head[5]) > wal::kVersion;
  }

  CheckingVisitor first;
  std::optional<Result<ReplayStats>> replayed;
  {
    fuzz::LargestAllocation watch;
    replayed.emplace(Wal::Replay(dir.path(), first));
    if (watch.bytes() > 8 * largest_file + (64 << 10)) __builtin_trap();
  }
  if (replayed->ok() == newer_version) __builtin_trap();
  if (newer_version) {  // an error that names the file, and every file untouched
    if (replayed->status().message().find(".wal") == std::string::npos) __builtin_trap();
    for (const wal::SegmentFile& f : before) {
      if (FileSize(dir.Segment(f.number)) != f.bytes) __builtin_trap();
    }
    return std::nullopt;
  }
  const ReplayStats& stats = replayed->value();
  if (stats.segments != before.size() || stats.series != first.keys.size() ||
      stats.ticks != first.ticks.size() || stats.samples != first.sample_count) {
    __builtin_trap();
  }
  uint64_t accounted = 0;
  size_t damaged = 0;
  for (size_t i = 0; i < before.size(); ++i) {
    const wal::SegmentFile& f = before[i];
    const bool newest = i + 1 == before.size();
    const uint64_t size_now = FileSize(dir.Segment(f.number));
    const WalDamage* d = DamageOf(stats, f.number);
    if (d == nullptr) {
      accounted += f.bytes;
      if (size_now != f.bytes) __builtin_trap();
      continue;
    }
    ++damaged;
    if (d->reason.empty() || d->offset > f.bytes || d->offset + d->bytes_dropped != f.bytes ||
        d->truncated != newest) {
      __builtin_trap();
    }
    accounted += d->offset;
    if (size_now != (newest ? d->offset : f.bytes)) __builtin_trap();
  }
  if (accounted != stats.bytes || damaged != stats.damage.size()) __builtin_trap();
  const bool newest_damaged = !before.empty() && DamageOf(stats, before.back().number) != nullptr;

  // The torn tail is gone: the same log again, and the newest segment clean.
  CheckingVisitor second;
  Result<ReplayStats> again = Wal::Replay(dir.path(), second);
  if (!again.ok() || second.keys != first.keys || second.ticks != first.ticks) __builtin_trap();
  if (!before.empty() && DamageOf(*again, before.back().number) != nullptr) __builtin_trap();
  if (again->damage.size() != stats.damage.size() - (newest_damaged ? 1 : 0)) __builtin_trap();
  return first;
}

// Gives every record of `segment` (header included) that fits in it a valid
// CRC, up to the first that does not.
void FixRecordCrcs(std::string& segment) {
  size_t pos = wal::kSegmentHeaderBytes;
  while (segment.size() - pos >= wal::kRecordHeaderBytes) {
    const wal::RecordHeader h = wal::RecordHeader::Parse(segment.data() + pos);
    if (h.length > segment.size() - pos - wal::kRecordHeaderBytes) break;
    const size_t bytes = wal::kRecordHeaderBytes + h.length;
    const uint32_t masked =
        wal::MaskCrc(wal::RecordCrc(std::string_view(segment).substr(pos, bytes)));
    for (int i = 0; i < 4; ++i) segment[pos + i] = static_cast<char>(masked >> (8 * i));
    pos += bytes;
  }
}

std::string FixedSegment(uint64_t number, std::string_view records) {
  std::string segment;
  wal::AppendSegmentHeader(segment, number);
  segment.append(records);
  FixRecordCrcs(segment);
  return segment;
}

void CheckRawSegments(uint8_t mode, std::string_view rest) {
  ScratchDir& dir = Scratch();
  dir.Reset();
  if (mode == 0) {
    WriteFile(dir.Segment(1), rest);
  } else if (mode == 1) {
    WriteFile(dir.Segment(1), FixedSegment(1, rest));
  } else {
    size_t split = 0;
    if (rest.size() >= 2) {
      split =
          (static_cast<uint8_t>(rest[0]) | static_cast<uint8_t>(rest[1]) << 8) % (rest.size() - 1);
      rest.remove_prefix(2);
    }
    WriteFile(dir.Segment(1), FixedSegment(1, rest.substr(0, split)));
    WriteFile(dir.Segment(2), FixedSegment(2, rest.substr(split)));
  }
  (void)ReplayChecked();
}

// ---- mode 4: records assembled from parts

void AppendFramed(std::string& segment, wal::RecordType type, std::string_view payload) {
  const size_t start = segment.size();
  segment.append(wal::kRecordHeaderBytes, '\0');
  segment.append(payload);
  const auto length = static_cast<uint32_t>(payload.size());
  for (int i = 0; i < 4; ++i) segment[start + 4 + i] = static_cast<char>(length >> (8 * i));
  segment[start + 8] = static_cast<char>(type);
  const uint32_t masked = wal::MaskCrc(wal::RecordCrc(std::string_view(segment).substr(start)));
  for (int i = 0; i < 4; ++i) segment[start + i] = static_cast<char>(masked >> (8 * i));
}

// A length-prefixed string as series records hold it (lengths below 128).
void AppendShort(std::string& out, std::string_view text) {
  out.push_back(static_cast<char>(text.size()));
  out.append(text);
}

std::string SeriesPayloadFromParts(FuzzedDataProvider& in) {
  static constexpr std::string_view kNames[] = {"a", "b", "cpu_seconds_total", "", "9x"};
  static constexpr std::string_view kLabels[] = {"x", "y", "z", "__name__", ""};
  static constexpr std::string_view kValues[] = {"", "1", "2", "\xff"};
  std::string payload;
  AppendShort(payload, in.PickValueInArray(kNames));
  const size_t count = in.ConsumeIntegralInRange<size_t>(0, 3);
  payload.push_back(static_cast<char>(count));
  for (size_t i = 0; i < count; ++i) {
    AppendShort(payload, in.PickValueInArray(kLabels));
    AppendShort(payload, in.PickValueInArray(kValues));
  }
  return payload;
}

std::string TickPayloadFromParts(FuzzedDataProvider& in) {
  std::string payload(8, '\0');
  payload[0] = static_cast<char>(in.ConsumeIntegral<uint8_t>());
  const size_t count = in.ConsumeIntegralInRange<size_t>(0, 6);
  payload.push_back(static_cast<char>(count));
  for (size_t i = 0; i < count; ++i) {
    payload.push_back(static_cast<char>(in.ConsumeIntegralInRange(0, 6)));  // zigzag id delta
    const auto lead = in.ConsumeIntegralInRange(0, 8);
    const int trail = lead == 8 ? 0 : in.ConsumeIntegralInRange(0, 8 - lead);
    payload.push_back(static_cast<char>(lead << 4 | trail));
    for (int b = 0; b < 8 - lead - trail; ++b)
      payload.push_back(static_cast<char>(in.ConsumeIntegral<uint8_t>()));
  }
  return payload;
}

void CheckRecordsFromParts(FuzzedDataProvider& in) {
  ScratchDir& dir = Scratch();
  dir.Reset();
  for (uint64_t number = 1; number <= 2; ++number) {
    std::string segment;
    wal::AppendSegmentHeader(segment, number);
    const size_t records = in.ConsumeIntegralInRange<size_t>(0, 12);
    for (size_t i = 0; i < records; ++i) {
      if (in.ConsumeBool()) {
        AppendFramed(segment, wal::RecordType::kSeries, SeriesPayloadFromParts(in));
      } else {
        AppendFramed(segment, wal::RecordType::kTick, TickPayloadFromParts(in));
      }
    }
    WriteFile(dir.Segment(number), segment);
  }
  (void)ReplayChecked();
}

// ---- mode 3: a log written by Wal, then damaged

constexpr std::string_view kMetricNames[] = {"system_cpu_usage_percent", "net_received_bytes_total",
                                             "a", "process:rss_bytes"};
constexpr std::string_view kLabelNames[] = {"cpu", "device", "mode"};

std::vector<SeriesId> InternSeries(FuzzedDataProvider& in, SeriesRegistry& registry) {
  std::vector<SeriesId> ids;
  const int count = in.ConsumeIntegralInRange(1, 8);
  for (int i = 0; i < count; ++i) {
    std::vector<Label> labels;
    const int n = in.ConsumeIntegralInRange(0, 3);
    for (int k = 0; k < n; ++k) {
      labels.push_back({std::string(kLabelNames[k]), in.ConsumeRandomLengthString(24)});
    }
    Result<Labels> made = Labels::Make(std::move(labels));
    const std::string_view name = kMetricNames[in.ConsumeIntegralInRange<size_t>(0, 3)];
    Result<SeriesId> id = registry.Intern(name, made.ok() ? *made : Labels());
    if (!id.ok()) __builtin_trap();
    ids.push_back(*id);
  }
  return ids;
}

uint64_t NextBits(FuzzedDataProvider& in, uint64_t bits) {
  switch (in.ConsumeIntegralInRange(0, 3)) {
    case 0:  // unchanged, as most host values are from one tick to the next
      return bits;
    case 1:  // any pattern: NaN payloads, infinities, -0.0, denormals
      return in.ConsumeIntegral<uint64_t>();
    case 2:  // a counter going up
      return std::bit_cast<uint64_t>(std::bit_cast<double>(bits) +
                                     in.ConsumeIntegralInRange(0, 1000));
    default:  // a few bits flipped
      return bits ^ (uint64_t{in.ConsumeIntegral<uint16_t>()} << in.ConsumeIntegralInRange(0, 48));
  }
}

struct WrittenTick {
  uint64_t segment = 0;
  uint64_t end = 0;  // byte offset in the segment where its record ends
  LoggedTick tick;
};

std::vector<WrittenTick> WriteLog(FuzzedDataProvider& in, const SeriesRegistry& registry,
                                  std::span<const SeriesId> ids) {
  WalOptions options;
  options.dir = Scratch().path();
  options.sync = {WalSync::Mode::kOff, 0};
  options.segment_bytes = in.ConsumeIntegralInRange<uint64_t>(32, 2048);
  Result<std::unique_ptr<Wal>> opened = Wal::Open(options, registry);
  if (!opened.ok()) __builtin_trap();
  std::unique_ptr<Wal> log = std::move(opened).value();

  std::vector<WrittenTick> written;
  std::vector<uint64_t> bits(registry.size());
  auto t = in.ConsumeIntegral<uint64_t>();  // modular: replay takes any time in any order
  std::vector<std::pair<SeriesId, double>> samples;
  while (written.size() < 64 && in.remaining_bytes() > 0) {
    t += in.ConsumeBool() ? 1000 : in.ConsumeIntegral<uint64_t>();
    samples.clear();
    const size_t count = in.ConsumeIntegralInRange<size_t>(0, 2 * ids.size());
    for (size_t i = 0; i < count; ++i) {
      const SeriesId id = ids[in.ConsumeIntegralInRange<size_t>(0, ids.size() - 1)];
      bits[id] = NextBits(in, bits[id]);
      samples.emplace_back(id, std::bit_cast<double>(bits[id]));
    }
    const auto when = static_cast<TimestampMs>(t);
    if (!log->AppendTick(when, samples).ok()) __builtin_trap();
    WrittenTick w{log->current_segment(), 0, {when, {}}};
    w.end = FileSize(Scratch().Segment(w.segment));
    for (const auto& [id, value] : samples) {
      w.tick.samples.emplace_back(KeyText(registry.Key(id)), std::bit_cast<uint64_t>(value));
    }
    written.push_back(std::move(w));
  }
  return written;
}

enum class Damage { kNone, kTruncate, kFlipBit, kZeroTail, kDelete, kMaxValue = kDelete };

void CheckWrittenLog(FuzzedDataProvider& in) {
  ScratchDir& dir = Scratch();
  dir.Reset();
  SeriesRegistry registry;
  const std::vector<SeriesId> ids = InternSeries(in, registry);
  const std::vector<WrittenTick> written = WriteLog(in, registry, ids);

  Result<std::vector<wal::SegmentFile>> listed = wal::ListSegments(dir.path());
  if (!listed.ok() || listed->empty()) __builtin_trap();
  const std::vector<wal::SegmentFile> segments = std::move(listed).value();
  const auto damage = in.ConsumeEnum<Damage>();
  const wal::SegmentFile victim =
      segments[in.ConsumeIntegralInRange<size_t>(0, segments.size() - 1)];
  const std::string path = dir.Segment(victim.number);
  // Records of the victim that end at or before `at` are intact.
  uint64_t at = victim.bytes;
  uint64_t max_size_after = victim.bytes;
  switch (damage) {
    case Damage::kNone:
      break;
    case Damage::kTruncate:
      at = max_size_after = in.ConsumeIntegralInRange<uint64_t>(0, victim.bytes);
      if (::truncate(path.c_str(), static_cast<off_t>(at)) != 0) __builtin_trap();
      break;
    case Damage::kFlipBit: {
      at = max_size_after = in.ConsumeIntegralInRange<uint64_t>(0, victim.bytes - 1);
      std::string bytes = ReadFile(path);
      bytes[at] = static_cast<char>(bytes[at] ^ (1 << in.ConsumeIntegralInRange(0, 7)));
      WriteFile(path, bytes);
      break;
    }
    case Damage::kZeroTail:
      WriteFile(path, ReadFile(path) + std::string(in.ConsumeIntegralInRange(1, 64), '\0'));
      break;
    case Damage::kDelete:
      at = 0;
      if (::unlink(path.c_str()) != 0) __builtin_trap();
      break;
  }

  std::optional<CheckingVisitor> replayed = ReplayChecked();
  if (!replayed) return;  // a flipped version byte; ReplayChecked checked the refusal

  std::vector<LoggedTick> expected;
  uint64_t last_intact_end = 0;
  for (const WrittenTick& w : written) {
    if (w.segment == victim.number && w.end > at) continue;
    if (w.segment == victim.number) last_intact_end = std::max(last_intact_end, w.end);
    expected.push_back(w.tick);
  }
  if (replayed->ticks != expected) __builtin_trap();

  // The newest segment was cut after its last intact record, before the damage.
  if (damage != Damage::kDelete && victim.number == segments.back().number) {
    const uint64_t size_after = FileSize(path);
    const uint64_t min_size_after =
        std::max(last_intact_end, at >= wal::kSegmentHeaderBytes ? wal::kSegmentHeaderBytes : 0);
    if (size_after < min_size_after || size_after > max_size_after) __builtin_trap();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const uint8_t mode = data[0] % 5;
  FuzzedDataProvider in(data + 1, size - 1);
  if (mode < 3) {
    CheckRawSegments(mode, std::string_view(reinterpret_cast<const char*>(data) + 1, size - 1));
  } else if (mode == 3) {
    CheckWrittenLog(in);
  } else {
    CheckRecordsFromParts(in);
  }
  return 0;
}
