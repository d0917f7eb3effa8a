#pragma once
// Random history for round-trip tests: label values that need every
// escape, multi-byte UTF-8, NaN, ±Inf, -0.0, subnormals, huge counters and
// random bit patterns; timestamps strictly increasing per series. Series
// come grouped by metric name, as writers expect.

#include <bit>
#include <cstdint>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "history_test_util.h"

namespace perfwatch {

struct RandomHistoryOptions {
  TimestampMs min_start = -1'000'000'000'000;
  TimestampMs max_start = 4'000'000'000'000;
  int max_step_ms = 100'000;
  int max_samples = 50;
};

inline double RandomValue(std::mt19937_64& rng) {
  static const double kSpecial[] = {
      std::numeric_limits<double>::quiet_NaN(),
      std::numeric_limits<double>::infinity(),
      -std::numeric_limits<double>::infinity(),
      -0.0,
      0.0,
      1e-300,
      std::numeric_limits<double>::denorm_min(),
      std::numeric_limits<double>::max(),
      -std::numeric_limits<double>::max(),
      9007199254740993.0,      // 2^53 + 1 rounds to 2^53
      18446744073709551615.0,  // 2^64
      1.8446744073709552e19,
      0.1,
      -2.5,
  };
  switch (rng() % 4) {
    case 0:
      return kSpecial[rng() % std::size(kSpecial)];
    case 1:  // any bit pattern: subnormals, NaN payloads, huge exponents
      return std::bit_cast<double>(static_cast<uint64_t>(rng()));
    case 2:  // a large counter
      return static_cast<double>(rng() % (uint64_t{1} << 62));
    default:
      return std::uniform_real_distribution<double>(-1e6, 1e6)(rng);
  }
}

inline std::string RandomLabelValue(std::mt19937_64& rng) {
  static const char* kPieces[] = {"a",
                                  "Z",
                                  "0",
                                  " ",
                                  "\\",
                                  "\"",
                                  "\n",
                                  ",",
                                  "{",
                                  "}",
                                  "=",
                                  "\t",
                                  "\xC3\xA9",
                                  "\xE2\x82\xAC",
                                  "\xF0\x9F\x98\x80",
                                  "\\n",
                                  "#",
                                  "'"};
  std::string value;
  size_t n = 1 + rng() % 12;
  for (size_t i = 0; i < n; ++i) value += kPieces[rng() % std::size(kPieces)];
  return value;
}

inline std::string RandomHelp(std::mt19937_64& rng) {
  if (rng() % 4 == 0) return "";
  return "Help with \"quotes\", a \\ backslash,\na new line and " + RandomLabelValue(rng);
}

inline std::vector<CollectedSeries> RandomHistory(uint32_t seed, int names,
                                                  const RandomHistoryOptions& options = {}) {
  std::mt19937_64 rng(seed);
  std::vector<CollectedSeries> out;
  static const char* kLabelNames[] = {"a", "cpu", "path", "le", "_x", "Z9", "mode"};
  for (int n = 0; n < names; ++n) {
    std::optional<MetricMeta> meta;
    std::string name;
    switch (rng() % 3) {
      case 0:
        name = "m";  // built piecewise: GCC 12 -O3 has a false -Wrestrict on "m" + to_string
        name += std::to_string(n);
        name += "_bytes_total";
        meta = MetricMeta{name, MetricKind::kCounter, RandomHelp(rng), "bytes"};
        break;
      case 1:
        name = "g";
        name += std::to_string(n);
        name += rng() % 2 ? "_seconds" : ":ratio";
        meta = MetricMeta{name, MetricKind::kGauge, RandomHelp(rng),
                          name.ends_with("_seconds") ? "seconds" : ""};
        break;
      default:
        name = "u";
        name += std::to_string(n);
    }
    size_t series_count = 1 + rng() % 3;
    for (size_t k = 0; k < series_count; ++k) {
      std::vector<Label> labels;
      labels.push_back({"series", std::to_string(k)});
      size_t label_count = rng() % 4;
      for (size_t j = 0; j < label_count; ++j) {
        labels.push_back({kLabelNames[rng() % std::size(kLabelNames)], RandomLabelValue(rng)});
      }
      std::sort(labels.begin(), labels.end(),
                [](const Label& x, const Label& y) { return x.name < y.name; });
      labels.erase(std::unique(labels.begin(), labels.end(),
                               [](const Label& x, const Label& y) { return x.name == y.name; }),
                   labels.end());
      CollectedSeries series{{name, *Labels::Make(labels)}, meta, {}};
      TimestampMs t =
          std::uniform_int_distribution<TimestampMs>(options.min_start, options.max_start)(rng);
      int samples = 1 + static_cast<int>(rng() % options.max_samples);
      for (int i = 0; i < samples; ++i) {
        series.samples.push_back({t, RandomValue(rng)});
        t += 1 + static_cast<TimestampMs>(rng() % options.max_step_ms);
      }
      out.push_back(std::move(series));
    }
  }
  return out;
}

}  // namespace perfwatch
