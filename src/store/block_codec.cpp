#include "store/block_codec.h"

#include <zstd.h>

#include <algorithm>
#include <array>
#include <bit>
#include <charconv>
#include <cmath>
#include <limits>
#include <memory>
#include <numeric>

#include "store/crc32c.h"

namespace perfwatch {
namespace {

// Block framing: version, kind, count, compression, payload size, the
// (compressed) payload, CRC-32C. See docs/FORMATS.md "Blocks on disk".
enum class Compression : uint8_t { kNone = 0, kZstd = 1 };

enum class IntTransform : uint8_t { kRaw = 0, kDelta = 1, kDeltaOfDelta = 2 };

constexpr size_t kTrailerBytes = 4;
constexpr size_t kMinBlockBytes = 5 + kTrailerBytes;  // version, kind, count, compression, size
// Decimal exponents of finite doubles lie in [-343, 308].
constexpr int64_t kMaxDecimalExponent = 400;
// Mantissas up to 2^53 and powers of ten up to 1e22 are exact doubles, so
// one multiplication or division rounds m * 10^e correctly (Clinger).
constexpr int64_t kMaxExactMantissa = int64_t{1} << 53;
// The zstd level at which the encoder compares candidate layouts. Level 19
// would pick layouts 0.5 % smaller on the host corpus at several times the
// encoding time.
constexpr int kProbeLevel = 1;

constexpr std::array<double, 23> kExactPowersOf10 = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                                     1e8,  1e9,  1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
                                                     1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};

uint64_t ZigZag(int64_t v) { return (static_cast<uint64_t>(v) << 1) ^ (v < 0 ? ~uint64_t{0} : 0); }
int64_t UnZigZag(uint64_t v) { return static_cast<int64_t>((v >> 1) ^ (~(v & 1) + 1)); }

void PutVarint(std::string& out, uint64_t v) {
  while (v >= 0x80) {
    out.push_back(static_cast<char>(v | 0x80));
    v >>= 7;
  }
  out.push_back(static_cast<char>(v));
}

void PutU64(std::string& out, uint64_t v) {
  for (int shift = 56; shift >= 0; shift -= 8) out.push_back(static_cast<char>(v >> shift));
}

void PutU32(std::string& out, uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<char>(v >> shift));
}

// Bounds-checked reads from a byte string: a read past the end returns false.
class ByteReader {
 public:
  explicit ByteReader(std::string_view bytes) : bytes_(bytes) {}

  bool ReadByte(uint8_t* out) {
    if (pos_ >= bytes_.size()) return false;
    *out = static_cast<uint8_t>(bytes_[pos_++]);
    return true;
  }
  bool ReadVarint(uint64_t* out) {
    uint64_t v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      uint8_t byte = 0;
      if (!ReadByte(&byte)) return false;
      // The 10th byte may only hold the top bit of a 64-bit value.
      if (shift == 63 && byte > 1) return false;
      v |= uint64_t{byte & 0x7Fu} << shift;
      if (byte < 0x80) {
        *out = v;
        return true;
      }
    }
    return false;
  }
  bool ReadU64(uint64_t* out) {
    if (bytes_.size() - pos_ < 8) return false;
    uint64_t v = 0;
    for (int i = 0; i < 8; ++i) v = (v << 8) | static_cast<uint8_t>(bytes_[pos_++]);
    *out = v;
    return true;
  }
  // The next n bytes, or false when fewer are left.
  bool ReadBytes(size_t n, std::string_view* out) {
    if (bytes_.size() - pos_ < n) return false;
    *out = bytes_.substr(pos_, n);
    pos_ += n;
    return true;
  }
  std::string_view rest() const { return bytes_.substr(pos_); }
  bool at_end() const { return pos_ == bytes_.size(); }

 private:
  std::string_view bytes_;
  size_t pos_ = 0;
};

Status Corrupt(std::string_view what) {
  return Status::Internal("corrupt block: " + std::string(what));
}

// One zstd compression context for all the candidates and the final pass of
// one block: a context allocates tables each time it is made.
class Compressor {
 public:
  Compressor() : cctx_(ZSTD_createCCtx()) {}

  // Compressed size at the probe level; how the encoder compares candidates.
  size_t ProbeSize(std::string_view bytes) {
    const size_t n = Compress(bytes, kProbeLevel);
    return ZSTD_isError(n) ? bytes.size() : n;
  }
  // The compressed bytes of the last Compress (valid until the next call),
  // or a zstd error code.
  size_t Compress(std::string_view bytes, int level) {
    buffer_.resize(ZSTD_compressBound(bytes.size()));
    return ZSTD_compressCCtx(cctx_.get(), buffer_.data(), buffer_.size(), bytes.data(),
                             bytes.size(), level);
  }
  const std::string& buffer() const { return buffer_; }

 private:
  struct Free {
    void operator()(ZSTD_CCtx* c) const { ZSTD_freeCCtx(c); }
  };
  std::unique_ptr<ZSTD_CCtx, Free> cctx_;
  std::string buffer_;
};

// A decompression context per thread, kept: ZSTD_decompress makes and clears
// a new one (over 100 KB) on every call, which was 45 % of answering a 30-day
// query from small 1-hour blocks (docs/PERFORMANCE.md, issue 6). Freed when
// the thread ends.
ZSTD_DCtx* ThreadDecompressor() {
  struct Free {
    void operator()(ZSTD_DCtx* d) const { ZSTD_freeDCtx(d); }
  };
  thread_local std::unique_ptr<ZSTD_DCtx, Free> dctx(ZSTD_createDCtx());
  return dctx.get();
}

// ---- integer columns. Layout byte (transform, plus kPlanesFlag), divisor,
// the first value, then the others divided by the divisor, as zigzag
// varints or as byte planes (all most significant bytes first). The divisor
// is the greatest common divisor of the values after the first: memory sizes
// move in whole pages, so their deltas shrink by 4096. Transforms are
// computed modulo 2^64, so any int64 sequence round-trips.

constexpr uint8_t kPlanesFlag = 0x10;

std::vector<int64_t> Transformed(std::span<const int64_t> values, IntTransform transform) {
  std::vector<int64_t> out(values.size());
  uint64_t prev = 0;
  uint64_t prev_delta = 0;
  for (size_t i = 0; i < values.size(); ++i) {
    const uint64_t v = static_cast<uint64_t>(values[i]);
    const uint64_t delta = v - prev;
    uint64_t written = v;
    if (transform == IntTransform::kDelta) written = delta;
    if (transform == IntTransform::kDeltaOfDelta) written = delta - prev_delta;
    out[i] = static_cast<int64_t>(written);
    prev = v;
    prev_delta = delta;
  }
  return out;
}

// Sealing spends most of its integer-column time here (millisecond
// timestamps are ~2^41, so a gcd takes dozens of steps): a value the
// divisor already divides needs none, and a divisor of 1 is final.
uint64_t CommonDivisor(std::span<const int64_t> written) {
  uint64_t divisor = 0;
  for (size_t i = 1; i < written.size() && divisor != 1; ++i) {
    const int64_t w = written[i];
    const uint64_t magnitude = w < 0 ? 0 - static_cast<uint64_t>(w) : static_cast<uint64_t>(w);
    if (divisor != 0 && magnitude % divisor == 0) continue;
    divisor = std::gcd(divisor, magnitude);
  }
  const bool usable =
      divisor != 0 && divisor <= static_cast<uint64_t>(std::numeric_limits<int64_t>::max());
  return usable ? divisor : 1;
}

constexpr size_t kRegularShortcutEntries = 64;

// One layout of a column whose transform is already applied (`written`,
// with its CommonDivisor).
std::string IntColumnAs(std::span<const int64_t> written, uint64_t divisor, IntTransform transform,
                        bool planes) {
  std::string out;
  out.reserve(written.size() * 2 + 16);
  out.push_back(static_cast<char>(static_cast<uint8_t>(transform) | (planes ? kPlanesFlag : 0)));
  PutVarint(out, divisor);
  PutVarint(out, ZigZag(written[0]));
  std::vector<uint64_t> zigzag(written.size());
  uint64_t max = 0;
  const auto d = static_cast<int64_t>(divisor);
  for (size_t i = 1; i < written.size(); ++i) {
    zigzag[i] = ZigZag(d == 1 ? written[i] : written[i] / d);
    max = std::max(max, zigzag[i]);
  }
  if (!planes) {
    for (size_t i = 1; i < zigzag.size(); ++i) PutVarint(out, zigzag[i]);
    return out;
  }
  const int width = (64 - std::countl_zero(max) + 7) / 8;
  out.push_back(static_cast<char>(width));
  for (int plane = width - 1; plane >= 0; --plane) {
    for (size_t i = 1; i < zigzag.size(); ++i) {
      out.push_back(static_cast<char>(zigzag[i] >> (8 * plane)));
    }
  }
  return out;
}

// The layout whose column compresses best. A long column that is regular
// to the end (delta of delta zero after the first two entries: timestamps
// on the collection grid, steadily growing counters) is written as
// delta-of-delta varints without trying the others: its entries are one
// zero byte each, which nothing beats by more than a few bytes after zstd.
// Short columns try every layout; there the fixed bytes decide.
std::string IntColumn(std::span<const int64_t> values, Compressor& zstd) {
  std::string best;
  size_t best_size = 0;
  for (IntTransform t : {IntTransform::kDeltaOfDelta, IntTransform::kDelta, IntTransform::kRaw}) {
    const std::vector<int64_t> written = Transformed(values, t);
    if (t == IntTransform::kDeltaOfDelta && written.size() >= kRegularShortcutEntries &&
        std::all_of(written.begin() + std::min<size_t>(2, written.size()), written.end(),
                    [](int64_t w) { return w == 0; })) {
      return IntColumnAs(written, CommonDivisor(written), t, false);
    }
    const uint64_t divisor = CommonDivisor(written);
    for (bool planes : {false, true}) {
      std::string column = IntColumnAs(written, divisor, t, planes);
      const size_t size = zstd.ProbeSize(column);
      if (best.empty() || size < best_size) {
        best = std::move(column);
        best_size = size;
      }
    }
  }
  return best;
}

// The written values after the first, as zigzag varints or as byte planes.
bool ReadWritten(ByteReader& in, size_t n, bool planes, std::vector<uint64_t>* out) {
  out->assign(n, 0);
  if (!planes) {
    for (size_t i = 1; i < n; ++i) {
      if (!in.ReadVarint(&(*out)[i])) return false;
    }
    return true;
  }
  uint8_t width = 0;
  if (!in.ReadByte(&width) || width > 8) return false;
  std::string_view bytes;
  if (!in.ReadBytes(width * (n - 1), &bytes)) return false;
  for (size_t plane = 0; plane < width; ++plane) {
    for (size_t i = 1; i < n; ++i) {
      (*out)[i] = ((*out)[i] << 8) | static_cast<uint8_t>(bytes[plane * (n - 1) + i - 1]);
    }
  }
  return true;
}

bool ReadIntColumn(ByteReader& in, size_t n, std::vector<int64_t>* out) {
  uint8_t layout = 0;
  uint64_t divisor = 0;
  uint64_t first = 0;
  std::vector<uint64_t> written;
  if (!in.ReadByte(&layout) || (layout & ~kPlanesFlag) > uint8_t{2} || !in.ReadVarint(&divisor) ||
      divisor == 0 || !in.ReadVarint(&first) ||
      !ReadWritten(in, n, (layout & kPlanesFlag) != 0, &written)) {
    return false;
  }
  const auto transform = static_cast<IntTransform>(layout & ~kPlanesFlag);
  out->resize(n);
  uint64_t prev = 0;
  uint64_t prev_delta = 0;
  for (size_t i = 0; i < n; ++i) {
    const uint64_t read = i == 0 ? static_cast<uint64_t>(UnZigZag(first))
                                 : static_cast<uint64_t>(UnZigZag(written[i])) * divisor;
    uint64_t v = read;
    if (transform == IntTransform::kDelta) v = prev + read;
    if (transform == IntTransform::kDeltaOfDelta) v = prev + prev_delta + read;
    prev_delta = v - prev;
    prev = v;
    (*out)[i] = static_cast<int64_t>(v);
  }
  return true;
}

// ---- decimal values: v == mantissa * 10^exponent, exactly as strtod rounds.

struct Decimal {
  int64_t mantissa = 0;
  int exponent = 0;
};

// The shortest decimal that reads back as v, trailing zeros stripped; none
// for NaN, infinities and -0.0 (their bits are stored as exceptions).
std::optional<Decimal> ToDecimal(double v) {
  if (!std::isfinite(v) || (v == 0 && std::signbit(v))) return std::nullopt;
  if (v == 0) return Decimal{0, 0};
  Decimal d;
  if (std::abs(v) < 1e15 && v == std::trunc(v)) {
    d.mantissa = static_cast<int64_t>(v);
  } else {
    char buf[40];
    const auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), v, std::chars_format::scientific);
    if (ec != std::errc()) return std::nullopt;
    const std::string_view text(buf, static_cast<size_t>(end - buf));
    const size_t e_pos = text.find('e');
    int digits = 0;
    for (char c : text.substr(0, e_pos)) {
      if (c < '0' || c > '9') continue;
      d.mantissa = d.mantissa * 10 + (c - '0');
      ++digits;
    }
    if (v < 0) d.mantissa = -d.mantissa;
    int exp10 = 0;
    const std::string_view exp_text = text.substr(e_pos + 1);
    const char* exp_begin = exp_text.data() + (exp_text.front() == '+' ? 1 : 0);
    std::from_chars(exp_begin, exp_text.data() + exp_text.size(), exp10);
    d.exponent = exp10 - (digits - 1);
  }
  while (d.mantissa % 10 == 0) {
    d.mantissa /= 10;
    ++d.exponent;
  }
  return d;
}

// mantissa * 10^exponent rounded to nearest, as strtod does. Clinger's fast
// path when both factors are exact doubles, else the C++ library's parser.
bool FromDecimal(int64_t mantissa, int64_t exponent, double* out) {
  if (mantissa == 0) {
    *out = 0.0;
    return true;
  }
  if (mantissa >= -kMaxExactMantissa && mantissa <= kMaxExactMantissa && exponent >= -22 &&
      exponent <= 22) {
    const double m = static_cast<double>(mantissa);
    *out = exponent >= 0 ? m * kExactPowersOf10[exponent] : m / kExactPowersOf10[-exponent];
    return true;
  }
  char buf[48];
  char* end = std::to_chars(buf, buf + 24, mantissa).ptr;
  *end++ = 'e';
  end = std::to_chars(end, buf + sizeof(buf), exponent).ptr;
  double v = 0;
  const auto parsed = std::from_chars(buf, end, v);
  if (parsed.ec != std::errc() || parsed.ptr != end) return false;
  *out = v;
  return true;
}

// m * 10^k without overflow, or none.
std::optional<int64_t> Scale(int64_t m, int k) {
  for (; k > 0; --k) {
    if (m > std::numeric_limits<int64_t>::max() / 10 ||
        m < std::numeric_limits<int64_t>::min() / 10) {
      return std::nullopt;
    }
    m *= 10;
  }
  return m;
}

// ---- value columns: a ValueEncoding byte, then its body.

// Byte planes of x_i = bits_i XOR bits_(i-1): all most significant bytes
// first, so the bytes that never change form runs zstd removes.
std::string XorColumn(std::span<const double> values) {
  const size_t n = values.size();
  std::string out(1 + 8 * n, '\0');
  out[0] = static_cast<char>(ValueEncoding::kXor);
  uint64_t prev = 0;
  for (size_t i = 0; i < n; ++i) {
    const uint64_t bits = std::bit_cast<uint64_t>(values[i]);
    const uint64_t x = bits ^ prev;
    prev = bits;
    for (size_t plane = 0; plane < 8; ++plane) {
      out[1 + plane * n + i] = static_cast<char>(x >> (56 - 8 * plane));
    }
  }
  return out;
}

bool ReadXorColumn(ByteReader& in, size_t n, std::vector<double>* out) {
  std::string_view planes;
  if (!in.ReadBytes(8 * n, &planes)) return false;
  out->resize(n);
  uint64_t prev = 0;
  for (size_t i = 0; i < n; ++i) {
    uint64_t x = 0;
    for (size_t plane = 0; plane < 8; ++plane) {
      x = (x << 8) | static_cast<uint8_t>(planes[plane * n + i]);
    }
    prev ^= x;
    (*out)[i] = std::bit_cast<double>(prev);
  }
  return true;
}

// Decimal column: zigzag exponent E, the integer column of mantissas at E,
// then the values that are not m * 10^E as (index gap, raw bits) pairs; their
// mantissa slots repeat the previous mantissa. None when more than a quarter
// of the values would be exceptions.
std::optional<std::string> DecimalColumn(std::span<const double> values, Compressor& zstd) {
  const size_t n = values.size();
  std::vector<std::optional<Decimal>> decimals(n);
  int exponent = std::numeric_limits<int>::max();
  for (size_t i = 0; i < n; ++i) {
    decimals[i] = ToDecimal(values[i]);
    if (decimals[i] && decimals[i]->mantissa != 0) {
      exponent = std::min(exponent, decimals[i]->exponent);
    }
  }
  if (exponent == std::numeric_limits<int>::max()) exponent = 0;
  std::vector<int64_t> mantissas(n);
  std::vector<size_t> exceptions;
  int64_t prev = 0;
  for (size_t i = 0; i < n; ++i) {
    std::optional<int64_t> m;
    if (decimals[i]) m = Scale(decimals[i]->mantissa, decimals[i]->exponent - exponent);
    double back = 0;
    if (m && FromDecimal(*m, exponent, &back) &&
        std::bit_cast<uint64_t>(back) == std::bit_cast<uint64_t>(values[i])) {
      prev = *m;
    } else {
      exceptions.push_back(i);
    }
    mantissas[i] = prev;
  }
  if (exceptions.size() > n / 4) return std::nullopt;
  std::string out(1, static_cast<char>(ValueEncoding::kDecimal));
  PutVarint(out, ZigZag(exponent));
  out += IntColumn(mantissas, zstd);
  PutVarint(out, exceptions.size());
  size_t next = 0;
  for (size_t i : exceptions) {
    PutVarint(out, i - next);
    PutU64(out, std::bit_cast<uint64_t>(values[i]));
    next = i + 1;
  }
  return out;
}

bool ReadDecimalColumn(ByteReader& in, size_t n, std::vector<double>* out) {
  uint64_t zigzag_exponent = 0;
  if (!in.ReadVarint(&zigzag_exponent)) return false;
  const int64_t exponent = UnZigZag(zigzag_exponent);
  if (exponent < -kMaxDecimalExponent || exponent > kMaxDecimalExponent) return false;
  std::vector<int64_t> mantissas;
  if (!ReadIntColumn(in, n, &mantissas)) return false;
  out->resize(n);
  uint64_t exception_count = 0;
  if (!in.ReadVarint(&exception_count) || exception_count > n) return false;
  std::vector<bool> is_exception(n, false);
  size_t next = 0;
  for (uint64_t e = 0; e < exception_count; ++e) {
    uint64_t gap = 0;
    uint64_t bits = 0;
    if (!in.ReadVarint(&gap) || gap >= n - next || !in.ReadU64(&bits)) return false;
    const size_t i = next + gap;
    (*out)[i] = std::bit_cast<double>(bits);
    is_exception[i] = true;
    next = i + 1;
  }
  for (size_t i = 0; i < n; ++i) {
    if (!is_exception[i] && !FromDecimal(mantissas[i], exponent, &(*out)[i])) return false;
  }
  return true;
}

void AppendValueColumn(std::span<const double> values, const BlockEncodeOptions& options,
                       Compressor& zstd, std::string& out) {
  const bool try_decimal =
      !options.force_values || *options.force_values == ValueEncoding::kDecimal;
  const bool try_xor = !options.force_values || *options.force_values == ValueEncoding::kXor;
  std::optional<std::string> decimal;
  if (try_decimal) decimal = DecimalColumn(values, zstd);
  if (!decimal) {
    out += XorColumn(values);
    return;
  }
  if (try_xor) {
    std::string xor_column = XorColumn(values);
    if (zstd.ProbeSize(xor_column) < zstd.ProbeSize(*decimal)) {
      out += xor_column;
      return;
    }
  }
  out += *decimal;
}

bool ReadValueColumn(ByteReader& in, size_t n, std::vector<double>* out) {
  uint8_t encoding = 0;
  if (!in.ReadByte(&encoding)) return false;
  if (encoding == static_cast<uint8_t>(ValueEncoding::kXor)) return ReadXorColumn(in, n, out);
  if (encoding == static_cast<uint8_t>(ValueEncoding::kDecimal)) {
    return ReadDecimalColumn(in, n, out);
  }
  return false;
}

// ---- framing

// Upper bound of a payload of n points: an integer column takes at most
// 22 + 10n bytes, a value column 43 + 28n (decimal with every value an
// exception); anything larger is corrupt.
uint64_t MaxPayloadBytes(BlockKind kind, uint64_t n) {
  const uint64_t int_column = 22 + 10 * n;
  const uint64_t value_column = 43 + 28 * n;
  return kind == BlockKind::kSamples ? int_column + value_column
                                     : 2 * int_column + 4 * value_column;
}

std::string Frame(BlockKind kind, size_t count, const std::string& payload, int zstd_level,
                  Compressor& zstd) {
  std::string out;
  out.push_back(static_cast<char>(kBlockVersion));
  out.push_back(static_cast<char>(kind));
  PutVarint(out, count);
  const size_t n = zstd.Compress(payload, std::clamp(zstd_level, 1, ZSTD_maxCLevel()));
  const bool use_zstd = !ZSTD_isError(n) && n < payload.size();
  out.push_back(static_cast<char>(use_zstd ? Compression::kZstd : Compression::kNone));
  PutVarint(out, payload.size());
  if (use_zstd) {
    out.append(zstd.buffer().data(), n);
  } else {
    out += payload;
  }
  PutU32(out, Crc32c(out));
  return out;
}

struct OpenedBlock {
  BlockHeader header;
  std::string payload;
};

Result<BlockHeader> CheckHeader(std::string_view block, ByteReader* body) {
  if (block.size() < kMinBlockBytes) {
    return Corrupt(std::to_string(block.size()) + " bytes is shorter than any block");
  }
  const std::string_view covered = block.substr(0, block.size() - kTrailerBytes);
  uint32_t stored_crc = 0;
  for (char c : block.substr(covered.size())) stored_crc = (stored_crc << 8) | uint8_t(c);
  if (Crc32c(covered) != stored_crc) return Corrupt("checksum mismatch");
  ByteReader in(covered);
  uint8_t version = 0;
  uint8_t kind = 0;
  uint64_t count = 0;
  (void)in.ReadByte(&version);
  if (version != kBlockVersion) {
    return Status::Internal("unsupported block version " + std::to_string(version) +
                            " (this build reads " + std::to_string(kBlockVersion) + ")");
  }
  (void)in.ReadByte(&kind);
  if (kind != static_cast<uint8_t>(BlockKind::kSamples) &&
      kind != static_cast<uint8_t>(BlockKind::kRollups)) {
    return Corrupt("unknown kind " + std::to_string(kind));
  }
  if (!in.ReadVarint(&count) || count == 0 || count > kMaxBlockPoints) {
    return Corrupt("bad point count");
  }
  *body = in;
  return BlockHeader{static_cast<BlockKind>(kind), static_cast<uint32_t>(count)};
}

Result<OpenedBlock> OpenBlock(std::string_view block, BlockKind expected) {
  ByteReader in("");
  Result<BlockHeader> header = CheckHeader(block, &in);
  if (!header.ok()) return header.status();
  if (header->kind != expected) return Corrupt("unexpected kind");
  uint8_t compression = 0;
  uint64_t size = 0;
  if (!in.ReadByte(&compression) || !in.ReadVarint(&size) ||
      size > MaxPayloadBytes(header->kind, header->count)) {
    return Corrupt("bad payload size");
  }
  const std::string_view body = in.rest();
  OpenedBlock opened{*header, std::string(size, '\0')};
  if (compression == static_cast<uint8_t>(Compression::kNone)) {
    if (body.size() != size) return Corrupt("payload size mismatch");
    opened.payload.assign(body);
  } else if (compression == static_cast<uint8_t>(Compression::kZstd)) {
    if (ZSTD_findFrameCompressedSize(body.data(), body.size()) != body.size()) {
      return Corrupt("bad zstd frame");
    }
    const size_t n = ZSTD_decompressDCtx(ThreadDecompressor(), opened.payload.data(), size,
                                         body.data(), body.size());
    if (ZSTD_isError(n) || n != size) return Corrupt("bad zstd frame");
  } else {
    return Corrupt("unknown compression " + std::to_string(compression));
  }
  return opened;
}

bool StrictlyIncreasing(std::span<const int64_t> times) {
  for (size_t i = 1; i < times.size(); ++i) {
    if (times[i] <= times[i - 1]) return false;
  }
  return true;
}

Status CheckPointCount(size_t n) {
  if (n == 0 || n > kMaxBlockPoints) {
    return Status::InvalidArgument("a block holds 1 to " + std::to_string(kMaxBlockPoints) +
                                   " points, not " + std::to_string(n));
  }
  return Status::Ok();
}

}  // namespace

Result<std::string> EncodeSampleBlock(std::span<const Sample> samples,
                                      const BlockEncodeOptions& options) {
  if (Status s = CheckPointCount(samples.size()); !s.ok()) return s;
  std::vector<int64_t> times(samples.size());
  std::vector<double> values(samples.size());
  for (size_t i = 0; i < samples.size(); ++i) {
    times[i] = samples[i].t_ms;
    values[i] = samples[i].value;
  }
  if (!StrictlyIncreasing(times)) {
    return Status::InvalidArgument("block samples must be in strictly increasing time order");
  }
  Compressor zstd;
  std::string payload = IntColumn(times, zstd);
  AppendValueColumn(values, options, zstd, payload);
  return Frame(BlockKind::kSamples, samples.size(), payload, options.zstd_level, zstd);
}

Result<std::vector<Sample>> DecodeSampleBlock(std::string_view block) {
  Result<OpenedBlock> opened = OpenBlock(block, BlockKind::kSamples);
  if (!opened.ok()) return opened.status();
  const size_t n = opened->header.count;
  ByteReader in(opened->payload);
  std::vector<int64_t> times;
  std::vector<double> values;
  if (!ReadIntColumn(in, n, &times) || !ReadValueColumn(in, n, &values) || !in.at_end()) {
    return Corrupt("bad sample columns");
  }
  if (!StrictlyIncreasing(times)) return Corrupt("timestamps do not increase");
  std::vector<Sample> out(n);
  for (size_t i = 0; i < n; ++i) out[i] = {times[i], values[i]};
  return out;
}

Result<std::string> EncodeRollupBlock(std::span<const RollupPoint> points,
                                      const BlockEncodeOptions& options) {
  if (Status s = CheckPointCount(points.size()); !s.ok()) return s;
  const size_t n = points.size();
  std::vector<int64_t> times(n);
  std::vector<int64_t> counts(n);
  std::array<std::vector<double>, 4> columns;  // min, max, sum, last
  for (auto& c : columns) c.resize(n);
  for (size_t i = 0; i < n; ++i) {
    times[i] = points[i].t;
    counts[i] = static_cast<int64_t>(points[i].count);
    columns[0][i] = points[i].min;
    columns[1][i] = points[i].max;
    columns[2][i] = points[i].sum;
    columns[3][i] = points[i].last;
  }
  if (!StrictlyIncreasing(times)) {
    return Status::InvalidArgument("rollup points must be in strictly increasing time order");
  }
  Compressor zstd;
  std::string payload = IntColumn(times, zstd);
  payload += IntColumn(counts, zstd);
  for (const auto& c : columns) AppendValueColumn(c, options, zstd, payload);
  return Frame(BlockKind::kRollups, n, payload, options.zstd_level, zstd);
}

Result<std::vector<RollupPoint>> DecodeRollupBlock(std::string_view block) {
  Result<OpenedBlock> opened = OpenBlock(block, BlockKind::kRollups);
  if (!opened.ok()) return opened.status();
  const size_t n = opened->header.count;
  ByteReader in(opened->payload);
  std::vector<int64_t> times;
  std::vector<int64_t> counts;
  std::array<std::vector<double>, 4> columns;
  bool ok = ReadIntColumn(in, n, &times) && ReadIntColumn(in, n, &counts);
  for (auto& c : columns) ok = ok && ReadValueColumn(in, n, &c);
  if (!ok || !in.at_end()) return Corrupt("bad rollup columns");
  if (!StrictlyIncreasing(times)) return Corrupt("timestamps do not increase");
  std::vector<RollupPoint> out(n);
  for (size_t i = 0; i < n; ++i) {
    out[i] = {
        times[i],     columns[0][i], columns[1][i], columns[2][i], static_cast<uint64_t>(counts[i]),
        columns[3][i]};
  }
  return out;
}

Result<BlockHeader> ReadBlockHeader(std::string_view block) {
  ByteReader unused("");
  return CheckHeader(block, &unused);
}

}  // namespace perfwatch
