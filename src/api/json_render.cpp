#include "api/json_render.h"

#include "api/json_writer.h"

namespace perfwatch {

void AppendLabelsObject(std::string& out, const Labels& labels) {
  out += '{';
  bool first = true;
  for (const Label& l : labels) {
    if (!first) out += ',';
    first = false;
    AppendJsonString(out, l.name);
    out += ':';
    AppendJsonString(out, l.value);
  }
  out += '}';
}

bool MatchesAnyPrefix(std::string_view name, std::span<const std::string> prefixes) {
  if (prefixes.empty()) return true;
  for (const std::string& p : prefixes) {
    if (name.starts_with(p)) return true;
  }
  return false;
}

std::string_view ToString(Aggregation agg) {
  switch (agg) {
    case Aggregation::kAvg:
      return "avg";
    case Aggregation::kMin:
      return "min";
    case Aggregation::kMax:
      return "max";
    case Aggregation::kLast:
      return "last";
  }
  return "avg";
}

std::string RenderTickJson(const Tick& tick, std::span<const std::string> prefixes) {
  const SeriesRegistry& registry = tick.registry();
  std::string out;
  // About 80 bytes a sample for typical host metrics; one allocation usually.
  out.reserve(32 + tick.samples().size() * 96);
  out += "{\"time\":";
  AppendJsonInt(out, tick.time());
  out += ",\"samples\":[";
  bool first = true;
  for (const auto& [id, value] : tick.samples()) {
    const SeriesKey& key = registry.Key(id);
    if (!MatchesAnyPrefix(key.name, prefixes)) continue;
    if (!first) out += ',';
    first = false;
    out += "{\"metric\":";
    AppendJsonString(out, key.name);
    out += ",\"labels\":";
    AppendLabelsObject(out, key.labels);
    out += ",\"value\":";
    AppendJsonNumber(out, value);
    out += '}';
  }
  out += "]}";
  return out;
}

std::string RenderHistoryJson(std::string_view selector_text, const QueryRange& range,
                              const std::vector<SeriesPoints>& series,
                              const SeriesRegistry& registry) {
  std::string out;
  out += "{\"metric\":";
  AppendJsonString(out, selector_text);
  out += ",\"from\":";
  AppendJsonInt(out, range.from_ms);
  out += ",\"to\":";
  AppendJsonInt(out, range.to_ms);
  out += ",\"step\":";
  AppendJsonInt(out, range.step_ms);
  out += ",\"agg\":";
  AppendJsonString(out, ToString(range.agg));
  out += ",\"series\":[";
  for (size_t i = 0; i < series.size(); ++i) {
    const SeriesKey& key = registry.Key(series[i].id);
    if (i) out += ',';
    out += "{\"metric\":";
    AppendJsonString(out, key.name);
    out += ",\"labels\":";
    AppendLabelsObject(out, key.labels);
    out += ",\"points\":[";
    const std::vector<Sample>& points = series[i].points;
    for (size_t k = 0; k < points.size(); ++k) {
      if (k) out += ',';
      out += '[';
      AppendJsonInt(out, points[k].t_ms);
      out += ',';
      AppendJsonNumber(out, points[k].value);
      out += ']';
    }
    out += "]}";
  }
  out += "]}";
  return out;
}

}  // namespace perfwatch
