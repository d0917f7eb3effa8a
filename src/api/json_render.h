#pragma once
// JSON bodies of /api/v1/metrics, /ws and /api/v1/metrics/history. Pure
// functions of their inputs; thread-safe as long as the registry is (it is).
//
// Sample shape, shared by the HTTP API and the WebSocket stream:
//   {"metric":"system_cpu_usage_percent","labels":{"cpu":"0"},"value":12.5}
// NaN and ±Inf values are rendered as null.

#include <span>
#include <string>
#include <string_view>

#include "model/registry.h"
#include "model/tick.h"
#include "store/store.h"

namespace perfwatch {

// {"name":"value",...} in the labels' order.
void AppendLabelsObject(std::string& out, const Labels& labels);

// True when `prefixes` is empty or `name` starts with one of them.
bool MatchesAnyPrefix(std::string_view name, std::span<const std::string> prefixes);

// {"time":MS,"samples":[...]}, keeping only samples whose metric name starts
// with one of `prefixes` (every sample when empty).
std::string RenderTickJson(const Tick& tick, std::span<const std::string> prefixes = {});

// {"metric":SELECTOR,"from":MS,"to":MS,"step":MS,"agg":"avg","series":[
//   {"metric":NAME,"labels":{...},"points":[[MS,VALUE],...]},...]}
std::string RenderHistoryJson(std::string_view selector_text, const QueryRange& range,
                              const std::vector<SeriesPoints>& series,
                              const SeriesRegistry& registry);

std::string_view ToString(Aggregation agg);

}  // namespace perfwatch
