#include "config/config.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <map>
#include <sstream>

#include "config/alerting_config.h"
#include "config/fields.h"
#include "config/scrape_config.h"
#include "config/tuning_config.h"
#include "model/duration.h"

namespace perfwatch {
namespace {

std::string Where(std::string_view source, const std::string& path, const YAML::Mark& mark) {
  std::string out(source);
  if (!out.empty()) out += ": ";
  out += path;
  if (mark.line >= 0) out += " (line " + std::to_string(mark.line + 1) + ")";
  return out;
}

const ConfigField* Find(const std::vector<ConfigField>& fields, std::string_view path) {
  for (const ConfigField& f : fields) {
    if (f.path == path) return &f;
  }
  return nullptr;
}

Status ApplyValue(const ConfigField& field, const YAML::Node& value, const std::string& where) {
  auto wrap = [&](const Status& st) {
    return st.ok() ? st : Status::InvalidArgument(where + ": " + st.message());
  };
  if (value.IsSequence()) {
    if (!field.is_list)
      return Status::InvalidArgument(where + ": expected a single value, not a list");
    field.clear();
    for (const YAML::Node& item : value) {
      if (!item.IsScalar()) return Status::InvalidArgument(where + ": list items must be scalars");
      if (Status st = field.set(item.Scalar()); !st.ok()) return wrap(st);
    }
    return Status::Ok();
  }
  if (value.IsMap()) return Status::InvalidArgument(where + ": expected a value, not a mapping");
  if (field.is_list) field.clear();
  if (value.IsNull()) {
    return field.is_list ? Status::Ok() : wrap(field.set(""));
  }
  return wrap(field.set(value.Scalar()));
}

Status ApplyMap(const YAML::Node& map, const std::string& prefix, std::string_view source,
                const std::vector<ConfigField>& fields) {
  for (const auto& kv : map) {
    std::string key = kv.first.as<std::string>();
    std::string path = prefix.empty() ? key : prefix + "." + key;
    std::string where = Where(source, path, kv.first.Mark());
    if (kv.second.IsMap()) {
      bool is_section = std::any_of(fields.begin(), fields.end(), [&](const ConfigField& f) {
        return f.path.starts_with(path + ".");
      });
      if (!is_section) return Status::InvalidArgument(where + ": unknown key");
      if (Status st = ApplyMap(kv.second, path, source, fields); !st.ok()) return st;
      continue;
    }
    const ConfigField* field = Find(fields, path);
    if (!field) return Status::InvalidArgument(where + ": unknown key");
    if (Status st = ApplyValue(*field, kv.second, where); !st.ok()) return st;
  }
  return Status::Ok();
}

std::string FormatDouble(double v) {
  std::ostringstream out;
  out << v;
  return out.str();
}

std::string EnvName(std::string_view path) {
  std::string name = "PERFWATCH_";
  for (char c : path) name += c == '.' ? '_' : static_cast<char>(std::toupper(c));
  return name;
}

std::vector<EnvVar> MakeEnvTable() {
  // Seed 000's names first so the PERFWATCH_* spelling, applied later, wins.
  std::vector<EnvVar> vars = {
      {"MONITORING_INTERVAL", "collect.interval"},
      {"AUTO_TUNING_ENABLED", "tuning.enabled"},
      {"MEMORY_THRESHOLD", "thresholds.memory_percent"},
      {"CPU_THRESHOLD", "thresholds.cpu_percent"},
      {"RESPONSE_TIME_THRESHOLD", "thresholds.response_time_ms"},
  };
  static std::vector<std::string> names;  // owns the generated strings for the views
  Config scratch;
  for (const ConfigField& f : BindFields(scratch)) names.push_back(EnvName(f.path));
  size_t i = 0;
  for (const ConfigField& f : BindFields(scratch)) vars.push_back({names[i++], f.path});
  return vars;
}

// The classes must be ordered: each bound at least as bad as the one
// before, or a value could be Critical without being Poor.
Status ValidateStatusTable(const Config& c) {
  StatusOptions s = c.status;
  s.poor.memory_percent = c.thresholds.memory_percent;
  s.poor.cpu_percent = c.thresholds.cpu_percent;
  s.poor.response_time_ms = c.thresholds.response_time_ms;
  struct Column {
    const char* name;
    double StatusBounds::*member;
    bool lower_is_worse;
  };
  static constexpr Column kColumns[] = {
      {"memory_percent", &StatusBounds::memory_percent, false},
      {"cpu_percent", &StatusBounds::cpu_percent, false},
      {"response_time_ms", &StatusBounds::response_time_ms, false},
      {"error_rate_percent", &StatusBounds::error_rate_percent, false},
      {"cache_hit_percent", &StatusBounds::cache_hit_percent, true},
  };
  const std::pair<const char*, const StatusBounds*> order[] = {
      {"excellent", &s.excellent}, {"fair", &s.fair}, {"poor", &s.poor}, {"critical", &s.critical}};
  for (const Column& col : kColumns) {
    for (size_t i = 1; i < std::size(order); ++i) {
      double prev = order[i - 1].second->*col.member;
      double cur = order[i].second->*col.member;
      bool ordered = col.lower_is_worse ? cur <= prev : cur >= prev;
      if (!ordered) {
        return Status::InvalidArgument(
            std::string("status.") + order[i].first + "." + col.name + ": " + FormatDouble(cur) +
            " is better than status." + order[i - 1].first + "." + col.name + " (" +
            FormatDouble(prev) + "); each class must be at least as bad as the one before" +
            (i == 2 ? " (poor's memory, CPU and response bounds are thresholds.*)" : ""));
      }
    }
  }
  return Status::Ok();
}

}  // namespace

const std::vector<EnvVar>& EnvironmentVariables() {
  static const std::vector<EnvVar> vars = MakeEnvTable();
  return vars;
}

Status Validate(const Config& c) {
  if (c.server.host.empty()) return Status::InvalidArgument("server.host: must not be empty");
  if (c.collect.interval_ms > c.storage.memory_retention_ms) {
    return Status::InvalidArgument("collect.interval: longer than storage.memory_retention");
  }
  constexpr int64_t kDayMs = 86'400'000;
  if (c.storage.block_duration_ms % 60'000 != 0 || kDayMs % c.storage.block_duration_ms != 0) {
    return Status::InvalidArgument(
        "storage.block_duration: must be a whole number of minutes that divides 24h, got " +
        FormatDuration(c.storage.block_duration_ms));
  }
  if (c.ingest.max_body_bytes < 1024) {
    return Status::InvalidArgument("ingest.max_body: must be at least 1KiB, got " +
                                   std::to_string(c.ingest.max_body_bytes) + " bytes");
  }
  if (Status st = ValidateScrapeTargets(c); !st.ok()) return st;
  if (Status st = ValidateTuning(c.tuning); !st.ok()) return st;
  return ValidateStatusTable(c);
}

Status ApplyYaml(std::string_view text, std::string_view source, Config& config) {
  std::vector<ConfigField> fields = BindFields(config);
  try {
    YAML::Node root = YAML::Load(std::string(text));
    if (root.IsNull()) return Status::Ok();
    if (!root.IsMap()) {
      return Status::InvalidArgument(std::string(source) + ": the top level must be a mapping");
    }
    if (Status st = ApplyListSections(root, source, config); !st.ok()) return st;
    if (Status st = ApplyScrapeSection(root, source, config); !st.ok()) return st;
    if (Status st = ApplyTuningSection(root, source, config); !st.ok()) return st;
    return ApplyMap(root, "", source, fields);
  } catch (const YAML::Exception& e) {
    return Status::InvalidArgument(std::string(source) + " (line " +
                                   std::to_string(e.mark.line + 1) + "): " + e.msg);
  }
}

Status LoadYamlFile(const std::string& path, Config& config) {
  std::ifstream in(path);
  if (!in) return Status::NotFound("cannot read config file " + path + ": " + std::strerror(errno));
  std::stringstream buf;
  buf << in.rdbuf();
  return ApplyYaml(buf.str(), path, config);
}

Status ApplyEnvironment(Config& config, GetEnv getenv) {
  std::vector<ConfigField> fields = BindFields(config);
  for (const EnvVar& var : EnvironmentVariables()) {
    const char* value = getenv(std::string(var.name).c_str());
    if (!value) continue;
    const ConfigField* field = Find(fields, var.key);
    std::string_view v(value);
    if (field->is_list) {
      field->clear();
      while (!v.empty()) {
        size_t comma = v.find(',');
        std::string_view item = v.substr(0, comma);
        if (!item.empty()) {
          if (Status st = field->set(item); !st.ok()) {
            return Status::InvalidArgument(std::string(var.name) + ": " + st.message());
          }
        }
        v = comma == std::string_view::npos ? std::string_view{} : v.substr(comma + 1);
      }
      continue;
    }
    if (Status st = field->set(v); !st.ok()) {
      return Status::InvalidArgument("environment variable " + std::string(var.name) + ": " +
                                     st.message());
    }
  }
  return Status::Ok();
}

std::string ToYaml(const Config& config) {
  Config copy = config;
  std::vector<ConfigField> fields = BindFields(copy);
  // Group by section, keeping the table's order.
  std::vector<std::pair<std::string, std::vector<const ConfigField*>>> sections;
  std::vector<const ConfigField*> top_level;  // keys with no section (rule_files)
  for (const ConfigField& f : fields) {
    if (f.path.find('.') == std::string_view::npos) {
      top_level.push_back(&f);
      continue;
    }
    std::string section(f.path.substr(0, f.path.find('.')));
    if (sections.empty() || sections.back().first != section) sections.push_back({section, {}});
    sections.back().second.push_back(&f);
  }
  YAML::Emitter out;
  out << YAML::BeginMap;
  for (const auto& [section, members] : sections) {
    out << YAML::Key << section << YAML::Value << YAML::BeginMap;
    for (const ConfigField* f : members) {
      std::vector<std::string> values = f->get();
      out << YAML::Key << std::string(f->path.substr(section.size() + 1)) << YAML::Value;
      if (f->is_list) {
        out << YAML::Flow << YAML::BeginSeq;
        for (const std::string& v : values) out << v;
        out << YAML::EndSeq;
      } else {
        out << values.at(0);
      }
    }
    if (section == "tuning") EmitTuningRules(config.tuning, out);
    out << YAML::EndMap;
  }
  for (const ConfigField* f : top_level) {
    out << YAML::Key << std::string(f->path) << YAML::Value << YAML::Flow << YAML::BeginSeq;
    for (const std::string& v : f->get()) out << v;
    out << YAML::EndSeq;
  }
  EmitRulesAndReceivers(config, out);
  EmitScrapeTargets(config, out);
  out << YAML::EndMap;
  return std::string(out.c_str()) + "\n";
}

}  // namespace perfwatch
