#include "store/bit_stream.h"

#include <gtest/gtest.h>

#include <random>
#include <utility>
#include <vector>

namespace perfwatch {
namespace {

TEST(BitWriter, PacksMostSignificantBitFirstAndZeroPadsTheLastByte) {
  BitWriter w;
  w.WriteBits(0b101, 3);
  w.WriteBits(0xFF, 8);
  ASSERT_EQ(w.bit_size(), 11u);
  ASSERT_EQ(w.bytes().size(), 2u);
  EXPECT_EQ(static_cast<uint8_t>(w.bytes()[0]), 0b10111111);
  EXPECT_EQ(static_cast<uint8_t>(w.bytes()[1]), 0b11100000);
}

TEST(BitWriter, WritesOnlyTheLowBitsOfTheValue) {
  BitWriter w;
  w.WriteBits(~uint64_t{0} << 2, 3);  // low 3 bits: 100
  EXPECT_EQ(static_cast<uint8_t>(w.bytes()[0]), 0b10000000);
}

TEST(BitWriter, ClearStartsAnEmptyStream) {
  BitWriter w;
  w.WriteBits(0x1234, 13);
  w.Clear();
  EXPECT_EQ(w.bit_size(), 0u);
  w.WriteBit(true);
  EXPECT_EQ(w.bytes(), std::string(1, '\x80'));
}

TEST(BitStream, RoundTripsEveryWidthAtEveryAlignment) {
  std::mt19937_64 rng(7);
  std::vector<std::pair<uint64_t, int>> written;
  BitWriter w;
  for (int round = 0; round < 20; ++round) {
    for (int n = 0; n <= 64; ++n) {
      const uint64_t value = n == 64 ? rng() : rng() & ((uint64_t{1} << n) - 1);
      w.WriteBits(value, n);
      written.emplace_back(value, n);
    }
  }
  const std::string bytes = w.bytes();
  BitReader r(bytes);
  for (const auto& [value, n] : written) ASSERT_EQ(r.ReadBits(n), value) << n << " bits";
  EXPECT_FALSE(r.failed());
  EXPECT_LT(r.bits_left(), 8u);
}

TEST(BitReader, ReadingPastTheEndFailsReturnsZeroAndStaysFailed) {
  const std::string bytes = "\xFF";
  BitReader r(bytes);
  EXPECT_EQ(r.ReadBits(5), 0b11111u);
  EXPECT_EQ(r.ReadBits(4), 0u);  // only 3 bits were left
  EXPECT_TRUE(r.failed());
  EXPECT_EQ(r.bits_left(), 0u);
  EXPECT_FALSE(r.ReadBit());
  EXPECT_TRUE(r.failed());
}

TEST(BitReader, ReadsExactlyToTheEndWithoutFailing) {
  const std::string bytes = "\xA5\x5A";
  BitReader r(bytes);
  EXPECT_EQ(r.ReadBits(16), 0xA55Au);
  EXPECT_EQ(r.ReadBits(0), 0u);
  EXPECT_FALSE(r.failed());
}

TEST(BitReader, EmptyInputFailsOnTheFirstBit) {
  BitReader r(std::string_view{});
  EXPECT_EQ(r.bits_left(), 0u);
  EXPECT_FALSE(r.ReadBit());
  EXPECT_TRUE(r.failed());
}

TEST(BitReader, A64BitReadNeedsAll64BitsLeft) {
  const std::string bytes(8, '\x01');
  BitReader r(bytes);
  r.ReadBit();
  EXPECT_EQ(r.ReadBits(64), 0u);
  EXPECT_TRUE(r.failed());
}

}  // namespace
}  // namespace perfwatch
