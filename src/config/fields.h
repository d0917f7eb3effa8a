#pragma once
// The table of every configurable key: its dotted path, how to parse a text
// value into the Config, and how to print it back. YAML files, environment
// variables and --save-config all go through this one table, so a key can
// never be readable in one place and missing in another.

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.h"

namespace perfwatch {

struct ConfigField {
  std::string_view path;  // "collect.interval"
  std::string_view help;
  bool is_list = false;
  // Parses one scalar (for lists: appends one element). Error names the value.
  std::function<Status(std::string_view)> set;
  std::function<void()> clear;  // lists only: empties before a file sets them
  // Current value(s) as text, for --save-config.
  std::function<std::vector<std::string>()> get;
};

// Fields bound to `config`, which must outlive the returned table.
std::vector<ConfigField> BindFields(Config& config);

}  // namespace perfwatch
