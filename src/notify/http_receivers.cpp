// The webhook receiver (Alertmanager's webhook payload, version "4") and the
// Alertmanager receiver (POST /api/v2/alerts), sharing PostWithRetry.

#include <map>

#include "model/event_log.h"
#include "notify/http_retry.h"
#include "notify/payload.h"
#include "notify/receivers.h"

namespace perfwatch {
namespace {

constexpr std::string_view kJson = "application/json";
constexpr std::string_view kAlertsPath = "/api/v2/alerts";

// Logs a delivery that gave up, with what the last attempt got.
Status Report(std::string_view receiver, const HttpUrl& url, const PostOutcome& outcome) {
  if (!outcome.status.ok()) {
    LogEvent(LogLevel::kError, "notification_failed",
             {{"receiver", std::string(receiver)},
              {"url", url.ToString()},
              {"attempts", std::to_string(outcome.attempts)},
              {"error", outcome.status.message()}});
  }
  return outcome.status;
}

RetryPolicy PolicyOf(const ReceiverOptions& o) {
  return {.max_attempts = o.max_attempts, .backoff_ms = o.backoff_ms, .timeout_ms = o.timeout_ms};
}

class WebhookReceiver final : public Receiver {
 public:
  WebhookReceiver(const ReceiverOptions& options, HttpUrl url)
      : name_(ReceiverName(options)),
        url_(std::move(url)),
        headers_(options.headers),
        policy_(PolicyOf(options)) {}

  Status Send(const Notification& n, std::stop_token stop) override {
    std::string body = WebhookPayload(n, name_);
    return Report(name_, url_, PostWithRetry(url_, headers_, kJson, body, policy_, stop));
  }

 private:
  std::string name_;
  HttpUrl url_;
  HttpHeaders headers_;
  RetryPolicy policy_;
};

class AlertmanagerReceiver final : public Receiver {
 public:
  AlertmanagerReceiver(const ReceiverOptions& options, HttpUrl url, NotifyClock clock)
      : name_(ReceiverName(options)),
        url_(std::move(url)),
        headers_(options.headers),
        policy_(PolicyOf(options)),
        clock_(std::move(clock)) {}

  Status Send(const Notification& n, std::stop_token stop) override {
    // Tracked whatever the outcome: the next refresh then re-posts what failed.
    for (const Alert& a : n.alerts) {
      if (a.state == AlertState::kResolved) {
        active_.erase(a.id);
      } else {
        active_[a.id] = a;
      }
    }
    return Post(n, stop);
  }

  int64_t RefreshIntervalMs() const override { return kAlertmanagerRefreshMs; }

  Status Refresh(std::stop_token stop) override {
    if (active_.empty()) return Status::Ok();
    Notification n;
    for (const auto& [id, alert] : active_) n.alerts.push_back(alert);
    return Post(n, stop);
  }

 private:
  Status Post(const Notification& n, std::stop_token stop) {
    std::string body = AlertmanagerPayload(n, clock_(), 4 * kAlertmanagerRefreshMs);
    return Report(name_, url_, PostWithRetry(url_, headers_, kJson, body, policy_, stop));
  }

  std::string name_;
  HttpUrl url_;
  HttpHeaders headers_;
  RetryPolicy policy_;
  NotifyClock clock_;
  std::map<std::string, Alert> active_;  // firing alerts by id, for Refresh
};

}  // namespace

// A base URL gets /api/v2/alerts appended; a URL already ending in it is kept.
Result<HttpUrl> AlertmanagerUrl(std::string_view url) {
  Result<HttpUrl> parsed = ParseHttpUrl(url);
  if (!parsed.ok()) return parsed;
  std::string& target = parsed->target;
  if (target.find('?') != std::string::npos) {
    return Status::InvalidArgument("URL \"" + std::string(url) +
                                   "\": an Alertmanager URL takes no query");
  }
  if (target.size() < kAlertsPath.size() ||
      target.compare(target.size() - kAlertsPath.size(), kAlertsPath.size(), kAlertsPath) != 0) {
    while (!target.empty() && target.back() == '/') target.pop_back();
    target += kAlertsPath;
  }
  return parsed;
}

std::unique_ptr<Receiver> MakeWebhookReceiver(const ReceiverOptions& options) {
  return std::make_unique<WebhookReceiver>(options, ParseHttpUrl(options.url).value());
}

std::unique_ptr<Receiver> MakeAlertmanagerReceiver(const ReceiverOptions& options,
                                                   NotifyClock clock) {
  return std::make_unique<AlertmanagerReceiver>(options, AlertmanagerUrl(options.url).value(),
                                                std::move(clock));
}

}  // namespace perfwatch
