#pragma once
// Content-Encoding of ingest bodies (POST /api/v1/push, /v1/metrics):
// gzip as OTLP exporters and Prometheus clients send it, and deflate (zlib
// framing, as HTTP defines it); and the other way, for the dashboard's
// embedded files and the tests and benchmarks that send compressed bodies. Inflation stops at a cap
// so a small "zip bomb" cannot make perfwatch allocate gigabytes. Pure functions; thread-safe.

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "model/status.h"

namespace perfwatch {

enum class ContentCoding { kIdentity, kGzip, kDeflate };

// The coding named by a Content-Encoding header ("", "identity", "gzip",
// "x-gzip", "deflate"; case-insensitive); nullopt for any other, including
// a list of several codings.
std::optional<ContentCoding> ParseContentEncoding(std::string_view header);

// Inflates `in` (gzip members may be concatenated) into *out. Fails with
// kResourceExhausted once the output would pass `max_bytes`, with
// kInvalidArgument for a corrupt or truncated stream or trailing bytes.
Status Inflate(std::string_view in, ContentCoding coding, size_t max_bytes, std::string* out);

// Compresses `in` as `coding` at zlib `level` (identity: `in` itself). A
// gzip header carries no name, no time and the OS "unknown", so the same
// input always gives the same bytes (the dashboard's embedded files rely on
// it). Fails only when zlib does.
Result<std::string> Deflate(std::string_view in, ContentCoding coding, int level = 9);

}  // namespace perfwatch
