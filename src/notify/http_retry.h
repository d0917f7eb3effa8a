#pragma once
// The retry policy the webhook and Alertmanager receivers share: retry on
// transport errors (refused, timed out), 5xx and 429 with exponential
// backoff; any other status ends the attempts. Thread-safe (no state).

#include <chrono>
#include <cstdint>
#include <stop_token>
#include <string>
#include <string_view>

#include "model/status.h"
#include "net/http_client.h"

namespace perfwatch {

struct RetryPolicy {
  int max_attempts = 4;       // 1 + retries
  int64_t backoff_ms = 500;   // before the first retry, doubled after each
  int64_t timeout_ms = 5000;  // per attempt
};

// The longest single backoff, whatever the doubling reaches.
inline constexpr int64_t kMaxBackoffMs = 60'000;

bool IsRetriableHttpStatus(int status);

struct PostOutcome {
  Status status;  // OK on a 2xx answer
  int attempts = 0;
  // The last answer's HTTP status and body (0 and "" when the last attempt
  // got no answer), for callers that tell a refusal (4xx) from a failure.
  int http_status = 0;
  std::string body;
};

// POSTs until a 2xx, a status not worth retrying, `max_attempts`, or
// `stop`: once stop is requested no new attempt starts and backoff ends.
PostOutcome PostWithRetry(const HttpUrl& url, const HttpHeaders& headers,
                          std::string_view content_type, const std::string& body,
                          const RetryPolicy& policy, std::stop_token stop);

}  // namespace perfwatch
