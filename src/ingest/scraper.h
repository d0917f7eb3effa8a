#pragma once
// Scraper: pulls Prometheus text from `scrape:` targets, each on its own
// thread every interval, and hands the latest successful scrape of every
// target to each collection tick, as Prometheus's scrape loop does.
//
// Per target and tick (Flush), once the target has been scraped at least once:
//   every sample of the latest scrape, with job=<job> and
//   instance=<host:port> added (a target's own job/instance become
//   exported_job/exported_instance unless honor_labels); none while the
//   last scrape failed (stale)
//   up{job,instance}                                   1 or 0
//   scrape_duration_seconds{job,instance}
//   scrape_samples_scraped{job,instance}               sample lines in the body
//   scrape_samples_post_metric_relabeling{job,instance} (no relabeling: kept samples)
//   scrape_series_added{job,instance}                  series not in the previous scrape
//   perfwatch_scrape_errors_total{job,instance,reason} failed scrapes by reason
//
// A scrape fails, as in Prometheus, on a transport error or timeout, an HTTP
// status other than 200, any malformed line, more samples than
// sample_limit, or a series perfwatch cannot take (bad labels, full
// registry, a body over HttpGet's 4 MiB). Each change of a target's
// failure is logged once (scrape_failed, scrape_recovered). Timestamps in
// the exposition are ignored: every sample takes the tick's time.
//
// Thread-safe: Flush may be called from any one thread while the scrape
// threads run. The registry must outlive the Scraper. Stop (and the
// destructor) waits for scrapes in flight, at most one timeout.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "model/registry.h"
#include "model/status.h"
#include "model/tick.h"

namespace perfwatch {

struct ScrapeTarget {
  std::string job;  // the job label
  std::string url;  // http://host[:port]/path
  // Time between scrapes; 0 = the collection interval.
  int64_t interval_ms = 0;
  // A scrape is abandoned after this long; 0 = min(interval, 10 s).
  int64_t timeout_ms = 0;
  // A scrape with more samples fails (up=0); 0 = no limit.
  size_t sample_limit = 50'000;
  // true: the target's own job/instance labels win over the configured ones.
  bool honor_labels = false;
};

class Scraper {
 public:
  // Validates every target (URL, job, no two alike) and starts one thread
  // per target; the first scrape starts at once.
  static Result<std::unique_ptr<Scraper>> Start(std::vector<ScrapeTarget> targets,
                                                SeriesRegistry& registry,
                                                int64_t default_interval_ms);
  ~Scraper();
  Scraper(const Scraper&) = delete;
  Scraper& operator=(const Scraper&) = delete;

  // Appends every target's latest scrape and its report series to `tick`.
  void Flush(Tick& tick);

  // Ends the scrape threads; idempotent.
  void Stop();

  // For tests: waits until every target has finished at least `scrapes`
  // scrapes since Start; false when `timeout` passed first.
  bool WaitForScrapes(uint64_t scrapes, std::chrono::milliseconds timeout);

 private:
  struct Target;  // one target's thread and latest scrape; scraper.cpp
  Scraper() = default;
  std::vector<std::unique_ptr<Target>> targets_;
};

}  // namespace perfwatch
