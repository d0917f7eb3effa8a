#pragma once
// Actuator: carries out tuning decisions away from the collection thread.
// TuningEngine hands it Work and later collects Done; nothing here blocks
// the caller.
//
//   tunable change  POST to the tunable's webhook of
//                   {"app","name","value","previous","rule","reason"}
//                   (values as JSON numbers, or true/false for a bool);
//                   2xx = applied; any other 4xx = rejected (the body, cut
//                   to 200 bytes, is the error; never retried); transport
//                   errors, 5xx and 429 retried twice with backoff
//                   (notify/http_retry.h), then failed.
//   hook            POST to the app's webhook of
//                   {"app","hook","rule","reason"}: same answers.
//   exec            argv via notify/child_process.h RunChild, environment
//                   PATH plus PERFWATCH_RULE, PERFWATCH_REASON,
//                   PERFWATCH_ACTION, PERFWATCH_APP, PERFWATCH_TUNABLE,
//                   PERFWATCH_VALUE, PERFWATCH_PREVIOUS; the decision JSON
//                   on stdin; exit 0 = applied; failed otherwise.
//   webhook         POST of the decision JSON {"rule","reason","action",
//                   "emergency","app","tunable","value","previous"} to the
//                   URL; 2xx = applied.
//
// Thread-safety: every method may be called from any thread. One worker
// thread per Actuator; Work runs in order.

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "tune/rule_spec.h"
#include "tune/tunable.h"

namespace perfwatch {

struct ActuatorWork {
  int64_t record_id = 0;                               // the audit row this carries out
  TuningAction::Kind kind = TuningAction::Kind::kSet;  // kScale/kSet/kToggle: a tunable change
  std::string rule;
  std::string reason;
  bool emergency = false;
  bool rollback = false;
  // Tunable changes and hooks.
  std::string app;
  std::string name;     // tunable name or hook name
  std::string webhook;  // where to POST (the tunable's, or the action's URL)
  TunableSpec::Kind value_kind = TunableSpec::Kind::kNumber;
  double previous = 0;
  double value = 0;
  std::vector<std::string> argv;  // kExec
  int64_t timeout_ms = 10'000;
};

struct ActuatorDone {
  int64_t record_id = 0;
  std::string outcome;  // "applied", "rejected", "failed"
  std::string error;
  int attempts = 0;
};

// What TuningEngine needs; tests of the engine may record instead.
class TuningActuator {
 public:
  virtual ~TuningActuator() = default;
  virtual void Submit(ActuatorWork work) = 0;
  // Everything finished since the last call.
  virtual std::vector<ActuatorDone> TakeDone() = 0;
};

struct ActuatorOptions {
  int max_attempts = 3;
  int64_t backoff_ms = 200;
  size_t max_queue = 256;  // Work beyond it is failed at once ("queue full")
};

class Actuator : public TuningActuator {
 public:
  explicit Actuator(ActuatorOptions options = {});
  ~Actuator() override;  // finishes the running work, fails the queued ones, joins
  Actuator(const Actuator&) = delete;
  Actuator& operator=(const Actuator&) = delete;

  void Submit(ActuatorWork work) override;
  std::vector<ActuatorDone> TakeDone() override;

 private:
  void Run(std::stop_token stop);
  ActuatorDone Carry(const ActuatorWork& work, std::stop_token stop) const;

  const ActuatorOptions options_;
  std::mutex mu_;
  std::condition_variable_any cv_;
  std::deque<ActuatorWork> queue_;  // protected by mu_
  std::vector<ActuatorDone> done_;  // protected by mu_
  std::jthread worker_;
};

}  // namespace perfwatch
