#pragma once
// Tunables: the knobs an application declares (POST /api/v1/tunables or the
// C++ client's perfwatch::Tuner) and perfwatch's rules may turn. Pure data
// and pure functions; value types, thread-compatible.
//
// Values are doubles; a bool tunable (`async.enabled`) holds 0 or 1 and
// renders as true/false. A number tunable is an integer one when its value,
// min, max and step are all whole numbers (cache.size, pool.size): results
// are rounded to whole numbers.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "model/sample.h"
#include "model/status.h"

namespace perfwatch {

struct TunableSpec {
  enum class Kind { kNumber, kBool };
  std::string app;   // [A-Za-z0-9_.-]{1,64}
  std::string name;  // [A-Za-z0-9_.-]{1,128}: "cache.size", "async.enabled"
  Kind kind = Kind::kNumber;
  double value = 0;  // the application's current value
  std::optional<double> min;
  std::optional<double> max;
  double step = 0;              // > 0: values are min + k*step (or k*step without min)
  std::vector<double> allowed;  // non-empty: the only values it takes (ascending)
  std::string unit;             // "items", "seconds", "" ...
  std::string description;
  // Where changes are delivered: POST of the change as JSON, a 2xx confirms
  // (http:// only). "" = perfwatch may not change it (actions on it fail
  // with "no delivery channel").
  std::string webhook;
  // Clean-up hooks the application handles ("memory_cleanup",
  // "cache_warmup", "emergency_cleanup", "move_heavy_to_background").
  std::vector<std::string> hooks;

  bool integer() const;
};

// The limits perfwatch enforces on what applications register.
inline constexpr size_t kMaxTunablesPerApp = 64;
inline constexpr size_t kMaxTunables = 1024;
inline constexpr size_t kMaxTunableHistory = 100;  // per tunable, kept in memory and served

// Checks names, min <= value <= max, step >= 0, allowed values finite and
// the value among them, webhook an http:// URL, at most 16 hooks with valid
// names. The message names the field: `min (200) is above max (100)`.
Status ValidateTunableSpec(const TunableSpec& spec);

// One JSON object (or an array of them: ParseTunablesJson) as POST
// /api/v1/tunables takes it:
//   {"app":"shop","name":"cache.size","value":1000,"min":100,"max":5000,
//    "step":1,"allowed":[...],"unit":"items","description":"...",
//    "webhook":"http://127.0.0.1:9096/tune","hooks":["cache_warmup"]}
// "value": true/false makes a bool tunable. Unknown keys are refused.
// Errors name the field and, for an array, the element: "[2].min: expected
// a number". Validated as ValidateTunableSpec.
Result<TunableSpec> ParseTunableJson(std::string_view body);
Result<std::vector<TunableSpec>> ParseTunablesJson(std::string_view body);

// `proposed` made a value the tunable can take: a bool becomes 0 or 1; a
// number is clamped into [min, max], snapped to the nearest step or allowed
// value, rounded when integer. Never leaves [min, max].
double ConformValue(const TunableSpec& spec, double proposed);

// "1000", "0.5", "true": how the audit and the log show a value.
std::string FormatTunableValue(const TunableSpec& spec, double value);

// One change of a tunable, as GET /api/v1/tunables lists in `history`.
struct TunableChange {
  int64_t id = 0;  // the audit row (tuning_audit.id), 0 for a registration
  TimestampMs t_ms = 0;
  double previous = 0;
  double value = 0;
  // "registered": the application declared or re-declared it (value as it
  // reported); "applied": a rule's change the application confirmed;
  // "rolled_back": a rollback it confirmed; "rejected"/"failed": not
  // applied (the value stays `previous`); "dry_run": what would have been
  // set.
  std::string outcome;
  std::string rule;    // "" for a registration
  std::string reason;  // the trigger and its value, or the error
};

struct Tunable {
  TunableSpec spec;                    // spec.value: the value now (after confirmed changes)
  TimestampMs registered_ms = 0;       // first registration
  TimestampMs seen_ms = 0;             // latest registration (the app's heartbeat)
  std::vector<TunableChange> history;  // newest last, at most kMaxTunableHistory
};

}  // namespace perfwatch
