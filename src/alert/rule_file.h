#pragma once
// Rule files: alerting rules as users write them for Prometheus
// (`groups: [{name, interval, rules: [{alert, expr, for, ...}]}]`), as a
// plain YAML list, or as a mapping with a `rules:` key (our config's
// layout, where a rule's name key is `name`, `alert` being its synonym, and
// `severity`, `keep_firing_while` and `enabled` are allowed too).
// docs/ALERTS.md describes the format.
//
// Every error reads "SOURCE:LINE:COLUMN: message" (1-based); several errors
// of one file come back in one Status, one per line. Recording rules are
// refused. Pure functions; thread-safe.

#include <string>
#include <string_view>
#include <vector>

#include "alert/rule_spec.h"
#include "model/status.h"

namespace YAML {
class Node;
}

namespace perfwatch {

// Parses a whole rule file. `source` names it in messages and in
// RuleSpec::source ("SOURCE:LINE").
Result<std::vector<RuleSpec>> ParseRulesYaml(std::string_view text, std::string_view source);

// Parses an already loaded node (the config's `rules:` section). `text`,
// the document the node came from, is optional: with it, expression errors
// inside quoted or multi-line values point at the exact column; without
// it, at the value's start plus the expression's column.
Result<std::vector<RuleSpec>> ParseRulesNode(const YAML::Node& node, std::string_view source,
                                             std::string_view text = {});

// Expands each pattern with glob(3), as Prometheus's `rule_files:` does,
// and parses every file in order. A pattern without wildcards must name an
// existing file; one with wildcards may match nothing. A rule name defined
// twice, in one file or across files, is refused.
Result<std::vector<RuleSpec>> LoadRuleFiles(const std::vector<std::string>& globs);

// Reads a file whole; errors name the path.
Result<std::string> ReadRuleFile(const std::string& path);

}  // namespace perfwatch
