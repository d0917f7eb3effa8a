#include "commands/app_ingest.h"

namespace perfwatch {

IngestLimits ToIngestLimits(const Config& config) {
  IngestLimits l;
  l.max_series = config.ingest.max_series;
  l.max_labels = config.ingest.max_labels;
  l.max_name_bytes = config.ingest.max_name_length;
  l.max_label_value_bytes = config.ingest.max_label_value_length;
  l.series_ttl_ms = config.ingest.series_ttl_ms;
  l.max_sample_age_ms = config.ingest.max_sample_age_ms;
  return l;
}

ObserverOptions ToObserverOptions(const Config& config) {
  ObserverOptions o;
  o.quantile_window_ms = config.statsd.quantile_window_ms;
  o.flush_interval_ms = config.statsd.flush_interval_ms;
  if (!config.statsd.buckets.empty()) o.buckets = config.statsd.buckets;
  return o;
}

Result<std::unique_ptr<AppIngest>> AppIngest::Start(const Config& config,
                                                    SeriesRegistry& registry) {
  std::unique_ptr<AppIngest> ingest(new AppIngest());
  ingest->metrics_ =
      std::make_unique<AppMetrics>(ToIngestLimits(config), ToObserverOptions(config));
  if (config.statsd.listen != "off") {
    StatsdOptions options;
    options.listen = config.statsd.listen;
    options.receive_buffer_bytes = config.statsd.receive_buffer_bytes;
    options.histogram_kind =
        config.statsd.histogram_type == "summary" ? AppKind::kSummary : AppKind::kHistogram;
    Result<std::unique_ptr<StatsdServer>> statsd = StatsdServer::Start(options, *ingest->metrics_);
    if (!statsd.ok()) {
      // The default port is shared with every other StatsD daemon: say how
      // to move or drop ours rather than only that the bind failed.
      return Status::IOError(statsd.status().message() +
                             " (StatsD; --statsd-listen HOST:PORT picks another address, "
                             "--statsd-listen off disables it)");
    }
    ingest->statsd_ = std::move(*statsd);
  }
  if (!config.scrape.empty()) {
    std::vector<ScrapeTarget> targets;
    for (const ScrapeConfig& s : config.scrape) {
      ScrapeTarget t;
      t.job = s.job;
      t.url = s.url;
      t.interval_ms = s.interval_ms;
      t.timeout_ms = s.timeout_ms;
      t.sample_limit = s.sample_limit;
      t.honor_labels = s.honor_labels;
      targets.push_back(std::move(t));
    }
    Result<std::unique_ptr<Scraper>> scraper =
        Scraper::Start(std::move(targets), registry, config.collect.interval_ms);
    if (!scraper.ok()) return scraper.status();
    ingest->scraper_ = std::move(*scraper);
  }
  return ingest;
}

AppIngest::~AppIngest() {
  if (scraper_) scraper_->Stop();
  if (statsd_) statsd_->Stop();
}

uint16_t AppIngest::statsd_port() const { return statsd_ ? statsd_->port() : 0; }

void AppIngest::Flush(Tick& tick) {
  metrics_->Flush(tick, tick.time());
  if (scraper_) scraper_->Flush(tick);
}

}  // namespace perfwatch
