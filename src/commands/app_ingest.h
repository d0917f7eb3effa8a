#pragma once
// AppIngest: the application-metrics half of `perfwatch` serving — the
// aggregator that StatsD, HTTP push and OTLP write into, the StatsD UDP
// listener and the scrape targets — built from a Config. main owns one,
// hands metrics() to the API and calls Flush on every tick.
//
// Thread-safety: Flush runs on the collection thread; metrics() is
// thread-safe (AppMetrics is). `registry` must outlive it.

#include <memory>

#include "config/config.h"
#include "ingest/app_metrics.h"
#include "ingest/scraper.h"
#include "ingest/statsd_server.h"
#include "model/registry.h"
#include "model/tick.h"

namespace perfwatch {

// The limits and observer options the config asks for.
IngestLimits ToIngestLimits(const Config& config);
ObserverOptions ToObserverOptions(const Config& config);

class AppIngest {
 public:
  // Binds the StatsD socket (unless statsd.listen is "off") and starts
  // one scraper thread per target. Fails with a message naming the
  // address when the socket cannot be bound.
  static Result<std::unique_ptr<AppIngest>> Start(const Config& config, SeriesRegistry& registry);
  ~AppIngest();  // stops the listener and the scrapers
  AppIngest(const AppIngest&) = delete;
  AppIngest& operator=(const AppIngest&) = delete;

  AppMetrics& metrics() { return *metrics_; }
  // The StatsD port actually bound; 0 when StatsD is off.
  uint16_t statsd_port() const;

  // Appends every application series, the derived application metrics
  // and the scraped targets' latest samples to the tick.
  void Flush(Tick& tick);

 private:
  AppIngest() = default;
  std::unique_ptr<AppMetrics> metrics_;
  std::unique_ptr<StatsdServer> statsd_;  // null when off
  std::unique_ptr<Scraper> scraper_;      // null without targets
};

}  // namespace perfwatch
