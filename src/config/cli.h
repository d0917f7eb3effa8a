#pragma once
// The command line: flags of seed 000 (--interval, --config, --save-config,
// --port, --memory-threshold, --cpu-threshold, --response-threshold,
// --no-auto-tuning) and perfwatch's own, merged with the config file and the
// environment in one order: flags > environment > file > defaults.

#include <string>
#include <vector>

#include "config/config.h"

namespace perfwatch {

struct CommandLine {
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
