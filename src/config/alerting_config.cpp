#include "config/alerting_config.h"

#include <string>

#include "alert/rule_file.h"
#include "model/duration.h"

namespace perfwatch {
namespace {

std::string At(std::string_view source, const YAML::Node& node, std::string_view what) {
  std::string out(source);
  if (!out.empty()) out += ": ";
  out += what;
  if (node.Mark().line >= 0) out += " (line " + std::to_string(node.Mark().line + 1) + ")";
  return out;
}

constexpr std::string_view kReceiverTypes[] = {"console", "log", "webhook", "alertmanager", "exec"};

Status SetDuration(const YAML::Node& value, int64_t* out) {
  Result<int64_t> ms = ParseDuration(value.Scalar());
  if (!ms.ok()) return ms.status();
  *out = *ms;
  return Status::Ok();
}

Status ApplyReceiverKey(const std::string& key, const YAML::Node& value, ReceiverOptions& r) {
  if (key == "command") {
    if (!value.IsSequence()) return Status::InvalidArgument("expected a list (argv)");
    for (const YAML::Node& arg : value) {
      if (!arg.IsScalar()) return Status::InvalidArgument("argv items must be strings");
      r.command.push_back(arg.Scalar());
    }
    return Status::Ok();
  }
  if (key == "headers") {
    if (!value.IsMap()) return Status::InvalidArgument("expected a mapping of header: value");
    for (const auto& kv : value) {
      r.headers.emplace_back(kv.first.as<std::string>(), kv.second.as<std::string>());
    }
    return Status::Ok();
  }
  if (!value.IsScalar()) return Status::InvalidArgument("expected a single value");
  if (key == "type") {
    r.type = value.Scalar();
    for (std::string_view t : kReceiverTypes) {
      if (t == r.type) return Status::Ok();
    }
    return Status::InvalidArgument("unknown type \"" + r.type +
                                   "\" (console, log, webhook, alertmanager or exec)");
  }
  if (key == "name") return r.name = value.Scalar(), Status::Ok();
  if (key == "url") return r.url = value.Scalar(), Status::Ok();
  if (key == "path") return r.path = value.Scalar(), Status::Ok();
  if (key == "timeout") return SetDuration(value, &r.timeout_ms);
  if (key == "backoff") return SetDuration(value, &r.backoff_ms);
  if (key == "max_attempts") {
    int n = value.as<int>();
    if (n < 1 || n > 100) return Status::InvalidArgument("must be 1 to 100");
    r.max_attempts = n;
    return Status::Ok();
  }
  return Status::InvalidArgument("unknown key");
}

// What each type cannot do without; the receivers check the rest (URL
// syntax, reachability) when they start.
Status CheckReceiver(const ReceiverOptions& r) {
  if (r.type.empty()) return Status::InvalidArgument("missing type");
  if ((r.type == "webhook" || r.type == "alertmanager") && r.url.empty()) {
    return Status::InvalidArgument(r.type + " needs url");
  }
  if (r.type == "log" && r.path.empty()) return Status::InvalidArgument("log needs path");
  if (r.type == "exec" && r.command.empty()) {
    return Status::InvalidArgument("exec needs command (an argv list)");
  }
  if (r.timeout_ms <= 0) return Status::InvalidArgument("timeout must be positive");
  return Status::Ok();
}

}  // namespace

Result<std::vector<ReceiverOptions>> ParseReceivers(const YAML::Node& node,
                                                    std::string_view source) {
  if (!node.IsSequence()) {
    return Status::InvalidArgument(At(source, node, "notify") + ": expected a list of receivers");
  }
  std::vector<ReceiverOptions> receivers;
  for (size_t i = 0; i < node.size(); ++i) {
    const YAML::Node& item = node[i];
    std::string path = "notify[" + std::to_string(i) + "]";
    if (!item.IsMap()) {
      return Status::InvalidArgument(At(source, item, path) + ": expected a mapping");
    }
    ReceiverOptions r;
    for (const auto& kv : item) {
      std::string key = kv.first.as<std::string>();
      Status st;
      try {
        st = ApplyReceiverKey(key, kv.second, r);
      } catch (const YAML::Exception& e) {
        st = Status::InvalidArgument(e.msg);
      }
      if (!st.ok()) {
        return Status::InvalidArgument(At(source, kv.first, path + "." + key) + ": " +
                                       st.message());
      }
    }
    if (Status st = CheckReceiver(r); !st.ok()) {
      return Status::InvalidArgument(At(source, item, path) + ": " + st.message());
    }
    if (r.name.empty()) r.name = r.type;
    receivers.push_back(std::move(r));
  }
  return receivers;
}

Status ApplyListSections(YAML::Node& root, std::string_view source, Config& config) {
  const YAML::Node& view = root;  // operator[] on a const node adds nothing
  if (view["rules"]) {
    Result<std::vector<RuleSpec>> rules = ParseRulesNode(view["rules"], source);
    if (!rules.ok()) return rules.status();
    config.rules = std::move(*rules);
    root.remove("rules");
  }
  if (view["notify"]) {
    Result<std::vector<ReceiverOptions>> receivers = ParseReceivers(view["notify"], source);
    if (!receivers.ok()) return receivers.status();
    config.notify = std::move(*receivers);
    root.remove("notify");
  }
  return Status::Ok();
}

namespace {

void EmitPairs(YAML::Emitter& out, const char* key,
               const std::vector<std::pair<std::string, std::string>>& pairs) {
  if (pairs.empty()) return;
  out << YAML::Key << key << YAML::Value << YAML::BeginMap;
  for (const auto& [k, v] : pairs) out << YAML::Key << k << YAML::Value << v;
  out << YAML::EndMap;
}

void EmitRule(YAML::Emitter& out, const RuleSpec& r) {
  out << YAML::BeginMap;
  out << YAML::Key << "name" << YAML::Value << r.name;
  out << YAML::Key << "expr" << YAML::Value << r.expr;
  if (!r.keep_firing_while.empty()) {
    out << YAML::Key << "keep_firing_while" << YAML::Value << r.keep_firing_while;
  }
  if (r.for_ms) out << YAML::Key << "for" << YAML::Value << FormatDuration(r.for_ms);
  if (r.keep_firing_for_ms) {
    out << YAML::Key << "keep_firing_for" << YAML::Value << FormatDuration(r.keep_firing_for_ms);
  }
  out << YAML::Key << "severity" << YAML::Value << r.severity;
  if (!r.enabled) out << YAML::Key << "enabled" << YAML::Value << false;
  EmitPairs(out, "labels", r.labels);
  EmitPairs(out, "annotations", r.annotations);
  out << YAML::EndMap;
}

void EmitReceiver(YAML::Emitter& out, const ReceiverOptions& r) {
  ReceiverOptions defaults;
  out << YAML::BeginMap;
  out << YAML::Key << "type" << YAML::Value << r.type;
  if (!r.name.empty() && r.name != r.type) out << YAML::Key << "name" << YAML::Value << r.name;
  if (!r.url.empty()) out << YAML::Key << "url" << YAML::Value << r.url;
  if (!r.path.empty()) out << YAML::Key << "path" << YAML::Value << r.path;
  if (!r.command.empty()) {
    out << YAML::Key << "command" << YAML::Value << YAML::Flow << r.command;
  }
  EmitPairs(out, "headers", r.headers);
  if (r.timeout_ms != defaults.timeout_ms) {
    out << YAML::Key << "timeout" << YAML::Value << FormatDuration(r.timeout_ms);
  }
  if (r.max_attempts != defaults.max_attempts) {
    out << YAML::Key << "max_attempts" << YAML::Value << r.max_attempts;
  }
  if (r.backoff_ms != defaults.backoff_ms) {
    out << YAML::Key << "backoff" << YAML::Value << FormatDuration(r.backoff_ms);
  }
  out << YAML::EndMap;
}

}  // namespace

void EmitRulesAndReceivers(const Config& config, YAML::Emitter& out) {
  if (!config.rules.empty()) {
    out << YAML::Key << "rules" << YAML::Value << YAML::BeginSeq;
    for (const RuleSpec& r : config.rules) EmitRule(out, r);
    out << YAML::EndSeq;
  }
  if (!config.notify.empty()) {
    out << YAML::Key << "notify" << YAML::Value << YAML::BeginSeq;
    for (const ReceiverOptions& r : config.notify) EmitReceiver(out, r);
    out << YAML::EndSeq;
  }
}

}  // namespace perfwatch
