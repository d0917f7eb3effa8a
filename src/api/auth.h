#pragma once
// Bearer-token check for write/admin routes. Pure functions; thread-safe.

#include <string_view>

namespace perfwatch {

// True when `authorization` (the raw Authorization header) is
// "Bearer <token>" (scheme case-insensitive, as RFC 7235 says). Compares in
// time independent of where the tokens differ, so the token cannot be
// guessed byte by byte from response times. An empty `token` means no token
// is configured, and every request is allowed.
bool BearerTokenAllows(std::string_view authorization, std::string_view token);

// Constant-time equality over the longer of the two lengths.
bool ConstantTimeEquals(std::string_view a, std::string_view b);

}  // namespace perfwatch
