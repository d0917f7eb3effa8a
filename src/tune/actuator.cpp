#include "tune/actuator.h"

#include <chrono>
#include <cmath>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <utility>

#include "net/http_client.h"
#include "notify/child_process.h"
#include "notify/http_retry.h"

namespace perfwatch {
namespace {

using nlohmann::ordered_json;

constexpr size_t kMaxErrorBody = 200;
constexpr const char* kDefaultPath = "/usr/local/bin:/usr/bin:/bin";

// A tunable's value as the application reads it: true/false for a bool,
// a whole number without ".0" (1000, not 1000.0), otherwise a double.
ordered_json ValueJson(TunableSpec::Kind kind, double v) {
  if (kind == TunableSpec::Kind::kBool) return v >= 0.5;
  if (std::isfinite(v) && v == std::trunc(v) && std::abs(v) < 9.007199254740992e15) {
    return static_cast<int64_t>(v);
  }
  return v;
}

std::string Dump(const ordered_json& j) {
  return j.dump(-1, ' ', false, ordered_json::error_handler_t::replace);
}

std::string ChangeBody(const ActuatorWork& w) {
  ordered_json j = ordered_json::object();
  j["app"] = w.app;
  j["name"] = w.name;
  j["value"] = ValueJson(w.value_kind, w.value);
  j["previous"] = ValueJson(w.value_kind, w.previous);
  j["rule"] = w.rule;
  j["reason"] = w.reason;
  return Dump(j);
}

std::string HookBody(const ActuatorWork& w) {
  ordered_json j = ordered_json::object();
  j["app"] = w.app;
  j["hook"] = w.name;
  j["rule"] = w.rule;
  j["reason"] = w.reason;
  return Dump(j);
}

// The decision as exec (stdin) and webhook actions receive it; value and
// previous are null when the action names no tunable.
std::string DecisionBody(const ActuatorWork& w) {
  ordered_json j = ordered_json::object();
  j["rule"] = w.rule;
  j["reason"] = w.reason;
  j["action"] = ActionKindName(w.kind);
  j["emergency"] = w.emergency;
  j["app"] = w.app;
  j["tunable"] = w.name;
  j["value"] = w.name.empty() ? ordered_json() : ValueJson(w.value_kind, w.value);
  j["previous"] = w.name.empty() ? ordered_json() : ValueJson(w.value_kind, w.previous);
  return Dump(j);
}

// The first `max` bytes, not splitting a UTF-8 sequence.
std::string Cut(const std::string& s, size_t max) {
  if (s.size() <= max) return s;
  size_t n = max;
  while (n > 0 && (static_cast<unsigned char>(s[n]) & 0xC0) == 0x80) --n;
  return s.substr(0, n);
}

ActuatorDone Done(const ActuatorWork& w, std::string outcome, std::string error, int attempts) {
  return ActuatorDone{w.record_id, std::move(outcome), std::move(error), attempts};
}

ActuatorDone Post(const ActuatorWork& w, const std::string& body, const ActuatorOptions& options,
                  std::stop_token stop) {
  if (w.webhook.empty()) return Done(w, "failed", "no delivery channel", 0);
  Result<HttpUrl> url = ParseHttpUrl(w.webhook);
  if (!url.ok()) return Done(w, "failed", "webhook: " + url.status().message(), 0);
  const RetryPolicy policy{options.max_attempts, options.backoff_ms, w.timeout_ms};
  PostOutcome out = PostWithRetry(*url, {}, "application/json", body, policy, stop);
  if (out.status.ok()) return Done(w, "applied", "", out.attempts);
  const bool refused =
      out.http_status >= 400 && out.http_status < 500 && !IsRetriableHttpStatus(out.http_status);
  if (refused) {
    std::string error = Cut(out.body, kMaxErrorBody);
    if (error.empty()) error = "answered " + std::to_string(out.http_status);
    return Done(w, "rejected", std::move(error), out.attempts);
  }
  return Done(w, "failed", out.status.message(), out.attempts);
}

std::string EnvValue(std::string_view value) {
  std::string out(value);
  std::erase(out, '\0');
  return out;
}

std::vector<std::string> ExecEnv(const ActuatorWork& w) {
  const char* path = std::getenv("PATH");
  TunableSpec spec;
  spec.kind = w.value_kind;
  const bool tunable = !w.name.empty();
  std::vector<std::string> env{"PATH=" + std::string(path != nullptr ? path : kDefaultPath)};
  auto add = [&](const char* name, std::string_view value) {
    env.push_back(std::string("PERFWATCH_") + name + "=" + EnvValue(value));
  };
  add("RULE", w.rule);
  add("REASON", w.reason);
  add("ACTION", ActionKindName(w.kind));
  add("APP", w.app);
  add("TUNABLE", w.name);
  add("VALUE", tunable ? FormatTunableValue(spec, w.value) : "");
  add("PREVIOUS", tunable ? FormatTunableValue(spec, w.previous) : "");
  return env;
}

ActuatorDone Exec(const ActuatorWork& w) {
  if (w.argv.empty() || w.argv.front().empty()) return Done(w, "failed", "exec: empty argv", 0);
  const std::chrono::milliseconds timeout(w.timeout_ms);
  Result<ChildExit> exit = RunChild(w.argv, ExecEnv(w), DecisionBody(w), timeout);
  if (!exit.ok()) return Done(w, "failed", exit.status().message(), 1);
  if (!exit->ok()) {
    return Done(w, "failed", "exec: \"" + w.argv.front() + "\" " + exit->Describe(timeout), 1);
  }
  return Done(w, "applied", "", 1);
}

}  // namespace

Actuator::Actuator(ActuatorOptions options)
    : options_(options), worker_([this](std::stop_token stop) { Run(stop); }) {}

Actuator::~Actuator() {
  worker_.request_stop();
  if (worker_.joinable()) worker_.join();
  std::lock_guard lock(mu_);
  for (const ActuatorWork& w : queue_) done_.push_back(Done(w, "failed", "perfwatch stopping", 0));
  queue_.clear();
}

void Actuator::Submit(ActuatorWork work) {
  {
    std::lock_guard lock(mu_);
    if (queue_.size() >= options_.max_queue) {
      done_.push_back(Done(work, "failed", "queue full", 0));
      return;
    }
    queue_.push_back(std::move(work));
  }
  cv_.notify_one();
}

std::vector<ActuatorDone> Actuator::TakeDone() {
  std::lock_guard lock(mu_);
  return std::exchange(done_, {});
}

void Actuator::Run(std::stop_token stop) {
  for (;;) {
    ActuatorWork work;
    {
      std::unique_lock lock(mu_);
      cv_.wait(lock, stop, [&] { return !queue_.empty(); });
      // Stopping: what is still queued is failed by the destructor.
      if (stop.stop_requested()) return;
      work = std::move(queue_.front());
      queue_.pop_front();
    }
    ActuatorDone done = Carry(work, stop);
    std::lock_guard lock(mu_);
    done_.push_back(std::move(done));
  }
}

ActuatorDone Actuator::Carry(const ActuatorWork& work, std::stop_token stop) const {
  if (ChangesTunable(work.kind)) return Post(work, ChangeBody(work), options_, stop);
  switch (work.kind) {
    case TuningAction::Kind::kHook:
      return Post(work, HookBody(work), options_, stop);
    case TuningAction::Kind::kWebhook:
      return Post(work, DecisionBody(work), options_, stop);
    case TuningAction::Kind::kExec:
      return Exec(work);
    default:
      return Done(work, "failed", "unknown action", 0);
  }
}

}  // namespace perfwatch
