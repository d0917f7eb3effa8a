#include "alert/engine.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <set>

#include "alert/template.h"
#include "model/event_log.h"

namespace perfwatch {
namespace {

constexpr size_t kNoRule = static_cast<size_t>(-1);
constexpr int64_t kMaintenanceEveryMs = 3600 * 1000;

std::string EventFor(std::string_view rule_name) {
  return rule_name == "ConsecutivePoorPerformance" ? "consecutive_poor_performance"
                                                   : "threshold_violation";
}

bool Active(AlertState s) { return s == AlertState::kPending || s == AlertState::kFiring; }

std::string Where(const RuleSpec& spec) {
  std::string w = "rule " + spec.name;
  if (!spec.source.empty()) w += " (" + spec.source + ")";
  return w;
}

// An acknowledged alert got worse: its value moved `ratio` of the
// acknowledged value further in the rule's bad direction.
bool Worse(const Alert& a, int direction, double ratio) {
  if (direction == 0 || std::isnan(a.value) || std::isnan(a.ack.value_at_ack)) return false;
  const double ref = a.ack.value_at_ack;
  const double delta = (a.value - ref) * direction;
  return delta > 0 && delta >= std::fabs(ref) * ratio;
}

}  // namespace

std::string AlertId(const Labels& labels) {
  uint64_t h = 14695981039346656037ull;
  auto mix = [&h](std::string_view s) {
    for (unsigned char c : s) h = (h ^ c) * 1099511628211ull;
    h = (h ^ 0xFF) * 1099511628211ull;  // separator: 0xFF never occurs in UTF-8
  };
  for (const Label& l : labels) {
    mix(l.name);
    mix(l.value);
  }
  char buf[17];
  std::snprintf(buf, sizeof(buf), "%016llx", static_cast<unsigned long long>(h));
  return buf;
}

struct AlertEngine::CompiledRule {
  RuleSpec spec;
  ParsedExpr expr;
  std::optional<ParsedExpr> keep_firing_while;
  std::string event;
  int direction = 0;
};

struct AlertEngine::RuleSet {
  std::vector<CompiledRule> rules;
};

namespace {

// One series a rule's expression returned, as the alert it stands for.
struct Candidate {
  std::string id;
  Labels labels;         // the alert's labels
  Labels series_labels;  // what {{ $labels }} sees, as in Prometheus
  double value = 0;
};

}  // namespace

struct AlertEngine::RuleOutcome {
  Status status;
  std::vector<Candidate> hits;
  std::map<std::string, Candidate> hold;  // keep_firing_while's series, by alert id
  double duration_s = 0;
};

struct AlertEngine::Tracked {
  Alert alert;
  size_t rule = kNoRule;  // index in rules_ of the rule that owns it
  bool seen = false;      // returned by a rule in the current evaluation
};

struct AlertEngine::Changes {
  AlertDbBatch batch;
  std::vector<AlertNotice> notices;
  std::set<std::string> dirty;  // alert ids whose row must be written
  std::vector<std::string> drop;
};

namespace {

Result<std::vector<Candidate>> Candidates(const RuleSpec& spec, const QueryValue& value) {
  if (value.kind != QueryValue::Kind::kVector) {
    return Status::InvalidArgument(
        "the expression returns a scalar; an alerting rule needs a vector");
  }
  std::vector<Candidate> out;
  std::set<std::string> ids;
  for (const VectorSample& s : value.vector) {
    std::map<std::string, std::string> m;
    for (const Label& l : s.labels) {
      if (l.name != "__name__") m[l.name] = l.value;
    }
    if (!spec.severity.empty()) m["severity"] = spec.severity;
    for (const auto& [k, v] : spec.labels) {
      m[k] = v.find("{{") == std::string::npos ? v : ExpandTemplate(v, s.labels, s.value);
    }
    m["alertname"] = spec.name;
    std::vector<Label> labels;
    for (auto& [k, v] : m) labels.push_back({k, std::move(v)});
    Result<Labels> made = Labels::Make(std::move(labels));
    if (!made.ok()) return made.status();
    std::string id = AlertId(*made);
    if (!ids.insert(id).second) {
      return Status::InvalidArgument(
          "vector contains metrics with the same labelset after applying alert labels: " +
          made->ToString());
    }
    out.push_back({std::move(id), std::move(*made), s.labels, s.value});
  }
  return out;
}

}  // namespace

AlertEngine::AlertEngine(const AlertEngineOptions& options, const SeriesSource& source, AlertDb* db,
                         AlertSink* sink)
    : options_(options),
      source_(source),
      db_(db),
      sink_(sink),
      rules_(std::make_shared<RuleSet>()) {}

AlertEngine::~AlertEngine() = default;

Result<std::unique_ptr<AlertEngine>> AlertEngine::Open(const AlertEngineOptions& options,
                                                       const SeriesSource& source, AlertDb* db,
                                                       AlertSink* sink) {
  std::unique_ptr<AlertEngine> engine(new AlertEngine(options, source, db, sink));
  if (db == nullptr) return engine;
  Result<std::vector<Alert>> alerts = db->LoadAlerts();
  if (!alerts.ok()) return alerts.status();
  for (Alert& a : *alerts) {
    std::string id = a.id;
    engine->alerts_.emplace(std::move(id), Tracked{std::move(a)});
  }
  Result<std::vector<Silence>> silences = db->LoadSilences();
  if (!silences.ok()) return silences.status();
  for (Silence& s : *silences) {
    std::string id = s.id;
    engine->silences_.emplace(std::move(id), std::move(s));
  }
  return engine;
}

Status AlertEngine::SetRules(std::vector<RuleSpec> specs) {
  auto set = std::make_shared<RuleSet>();
  for (RuleSpec& spec : specs) {
    if (!spec.enabled) continue;
    const std::string where = Where(spec);
    if (spec.name.empty()) return Status::InvalidArgument(where + ": the rule has no name");
    if (spec.for_ms < 0 || spec.keep_firing_for_ms < 0) {
      return Status::InvalidArgument(where + ": for and keep_firing_for must not be negative");
    }
    Result<ParsedExpr> expr = ParseExpr(spec.expr);
    if (!expr.ok()) return Status::InvalidArgument(where + ": expr: " + expr.status().message());
    CompiledRule rule{spec, std::move(*expr), std::nullopt, EventFor(spec.name), 0};
    if (!spec.keep_firing_while.empty()) {
      Result<ParsedExpr> hold = ParseExpr(spec.keep_firing_while);
      if (!hold.ok()) {
        return Status::InvalidArgument(where + ": keep_firing_while: " + hold.status().message());
      }
      rule.keep_firing_while = std::move(*hold);
    }
    for (const auto& [name, value] : spec.labels) {
      if (!IsValidLabelName(name)) {
        return Status::InvalidArgument(where + ": label name '" + name + "' is invalid");
      }
      if (Status s = CheckTemplate(value); !s.ok()) {
        return Status::InvalidArgument(where + ": label " + name + ": " + s.message());
      }
    }
    for (const auto& [name, text] : spec.annotations) {
      if (Status s = CheckTemplate(text); !s.ok()) {
        return Status::InvalidArgument(where + ": annotation " + name + ": " + s.message());
      }
    }
    rule.direction = rule.expr.comparison_direction();
    set->rules.push_back(std::move(rule));
  }
  std::lock_guard write(write_mu_);
  std::lock_guard lock(mu_);
  rule_status_.clear();
  for (const CompiledRule& r : set->rules) {
    RuleStatus status;
    status.spec = r.spec;
    rule_status_.push_back(std::move(status));
  }
  Remap(*set);
  rules_ = std::move(set);
  return Status::Ok();
}

// Hands each tracked alert to the rule of its name (the one with its
// severity when names repeat); the rest are orphans and resolve.
void AlertEngine::Remap(const RuleSet& rules) {
  for (auto& [id, t] : alerts_) {
    t.rule = kNoRule;
    for (size_t i = 0; i < rules.rules.size(); ++i) {
      const RuleSpec& spec = rules.rules[i].spec;
      if (spec.name != t.alert.rule) continue;
      if (t.rule == kNoRule) t.rule = i;
      if (spec.severity == t.alert.severity) {
        t.rule = i;
        break;
      }
    }
  }
}

RuleRangeNeeds AlertEngine::RangeNeeds() const {
  std::shared_ptr<const RuleSet> rules;
  {
    std::lock_guard lock(mu_);
    rules = rules_;
  }
  RuleRangeNeeds out{rules, {}};
  for (const CompiledRule& r : rules->rules) {
    for (const auto& need : r.expr.selector_ranges()) out.needs.push_back(need);
    if (r.keep_firing_while) {
      for (const auto& need : r.keep_firing_while->selector_ranges()) out.needs.push_back(need);
    }
  }
  return out;
}

AlertEngine::RuleOutcome AlertEngine::EvaluateRule(const CompiledRule& rule, bool has_firing,
                                                   TimestampMs at) const {
  const auto start = std::chrono::steady_clock::now();
  RuleOutcome out;
  Result<QueryValue> value = perfwatch::Evaluate(rule.expr, source_, at);
  Result<std::vector<Candidate>> hits =
      value.ok() ? Candidates(rule.spec, *value) : Result<std::vector<Candidate>>(value.status());
  if (!hits.ok()) {
    out.status = hits.status();
  } else {
    out.hits = std::move(*hits);
  }
  // keep_firing_while matters only for firing alerts the expression lost.
  const bool needs_hold = out.status.ok() && rule.keep_firing_while && has_firing;
  if (needs_hold) {
    Result<QueryValue> held = perfwatch::Evaluate(*rule.keep_firing_while, source_, at);
    Result<std::vector<Candidate>> hold =
        held.ok() ? Candidates(rule.spec, *held) : Result<std::vector<Candidate>>(held.status());
    if (!hold.ok()) {
      out.status = Status::InvalidArgument("keep_firing_while: " + hold.status().message());
    } else {
      for (Candidate& c : *hold) {
        std::string id = c.id;
        out.hold.emplace(std::move(id), std::move(c));
      }
    }
  }
  out.duration_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return out;
}

void AlertEngine::Record(const Alert& a, std::string event, AlertState from, TimestampMs at,
                         Changes& changes, std::string by, std::string comment) {
  changes.batch.history.push_back(AlertHistoryEntry{at, a.id, a.rule, a.labels, std::move(event),
                                                    from, a.state, a.value, std::move(by),
                                                    std::move(comment)});
}

namespace {

void Annotate(Alert& a, const RuleSpec& spec, const Candidate& c) {
  a.value = c.value;
  a.annotations.clear();
  for (const auto& [name, text] : spec.annotations) {
    a.annotations.emplace_back(name, ExpandTemplate(text, c.series_labels, c.value));
  }
}

}  // namespace

void AlertEngine::ApplyHits(size_t index, const CompiledRule& rule, RuleOutcome& outcome,
                            TimestampMs at, Changes& changes) {
  for (const Candidate& c : outcome.hits) {
    auto it = alerts_.find(c.id);
    if (it == alerts_.end() || !Active(it->second.alert.state)) {
      Alert a;
      a.id = c.id;
      a.rule = rule.spec.name;
      a.labels = c.labels;
      a.severity = std::string(c.labels.Get("severity"));
      a.state = AlertState::kPending;
      a.active_since_ms = at;
      a.value = c.value;
      it = alerts_.insert_or_assign(c.id, Tracked{std::move(a)}).first;
      Record(it->second.alert, "transition", AlertState::kInactive, at, changes);
      changes.dirty.insert(c.id);
    }
    Tracked& t = it->second;
    t.rule = index;
    t.seen = true;
    Alert& a = t.alert;
    Annotate(a, rule.spec, c);
    if (a.keep_firing_since_ms != 0) {
      a.keep_firing_since_ms = 0;
      changes.dirty.insert(a.id);
    }
    if (a.state == AlertState::kPending && at - a.active_since_ms >= rule.spec.for_ms) {
      a.state = AlertState::kFiring;
      a.fired_at_ms = at;
      Record(a, "transition", AlertState::kPending, at, changes);
      changes.dirty.insert(a.id);
    }
  }
}

void AlertEngine::HandleAbsent(Tracked& t, const RuleSet& rules,
                               const std::vector<RuleOutcome>& outcomes, TimestampMs at,
                               Changes& changes) {
  Alert& a = t.alert;
  const CompiledRule* rule = t.rule == kNoRule ? nullptr : &rules.rules[t.rule];
  // A rule that failed to evaluate says nothing about its alerts.
  if (rule != nullptr && !outcomes[t.rule].status.ok()) return;
  if (a.state == AlertState::kPending) {  // Prometheus drops it silently
    a.state = AlertState::kInactive;
    Record(a, "transition", AlertState::kPending, at, changes);
    changes.drop.push_back(a.id);
    return;
  }
  if (rule != nullptr) {
    const auto held = outcomes[t.rule].hold.find(a.id);
    if (held != outcomes[t.rule].hold.end()) {
      Annotate(a, rule->spec, held->second);
      if (a.keep_firing_since_ms != 0) changes.dirty.insert(a.id);
      a.keep_firing_since_ms = 0;
      return;
    }
    if (rule->spec.keep_firing_for_ms > 0) {
      if (a.keep_firing_since_ms == 0) {
        a.keep_firing_since_ms = at;
        changes.dirty.insert(a.id);
      }
      if (at - a.keep_firing_since_ms < rule->spec.keep_firing_for_ms) return;
    }
  }
  Resolve(t, at, changes);
}

void AlertEngine::Resolve(Tracked& t, TimestampMs at, Changes& changes) {
  Alert& a = t.alert;
  a.state = AlertState::kResolved;
  a.resolved_at_ms = at;
  a.keep_firing_since_ms = 0;
  Record(a, "transition", AlertState::kFiring, at, changes);
  if (a.last_sent_ms != 0) {  // only a notified firing gets a resolved notice
    a.last_sent_ms = at;
    changes.notices.push_back({AlertNotice::Kind::kResolved, a, "alert_resolved"});
  }
  a.acknowledged = false;
  a.ack = Acknowledgement{};
  changes.dirty.insert(a.id);
}

bool AlertEngine::Silenced(const Labels& labels, TimestampMs at) const {
  for (const auto& [id, s] : silences_) {
    if (s.ActiveAt(at) && s.Matches(labels)) return true;
  }
  return false;
}

void AlertEngine::Notify(Tracked& t, const RuleSet& rules, TimestampMs at, Changes& changes) {
  Alert& a = t.alert;
  const bool silenced = Silenced(a.labels, at);
  if (silenced != a.silenced) {
    a.silenced = silenced;
    Record(a, silenced ? "silenced" : "unsilenced", a.state, at, changes);
    changes.dirty.insert(a.id);
  }
  if (a.state != AlertState::kFiring || a.silenced) return;
  const int direction = t.rule == kNoRule ? 0 : rules.rules[t.rule].direction;
  std::optional<AlertNotice::Kind> kind;
  if (a.last_sent_ms == 0) {
    kind = AlertNotice::Kind::kFiring;
  } else if (a.acknowledged) {
    if (Worse(a, direction, options_.worse_by_ratio)) {
      kind = AlertNotice::Kind::kWorse;
      a.ack.value_at_ack = a.value;  // the next notice needs a further step
    }
  } else if (at - a.last_sent_ms >= options_.repeat_interval_ms) {
    kind = AlertNotice::Kind::kRepeat;
  }
  if (!kind) return;
  a.last_sent_ms = at;
  changes.dirty.insert(a.id);
  changes.notices.push_back({*kind, a, EventFor(a.rule)});
}

void AlertEngine::Evaluate(TimestampMs at) {
  std::unique_lock write(write_mu_);
  const std::shared_ptr<const RuleSet> rules = rules_;  // written only under write_mu_
  std::vector<bool> has_firing(rules->rules.size());
  for (const auto& [id, t] : alerts_) {  // safe without mu_: we hold write_mu_
    if (t.rule != kNoRule && t.alert.state == AlertState::kFiring) has_firing[t.rule] = true;
  }
  std::vector<RuleOutcome> outcomes;
  outcomes.reserve(rules->rules.size());
  for (size_t i = 0; i < rules->rules.size(); ++i) {
    outcomes.push_back(EvaluateRule(rules->rules[i], has_firing[i], at));
  }
  Changes changes;
  {
    std::lock_guard lock(mu_);
    for (auto& [id, t] : alerts_) t.seen = false;
    for (size_t i = 0; i < rules->rules.size(); ++i) {
      if (outcomes[i].status.ok()) ApplyHits(i, rules->rules[i], outcomes[i], at, changes);
    }
    for (auto& [id, t] : alerts_) {
      if (!t.seen && Active(t.alert.state)) HandleAbsent(t, *rules, outcomes, at, changes);
    }
    for (auto& [id, t] : alerts_) {
      if (Active(t.alert.state)) Notify(t, *rules, at, changes);
      if (t.alert.state == AlertState::kResolved &&
          at - t.alert.resolved_at_ms > options_.resolved_retention_ms) {
        changes.drop.push_back(id);
      }
    }
    for (const std::string& id : changes.drop) {
      alerts_.erase(id);
      changes.dirty.erase(id);
      changes.batch.deletes.push_back(id);
    }
    for (const std::string& id : changes.dirty)
      changes.batch.upserts.push_back(alerts_.at(id).alert);
    for (size_t i = 0; i < rules->rules.size() && i < rule_status_.size(); ++i) {
      RuleStatus& status = rule_status_[i];
      status.health = outcomes[i].status.ok() ? "ok" : "err";
      status.last_error = outcomes[i].status.ok() ? "" : outcomes[i].status.message();
      status.last_evaluation_ms = at;
      status.last_duration_s = outcomes[i].duration_s;
    }
    if (db_ == nullptr) {
      for (const AlertHistoryEntry& e : changes.batch.history) memory_history_.push_back(e);
      while (memory_history_.size() > options_.memory_history_limit) memory_history_.pop_front();
    }
  }
  Persist(changes.batch);
  Maintain(at);
  write.unlock();
  if (sink_ != nullptr && !changes.notices.empty()) sink_->Deliver(std::move(changes.notices));
}

// A failed write must not stop alerting: the notices still go out (a
// restart may then repeat one), and the failure is logged.
void AlertEngine::Persist(const AlertDbBatch& batch) {
  if (db_ == nullptr || batch.empty()) return;
  if (Status s = db_->Save(batch); !s.ok()) {
    LogEvent(LogLevel::kError, "alert_state_save_failed", {{"error", s.ToString()}});
  }
}

void AlertEngine::Maintain(TimestampMs at) {
  if (at - last_maintenance_ms_ < kMaintenanceEveryMs) return;
  last_maintenance_ms_ = at;
  if (db_ != nullptr) {
    Result<int64_t> pruned = db_->PruneHistory(at - options_.history_retention_ms);
    if (!pruned.ok()) {
      LogEvent(LogLevel::kWarn, "alert_history_prune_failed",
               {{"error", pruned.status().ToString()}});
    }
  }
  std::vector<std::string> old;
  for (const auto& [id, s] : silences_) {
    if (at - s.ends_at_ms > options_.silence_retention_ms) old.push_back(id);
  }
  for (const std::string& id : old) {
    if (db_ != nullptr) {
      if (Status s = db_->DeleteSilence(id); !s.ok() && s.code() != Status::Code::kNotFound) {
        LogEvent(LogLevel::kWarn, "silence_delete_failed", {{"error", s.ToString()}});
        continue;
      }
    }
    std::lock_guard lock(mu_);
    silences_.erase(id);
  }
}

Status AlertEngine::Acknowledge(const std::string& id, const std::string& by,
                                const std::string& comment, TimestampMs at) {
  if (by.empty()) return Status::InvalidArgument("by: who acknowledges is required");
  std::lock_guard write(write_mu_);
  auto it = alerts_.find(id);  // safe without mu_: we hold write_mu_
  if (it == alerts_.end() || !Active(it->second.alert.state)) {
    return Status::NotFound("no active alert with id '" + id + "'");
  }
  Alert a = it->second.alert;
  a.acknowledged = true;
  a.ack = Acknowledgement{by, comment, at, a.value};
  Changes changes;
  Record(a, "acknowledged", a.state, at, changes, by, comment);
  changes.batch.upserts.push_back(a);
  if (db_ != nullptr) {
    if (Status s = db_->Save(changes.batch); !s.ok()) return s;
  }
  std::lock_guard lock(mu_);
  it->second.alert = std::move(a);
  if (db_ == nullptr) memory_history_.push_back(changes.batch.history[0]);
  return Status::Ok();
}

Result<std::string> AlertEngine::AddSilence(Silence silence, TimestampMs now_ms) {
  if (Status s = ValidateSilence(silence); !s.ok()) return s;
  if (silence.ends_at_ms <= now_ms) {
    return Status::InvalidArgument("endsAt: end time can't be in the past");
  }
  std::lock_guard write(write_mu_);
  if (silence.id.empty()) {
    silence.id = NewSilenceId();
    silence.starts_at_ms = std::max(silence.starts_at_ms, now_ms);
  } else if (!silences_.contains(silence.id)) {
    return Status::NotFound("no silence with id '" + silence.id + "'");
  }
  silence.updated_at_ms = now_ms;
  if (db_ != nullptr) {
    if (Status s = db_->PutSilence(silence); !s.ok()) return s;
  }
  std::lock_guard lock(mu_);
  std::string id = silence.id;
  silences_.insert_or_assign(id, std::move(silence));
  return id;
}

Status AlertEngine::ExpireSilence(const std::string& id, TimestampMs now_ms) {
  std::lock_guard write(write_mu_);
  auto it = silences_.find(id);
  if (it == silences_.end()) return Status::NotFound("no silence with id '" + id + "'");
  Silence s = it->second;
  const SilenceState state = s.StateAt(now_ms);
  if (state == SilenceState::kExpired) return Status::Ok();
  if (state == SilenceState::kPending) s.starts_at_ms = now_ms;
  s.ends_at_ms = now_ms;
  s.updated_at_ms = now_ms;
  if (db_ != nullptr) {
    if (Status st = db_->PutSilence(s); !st.ok()) return st;
  }
  std::lock_guard lock(mu_);
  it->second = std::move(s);
  return Status::Ok();
}

Status AlertEngine::DeleteSilence(const std::string& id) {
  std::lock_guard write(write_mu_);
  if (!silences_.contains(id)) return Status::NotFound("no silence with id '" + id + "'");
  if (db_ != nullptr) {
    if (Status s = db_->DeleteSilence(id); !s.ok() && s.code() != Status::Code::kNotFound) return s;
  }
  std::lock_guard lock(mu_);
  silences_.erase(id);
  return Status::Ok();
}

std::vector<Silence> AlertEngine::Silences(TimestampMs now_ms) const {
  std::vector<Silence> out;
  {
    std::lock_guard lock(mu_);
    for (const auto& [id, s] : silences_) out.push_back(s);
  }
  auto key = [now_ms](const Silence& s) {
    switch (s.StateAt(now_ms)) {
      case SilenceState::kActive:
        return std::make_pair(0, s.ends_at_ms);
      case SilenceState::kPending:
        return std::make_pair(1, s.starts_at_ms);
      default:
        return std::make_pair(2, -s.ends_at_ms);
    }
  };
  std::stable_sort(out.begin(), out.end(),
                   [&](const Silence& a, const Silence& b) { return key(a) < key(b); });
  return out;
}

Result<Silence> AlertEngine::GetSilence(const std::string& id) const {
  std::lock_guard lock(mu_);
  auto it = silences_.find(id);
  if (it == silences_.end()) return Status::NotFound("no silence with id '" + id + "'");
  return it->second;
}

std::vector<Alert> AlertEngine::Alerts() const {
  std::vector<std::pair<std::string, Alert>> keyed;
  {
    std::lock_guard lock(mu_);
    for (const auto& [id, t] : alerts_) {
      if (t.alert.state != AlertState::kInactive) {
        keyed.emplace_back(t.alert.rule + '\0' + t.alert.labels.ToString(), t.alert);
      }
    }
  }
  std::sort(keyed.begin(), keyed.end(),
            [](const auto& a, const auto& b) { return a.first < b.first; });
  std::vector<Alert> out;
  out.reserve(keyed.size());
  for (auto& [key, a] : keyed) out.push_back(std::move(a));
  return out;
}

Result<Alert> AlertEngine::GetAlert(const std::string& id) const {
  std::lock_guard lock(mu_);
  auto it = alerts_.find(id);
  if (it == alerts_.end()) return Status::NotFound("no alert with id '" + id + "'");
  return it->second.alert;
}

Result<std::vector<AlertHistoryEntry>> AlertEngine::History(TimestampMs since_ms,
                                                            size_t limit) const {
  if (db_ != nullptr) return db_->History(since_ms, limit);
  std::lock_guard lock(mu_);
  std::vector<AlertHistoryEntry> out;
  for (auto it = memory_history_.rbegin(); it != memory_history_.rend() && out.size() < limit;
       ++it) {
    if (it->t_ms >= since_ms) out.push_back(*it);
  }
  return out;
}

std::vector<RuleStatus> AlertEngine::Rules() const {
  std::lock_guard lock(mu_);
  std::vector<RuleStatus> out = rule_status_;
  for (const auto& [id, t] : alerts_) {
    if (t.rule >= out.size() || !Active(t.alert.state)) continue;
    RuleStatus& r = out[t.rule];
    ++r.active;
    if (t.alert.state == AlertState::kFiring || r.state == AlertState::kInactive) {
      r.state = t.alert.state;
    }
  }
  return out;
}

}  // namespace perfwatch
