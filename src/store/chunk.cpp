#include "store/chunk.h"

#include <algorithm>
#include <bit>
#include <cstring>
#include <string>

#include "store/crc32c.h"

namespace perfwatch {
namespace {

// Delta-of-delta buckets after the '0' (dod == 0) case: prefix, its length,
// and the width of the two's-complement dod that follows. Anything wider gets
// '1111' and 64 bits. See docs/FORMATS.md for why these widths.
struct DodBucket {
  uint64_t prefix;
  int prefix_bits;
  int value_bits;
};
constexpr DodBucket kDodBuckets[] = {
    {0b10, 2, 5},     // [-16, 15] ms: timer wake-up jitter of a collection loop
    {0b110, 3, 8},    // [-128, 127] ms: scheduling delay on a loaded host
    {0b1110, 4, 17},  // about ±65 s: a missed tick, an interval change
};
constexpr uint64_t kDodWidePrefix = 0b1111;
constexpr int kDodPrefixBitsMax = 4;

bool FitsSigned(int64_t v, int bits) {
  const int64_t limit = int64_t{1} << (bits - 1);
  return v >= -limit && v < limit;
}

int64_t SignExtend(uint64_t raw, int bits) {
  return static_cast<int64_t>(raw << (64 - bits)) >> (64 - bits);
}

uint64_t DoubleBits(double v) { return std::bit_cast<uint64_t>(v); }

void PutU32(std::string& out, uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<char>(v >> shift));
}

uint32_t GetU32(std::string_view in) {
  uint32_t v = 0;
  for (int i = 0; i < 4; ++i) v = (v << 8) | static_cast<uint8_t>(in[i]);
  return v;
}

}  // namespace

bool ChunkEncoder::Append(TimestampMs t_ms, double value) {
  if (count_ == UINT32_MAX) return false;
  const uint64_t bits = DoubleBits(value);
  if (count_ == 0) {
    stream_.WriteBits(static_cast<uint64_t>(t_ms), 64);
    stream_.WriteBits(bits, 64);
    first_t_ = t_ms;
  } else {
    if (t_ms <= last_t_) return false;
    AppendTimestamp(t_ms);
    AppendValue(bits);
  }
  last_t_ = t_ms;
  last_bits_ = bits;
  ++count_;
  return true;
}

void ChunkEncoder::AppendTimestamp(TimestampMs t_ms) {
  const uint64_t delta = static_cast<uint64_t>(t_ms) - static_cast<uint64_t>(last_t_);
  const int64_t dod = static_cast<int64_t>(delta - last_delta_);
  last_delta_ = delta;
  if (dod == 0) {
    stream_.WriteBit(false);
    return;
  }
  for (const DodBucket& bucket : kDodBuckets) {
    if (FitsSigned(dod, bucket.value_bits)) {
      stream_.WriteBits(bucket.prefix, bucket.prefix_bits);
      stream_.WriteBits(static_cast<uint64_t>(dod), bucket.value_bits);
      return;
    }
  }
  stream_.WriteBits(kDodWidePrefix, kDodPrefixBitsMax);
  stream_.WriteBits(static_cast<uint64_t>(dod), 64);
}

void ChunkEncoder::AppendValue(uint64_t bits) {
  const uint64_t x = bits ^ last_bits_;
  if (x == 0) {
    stream_.WriteBit(false);
    return;
  }
  // 5 bits hold at most 31 leading zeros; the rest count as meaningful.
  const int leading = std::min(std::countl_zero(x), 31);
  const int trailing = std::countr_zero(x);
  const int meaningful = 64 - leading - trailing;
  const int window = 64 - leading_ - trailing_;
  // Reuse the previous window when x fits in it, unless a fresh window
  // (11 bits more of header) is shorter overall.
  if (leading_ != kNoXorWindow && leading >= leading_ && trailing >= trailing_ &&
      window <= meaningful + 11) {
    stream_.WriteBits(0b10, 2);
    stream_.WriteBits(x >> trailing_, window);
    return;
  }
  stream_.WriteBits(0b11, 2);
  stream_.WriteBits(static_cast<uint64_t>(leading), 5);
  stream_.WriteBits(static_cast<uint64_t>(meaningful & 63), 6);  // 64 is written as 0
  stream_.WriteBits(x >> trailing, meaningful);
  leading_ = leading;
  trailing_ = trailing;
}

std::string ChunkEncoder::SealedCopy() const {
  std::string out;
  out.reserve(sealed_size());
  out.push_back(static_cast<char>(kChunkVersion));
  PutU32(out, count_);
  stream_.AppendTo(&out);
  PutU32(out, Crc32c(out));
  return out;
}

std::string ChunkEncoder::Seal() {
  std::string out = SealedCopy();
  stream_.Clear();
  count_ = 0;
  last_delta_ = 0;
  last_bits_ = 0;
  leading_ = kNoXorWindow;
  trailing_ = 0;
  return out;
}

Result<ChunkDecoder> ChunkDecoder::Open(std::string_view chunk) {
  if (chunk.size() < kChunkHeaderBytes + kChunkTrailerBytes) {
    return Status::Internal("corrupt chunk: " + std::to_string(chunk.size()) +
                            " bytes is shorter than header and trailer");
  }
  const size_t body = chunk.size() - kChunkTrailerBytes;
  if (Crc32c(chunk.substr(0, body)) != GetU32(chunk.substr(body))) {
    return Status::Internal("corrupt chunk: checksum mismatch");
  }
  const uint8_t version = static_cast<uint8_t>(chunk[0]);
  if (version != kChunkVersion) {
    return Status::Internal("unsupported chunk version " + std::to_string(version) +
                            " (this build reads " + std::to_string(kChunkVersion) + ")");
  }
  const uint32_t count = GetU32(chunk.substr(1));
  const std::string_view stream = chunk.substr(kChunkHeaderBytes, body - kChunkHeaderBytes);
  // The first sample takes 128 bits and every later one at least 2.
  const uint64_t min_bits = count == 0 ? 0 : 128 + 2 * (uint64_t{count} - 1);
  if (min_bits > stream.size() * 8) {
    return Status::Internal("corrupt chunk: " + std::to_string(count) + " samples cannot fit in " +
                            std::to_string(stream.size()) + " bytes");
  }
  return ChunkDecoder(stream, count);
}

bool ChunkDecoder::Next(Sample* out) {
  if (!status_.ok()) return false;
  if (read_ == count_) {
    // Only the zero padding of the last byte may follow the last sample.
    if (reader_.bits_left() >= 8 || reader_.ReadBits(static_cast<int>(reader_.bits_left())) != 0) {
      return Fail("bytes after the last sample");
    }
    return false;
  }
  if (read_ == 0) {
    t_ = static_cast<TimestampMs>(reader_.ReadBits(64));
    bits_ = reader_.ReadBits(64);
  } else if (!ReadTimestamp() || !ReadValue()) {
    return false;
  }
  if (reader_.failed()) return Fail("stream ends inside a sample");
  ++read_;
  out->t_ms = t_;
  out->value = std::bit_cast<double>(bits_);
  return true;
}

bool ChunkDecoder::ReadTimestamp() {
  int ones = 0;
  while (ones < kDodPrefixBitsMax && reader_.ReadBit()) ++ones;
  int64_t dod = 0;
  if (ones == kDodPrefixBitsMax) {
    dod = static_cast<int64_t>(reader_.ReadBits(64));
  } else if (ones > 0) {
    const int width = kDodBuckets[ones - 1].value_bits;
    dod = SignExtend(reader_.ReadBits(width), width);
  }
  delta_ += static_cast<uint64_t>(dod);
  const TimestampMs t = static_cast<TimestampMs>(static_cast<uint64_t>(t_) + delta_);
  if (!reader_.failed() && t <= t_) return Fail("timestamp does not increase");
  t_ = t;
  return true;
}

bool ChunkDecoder::ReadValue() {
  if (!reader_.ReadBit()) return true;
  if (reader_.ReadBit()) {
    const int leading = static_cast<int>(reader_.ReadBits(5));
    int meaningful = static_cast<int>(reader_.ReadBits(6));
    if (meaningful == 0) meaningful = 64;
    if (leading + meaningful > 64) return Fail("XOR window wider than 64 bits");
    leading_ = leading;
    trailing_ = 64 - leading - meaningful;
  } else if (leading_ == kNoXorWindow) {
    return Fail("XOR window reused before one was set");
  }
  bits_ ^= reader_.ReadBits(64 - leading_ - trailing_) << trailing_;
  return true;
}

bool ChunkDecoder::Fail(std::string_view what) {
  status_ = Status::Internal("corrupt chunk: " + std::string(what) + " (sample " +
                             std::to_string(read_) + " of " + std::to_string(count_) + ")");
  return false;
}

Result<std::vector<Sample>> DecodeChunk(std::string_view chunk) {
  Result<ChunkDecoder> decoder = ChunkDecoder::Open(chunk);
  if (!decoder.ok()) return decoder.status();
  std::vector<Sample> samples;
  samples.reserve(decoder->count());
  Sample s;
  while (decoder->Next(&s)) samples.push_back(s);
  if (!decoder->status().ok()) return decoder->status();
  return samples;
}

}  // namespace perfwatch
