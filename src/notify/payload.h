#pragma once
// The bytes receivers send: the Alertmanager webhook payload (version "4"),
// the Alertmanager API v2 postable-alerts array, the JSON log line and the
// console line. Pure functions of their arguments; thread-safe.

#include <string>
#include <string_view>

#include "alert/alert.h"
#include "model/sample.h"
#include "notify/notification.h"

namespace perfwatch {

// "inactive", "pending", "firing", "resolved" (kept here so notify/ needs
// only alert.h, not alert/'s code).
std::string_view AlertStateText(AlertState state);

// RFC 3339 in UTC as Go's time.Time marshals it (fraction trimmed of
// trailing zeros, none when whole seconds): "2024-05-01T12:00:00.25Z".
// 0 is Go's zero time, "0001-01-01T00:00:00Z".
std::string GoTimeJson(TimestampMs t_ms);
// ISO-8601 UTC with exactly three fraction digits, for log lines.
std::string IsoTimeMs(TimestampMs t_ms);

// Alertmanager's webhook Message (notify/webhook/webhook.go), fields in Go's
// order, ending with a newline as json.Encoder writes it.
std::string WebhookPayload(const Notification& notification, std::string_view receiver);

// POST /api/v2/alerts body. Firing alerts carry endsAt = now + `valid_for_ms`
// (Alertmanager resolves them then unless re-sent); resolved ones their
// resolution time.
std::string AlertmanagerPayload(const Notification& notification, TimestampMs now_ms,
                                int64_t valid_for_ms);

// The seed-000 event name of a notice: its own `event`, else
// threshold_violation, or alert_resolved when resolved.
std::string_view NoticeEventName(const AlertNotice& notice);

// One JSON log line (no trailing newline) per notice and per named event.
std::string NoticeLogLine(const AlertNotice& notice, TimestampMs now_ms);
std::string EventLogLine(const NamedEvent& event);

// "[FIRING] HighCpu warning instance=a value=93.1 — CPU at 93.1%".
std::string NoticeConsoleLine(const AlertNotice& notice);
std::string EventConsoleLine(const NamedEvent& event);

}  // namespace perfwatch
