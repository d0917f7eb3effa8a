#pragma once
// The block codec: how a window of one series' history is stored on disk (a
// BLOB in the SQLite `blocks` table, store/block_store.h). Raw samples and
// rollup points are split into columns (timestamps, values); integer columns
// are written as zigzag varints of the values, their deltas or their deltas
// of deltas; float columns as decimal mantissas (VictoriaMetrics' transform,
// when every value round-trips) or XOR'd bit patterns; the whole payload is
// then compressed with zstd. docs/FORMATS.md ("Blocks on disk") gives the
// layout and the measurements behind each choice.
//
// Lossless: values come back bit for bit (NaN payloads, -0.0, infinities).
// Decoding checks a CRC-32C over the block and bounds every read, so corrupt
// input yields a Status, never a crash or a read outside the bytes.
// Pure functions; thread-safe.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "model/sample.h"
#include "model/status.h"
#include "store/rollup.h"

namespace perfwatch {

inline constexpr uint8_t kBlockVersion = 1;
// Most points in one block; a larger window is split by the caller. Bounds
// what a decoder allocates for a corrupt block (12 days at 1 s).
inline constexpr uint32_t kMaxBlockPoints = 1u << 20;

// What a block holds; also the `encoding` column of the blocks table.
enum class BlockKind : uint8_t {
  kSamples = 1,  // raw samples
  kRollups = 2,  // RollupPoint per bucket (1-minute and 1-hour tiers)
};

// How a column of doubles is written; the encoder picks per column.
enum class ValueEncoding : uint8_t {
  kXor = 0,      // bit pattern XOR the previous one, as byte planes
  kDecimal = 1,  // mantissa * 10^exponent with one exponent per column
};

struct BlockEncodeOptions {
  // zstd level of the payload (1-19). Higher is smaller and slower to write;
  // reading speed barely changes. FORMATS.md has the measurements.
  int zstd_level = 19;
  // For benchmarks and tests: write every value column this way (decimal
  // still falls back to raw bits per value where needed). Unset: whichever
  // is smaller.
  std::optional<ValueEncoding> force_values;
};

// Encodes samples in strictly increasing time order, 1 to kMaxBlockPoints of
// them; InvalidArgument otherwise.
Result<std::string> EncodeSampleBlock(std::span<const Sample> samples,
                                      const BlockEncodeOptions& options = {});
Result<std::vector<Sample>> DecodeSampleBlock(std::string_view block);

// Same for rollup points (store/rollup.h), in strictly increasing time order.
Result<std::string> EncodeRollupBlock(std::span<const RollupPoint> points,
                                      const BlockEncodeOptions& options = {});
Result<std::vector<RollupPoint>> DecodeRollupBlock(std::string_view block);

// The header of a block, after checking its checksum and version.
struct BlockHeader {
  BlockKind kind = BlockKind::kSamples;
  uint32_t count = 0;
};
Result<BlockHeader> ReadBlockHeader(std::string_view block);

}  // namespace perfwatch
