#include "tune/tunable.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <nlohmann/json.hpp>
#include <string>

#include "net/http_client.h"

namespace perfwatch {
namespace {

using nlohmann::json;

constexpr size_t kMaxAppLength = 64;
constexpr size_t kMaxNameLength = 128;
constexpr size_t kMaxHookLength = 64;
constexpr size_t kMaxHooks = 16;
constexpr size_t kMaxAllowed = 256;
constexpr size_t kMaxUnitLength = 32;
constexpr size_t kMaxDescriptionLength = 1024;

bool IsWhole(double v) { return std::isfinite(v) && v == std::trunc(v); }

// Values in messages: "200", "0.5", enough digits to tell two apart.
std::string Num(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.15g", v);
  return buf;
}

Status FieldError(std::string_view field, std::string_view what) {
  return Status::InvalidArgument(std::string(field) + ": " + std::string(what));
}

Status CheckIdentifier(std::string_view field, std::string_view value, size_t max_length) {
  if (value.empty()) return FieldError(field, "required");
  if (value.size() > max_length) {
    return FieldError(field, "longer than " + std::to_string(max_length) + " characters");
  }
  for (char c : value) {
    const bool ok = std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.' || c == '-';
    if (!ok) {
      return FieldError(
          field, "\"" + std::string(value) + "\" may only hold letters, digits, '_', '.' and '-'");
    }
  }
  return Status::Ok();
}

Status CheckText(std::string_view field, std::string_view value, size_t max_length) {
  if (value.size() > max_length) {
    return FieldError(field, "longer than " + std::to_string(max_length) + " bytes");
  }
  for (char c : value) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
      return FieldError(field, "holds a control character");
    }
  }
  return Status::Ok();
}

Status CheckBoolSpec(const TunableSpec& spec) {
  if (spec.value != 0 && spec.value != 1) {
    return Status::InvalidArgument("value (" + Num(spec.value) +
                                   ") of a bool tunable must be 0 or 1");
  }
  if (spec.min || spec.max || spec.step != 0 || !spec.allowed.empty()) {
    return Status::InvalidArgument("min, max, step and allowed do not apply to a bool tunable");
  }
  return Status::Ok();
}

Status CheckBounds(const TunableSpec& spec) {
  if (spec.min && !std::isfinite(*spec.min)) return FieldError("min", "must be a finite number");
  if (spec.max && !std::isfinite(*spec.max)) return FieldError("max", "must be a finite number");
  if (spec.min && spec.max && *spec.min > *spec.max) {
    return Status::InvalidArgument("min (" + Num(*spec.min) + ") is above max (" + Num(*spec.max) +
                                   ")");
  }
  if (spec.min && spec.value < *spec.min) {
    return Status::InvalidArgument("value (" + Num(spec.value) + ") is below min (" +
                                   Num(*spec.min) + ")");
  }
  if (spec.max && spec.value > *spec.max) {
    return Status::InvalidArgument("value (" + Num(spec.value) + ") is above max (" +
                                   Num(*spec.max) + ")");
  }
  return Status::Ok();
}

Status CheckAllowed(const TunableSpec& spec) {
  if (spec.allowed.empty()) return Status::Ok();
  if (spec.step != 0) return Status::InvalidArgument("step and allowed cannot both be given");
  if (spec.allowed.size() > kMaxAllowed) {
    return FieldError("allowed", "more than " + std::to_string(kMaxAllowed) + " values");
  }
  for (size_t i = 0; i < spec.allowed.size(); ++i) {
    const double a = spec.allowed[i];
    const std::string field = "allowed[" + std::to_string(i) + "]";
    if (!std::isfinite(a)) return FieldError(field, "must be a finite number");
    if (i > 0 && a <= spec.allowed[i - 1]) return FieldError(field, "values must be ascending");
    if ((spec.min && a < *spec.min) || (spec.max && a > *spec.max)) {
      return Status::InvalidArgument(field + " (" + Num(a) + ") is outside min/max");
    }
  }
  if (std::find(spec.allowed.begin(), spec.allowed.end(), spec.value) == spec.allowed.end()) {
    return Status::InvalidArgument("value (" + Num(spec.value) + ") is not among allowed");
  }
  return Status::Ok();
}

Status CheckNumberSpec(const TunableSpec& spec) {
  if (Status s = CheckBounds(spec); !s.ok()) return s;
  if (!std::isfinite(spec.step) || spec.step < 0) {
    return Status::InvalidArgument("step (" + Num(spec.step) + ") must be a finite number >= 0");
  }
  return CheckAllowed(spec);
}

Status CheckHooks(const std::vector<std::string>& hooks) {
  if (hooks.size() > kMaxHooks) {
    return FieldError("hooks", "more than " + std::to_string(kMaxHooks) + " hooks");
  }
  for (size_t i = 0; i < hooks.size(); ++i) {
    const std::string field = "hooks[" + std::to_string(i) + "]";
    if (Status s = CheckIdentifier(field, hooks[i], kMaxHookLength); !s.ok()) return s;
    if (std::find(hooks.begin(), hooks.begin() + i, hooks[i]) != hooks.begin() + i) {
      return FieldError(field, "\"" + hooks[i] + "\" is listed twice");
    }
  }
  return Status::Ok();
}

// Reading one object: each helper names the field it reads, `where` is the
// "[2]." prefix of an array element.
class ObjectReader {
 public:
  ObjectReader(const json& obj, std::string where) : obj_(obj), where_(std::move(where)) {}

  Status Error(std::string_view field, std::string_view what) const {
    return Status::InvalidArgument(where_ + std::string(field) + ": " + std::string(what));
  }
  const json* Find(const char* key) const {
    auto it = obj_.find(key);
    return it == obj_.end() || it->is_null() ? nullptr : &*it;
  }
  Status String(const char* key, std::string* out) const {
    const json* v = Find(key);
    if (v == nullptr) return Status::Ok();
    if (!v->is_string()) return Error(key, "expected a string");
    *out = v->get<std::string>();
    return Status::Ok();
  }
  Status Number(const char* key, std::optional<double>* out) const {
    const json* v = Find(key);
    if (v == nullptr) return Status::Ok();
    if (!v->is_number()) return Error(key, "expected a number");
    *out = v->get<double>();
    return Status::Ok();
  }
  Status Numbers(const char* key, std::vector<double>* out) const;
  Status Strings(const char* key, std::vector<std::string>* out) const;

 private:
  const json& obj_;
  std::string where_;
};

Status ObjectReader::Numbers(const char* key, std::vector<double>* out) const {
  const json* v = Find(key);
  if (v == nullptr) return Status::Ok();
  if (!v->is_array()) return Error(key, "expected an array of numbers");
  for (size_t i = 0; i < v->size(); ++i) {
    if (!(*v)[i].is_number())
      return Error(std::string(key) + "[" + std::to_string(i) + "]", "expected a number");
    out->push_back((*v)[i].get<double>());
  }
  return Status::Ok();
}

Status ObjectReader::Strings(const char* key, std::vector<std::string>* out) const {
  const json* v = Find(key);
  if (v == nullptr) return Status::Ok();
  if (!v->is_array()) return Error(key, "expected an array of strings");
  for (size_t i = 0; i < v->size(); ++i) {
    if (!(*v)[i].is_string())
      return Error(std::string(key) + "[" + std::to_string(i) + "]", "expected a string");
    out->push_back((*v)[i].get<std::string>());
  }
  return Status::Ok();
}

constexpr const char* kKeys[] = {"app",  "name",    "kind", "value",       "min",     "max",
                                 "step", "allowed", "unit", "description", "webhook", "hooks"};

Status ReadKind(const ObjectReader& r, TunableSpec* spec) {
  const json* value = r.Find("value");
  if (value == nullptr) return r.Error("value", "required");
  std::string kind;
  if (Status s = r.String("kind", &kind); !s.ok()) return s;
  if (!kind.empty() && kind != "number" && kind != "bool") {
    return r.Error("kind", "expected \"number\" or \"bool\"");
  }
  if (value->is_boolean()) {
    if (kind == "number") return r.Error("value", "expected a number for kind \"number\"");
    spec->kind = TunableSpec::Kind::kBool;
    spec->value = value->get<bool>() ? 1 : 0;
    return Status::Ok();
  }
  if (!value->is_number()) return r.Error("value", "expected a number or true/false");
  spec->kind = kind == "bool" ? TunableSpec::Kind::kBool : TunableSpec::Kind::kNumber;
  spec->value = value->get<double>();
  return Status::Ok();
}

Status ReadFields(const ObjectReader& r, TunableSpec* spec) {
  std::optional<double> step;
  for (Status s : {r.String("app", &spec->app), r.String("name", &spec->name), ReadKind(r, spec),
                   r.Number("min", &spec->min), r.Number("max", &spec->max),
                   r.Number("step", &step), r.Numbers("allowed", &spec->allowed),
                   r.String("unit", &spec->unit), r.String("description", &spec->description),
                   r.String("webhook", &spec->webhook), r.Strings("hooks", &spec->hooks)}) {
    if (!s.ok()) return s;
  }
  spec->step = step.value_or(0);
  // Clients may list allowed values in any order; the spec keeps them ascending.
  std::sort(spec->allowed.begin(), spec->allowed.end());
  spec->allowed.erase(std::unique(spec->allowed.begin(), spec->allowed.end()), spec->allowed.end());
  return Status::Ok();
}

Result<TunableSpec> ParseObject(const json& obj, const std::string& where) {
  if (!obj.is_object()) {
    return Status::InvalidArgument(where.empty() ? "expected a JSON object"
                                                 : where.substr(0, where.size() - 1) +
                                                       ": expected a JSON object");
  }
  for (auto it = obj.begin(); it != obj.end(); ++it) {
    if (std::find(std::begin(kKeys), std::end(kKeys), it.key()) == std::end(kKeys)) {
      return Status::InvalidArgument(where + it.key() + ": unknown field");
    }
  }
  ObjectReader reader(obj, where);
  TunableSpec spec;
  if (Status s = ReadFields(reader, &spec); !s.ok()) return s;
  if (Status s = ValidateTunableSpec(spec); !s.ok()) {
    return Status::InvalidArgument(where + s.message());
  }
  return spec;
}

Result<json> ParseDocument(std::string_view body) {
  try {
    return json::parse(body);
  } catch (const json::parse_error& e) {
    return Status::InvalidArgument("not valid JSON (at byte " + std::to_string(e.byte) + ")");
  }
}

// Drops the noise of binary floating point (0.1 * 3 = 0.30000000000000004)
// from a value snapped to a step: 12 significant digits are far more than
// any knob needs.
double Tidy(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.12g", v);
  return std::strtod(buf, nullptr);
}

double Clamp(const TunableSpec& spec, double v) {
  if (spec.min) v = std::max(v, *spec.min);
  if (spec.max) v = std::min(v, *spec.max);
  return v;
}

// The allowed value nearest `v` within [min, max]; a tie goes the way the
// change was heading, so a step from between two values still moves.
std::optional<double> NearestAllowed(const TunableSpec& spec, double v) {
  std::optional<double> best;
  for (double a : spec.allowed) {
    if ((spec.min && a < *spec.min) || (spec.max && a > *spec.max) || !std::isfinite(a)) continue;
    if (!best) {
      best = a;
      continue;
    }
    const double d = std::abs(a - v), d_best = std::abs(*best - v);
    const bool tie_towards_change = d == d_best && (v > spec.value ? a > *best : a < *best);
    if (d < d_best || tie_towards_change) best = a;
  }
  return best;
}

double SnapToStep(const TunableSpec& spec, double v) {
  const double base = spec.min.value_or(0);
  double k = std::round((v - base) / spec.step);
  double snapped = Tidy(base + k * spec.step);
  if (spec.max && snapped > *spec.max)
    snapped = Tidy(base + std::floor((*spec.max - base) / spec.step) * spec.step);
  if (spec.min && snapped < *spec.min) snapped = *spec.min;
  return snapped;
}

}  // namespace

bool TunableSpec::integer() const {
  if (kind != Kind::kNumber) return false;
  if (!IsWhole(value) || !IsWhole(step)) return false;
  if ((min && !IsWhole(*min)) || (max && !IsWhole(*max))) return false;
  return std::all_of(allowed.begin(), allowed.end(), IsWhole);
}

Status ValidateTunableSpec(const TunableSpec& spec) {
  if (Status s = CheckIdentifier("app", spec.app, kMaxAppLength); !s.ok()) return s;
  if (Status s = CheckIdentifier("name", spec.name, kMaxNameLength); !s.ok()) return s;
  if (!std::isfinite(spec.value)) return FieldError("value", "must be a finite number");
  Status s = spec.kind == TunableSpec::Kind::kBool ? CheckBoolSpec(spec) : CheckNumberSpec(spec);
  if (!s.ok()) return s;
  if (s = CheckText("unit", spec.unit, kMaxUnitLength); !s.ok()) return s;
  if (s = CheckText("description", spec.description, kMaxDescriptionLength); !s.ok()) return s;
  if (!spec.webhook.empty()) {
    Result<HttpUrl> url = ParseHttpUrl(spec.webhook);
    if (!url.ok()) return FieldError("webhook", url.status().message());
  }
  return CheckHooks(spec.hooks);
}

Result<TunableSpec> ParseTunableJson(std::string_view body) {
  Result<json> doc = ParseDocument(body);
  if (!doc.ok()) return doc.status();
  return ParseObject(*doc, "");
}

Result<std::vector<TunableSpec>> ParseTunablesJson(std::string_view body) {
  Result<json> doc = ParseDocument(body);
  if (!doc.ok()) return doc.status();
  if (doc->is_object()) {
    Result<TunableSpec> one = ParseObject(*doc, "");
    if (!one.ok()) return one.status();
    return std::vector<TunableSpec>{std::move(*one)};
  }
  if (!doc->is_array()) return Status::InvalidArgument("expected a JSON object or array");
  if (doc->empty()) return Status::InvalidArgument("expected at least one tunable");
  if (doc->size() > kMaxTunables) {
    return Status::InvalidArgument("more than " + std::to_string(kMaxTunables) + " tunables");
  }
  std::vector<TunableSpec> out;
  for (size_t i = 0; i < doc->size(); ++i) {
    Result<TunableSpec> spec = ParseObject((*doc)[i], "[" + std::to_string(i) + "].");
    if (!spec.ok()) return spec.status();
    out.push_back(std::move(*spec));
  }
  return out;
}

double ConformValue(const TunableSpec& spec, double proposed) {
  if (std::isnan(proposed)) proposed = spec.value;
  if (spec.kind == TunableSpec::Kind::kBool) return proposed >= 0.5 ? 1 : 0;
  // Infinity has no step or integer to snap to; the largest finite value does.
  proposed = std::clamp(proposed, std::numeric_limits<double>::lowest(),
                        std::numeric_limits<double>::max());
  double v = Clamp(spec, proposed);
  if (!spec.allowed.empty()) {
    if (std::optional<double> a = NearestAllowed(spec, v)) v = *a;
  } else if (spec.step > 0 && std::isfinite(spec.step)) {
    v = SnapToStep(spec, v);
  }
  if (spec.integer()) {
    v = std::round(v);
    if (spec.max && v > *spec.max) v = std::floor(*spec.max);
    if (spec.min && v < *spec.min) v = std::ceil(*spec.min);
  }
  return Clamp(spec, v);
}

std::string FormatTunableValue(const TunableSpec& spec, double value) {
  if (spec.kind == TunableSpec::Kind::kBool) return value >= 0.5 ? "true" : "false";
  if (IsWhole(value) && std::abs(value) < 1e15) {
    return std::to_string(static_cast<int64_t>(value));
  }
  return Num(value);
}

}  // namespace perfwatch
