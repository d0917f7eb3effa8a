#pragma once
// The `scrape:` section: a list of Prometheus targets, which the key table
// cannot hold. Pure functions.

#include <yaml-cpp/yaml.h>

#include <string_view>

#include "config/config.h"

namespace perfwatch {

// Takes `scrape:` out of `root` (a mapping) into `config.scrape`. Errors
// name the source, the item, the key and its line:
// `f.yaml: scrape[1].url (line 7): URL "ftp://x": expected http://...`.
Status ApplyScrapeSection(YAML::Node& root, std::string_view source, Config& config);

// Checks every target of `config.scrape` against the rest of the config
// (the timeout against the effective interval); the message names the key.
Status ValidateScrapeTargets(const Config& config);

// Appends `scrape:` to a mapping being emitted (ToYaml); defaults are left out.
void EmitScrapeTargets(const Config& config, YAML::Emitter& out);

}  // namespace perfwatch
