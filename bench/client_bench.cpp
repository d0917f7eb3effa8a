// The client library's cost on the caller's thread (include/perfwatch/client.hpp).
//
//   ninja -C build client_bench && build/bench/client_bench
//
// The Client flushes every second from its background thread to a port where
// nothing listens, as a program does when perfwatch is not running. Times are
// per call (ns/op); "/threads:2" calls from two threads at once: on one
// shared counter (contended cache line) or on one counter per thread.
// Histogram::Observe runs past max_observations within the first interval,
// so it measures the steady state of a hot timer (reservoir sampling).

#include <benchmark/benchmark.h>

#include <perfwatch/client.hpp>

namespace perfwatch {
namespace {

Client& SharedClient() {
  static Client client([] {
    ClientOptions options;
    options.port = 9;  // discard: nothing listens
    options.app = "bench";
    return options;
  }());
  return client;
}

void BM_CounterAdd(benchmark::State& state) {
  Counter& c = SharedClient().GetCounter("bench.counter");
  for (auto _ : state) c.Add(1);
}
BENCHMARK(BM_CounterAdd)->Threads(1)->Threads(2);

void BM_CounterAddOwnCounterPerThread(benchmark::State& state) {
  Counter& c = SharedClient().GetCounter("bench.counter.per_thread",
                                         {{"thread", std::to_string(state.thread_index())}});
  for (auto _ : state) c.Add(1);
}
BENCHMARK(BM_CounterAddOwnCounterPerThread)->Threads(2);

void BM_CounterAddDouble(benchmark::State& state) {
  Counter& c = SharedClient().GetCounter("bench.counter.double");
  for (auto _ : state) c.Add(0.5);
}
BENCHMARK(BM_CounterAddDouble);

void BM_GaugeSet(benchmark::State& state) {
  Gauge& g = SharedClient().GetGauge("bench.gauge");
  double v = 0;
  for (auto _ : state) g.Set(v += 1);
}
BENCHMARK(BM_GaugeSet);

void BM_HistogramObserve(benchmark::State& state) {
  Histogram& h = SharedClient().GetHistogram("bench.histogram");
  double v = 0;
  for (auto _ : state) h.Observe(v += 0.25);
}
BENCHMARK(BM_HistogramObserve)->Threads(1)->Threads(2);

// Two clock reads and an Observe.
void BM_TimerStartStop(benchmark::State& state) {
  Histogram& h = SharedClient().GetHistogram("bench.timer");
  for (auto _ : state) {
    Timer t = h.Time();
  }
}
BENCHMARK(BM_TimerStartStop);

// Client::Time by component name: the registry look-up on top of the above.
void BM_ClientTimeByName(benchmark::State& state) {
  Client& pw = SharedClient();
  for (auto _ : state) {
    Timer t = pw.Time("Data Loading");
  }
}
BENCHMARK(BM_ClientTimeByName);

void BM_GetCounterByName(benchmark::State& state) {
  Client& pw = SharedClient();
  for (auto _ : state) benchmark::DoNotOptimize(&pw.GetCounter("shop.cache.hits"));
}
BENCHMARK(BM_GetCounterByName);

}  // namespace
}  // namespace perfwatch
