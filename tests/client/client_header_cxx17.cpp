// Compiled as C++17 with -Wpedantic -Werror: the client header must build
// in programs older than perfwatch's own C++20.
#include <perfwatch/client.hpp>

namespace {

[[maybe_unused]] void UseEveryEntryPoint(perfwatch::Client& pw) {
  pw.GetCounter("a.b", {{"k", "v"}}).Add(1);
  pw.GetCounter("a.b").Add(uint64_t{2});
  pw.GetCounter("a.b").Add(0.5);
  pw.GetGauge("g").Set(3);
  pw.GetGauge("g").Add(-1);
  pw.GetHistogram("h", {}, perfwatch::HistogramType::kHistogram).Observe(2);
  perfwatch::Timer t = pw.Time("Optimization");
  t.Stop();
  pw.Timing("api.request", 1.5, {{"status", "200"}});
  pw.Flush();
}

}  // namespace
