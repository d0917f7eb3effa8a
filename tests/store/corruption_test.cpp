// Chunks come back from disk: whatever the damage, decoding must end with an
// error (or, past an intact checksum, valid samples) and never crash or hang.

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "store/chunk.h"
#include "store/crc32c.h"

namespace perfwatch {
namespace {

std::string SampleChunk(size_t n = 300) {
  std::mt19937_64 rng(11);
  ChunkEncoder encoder;
  TimestampMs t = 1'700'000'000'000;
  double v = 50;
  for (size_t i = 0; i < n; ++i) {
    t += 990 + rng() % 21;
    v += (rng() % 3 == 0) ? static_cast<double>(rng() % 100) / 7 : 0;
    EXPECT_TRUE(encoder.Append(t, i % 50 == 0 ? std::numeric_limits<double>::quiet_NaN() : v));
  }
  return encoder.Seal();
}

// Rewrites the trailer so the damage reaches the structural checks.
void FixChecksum(std::string& chunk) {
  if (chunk.size() < kChunkTrailerBytes) return;
  const size_t body = chunk.size() - kChunkTrailerBytes;
  const uint32_t crc = Crc32c(std::string_view(chunk).substr(0, body));
  for (int i = 0; i < 4; ++i) chunk[body + i] = static_cast<char>(crc >> (24 - 8 * i));
}

// Decodes to the end, checking what any successful decode must satisfy.
Status DecodeAll(std::string_view chunk) {
  Result<ChunkDecoder> decoder = ChunkDecoder::Open(chunk);
  if (!decoder.ok()) return decoder.status();
  Sample s, prev;
  uint32_t n = 0;
  while (decoder->Next(&s)) {
    EXPECT_LE(++n, decoder->count());
    if (n > 1) {
      EXPECT_GT(s.t_ms, prev.t_ms);
    }
    prev = s;
  }
  if (decoder->status().ok()) {
    EXPECT_EQ(n, decoder->count());
  }
  return decoder->status();
}

TEST(ChunkCorruption, EveryTruncationFailsWithAnError) {
  const std::string chunk = SampleChunk();
  for (size_t len = 0; len < chunk.size(); ++len) {
    EXPECT_FALSE(DecodeAll(chunk.substr(0, len)).ok()) << len;
  }
}

TEST(ChunkCorruption, EverySingleBitFlipFailsTheChecksum) {
  const std::string chunk = SampleChunk();
  for (size_t bit = 0; bit < chunk.size() * 8; ++bit) {
    std::string bad = chunk;
    bad[bit / 8] = static_cast<char>(bad[bit / 8] ^ (1 << (bit % 8)));
    const Status status = DecodeAll(bad);
    ASSERT_FALSE(status.ok()) << "bit " << bit;
    EXPECT_NE(status.message().find("corrupt chunk"), std::string::npos) << status.message();
  }
}

TEST(ChunkCorruption, TruncationBehindAValidChecksumFailsInsideTheStream) {
  const std::string chunk = SampleChunk();
  for (size_t len = kChunkHeaderBytes; len + kChunkTrailerBytes < chunk.size(); ++len) {
    std::string bad = chunk.substr(0, len) + "CRC!";
    FixChecksum(bad);
    EXPECT_FALSE(DecodeAll(bad).ok()) << len;
  }
}

TEST(ChunkCorruption, RandomDamageNeverCrashesOrHangs) {
  const std::string chunk = SampleChunk();
  std::mt19937_64 rng(12);
  int failed = 0;
  constexpr int kRounds = 20000;
  for (int round = 0; round < kRounds; ++round) {
    std::string bad = chunk;
    const int flips = 1 + static_cast<int>(rng() % 8);
    for (int i = 0; i < flips; ++i) bad[rng() % bad.size()] ^= static_cast<char>(1 + rng() % 255);
    if (rng() % 4 == 0) bad.resize(rng() % bad.size());
    if (rng() % 8 == 0) bad += std::string(1 + rng() % 16, static_cast<char>(rng()));
    const bool keep_checksum_valid = round % 2 == 0;
    if (keep_checksum_valid) FixChecksum(bad);
    const Status status = DecodeAll(bad);
    failed += !status.ok();
    if (!keep_checksum_valid) {
      EXPECT_FALSE(status.ok()) << "round " << round;
    }
  }
  EXPECT_GT(failed, kRounds / 2);
}

TEST(ChunkCorruption, RandomBytesWithAValidChecksumNeverCrashOrHang) {
  std::mt19937_64 rng(13);
  for (int round = 0; round < 20000; ++round) {
    std::string bytes(rng() % 64, '\0');
    for (char& c : bytes) c = static_cast<char>(rng());
    if (!bytes.empty()) bytes[0] = static_cast<char>(kChunkVersion);
    if (bytes.size() > 4 && round % 2 == 0) bytes[1] = bytes[2] = bytes[3] = 0;  // small count
    bytes += "CRC!";
    FixChecksum(bytes);
    (void)DecodeAll(bytes);
  }
}

TEST(ChunkCorruption, UnknownVersionIsRejectedByName) {
  std::string chunk = SampleChunk(3);
  chunk[0] = 9;
  FixChecksum(chunk);
  const Status status = DecodeAll(chunk);
  ASSERT_FALSE(status.ok());
  EXPECT_NE(status.message().find("version 9"), std::string::npos) << status.message();
}

TEST(ChunkCorruption, CountLargerThanTheStreamCanHoldIsRejectedUpFront) {
  std::string chunk = SampleChunk(3);
  chunk[1] = 0x7F;
  FixChecksum(chunk);
  Result<ChunkDecoder> decoder = ChunkDecoder::Open(chunk);
  ASSERT_FALSE(decoder.ok());
  EXPECT_NE(decoder.status().message().find("cannot fit"), std::string::npos);
}

TEST(ChunkCorruption, ExtraBytesAfterTheLastSampleAreAnError) {
  std::string chunk = SampleChunk(3);
  chunk.insert(chunk.size() - kChunkTrailerBytes, "\0\0", 2);
  FixChecksum(chunk);
  const Status status = DecodeAll(chunk);
  ASSERT_FALSE(status.ok());
  EXPECT_NE(status.message().find("after the last sample"), std::string::npos);
}

TEST(Crc32c, MatchesTheStandardCheckValue) {
  EXPECT_EQ(Crc32c("123456789"), 0xE3069283u);  // RFC 3720 / iSCSI check value
  EXPECT_EQ(Crc32c("6789", Crc32c("12345")), 0xE3069283u);
}

}  // namespace
}  // namespace perfwatch
