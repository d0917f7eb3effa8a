// TuningEngine after a decision: the Actuator's answers, the metric sampled
// at every evaluation tick, the verdict one window after the decision, and
// the rollback of a change that made things worse.

#include <algorithm>
#include <cctype>
#include <cmath>

#include "tune/engine_impl.h"

namespace perfwatch {
namespace {

// The compared series as the audit shows it: a bare metric name gets the
// series' labels ("x{app=\"shop\"}"); an expression that has its own
// selector or function is shown as written, the labels after it when they
// add something.
std::string MetricDisplay(const std::string& text, const Labels& labels) {
  const bool bare = !text.empty() && std::all_of(text.begin(), text.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == ':';
  });
  if (bare) return text + labels.ToString();
  if (labels.empty() || text.find('{') != std::string::npos) return text;
  return text + " " + labels.ToString();
}

// WithoutName(labels).ToString(), without building the label set.
std::string KeyWithoutName(const Labels& labels) {
  std::string out;
  for (const Label& l : labels) {
    if (l.name == "__name__") continue;
    out += out.empty() ? '{' : ',';
    out += l.name;
    out += "=\"";
    AppendEscapedLabelValue(out, l.value);
    out += '"';
  }
  if (!out.empty()) out += '}';
  return out;
}

// The metric series a decision is judged by: the trigger series' own label
// set, else the one of the decision's app, else the only one.
const MetricSeries* MatchMetric(const std::map<std::string, MetricSeries>& series,
                                const Labels& trigger, const std::string& app, std::string& key) {
  key = KeyWithoutName(trigger);
  if (auto it = series.find(key); it != series.end() && !trigger.empty()) return &it->second;
  for (const auto& [k, s] : series) {
    if (!app.empty() && s.labels.Get("app") == app) {
      key = k;
      return &s;
    }
  }
  if (series.size() == 1) {
    key = series.begin()->first;
    return &series.begin()->second;
  }
  return nullptr;
}

std::string Verdict(double before, double after, int worse, double tolerance) {
  const double worsened = (after - before) * worse;
  const double margin = std::max(std::fabs(before) * tolerance, 1e-9);
  if (worsened > margin) return "worse";
  if (-worsened > margin) return "improved";
  return "unchanged";
}

}  // namespace

void TuningEngine::Impl::Emit(std::string name, TimestampMs at,
                              std::vector<std::pair<std::string, std::string>> fields) {
  if (events) events(TuningEvent{std::move(name), at, std::move(fields)});
}

void TuningEngine::Impl::EmitRecord(std::string name, const OpenDecision& d, TimestampMs at) {
  const TuningRecord& r = d.record;
  std::vector<std::pair<std::string, std::string>> f;
  f.emplace_back("id", std::to_string(r.id));
  f.emplace_back("rule", r.rule);
  f.emplace_back("action", r.action);
  if (!r.app.empty()) f.emplace_back("app", r.app);
  if (!r.tunable.empty()) f.emplace_back("tunable", r.tunable);
  if (r.before) f.emplace_back("before", FormatValue(d.value_kind, *r.before));
  if (r.after) f.emplace_back("after", FormatValue(d.value_kind, *r.after));
  f.emplace_back("outcome", r.outcome);
  if (r.verdict != "n/a" && r.verdict != "pending") f.emplace_back("verdict", r.verdict);
  if (!r.reason.empty()) f.emplace_back("reason", r.reason);
  if (!r.metric.empty()) f.emplace_back("metric", r.metric);
  if (r.metric_before) f.emplace_back("metric_before", FormatNumber(*r.metric_before));
  if (r.metric_after) f.emplace_back("metric_after", FormatNumber(*r.metric_after));
  if (!r.error.empty()) f.emplace_back("error", r.error);
  if (r.emergency) f.emplace_back("emergency", "true");
  if (r.rollback_of != 0) f.emplace_back("rollback_of", std::to_string(r.rollback_of));
  Emit(std::move(name), at, std::move(f));
}

// Inserts (assigning the id) or updates the row. A failure is the rule's
// last error and an auto_tuning_failed event; an insert that failed is not
// carried out, as every change must be audited first.
bool TuningEngine::Impl::Persist(OpenDecision& d, bool insert) {
  Status st;
  if (insert) {
    Result<int64_t> id = db.Insert(d.record);
    if (id.ok()) d.record.id = *id;
    st = id.status();
  } else {
    st = db.Update(d.record);
  }
  if (st.ok()) return true;
  const std::string error = "audit: " + st.message();
  if (d.rule) {
    runtime[*d.rule].health = "err";
    runtime[*d.rule].last_error = error;
  }
  Emit("auto_tuning_failed", d.record.t_ms, {{"rule", d.record.rule}, {"error", error}});
  return false;
}

bool TuningEngine::Impl::CollectDone(TimestampMs at) {
  std::vector<ActuatorDone> answers = actuator.TakeDone();
  for (const ActuatorDone& done : answers) {
    auto it = open.find(done.record_id);
    if (it == open.end() || it->second.record.outcome != "pending") continue;
    Answer(it->second, done, at);
    if (it->second.record.verdict != "pending") open.erase(it);
  }
  return !answers.empty();
}

void TuningEngine::Impl::Answer(OpenDecision& d, const ActuatorDone& done, TimestampMs at) {
  TuningRecord& rec = d.record;
  const bool applied = done.outcome == "applied";
  rec.outcome = applied || done.outcome == "rejected" ? done.outcome : "failed";
  rec.error = done.error;
  if (!applied && rec.verdict == "pending") {  // nothing changed: nothing to judge
    rec.verdict = "n/a";
    rec.metric_before.reset();
  }
  (void)Persist(d, /*insert=*/false);
  if (d.tunable_change) {
    const std::string outcome = applied && rec.action == "rollback" ? "rolled_back" : rec.outcome;
    // A tunable deleted meanwhile is NotFound: the audit row still tells.
    (void)registry.RecordChange(rec.app, rec.tunable,
                                TunableChange{rec.id, at, *rec.before, *rec.after, outcome,
                                              rec.rule, applied ? rec.reason : rec.error});
  }
  EmitRecord(applied ? "auto_tuning_completed" : "auto_tuning_failed", d, at);
}

void TuningEngine::Impl::SampleMetric(size_t r, TimestampMs at) {
  const CompiledTuningRule& rule = rules[r];
  if (!rule.metric || rule.worse == 0) return;
  std::map<std::string, MetricSeries>& series = runtime[r].metric;
  Result<QueryValue> value = perfwatch::Evaluate(*rule.metric, source, at);
  if (value.ok() && value->kind == QueryValue::Kind::kVector) {
    for (const VectorSample& s : value->vector) {
      // Every rule's metric is sampled at every evaluation: the label set
      // is built only for a series seen for the first time.
      auto [it, added] = series.try_emplace(KeyWithoutName(s.labels));
      if (added) it->second.labels = WithoutName(s.labels);
      it->second.samples.emplace_back(at, s.value);
    }
  }
  for (auto it = series.begin(); it != series.end();) {
    auto& samples = it->second.samples;
    while (!samples.empty() && samples.front().first < at - rule.window_ms) samples.pop_front();
    it = samples.empty() ? series.erase(it) : std::next(it);
  }
}

// Starts judging a decision: the metric's mean over [t - window, t].
// Without a metric series or samples the verdict stays "n/a".
void TuningEngine::Impl::StartEffect(OpenDecision& d, const Labels& trigger) {
  const CompiledTuningRule& rule = rules[*d.rule];
  if (!rule.metric || rule.worse == 0) return;
  std::string key;
  const MetricSeries* m = MatchMetric(runtime[*d.rule].metric, trigger, d.record.app, key);
  if (m == nullptr) return;
  double sum = 0;
  int n = 0;
  for (const auto& [t, v] : m->samples) {
    if (t < d.record.t_ms - rule.window_ms || t > d.record.t_ms) continue;
    sum += v;
    ++n;
  }
  if (n == 0) return;
  d.metric_key = std::move(key);
  d.due_ms = d.record.t_ms + rule.window_ms;
  d.record.verdict = "pending";
  d.record.metric = MetricDisplay(rule.metric->text(), m->labels);
  d.record.metric_before = sum / n;
}

// The samples of (t, t + window] of each decision being judged.
void TuningEngine::Impl::AccumulateEffects(TimestampMs at) {
  for (auto& [id, d] : open) {
    if (d.record.verdict != "pending" || at <= d.record.t_ms || at > d.due_ms) continue;
    const auto& series = runtime[*d.rule].metric;
    auto it = series.find(d.metric_key);
    if (it == series.end() || it->second.samples.back().first != at) continue;
    d.after_sum += it->second.samples.back().second;
    ++d.after_count;
  }
}

// Verdicts due now; a change still unanswered is judged once answered.
void TuningEngine::Impl::JudgeDue(TimestampMs at) {
  std::vector<int64_t> due;
  for (const auto& [id, d] : open) {
    if (d.record.verdict == "pending" && d.record.outcome == "applied" && at >= d.due_ms) {
      due.push_back(id);
    }
  }
  for (int64_t id : due) {
    OpenDecision d = std::move(open.at(id));
    open.erase(id);
    Judge(d, at);
  }
}

void TuningEngine::Impl::Judge(OpenDecision& d, TimestampMs at) {
  const CompiledTuningRule& rule = rules[*d.rule];
  TuningRecord& rec = d.record;
  rec.evaluated_ms = at;
  if (d.after_count == 0) {
    rec.verdict = "n/a";
  } else {
    rec.metric_after = d.after_sum / d.after_count;
    rec.verdict =
        Verdict(*rec.metric_before, *rec.metric_after, rule.worse, options.worse_tolerance);
  }
  if (rec.verdict == "worse" && rule.rollback && d.tunable_change && RollBack(d, at)) {
    rec.verdict = "rolled_back";
  }
  (void)Persist(d, /*insert=*/false);
  EmitRecord("auto_tuning_completed", d, at);
}

// Delivers the value before `d` as a "rollback" row, unless the tunable has
// moved since (another change then owns it). Restarts the rule's cooldown
// for the app, so the same change is not tried again at once.
bool TuningEngine::Impl::RollBack(const OpenDecision& d, TimestampMs at) {
  const TuningRecord& orig = d.record;
  std::optional<Tunable> tunable = registry.Get(orig.app, orig.tunable);
  if (!tunable || tunable->spec.value != *orig.after || InFlight(orig.app, orig.tunable)) {
    return false;
  }
  const TunableSpec& spec = tunable->spec;
  OpenDecision rb;
  rb.rule = d.rule;
  rb.tunable_change = true;
  rb.value_kind = spec.kind;
  TuningRecord& rec = rb.record;
  rec.t_ms = at;
  rec.rule = orig.rule;
  rec.action = "rollback";
  rec.description = "rollback of #" + std::to_string(orig.id);
  rec.app = orig.app;
  rec.tunable = orig.tunable;
  rec.before = spec.value;
  rec.after = ConformValue(spec, *orig.before);
  rec.reason = orig.metric + " went from " + FormatNumber(*orig.metric_before) + " to " +
               FormatNumber(*orig.metric_after) + " after #" + std::to_string(orig.id);
  rec.emergency = orig.emergency;
  rec.rollback_of = orig.id;
  ActuatorWork work;
  work.kind = TuningAction::Kind::kSet;
  work.app = orig.app;
  work.name = orig.tunable;
  work.webhook = spec.webhook;
  work.value_kind = spec.kind;
  work.previous = *rec.before;
  work.value = *rec.after;
  if (!Start(std::move(rb), std::move(work), Firing{}, at, "auto_tuning_rolled_back")) {
    return false;
  }
  ThrottleOf(orig.rule, orig.app, at).last_decision_ms = at;
  return true;
}

}  // namespace perfwatch
