#pragma once
// Builds receivers from their options: console, log, webhook,
// alertmanager, exec. ValidateReceiver is what the config loader calls to
// refuse a bad `notify:` entry; MakeReceiver expects options that passed it.
// Free functions, thread-safe.

#include <cstdio>
#include <memory>
#include <string>

#include "model/status.h"
#include "net/http_client.h"
#include "notify/notification.h"
#include "notify/notify_options.h"

namespace perfwatch {

// The receiver's name: `name`, else its type.
std::string ReceiverName(const ReceiverOptions& options);

// Checks one receiver; the message names the field ("url: ...",
// "command: ...", "timeout_ms: ...").
Status ValidateReceiver(const ReceiverOptions& options);

Result<std::unique_ptr<Receiver>> MakeReceiver(const ReceiverOptions& options, NotifyClock clock);

// The concrete receivers, for tests and for MakeReceiver.
// `out` must outlive the receiver (stderr for the daemon).
std::unique_ptr<Receiver> MakeConsoleReceiver(std::FILE* out);
std::unique_ptr<Receiver> MakeLogReceiver(const ReceiverOptions& options, NotifyClock clock);
std::unique_ptr<Receiver> MakeWebhookReceiver(const ReceiverOptions& options);
// Alertmanager forgets a firing alert that is not re-sent: this receiver
// re-posts active alerts every kAlertmanagerRefreshMs, each valid for four
// periods (as Prometheus does with its resend delay).
// `url` is the base URL or one already ending in /api/v2/alerts.
Result<HttpUrl> AlertmanagerUrl(std::string_view url);
inline constexpr int64_t kAlertmanagerRefreshMs = 60'000;
std::unique_ptr<Receiver> MakeAlertmanagerReceiver(const ReceiverOptions& options,
                                                   NotifyClock clock);
std::unique_ptr<Receiver> MakeExecReceiver(const ReceiverOptions& options);

}  // namespace perfwatch
