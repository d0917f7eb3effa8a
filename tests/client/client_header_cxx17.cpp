// Compiled as C++17 with -Wpedantic -Werror: the client headers must build
// in programs older than perfwatch's own C++20, and together.
#include <perfwatch/client.hpp>
#include <perfwatch/tuning.hpp>

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

[[maybe_unused]] void UseEveryTunerEntryPoint(perfwatch::Tuner& tuner) {
  tuner.Number("cache.size", 1000, 10, 100000, 1, "items", [](const perfwatch::Change& c) {
    return c.value > 50000 ? perfwatch::TuneResult::Reject("too large")
                           : perfwatch::TuneResult::Accept();
  });
  tuner.Bool("async.enabled", false, [](const perfwatch::Change& c) {
    return c.enabled() ? perfwatch::TuneResult::Accept() : perfwatch::TuneResult::Reject("no");
  });
  tuner.Choice("pool.size", 4, {1, 2, 4, 8}, "threads");
  tuner.Hook("cache_warmup",
             [](const perfwatch::HookCall&) { return perfwatch::TuneResult::Accept(); });
  tuner.Describe("cache.size", "LRU entries");
  std::string error;
  if (!tuner.Start(&error)) return;
  tuner.Set("cache.size", tuner.Value("cache.size") + 1);
  [[maybe_unused]] bool on = tuner.Enabled("async.enabled");
  [[maybe_unused]] perfwatch::TunerStats s = tuner.Stats();
  [[maybe_unused]] std::string why = tuner.LastError() + tuner.webhook();
  [[maybe_unused]] uint16_t port = tuner.port();
  tuner.Stop();
}

[[maybe_unused]] perfwatch::TunerOptions Options() {
  return perfwatch::TunerOptions::FromEnvironment();
}

}  // namespace
