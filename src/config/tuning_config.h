#pragma once
// The `tuning:` section: closed-loop tuning rules (tune/rule_spec.h), which
// the key table cannot hold. `tuning:` is either a list of rules, or a
// mapping of the tuning.* keys with the rules under `rules:`. Pure
// functions.

#include <yaml-cpp/yaml.h>

#include <string_view>
#include <vector>

#include "config/config.h"

namespace perfwatch {

// Takes the rules out of `root` (a mapping) into `config.tuning.rules`:
// all of `tuning:` when it is a list, its `rules:` when it is a mapping (the
// other keys stay for the key table). Errors name the source, the rule, the
// key and its line: `f.yaml: tuning.rules[2].action.scale (line 14):
// expected a positive factor or a percentage like "-30%"`.
Status ApplyTuningSection(YAML::Node& root, std::string_view source, Config& config);

// Parses one list of tuning rules; `path` names it in messages
// ("tuning.rules" or "tuning").
Result<std::vector<TuningRuleSpec>> ParseTuningRules(const YAML::Node& node,
                                                     std::string_view source,
                                                     std::string_view path);

// Checks the tuning.* ranges and each rule against them; the message names
// the key, or the rule and where it was written.
Status ValidateTuning(const TuningConfig& tuning);

// Appends `rules:` to the `tuning:` mapping being emitted (ToYaml); nothing
// when there are none. Defaults are left out.
void EmitTuningRules(const TuningConfig& tuning, YAML::Emitter& out);

}  // namespace perfwatch
