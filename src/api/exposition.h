#pragma once
// Prometheus text exposition format 0.0.4 of one tick, as served on /metrics.
// Pure function; thread-safe.
//
// Each metric family appears once, sorted by name, with # HELP and # TYPE
// from the registry's metadata. A family without metadata is typed
// "untyped" and given a placeholder help line, because promtool's linter
// rejects a family with no help text. Samples carry no timestamp: the
// scraper stamps them, as node_exporter's are.

#include <string>
#include <string_view>

#include "model/tick.h"

namespace perfwatch {

inline constexpr std::string_view kExpositionContentType =
    "text/plain; version=0.0.4; charset=utf-8";

std::string RenderExposition(const Tick& tick);

// HELP text escaping: backslash and newline (quotes stay as they are).
void AppendEscapedHelp(std::string& out, std::string_view help);

}  // namespace perfwatch
