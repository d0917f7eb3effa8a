#include "ingest/gzip.h"

#include <zlib.h>

#include <algorithm>
#include <cctype>
#include <cstdint>

namespace perfwatch {
namespace {

std::string_view Trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) == y;
         });
}

// Owns a z_stream for the length of one Inflate call.
class Inflater {
 public:
  explicit Inflater(int window_bits) { ok_ = inflateInit2(&z_, window_bits) == Z_OK; }
  ~Inflater() {
    if (ok_) inflateEnd(&z_);
  }
  Inflater(const Inflater&) = delete;
  Inflater& operator=(const Inflater&) = delete;
  bool ok() const { return ok_; }
  z_stream& z() { return z_; }

 private:
  z_stream z_{};
  bool ok_ = false;
};

Status Corrupt(const z_stream& z) {
  return Status::InvalidArgument(std::string("compressed body is corrupt: ") +
                                 (z.msg != nullptr ? z.msg : "unexpected end of data"));
}

}  // namespace

std::optional<ContentCoding> ParseContentEncoding(std::string_view header) {
  header = Trim(header);
  if (header.empty() || EqualsIgnoreCase(header, "identity")) return ContentCoding::kIdentity;
  if (EqualsIgnoreCase(header, "gzip") || EqualsIgnoreCase(header, "x-gzip")) {
    return ContentCoding::kGzip;
  }
  if (EqualsIgnoreCase(header, "deflate")) return ContentCoding::kDeflate;
  return std::nullopt;
}

Status Inflate(std::string_view in, ContentCoding coding, size_t max_bytes, std::string* out) {
  out->clear();
  if (coding == ContentCoding::kIdentity) {
    if (in.size() > max_bytes) return Status::ResourceExhausted("body exceeds the limit");
    out->assign(in);
    return Status::Ok();
  }
  if (in.size() > UINT32_MAX) return Status::ResourceExhausted("compressed body is too large");
  Inflater inflater(coding == ContentCoding::kGzip ? 16 + MAX_WBITS : MAX_WBITS);
  if (!inflater.ok()) return Status::Internal("zlib could not start");
  z_stream& z = inflater.z();
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  z.avail_in = static_cast<uInt>(in.size());
  // Grow geometrically from a guess, never beyond the cap (+1 byte, to see
  // that the stream goes on past it).
  out->resize(std::min(max_bytes + 1, std::max<size_t>(in.size() * 4, 4096)));
  size_t produced = 0;
  for (;;) {
    if (produced == out->size()) {
      if (out->size() > max_bytes) {
        return Status::ResourceExhausted("decompressed body exceeds the limit of " +
                                         std::to_string(max_bytes) + " bytes");
      }
      out->resize(std::min(max_bytes + 1, out->size() * 2));
    }
    z.next_out = reinterpret_cast<Bytef*>(out->data() + produced);
    z.avail_out = static_cast<uInt>(std::min<size_t>(out->size() - produced, 1u << 30));
    const uInt before = z.avail_out;
    const int rc = inflate(&z, Z_NO_FLUSH);
    produced += before - z.avail_out;
    if (rc == Z_STREAM_END) {
      if (z.avail_in == 0) break;
      // Another gzip member follows (what `cat a.gz b.gz` makes); zlib
      // framing has no such thing.
      if (coding != ContentCoding::kGzip || inflateReset(&z) != Z_OK) {
        return Status::InvalidArgument("unexpected bytes after the compressed body");
      }
      continue;
    }
    if (rc != Z_OK && rc != Z_BUF_ERROR) return Corrupt(z);
    // Room left and no input left, yet the stream has not ended: truncated.
    if (z.avail_out != 0 && z.avail_in == 0) return Corrupt(z);
  }
  if (produced > max_bytes) {
    return Status::ResourceExhausted("decompressed body exceeds the limit of " +
                                     std::to_string(max_bytes) + " bytes");
  }
  out->resize(produced);
  return Status::Ok();
}

Result<std::string> Deflate(std::string_view in, ContentCoding coding, int level) {
  if (coding == ContentCoding::kIdentity) return std::string(in);
  if (in.size() > UINT32_MAX) return Status::InvalidArgument("input too large to compress");
  z_stream z{};
  const int window_bits = coding == ContentCoding::kGzip ? 16 + MAX_WBITS : MAX_WBITS;
  if (deflateInit2(&z, level, Z_DEFLATED, window_bits, 9, Z_DEFAULT_STRATEGY) != Z_OK) {
    return Status::Internal("deflateInit2 failed");
  }
  gz_header header{};
  header.os = 255;  // "unknown": the same bytes whichever system compressed them
  if (coding == ContentCoding::kGzip) deflateSetHeader(&z, &header);
  std::string out(deflateBound(&z, in.size()), '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  z.avail_in = static_cast<uInt>(in.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  const int rc = deflate(&z, Z_FINISH);
  out.resize(z.total_out);
  deflateEnd(&z);
  if (rc != Z_STREAM_END) return Status::Internal("deflate did not finish");
  return out;
}

}  // namespace perfwatch
