#include "notify/http_retry.h"

#include <algorithm>
#include <condition_variable>
#include <mutex>

namespace perfwatch {
namespace {

// Sleeps `ms` unless `stop` is requested first.
void BackOff(std::stop_token stop, int64_t ms) {
  std::mutex mu;
  std::condition_variable_any cv;
  std::unique_lock lock(mu);
  cv.wait_for(lock, stop, std::chrono::milliseconds(ms), [] { return false; });
}

Status StatusError(const HttpUrl& url, const HttpReply& response) {
  std::string msg = "POST " + url.ToString() + " answered " + std::to_string(response.status);
  if (!response.body.empty()) msg += ": " + response.body.substr(0, 200);
  if (response.status == 429) return Status::ResourceExhausted(msg);
  if (response.status >= 500) return Status::Unavailable(msg);
  return Status::InvalidArgument(msg);
}

}  // namespace

bool IsRetriableHttpStatus(int status) { return status >= 500 || status == 429; }

PostOutcome PostWithRetry(const HttpUrl& url, const HttpHeaders& headers,
                          std::string_view content_type, const std::string& body,
                          const RetryPolicy& policy, std::stop_token stop) {
  PostOutcome out;
  int64_t backoff = policy.backoff_ms;
  for (;;) {
    ++out.attempts;
    Result<HttpReply> response =
        HttpPost(url, headers, content_type, body, std::chrono::milliseconds(policy.timeout_ms));
    bool retriable = true;
    out.http_status = response.ok() ? response->status : 0;
    out.body = response.ok() ? response->body : std::string();
    if (!response.ok()) {
      out.status = response.status();
    } else if (response->status >= 200 && response->status < 300) {
      out.status = Status::Ok();
      return out;
    } else {
      out.status = StatusError(url, *response);
      retriable = IsRetriableHttpStatus(response->status);
    }
    if (!retriable || out.attempts >= policy.max_attempts || stop.stop_requested()) return out;
    BackOff(stop, backoff);
    if (stop.stop_requested()) return out;
    backoff = std::min(backoff * 2, kMaxBackoffMs);
  }
}

}  // namespace perfwatch
