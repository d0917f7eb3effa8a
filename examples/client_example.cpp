// A pretend optimizer run (seed 001) that reports its metrics to perfwatch
// through include/perfwatch/client.hpp: component timings, a request timer
// with a status tag, cache hit/miss counters, a byte counter and a cache size
// gauge. examples/README.md shows what perfwatch makes of them.
//
//   client_example [SECONDS]     (default 10; PERFWATCH_STATSD, PERFWATCH_APP)

#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <perfwatch/client.hpp>
#include <random>
#include <string>
#include <thread>
#include <unordered_map>

namespace {

using Clock = std::chrono::steady_clock;

// Sleeps a log-normally distributed number of milliseconds around `median_ms`,
// standing in for real work.
void Work(std::mt19937& rng, double median_ms) {
  std::lognormal_distribution<double> ms(std::log(median_ms), 0.4);
  std::this_thread::sleep_for(std::chrono::duration<double, std::milli>(ms(rng)));
}

// A cache in front of the data source: hits and misses counted, size gauged.
class Cache {
 public:
  explicit Cache(perfwatch::Client& pw)
      : hits_(pw.GetCounter("shop.cache.hits")),
        misses_(pw.GetCounter("shop.cache.misses")),
        size_(pw.GetGauge("shop.cache.size")) {}

  bool Lookup(int key) {
    const bool hit = entries_.count(key) > 0;
    (hit ? hits_ : misses_).Increment();
    if (!hit) entries_[key] = key;
    if (entries_.size() > 500) entries_.clear();
    size_.Set(static_cast<double>(entries_.size()));
    return hit;
  }

 private:
  perfwatch::Counter& hits_;
  perfwatch::Counter& misses_;
  perfwatch::Gauge& size_;
  std::unordered_map<int, int> entries_;
};

void OneRun(perfwatch::Client& pw, Cache& cache, std::mt19937& rng) {
  perfwatch::Counter& bytes = pw.GetCounter("shop.bytes");
  {
    auto t = pw.Time("Data Loading");
    std::uniform_int_distribution<int> key(0, 800);
    for (int i = 0; i < 20; ++i) {
      const auto start = Clock::now();
      const bool hit = cache.Lookup(key(rng));
      if (!hit) Work(rng, 2);
      bytes.Add(hit ? 4096 : 256 * 1024);
      // One in 50 requests fails, as a flaky backend would.
      const char* status = std::uniform_int_distribution<int>(0, 49)(rng) == 0 ? "500" : "200";
      const std::chrono::duration<double, std::milli> ms = Clock::now() - start;
      pw.Timing("shop.request", ms.count(), {{"status", status}});
    }
  }
  {
    auto t = pw.Time("Preprocessing");
    Work(rng, 15);
  }
  auto t = pw.Time("Optimization");
  perfwatch::Counter& iterations = pw.GetCounter("optimizer.iterations");
  perfwatch::Gauge& fitness = pw.GetGauge("optimizer.best_fitness");
  double best = 0;
  for (int generation = 0; generation < 10; ++generation) {
    Work(rng, 4);
    best += std::uniform_real_distribution<double>(0, 1.0 / (generation + 1))(rng);
    iterations.Increment();
    fitness.Set(best);
  }
}

}  // namespace

int main(int argc, char** argv) {
  const int seconds = argc > 1 ? std::atoi(argv[1]) : 10;
  perfwatch::ClientOptions options = perfwatch::ClientOptions::FromEnvironment();
  if (options.app.empty()) options.app = "optimizer";
  perfwatch::Client pw(options);
  std::printf("sending to %s:%u as app \"%s\" for %d s\n", options.host.c_str(),
              static_cast<unsigned>(options.port), options.app.c_str(), seconds);

  Cache cache(pw);
  std::mt19937 rng(42);
  const auto end = Clock::now() + std::chrono::seconds(seconds);
  int runs = 0;
  while (Clock::now() < end) {
    OneRun(pw, cache, rng);
    ++runs;
  }
  pw.Flush();
  const perfwatch::ClientStats stats = pw.Stats();
  std::printf("%d runs; %llu datagrams (%llu bytes) sent, %llu send errors\n", runs,
              static_cast<unsigned long long>(stats.packets_sent),
              static_cast<unsigned long long>(stats.bytes_sent),
              static_cast<unsigned long long>(stats.send_errors));
  return 0;
}
