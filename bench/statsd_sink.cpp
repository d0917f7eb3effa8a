// statsd_sink: perfwatch's StatsD path alone, for measuring it without the
// rest of perfwatch (store, rules, HTTP): a StatsdServer into an AppMetrics
// flushed into a Tick every second, as the collection loop does, the
// Tick then dropped. Runs until SIGINT/SIGTERM, then prints what it took.
//
//   statsd_sink HOST:PORT
//
// Output: "listening HOST:PORT" once bound, then at exit one line:
// accepted, errors (all reasons), series, datagrams, lines.

#include <signal.h>

#include <chrono>
#include <cstdio>
#include <string>

#include "ingest/app_metrics.h"
#include "ingest/statsd_server.h"
#include "model/registry.h"
#include "model/tick.h"

using namespace perfwatch;

namespace {

TimestampMs NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// Sum of perfwatch_ingest_errors_total{source="statsd"} in one flush.
double FlushOnce(AppMetrics& metrics, SeriesRegistry& registry) {
  Tick tick(registry, NowMs());
  metrics.Flush(tick, tick.time());
  double errors = 0;
  for (const auto& [id, value] : tick.samples()) {
    const SeriesKey& key = registry.Key(id);
    if (key.name == "perfwatch_ingest_errors_total" && key.labels.Get("source") == "statsd") {
      errors += value;
    }
  }
  return errors;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: statsd_sink HOST:PORT\n");
    return 2;
  }
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);  // before the server's thread starts

  AppMetrics metrics;
  StatsdOptions options;
  options.listen = argv[1];
  Result<std::unique_ptr<StatsdServer>> server = StatsdServer::Start(options, metrics);
  if (!server.ok()) {
    std::fprintf(stderr, "statsd_sink: %s\n", server.status().message().c_str());
    return 1;
  }
  std::printf("listening %s\n", argv[1]);
  std::fflush(stdout);

  SeriesRegistry registry;
  double errors = 0;
  const timespec second{1, 0};
  while (sigtimedwait(&signals, nullptr, &second) < 0) errors = FlushOnce(metrics, registry);
  (*server)->Stop();
  errors = FlushOnce(metrics, registry);
  StatsdServerStats stats = (*server)->Stats();
  std::printf("accepted=%llu errors=%.0f series=%zu datagrams=%llu lines=%llu\n",
              static_cast<unsigned long long>(metrics.AcceptedCount(IngestSource::kStatsd)), errors,
              metrics.SeriesCount(IngestSource::kStatsd),
              static_cast<unsigned long long>(stats.datagrams),
              static_cast<unsigned long long>(stats.lines));
  return 0;
}
