#include "notify/receivers.h"

namespace perfwatch {
namespace {

Status FieldError(const ReceiverOptions& o, std::string_view field, std::string_view why) {
  return Status::InvalidArgument(o.type + " receiver \"" + ReceiverName(o) +
                                 "\": " + std::string(field) + ": " + std::string(why));
}

Status ValidateHttp(const ReceiverOptions& o) {
  if (o.url.empty()) return FieldError(o, "url", "is required");
  Result<HttpUrl> url = o.type == "alertmanager" ? AlertmanagerUrl(o.url) : ParseHttpUrl(o.url);
  if (!url.ok()) return FieldError(o, "url", url.status().message());
  for (const auto& [name, value] : o.headers) {
    if (Status s = ValidateHttpHeader(name, value); !s.ok()) {
      return FieldError(o, "headers", s.message());
    }
  }
  if (o.max_attempts < 1) return FieldError(o, "max_attempts", "must be at least 1");
  if (o.backoff_ms < 0) return FieldError(o, "backoff_ms", "must not be negative");
  return Status::Ok();
}

}  // namespace

std::string ReceiverName(const ReceiverOptions& options) {
  return options.name.empty() ? options.type : options.name;
}

Status ValidateReceiver(const ReceiverOptions& o) {
  if (o.type == "console") return Status::Ok();
  if (o.timeout_ms <= 0) return FieldError(o, "timeout_ms", "must be greater than 0");
  if (o.type == "log") {
    return o.path.empty() ? FieldError(o, "path", "is required") : Status::Ok();
  }
  if (o.type == "webhook" || o.type == "alertmanager") return ValidateHttp(o);
  if (o.type == "exec") {
    if (o.command.empty() || o.command[0].empty()) {
      return FieldError(o, "command", "needs at least the program to run");
    }
    return Status::Ok();
  }
  return Status::InvalidArgument("type: unknown receiver type \"" + o.type +
                                 "\" (expected console, log, webhook, alertmanager or exec)");
}

Result<std::unique_ptr<Receiver>> MakeReceiver(const ReceiverOptions& options, NotifyClock clock) {
  if (Status s = ValidateReceiver(options); !s.ok()) return s;
  if (options.type == "console") return MakeConsoleReceiver(stderr);
  if (options.type == "log") return MakeLogReceiver(options, std::move(clock));
  if (options.type == "webhook") return MakeWebhookReceiver(options);
  if (options.type == "alertmanager") return MakeAlertmanagerReceiver(options, std::move(clock));
  return MakeExecReceiver(options);
}

}  // namespace perfwatch
