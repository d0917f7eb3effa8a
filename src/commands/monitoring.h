#pragma once
// Monitoring: the judging half of `perfwatch` serving — the status class of
// every tick, the alert rules evaluated over the recent window, the
// notifications they send, the closed tuning loop (tune/), and the analysis
// and report the API serves. main owns one and feeds it from the collection
// loop.
//
// Thread-safety: Finish and Observe run on the collection thread (the loop
// calls them in that order for each tick); StatusJson, AnalysisJson and
// Report may be called from any thread. `registry` and `store` must outlive
// it.

#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "alert/alert_db.h"
#include "alert/engine.h"
#include "analysis/analysis.h"
#include "analysis/report.h"
#include "analysis/status_class.h"
#include "config/config.h"
#include "model/registry.h"
#include "model/tick.h"
#include "notify/dispatcher.h"
#include "query/window_cache.h"
#include "store/store.h"
#include "tune/tuning.h"

namespace perfwatch {

// Seed 000's rules merged with the config's and the rule files' (a user
// rule replaces a built-in of the same name). Errors name the file and line.
Result<std::vector<RuleSpec>> EffectiveRules(const Config& config);

// The receivers to notify: the config's, or console plus a JSON log at
// <data_dir>/alerts.log when it names none.
std::vector<ReceiverOptions> EffectiveReceivers(const Config& config);

// Tuning as the config asks: seed 000's rules (unless builtin_rules is off)
// merged with the config's, the database in <data_dir>/perfwatch.db.
Result<TuningSetup> EffectiveTuning(const Config& config);

class Monitoring {
 public:
  // Opens the alert tables in <data_dir>/perfwatch.db, compiles the rules
  // and starts the notification threads.
  // The recent window is primed from `store` (the history replayed from
  // the WAL), so after a restart a rule sees the same last five minutes
  // Prometheus would, and a firing alert does not resolve merely because
  // the first tick after the restart has no rates yet.
  static Result<std::unique_ptr<Monitoring>> Start(const Config& config, SeriesRegistry& registry,
                                                   const Store& store);
  ~Monitoring();  // flushes waiting notifications and joins
  Monitoring(const Monitoring&) = delete;
  Monitoring& operator=(const Monitoring&) = delete;

  // Classifies the tick and appends perfwatch_status* to it (before it is
  // frozen); logs performance_degradation_detected when the class worsens.
  void Finish(Tick& tick);
  // Feeds the recent window and evaluates every rule at the tick's time.
  void Observe(const Tick& tick);

  // The last tick's status report as JSON; "" before the first tick.
  std::string StatusJson() const;
  AlertEngine& alerts() { return *engine_; }
  // Tunables, tuning rules and their audit (the loop itself runs in
  // Observe).
  Tuning& tuning() { return *tuning_; }
  // Bottlenecks and trends now, from the store.
  Result<std::string> AnalysisJson() const;
  // The period report ("text", "json" or "html") over the last `hours`.
  Result<std::string> Report(double hours, std::string_view format) const;

 private:
  Monitoring(const Config& config, SeriesRegistry& registry, const Store& store);
  // Feeds the window the stored samples of the last `back_ms` before now.
  void PrimeWindow(int64_t back_ms);

  SeriesRegistry& registry_;
  const Store& store_;
  AnalysisOptions analysis_options_;
  WindowCache window_;  // collection thread only
  std::unique_ptr<AlertDb> db_;
  std::unique_ptr<Dispatcher> dispatcher_;
  std::unique_ptr<AlertEngine> engine_;
  std::unique_ptr<Tuning> tuning_;
  StatusClassifier classifier_;  // collection thread only
  RuleRangeNeeds needs_;

  mutable std::mutex mu_;
  StatusReport status_;  // protected by mu_
  bool has_status_ = false;
  std::string status_json_;  // protected by mu_
};

// The host's name for reports (gethostname); "" when it has none.
std::string ReportHostName();

// The alerts of a period for reports: one row per alert that was active in
// it, from the engine's history and its current alerts.
std::vector<ReportAlert> ReportAlertsFrom(const std::vector<AlertHistoryEntry>& history,
                                          const std::vector<Alert>& current, TimestampMs from_ms);

// Reports read at most this many tuning decisions of a period, to count
// those beyond kReportTuningRows.
inline constexpr size_t kReportTuningScan = 10'000;

// The audit query for the tuning decisions of a period that starts at
// `from_ms`.
TuningAuditFilter ReportTuningFilter(TimestampMs from_ms);

// Fills the tuning part of `report` from the period's audit rows (newest
// first, as TuningDb::Audit gives them, read with ReportTuningFilter): the
// newest kReportTuningRows, the count of the rest, and `mode`. `tunables`
// tell which knobs are on/off switches; a toggle, or a set to true/false,
// also tells.
void FillReportTuning(const std::vector<TuningRecord>& records,
                      const std::vector<Tunable>& tunables, ReportTuningMode mode,
                      ReportData& report);

}  // namespace perfwatch
