// The write-ahead log on real files: the bytes of docs/FORMATS.md, round
// trips, rotation, recovery from torn and corrupt records, sync policies.

#include "store/wal.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <bit>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <functional>
#include <limits>
#include <ostream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "store/crc32c.h"
#include "store/wal_format.h"

namespace perfwatch {
namespace {

namespace fs = std::filesystem;
using Samples = std::vector<std::pair<SeriesId, double>>;

std::string KeyString(const SeriesKey& key) { return key.name + key.labels.ToString(); }

// A tick as replay gives it back: series by name, values as bit patterns.
struct LoggedTick {
  TimestampMs t = 0;
  std::vector<std::pair<std::string, uint64_t>> samples;
  friend bool operator==(const LoggedTick&, const LoggedTick&) = default;
  friend void PrintTo(const LoggedTick& tick, std::ostream* os) {
    *os << "{t " << tick.t << ", " << tick.samples.size() << " samples";
    for (const auto& [key, bits] : tick.samples)
      *os << ", " << key << " " << std::hex << bits << std::dec;
    *os << "}";
  }
};

LoggedTick Logged(const SeriesRegistry& registry, TimestampMs t, const Samples& samples) {
  LoggedTick tick{t, {}};
  for (auto [id, v] : samples) {
    tick.samples.emplace_back(KeyString(registry.Key(id)), std::bit_cast<uint64_t>(v));
  }
  return tick;
}

class Recorder : public WalVisitor {
 public:
  void OnSeries(SeriesId id, const SeriesKey& key) override {
    EXPECT_EQ(id, keys.size()) << "replay ids are dense";
    keys.push_back(KeyString(key));
  }
  void OnTick(TimestampMs t, std::span<const std::pair<SeriesId, double>> samples) override {
    LoggedTick tick{t, {}};
    for (auto [id, v] : samples) {
      EXPECT_LT(id, keys.size()) << "OnSeries comes before the first use";
      tick.samples.emplace_back(id < keys.size() ? keys[id] : "?", std::bit_cast<uint64_t>(v));
    }
    ticks.push_back(std::move(tick));
  }
  std::vector<std::string> keys;
  std::vector<LoggedTick> ticks;
};

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

void WriteFile(const std::string& path, std::string_view bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

class WalTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = ::testing::TempDir() + "wal_" +
           ::testing::UnitTest::GetInstance()->current_test_info()->name() + "_" +
           std::to_string(::getpid());
    fs::remove_all(dir_);
    for (int i = 0; i < 20; ++i) {
      ids_.push_back(
          *registry_.Intern("host_metric", Labels{{"n", std::to_string(i)}, {"host", "a"}}));
    }
  }
  void TearDown() override { fs::remove_all(dir_); }

  WalOptions Options(WalSync::Mode mode = WalSync::Mode::kOff) const {
    WalOptions options;
    options.dir = dir_;
    options.sync.mode = mode;
    return options;
  }
  std::unique_ptr<Wal> OpenWal(const WalOptions& options) {
    Result<std::unique_ptr<Wal>> wal = Wal::Open(options, registry_);
    EXPECT_TRUE(wal.ok()) << wal.status().ToString();
    return wal.ok() ? std::move(wal).value() : nullptr;
  }
  // Tick i of a deterministic sequence over the first `n` series.
  Samples TickSamples(int i, size_t n = 20) const {
    Samples s;
    for (size_t k = 0; k < n; ++k) s.emplace_back(ids_[k], k % 3 == 0 ? 7.0 : i * 1.5 + k);
    return s;
  }
  static TimestampMs TimeOf(int i) { return 1'700'000'000'000 + i * 1000; }
  std::string SegmentPath(uint64_t n) const { return dir_ + "/" + wal::SegmentFileName(n); }
  ReplayStats Replay(Recorder& recorder) {
    Result<ReplayStats> stats = Wal::Replay(dir_, recorder);
    EXPECT_TRUE(stats.ok()) << stats.status().ToString();
    return stats.ok() ? *stats : ReplayStats{};
  }

  std::string dir_;
  SeriesRegistry registry_;
  std::vector<SeriesId> ids_;
};

TEST_F(WalTest, EncodesTheWorkedExampleOfFormatsMd) {
  SeriesRegistry registry;
  const SeriesId up = *registry.Intern("up", Labels{{"job", "pw"}});
  {
    Result<std::unique_ptr<Wal>> wal = Wal::Open(Options(), registry);
    ASSERT_TRUE(wal.ok()) << wal.status().ToString();
    ASSERT_TRUE((*wal)->AppendTick(1'700'000'000'000, Samples{{up, 1.0}}).ok());
    ASSERT_TRUE((*wal)->AppendTick(1'700'000'001'000, Samples{{up, 2.0}}).ok());
  }
  std::string hex;
  for (unsigned char c : ReadFile(SegmentPath(1))) {
    constexpr char kDigits[] = "0123456789abcdef";
    hex += kDigits[c >> 4];
    hex += kDigits[c & 15];
  }
  // The rows of the worked example: header, series, tick 1, tick 2.
  EXPECT_EQ(hex,
            "505757414c0100000100000000000000"
            "98a4bc590b0000000102757001036a6f62027077"
            "c7bd4e210d000000020068e5cf8b010000010006f03f"
            "2bbf07400d00000002e86be5cf8b010000010006f07f");
}

TEST_F(WalTest, SegmentFileNamesRoundTripAndOthersAreIgnored) {
  EXPECT_EQ(wal::SegmentFileName(42), "0000000000000042.wal");
  EXPECT_EQ(wal::ParseSegmentFileName("0000000000000042.wal"), 42u);
  EXPECT_FALSE(wal::ParseSegmentFileName("000000000000042.wal"));
  EXPECT_FALSE(wal::ParseSegmentFileName("00000000000000x2.wal"));
  EXPECT_FALSE(wal::ParseSegmentFileName("0000000000000042.wal.tmp"));
  EXPECT_FALSE(wal::ParseSegmentFileName("99999999999999999999.wal"));
  EXPECT_FALSE(wal::ParseSegmentFileName("LOCK"));
}

TEST_F(WalTest, ReplaysSeriesAndTicksBitExactIncludingNaNAndInfinity) {
  const double nan_payload = std::bit_cast<double>(uint64_t{0x7ff8dead00beef01});
  const std::vector<double> odd = {std::numeric_limits<double>::quiet_NaN(),
                                   nan_payload,
                                   -std::numeric_limits<double>::infinity(),
                                   std::numeric_limits<double>::infinity(),
                                   -0.0,
                                   0.0,
                                   std::numeric_limits<double>::denorm_min(),
                                   std::numeric_limits<double>::max(),
                                   -1e-300,
                                   12.5};
  std::vector<LoggedTick> expected;
  {
    auto wal = OpenWal(Options());
    for (int i = 0; i < 50; ++i) {
      Samples s;
      // Series join over time, come in any order and may repeat in one tick.
      for (int k = std::min(i, 19); k >= 0; k -= 2) s.emplace_back(ids_[k], odd[(i + k) % 10]);
      if (i % 7 == 0) s.emplace_back(ids_[0], static_cast<double>(i));
      ASSERT_TRUE(wal->AppendTick(TimeOf(i), s).ok());
      expected.push_back(Logged(registry_, TimeOf(i), s));
    }
    ASSERT_TRUE(wal->AppendTick(TimeOf(50), Samples{}).ok());
    expected.push_back({TimeOf(50), {}});
    EXPECT_EQ(wal->Stats().ticks, 51u);
  }
  Recorder r;
  const ReplayStats stats = Replay(r);
  EXPECT_EQ(r.ticks, expected);
  EXPECT_TRUE(stats.damage.empty());
  EXPECT_EQ(stats.ticks, 51u);
  EXPECT_EQ(stats.series, 20u);
  EXPECT_EQ(stats.segments, 1u);
}

TEST_F(WalTest, ReplayNamesEachSeriesOnceAcrossWritersWithDifferentIds) {
  {
    auto wal = OpenWal(Options());
    ASSERT_TRUE(wal->AppendTick(TimeOf(0), TickSamples(0, 3)).ok());
  }
  // A restarted process interns in another order: its ids differ.
  SeriesRegistry second;
  const SeriesId b = *second.Intern("host_metric", Labels{{"n", "1"}, {"host", "a"}});
  const SeriesId c = *second.Intern("other", Labels{});
  const SeriesId a = *second.Intern("host_metric", Labels{{"n", "0"}, {"host", "a"}});
  {
    Result<std::unique_ptr<Wal>> wal = Wal::Open(Options(), second);
    ASSERT_TRUE(wal.ok());
    ASSERT_TRUE((*wal)->AppendTick(TimeOf(1), Samples{{a, 1}, {b, 2}, {c, 3}}).ok());
  }
  Recorder r;
  const ReplayStats stats = Replay(r);
  EXPECT_EQ(stats.segments, 2u);
  EXPECT_EQ(r.keys, (std::vector<std::string>{R"(host_metric{host="a",n="0"})",
                                              R"(host_metric{host="a",n="1"})",
                                              R"(host_metric{host="a",n="2"})", "other"}));
  ASSERT_EQ(r.ticks.size(), 2u);
  EXPECT_EQ(r.ticks[1], Logged(second, TimeOf(1), Samples{{a, 1}, {b, 2}, {c, 3}}));
}

TEST_F(WalTest, RotatesBySizeAndEverySegmentReplaysAlone) {
  WalOptions options = Options();
  options.segment_bytes = 1024;
  auto wal = OpenWal(options);
  std::vector<LoggedTick> expected;
  for (int i = 0; i < 60; ++i) {
    ASSERT_TRUE(wal->AppendTick(TimeOf(i), TickSamples(i)).ok());
    expected.push_back(Logged(registry_, TimeOf(i), TickSamples(i)));
  }
  const uint64_t current = wal->current_segment();
  ASSERT_GT(current, 3u);
  const WalStats stats = wal->Stats();
  EXPECT_EQ(stats.segments, current);
  uint64_t on_disk = 0;
  for (uint64_t n = 1; n <= current; ++n) {
    const uint64_t size = fs::file_size(SegmentPath(n));
    on_disk += size;
    if (n < current) {
      EXPECT_GE(size, options.segment_bytes);
      EXPECT_LT(size, options.segment_bytes + 400) << "at most one tick past the limit";
    }
  }
  EXPECT_EQ(stats.bytes, on_disk);
  wal.reset();
  {
    Recorder all;
    EXPECT_TRUE(Replay(all).damage.empty());
    EXPECT_EQ(all.ticks, expected);
  }
  // Delete all but the last segment written: what is left still names its
  // series.
  wal = OpenWal(options);
  ASSERT_TRUE(wal->RemoveSegmentsBefore(current).ok());
  EXPECT_EQ(wal->Stats().segments, 2u);
  EXPECT_EQ(wal->Stats().bytes,
            fs::file_size(SegmentPath(current)) + fs::file_size(SegmentPath(current + 1)));
  EXPECT_FALSE(fs::exists(SegmentPath(1)));
  wal.reset();
  Recorder last;
  const ReplayStats replayed = Replay(last);
  EXPECT_TRUE(replayed.damage.empty());
  ASSERT_FALSE(last.ticks.empty());
  EXPECT_EQ(last.ticks.back(), expected.back());
  EXPECT_LT(last.ticks.size(), expected.size());
  EXPECT_EQ(last.keys.size(), 20u);
}

TEST_F(WalTest, RemoveSegmentsBeforeNeverDeletesTheCurrentSegment) {
  auto wal = OpenWal(Options());
  ASSERT_TRUE(wal->AppendTick(TimeOf(0), TickSamples(0)).ok());
  ASSERT_TRUE(wal->Rotate().ok());
  ASSERT_TRUE(wal->AppendTick(TimeOf(1), TickSamples(1)).ok());
  EXPECT_EQ(wal->current_segment(), 2u);
  ASSERT_TRUE(wal->RemoveSegmentsBefore(100).ok());
  EXPECT_FALSE(fs::exists(SegmentPath(1)));
  EXPECT_TRUE(fs::exists(SegmentPath(2)));
  ASSERT_TRUE(wal->AppendTick(TimeOf(2), TickSamples(2)).ok());
  wal.reset();
  Recorder r;
  Replay(r);
  ASSERT_EQ(r.ticks.size(), 2u);
  EXPECT_EQ(r.ticks[0].t, TimeOf(1));
}

TEST_F(WalTest, OpenStartsANewSegmentAfterTheExistingOnes) {
  for (int round = 0; round < 3; ++round) {
    auto wal = OpenWal(Options());
    EXPECT_EQ(wal->current_segment(), static_cast<uint64_t>(round + 1));
    ASSERT_TRUE(wal->AppendTick(TimeOf(round), TickSamples(round)).ok());
  }
  Recorder r;
  EXPECT_EQ(Replay(r).segments, 3u);
  EXPECT_EQ(r.ticks.size(), 3u);
}

TEST_F(WalTest, AnIdOutsideTheRegistryIsRefusedAndNothingIsWritten) {
  auto wal = OpenWal(Options());
  ASSERT_TRUE(wal->AppendTick(TimeOf(0), TickSamples(0)).ok());
  const uint64_t bytes = wal->Stats().bytes;
  const Status s = wal->AppendTick(TimeOf(1), Samples{{ids_[0], 1}, {9999, 2}});
  EXPECT_EQ(s.code(), Status::Code::kInvalidArgument);
  EXPECT_NE(s.message().find("9999"), std::string::npos) << s.message();
  EXPECT_EQ(wal->Stats().bytes, bytes);
  ASSERT_TRUE(wal->AppendTick(TimeOf(2), TickSamples(2)).ok());
  wal.reset();
  Recorder r;
  EXPECT_TRUE(Replay(r).damage.empty());
  EXPECT_EQ(r.ticks.size(), 2u);
}

TEST_F(WalTest, ASecondWriterOrReplayOfALockedDirectoryIsRefused) {
  auto wal = OpenWal(Options());
  Result<std::unique_ptr<Wal>> second = Wal::Open(Options(), registry_);
  ASSERT_FALSE(second.ok());
  EXPECT_NE(second.status().message().find("in use by another process"), std::string::npos)
      << second.status().message();
  Recorder r;
  EXPECT_FALSE(Wal::Replay(dir_, r).ok());
  wal.reset();
  EXPECT_TRUE(Wal::Replay(dir_, r).ok());
}

TEST_F(WalTest, AMissingDirectoryReplaysAsAnEmptyLog) {
  Recorder r;
  Result<ReplayStats> stats = Wal::Replay(dir_ + "/absent", r);
  ASSERT_TRUE(stats.ok());
  EXPECT_EQ(stats->segments, 0u);
  EXPECT_FALSE(fs::exists(dir_ + "/absent"));
}

// Recovery ------------------------------------------------------------------

TEST_F(WalTest, TornTailAtEveryByteOfTheLastWriteIsCutAndAppendsContinueCleanly) {
  std::vector<LoggedTick> expected;
  uint64_t before_last = 0;
  {
    auto wal = OpenWal(Options());
    for (int i = 0; i < 5; ++i) {
      ASSERT_TRUE(wal->AppendTick(TimeOf(i), TickSamples(i, 10)).ok());
      expected.push_back(Logged(registry_, TimeOf(i), TickSamples(i, 10)));
    }
    before_last = wal->Stats().bytes;
    // The last write holds a new series' definition, then the tick.
    ASSERT_TRUE(wal->AppendTick(TimeOf(5), TickSamples(5, 11)).ok());
  }
  const std::string full = ReadFile(SegmentPath(1));
  const uint64_t series_end = before_last + wal::SeriesRecordSize(registry_.Key(ids_[10]));
  const LoggedTick appended = Logged(registry_, TimeOf(6), TickSamples(6, 12));
  for (uint64_t cut = before_last; cut < full.size(); ++cut) {
    SCOPED_TRACE("cut at byte " + std::to_string(cut));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    WriteFile(SegmentPath(1), std::string_view(full).substr(0, cut));
    Recorder r;
    const ReplayStats stats = Replay(r);
    EXPECT_EQ(r.ticks, expected);
    const uint64_t kept = cut < series_end ? before_last : series_end;
    if (cut == before_last || cut == series_end) {
      EXPECT_TRUE(stats.damage.empty());
    } else {
      ASSERT_EQ(stats.damage.size(), 1u);
      EXPECT_EQ(stats.damage[0].segment, 1u);
      EXPECT_EQ(stats.damage[0].offset, kept);
      EXPECT_EQ(stats.damage[0].bytes_dropped, cut - kept);
      EXPECT_TRUE(stats.damage[0].truncated);
    }
    EXPECT_EQ(fs::file_size(SegmentPath(1)), kept);

    auto wal = OpenWal(Options());
    ASSERT_TRUE(wal->AppendTick(TimeOf(6), TickSamples(6, 12)).ok());
    wal.reset();
    Recorder again;
    EXPECT_TRUE(Replay(again).damage.empty());
    std::vector<LoggedTick> with_new = expected;
    with_new.push_back(appended);
    EXPECT_EQ(again.ticks, with_new);
  }
}

// Writes ticks 0-9 into segment 1 and 10-19 into segment 2; returns the
// offsets in segment 1 where each tick's write starts, and its end.
std::vector<uint64_t> WriteTwoSegments(Wal& wal, const std::function<Samples(int)>& samples) {
  std::vector<uint64_t> starts;
  for (int i = 0; i < 20; ++i) {
    if (i == 10) {
      starts.push_back(wal.Stats().bytes);
      EXPECT_TRUE(wal.Rotate().ok());
    }
    if (i < 10) starts.push_back(wal.Stats().bytes);
    EXPECT_TRUE(wal.AppendTick(1'700'000'000'000 + i * 1000, samples(i)).ok());
  }
  return starts;
}

TEST_F(WalTest, AFlippedBitMidSegmentSkipsToTheNextSegment) {
  std::vector<uint64_t> starts;
  {
    auto wal = OpenWal(Options());
    starts = WriteTwoSegments(*wal, [&](int i) { return TickSamples(i); });
  }
  std::vector<LoggedTick> expected;
  for (int i = 0; i < 20; ++i) {
    if (i < 5 || i >= 10) expected.push_back(Logged(registry_, TimeOf(i), TickSamples(i)));
  }
  const std::string good = ReadFile(SegmentPath(1));
  // Every bit of tick 5's record: the damage is found, never passed on.
  for (uint64_t bit = starts[5] * 8; bit < starts[6] * 8; ++bit) {
    SCOPED_TRACE("bit " + std::to_string(bit));
    std::string bad = good;
    bad[bit / 8] = static_cast<char>(bad[bit / 8] ^ (1 << (bit % 8)));
    WriteFile(SegmentPath(1), bad);
    Recorder r;
    const ReplayStats stats = Replay(r);
    EXPECT_EQ(r.ticks, expected);
    ASSERT_EQ(stats.damage.size(), 1u);
    EXPECT_EQ(stats.damage[0].segment, 1u);
    EXPECT_EQ(stats.damage[0].offset, starts[5]);
    EXPECT_FALSE(stats.damage[0].truncated) << "an older segment is left for inspection";
    EXPECT_EQ(ReadFile(SegmentPath(1)), bad);
  }
}

// Appends raw bytes to the newest segment, as a crash or a bad disk might.
void AppendBytes(const std::string& path, std::string_view bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::app);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

std::string RecordHeaderBytes(uint32_t masked_crc, uint32_t length, uint8_t type) {
  std::string h(9, '\0');
  for (int i = 0; i < 4; ++i) h[i] = static_cast<char>(masked_crc >> (8 * i));
  for (int i = 0; i < 4; ++i) h[4 + i] = static_cast<char>(length >> (8 * i));
  h[8] = static_cast<char>(type);
  return h;
}

TEST_F(WalTest, GarbageLengthsAndCountsAreDamageNotAllocations) {
  {
    auto wal = OpenWal(Options());
    ASSERT_TRUE(wal->AppendTick(TimeOf(0), TickSamples(0)).ok());
  }
  const uint64_t good_size = fs::file_size(SegmentPath(1));
  // A CRC-valid tick whose count claims 2^31 samples.
  std::string huge_count = RecordHeaderBytes(0, 8 + 5 + 4, 2);
  huge_count += std::string(8, '\1') + "\x80\x80\x80\x80\x08" + std::string("\0\x80\0\x80", 4);
  const uint32_t crc = wal::MaskCrc(wal::RecordCrc(huge_count));
  huge_count.replace(0, 4, RecordHeaderBytes(crc, 0, 0).substr(0, 4));
  const std::vector<std::pair<std::string, std::string>> cases = {
      {RecordHeaderBytes(123, 0xFFFFFFFF, 2) + "junk", "over the limit"},
      {RecordHeaderBytes(123, wal::kMaxRecordPayload, 2) + "junk", "torn record"},
      {huge_count, "do not fit"},
      {RecordHeaderBytes(0, 0, 0) + std::string(100, '\0'), "zero bytes"},
      {"\x01\x02\x03", "torn record header"},
  };
  for (const auto& [garbage, reason] : cases) {
    SCOPED_TRACE(reason);
    AppendBytes(SegmentPath(1), garbage);
    Recorder r;
    const ReplayStats stats = Replay(r);
    EXPECT_EQ(r.ticks.size(), 1u);
    ASSERT_EQ(stats.damage.size(), 1u);
    EXPECT_NE(stats.damage[0].reason.find(reason), std::string::npos) << stats.damage[0].reason;
    EXPECT_EQ(stats.damage[0].offset, good_size);
    EXPECT_TRUE(stats.damage[0].truncated);
    EXPECT_EQ(fs::file_size(SegmentPath(1)), good_size);
  }
}

TEST_F(WalTest, ATornSegmentHeaderIsCutToAnEmptySegment) {
  {
    auto wal = OpenWal(Options());
    ASSERT_TRUE(wal->AppendTick(TimeOf(0), TickSamples(0)).ok());
  }
  std::string header;
  wal::AppendSegmentHeader(header, 2);
  WriteFile(SegmentPath(2), header.substr(0, 7));
  Recorder r;
  ReplayStats stats = Replay(r);
  EXPECT_EQ(r.ticks.size(), 1u);
  ASSERT_EQ(stats.damage.size(), 1u);
  EXPECT_EQ(stats.damage[0].segment, 2u);
  EXPECT_TRUE(stats.damage[0].truncated);
  EXPECT_EQ(fs::file_size(SegmentPath(2)), 0u);
  Recorder again;
  EXPECT_TRUE(Replay(again).damage.empty()) << "an empty segment is no damage";
  auto wal = OpenWal(Options());
  EXPECT_EQ(wal->current_segment(), 3u);
}

// A record of `type` with a valid CRC around `payload`.
std::string CheckedRecord(uint8_t type, std::string_view payload) {
  std::string record = RecordHeaderBytes(0, static_cast<uint32_t>(payload.size()), type);
  record += payload;
  const uint32_t crc = wal::MaskCrc(wal::RecordCrc(record));
  record.replace(0, 4, RecordHeaderBytes(crc, 0, 0).substr(0, 4));
  return record;
}

// A series record's payload with the labels in the order given (names and
// values shorter than 128 bytes, so every varint is one byte).
std::string SeriesPayload(std::string_view name, const std::vector<Label>& labels) {
  std::string p(1, static_cast<char>(name.size()));
  p += name;
  p += static_cast<char>(labels.size());
  for (const Label& l : labels) {
    p += static_cast<char>(l.name.size()) + l.name;
    p += static_cast<char>(l.value.size()) + l.value;
  }
  return p;
}

// Found by fuzz_wal_replay: a CRC-valid series record that spelled a key
// already defined another way (labels out of order, an empty label value,
// which Labels::Make drops) was announced by OnSeries as a second series with
// the same key.
TEST_F(WalTest, OtherSpellingsOfAKeyReplayAsTheSameSeries) {
  std::string segment;
  wal::AppendSegmentHeader(segment, 1);
  segment += CheckedRecord(1, SeriesPayload("a", {{"x", "1"}, {"y", "1"}}));
  segment += CheckedRecord(1, SeriesPayload("a", {{"y", "1"}, {"x", "1"}}));
  segment += CheckedRecord(1, SeriesPayload("b", {}));
  segment += CheckedRecord(1, SeriesPayload("b", {{"x", ""}}));
  // Time 0 and 4 samples: numbers 0, 1, 2, 3 (id deltas 00), each 0.0 (ctrl 80).
  std::string tick = std::string(8, '\0') + "\x04";
  for (int i = 0; i < 4; ++i) tick += std::string("\x00\x80", 2);
  segment += CheckedRecord(2, tick);
  fs::create_directories(dir_);
  WriteFile(SegmentPath(1), segment);
  Recorder r;
  const ReplayStats stats = Replay(r);
  EXPECT_TRUE(stats.damage.empty());
  EXPECT_EQ(stats.series, 2u);
  const std::string a = R"(a{x="1",y="1"})";
  EXPECT_EQ(r.keys, (std::vector<std::string>{a, "b"}));
  ASSERT_EQ(r.ticks.size(), 1u);
  EXPECT_EQ(r.ticks[0], (LoggedTick{0, {{a, 0}, {a, 0}, {"b", 0}, {"b", 0}}}));
}

TEST_F(WalTest, ANewerFormatVersionIsAnErrorAndTheFileIsLeftAlone) {
  {
    auto wal = OpenWal(Options());
    ASSERT_TRUE(wal->AppendTick(TimeOf(0), TickSamples(0)).ok());
  }
  std::string bytes = ReadFile(SegmentPath(1));
  bytes[5] = 2;
  bytes += "whatever version 2 holds";
  WriteFile(SegmentPath(1), bytes);
  Recorder r;
  Result<ReplayStats> stats = Wal::Replay(dir_, r);
  ASSERT_FALSE(stats.ok());
  EXPECT_NE(stats.status().message().find(SegmentPath(1)), std::string::npos);
  EXPECT_NE(stats.status().message().find("version 2"), std::string::npos);
  EXPECT_EQ(ReadFile(SegmentPath(1)), bytes);
}

TEST_F(WalTest, DamageReadsAsOneLogLine) {
  const WalDamage d{3, 4096, 100, true, "checksum mismatch"};
  EXPECT_EQ(d.ToString(),
            "wal segment 3 at byte 4096: checksum mismatch; 100 bytes not replayed, file "
            "truncated there");
}

// Sync policies ---------------------------------------------------------------

TEST_F(WalTest, AlwaysSyncsOncePerAppend) {
  auto wal = OpenWal(Options(WalSync::Mode::kAlways));
  const uint64_t at_open = wal->Stats().syncs;
  EXPECT_GT(at_open, 0u) << "the new segment and its directory entry";
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(wal->AppendTick(TimeOf(i), TickSamples(i)).ok());
  EXPECT_EQ(wal->Stats().syncs, at_open + 5);
  EXPECT_GT(wal->Stats().last_sync_ms, 0);
}

TEST_F(WalTest, OffNeverSyncsUnlessAsked) {
  auto wal = OpenWal(Options(WalSync::Mode::kOff));
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(wal->AppendTick(TimeOf(i), TickSamples(i)).ok());
  EXPECT_EQ(wal->Stats().syncs, 0u);
  ASSERT_TRUE(wal->Sync().ok());
  EXPECT_EQ(wal->Stats().syncs, 1u);
}

TEST_F(WalTest, PeriodicSyncsOnlyOnceThePeriodHasPassed) {
  WalOptions options = Options(WalSync::Mode::kPeriodic);
  options.sync.period_ms = 3'600'000;
  {
    auto wal = OpenWal(options);
    const uint64_t at_open = wal->Stats().syncs;
    for (int i = 0; i < 5; ++i) ASSERT_TRUE(wal->AppendTick(TimeOf(i), TickSamples(i)).ok());
    EXPECT_EQ(wal->Stats().syncs, at_open);
  }
  options.sync.period_ms = 1;
  auto wal = OpenWal(options);
  const uint64_t at_open = wal->Stats().syncs;
  for (int i = 0; i < 3; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
    ASSERT_TRUE(wal->AppendTick(TimeOf(i), TickSamples(i)).ok());
  }
  EXPECT_EQ(wal->Stats().syncs, at_open + 3);
}

TEST(ParseWalSync, AcceptsAlwaysOffAndPositiveDurations) {
  EXPECT_EQ(*ParseWalSync("always"), (WalSync{WalSync::Mode::kAlways, 0}));
  EXPECT_EQ(*ParseWalSync("off"), (WalSync{WalSync::Mode::kOff, 0}));
  EXPECT_EQ(*ParseWalSync("1s"), (WalSync{WalSync::Mode::kPeriodic, 1000}));
  EXPECT_EQ(*ParseWalSync("500ms"), (WalSync{WalSync::Mode::kPeriodic, 500}));
  EXPECT_EQ(*ParseWalSync("2"), (WalSync{WalSync::Mode::kPeriodic, 2000}));
  EXPECT_EQ(WalSync{}, (WalSync{WalSync::Mode::kPeriodic, 1000})) << "the documented default";
  for (const char* text : {"always", "off", "1s", "1m30s", "250ms"}) {
    EXPECT_EQ(FormatWalSync(*ParseWalSync(text)), text);
  }
}

TEST(ParseWalSync, ErrorsNameTheText) {
  for (const char* text : {"", "sometimes", "0s", "0", "-1s", "1 s", "Always"}) {
    Result<WalSync> sync = ParseWalSync(text);
    ASSERT_FALSE(sync.ok()) << text;
    EXPECT_EQ(sync.status().code(), Status::Code::kInvalidArgument);
    const std::string quoted = std::string(1, '"').append(text).append(1, '"');
    EXPECT_NE(sync.status().message().find(quoted), std::string::npos) << sync.status().message();
  }
}

}  // namespace
}  // namespace perfwatch
