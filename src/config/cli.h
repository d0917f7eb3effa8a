#pragma once
// The command line: flags of seed 000 (--interval, --config, --save-config,
// --port, --memory-threshold, --cpu-threshold, --response-threshold,
// --no-auto-tuning) and perfwatch's own (--dry-run-tuning among them),
// merged with the config file and the environment in one order: flags >
// environment > file > defaults.

#include <cstdint>
#include <string>
#include <vector>

#include "config/config.h"

namespace perfwatch {

// `perfwatch import --format F FILE`: backfill history into --data-dir.
struct ImportCommand {
  std::string format = "openmetrics";  // openmetrics, csv or json
  std::string file;                    // "-" reads standard input
};

// `perfwatch export --metric SEL`: stream history out of --data-dir.
struct ExportCommand {
  std::string selector;
  std::string format = "openmetrics";
  static constexpr int64_t kUnset = INT64_MIN;
  int64_t from_ms = kUnset;  // unset: `hours` before `to_ms`
  int64_t to_ms = kUnset;    // unset: now
  double hours = 24;
  std::string output = "-";  // "-" writes standard output
};

// `perfwatch rules check FILE...`: validate rule files.
struct RulesCheckCommand {
  std::vector<std::string> files;
};

// `perfwatch report`: the period's summary, alerts and analysis.
struct ReportCommand {
  std::string format = "text";  // text, json or html
  double hours = 24;
  std::string output = "-";
  std::string url;  // a running perfwatch; empty: read --data-dir (or the
                    // configured address when a server holds it)
};

struct CommandLine {
  enum class Command { kServe, kImport, kExport, kRulesCheck, kReport };
  Command command = Command::kServe;
  ImportCommand import;
  ExportCommand export_;
  RulesCheckCommand rules_check;
  ReportCommand report;
  Config config;
  std::string save_config_path;   // --save-config FILE: write and exit
  bool reset_corrupt_db = false;  // --reset-corrupt-db: move a corrupt database aside
  // Set when the process should exit at once (help, version, bad flag):
  // print `output` (stdout when exit_code is 0, stderr otherwise).
  bool exit_now = false;
  int exit_code = 0;
  std::string output;
};

// `known_collectors` validates --disable-collector and collect.disable.
CommandLine ParseCommandLine(int argc, const char* const* argv, GetEnv getenv,
                             const std::vector<std::string>& known_collectors);

}  // namespace perfwatch
