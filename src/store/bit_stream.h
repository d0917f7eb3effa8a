#pragma once
// BitWriter and BitReader: the bit-level stream under the chunk codec. Bits
// are packed most significant bit first; the last byte is zero-padded.
//
// Neither class is thread-safe. BitReader never reads outside its bytes:
// chunks come back from disk and must survive any corruption.

#include <cassert>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace perfwatch {

class BitWriter {
 public:
  BitWriter() = default;

  void WriteBit(bool bit) { WriteBits(bit ? 1 : 0, 1); }

  // Appends the low `n` bits of `value`, most significant first. 0 <= n <= 64.
  // Inline: the encoder calls it several times per sample.
  void WriteBits(uint64_t value, int n) {
    assert(n >= 0 && n <= 64);
    if (n == 0) return;
    const uint64_t bits = n == 64 ? value : value & ((uint64_t{1} << n) - 1);
    const int room = 64 - pending_bits_;
    if (n < room) {
      pending_ = (pending_ << n) | bits;
      pending_bits_ += n;
      return;
    }
    // Fill pending_ to 64 bits, spill it, keep the rest.
    const int rest = n - room;
    pending_ = room == 64 ? bits >> rest : (pending_ << room) | (bits >> rest);
    Spill();
    pending_bits_ = rest;
    pending_ = rest == 0 ? 0 : bits & ((uint64_t{1} << rest) - 1);
  }

  size_t bit_size() const { return bytes_.size() * 8 + pending_bits_; }
  size_t byte_size() const { return bytes_.size() + (pending_bits_ + 7) / 8; }
  // Appends the stream to *out, the unused bits of its last byte zero.
  void AppendTo(std::string* out) const;
  // A copy: keep it alive while a BitReader reads it.
  std::string bytes() const {
    std::string out;
    AppendTo(&out);
    return out;
  }
  // Empties the stream but keeps its capacity for the next chunk.
  void Clear() {
    bytes_.clear();
    pending_ = 0;
    pending_bits_ = 0;
  }

 private:
  void Spill();  // appends all 64 bits of pending_ to bytes_

  std::string bytes_;     // whole bytes
  uint64_t pending_ = 0;  // the stream's last pending_bits_ (< 64) bits
  int pending_bits_ = 0;
};

class BitReader {
 public:
  // `bytes` must stay alive and unchanged while the reader is in use.
  explicit BitReader(std::string_view bytes) : data_(bytes), size_bits_(bytes.size() * 8) {}

  // Reads `n` bits (0 <= n <= 64), most significant first. Reading past the
  // end returns 0, sets failed() and leaves the reader at the end, so every
  // later read fails too.
  uint64_t ReadBits(int n);

  bool ReadBit() {
    if (pos_ >= size_bits_) {
      failed_ = true;
      return false;
    }
    const bool bit = (static_cast<uint8_t>(data_[pos_ >> 3]) >> (7 - (pos_ & 7))) & 1;
    ++pos_;
    return bit;
  }

  bool failed() const { return failed_; }
  size_t bits_left() const { return size_bits_ - pos_; }

 private:
  uint64_t ReadBitsSlow(int n);  // within the last 8 bytes

  std::string_view data_;
  size_t size_bits_;
  size_t pos_ = 0;
  bool failed_ = false;
};

}  // namespace perfwatch
