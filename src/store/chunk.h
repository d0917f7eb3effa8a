#pragma once
// The chunk codec: one series' samples compressed as in Facebook's Gorilla
// (VLDB 2015), delta-of-delta timestamps and XOR'd float values, with bucket
// widths sized for millisecond timestamps. docs/FORMATS.md gives the layout.
//
// A sealed chunk is self-describing: a version byte, the sample count, the
// bit stream and a CRC-32C trailer, so it can be stored and read back alone.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "model/sample.h"
#include "model/status.h"
#include "store/bit_stream.h"

namespace perfwatch {

inline constexpr uint8_t kChunkVersion = 1;
inline constexpr size_t kChunkHeaderBytes = 5;   // version, u32 sample count
inline constexpr size_t kChunkTrailerBytes = 4;  // u32 CRC-32C
// Marks "no XOR window yet": a '10' (reuse) value before any '11' is corrupt.
inline constexpr int kNoXorWindow = 0xFF;

// Builds one chunk, sample by sample. Not thread-safe: its owner serializes
// every call.
class ChunkEncoder {
 public:
  ChunkEncoder() = default;

  // Appends a sample. Returns false, changing nothing, unless t_ms is
  // strictly after last_time() (or the chunk holds 2^32-1 samples already).
  [[nodiscard]] bool Append(TimestampMs t_ms, double value);

  uint32_t count() const { return count_; }
  // Valid when count() > 0.
  TimestampMs first_time() const { return first_t_; }
  TimestampMs last_time() const { return last_t_; }

  // Size of the chunk if it were sealed now: header, stream, trailer.
  size_t sealed_size() const {
    return kChunkHeaderBytes + stream_.byte_size() + kChunkTrailerBytes;
  }
  // The chunk as it would be sealed now, exactly sized; the encoder is
  // unchanged and may keep appending (this is how the head is queried).
  std::string SealedCopy() const;
  // Seals: returns SealedCopy() and resets the encoder to empty, keeping its
  // buffer's capacity for the next chunk.
  std::string Seal();

 private:
  void AppendTimestamp(TimestampMs t_ms);
  void AppendValue(uint64_t bits);

  BitWriter stream_;
  uint32_t count_ = 0;
  TimestampMs first_t_ = 0;
  TimestampMs last_t_ = 0;
  // Modular (uint64) arithmetic: deltas between any two int64 times fit.
  uint64_t last_delta_ = 0;
  uint64_t last_bits_ = 0;
  // The XOR window of the last value written with an explicit window;
  // leading_ == kNoXorWindow until the first one.
  int leading_ = kNoXorWindow;
  int trailing_ = 0;
};

// Iterates the samples of one sealed chunk. Not thread-safe; cheap to make
// one per reader. The bytes given to Open must stay alive and unchanged while
// the decoder is in use.
//
// Corrupt input (bad version, checksum, truncation, an impossible field)
// ends iteration with a non-OK status(); the decoder never reads outside the
// bytes and always terminates.
class ChunkDecoder {
 public:
  // Checks the version, the checksum and that the count fits the stream.
  static Result<ChunkDecoder> Open(std::string_view chunk);

  uint32_t count() const { return count_; }

  // Decodes the next sample into *out. Returns false at the end of the chunk
  // or on corruption; status() then says which.
  bool Next(Sample* out);
  const Status& status() const { return status_; }

 private:
  ChunkDecoder(std::string_view stream, uint32_t count) : reader_(stream), count_(count) {}
  bool ReadTimestamp();
  bool ReadValue();
  bool Fail(std::string_view what);

  BitReader reader_;
  uint32_t count_;
  uint32_t read_ = 0;
  TimestampMs t_ = 0;
  uint64_t delta_ = 0;
  uint64_t bits_ = 0;
  int leading_ = kNoXorWindow;
  int trailing_ = 0;
  Status status_;
};

// Decodes a whole sealed chunk; fails on any corruption.
Result<std::vector<Sample>> DecodeChunk(std::string_view chunk);

}  // namespace perfwatch
