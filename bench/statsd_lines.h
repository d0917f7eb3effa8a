#pragma once
// StatsD datagrams for the benchmarks and the load generator: lines of
// `series` distinct series (half counters, three tenths timers, a fifth
// gauges, all tagged), packed into datagrams of about `datagram_bytes`,
// with `malformed_percent` of the lines drawn from the malformed classes
// the parser refuses. Deterministic for a seed.

#include <cstddef>
#include <random>
#include <string>
#include <string_view>
#include <vector>

namespace perfwatch::bench {

struct StatsdDatagrams {
  std::vector<std::string> datagrams;
  size_t lines = 0;  // over all datagrams
  std::vector<size_t> lines_per_datagram;
};

inline std::string StatsdLine(size_t series, std::mt19937_64& rng) {
  const size_t kind = series % 10;
  const std::string id = std::to_string(series / 10);
  const std::string host = std::to_string(series % 16);
  if (kind < 5) {
    return "bench.requests." + id + ":" + std::to_string(1 + rng() % 3) + "|c|#env:prod,host:h" +
           host;
  }
  if (kind < 8) {
    return "bench.latency." + id + ":" + std::to_string(1 + rng() % 500) + "." +
           std::to_string(rng() % 10) + "|ms|#status:200,host:h" + host;
  }
  return "bench.queue." + id + ":" + std::to_string(rng() % 1000) + "|g|#host:h" + host;
}

inline std::string_view MalformedStatsdLine(std::mt19937_64& rng) {
  static constexpr std::string_view kBad[] = {
      "x:1|c|@Infinity", "no_value",    "x:NaN|g",         "x\xff\xfe:1|c",
      "_e{1,1}:a|b",     "_sc|check|0", "x:1|q",           "x:-1|c",
      "x:1|c|#:v",       "x:1|c|T-5",   "x:1|c|@0",        ":1|c",
      "x:1|c|zz",        "x:0x10|g",    "x:1|c|@0.5|@0.5", "x:1e999|ms",
  };
  return kBad[rng() % std::size(kBad)];
}

inline StatsdDatagrams MakeStatsdDatagrams(size_t series, size_t count, size_t datagram_bytes,
                                           unsigned malformed_percent, uint64_t seed = 1) {
  std::mt19937_64 rng(seed);
  StatsdDatagrams out;
  size_t next_series = 0;
  std::string line;  // a line that did not fit starts the next datagram
  for (size_t d = 0; d < count; ++d) {
    std::string datagram;
    size_t lines = 0;
    for (;;) {
      if (line.empty()) {
        line = rng() % 100 < malformed_percent ? std::string(MalformedStatsdLine(rng))
                                               : StatsdLine(next_series++ % series, rng);
      }
      if (!datagram.empty() && datagram.size() + 1 + line.size() > datagram_bytes) break;
      if (!datagram.empty()) datagram += '\n';
      datagram += line;
      line.clear();
      ++lines;
    }
    out.lines += lines;
    out.lines_per_datagram.push_back(lines);
    out.datagrams.push_back(std::move(datagram));
  }
  return out;
}

}  // namespace perfwatch::bench
