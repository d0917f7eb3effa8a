#pragma once
// The real series perfwatch recorded on a host, which the benchmarks
// compress, log, store and query: tests/data/store/host_series.csv (rows
// "series,t_ms,value", 170 series at 1 s; bench/capture_host_series.sh
// records a new one), or the file PERFWATCH_HOST_SERIES names.
//
// Read once, on first use; the returned references live for the process.
// Not for concurrent first calls (benchmarks call them from one thread).

#include <cstdlib>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "model/labels.h"
#include "model/registry.h"
#include "model/sample.h"

namespace perfwatch::bench {

struct HostSeries {
  std::string name;  // metric{labels}, as the capture spells it
  std::vector<Sample> samples;
};

inline std::string HostSeriesPath() {
  const char* env = std::getenv("PERFWATCH_HOST_SERIES");
  return env != nullptr && *env != '\0' ? env : PERFWATCH_TEST_DATA "/store/host_series.csv";
}

// Every series, sorted by name; empty when the file is missing.
inline const std::vector<HostSeries>& LoadHostSeries() {
  static const std::vector<HostSeries> series = [] {
    std::map<std::string, std::vector<Sample>> by_name;
    std::ifstream in(HostSeriesPath());
    std::string line;
    std::getline(in, line);  // header
    while (std::getline(in, line)) {
      // The series field holds no commas: the time and value are the last two.
      const size_t value_comma = line.rfind(',');
      const size_t time_comma = line.rfind(',', value_comma - 1);
      if (value_comma == std::string::npos || time_comma == std::string::npos) continue;
      by_name[line.substr(0, time_comma)].push_back(
          {std::stoll(line.substr(time_comma + 1)), std::stod(line.substr(value_comma + 1))});
    }
    std::vector<HostSeries> out;
    for (auto& [name, samples] : by_name) out.push_back({name, std::move(samples)});
    return out;
  }();
  return series;
}

// The values alone, by series name, in time order.
inline const std::map<std::string, std::vector<double>>& HostValues() {
  static const auto values = [] {
    std::map<std::string, std::vector<double>> out;
    for (const HostSeries& s : LoadHostSeries()) {
      std::vector<double>& v = out[s.name];
      for (const Sample& sample : s.samples) v.push_back(sample.value);
    }
    return out;
  }();
  return values;
}

inline std::string KindOf(const std::string& name) { return name.substr(0, name.find('{')); }

// Every series of metric `kind`, or every series for "".
inline std::vector<const HostSeries*> SeriesOfKind(const std::string& kind) {
  std::vector<const HostSeries*> out;
  for (const HostSeries& s : LoadHostSeries()) {
    if (kind.empty() || KindOf(s.name) == kind) out.push_back(&s);
  }
  return out;
}

// `width` series for a tick-shaped benchmark: the host's, repeated with a
// "copy" label and shifted in time so copies differ. Requires a non-empty
// capture.
class HostColumns {
 public:
  explicit HostColumns(size_t width) {
    for (size_t k = 0; k < width; ++k) {
      const auto& [name, values] = *std::next(HostValues().begin(), k % HostValues().size());
      ids_.push_back(
          *registry_.Intern("host", Labels{{"copy", std::to_string(k / 170)}, {"series", name}}));
      columns_.push_back(&values);
    }
  }
  size_t width() const { return ids_.size(); }
  SeriesId id(size_t k) const { return ids_[k]; }
  // Series k's value at tick i.
  double Value(size_t i, size_t k) const {
    const std::vector<double>& column = *columns_[k];
    return column[(i + 37 * (k / 170)) % column.size()];
  }
  SeriesRegistry& registry() { return registry_; }

 private:
  SeriesRegistry registry_;
  std::vector<SeriesId> ids_;
  std::vector<const std::vector<double>*> columns_;
};

}  // namespace perfwatch::bench
