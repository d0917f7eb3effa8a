#include "store/chunk.h"

#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <vector>

namespace perfwatch {
namespace {

std::string Encode(const std::vector<Sample>& samples) {
  ChunkEncoder encoder;
  for (const Sample& s : samples) EXPECT_TRUE(encoder.Append(s.t_ms, s.value)) << s.t_ms;
  return encoder.Seal();
}

// Compares values bit for bit, so NaN payloads and -0.0 count.
void ExpectRoundTrip(const std::vector<Sample>& samples) {
  const std::string chunk = Encode(samples);
  Result<std::vector<Sample>> decoded = DecodeChunk(chunk);
  ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
  ASSERT_EQ(decoded->size(), samples.size());
  for (size_t i = 0; i < samples.size(); ++i) {
    ASSERT_EQ((*decoded)[i].t_ms, samples[i].t_ms) << "sample " << i;
    ASSERT_EQ(std::bit_cast<uint64_t>((*decoded)[i].value),
              std::bit_cast<uint64_t>(samples[i].value))
        << "sample " << i << ": " << samples[i].value;
  }
}

std::vector<Sample> Regular(size_t n, TimestampMs start, int64_t step, auto value_of) {
  std::vector<Sample> out;
  for (size_t i = 0; i < n; ++i)
    out.push_back({start + static_cast<int64_t>(i) * step, value_of(i)});
  return out;
}

TEST(ChunkCodec, RoundTripsARandomWalk) {
  std::mt19937_64 rng(1);
  std::normal_distribution<double> step(0, 1);
  double v = 100;
  ExpectRoundTrip(Regular(5000, 1'700'000'000'000, 1000, [&](size_t) { return v += step(rng); }));
}

TEST(ChunkCodec, StoresAConstantSeriesInTwoBitsPerSample) {
  const std::vector<Sample> samples = Regular(1001, 0, 1000, [](size_t) { return 42.0; });
  ExpectRoundTrip(samples);
  // 25 bytes of header, trailer and first sample, 21 bits for the first
  // delta, then '0' + '0' per sample.
  EXPECT_EQ(Encode(samples).size(), 25u + (21 + 1 + 999 * 2 + 7) / 8);
}

TEST(ChunkCodec, RoundTripsCountersOfIntegerValuedDoubles) {
  std::mt19937_64 rng(2);
  double bytes = 1e12;
  ExpectRoundTrip(Regular(3000, 5, 15000, [&](size_t) { return bytes += rng() % 100000; }));
}

TEST(ChunkCodec, RoundTripsIrregularTimestamps) {
  std::mt19937_64 rng(3);
  std::vector<Sample> samples;
  TimestampMs t = -5'000'000;
  for (int i = 0; i < 20000; ++i) {
    const int kind = rng() % 10;
    t += kind == 0 ? 1 + rng() % 10'000'000 : 1000 + static_cast<int64_t>(rng() % 41) - 20;
    samples.push_back({t, static_cast<double>(rng() % 7)});
  }
  ExpectRoundTrip(samples);
}

TEST(XorCodec, RoundTripsNaNAndInfinity) {
  const double kInf = std::numeric_limits<double>::infinity();
  const double kQuietNaN = std::numeric_limits<double>::quiet_NaN();
  const std::vector<double> values = {
      1.0,
      kQuietNaN,
      kQuietNaN,
      -kQuietNaN,
      std::numeric_limits<double>::signaling_NaN(),
      std::bit_cast<double>(uint64_t{0x7FF0'0000'0000'0001}),  // NaN with a one-bit payload
      std::bit_cast<double>(uint64_t{0xFFFF'FFFF'FFFF'FFFF}),
      kInf,
      -kInf,
      kInf,
      0.0,
      -0.0,
      0.0,
      std::numeric_limits<double>::denorm_min(),
      -std::numeric_limits<double>::denorm_min(),
      std::numeric_limits<double>::min() / 3,
      std::numeric_limits<double>::max(),
      std::numeric_limits<double>::lowest(),
      std::numeric_limits<double>::epsilon(),
      kQuietNaN};
  ExpectRoundTrip(Regular(values.size(), 1000, 1000, [&](size_t i) { return values[i]; }));
}

TEST(XorCodec, DistinguishesNegativeZeroFromZero) {
  const std::string chunk = Encode({{1, 0.0}, {2, -0.0}});
  Result<std::vector<Sample>> decoded = DecodeChunk(chunk);
  ASSERT_TRUE(decoded.ok());
  EXPECT_FALSE(std::signbit((*decoded)[0].value));
  EXPECT_TRUE(std::signbit((*decoded)[1].value));
}

TEST(XorCodec, RoundTripsValuesThatFlipEveryBit) {
  std::mt19937_64 rng(4);
  ExpectRoundTrip(Regular(2000, 0, 1, [&](size_t i) {
    return i % 3 == 0 ? std::bit_cast<double>(rng())
                      : std::bit_cast<double>(~uint64_t{0} >> (i % 64));
  }));
}

TEST(DeltaOfDelta, RoundTripsEveryBucketBoundaryBothWays) {
  const std::vector<int64_t> dods = {0,
                                     1,
                                     -1,
                                     63,
                                     64,
                                     -64,
                                     -65,
                                     8191,
                                     8192,
                                     -8192,
                                     -8193,
                                     524287,
                                     524288,
                                     -524288,
                                     -524289,
                                     int64_t{1} << 40,
                                     -(int64_t{1} << 39)};
  std::vector<Sample> samples;
  TimestampMs t = 0;
  int64_t delta = int64_t{1} << 41;  // large enough that every dod keeps deltas positive
  samples.push_back({t, 0});
  for (int64_t dod : dods) {
    delta += dod;
    t += delta;
    samples.push_back({t, 1});
  }
  ExpectRoundTrip(samples);
}

TEST(DeltaOfDelta, RoundTripsHugeGapsAcrossTheWholeInt64Range) {
  constexpr int64_t kMin = std::numeric_limits<int64_t>::min();
  constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
  ExpectRoundTrip({{kMin, 1}, {kMin + 1, 2}, {-1, 3}, {0, 4}, {kMax - 1, 5}, {kMax, 6}});
  ExpectRoundTrip({{kMin, 1}, {kMax, 2}});
}

TEST(ChunkCodec, RoundTripsAMillionSamplesInOneChunk) {
  std::mt19937_64 rng(5);
  TimestampMs t = 1'700'000'000'000;
  double v = 0;
  std::vector<Sample> samples;
  for (int i = 0; i < 1'000'000; ++i) {
    t += 995 + rng() % 11;
    v += (rng() % 4 == 0) ? static_cast<double>(rng() % 1000) : 0;
    samples.push_back({t, v});
  }
  ExpectRoundTrip(samples);
}

TEST(ChunkEncoder, RefusesTimeThatDoesNotIncreaseAndStaysValid) {
  ChunkEncoder encoder;
  ASSERT_TRUE(encoder.Append(1000, 1));
  ASSERT_TRUE(encoder.Append(2000, 2));
  EXPECT_FALSE(encoder.Append(2000, 3));
  EXPECT_FALSE(encoder.Append(1500, 4));
  ASSERT_TRUE(encoder.Append(3000, 5));
  EXPECT_EQ(encoder.count(), 3u);
  Result<std::vector<Sample>> decoded = DecodeChunk(encoder.Seal());
  ASSERT_TRUE(decoded.ok());
  EXPECT_EQ(*decoded, (std::vector<Sample>{{1000, 1}, {2000, 2}, {3000, 5}}));
}

TEST(ChunkEncoder, SealedCopyLeavesTheEncoderAppendable) {
  ChunkEncoder encoder;
  ASSERT_TRUE(encoder.Append(10, 1));
  const std::string copy = encoder.SealedCopy();
  EXPECT_EQ(copy.size(), encoder.sealed_size());
  ASSERT_TRUE(encoder.Append(20, 2));
  EXPECT_EQ(DecodeChunk(copy)->size(), 1u);
  EXPECT_EQ(DecodeChunk(encoder.SealedCopy())->size(), 2u);
}

TEST(ChunkEncoder, SealStartsAFreshChunk) {
  ChunkEncoder encoder;
  ASSERT_TRUE(encoder.Append(10, 1));
  ASSERT_TRUE(encoder.Append(20, 2));
  const std::string first = encoder.Seal();
  EXPECT_EQ(encoder.count(), 0u);
  ASSERT_TRUE(encoder.Append(5, 7));  // a new chunk has no earlier time to respect
  ASSERT_TRUE(encoder.Append(6, 8));
  EXPECT_EQ(*DecodeChunk(first), (std::vector<Sample>{{10, 1}, {20, 2}}));
  EXPECT_EQ(*DecodeChunk(encoder.Seal()), (std::vector<Sample>{{5, 7}, {6, 8}}));
}

TEST(ChunkFormat, AnEmptyChunkDecodesToNoSamples) {
  ChunkEncoder encoder;
  const std::string chunk = encoder.Seal();
  EXPECT_EQ(chunk.size(), kChunkHeaderBytes + kChunkTrailerBytes);
  Result<std::vector<Sample>> decoded = DecodeChunk(chunk);
  ASSERT_TRUE(decoded.ok());
  EXPECT_TRUE(decoded->empty());
}

std::string Hex(std::string_view bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  for (char c : bytes) {
    out += kDigits[static_cast<uint8_t>(c) >> 4];
    out += kDigits[static_cast<uint8_t>(c) & 15];
  }
  return out;
}

// The worked example of docs/FORMATS.md, byte for byte.
TEST(ChunkFormat, EncodesTheWorkedExampleOfFormatsMd) {
  const std::string chunk =
      Encode({{1'700'000'000'000, 12.5}, {1'700'000'001'000, 12.5}, {1'700'000'002'003, 13.0}});
  EXPECT_EQ(Hex(chunk),
            "01"
            "00000003"
            "0000018bcfe56800"
            "4029000000000000"
            "e01f421ee0b0"
            "a4376342");
}

}  // namespace
}  // namespace perfwatch
