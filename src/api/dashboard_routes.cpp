#include "api/dashboard_routes.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <string>

#include "ingest/gzip.h"
#include "web/assets.h"

namespace perfwatch {
namespace {

constexpr std::string_view kImmutable = "public, max-age=31536000, immutable";

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  return std::equal(a.begin(), a.end(), b.begin(), b.end(), [](char x, char y) {
    return std::tolower(static_cast<unsigned char>(x)) ==
           std::tolower(static_cast<unsigned char>(y));
  });
}

// The q-value of one Accept-Encoding element's parameters ("q=0.5"); 1 when
// absent. An unreadable q counts as 0: identity is always a safe answer.
double QValue(std::string_view params) {
  while (!params.empty()) {
    const size_t semi = params.find(';');
    const std::string_view param = Trim(params.substr(0, semi));
    params = semi == std::string_view::npos ? std::string_view() : params.substr(semi + 1);
    if (param.size() < 2 || !EqualsIgnoreCase(param.substr(0, 2), "q=")) continue;
    const std::string_view value = Trim(param.substr(2));
    double q = 0;
    auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), q);
    return ec == std::errc() && end == value.data() + value.size() ? q : 0;
  }
  return 1;
}

void AddFileHeaders(HttpResponse& r, const web::Asset& asset, std::string_view etag) {
  r.content_type = std::string(asset.content_type);
  r.headers.emplace_back("Content-Security-Policy", kDashboardCsp);
  r.headers.emplace_back("X-Content-Type-Options", "nosniff");
  r.headers.emplace_back("Referrer-Policy", "no-referrer");
  r.headers.emplace_back("Vary", "Accept-Encoding");
  // Hashed names never change content; the others are revalidated by ETag
  // on every load, so a new build shows at once.
  r.headers.emplace_back("Cache-Control", asset.immutable ? kImmutable : "no-cache");
  r.headers.emplace_back("ETag", etag);
}

}  // namespace

bool AcceptsGzip(std::string_view accept_encoding) {
  std::optional<double> gzip, star;
  while (!accept_encoding.empty()) {
    const size_t comma = accept_encoding.find(',');
    const std::string_view element = accept_encoding.substr(0, comma);
    accept_encoding =
        comma == std::string_view::npos ? std::string_view() : accept_encoding.substr(comma + 1);
    const size_t semi = element.find(';');
    const std::string_view coding = Trim(element.substr(0, semi));
    const double q = semi == std::string_view::npos ? 1.0 : QValue(element.substr(semi + 1));
    if (EqualsIgnoreCase(coding, "gzip") || EqualsIgnoreCase(coding, "x-gzip")) gzip = q;
    if (coding == "*") star = q;
  }
  if (gzip) return *gzip > 0;
  return star && *star > 0;
}

bool IfNoneMatchMatches(std::string_view header, std::span<const std::string_view> etags) {
  size_t i = 0;
  while (true) {
    i = header.find_first_not_of(" \t,", i);
    if (i == std::string_view::npos) return false;
    if (header[i] == '*') return true;
    if (header.substr(i, 2) == "W/") i += 2;
    if (i >= header.size() || header[i] != '"') return false;
    const size_t close = header.find('"', i + 1);
    if (close == std::string_view::npos) return false;
    const std::string_view tag = header.substr(i, close + 1 - i);
    if (std::find(etags.begin(), etags.end(), tag) != etags.end()) return true;
    i = close + 1;
  }
}

std::optional<HttpResponse> ServeDashboardFile(const HttpRequest& request, std::string_view path) {
  const web::Asset* asset = web::FindAsset(path == "/" ? "/index.html" : path);
  if (asset == nullptr) return std::nullopt;
  if (request.method != "GET" && request.method != "HEAD") {
    HttpResponse r =
        JsonError(405, "method " + request.method + " is not allowed on " + std::string(path));
    r.headers.emplace_back("Allow", "GET, HEAD");
    return r;
  }
  const bool gzip = AcceptsGzip(request.accept_encoding);
  HttpResponse r;
  AddFileHeaders(r, *asset, gzip ? asset->etag_gzip : asset->etag);
  // Either tag names the same bytes, whichever coding the client stored.
  const std::array<std::string_view, 2> tags = {asset->etag, asset->etag_gzip};
  if (!request.if_none_match.empty() && IfNoneMatchMatches(request.if_none_match, tags)) {
    r.status = 304;
    return r;
  }
  if (gzip) {
    r.body = std::string(asset->gzip);
    r.headers.emplace_back("Content-Encoding", "gzip");
    return r;
  }
  if (Status st = Inflate(asset->gzip, ContentCoding::kGzip, asset->size, &r.body); !st.ok()) {
    return JsonError(500, "embedded file " + std::string(asset->path) + ": " + st.message());
  }
  return r;
}

}  // namespace perfwatch
