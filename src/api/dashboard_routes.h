#pragma once
// The dashboard's files, served from the table embedded at build time
// (web/assets.h): `/` is index.html, every other file is at its own path.
// Nothing is read from disk, so no request-target can reach a file outside
// the table. Pure functions; thread-safe.

#include <optional>
#include <span>
#include <string_view>

#include "api/routes.h"

namespace perfwatch {

// The Content-Security-Policy of every dashboard file: scripts, styles and
// connections only from this origin, no inline script or style, no framing.
inline constexpr std::string_view kDashboardCsp =
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; "
    "form-action 'self'";

// Whether a gzip-coded response is acceptable under this Accept-Encoding
// header (RFC 9110 12.5.3): "gzip" or "x-gzip" with a q-value above 0, or
// "*" above 0 when gzip is not named. "" (absent) means identity only, as
// curl and most tools expect.
bool AcceptsGzip(std::string_view accept_encoding);

// Whether an If-None-Match header ("*" or a list of entity tags, each
// possibly W/-prefixed) matches any of `etags` (quoted, as sent in ETag)
// by the weak comparison RFC 9110 13.1.2 prescribes. A malformed header
// matches nothing, so the client gets the full response.
bool IfNoneMatchMatches(std::string_view if_none_match, std::span<const std::string_view> etags);

// The answer for an embedded file at decoded path `path`: 200 (gzip or
// identity), 304 or 405; nullopt when no file is at that path.
std::optional<HttpResponse> ServeDashboardFile(const HttpRequest& request, std::string_view path);

}  // namespace perfwatch
