#pragma once
// AlertEngine: evaluates alerting rules and carries each alert through
// Prometheus's lifecycle (inactive -> pending -> firing -> resolved), with
// keep_firing_for, hysteresis (RuleSpec::keep_firing_while), silences,
// acknowledgements and a repeat interval; hands the notices that must go
// out to an AlertSink and keeps state and history in an AlertDb, so a
// restart neither loses an alert nor notifies it twice.
//
// Every change an evaluation makes is written to the AlertDb in one
// transaction (synchronous FULL) before its notices reach the sink.
//
// Thread-safety: Evaluate runs on one thread (the collection thread, which
// also owns the SeriesSource); everything else may be called from any
// thread at any time. The sink is called without the engine's locks held.
// Lifetimes: `source`, `db` and `sink` must outlive the engine.

#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "alert/alert.h"
#include "alert/alert_db.h"
#include "alert/rule_spec.h"
#include "alert/silence.h"
#include "query/query.h"

namespace perfwatch {

struct AlertEngineOptions {
  // A firing alert that is neither acknowledged nor silenced is notified
  // again this long after the last notice (Alertmanager's default).
  int64_t repeat_interval_ms = 4 * 3600 * 1000;
  // How long a resolved alert stays in Alerts() (Prometheus: 15 min).
  int64_t resolved_retention_ms = 15 * 60 * 1000;
  // An acknowledged alert is notified again (kWorse) when its value moves
  // this fraction of the acknowledged value further in the bad direction
  // (the direction of the rule's comparison, "x > 80": up).
  double worse_by_ratio = 0.1;
  // alert_history rows older than this are deleted (checked hourly).
  int64_t history_retention_ms = 30LL * 24 * 3600 * 1000;
  // Expired silences are deleted this long after they end (Alertmanager's
  // default retention).
  int64_t silence_retention_ms = 5LL * 24 * 3600 * 1000;
  // History entries kept in memory when there is no AlertDb.
  size_t memory_history_limit = 10000;
};

// One rule as GET /api/v1/rules shows it.
struct RuleStatus {
  RuleSpec spec;
  std::string health = "unknown";  // "ok", "err", or "unknown" before the first evaluation
  std::string last_error;          // of the last evaluation, "" when ok
  TimestampMs last_evaluation_ms = 0;
  double last_duration_s = 0;  // the last evaluation's wall time, in seconds
  size_t active = 0;           // its pending and firing alerts
  // The most severe state of its alerts: firing, pending or inactive.
  AlertState state = AlertState::kInactive;
};

// Which selectors the rules read and how far back, for
// WindowCache::SetRangeNeeds. The pointers stay valid while this lives.
struct RuleRangeNeeds {
  std::shared_ptr<const void> keep_alive;
  std::vector<std::pair<const SeriesSelector*, int64_t>> needs;
};

class AlertEngine {
 public:
  // Restores alerts and silences from `db` (null: nothing is persisted).
  // `sink` may be null (nothing is notified). Call SetRules before the
  // first Evaluate: alerts whose rule is not in the set resolve.
  static Result<std::unique_ptr<AlertEngine>> Open(const AlertEngineOptions& options,
                                                   const SeriesSource& source, AlertDb* db,
                                                   AlertSink* sink);
  AlertEngine(const AlertEngine&) = delete;
  AlertEngine& operator=(const AlertEngine&) = delete;
  ~AlertEngine();

  // Compiles and installs the rules (disabled ones are skipped), replacing
  // the previous set; alerts of rules that keep their name carry on. On
  // error nothing changes; the message names the rule, its source and the
  // column: "rule HighCpu (perfwatch.yaml:12): expr: column 5: ...".
  Status SetRules(std::vector<RuleSpec> rules);
  RuleRangeNeeds RangeNeeds() const;

  // Evaluates every rule at `at_ms` and applies the lifecycle.
  void Evaluate(TimestampMs at_ms);

  // Acknowledges a pending or firing alert: it stops repeating until it
  // resolves or gets worse. NotFound when no active alert has `id`;
  // InvalidArgument when `by` is empty. Persisted before it returns.
  Status Acknowledge(const std::string& id, const std::string& by, const std::string& comment,
                     TimestampMs at_ms);

  // Stores a silence (ParseSilenceJson's). An empty id creates one (its
  // start moved up to now if earlier) and returns the new id; an existing
  // id replaces that silence; an unknown id is NotFound. An end not after
  // `now_ms` is InvalidArgument. Takes effect at the next evaluation.
  Result<std::string> AddSilence(Silence silence, TimestampMs now_ms);
  // Ends a silence now (Alertmanager's DELETE /api/v2/silence/{id}).
  Status ExpireSilence(const std::string& id, TimestampMs now_ms);
  // Removes a silence altogether.
  Status DeleteSilence(const std::string& id);
  // Active ones first (soonest end first), then pending (soonest start),
  // then expired (latest end first), as Alertmanager lists them.
  std::vector<Silence> Silences(TimestampMs now_ms) const;
  Result<Silence> GetSilence(const std::string& id) const;

  // Pending and firing alerts, and those resolved within the retention,
  // sorted by rule name then labels.
  std::vector<Alert> Alerts() const;
  Result<Alert> GetAlert(const std::string& id) const;
  // Transitions and events with t >= since_ms, newest first.
  Result<std::vector<AlertHistoryEntry>> History(TimestampMs since_ms, size_t limit) const;
  std::vector<RuleStatus> Rules() const;

 private:
  struct CompiledRule;
  struct RuleSet;
  struct RuleOutcome;
  struct Tracked;
  struct Changes;

  AlertEngine(const AlertEngineOptions& options, const SeriesSource& source, AlertDb* db,
              AlertSink* sink);

  RuleOutcome EvaluateRule(const CompiledRule& rule, bool has_firing, TimestampMs at) const;
  void ApplyHits(size_t index, const CompiledRule& rule, RuleOutcome& outcome, TimestampMs at,
                 Changes& changes);
  void HandleAbsent(Tracked& t, const RuleSet& rules, const std::vector<RuleOutcome>& outcomes,
                    TimestampMs at, Changes& changes);
  void Notify(Tracked& t, const RuleSet& rules, TimestampMs at, Changes& changes);
  void Resolve(Tracked& t, TimestampMs at, Changes& changes);
  void Record(const Alert& a, std::string event, AlertState from, TimestampMs at, Changes& changes,
              std::string by = "", std::string comment = "");
  bool Silenced(const Labels& labels, TimestampMs at) const;
  void Persist(const AlertDbBatch& batch);
  void Maintain(TimestampMs at);
  void Remap(const RuleSet& rules);

  const AlertEngineOptions options_;
  const SeriesSource& source_;
  AlertDb* const db_;
  AlertSink* const sink_;

  // Serializes everything that writes state (Evaluate, SetRules,
  // Acknowledge, silences), so the database sees changes in the order they
  // are applied. Taken before mu_. Holders of write_mu_ may read the state
  // below without mu_ (no one else writes it).
  std::mutex write_mu_;
  TimestampMs last_maintenance_ms_ = 0;  // protected by write_mu_

  // Guards the state that readers (HTTP threads) see; never held during
  // rule evaluation, database writes or sink calls.
  mutable std::mutex mu_;
  std::shared_ptr<const RuleSet> rules_;          // protected by mu_
  std::vector<RuleStatus> rule_status_;           // protected by mu_, parallel to rules_
  std::map<std::string, Tracked> alerts_;         // protected by mu_, by alert id
  std::map<std::string, Silence> silences_;       // protected by mu_, by id
  std::deque<AlertHistoryEntry> memory_history_;  // protected by mu_; only without db_
};

// The 16-hex-digit alert id: FNV-1a (64 bit) over the sorted label set.
std::string AlertId(const Labels& labels);

}  // namespace perfwatch
