#include "config/tuning_config.h"

#include <charconv>
#include <cmath>
#include <map>
#include <optional>
#include <set>
#include <string>

#include "model/duration.h"
#include "net/http_client.h"
#include "query/query.h"

namespace perfwatch {
namespace {

constexpr std::string_view kRuleKeys =
    "name, expr, for, action, actions, cooldown, max_actions_per_hour, rollback, window, "
    "metric, worse, enabled";
constexpr std::string_view kActionKinds = "scale, set, toggle, exec, webhook, hook";
constexpr int kMaxActionsPerHour = 3600;

std::string At(std::string_view source, const YAML::Mark& mark, std::string_view what) {
  std::string out(source);
  if (!out.empty()) out += ": ";
  out += what;
  if (mark.line >= 0) out += " (line " + std::to_string(mark.line + 1) + ")";
  return out;
}

std::string FormatNumber(double d) {
  char buf[32];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, d);
  return std::string(buf, end);
}

// The whole text as a finite number.
std::optional<double> ParseNumber(std::string_view text) {
  double d = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), d);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size() || !std::isfinite(d)) {
    return std::nullopt;
  }
  return d;
}

// Application, tunable and hook names as tune/tunable.h allows them.
bool IsName(std::string_view s, size_t max) {
  if (s.empty() || s.size() > max) return false;
  for (char c : s) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '.' && c != '-') {
      return false;
    }
  }
  return true;
}

Status CheckTunableRef(std::string_view ref) {
  const Status bad =
      Status::InvalidArgument("expected NAME, APP/NAME or */NAME (letters, digits, _ . -), got \"" +
                              std::string(ref) + "\"");
  size_t slash = ref.find('/');
  if (slash == std::string_view::npos) return IsName(ref, 128) ? Status::Ok() : bad;
  std::string_view app = ref.substr(0, slash), name = ref.substr(slash + 1);
  if ((app != "*" && !IsName(app, 64)) || !IsName(name, 128)) return bad;
  return Status::Ok();
}

// "0.7" multiplies; "-30%" and "+50%" are 0.7 and 1.5.
Result<double> ParseFactor(const std::string& text) {
  const Status bad = Status::InvalidArgument(
      "expected a positive factor or a percentage like \"-30%\", got \"" + text + "\"");
  double factor = 0;
  if (text.ends_with('%')) {
    if (text.size() < 3 || (text[0] != '-' && text[0] != '+')) return bad;
    std::optional<double> percent = ParseNumber(std::string_view(text).substr(1, text.size() - 2));
    if (!percent) return bad;
    factor = 1 + (text[0] == '-' ? -*percent : *percent) / 100;
  } else {
    std::optional<double> n = ParseNumber(text);
    if (!n) return bad;
    factor = *n;
  }
  if (factor <= 0) return bad;
  if (factor == 1) return Status::InvalidArgument("\"" + text + "\" changes nothing");
  return factor;
}

// A number, or true/false for a bool tunable (1 and 0).
Status ParseSetValue(const YAML::Node& value, TuningAction& a) {
  if (value.IsScalar()) {
    if (std::optional<double> n = ParseNumber(value.Scalar())) {
      a.value = *n;
      return Status::Ok();
    }
    bool b = false;
    if (YAML::convert<bool>::decode(value, b)) {
      a.value = b ? 1 : 0;
      a.value_is_bool = true;
      return Status::Ok();
    }
  }
  std::string got = value.IsScalar() ? ", got \"" + value.Scalar() + "\"" : "";
  return Status::InvalidArgument("expected a number, true or false" + got);
}

Result<bool> ParseBool(const YAML::Node& value) {
  bool b = false;
  if (!value.IsScalar() || !YAML::convert<bool>::decode(value, b)) {
    return Status::InvalidArgument("expected true or false");
  }
  return b;
}

Result<int64_t> ParseDurationAtLeast(const YAML::Node& value, int64_t min_ms) {
  if (!value.IsScalar()) return Status::InvalidArgument("expected a duration such as 30s");
  Result<int64_t> ms = ParseDuration(value.Scalar());
  if (!ms.ok()) return ms.status();
  if (*ms < min_ms) {
    return Status::InvalidArgument(min_ms == 0 ? "must not be negative"
                                               : "must be at least " + FormatDuration(min_ms));
  }
  return *ms;
}

Result<std::vector<std::string>> ParseArgv(const YAML::Node& value) {
  if (!value.IsSequence()) {
    return Status::InvalidArgument(
        "expected a list (argv), e.g. [/usr/local/bin/purge, --all]; a command is never run "
        "through a shell");
  }
  std::vector<std::string> argv;
  for (const YAML::Node& arg : value) {
    if (!arg.IsScalar()) return Status::InvalidArgument("argv items must be strings");
    argv.push_back(arg.Scalar());
  }
  if (argv.empty()) return Status::InvalidArgument("expected a non-empty list (argv)");
  if (argv[0].empty()) return Status::InvalidArgument("argv[0] (the program) must not be empty");
  return argv;
}

// The keys of one rule and of its actions, with where they were written.
class TuningRuleParser {
 public:
  TuningRuleParser(std::string_view source, std::string_view path) : source_(source), path_(path) {}

  Result<std::vector<TuningRuleSpec>> ParseList(const YAML::Node& node);

 private:
  Status Fail(const YAML::Mark& mark, const std::string& what, std::string_view why) const {
    return Status::InvalidArgument(At(source_, mark, what) + ": " + std::string(why));
  }
  Result<TuningRuleSpec> ParseRule(const YAML::Node& node, const std::string& path);
  Status ApplyRuleKey(const std::string& key, const YAML::Node& value, TuningRuleSpec& r);
  Result<TuningAction> ParseAction(const YAML::Node& node, const std::string& path);
  Status ApplyActionKey(const std::string& key, const YAML::Node& value, TuningAction& a);
  Status CheckExpr(const YAML::Node& value, const std::string& what) const;

  std::string source_;
  std::string path_;
  std::map<std::string, std::string> names_;  // rule name -> "SOURCE:LINE"
};

Result<std::vector<TuningRuleSpec>> TuningRuleParser::ParseList(const YAML::Node& node) {
  std::vector<TuningRuleSpec> rules;
  if (node.IsNull()) return rules;
  if (!node.IsSequence()) return Fail(node.Mark(), path_, "expected a list of tuning rules");
  for (size_t i = 0; i < node.size(); ++i) {
    Result<TuningRuleSpec> rule = ParseRule(node[i], path_ + "[" + std::to_string(i) + "]");
    if (!rule.ok()) return rule.status();
    rules.push_back(std::move(*rule));
  }
  return rules;
}

Result<TuningRuleSpec> TuningRuleParser::ParseRule(const YAML::Node& node,
                                                   const std::string& path) {
  if (!node.IsMap()) {
    return Fail(node.Mark(), path, "expected a rule (a mapping with name, expr and action)");
  }
  TuningRuleSpec r;
  r.source = source_ + ":" + std::to_string(node.Mark().line + 1);
  std::set<std::string> seen;
  std::optional<YAML::Mark> name_at;
  for (const auto& kv : node) {
    if (!kv.first.IsScalar()) return Fail(kv.first.Mark(), path, "expected a string key");
    const std::string key = kv.first.Scalar();
    const std::string what = path + "." + key;
    if (!seen.insert(key).second) return Fail(kv.first.Mark(), what, "given twice");
    if (key == "action" || key == "actions") {
      if (seen.count(key == "action" ? "actions" : "action")) {
        return Fail(kv.first.Mark(), what, "action and actions both given; use one");
      }
      if (key == "action") {
        Result<TuningAction> a = ParseAction(kv.second, what);
        if (!a.ok()) return a.status();
        r.actions.push_back(std::move(*a));
        continue;
      }
      if (!kv.second.IsSequence() || kv.second.size() == 0) {
        return Fail(kv.first.Mark(), what, "expected a non-empty list of actions");
      }
      for (size_t i = 0; i < kv.second.size(); ++i) {
        Result<TuningAction> a = ParseAction(kv.second[i], what + "[" + std::to_string(i) + "]");
        if (!a.ok()) return a.status();
        r.actions.push_back(std::move(*a));
      }
      continue;
    }
    if (key == "expr" || key == "metric") {
      if (Status st = CheckExpr(kv.second, what); !st.ok()) return st;
    }
    if (key == "name") name_at = kv.second.Mark();
    Status st;
    try {
      st = ApplyRuleKey(key, kv.second, r);
    } catch (const YAML::Exception& e) {
      st = Status::InvalidArgument(e.msg);
    }
    if (!st.ok()) return Fail(kv.first.Mark(), what, st.message());
  }
  if (r.name.empty()) return Fail(node.Mark(), path, "missing name");
  // A disabled rule may be just a name: it switches a built-in off.
  if (r.enabled && r.expr.empty()) return Fail(node.Mark(), path, "missing expr");
  if (r.enabled && r.actions.empty()) {
    return Fail(node.Mark(), path, "missing action (or actions: a list)");
  }
  auto [it, added] = names_.emplace(r.name, r.source);
  if (!added) {
    return Fail(*name_at, path + ".name",
                "duplicate rule name \"" + r.name + "\" (first defined at " + it->second + ")");
  }
  return r;
}

// ParseExpr's message already says the column within the expression.
Status TuningRuleParser::CheckExpr(const YAML::Node& value, const std::string& what) const {
  if (!value.IsScalar()) return Fail(value.Mark(), what, "expected an expression");
  if (value.Scalar().empty()) return Status::Ok();  // reported as missing later
  Result<ParsedExpr> parsed = ParseExpr(value.Scalar());
  if (!parsed.ok()) return Fail(value.Mark(), what, parsed.status().message());
  return Status::Ok();
}

Status TuningRuleParser::ApplyRuleKey(const std::string& key, const YAML::Node& value,
                                      TuningRuleSpec& r) {
  auto scalar = [&]() -> Result<std::string> {
    if (!value.IsScalar()) return Status::InvalidArgument("expected a single value");
    return value.Scalar();
  };
  if (key == "name" || key == "expr" || key == "metric") {
    Result<std::string> text = scalar();
    if (!text.ok()) return text.status();
    if (key == "name" && text->empty()) return Status::InvalidArgument("must not be empty");
    (key == "name" ? r.name : key == "expr" ? r.expr : r.metric) = *text;
    return Status::Ok();
  }
  if (key == "for" || key == "cooldown" || key == "window") {
    Result<int64_t> ms = ParseDurationAtLeast(value, key == "window" ? 1 : 0);
    if (!ms.ok()) return ms.status();
    if (key == "for") r.for_ms = *ms;
    if (key == "cooldown") r.cooldown_ms = *ms;
    if (key == "window") r.window_ms = *ms;
    return Status::Ok();
  }
  if (key == "max_actions_per_hour") {
    Result<std::string> text = scalar();
    if (!text.ok()) return text.status();
    int n = 0;
    auto [end, ec] = std::from_chars(text->data(), text->data() + text->size(), n);
    if (text->empty() || ec != std::errc() || end != text->data() + text->size() || n < 1 ||
        n > kMaxActionsPerHour) {
      return Status::InvalidArgument("expected a whole number from 1 to " +
                                     std::to_string(kMaxActionsPerHour) + ", got \"" + *text +
                                     "\"");
    }
    r.max_actions_per_hour = n;
    return Status::Ok();
  }
  if (key == "rollback" || key == "enabled") {
    Result<bool> b = ParseBool(value);
    if (!b.ok()) return b.status();
    if (key == "rollback") r.rollback = *b;
    if (key == "enabled") r.enabled = *b;
    return Status::Ok();
  }
  if (key == "worse") {
    Result<std::string> text = scalar();
    if (!text.ok()) return text.status();
    if (*text != "higher" && *text != "lower") {
      return Status::InvalidArgument("expected higher or lower, got \"" + *text + "\"");
    }
    r.worse_direction = *text == "higher" ? 1 : -1;
    return Status::Ok();
  }
  return Status::InvalidArgument("unknown key (expected " + std::string(kRuleKeys) + ")");
}

bool IsKind(std::string_view key) {
  return key == "scale" || key == "set" || key == "toggle" || key == "exec" || key == "webhook" ||
         key == "hook";
}

Result<TuningAction> TuningRuleParser::ParseAction(const YAML::Node& node,
                                                   const std::string& path) {
  if (!node.IsMap()) {
    return Fail(node.Mark(), path,
                "expected a mapping such as {tunable: shop/cache.size, scale: 0.7}");
  }
  TuningAction a;
  std::optional<std::string> kind;
  std::optional<YAML::Mark> tunable_at, app_at;
  std::set<std::string> seen;
  for (const auto& kv : node) {
    if (!kv.first.IsScalar()) return Fail(kv.first.Mark(), path, "expected a string key");
    const std::string key = kv.first.Scalar();
    const std::string what = path + "." + key;
    if (!seen.insert(key).second) return Fail(kv.first.Mark(), what, "given twice");
    if (IsKind(key)) {
      if (kind) {
        return Fail(kv.first.Mark(), what,
                    *kind + " and " + key + " both given; an action does one thing (write two " +
                        "actions)");
      }
      kind = key;
    }
    if (key == "tunable") tunable_at = kv.first.Mark();
    if (key == "app") app_at = kv.first.Mark();
    Status st;
    try {
      st = ApplyActionKey(key, kv.second, a);
    } catch (const YAML::Exception& e) {
      st = Status::InvalidArgument(e.msg);
    }
    if (!st.ok()) return Fail(kv.first.Mark(), what, st.message());
  }
  if (!kind) return Fail(node.Mark(), path, "expected one of " + std::string(kActionKinds));
  const bool on_tunable = *kind == "scale" || *kind == "set" || *kind == "toggle";
  if (on_tunable && !tunable_at) return Fail(node.Mark(), path, *kind + " needs tunable");
  if (!on_tunable && tunable_at) {
    return Fail(*tunable_at, path + ".tunable", "goes with scale, set or toggle, not " + *kind);
  }
  if (app_at && *kind != "hook") {
    return Fail(*app_at, path + ".app",
                "goes with hook only; write the tunable as APP/NAME (shop/cache.size)");
  }
  return a;
}

Status TuningRuleParser::ApplyActionKey(const std::string& key, const YAML::Node& value,
                                        TuningAction& a) {
  if (key == "exec") {
    Result<std::vector<std::string>> argv = ParseArgv(value);
    if (!argv.ok()) return argv.status();
    a.kind = TuningAction::Kind::kExec;
    a.argv = std::move(*argv);
    return Status::Ok();
  }
  if (key == "set") {
    a.kind = TuningAction::Kind::kSet;
    return ParseSetValue(value, a);
  }
  if (key == "timeout") {
    Result<int64_t> ms = ParseDurationAtLeast(value, 1);
    if (!ms.ok()) return ms.status();
    a.timeout_ms = *ms;
    return Status::Ok();
  }
  if (!value.IsScalar()) return Status::InvalidArgument("expected a single value");
  const std::string& text = value.Scalar();
  if (key == "tunable") {
    if (Status st = CheckTunableRef(text); !st.ok()) return st;
    a.tunable = text;
    return Status::Ok();
  }
  if (key == "scale") {
    Result<double> factor = ParseFactor(text);
    if (!factor.ok()) return factor.status();
    a.kind = TuningAction::Kind::kScale;
    a.factor = *factor;
    return Status::Ok();
  }
  if (key == "toggle") {
    bool b = false;
    if (!YAML::convert<bool>::decode(value, b) || !b) {
      return Status::InvalidArgument("expected true (toggle: true flips a bool tunable)");
    }
    a.kind = TuningAction::Kind::kToggle;
    return Status::Ok();
  }
  if (key == "webhook") {
    if (Result<HttpUrl> url = ParseHttpUrl(text); !url.ok()) return url.status();
    a.kind = TuningAction::Kind::kWebhook;
    a.url = text;
    return Status::Ok();
  }
  if (key == "hook" || key == "app") {
    if (!IsName(text, 64)) {
      return Status::InvalidArgument("expected a name of letters, digits, _ . - (at most 64), " +
                                     std::string("got \"") + text + "\"");
    }
    if (key == "hook") a.kind = TuningAction::Kind::kHook, a.hook = text;
    if (key == "app") a.app = text;
    return Status::Ok();
  }
  return Status::InvalidArgument("unknown key (expected tunable, " + std::string(kActionKinds) +
                                 ", app, timeout)");
}

std::string Who(const TuningRuleSpec& r) {
  return "tuning rule \"" + r.name + "\"" + (r.source.empty() ? "" : " (" + r.source + ")");
}

Status ValidateRule(const TuningRuleSpec& r, const TuningConfig& t) {
  auto fail = [&](const std::string& why) { return Status::InvalidArgument(Who(r) + ": " + why); };
  if (r.for_ms < 0) return fail("for must not be negative");
  if (r.cooldown_ms && *r.cooldown_ms < 0) return fail("cooldown must not be negative");
  if (r.max_actions_per_hour && *r.max_actions_per_hour < 1) {
    return fail("max_actions_per_hour must be at least 1");
  }
  if (r.window_ms && *r.window_ms < t.interval_ms) {
    return fail("window " + FormatDuration(*r.window_ms) + " is shorter than tuning.interval (" +
                FormatDuration(t.interval_ms) + ")");
  }
  for (const TuningAction& a : r.actions) {
    if (a.timeout_ms <= 0) return fail("an action's timeout must be positive");
    if (a.kind == TuningAction::Kind::kScale && !(a.factor > 0 && std::isfinite(a.factor))) {
      return fail("scale must be a positive factor");
    }
  }
  return Status::Ok();
}

void EmitAction(YAML::Emitter& out, const TuningAction& a) {
  out << YAML::Flow << YAML::BeginMap;
  switch (a.kind) {
    case TuningAction::Kind::kScale:
      out << YAML::Key << "tunable" << YAML::Value << a.tunable;
      out << YAML::Key << "scale" << YAML::Value << FormatNumber(a.factor);
      break;
    case TuningAction::Kind::kSet:
      out << YAML::Key << "tunable" << YAML::Value << a.tunable;
      out << YAML::Key << "set" << YAML::Value;
      if (a.value_is_bool) {
        out << (a.value != 0);
      } else {
        out << FormatNumber(a.value);
      }
      break;
    case TuningAction::Kind::kToggle:
      out << YAML::Key << "tunable" << YAML::Value << a.tunable;
      out << YAML::Key << "toggle" << YAML::Value << true;
      break;
    case TuningAction::Kind::kExec:
      out << YAML::Key << "exec" << YAML::Value << YAML::Flow << a.argv;
      break;
    case TuningAction::Kind::kWebhook:
      out << YAML::Key << "webhook" << YAML::Value << a.url;
      break;
    case TuningAction::Kind::kHook:
      out << YAML::Key << "hook" << YAML::Value << a.hook;
      if (!a.app.empty()) out << YAML::Key << "app" << YAML::Value << a.app;
      break;
  }
  if (a.timeout_ms != TuningAction().timeout_ms) {
    out << YAML::Key << "timeout" << YAML::Value << FormatDuration(a.timeout_ms);
  }
  out << YAML::EndMap;
}

void EmitRule(YAML::Emitter& out, const TuningRuleSpec& r) {
  out << YAML::BeginMap;
  out << YAML::Key << "name" << YAML::Value << r.name;
  if (!r.expr.empty()) out << YAML::Key << "expr" << YAML::Value << r.expr;
  if (r.for_ms) out << YAML::Key << "for" << YAML::Value << FormatDuration(r.for_ms);
  if (!r.actions.empty()) {
    out << YAML::Key << "actions" << YAML::Value << YAML::BeginSeq;
    for (const TuningAction& a : r.actions) EmitAction(out, a);
    out << YAML::EndSeq;
  }
  if (r.cooldown_ms) {
    out << YAML::Key << "cooldown" << YAML::Value << FormatDuration(*r.cooldown_ms);
  }
  if (r.max_actions_per_hour) {
    out << YAML::Key << "max_actions_per_hour" << YAML::Value << *r.max_actions_per_hour;
  }
  if (r.rollback) out << YAML::Key << "rollback" << YAML::Value << *r.rollback;
  if (r.window_ms) out << YAML::Key << "window" << YAML::Value << FormatDuration(*r.window_ms);
  if (!r.metric.empty()) out << YAML::Key << "metric" << YAML::Value << r.metric;
  if (r.worse_direction) {
    out << YAML::Key << "worse" << YAML::Value << (r.worse_direction > 0 ? "higher" : "lower");
  }
  if (!r.enabled) out << YAML::Key << "enabled" << YAML::Value << false;
  out << YAML::EndMap;
}

}  // namespace

Result<std::vector<TuningRuleSpec>> ParseTuningRules(const YAML::Node& node,
                                                     std::string_view source,
                                                     std::string_view path) {
  return TuningRuleParser(source, path).ParseList(node);
}

Status ApplyTuningSection(YAML::Node& root, std::string_view source, Config& config) {
  const YAML::Node& view = root;  // operator[] on a const node adds nothing
  if (!view["tuning"]) return Status::Ok();
  YAML::Node tuning = root["tuning"];
  if (tuning.IsNull()) {
    root.remove("tuning");
    return Status::Ok();
  }
  if (tuning.IsSequence()) {
    Result<std::vector<TuningRuleSpec>> rules = ParseTuningRules(tuning, source, "tuning");
    if (!rules.ok()) return rules.status();
    config.tuning.rules = std::move(*rules);
    root.remove("tuning");
    return Status::Ok();
  }
  if (!tuning.IsMap()) {
    return Status::InvalidArgument(At(source, tuning.Mark(), "tuning") +
                                   ": expected a list of rules or a mapping of settings");
  }
  const YAML::Node& tuning_view = tuning;
  if (!tuning_view["rules"]) return Status::Ok();
  Result<std::vector<TuningRuleSpec>> rules =
      ParseTuningRules(tuning_view["rules"], source, "tuning.rules");
  if (!rules.ok()) return rules.status();
  config.tuning.rules = std::move(*rules);
  tuning.remove("rules");
  if (tuning.size() == 0) root.remove("tuning");
  return Status::Ok();
}

Status ValidateTuning(const TuningConfig& t) {
  auto fail = [](std::string_view key, const std::string& why) {
    return Status::InvalidArgument("tuning." + std::string(key) + ": " + why);
  };
  if (t.interval_ms < 100) {
    return fail("interval", "must be at least 100ms, got " + FormatDuration(t.interval_ms));
  }
  if (t.cooldown_ms < 0) return fail("cooldown", "must not be negative");
  if (t.max_actions_per_hour < 1 || t.max_actions_per_hour > kMaxActionsPerHour) {
    return fail("max_actions_per_hour", "must be 1 to " + std::to_string(kMaxActionsPerHour));
  }
  if (t.emergency_after < 1) return fail("emergency_after", "must be at least 1");
  if (t.window_ms < t.interval_ms) {
    return fail("window", FormatDuration(t.window_ms) + " is shorter than tuning.interval (" +
                              FormatDuration(t.interval_ms) + ")");
  }
  if (!(t.worse_tolerance >= 0 && t.worse_tolerance < 1)) {
    return fail("worse_tolerance",
                "must be at least 0 and below 1, got " + FormatNumber(t.worse_tolerance));
  }
  const std::pair<std::string_view, double> thresholds[] = {
      {"memory_percent", t.memory_percent},
      {"response_time_ms", t.response_time_ms},
      {"cache_hit_rate_percent", t.cache_hit_rate_percent}};
  for (const auto& [key, v] : thresholds) {
    if (!std::isfinite(v) || v < 0) return fail(key, "must be a finite number, at least 0");
  }
  if (t.builtin_for_ms < 0) return fail("for", "must not be negative");
  std::map<std::string, std::string> names;
  for (const TuningRuleSpec& r : t.rules) {
    if (r.name.empty()) return Status::InvalidArgument("tuning rule (" + r.source + "): no name");
    if (auto [it, added] = names.emplace(r.name, r.source); !added) {
      return Status::InvalidArgument(Who(r) + ": duplicate name (first at " + it->second + ")");
    }
    if (Status st = ValidateRule(r, t); !st.ok()) return st;
  }
  return Status::Ok();
}

void EmitTuningRules(const TuningConfig& tuning, YAML::Emitter& out) {
  if (tuning.rules.empty()) return;
  out << YAML::Key << "rules" << YAML::Value << YAML::BeginSeq;
  for (const TuningRuleSpec& r : tuning.rules) EmitRule(out, r);
  out << YAML::EndSeq;
}

}  // namespace perfwatch
