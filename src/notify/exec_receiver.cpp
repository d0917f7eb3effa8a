// The exec receiver: runs the configured argv once per notification with
// the first changed alert in PERFWATCH_ALERT_* variables and the whole
// webhook payload (every alert of the group) on stdin.

#include <unistd.h>

#include <cctype>
#include <nlohmann/json.hpp>

#include "model/event_log.h"
#include "notify/child_process.h"
#include "notify/payload.h"
#include "notify/receivers.h"

extern char** environ;

namespace perfwatch {
namespace {

constexpr std::string_view kPrefix = "PERFWATCH_ALERT_";

// Environment variable values cannot hold NUL.
std::string EnvValue(std::string_view value) {
  std::string out(value);
  std::erase(out, '\0');
  return out;
}

// Label names are [a-zA-Z_][a-zA-Z0-9_]*; upper-cased, anything else is '_'.
std::string EnvName(std::string_view label) {
  std::string out(kPrefix);
  out += "LABEL_";
  for (char c : label) {
    out += std::isalnum(static_cast<unsigned char>(c)) ? static_cast<char>(std::toupper(c)) : '_';
  }
  return out;
}

std::string_view Annotation(const Alert& a, std::string_view name) {
  for (const auto& [k, v] : a.annotations) {
    if (k == name) return v;
  }
  return {};
}

std::string FormatValue(double value) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.17g", value);
  return buf;
}

// perfwatch's own environment (less stale PERFWATCH_ALERT_*), then the alert's.
std::vector<std::string> ChildEnv(const Notification& n) {
  std::vector<std::string> env;
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
    if (std::string_view(*e).substr(0, kPrefix.size()) != kPrefix) env.emplace_back(*e);
  }
  const Alert& a = n.changes.empty() ? n.alerts.front() : n.changes.front().alert;
  nlohmann::ordered_json labels = nlohmann::ordered_json::object();
  for (const Label& l : a.labels) labels[l.name] = l.value;
  auto add = [&](std::string_view name, std::string_view value) {
    env.push_back(std::string(kPrefix) + std::string(name) + "=" + EnvValue(value));
  };
  add("NAME", a.rule);
  add("STATUS", AlertStateText(a.state));
  add("SEVERITY", a.severity);
  add("VALUE", FormatValue(a.value));
  add("ID", a.id);
  add("LABELS", labels.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace));
  add("SUMMARY", Annotation(a, "summary"));
  add("STARTS_AT", GoTimeJson(a.fired_at_ms != 0 ? a.fired_at_ms : a.active_since_ms));
  add("COUNT", std::to_string(n.alerts.size()));
  for (const Label& l : a.labels) env.push_back(EnvName(l.name) + "=" + EnvValue(l.value));
  return env;
}

class ExecReceiver final : public Receiver {
 public:
  explicit ExecReceiver(const ReceiverOptions& options)
      : name_(ReceiverName(options)),
        argv_(options.command),
        timeout_(std::chrono::milliseconds(options.timeout_ms)) {}

  Status Send(const Notification& n, std::stop_token) override {
    if (n.alerts.empty() && n.changes.empty()) return Status::Ok();
    Result<ChildExit> exit = RunChild(argv_, ChildEnv(n), WebhookPayload(n, name_), timeout_);
    Status s = exit.ok() ? Status::Ok() : exit.status();
    if (exit.ok() && !exit->ok()) {
      s = Status::Unavailable("exec: \"" + argv_[0] + "\" " + exit->Describe(timeout_));
    }
    LogEvent(s.ok() ? LogLevel::kDebug : LogLevel::kError,
             s.ok() ? "notification_exec_done" : "notification_failed",
             {{"receiver", name_},
              {"command", argv_[0]},
              {"result", exit.ok() ? exit->Describe(timeout_) : s.message()}});
    return s;
  }

 private:
  std::string name_;
  std::vector<std::string> argv_;
  std::chrono::milliseconds timeout_;
};

}  // namespace

std::unique_ptr<Receiver> MakeExecReceiver(const ReceiverOptions& options) {
  return std::make_unique<ExecReceiver>(options);
}

}  // namespace perfwatch
