#include "store/block_codec.h"

#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <cstdint>
#include <fstream>
#include <limits>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "store/crc32c.h"

namespace perfwatch {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr TimestampMs kT0 = 1'700'000'000'000;

uint64_t Bits(double v) { return std::bit_cast<uint64_t>(v); }

std::vector<Sample> Regular(size_t n, auto value_of) {
  std::vector<Sample> out;
  for (size_t i = 0; i < n; ++i) out.push_back({kT0 + static_cast<int64_t>(i) * 1000, value_of(i)});
  return out;
}

// Encodes and decodes; compares values bit for bit, so NaN payloads and -0.0
// count.
void ExpectRoundTrip(const std::vector<Sample>& samples, const BlockEncodeOptions& options = {}) {
  Result<std::string> block = EncodeSampleBlock(samples, options);
  ASSERT_TRUE(block.ok()) << block.status().ToString();
  Result<std::vector<Sample>> decoded = DecodeSampleBlock(*block);
  ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
  ASSERT_EQ(decoded->size(), samples.size());
  for (size_t i = 0; i < samples.size(); ++i) {
    ASSERT_EQ((*decoded)[i].t_ms, samples[i].t_ms) << "sample " << i;
    ASSERT_EQ(Bits((*decoded)[i].value), Bits(samples[i].value))
        << "sample " << i << ": " << samples[i].value;
  }
}

void ExpectRoundTripEveryWay(const std::vector<Sample>& samples) {
  ExpectRoundTrip(samples);
  for (ValueEncoding forced : {ValueEncoding::kXor, ValueEncoding::kDecimal}) {
    BlockEncodeOptions options;
    options.force_values = forced;
    options.zstd_level = 1;
    ExpectRoundTrip(samples, options);
  }
}

std::map<std::string, std::vector<Sample>> LoadHostSeries() {
  std::map<std::string, std::vector<Sample>> by_name;
  std::ifstream in(PERFWATCH_TEST_DATA "/store/host_series.csv");
  std::string line;
  std::getline(in, line);
  while (std::getline(in, line)) {
    const size_t value_comma = line.rfind(',');
    const size_t time_comma = line.rfind(',', value_comma - 1);
    by_name[line.substr(0, time_comma)].push_back(
        {std::stoll(line.substr(time_comma + 1)), std::stod(line.substr(value_comma + 1))});
  }
  return by_name;
}

TEST(BlockCodec, RoundTripsEveryHostSeriesBitForBit) {
  const auto host = LoadHostSeries();
  ASSERT_EQ(host.size(), 170u);
  for (const auto& [name, samples] : host) {
    SCOPED_TRACE(name);
    ExpectRoundTripEveryWay(samples);
    ExpectRoundTrip(std::vector<Sample>(samples.begin(), samples.begin() + 240));
  }
}

TEST(BlockCodec, StoresTheHostCorpusInUnderHalfAByteASample) {
  double bytes = 0;
  double samples = 0;
  for (const auto& [name, s] : LoadHostSeries()) {
    bytes += static_cast<double>(EncodeSampleBlock(s)->size());
    samples += static_cast<double>(s.size());
  }
  EXPECT_LT(bytes / samples, 0.5);
}

TEST(BlockCodec, RoundTripsSpecialValues) {
  const double specials[] = {
      std::numeric_limits<double>::quiet_NaN(),
      -std::numeric_limits<double>::quiet_NaN(),
      std::bit_cast<double>(uint64_t{0x7FF0'0000'0000'0001}),  // signalling NaN payload
      std::bit_cast<double>(uint64_t{0xFFF8'DEAD'BEEF'0000}),
      kInf,
      -kInf,
      0.0,
      -0.0,
      std::numeric_limits<double>::denorm_min(),
      -std::numeric_limits<double>::denorm_min(),
      std::numeric_limits<double>::min(),
      std::numeric_limits<double>::max(),
      std::numeric_limits<double>::lowest(),
      std::numeric_limits<double>::epsilon(),
      9007199254740993.0,  // 2^53 + 1 rounds to 2^53
      18446744073709551616.0,
      1e300,
      1e-300,
      0.1,
      1.6281090464078571,
      -20.81218274111675,
      123456789012345678.0,
  };
  std::vector<Sample> samples;
  for (double v : specials) samples.push_back({kT0 + static_cast<int64_t>(samples.size()), v});
  ExpectRoundTripEveryWay(samples);
  // Each one alone, and each among ordinary decimals.
  for (double v : specials) {
    SCOPED_TRACE(v);
    ExpectRoundTripEveryWay({{kT0, v}});
    ExpectRoundTripEveryWay(Regular(50, [&](size_t i) { return i == 25 ? v : 0.25 * i; }));
  }
}

TEST(BlockCodec, RoundTripsExtremeAndIrregularTimestamps) {
  ExpectRoundTripEveryWay({{std::numeric_limits<int64_t>::min(), 1},
                           {-1, 2},
                           {0, 3},
                           {1, 4},
                           {std::numeric_limits<int64_t>::max(), 5}});
  std::mt19937_64 rng(3);
  std::vector<Sample> jittered;
  TimestampMs t = kT0;
  for (int i = 0; i < 3000; ++i) {
    t += 1 + static_cast<int64_t>(rng() % (i % 100 == 0 ? 100'000 : 1200));
    jittered.push_back({t, static_cast<double>(rng() % 1000) / 8});
  }
  ExpectRoundTripEveryWay(jittered);
}

TEST(BlockCodec, RoundTripsRandomBitPatterns) {
  std::mt19937_64 rng(4);
  ExpectRoundTripEveryWay(Regular(2000, [&](size_t) { return std::bit_cast<double>(rng()); }));
  ExpectRoundTripEveryWay(Regular(2000, [&](size_t) {
    return static_cast<double>(static_cast<int64_t>(rng())) * std::pow(10.0, rng() % 40 - 20.0);
  }));
}

TEST(BlockCodec, StoresAConstantSeriesInAFewBytes) {
  const auto samples = Regular(7200, [](size_t) { return 42.5; });
  ExpectRoundTrip(samples);
  EXPECT_LT(EncodeSampleBlock(samples)->size(), 64u);
}

TEST(BlockCodec, StoresACounterOfHundredthsInUnderABytePerSample) {
  std::mt19937_64 rng(5);
  double seconds = 1702.83;
  const auto samples = Regular(7200, [&](size_t) {
    seconds = std::round((seconds + static_cast<double>(rng() % 60) / 100) * 100) / 100;
    return seconds;
  });
  ExpectRoundTrip(samples);
  EXPECT_LT(EncodeSampleBlock(samples)->size(), 7200u);
}

TEST(BlockCodec, RefusesEmptyAndUnorderedInput) {
  EXPECT_EQ(EncodeSampleBlock({}).status().code(), Status::Code::kInvalidArgument);
  const std::vector<Sample> same_time = {{5, 1}, {5, 2}};
  EXPECT_EQ(EncodeSampleBlock(same_time).status().code(), Status::Code::kInvalidArgument);
  const std::vector<Sample> backwards = {{6, 1}, {5, 2}};
  EXPECT_EQ(EncodeSampleBlock(backwards).status().code(), Status::Code::kInvalidArgument);
}

TEST(BlockFormat, EncodesTheWorkedExampleOfFormatsMd) {
  const std::vector<Sample> samples = {
      {1'700'000'000'000, 12.5}, {1'700'000'001'000, 12.5}, {1'700'000'002'000, 13.0}};
  constexpr char kExpected[] =
      "\x01\x01\x03\x00\x14"                          // header
      "\x01\xe8\x07\x80\xa0\xab\xfe\xf9\x62\x02\x02"  // times
      "\x01\x01"                                      // decimal values, E = -1
      "\x02\x05\xfa\x01\x31\x02"                      // mantissas
      "\x00"                                          // no exceptions
      "\x54\xb4\x68\xe4";                             // crc32c
  EXPECT_EQ(*EncodeSampleBlock(samples), std::string(kExpected, sizeof(kExpected) - 1));
}

TEST(BlockCodec, HeaderGivesKindAndCount) {
  const std::string block = *EncodeSampleBlock(Regular(77, [](size_t i) { return i * 1.5; }));
  Result<BlockHeader> header = ReadBlockHeader(block);
  ASSERT_TRUE(header.ok()) << header.status().ToString();
  EXPECT_EQ(header->kind, BlockKind::kSamples);
  EXPECT_EQ(header->count, 77u);
}

void ExpectSameRollups(const std::vector<RollupPoint>& a, const std::vector<RollupPoint>& b) {
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].t, b[i].t) << i;
    EXPECT_EQ(Bits(a[i].min), Bits(b[i].min)) << i;
    EXPECT_EQ(Bits(a[i].max), Bits(b[i].max)) << i;
    EXPECT_EQ(Bits(a[i].sum), Bits(b[i].sum)) << i;
    EXPECT_EQ(a[i].count, b[i].count) << i;
    EXPECT_EQ(Bits(a[i].last), Bits(b[i].last)) << i;
  }
}

TEST(BlockCodec, RoundTripsRollupPoints) {
  std::mt19937_64 rng(6);
  std::vector<RollupPoint> points;
  for (int i = 0; i < 1440; ++i) {
    RollupPoint p;
    p.t = kT0 + i * 60'000;
    p.count = i % 100 == 7 ? 0 : 60;  // a bucket of only NaN samples
    if (p.count > 0) {
      p.min = static_cast<double>(rng() % 1000) / 100;
      p.max = p.min + static_cast<double>(rng() % 1000) / 100;
      p.sum = p.min * 59.7;
      p.last = p.max;
    }
    points.push_back(p);
  }
  points[3].count = std::numeric_limits<uint64_t>::max();
  points[4].last = -0.0;
  Result<std::string> block = EncodeRollupBlock(points);
  ASSERT_TRUE(block.ok()) << block.status().ToString();
  Result<std::vector<RollupPoint>> decoded = DecodeRollupBlock(*block);
  ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
  ExpectSameRollups(*decoded, points);
  EXPECT_EQ(ReadBlockHeader(*block)->kind, BlockKind::kRollups);
}

TEST(BlockCodec, RefusesABlockOfTheOtherKind) {
  const std::string samples =
      *EncodeSampleBlock(Regular(3, [](size_t i) { return static_cast<double>(i); }));
  EXPECT_FALSE(DecodeRollupBlock(samples).ok());
  const std::string rollups = *EncodeRollupBlock(std::vector<RollupPoint>{{}});
  EXPECT_FALSE(DecodeSampleBlock(rollups).ok());
}

// Recomputes the trailing checksum, so a mutation reaches the parsers.
void Reseal(std::string& block) {
  const uint32_t crc = Crc32c(std::string_view(block).substr(0, block.size() - 4));
  for (int i = 0; i < 4; ++i) block[block.size() - 4 + i] = static_cast<char>(crc >> (24 - 8 * i));
}

// Small blocks: one zstd-compressed, one stored as is (random values do not
// compress), one of rollups.
std::vector<std::string> SmallBlocks() {
  std::mt19937_64 rng(7);
  std::vector<std::string> blocks;
  blocks.push_back(*EncodeSampleBlock(Regular(40, [](size_t i) { return i % 7 * 0.5; })));
  blocks.push_back(
      *EncodeSampleBlock(Regular(6, [&](size_t) { return std::bit_cast<double>(rng()); })));
  std::vector<RollupPoint> points(4);
  for (size_t i = 0; i < points.size(); ++i) points[i] = {kT0 + int64_t(i) * 60'000, 1, 2, 3, 4, 5};
  blocks.push_back(*EncodeRollupBlock(points));
  return blocks;
}

Status Decode(std::string_view block) {
  Result<BlockHeader> header = ReadBlockHeader(block);
  if (!header.ok()) return header.status();
  if (header->kind == BlockKind::kSamples) return DecodeSampleBlock(block).status();
  return DecodeRollupBlock(block).status();
}

TEST(BlockCodecCorruption, EveryTruncationIsAnError) {
  for (const std::string& block : SmallBlocks()) {
    ASSERT_TRUE(Decode(block).ok());
    for (size_t n = 0; n < block.size(); ++n) {
      EXPECT_FALSE(Decode(std::string_view(block).substr(0, n)).ok()) << n;
    }
  }
}

TEST(BlockCodecCorruption, EveryBitFlipIsAnError) {
  for (const std::string& block : SmallBlocks()) {
    for (size_t bit = 0; bit < block.size() * 8; ++bit) {
      std::string damaged = block;
      damaged[bit / 8] = static_cast<char>(damaged[bit / 8] ^ (1 << (bit % 8)));
      const Status s = Decode(damaged);
      EXPECT_FALSE(s.ok()) << "bit " << bit;
      EXPECT_NE(s.message().find("block"), std::string::npos) << s.message();
    }
  }
}

// With the checksum fixed up, a damaged byte reaches the column parsers:
// they may accept it (a different value) but never read out of bounds
// (run under ASan: build-store-asan) or loop.
TEST(BlockCodecCorruption, DamageBehindAValidChecksumNeverCrashes) {
  std::mt19937_64 rng(8);
  for (const std::string& block : SmallBlocks()) {
    for (size_t pos = 0; pos + 4 < block.size(); ++pos) {
      for (int trial = 0; trial < 16; ++trial) {
        std::string damaged = block;
        damaged[pos] = static_cast<char>(trial < 8 ? damaged[pos] ^ (1 << trial) : rng());
        Reseal(damaged);
        (void)Decode(damaged);
      }
    }
  }
}

TEST(BlockCodecCorruption, NamesAnUnknownVersion) {
  std::string block =
      *EncodeSampleBlock(Regular(3, [](size_t i) { return static_cast<double>(i); }));
  block[0] = 9;
  Reseal(block);
  const Status s = Decode(block);
  EXPECT_NE(s.message().find("unsupported block version 9"), std::string::npos) << s.message();
}

}  // namespace
}  // namespace perfwatch
