// The chunk codec (store/chunk.h) against arbitrary bytes and round trips.
//
// 1. The input as a sealed chunk, and again with a valid CRC-32C appended so
//    that the bit-stream decoder, not the checksum, sees the corruption: the
//    decoder must terminate, never read outside the bytes, and every chunk it
//    accepts must hold strictly increasing timestamps.
// 2. Samples derived from the input (timestamps strictly increasing, values
//    mixing repeats, small changes and raw bit patterns, NaNs included) are
//    encoded, sealed and decoded: the result must be bit-identical.

#include <fuzzer/FuzzedDataProvider.h>

#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <limits>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "store/chunk.h"
#include "store/crc32c.h"

namespace {

using perfwatch::ChunkDecoder;
using perfwatch::ChunkEncoder;
using perfwatch::Sample;

void CheckDecodes(std::string_view chunk) {
  auto decoder = ChunkDecoder::Open(chunk);
  if (decoder.ok()) {
    Sample s;
    uint64_t n = 0;
    bool first = true;
    int64_t last_t = 0;
    while (decoder->Next(&s)) {
      if (++n > decoder->count()) __builtin_trap();
      if (!first && s.t_ms <= last_t) __builtin_trap();
      first = false;
      last_t = s.t_ms;
    }
    // Next returns false for good: calling it again changes nothing.
    if (decoder->Next(&s)) __builtin_trap();
    if (decoder->status().ok() && n != decoder->count()) __builtin_trap();
  }
  auto samples = perfwatch::DecodeChunk(chunk);
  if (samples.ok() != (decoder.ok() && decoder->status().ok())) __builtin_trap();
}

void CheckRoundTrip(const uint8_t* data, size_t size) {
  FuzzedDataProvider in(data, size);
  ChunkEncoder encoder;
  std::vector<Sample> want;
  int64_t t = in.ConsumeIntegral<int64_t>();
  uint64_t bits = in.ConsumeIntegral<uint64_t>();
  while (want.size() < 4096) {
    if (!want.empty()) {
      if (in.remaining_bytes() == 0) break;
      const uint8_t op = in.ConsumeIntegral<uint8_t>();
      uint64_t step = 0;
      switch (op & 3) {
        case 0:  // a regular interval
          step = 1000;
          break;
        case 1:  // jitter around it
          step = 1000 + in.ConsumeIntegralInRange<int64_t>(-999, 999);
          break;
        case 2:  // a gap of up to about 35 years
          step = in.ConsumeIntegralInRange<uint64_t>(1, uint64_t{1} << 40);
          break;
        default:
          step = in.ConsumeIntegralInRange<uint64_t>(1, std::numeric_limits<int64_t>::max());
      }
      if (t > std::numeric_limits<int64_t>::max() - static_cast<int64_t>(step)) break;
      t += static_cast<int64_t>(step);
      switch ((op >> 2) & 3) {
        case 0:  // unchanged
          break;
        case 1:  // any bit pattern: NaN payloads, infinities, denormals
          bits = in.ConsumeIntegral<uint64_t>();
          break;
        case 2:  // a counter going up
          bits = std::bit_cast<uint64_t>(std::bit_cast<double>(bits) +
                                         in.ConsumeIntegralInRange<int>(0, 1000));
          break;
        default:  // a few low or high bits flipped
          bits ^= uint64_t{in.ConsumeIntegral<uint16_t>()} << in.ConsumeIntegralInRange(0, 48);
      }
    }
    const double value = std::bit_cast<double>(bits);
    if (!encoder.Append(t, value)) __builtin_trap();
    want.push_back({t, value});
    // A sample not after the last one is refused and changes nothing.
    if (encoder.Append(t, value)) __builtin_trap();
  }
  if (encoder.count() != want.size()) __builtin_trap();
  const size_t expected_size = encoder.sealed_size();
  const std::string copy = encoder.SealedCopy();
  const std::string sealed = encoder.Seal();
  if (sealed != copy || sealed.size() != expected_size || encoder.count() != 0) __builtin_trap();

  auto got = perfwatch::DecodeChunk(sealed);
  if (!got.ok() || got->size() != want.size()) __builtin_trap();
  for (size_t i = 0; i < want.size(); ++i) {
    if ((*got)[i].t_ms != want[i].t_ms ||
        std::bit_cast<uint64_t>((*got)[i].value) != std::bit_cast<uint64_t>(want[i].value)) {
      __builtin_trap();
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  CheckDecodes(bytes);

  // Exactly sized (no std::string spare capacity), so ASan sees overreads.
  std::unique_ptr<char[]> fixed(new char[size + 4]);
  if (size > 0) std::memcpy(fixed.get(), data, size);
  const uint32_t crc = perfwatch::Crc32c(bytes);
  for (int i = 0; i < 4; ++i) fixed[size + i] = static_cast<char>(crc >> (24 - 8 * i));
  CheckDecodes(std::string_view(fixed.get(), size + 4));

  CheckRoundTrip(data, size);
  return 0;
}
