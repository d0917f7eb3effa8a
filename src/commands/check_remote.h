#pragma once
// `perfwatch check --url`: asks a running perfwatch for its status class
// (GET /api/v1/status) and its firing alerts (GET /api/v1/alerts) and
// turns them into check items (docs/CHECK.md). Thread-safe: every call
// makes its own requests.

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "commands/check_verdict.h"

namespace perfwatch {

struct RemoteCheckOptions {
  std::string url;    // http://host:port[/prefix] of the perfwatch
  std::string token;  // sent as "Authorization: Bearer" when not empty
  // Over both requests together.
  std::chrono::milliseconds timeout{5000};
  // The status classes (0 Excellent … 4 Critical) from which the status is
  // a warning and a critical: Poor and Critical by default, so Fair (memory
  // over 60 %, CPU over 50 %) is still OK.
  int warn_class = 3;
  int crit_class = 4;
  bool alerts = true;  // judge firing alerts too
  // The classified tick may be at most this old (by this machine's clock)
  // before the check calls perfwatch stalled; nullopt: not checked.
  std::optional<std::chrono::milliseconds> max_age = std::chrono::seconds(60);
};

// Unreachable, an HTTP error or a malformed answer gives one UNKNOWN item
// naming the URL and what went wrong.
std::vector<CheckItem> RunRemoteCheck(const RemoteCheckOptions& options);

// "excellent" … "critical" (any case) or 0 … 4; nullopt otherwise.
std::optional<int> ParseStatusClass(std::string_view text);

}  // namespace perfwatch
