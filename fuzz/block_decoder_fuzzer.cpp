// The block codec (store/block_codec.h) against arbitrary bytes and round
// trips. The first byte picks:
//
// 0. The rest as a block.
// 1. The rest with a valid CRC-32C appended, so that the framing, zstd and
//    column decoders, not the checksum, see the corruption.
// 2. The rest as an uncompressed payload, framed as a block whose kind and
//    point count come from the input (with a valid CRC): the column decoders
//    see the garbage directly.
// 3. As 2, the payload compressed with zstd first.
// 4-5. Samples derived from the input (strictly increasing timestamps up to
//    the int64 limits; values repeating, decimal, counters, and any bit
//    pattern: NaN payloads, infinities, -0.0, denormals) are encoded, with
//    the zstd level and value encoding the input picks, and decoded.
// 6-7. The same for rollup points.
//
// Decoding must terminate, never read outside the bytes (ASan), and never
// request a block larger than the header's point count allows (the bound
// kMaxBlockPoints exists for) plus 1 MiB: not a size a zstd frame or a
// length field claims. A block that decodes must hold its header's count
// of points in strictly increasing time order, and (up to 65,536 of them)
// encode and decode again to the same points. A round trip must be
// bit-identical, and any single bit flipped in the encoded block must make
// it fail (CRC-32C sees every 1-bit error).

#include <fuzzer/FuzzedDataProvider.h>
#include <zstd.h>

#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "largest_allocation.h"
#include "store/block_codec.h"
#include "store/crc32c.h"

namespace {

using namespace perfwatch;

// What a decoder may allocate for a block of `count` points: the payload
// (MaxPayloadBytes in block_codec.cpp: 216 + 132 per point for rollups) is
// the largest buffer; columns take 8 bytes a point, results 48.
size_t AllocationBound(uint32_t count) { return (size_t{1} << 20) + 132 * size_t{count}; }

uint64_t Bits(double v) { return std::bit_cast<uint64_t>(v); }

bool SameSamples(const std::vector<Sample>& a, const std::vector<Sample>& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (a[i].t_ms != b[i].t_ms || Bits(a[i].value) != Bits(b[i].value)) return false;
  }
  return true;
}

bool SamePoints(const std::vector<RollupPoint>& a, const std::vector<RollupPoint>& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (a[i].t != b[i].t || a[i].count != b[i].count || Bits(a[i].min) != Bits(b[i].min) ||
        Bits(a[i].max) != Bits(b[i].max) || Bits(a[i].sum) != Bits(b[i].sum) ||
        Bits(a[i].last) != Bits(b[i].last)) {
      return false;
    }
  }
  return true;
}

template <typename Point>
bool StrictlyIncreasing(const std::vector<Point>& points, auto time_of) {
  for (size_t i = 1; i < points.size(); ++i) {
    if (time_of(points[i]) <= time_of(points[i - 1])) return false;
  }
  return true;
}

// A zstd frame of a few bytes can hold a million equal points; encoding that
// many again would take seconds under ASan.
constexpr size_t kMaxReencodedPoints = 1 << 16;

void CheckDecodes(std::string_view block) {
  std::optional<Result<BlockHeader>> header;
  std::optional<Result<std::vector<Sample>>> samples;
  std::optional<Result<std::vector<RollupPoint>>> points;
  {
    fuzz::LargestAllocation watch;
    header.emplace(ReadBlockHeader(block));
    samples.emplace(DecodeSampleBlock(block));
    points.emplace(DecodeRollupBlock(block));
    if (watch.bytes() > AllocationBound(header->ok() ? (*header)->count : 0)) __builtin_trap();
  }
  if (samples->ok() && points->ok()) __builtin_trap();
  if ((samples->ok() || points->ok()) && !header->ok()) __builtin_trap();
  if (samples->ok()) {
    const std::vector<Sample>& got = samples->value();
    if ((*header)->kind != BlockKind::kSamples || got.size() != (*header)->count) __builtin_trap();
    if (!StrictlyIncreasing(got, [](const Sample& s) { return s.t_ms; })) __builtin_trap();
    if (got.size() > kMaxReencodedPoints) return;
    Result<std::string> again = EncodeSampleBlock(got, {.zstd_level = 1});
    if (!again.ok()) __builtin_trap();
    Result<std::vector<Sample>> reread = DecodeSampleBlock(*again);
    if (!reread.ok() || !SameSamples(*reread, got)) __builtin_trap();
  }
  if (points->ok()) {
    const std::vector<RollupPoint>& got = points->value();
    if ((*header)->kind != BlockKind::kRollups || got.size() != (*header)->count) __builtin_trap();
    if (!StrictlyIncreasing(got, [](const RollupPoint& p) { return p.t; })) __builtin_trap();
    if (got.size() > kMaxReencodedPoints) return;
    Result<std::string> again = EncodeRollupBlock(got, {.zstd_level = 1});
    if (!again.ok()) __builtin_trap();
    Result<std::vector<RollupPoint>> reread = DecodeRollupBlock(*again);
    if (!reread.ok() || !SamePoints(*reread, got)) __builtin_trap();
  }
}

// Decodes `block` from an exactly sized copy with a CRC-32C appended (no
// std::string spare capacity, so ASan sees a read past the end).
void CheckDecodesWithCrc(std::string_view block) {
  const size_t size = block.size();
  std::unique_ptr<char[]> fixed(new char[size + 4]);
  if (size > 0) std::memcpy(fixed.get(), block.data(), size);
  const uint32_t crc = Crc32c(block);
  for (int i = 0; i < 4; ++i) fixed[size + i] = static_cast<char>(crc >> (24 - 8 * i));
  CheckDecodes(std::string_view(fixed.get(), size + 4));
}

void PutVarint(std::string& out, uint64_t v) {
  for (; v >= 0x80; v >>= 7) out.push_back(static_cast<char>(v | 0x80));
  out.push_back(static_cast<char>(v));
}

// Frames `payload` as docs/FORMATS.md "Blocks on disk" lays a block out,
// taking the kind and point count from the first 4 bytes.
void CheckFramedPayload(std::string_view input, bool compress) {
  if (input.size() < 4) return;
  const auto kind = static_cast<char>(input[0] & 1 ? BlockKind::kRollups : BlockKind::kSamples);
  uint32_t count = 0;
  for (int i = 1; i < 4; ++i) count = count << 8 | static_cast<uint8_t>(input[i]);
  count = count % kMaxBlockPoints + 1;
  const std::string_view payload = input.substr(4);
  std::string block{static_cast<char>(kBlockVersion), kind};
  PutVarint(block, count);
  block.push_back(compress ? 1 : 0);
  PutVarint(block, payload.size());
  if (!compress) {
    block.append(payload);
  } else {
    std::string frame(ZSTD_compressBound(payload.size()), '\0');
    const size_t n = ZSTD_compress(frame.data(), frame.size(), payload.data(), payload.size(), 1);
    if (ZSTD_isError(n)) __builtin_trap();
    block.append(frame, 0, n);
  }
  CheckDecodesWithCrc(block);
}

// ---- round trips

double NextValue(FuzzedDataProvider& in, double v) {
  static constexpr uint64_t kSpecial[] = {
      0x7FF8000000000000,  // the quiet NaN
      0x7FF0000000000001,  // a signalling NaN payload
      0xFFF8DEADBEEF0001,  // a negative NaN with a payload
      0x7FF0000000000000,  // +Inf
      0xFFF0000000000000,  // -Inf
      0x8000000000000000,  // -0.0
      0x0000000000000001,  // the smallest denormal
      0x7FEFFFFFFFFFFFFF,  // the largest double
  };
  switch (in.ConsumeIntegralInRange(0, 5)) {
    case 0:  // unchanged
      return v;
    case 1:  // any bit pattern
      return std::bit_cast<double>(in.ConsumeIntegral<uint64_t>());
    case 2:
      return std::bit_cast<double>(in.PickValueInArray(kSpecial));
    case 3: {  // a decimal such as a percentage, 12.35, or a byte count
      static constexpr double kScale[] = {1, 10, 100, 1000, 1e6, 1e-3};
      return static_cast<double>(in.ConsumeIntegral<int32_t>()) / in.PickValueInArray(kScale);
    }
    case 4:  // a counter going up by whole pages
      return v + 4096.0 * in.ConsumeIntegralInRange(0, 1000);
    default:  // a few low bits changed
      return std::bit_cast<double>(Bits(v) ^ in.ConsumeIntegral<uint16_t>());
  }
}

// Strictly increasing times from an input-chosen start; false at the int64 end.
bool NextTime(FuzzedDataProvider& in, int64_t* t) {
  uint64_t step = 0;
  switch (in.ConsumeIntegralInRange(0, 3)) {
    case 0:
      step = 1000;
      break;
    case 1:  // jitter
      step = 1000 + in.ConsumeIntegralInRange<int64_t>(-999, 999);
      break;
    case 2:  // a gap of up to about 35 years
      step = in.ConsumeIntegralInRange<uint64_t>(1, uint64_t{1} << 40);
      break;
    default:
      step = in.ConsumeIntegralInRange<uint64_t>(1, std::numeric_limits<int64_t>::max());
  }
  if (*t > std::numeric_limits<int64_t>::max() - static_cast<int64_t>(step)) return false;
  *t += static_cast<int64_t>(step);
  return true;
}

BlockEncodeOptions PickOptions(FuzzedDataProvider& in) {
  BlockEncodeOptions options;
  options.zstd_level = in.PickValueInArray({1, 1, 3, 19});
  switch (in.ConsumeIntegralInRange(0, 2)) {
    case 0:
      break;
    case 1:
      options.force_values = ValueEncoding::kXor;
      break;
    default:
      options.force_values = ValueEncoding::kDecimal;
  }
  return options;
}

// Any one bit flipped in a valid block must fail both decoders.
void CheckFlipFails(FuzzedDataProvider& in, std::string block) {
  const size_t bit = in.ConsumeIntegralInRange<size_t>(0, 8 * block.size() - 1);
  block[bit / 8] = static_cast<char>(block[bit / 8] ^ (1 << (bit % 8)));
  if (DecodeSampleBlock(block).ok() || DecodeRollupBlock(block).ok()) __builtin_trap();
}

constexpr size_t kMaxRoundTripPoints = 2048;

void CheckSampleRoundTrip(FuzzedDataProvider& in) {
  const BlockEncodeOptions options = PickOptions(in);
  std::vector<Sample> want;
  int64_t t = in.ConsumeIntegral<int64_t>();
  double v = 0;
  do {
    v = NextValue(in, v);
    want.push_back({t, v});
  } while (want.size() < kMaxRoundTripPoints && in.remaining_bytes() > 0 && NextTime(in, &t));
  Result<std::string> block = EncodeSampleBlock(want, options);
  if (!block.ok()) __builtin_trap();
  Result<BlockHeader> header = ReadBlockHeader(*block);
  if (!header.ok() || header->kind != BlockKind::kSamples || header->count != want.size()) {
    __builtin_trap();
  }
  Result<std::vector<Sample>> got = DecodeSampleBlock(*block);
  if (!got.ok() || !SameSamples(*got, want) || DecodeRollupBlock(*block).ok()) __builtin_trap();
  CheckFlipFails(in, std::move(block).value());
}

void CheckRollupRoundTrip(FuzzedDataProvider& in) {
  const BlockEncodeOptions options = PickOptions(in);
  std::vector<RollupPoint> want;
  int64_t t = in.ConsumeIntegral<int64_t>();
  RollupPoint p;
  do {
    p.t = t;
    p.min = NextValue(in, p.min);
    p.max = NextValue(in, p.max);
    p.sum = NextValue(in, p.sum);
    p.last = NextValue(in, p.last);
    p.count = in.ConsumeBool() ? in.ConsumeIntegralInRange<uint64_t>(0, 60)
                               : in.ConsumeIntegral<uint64_t>();
    want.push_back(p);
  } while (want.size() < kMaxRoundTripPoints && in.remaining_bytes() > 0 && NextTime(in, &t));
  Result<std::string> block = EncodeRollupBlock(want, options);
  if (!block.ok()) __builtin_trap();
  Result<BlockHeader> header = ReadBlockHeader(*block);
  if (!header.ok() || header->kind != BlockKind::kRollups || header->count != want.size()) {
    __builtin_trap();
  }
  Result<std::vector<RollupPoint>> got = DecodeRollupBlock(*block);
  if (!got.ok() || !SamePoints(*got, want) || DecodeSampleBlock(*block).ok()) __builtin_trap();
  CheckFlipFails(in, std::move(block).value());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const std::string_view rest(reinterpret_cast<const char*>(data) + 1, size - 1);
  FuzzedDataProvider in(data + 1, size - 1);
  switch (data[0] % 8) {
    case 0:
      CheckDecodes(rest);
      break;
    case 1:
      CheckDecodesWithCrc(rest);
      break;
    case 2:
    case 3:
      CheckFramedPayload(rest, data[0] % 8 == 3);
      break;
    case 4:
    case 5:
      CheckSampleRoundTrip(in);
      break;
    default:
      CheckRollupRoundTrip(in);
  }
  return 0;
}
