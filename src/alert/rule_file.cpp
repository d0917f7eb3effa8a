#include "alert/rule_file.h"

#include <glob.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <charconv>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <set>
#include <sstream>

#include "alert/yaml_text_position.h"
#include "model/duration.h"
#include "model/labels.h"
#include "query/query.h"

namespace perfwatch {
namespace {

// Past this many, further errors of one file add nothing for the reader.
constexpr size_t kMaxErrors = 50;

constexpr std::string_view kRuleKeys =
    "name (or alert), expr, for, keep_firing_for, keep_firing_while, severity, labels, "
    "annotations, enabled";

// One rule being assembled, with where its values were written so later
// errors (an expression, a duplicate name) can point into the file. Marks,
// not Nodes: a default YAML::Node counts as defined, and assigning to a
// bound one writes through to the document.
struct RuleDraft {
  RuleSpec spec;
  std::optional<YAML::Mark> name_at;
  std::optional<YAML::Mark> expr_at;
  std::optional<YAML::Mark> keep_at;
  std::optional<YAML::Mark> severity_at;  // `severity:` itself, if given
  std::string label_severity;
  YAML::Mark label_severity_at;
};

class RuleParser {
 public:
  // `names` (rule name -> "SOURCE:LINE") spans every file of one load, so
  // a name defined in an earlier file is a duplicate too.
  RuleParser(std::string_view source, std::string_view text,
             std::map<std::string, std::string>& names)
      : source_(source), text_(text), names_(names) {}

  void ParseTop(const YAML::Node& node);
  void AddError(int line, int column, std::string_view message);
  Result<std::vector<RuleSpec>> Finish();

 private:
  void Error(const YAML::Node& node, std::string_view message) { Error(node.Mark(), message); }
  void Error(const YAML::Mark& m, std::string_view message) {
    AddError(m.line + 1, m.column + 1, message);
  }
  bool ExpectScalar(const YAML::Node& node, std::string_view key);
  void ParseGroups(const YAML::Node& node);
  void ParseGroup(const YAML::Node& node, std::set<std::string>& group_names);
  void ParseRuleList(const YAML::Node& node);
  void ParseRule(const YAML::Node& node);
  bool ApplyRuleKey(const std::string& key, const YAML::Node& value, RuleDraft& d);
  void ParseDurationKey(const YAML::Node& value, std::string_view key, int64_t* out);
  void ParsePairs(const YAML::Node& value, std::string_view key,
                  std::vector<std::pair<std::string, std::string>>& out, RuleDraft* d);
  void CheckExpr(const std::string& text, const YAML::Mark& mark, std::string_view key);
  void FinishRule(const YAML::Node& node, RuleDraft& d);

  std::string source_;
  YamlTextPosition text_;
  std::vector<std::string> errors_;
  std::vector<RuleSpec> rules_;
  std::map<std::string, std::string>& names_;
};

void RuleParser::AddError(int line, int column, std::string_view message) {
  if (errors_.size() >= kMaxErrors) return;
  errors_.push_back(source_ + ":" + std::to_string(line) + ":" + std::to_string(column) + ": " +
                    std::string(message));
}

bool RuleParser::ExpectScalar(const YAML::Node& node, std::string_view key) {
  if (node.IsScalar()) return true;
  Error(node, std::string(key) + ": expected a string");
  return false;
}

// A mapping's keys must be scalars and unique (yaml-cpp keeps duplicates
// silently, Prometheus refuses them).
template <typename Fn>
void ForEachKey(const YAML::Node& map, Fn&& fn, RuleParser& parser) {
  std::set<std::string> seen;
  for (const auto& kv : map) {
    const YAML::Mark m = kv.first.Mark();
    if (!kv.first.IsScalar()) {
      parser.AddError(m.line + 1, m.column + 1, "expected a string key");
      continue;
    }
    const std::string& key = kv.first.Scalar();
    if (!seen.insert(key).second) {
      parser.AddError(m.line + 1, m.column + 1, "duplicate key \"" + key + "\"");
      continue;
    }
    fn(key, kv.first, kv.second);
  }
}

void RuleParser::ParseTop(const YAML::Node& node) {
  if (!node || node.IsNull()) return;  // an empty file holds no rules
  if (node.IsSequence()) return ParseRuleList(node);
  if (!node.IsMap()) {
    return Error(node, "expected groups:, rules: or a list of rules");
  }
  ForEachKey(
      node,
      [&](const std::string& key, const YAML::Node& key_node, const YAML::Node& value) {
        if (key == "groups") return ParseGroups(value);
        if (key == "rules") return ParseRuleList(value);
        Error(key_node, "unknown key \"" + key + "\" (expected groups or rules)");
      },
      *this);
}

void RuleParser::ParseGroups(const YAML::Node& node) {
  if (node.IsNull()) return;
  if (!node.IsSequence()) return Error(node, "groups: expected a list of groups");
  std::set<std::string> group_names;
  for (const YAML::Node& group : node) ParseGroup(group, group_names);
}

void RuleParser::ParseGroup(const YAML::Node& node, std::set<std::string>& group_names) {
  if (!node.IsMap()) return Error(node, "expected a group (name, interval, rules)");
  bool named = false;
  ForEachKey(
      node,
      [&](const std::string& key, const YAML::Node& key_node, const YAML::Node& value) {
        if (key == "name") {
          if (!ExpectScalar(value, key)) return;
          named = !value.Scalar().empty();
          if (!named) return Error(value, "group name must not be empty");
          if (!group_names.insert(value.Scalar()).second) {
            Error(value, "duplicate group name \"" + value.Scalar() + "\"");
          }
        } else if (key == "interval") {
          // Rules are evaluated on every collection tick; the interval is
          // checked so a typo is not silently accepted.
          int64_t ms = 0;
          ParseDurationKey(value, key, &ms);
        } else if (key == "rules") {
          ParseRuleList(value);
        } else {
          Error(key_node, "unknown key \"" + key + "\" in group (expected name, interval, rules)");
        }
      },
      *this);
  if (!named && !node["name"]) Error(node, "group has no name");
}

void RuleParser::ParseRuleList(const YAML::Node& node) {
  if (node.IsNull()) return;
  if (!node.IsSequence()) return Error(node, "rules: expected a list of rules");
  for (const YAML::Node& rule : node) ParseRule(rule);
}

void RuleParser::ParseRule(const YAML::Node& node) {
  if (!node.IsMap()) return Error(node, "expected a rule (a mapping with name and expr)");
  RuleDraft d;
  ForEachKey(
      node,
      [&](const std::string& key, const YAML::Node& key_node, const YAML::Node& value) {
        if (key == "record") {
          std::string what = value.IsScalar() ? " (record: " + value.Scalar() + ")" : "";
          return Error(key_node, "recording rules are not supported" + what +
                                     "; perfwatch evaluates alerting rules only");
        }
        if (key == "name" || key == "alert") {
          if (d.name_at) return Error(key_node, "name and alert both given; use one");
          d.name_at = value.Mark();
        }
        if (!ApplyRuleKey(key, value, d)) {
          Error(key_node,
                "unknown key \"" + key + "\" in rule (expected " + std::string(kRuleKeys) + ")");
        }
      },
      *this);
  FinishRule(node, d);
}

// False for a key rules do not have.
bool RuleParser::ApplyRuleKey(const std::string& key, const YAML::Node& value, RuleDraft& d) {
  if (key == "name" || key == "alert") {
    if (ExpectScalar(value, key)) d.spec.name = value.Scalar();
  } else if (key == "expr") {
    if (ExpectScalar(value, key)) d.spec.expr = value.Scalar(), d.expr_at = value.Mark();
  } else if (key == "keep_firing_while") {
    if (ExpectScalar(value, key)) {
      d.spec.keep_firing_while = value.Scalar();
      d.keep_at = value.Mark();
    }
  } else if (key == "for") {
    ParseDurationKey(value, key, &d.spec.for_ms);
  } else if (key == "keep_firing_for") {
    ParseDurationKey(value, key, &d.spec.keep_firing_for_ms);
  } else if (key == "severity") {
    if (!ExpectScalar(value, key)) return true;
    if (value.Scalar().empty()) return Error(value, "severity must not be empty"), true;
    d.spec.severity = value.Scalar();
    d.severity_at = value.Mark();
  } else if (key == "labels") {
    ParsePairs(value, key, d.spec.labels, &d);
  } else if (key == "annotations") {
    ParsePairs(value, key, d.spec.annotations, nullptr);
  } else if (key == "enabled") {
    bool enabled = true;
    if (!value.IsScalar() || !YAML::convert<bool>::decode(value, enabled)) {
      Error(value, "enabled: expected true or false");
    }
    d.spec.enabled = enabled;
  } else {
    return false;
  }
  return true;
}

void RuleParser::ParseDurationKey(const YAML::Node& value, std::string_view key, int64_t* out) {
  if (!ExpectScalar(value, key)) return;
  Result<int64_t> ms = ParseDuration(value.Scalar());
  if (!ms.ok()) return Error(value, std::string(key) + ": " + ms.status().message());
  *out = *ms;
}

// Labels and annotations: a mapping of names to strings. Rule labels named
// severity become the rule's severity (the engine adds that label itself).
void RuleParser::ParsePairs(const YAML::Node& value, std::string_view key,
                            std::vector<std::pair<std::string, std::string>>& out, RuleDraft* d) {
  if (value.IsNull()) return;
  if (!value.IsMap()) return Error(value, std::string(key) + ": expected a mapping of name: value");
  ForEachKey(
      value,
      [&](const std::string& name, const YAML::Node& key_node, const YAML::Node& v) {
        if (!IsValidLabelName(name)) {
          return Error(key_node, std::string(key) + ": invalid name \"" + name +
                                     "\" (expected [a-zA-Z_][a-zA-Z0-9_]*, not starting with __)");
        }
        if (!v.IsScalar() && !v.IsNull()) {
          return Error(v, std::string(key) + "." + name + ": expected a string");
        }
        std::string text = v.IsNull() ? "" : v.Scalar();
        if (d && name == "alertname") {
          return Error(key_node, "labels: alertname is set from the rule's name");
        }
        if (d && name == "severity") {
          if (text.empty()) return Error(v, "labels.severity must not be empty");
          d->label_severity = text;
          d->label_severity_at = v.Mark();
          return;
        }
        out.emplace_back(name, std::move(text));
      },
      *this);
}

// ParseExpr's errors start "column N: "; N is mapped into the file.
void RuleParser::CheckExpr(const std::string& text, const YAML::Mark& mark, std::string_view key) {
  Result<ParsedExpr> parsed = ParseExpr(text);
  if (parsed.ok()) return;
  std::string_view msg = parsed.status().message();
  int column = 1;
  constexpr std::string_view kPrefix = "column ";
  if (msg.starts_with(kPrefix)) {
    std::string_view rest = msg.substr(kPrefix.size());
    int n = 0;
    auto [end, ec] = std::from_chars(rest.data(), rest.data() + rest.size(), n);
    std::string_view after(end, rest.data() + rest.size() - end);
    if (ec == std::errc() && n >= 1 && after.starts_with(": ")) {
      column = n;
      msg = after.substr(2);
    }
  }
  TextPos pos = text_.MapValueColumn(mark, column);
  AddError(pos.line, pos.column, std::string(key) + ": " + std::string(msg));
}

void RuleParser::FinishRule(const YAML::Node& node, RuleDraft& d) {
  RuleSpec& r = d.spec;
  r.source = source_ + ":" + std::to_string(node.Mark().line + 1);
  if (!d.label_severity.empty()) {
    if (d.severity_at && d.label_severity != r.severity) {
      Error(d.label_severity_at, "labels.severity \"" + d.label_severity +
                                     "\" contradicts severity \"" + r.severity + "\"");
    }
    r.severity = d.label_severity;
  }
  if (r.name.empty()) {
    if (d.name_at) return Error(*d.name_at, "rule name must not be empty");
    return Error(node, "rule has no name (name: or alert:)");
  }
  // A disabled rule may be just a name: it switches a built-in off.
  if (r.expr.empty() && r.enabled) {
    if (d.expr_at) return Error(*d.expr_at, "expr must not be empty");
    return Error(node, "rule \"" + r.name + "\" has no expr");
  }
  if (d.expr_at && !r.expr.empty()) CheckExpr(r.expr, *d.expr_at, "expr");
  if (d.keep_at && !r.keep_firing_while.empty()) {
    CheckExpr(r.keep_firing_while, *d.keep_at, "keep_firing_while");
  }
  auto [it, inserted] = names_.emplace(r.name, r.source);
  if (!inserted) {
    return Error(*d.name_at,
                 "duplicate rule name \"" + r.name + "\" (first defined at " + it->second + ")");
  }
  rules_.push_back(std::move(r));
}

Result<std::vector<RuleSpec>> RuleParser::Finish() {
  if (errors_.empty()) return std::move(rules_);
  std::string joined;
  for (const std::string& e : errors_) {
    if (!joined.empty()) joined += '\n';
    joined += e;
  }
  return Status::InvalidArgument(std::move(joined));
}

bool HasWildcard(std::string_view pattern) {
  return pattern.find_first_of("*?[") != std::string_view::npos;
}

Result<std::vector<std::string>> ExpandGlob(const std::string& pattern) {
  glob_t g{};
  int rc = glob(pattern.c_str(), GLOB_ERR, nullptr, &g);
  std::vector<std::string> paths;
  if (rc == 0) paths.assign(g.gl_pathv, g.gl_pathv + g.gl_pathc);
  globfree(&g);
  if (rc == GLOB_NOMATCH) {
    if (HasWildcard(pattern)) return paths;
    return Status::NotFound(pattern + ": rule file not found");
  }
  if (rc != 0) return Status::IOError(pattern + ": cannot expand pattern");
  return paths;  // glob(3) sorts them
}

using NameIndex = std::map<std::string, std::string>;

Result<std::vector<RuleSpec>> ParseNode(const YAML::Node& node, std::string_view source,
                                        std::string_view text, NameIndex& names) {
  RuleParser parser(source, text, names);
  try {
    parser.ParseTop(node);
  } catch (const YAML::Exception& e) {
    parser.AddError(e.mark.line + 1, e.mark.column + 1, e.msg);
  }
  return parser.Finish();
}

Result<std::vector<RuleSpec>> ParseText(std::string_view text, std::string_view source,
                                        NameIndex& names) {
  YAML::Node root;
  try {
    root = YAML::Load(std::string(text));
  } catch (const YAML::Exception& e) {
    return Status::InvalidArgument(std::string(source) + ":" + std::to_string(e.mark.line + 1) +
                                   ":" + std::to_string(e.mark.column + 1) + ": " + e.msg);
  }
  return ParseNode(root, source, text, names);
}

}  // namespace

Result<std::vector<RuleSpec>> ParseRulesNode(const YAML::Node& node, std::string_view source,
                                             std::string_view text) {
  NameIndex names;
  return ParseNode(node, source, text, names);
}

Result<std::vector<RuleSpec>> ParseRulesYaml(std::string_view text, std::string_view source) {
  NameIndex names;
  return ParseText(text, source, names);
}

Result<std::string> ReadRuleFile(const std::string& path) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) {
    return Status::InvalidArgument(path + ": is a directory, not a rule file");
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::NotFound(path + ": cannot open rule file");
  std::ostringstream buf;
  buf << in.rdbuf();
  if (in.bad()) return Status::IOError(path + ": read failed");
  return buf.str();
}

Result<std::vector<RuleSpec>> LoadRuleFiles(const std::vector<std::string>& globs) {
  std::vector<RuleSpec> all;
  NameIndex names;
  for (const std::string& pattern : globs) {
    Result<std::vector<std::string>> paths = ExpandGlob(pattern);
    if (!paths.ok()) return paths.status();
    for (const std::string& path : *paths) {
      Result<std::string> text = ReadRuleFile(path);
      if (!text.ok()) return text.status();
      Result<std::vector<RuleSpec>> rules = ParseText(*text, path, names);
      if (!rules.ok()) return rules.status();
      for (RuleSpec& r : *rules) all.push_back(std::move(r));
    }
  }
  return all;
}

}  // namespace perfwatch
