#include "alert/silence.h"

#include <re2/re2.h>

#include <cstdio>
#include <nlohmann/json.hpp>
#include <random>

#include "interchange/iso8601.h"

namespace perfwatch {
namespace {

using nlohmann::json;

Status FieldError(const std::string& field, const std::string& what) {
  return Status::InvalidArgument(field + ": " + what);
}

Result<std::string> StringField(const json& obj, const std::string& key, const std::string& path) {
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) return FieldError(path + key, "required");
  if (!it->is_string()) return FieldError(path + key, "must be a string");
  return it->get<std::string>();
}

Result<TimestampMs> TimeField(const json& obj, const std::string& key) {
  Result<std::string> text = StringField(obj, key, "");
  if (!text.ok()) return text.status();
  Result<TimestampMs> t = ParseIso8601(*text);
  if (!t.ok()) return FieldError(key, "not a date-time: " + t.status().message());
  return *t;
}

Result<SilenceMatcher> ParseMatcher(const json& m, const std::string& path) {
  if (!m.is_object()) return FieldError(path, "must be an object");
  Result<std::string> name = StringField(m, "name", path + ".");
  if (!name.ok()) return name.status();
  Result<std::string> value = StringField(m, "value", path + ".");
  if (!value.ok()) return value.status();
  auto regex = m.find("isRegex");
  if (regex == m.end() || regex->is_null()) return FieldError(path + ".isRegex", "required");
  if (!regex->is_boolean()) return FieldError(path + ".isRegex", "must be true or false");
  bool is_equal = true;
  if (auto eq = m.find("isEqual"); eq != m.end() && !eq->is_null()) {
    if (!eq->is_boolean()) return FieldError(path + ".isEqual", "must be true or false");
    is_equal = eq->get<bool>();
  }
  Result<SilenceMatcher> matcher =
      MakeSilenceMatcher(std::move(*name), std::move(*value), regex->get<bool>(), is_equal);
  if (!matcher.ok()) return FieldError(path, matcher.status().message());
  return matcher;
}

Result<std::vector<SilenceMatcher>> ParseMatchers(const json& arr) {
  if (!arr.is_array()) return FieldError("matchers", "must be an array");
  std::vector<SilenceMatcher> out;
  for (size_t i = 0; i < arr.size(); ++i) {
    Result<SilenceMatcher> m = ParseMatcher(arr[i], "matchers[" + std::to_string(i) + "]");
    if (!m.ok()) return m.status();
    out.push_back(std::move(*m));
  }
  return out;
}

json MatchersJson(const std::vector<SilenceMatcher>& matchers) {
  json arr = json::array();
  for (const SilenceMatcher& m : matchers) {
    arr.push_back(
        {{"name", m.name}, {"value", m.value}, {"isRegex", m.is_regex}, {"isEqual", m.is_equal}});
  }
  return arr;
}

// H. Hinnant's civil_from_days: days since 1970-01-01 to y-m-d.
void CivilFromDays(int64_t z, int64_t* y, unsigned* m, unsigned* d) {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const auto doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  *d = doy - (153 * mp + 2) / 5 + 1;
  *m = mp < 10 ? mp + 3 : mp - 9;
  *y = static_cast<int64_t>(yoe) + era * 400 + (*m <= 2);
}

}  // namespace

bool SilenceMatcher::Matches(std::string_view label_value) const {
  const bool hit = is_regex ? RE2::FullMatch(label_value, *regex) : label_value == value;
  return hit == is_equal;
}

Result<SilenceMatcher> MakeSilenceMatcher(std::string name, std::string value, bool is_regex,
                                          bool is_equal) {
  if (!IsValidLabelName(name) && name != "__name__") {
    return Status::InvalidArgument("invalid label name '" + name + "'");
  }
  SilenceMatcher m{std::move(name), std::move(value), is_regex, is_equal, nullptr};
  if (is_regex) {
    RE2::Options options;
    options.set_log_errors(false);
    auto re = std::make_shared<RE2>(m.value, options);
    if (!re->ok()) {
      return Status::InvalidArgument("invalid regular expression '" + m.value +
                                     "': " + re->error());
    }
    m.regex = std::move(re);
  }
  return m;
}

std::string_view SilenceStateName(SilenceState state) {
  switch (state) {
    case SilenceState::kPending:
      return "pending";
    case SilenceState::kActive:
      return "active";
    default:
      return "expired";
  }
}

bool Silence::Matches(const Labels& labels) const {
  for (const SilenceMatcher& m : matchers) {
    if (!m.Matches(labels.Get(m.name))) return false;
  }
  return !matchers.empty();
}

SilenceState Silence::StateAt(TimestampMs now_ms) const {
  if (now_ms < starts_at_ms) return SilenceState::kPending;
  return now_ms < ends_at_ms ? SilenceState::kActive : SilenceState::kExpired;
}

Status ValidateSilence(const Silence& silence) {
  if (silence.matchers.empty()) return FieldError("matchers", "at least one matcher required");
  bool any_non_empty = false;
  for (const SilenceMatcher& m : silence.matchers) any_non_empty |= !m.Matches("");
  if (!any_non_empty) {
    return FieldError("matchers", "at least one matcher must not match the empty string");
  }
  if (silence.ends_at_ms < silence.starts_at_ms) {
    return FieldError("endsAt", "end time must not be before start time");
  }
  return Status::Ok();
}

Result<Silence> ParseSilenceJson(std::string_view text) {
  const json doc = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded()) return Status::InvalidArgument("silence: body is not valid JSON");
  if (!doc.is_object()) return Status::InvalidArgument("silence: body must be a JSON object");
  Silence s;
  if (auto id = doc.find("id"); id != doc.end() && !id->is_null()) {
    if (!id->is_string()) return FieldError("id", "must be a string");
    s.id = id->get<std::string>();
  }
  auto matchers = doc.find("matchers");
  if (matchers == doc.end() || matchers->is_null()) return FieldError("matchers", "required");
  Result<std::vector<SilenceMatcher>> parsed = ParseMatchers(*matchers);
  if (!parsed.ok()) return parsed.status();
  s.matchers = std::move(*parsed);
  Result<TimestampMs> starts = TimeField(doc, "startsAt");
  if (!starts.ok()) return starts.status();
  Result<TimestampMs> ends = TimeField(doc, "endsAt");
  if (!ends.ok()) return ends.status();
  s.starts_at_ms = *starts;
  s.ends_at_ms = *ends;
  Result<std::string> by = StringField(doc, "createdBy", "");
  if (!by.ok()) return by.status();
  Result<std::string> comment = StringField(doc, "comment", "");
  if (!comment.ok()) return comment.status();
  s.created_by = std::move(*by);
  s.comment = std::move(*comment);
  if (Status v = ValidateSilence(s); !v.ok()) return v;
  return s;
}

std::string RenderSilenceJson(const Silence& s, TimestampMs now_ms) {
  const json out = {{"id", s.id},
                    {"status", {{"state", SilenceStateName(s.StateAt(now_ms))}}},
                    {"updatedAt", FormatRfc3339Ms(s.updated_at_ms)},
                    {"matchers", MatchersJson(s.matchers)},
                    {"startsAt", FormatRfc3339Ms(s.starts_at_ms)},
                    {"endsAt", FormatRfc3339Ms(s.ends_at_ms)},
                    {"createdBy", s.created_by},
                    {"comment", s.comment}};
  return out.dump(-1, ' ', false, json::error_handler_t::replace);
}

std::string RenderMatchersJson(const std::vector<SilenceMatcher>& matchers) {
  return MatchersJson(matchers).dump(-1, ' ', false, json::error_handler_t::replace);
}

Result<std::vector<SilenceMatcher>> ParseMatchersJson(std::string_view text) {
  const json doc = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded()) return FieldError("matchers", "not valid JSON");
  return ParseMatchers(doc);
}

std::string NewSilenceId() {
  static thread_local std::mt19937_64 rng{std::random_device{}()};
  const uint64_t hi = (rng() & 0xFFFFFFFFFFFF0FFFull) | 0x4000;                 // version 4
  const uint64_t lo = (rng() & 0x3FFFFFFFFFFFFFFFull) | 0x8000000000000000ull;  // variant 1
  char buf[40];
  std::snprintf(buf, sizeof(buf), "%08x-%04x-%04x-%04x-%012llx", static_cast<unsigned>(hi >> 32),
                static_cast<unsigned>(hi >> 16 & 0xFFFF), static_cast<unsigned>(hi & 0xFFFF),
                static_cast<unsigned>(lo >> 48),
                static_cast<unsigned long long>(lo & 0xFFFFFFFFFFFFull));
  return buf;
}

std::string FormatRfc3339Ms(TimestampMs t_ms) {
  const int64_t day_ms = 86'400'000;
  int64_t days = t_ms / day_ms;
  int64_t rem = t_ms % day_ms;
  if (rem < 0) rem += day_ms, --days;
  int64_t y = 0;
  unsigned m = 0, d = 0;
  CivilFromDays(days, &y, &m, &d);
  char buf[48];
  std::snprintf(buf, sizeof(buf), "%04lld-%02u-%02uT%02d:%02d:%02d.%03dZ",
                static_cast<long long>(y), m, d, static_cast<int>(rem / 3'600'000),
                static_cast<int>(rem / 60'000 % 60), static_cast<int>(rem / 1000 % 60),
                static_cast<int>(rem % 1000));
  return buf;
}

}  // namespace perfwatch
