#pragma once
// Shared by the ingest tests: what AppMetrics emits into a Tick, keyed by
// "name{labels}".

#include <gtest/gtest.h>

#include <chrono>
#include <map>
#include <string>

#include "ingest/app_metrics.h"
#include "model/registry.h"
#include "model/tick.h"

namespace perfwatch::ingest_test {

inline TimestampMs NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// One Flush of `metrics`, as "name{labels}" -> value.
inline std::map<std::string, double> Emit(AppMetrics& metrics, TimestampMs now = NowMs()) {
  SeriesRegistry registry;
  Tick tick(registry, now);
  metrics.Flush(tick, now);
  std::map<std::string, double> out;
  for (const auto& [id, value] : tick.samples()) {
    const SeriesKey& key = registry.Key(id);
    out[key.name + key.labels.ToString()] = value;
  }
  return out;
}

// Flushes into Ticks over one registry kept across calls (as perfwatch's
// is) and reads each back as "name{labels}" -> value; a series emitted
// twice in one tick fails the test.
class Flusher {
 public:
  std::map<std::string, double> Flush(AppMetrics& m, TimestampMs now) {
    Tick tick(registry, now);
    m.Flush(tick, now);
    std::map<std::string, double> out;
    for (const auto& [id, value] : tick.samples()) {
      const SeriesKey& key = registry.Key(id);
      const bool fresh = out.emplace(key.name + key.labels.ToString(), value).second;
      EXPECT_TRUE(fresh) << "emitted twice: " << key.name << key.labels.ToString();
    }
    return out;
  }
  SeriesRegistry registry;
};

}  // namespace perfwatch::ingest_test
