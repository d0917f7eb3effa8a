#pragma once
// Silence: Alertmanager's (API v2) silence, so the payloads amtool and the
// Alertmanager UI send work unchanged against POST /api/v1/silences:
//
//   {"matchers":[{"name":"alertname","value":"HighCpu","isRegex":false,
//                 "isEqual":true}],
//    "startsAt":"2024-05-01T10:00:00.000Z","endsAt":"2024-05-01T12:00:00Z",
//    "createdBy":"ana","comment":"maintenance","id":"optional, to update"}
//
// A silence mutes the alerts whose labels all its matchers match while
// startsAt <= now < endsAt. Regular expressions are RE2, fully anchored
// (as Alertmanager's). Value type; a const Silence is safe to share across
// threads (the compiled regexes are immutable).

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "model/labels.h"
#include "model/sample.h"
#include "model/status.h"

namespace re2 {
class RE2;
}

namespace perfwatch {

struct SilenceMatcher {
  std::string name;
  std::string value;
  bool is_regex = false;
  bool is_equal = true;                   // false: "!=" or "!~"
  std::shared_ptr<const re2::RE2> regex;  // set by MakeSilenceMatcher when is_regex

  // A label absent from the alert matches as "" (as in Alertmanager).
  bool Matches(std::string_view label_value) const;
};

// Validates the name and compiles the regex; errors say which is wrong.
Result<SilenceMatcher> MakeSilenceMatcher(std::string name, std::string value, bool is_regex,
                                          bool is_equal);

enum class SilenceState { kPending, kActive, kExpired };
std::string_view SilenceStateName(SilenceState state);  // "pending", "active", "expired"

struct Silence {
  std::string id;  // empty until the engine stores it (NewSilenceId)
  std::vector<SilenceMatcher> matchers;
  TimestampMs starts_at_ms = 0;
  TimestampMs ends_at_ms = 0;
  TimestampMs updated_at_ms = 0;
  std::string created_by;
  std::string comment;

  // Every matcher matches.
  bool Matches(const Labels& labels) const;
  SilenceState StateAt(TimestampMs now_ms) const;
  bool ActiveAt(TimestampMs now_ms) const { return StateAt(now_ms) == SilenceState::kActive; }
};

// Alertmanager's rules for a silence to be stored: at least one matcher, at
// least one that does not match the empty string, endsAt after startsAt.
Status ValidateSilence(const Silence& silence);

// A postable silence (the body of POST /api/v2/silences). Errors name the
// field: "matchers[1].isRegex: required", "endsAt: not a date-time: ...".
// Unknown fields are ignored, as Alertmanager does.
Result<Silence> ParseSilenceJson(std::string_view json);

// A gettable silence, as GET /api/v2/silences lists them (with
// "status":{"state":...} as of `now_ms` and "updatedAt").
std::string RenderSilenceJson(const Silence& silence, TimestampMs now_ms);
// The matchers alone, as a JSON array (what AlertDb stores).
std::string RenderMatchersJson(const std::vector<SilenceMatcher>& matchers);
Result<std::vector<SilenceMatcher>> ParseMatchersJson(std::string_view json);

// A random version-4 UUID ("2f1c...-...."), as Alertmanager's silence ids.
std::string NewSilenceId();

// "2024-05-01T10:00:00.000Z": how Alertmanager writes times (RFC 3339 in
// UTC with milliseconds).
std::string FormatRfc3339Ms(TimestampMs t_ms);

}  // namespace perfwatch
