#pragma once
// `perfwatch rules check FILE...`: validates rule files as `promtool check
// rules` does (and prints the same way): YAML layout, names, durations,
// labels, each expression and each annotation template. Thread-safe.

#include <ostream>
#include <string>
#include <vector>

namespace perfwatch {

// For each file prints "Checking FILE" and "  SUCCESS: N rules found" to
// `out`, or "  FAILED:" and one "FILE:LINE:COLUMN: message" per error to
// `err`. Returns the exit code: 0 when every file passed, 1 otherwise.
int RunRulesCheck(const std::vector<std::string>& files, std::ostream& out, std::ostream& err);

}  // namespace perfwatch
