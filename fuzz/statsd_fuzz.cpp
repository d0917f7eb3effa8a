// StatsD datagrams: every line through ParseStatsdLine, then the whole input
// through StatsdIngester into a fresh AppMetrics (the first byte picks
// histogram or summary for h/d, and whether the rest is one datagram or
// split on '\0' into several), flushed into a Tick.
//
// Checks: an accepted line's views lie inside the line, its name is
// non-empty, values finite, counter values not negative, the rate in (0, 1],
// a set member non-empty, tag keys non-empty; every non-empty line is
// counted (accepted values + rejections >= lines); every emitted series
// name is valid.

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "ingest/app_metrics.h"
#include "ingest/statsd_ingest.h"
#include "ingest/statsd_parser.h"
#include "model/labels.h"
#include "model/registry.h"
#include "model/tick.h"

using namespace perfwatch;

namespace {

bool Inside(std::string_view part, std::string_view whole) {
  return part.empty() ||
         (part.data() >= whole.data() && part.data() + part.size() <= whole.data() + whole.size());
}

void CheckLine(std::string_view text, const StatsdLine& line) {
  if (line.name.empty() || !Inside(line.name, text) || !Inside(line.tags, text) ||
      !Inside(line.member, text)) {
    __builtin_trap();
  }
  if (!(line.sample_rate > 0 && line.sample_rate <= 1) || line.timestamp_ms < 0) __builtin_trap();
  if (line.type == StatsdType::kSet) {
    if (line.member.empty() || !line.values.empty()) __builtin_trap();
  } else if (line.values.empty()) {
    __builtin_trap();
  }
  for (const StatsdValue& v : line.values) {
    if (!std::isfinite(v.value)) __builtin_trap();
    if (line.type == StatsdType::kCounter && v.value < 0) __builtin_trap();
    if (v.delta && line.type != StatsdType::kGauge) __builtin_trap();
  }
  ForEachStatsdTag(line.tags, [](std::string_view key, std::string_view) {
    if (key.empty()) __builtin_trap();
  });
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const uint8_t mode = data[0];
  std::string_view input(reinterpret_cast<const char*>(data + 1), size - 1);

  size_t lines = 0;
  StatsdLine line;
  ForEachStatsdLine(input, [&](std::string_view text) {
    ++lines;
    if (ParseStatsdLine(text, &line) == StatsdError::kNone) CheckLine(text, line);
  });

  IngestLimits limits;
  limits.max_series = 64;
  AppMetrics metrics(limits);
  StatsdIngester ingester((mode & 1) ? AppKind::kSummary : AppKind::kHistogram);
  size_t ingested = 0;
  {
    AppMetrics::Batch batch = metrics.Begin(IngestSource::kStatsd);
    if (mode & 2) {
      while (!input.empty()) {
        size_t nul = input.find('\0');
        ingested += ingester.IngestDatagram(batch, input.substr(0, nul));
        if (nul == std::string_view::npos) break;
        input.remove_prefix(nul + 1);
      }
    } else {
      ingested = ingester.IngestDatagram(batch, input);
    }
  }
  if (!(mode & 2) && ingested != lines) __builtin_trap();

  SeriesRegistry registry;
  Tick tick(registry, 1'700'000'000'000);
  metrics.Flush(tick, tick.time());
  double counted = 0;
  for (const auto& [id, value] : tick.samples()) {
    const SeriesKey& key = registry.Key(id);
    if (!IsValidMetricName(key.name)) __builtin_trap();
    const bool statsd = key.labels.Get("source") == "statsd";
    if (statsd && (key.name == "perfwatch_ingest_samples_total" ||
                   key.name == "perfwatch_ingest_errors_total")) {
      counted += value;
    }
  }
  if (counted < static_cast<double>(ingested)) __builtin_trap();
  return 0;
}
