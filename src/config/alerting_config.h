#pragma once
// The list-valued sections of the config that the key table cannot hold:
// `rules:` (alert/rule_file.h parses them, so a rule reads the same in the
// config and in a rule file) and `notify:` (receivers). Pure functions.

#include <yaml-cpp/yaml.h>

#include <string_view>
#include <vector>

#include "config/config.h"

namespace perfwatch {

// Takes `rules:` and `notify:` out of `root` (a mapping) into `config`, so
// what is left goes through the key table. Errors name the source, line
// and key.
Status ApplyListSections(YAML::Node& root, std::string_view source, Config& config);

// Parses one `notify:` list.
Result<std::vector<ReceiverOptions>> ParseReceivers(const YAML::Node& node,
                                                    std::string_view source);

// Appends `rules:` and `notify:` to a mapping being emitted (ToYaml).
void EmitRulesAndReceivers(const Config& config, YAML::Emitter& out);

}  // namespace perfwatch
