#pragma once
// Helpers shared by the interchange tests: a sink that records what a
// reader produced, and value comparison where NaN equals NaN.

#include <bit>
#include <cmath>
#include <cstdint>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "interchange/interchange.h"

namespace perfwatch {

struct CollectedSeries {
  SeriesKey key;
  std::optional<MetricMeta> meta;
  std::vector<Sample> samples;
};

// Records every BeginSeries call as one entry.
class CollectingSink : public HistorySink {
 public:
  Status BeginSeries(const SeriesKey& key, const MetricMeta* meta) override {
    series.push_back({key, meta ? std::optional<MetricMeta>(*meta) : std::nullopt, {}});
    return Status::Ok();
  }
  Status AddSample(Sample sample) override {
    series.back().samples.push_back(sample);
    return Status::Ok();
  }
  std::vector<CollectedSeries> series;
};

inline Status ReadText(HistoryFormat format, const std::string& text, HistorySink& sink,
                       const ReadOptions& options = {}, ReadStats* stats = nullptr) {
  std::istringstream in(text);
  return ReadHistory(format, in, sink, options, stats);
}

// The error message of reading `text`, or "ok".
inline std::string ReadError(HistoryFormat format, const std::string& text) {
  CollectingSink sink;
  Status s = ReadText(format, text, sink);
  return s.ok() ? "ok" : s.message();
}

inline std::string WriteText(HistoryFormat format, const std::vector<CollectedSeries>& series,
                             size_t chunk_bytes = 64 * 1024) {
  std::string out;
  std::unique_ptr<HistoryWriter> writer = MakeHistoryWriter(
      format, [&out](std::string_view chunk) { out.append(chunk); }, {chunk_bytes});
  for (const CollectedSeries& s : series) {
    if (!writer->BeginSeries(s.key, s.meta ? &*s.meta : nullptr).ok()) return "BeginSeries failed";
    for (Sample sample : s.samples) {
      if (!writer->AddSample(sample).ok()) return "AddSample failed";
    }
  }
  writer->Finish();
  return out;
}

inline std::string DataPath(const std::string& name) {
  return std::string(PERFWATCH_TEST_DATA) + "/interchange/" + name;
}

inline std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// Bit-exact, except that every NaN equals every NaN.
inline bool SameValue(double a, double b) {
  if (std::isnan(a) || std::isnan(b)) return std::isnan(a) && std::isnan(b);
  return std::bit_cast<uint64_t>(a) == std::bit_cast<uint64_t>(b);
}

inline bool SameSamples(const std::vector<Sample>& a, const std::vector<Sample>& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (a[i].t_ms != b[i].t_ms || !SameValue(a[i].value, b[i].value)) return false;
  }
  return true;
}

}  // namespace perfwatch
