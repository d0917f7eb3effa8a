#include "store/bit_stream.h"

#include <algorithm>
#include <bit>
#include <cassert>
#include <cstring>

namespace perfwatch {
namespace {

uint64_t LoadBigEndian64(const char* p) {
  uint64_t v;
  std::memcpy(&v, p, sizeof v);
  if constexpr (std::endian::native == std::endian::little) v = __builtin_bswap64(v);
  return v;
}

}  // namespace

void BitWriter::Spill() {
  char out[8];
  for (int i = 0; i < 8; ++i) out[i] = static_cast<char>(pending_ >> (56 - 8 * i));
  bytes_.append(out, 8);
}

void BitWriter::AppendTo(std::string* out) const {
  out->append(bytes_);
  // Left-align the pending bits; the zeros shifted in are the padding.
  const uint64_t aligned = pending_bits_ == 0 ? 0 : pending_ << (64 - pending_bits_);
  for (int i = 0; i < (pending_bits_ + 7) / 8; ++i) {
    out->push_back(static_cast<char>(aligned >> (56 - 8 * i)));
  }
}

uint64_t BitReader::ReadBits(int n) {
  assert(n >= 0 && n <= 64);
  if (static_cast<size_t>(n) > bits_left()) {
    failed_ = true;
    pos_ = size_bits_;
    return 0;
  }
  if (n == 0) return 0;
  const size_t byte = pos_ >> 3;
  const int offset = static_cast<int>(pos_ & 7);
  if (byte + 8 > data_.size()) return ReadBitsSlow(n);
  const uint64_t word = LoadBigEndian64(data_.data() + byte);
  pos_ += n;
  if (n <= 64 - offset) return (word << offset) >> (64 - n);
  // The read straddles a ninth byte, which exists: n bits were left.
  const int extra = n - (64 - offset);
  const uint64_t low = static_cast<uint8_t>(data_[byte + 8]) >> (8 - extra);
  return ((word & (~uint64_t{0} >> offset)) << extra) | low;
}

uint64_t BitReader::ReadBitsSlow(int n) {
  uint64_t out = 0;
  while (n > 0) {
    const int avail = 8 - static_cast<int>(pos_ & 7);
    const int take = std::min(n, avail);
    const unsigned byte = static_cast<uint8_t>(data_[pos_ >> 3]);
    out = (out << take) | ((byte >> (avail - take)) & ((1u << take) - 1));
    pos_ += take;
    n -= take;
  }
  return out;
}

}  // namespace perfwatch
