#pragma once
// Test fixture: series written in promtool's input_series notation
// ('cpu{instance="a"}' with values '10+5x20 _ 3'), loaded at one sample
// per interval from t=0 into a registry, a MemStore and a WindowCache.

#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "model/registry.h"
#include "model/selector.h"
#include "model/tick.h"
#include "query/store_source.h"
#include "query/window_cache.h"
#include "store/mem_store.h"

namespace perfwatch::testing {

struct InputSeries {
  std::string series;  // metric{label="value",...}
  std::string values;  // promtool's expanding notation
};

// Expands "1 2 _ 5+2x3 _x2 10-1x2" to one optional value per step; the
// step of A+BxN is added N times, as promtool does.
inline std::vector<std::optional<double>> ExpandValues(const std::string& text) {
  std::vector<std::optional<double>> out;
  std::istringstream in(text);
  std::string item;
  while (in >> item) {
    if (item == "_") {
      out.push_back(std::nullopt);
      continue;
    }
    if (item.starts_with("_x")) {
      out.insert(out.end(), std::stoul(item.substr(2)), std::nullopt);
      continue;
    }
    size_t x = item.find('x');
    if (x == std::string::npos) {
      out.push_back(std::stod(item));
      continue;
    }
    size_t sign = item.find_first_of("+-", 1);
    double value = std::stod(item.substr(0, sign));
    double step = std::stod(item.substr(sign, x - sign));
    size_t n = std::stoul(item.substr(x + 1));
    out.push_back(value);
    for (size_t i = 0; i < n; ++i) out.push_back(value += step);
  }
  return out;
}

// Parses 'cpu{instance="a"}' into a name and labels.
inline std::pair<std::string, Labels> ParseSeriesName(const std::string& text) {
  Result<SeriesSelector> sel = SeriesSelector::Parse(text);
  EXPECT_TRUE(sel.ok()) << text << ": " << sel.status().message();
  std::vector<Label> labels;
  for (const LabelMatcher& m : sel->matchers()) labels.push_back(Label{m.name, m.value});
  Result<Labels> made = Labels::Make(std::move(labels));
  EXPECT_TRUE(made.ok()) << made.status().message();
  return {sel->metric(), *made};
}

class SeriesFixture {
 public:
  explicit SeriesFixture(int64_t window_ms = 3600'000)
      : store(MemStoreOptions{.retention_ms = 24 * 3600'000LL}),
        source(registry, store),
        cache(registry, window_ms) {}

  // Loads the series; sample i of each lands at i * interval_ms.
  void Load(const std::vector<InputSeries>& series, int64_t interval_ms) {
    std::map<TimestampMs, std::vector<std::pair<size_t, double>>> by_time;
    std::vector<std::pair<std::string, Labels>> keys;
    for (size_t s = 0; s < series.size(); ++s) {
      keys.push_back(ParseSeriesName(series[s].series));
      std::vector<std::optional<double>> values = ExpandValues(series[s].values);
      for (size_t i = 0; i < values.size(); ++i) {
        if (values[i]) by_time[static_cast<int64_t>(i) * interval_ms].emplace_back(s, *values[i]);
      }
    }
    for (const auto& [t, samples] : by_time) {
      Tick tick(registry, t);
      for (const auto& [s, v] : samples) {
        ASSERT_TRUE(tick.Append(keys[s].first, keys[s].second, v).ok());
      }
      ASSERT_TRUE(store.Commit(tick).ok());
      cache.Observe(tick);
    }
  }

  SeriesRegistry registry;
  MemStore store;
  StoreSource source;
  WindowCache cache;
};

}  // namespace perfwatch::testing
