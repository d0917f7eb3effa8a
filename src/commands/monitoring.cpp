#include "commands/monitoring.h"

#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <set>

#include "alert/builtin_rules.h"
#include "alert/rule_file.h"
#include "analysis/summary.h"
#include "model/event_log.h"
#include "query/store_source.h"
#include "tune/builtin_rules.h"

namespace perfwatch {
namespace {

TimestampMs NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

AlertEngineOptions EngineOptions(const Config& config) {
  AlertEngineOptions o;
  o.repeat_interval_ms = config.alerting.grouping.repeat_interval_ms;
  o.worse_by_ratio = config.alerting.worse_by;
  o.history_retention_ms = config.alerting.history_retention_ms;
  return o;
}

StatusOptions EffectiveStatusOptions(const Config& config) {
  StatusOptions s = config.status;
  s.poor.memory_percent = config.thresholds.memory_percent;
  s.poor.cpu_percent = config.thresholds.cpu_percent;
  s.poor.response_time_ms = config.thresholds.response_time_ms;
  return s;
}

std::string Annotation(const Alert& a, std::string_view name) {
  for (const auto& [k, v] : a.annotations) {
    if (k == name) return v;
  }
  return "";
}

}  // namespace

Result<std::vector<RuleSpec>> EffectiveRules(const Config& config) {
  std::vector<RuleSpec> user = config.rules;
  if (!config.rule_files.empty()) {
    Result<std::vector<RuleSpec>> files = LoadRuleFiles(config.rule_files);
    if (!files.ok()) return files.status();
    user.insert(user.end(), files->begin(), files->end());
  }
  std::vector<RuleSpec> builtin;
  if (config.alerting.builtin_rules) {
    BuiltinThresholds t;
    t.memory_percent = config.thresholds.memory_percent;
    t.cpu_percent = config.thresholds.cpu_percent;
    t.response_time_ms = config.thresholds.response_time_ms;
    t.consecutive_poor = config.status.consecutive_poor;
    builtin = BuiltinRules(t);
  }
  return MergeRules(std::move(builtin), std::move(user));
}

Result<TuningSetup> EffectiveTuning(const Config& config) {
  const TuningConfig& c = config.tuning;
  TuningSetup setup;
  setup.options.enabled = c.enabled;
  setup.options.dry_run = c.dry_run;
  setup.options.interval_ms = c.interval_ms;
  setup.options.default_cooldown_ms = c.cooldown_ms;
  setup.options.default_max_actions_per_hour = c.max_actions_per_hour;
  setup.options.emergency_after = c.emergency_after;
  setup.options.default_window_ms = c.window_ms;
  setup.options.default_rollback = c.rollback;
  setup.options.worse_tolerance = c.worse_tolerance;
  std::vector<TuningRuleSpec> builtin;
  if (c.builtin_rules) {
    TuningThresholds t;
    t.memory_percent = c.memory_percent;
    t.response_time_ms = c.response_time_ms;
    t.cache_hit_rate_percent = c.cache_hit_rate_percent;
    t.for_ms = c.builtin_for_ms;
    builtin = BuiltinTuningRules(t);
  }
  Result<std::vector<TuningRuleSpec>> rules = MergeTuningRules(std::move(builtin), c.rules);
  if (!rules.ok()) return rules.status();
  setup.rules = std::move(*rules);
  setup.db_path = AlertDb::PathIn(config.storage.data_dir);
  return setup;
}

std::vector<ReceiverOptions> EffectiveReceivers(const Config& config) {
  if (!config.notify.empty()) return config.notify;
  ReceiverOptions console;
  console.type = console.name = "console";
  ReceiverOptions log;
  log.type = log.name = "log";
  log.path = (std::filesystem::path(config.storage.data_dir) / "alerts.log").string();
  return {console, log};
}

Monitoring::Monitoring(const Config& config, SeriesRegistry& registry, const Store& store)
    : registry_(registry),
      store_(store),
      window_(registry, 0),
      classifier_(EffectiveStatusOptions(config)) {
  analysis_options_.status = EffectiveStatusOptions(config);
}

Monitoring::~Monitoring() {
  tuning_.reset();  // its actuator finishes a delivery in flight first
  if (dispatcher_) dispatcher_->Stop();
}

Result<std::unique_ptr<Monitoring>> Monitoring::Start(const Config& config,
                                                      SeriesRegistry& registry,
                                                      const Store& store) {
  Result<std::vector<RuleSpec>> rules = EffectiveRules(config);
  if (!rules.ok()) return rules.status();
  Result<TuningSetup> tuning = EffectiveTuning(config);
  if (!tuning.ok()) return tuning.status();
  std::unique_ptr<Monitoring> m(new Monitoring(config, registry, store));
  Result<std::unique_ptr<AlertDb>> db = AlertDb::Open(AlertDb::PathIn(config.storage.data_dir));
  if (!db.ok()) return db.status();
  m->db_ = std::move(*db);
  m->dispatcher_ =
      std::make_unique<Dispatcher>(EffectiveReceivers(config), config.alerting.grouping);
  if (Status st = m->dispatcher_->Start(); !st.ok()) return st;
  Result<std::unique_ptr<AlertEngine>> engine =
      AlertEngine::Open(EngineOptions(config), m->window_, m->db_.get(), m->dispatcher_.get());
  if (!engine.ok()) return engine.status();
  m->engine_ = std::move(*engine);
  if (Status st = m->engine_->SetRules(std::move(*rules)); !st.ok()) return st;
  // Tuning events go where alert events go: the console and the alert log
  // by default, or the configured receivers.
  Dispatcher* dispatcher = m->dispatcher_.get();
  Result<std::unique_ptr<Tuning>> tuner =
      Tuning::Open(std::move(*tuning), m->window_, [dispatcher](TuningEvent e) {
        dispatcher->Event(NamedEvent{std::move(e.name), e.t_ms, std::move(e.fields)});
      });
  if (!tuner.ok()) return tuner.status();
  m->tuning_ = std::move(*tuner);
  m->needs_ = m->engine_->RangeNeeds();
  std::vector<std::pair<const SeriesSelector*, int64_t>> needs = m->needs_.needs;
  for (const auto& need : m->tuning_->RangeNeeds()) needs.push_back(need);
  m->window_.SetRangeNeeds(needs);
  int64_t back = kLookbackMs;
  for (const auto& [selector, range] : needs) back = std::max(back, range + kLookbackMs);
  m->PrimeWindow(back);
  LogEvent(LogLevel::kInfo, "alerting_started",
           {{"rules", std::to_string(m->engine_->Rules().size())},
            {"active_alerts", std::to_string(m->engine_->Alerts().size())}});
  TuningState state = m->tuning_->State();
  LogEvent(LogLevel::kInfo, "auto_tuning_ready",
           {{"enabled", state.enabled ? "true" : "false"},
            {"dry_run", state.dry_run ? "true" : "false"},
            {"rules", std::to_string(m->tuning_->Rules().size())},
            {"tunables", std::to_string(m->tuning_->Tunables().size())}});
  return m;
}

void Monitoring::PrimeWindow(int64_t back_ms) {
  constexpr size_t kBatch = 256;  // series per query, within the store's point limit
  const TimestampMs now = NowMs();
  StoreSource source(registry_, store_);
  std::map<TimestampMs, std::vector<std::pair<SeriesId, double>>> by_time;
  const auto size = static_cast<SeriesId>(registry_.size());
  for (SeriesId first = 0; first < size; first += kBatch) {
    std::vector<SeriesId> ids;
    for (SeriesId id = first; id < std::min<SeriesId>(size, first + kBatch); ++id)
      ids.push_back(id);
    auto samples = source.Samples(ids, now - back_ms, now);
    if (!samples.ok()) {
      LogEvent(LogLevel::kWarn, "alert_window_not_primed", {{"error", samples.status().message()}});
      return;
    }
    for (const auto& [id, points] : *samples) {
      for (const Sample& s : points) by_time[s.t_ms].emplace_back(id, s.value);
    }
  }
  for (const auto& [t, samples] : by_time) {
    Tick tick(registry_, t);
    for (const auto& [id, value] : samples) tick.AppendInterned(id, value);
    window_.Observe(tick);
  }
}

void Monitoring::Finish(Tick& tick) {
  StatusReport report = classifier_.Classify(tick);
  AppendStatusMetrics(report, tick);
  std::string json = perfwatch::StatusJson(report);
  StatusClass before = StatusClass::kGood;
  bool had = false;
  {
    std::lock_guard lock(mu_);
    before = status_.status;
    had = has_status_;
    status_ = report;
    has_status_ = true;
    status_json_ = std::move(json);
  }
  if (had && Degraded(before, report.status)) {
    NamedEvent event{"performance_degradation_detected",
                     report.t_ms,
                     {{"from", std::string(StatusClassName(before))},
                      {"to", std::string(StatusClassName(report.status))},
                      {"score", std::to_string(report.score)}}};
    if (!report.reasons.empty()) event.fields.emplace_back("reason", report.reasons[0].text);
    dispatcher_->Event(std::move(event));
  }
}

void Monitoring::Observe(const Tick& tick) {
  window_.Observe(tick);
  engine_->Evaluate(tick.time());
  bool poor = false;
  {
    std::lock_guard lock(mu_);
    poor = has_status_ && status_.status >= StatusClass::kPoor;
  }
  tuning_->Evaluate(tick.time(), poor);
}

std::string Monitoring::StatusJson() const {
  std::lock_guard lock(mu_);
  return status_json_;
}

Result<std::string> Monitoring::AnalysisJson() const {
  StoreSource source(registry_, store_);
  Result<AnalysisReport> report = Analyze(source, NowMs(), analysis_options_);
  if (!report.ok()) return report.status();
  {
    std::lock_guard lock(mu_);
    if (has_status_) report->status = status_;  // with the live poor streak
  }
  return perfwatch::AnalysisJson(*report);
}

Result<std::string> Monitoring::Report(double hours, std::string_view format) const {
  TimestampMs to = NowMs();
  TimestampMs from = to - static_cast<int64_t>(hours * 3'600'000);
  StoreSource source(registry_, store_);
  Result<AnalysisReport> analysis = Analyze(source, to, analysis_options_);
  if (!analysis.ok()) return analysis.status();
  {
    std::lock_guard lock(mu_);
    if (has_status_) analysis->status = status_;
  }
  Result<PeriodSummary> summary = Summarize(store_, registry_, from, to);
  if (!summary.ok()) return summary.status();
  Result<std::vector<AlertHistoryEntry>> history = engine_->History(from, 100'000);
  if (!history.ok()) return history.status();
  Result<std::vector<TuningRecord>> tuning = tuning_->History(ReportTuningFilter(from));
  if (!tuning.ok()) return tuning.status();
  ReportData report;
  report.host = ReportHostName();
  report.analysis = std::move(*analysis);
  report.summary = std::move(*summary);
  report.alerts = ReportAlertsFrom(*history, engine_->Alerts(), from);
  const TuningState state = tuning_->State();
  const ReportTuningMode mode = !state.enabled  ? ReportTuningMode::kOff
                                : state.dry_run ? ReportTuningMode::kDryRun
                                                : ReportTuningMode::kOn;
  FillReportTuning(*tuning, tuning_->Tunables(), mode, report);
  return RenderReport(report, format);
}

std::string ReportHostName() {
  char name[256] = {};
  if (gethostname(name, sizeof name - 1) != 0) return "";
  return name;
}

std::vector<ReportAlert> ReportAlertsFrom(const std::vector<AlertHistoryEntry>& history,
                                          const std::vector<Alert>& current, TimestampMs from_ms) {
  // History is newest first; walk it oldest first so each firing opens a
  // row that its resolution closes.
  std::map<std::string, size_t> open;  // alert id -> row
  std::vector<ReportAlert> rows;
  for (auto it = history.rbegin(); it != history.rend(); ++it) {
    const AlertHistoryEntry& e = *it;
    if (e.event != "transition") continue;
    if (e.to == AlertState::kFiring && !open.contains(e.alert_id)) {
      ReportAlert r;
      r.name = e.rule;
      r.severity = std::string(e.labels.Get("severity"));
      r.state = "firing";
      r.started_ms = e.t_ms;
      r.value = e.value;
      open[e.alert_id] = rows.size();
      rows.push_back(std::move(r));
    } else if (e.to == AlertState::kResolved) {
      auto found = open.find(e.alert_id);
      if (found == open.end()) {  // fired before the period began
        ReportAlert r;
        r.name = e.rule;
        r.severity = std::string(e.labels.Get("severity"));
        r.started_ms = from_ms;
        r.value = e.value;
        rows.push_back(std::move(r));
        found = open.emplace(e.alert_id, rows.size() - 1).first;
      }
      rows[found->second].state = "resolved";
      rows[found->second].ended_ms = e.t_ms;
      open.erase(found);
    }
  }
  // Summaries come from the live alerts where they are still known; an alert
  // firing since before the period has no transition in it.
  for (const Alert& a : current) {
    auto found = open.find(a.id);
    if (found != open.end()) {
      rows[found->second].summary = Annotation(a, "summary");
      rows[found->second].value = a.value;
    } else if (a.state == AlertState::kFiring) {
      ReportAlert r;
      r.name = a.rule;
      r.severity = a.severity;
      r.state = "firing";
      r.started_ms = std::max(a.fired_at_ms, from_ms);
      r.value = a.value;
      r.summary = Annotation(a, "summary");
      rows.push_back(std::move(r));
    }
  }
  return rows;
}

TuningAuditFilter ReportTuningFilter(TimestampMs from_ms) {
  TuningAuditFilter filter;
  filter.since_ms = from_ms;
  filter.limit = kReportTuningScan;
  return filter;
}

namespace {

// (app, knob) of every on/off switch the tunables or the decisions reveal.
std::set<std::pair<std::string, std::string>> SwitchKnobs(const std::vector<TuningRecord>& records,
                                                          const std::vector<Tunable>& tunables) {
  std::set<std::pair<std::string, std::string>> switches;
  for (const Tunable& t : tunables) {
    if (t.spec.kind == TunableSpec::Kind::kBool) switches.emplace(t.spec.app, t.spec.name);
  }
  for (const TuningRecord& r : records) {
    if (r.action == "toggle" || r.description.starts_with("set true ") ||
        r.description.starts_with("set false ")) {
      switches.emplace(r.app, r.tunable);
    }
  }
  return switches;
}

ReportTuning ReportTuningOf(const TuningRecord& r, bool boolean) {
  return ReportTuning{.id = r.id,
                      .t_ms = r.t_ms,
                      .rule = r.rule,
                      .action = r.action,
                      .description = r.description,
                      .app = r.app,
                      .tunable = r.tunable,
                      .before = r.before,
                      .after = r.after,
                      .boolean = boolean,
                      .outcome = r.outcome,
                      .verdict = r.verdict,
                      .metric = r.metric,
                      .metric_before = r.metric_before,
                      .metric_after = r.metric_after,
                      .emergency = r.emergency,
                      .rollback_of = r.rollback_of,
                      .reason = r.reason,
                      .error = r.error};
}

}  // namespace

void FillReportTuning(const std::vector<TuningRecord>& records,
                      const std::vector<Tunable>& tunables, ReportTuningMode mode,
                      ReportData& report) {
  const auto switches = SwitchKnobs(records, tunables);
  const size_t shown = std::min(records.size(), kReportTuningRows);
  report.tuning.clear();
  report.tuning.reserve(shown);
  for (size_t i = 0; i < shown; ++i) {
    const TuningRecord& r = records[i];
    // Hooks, exec and webhooks carry no value.
    const bool knob = r.action != "hook" && r.action != "exec" && r.action != "webhook";
    report.tuning.push_back(ReportTuningOf(r, knob && switches.contains({r.app, r.tunable})));
  }
  report.tuning_more = records.size() - shown;
  // A full scan may have cut the period's oldest decisions off.
  report.tuning_more_exact = records.size() < kReportTuningScan;
  report.tuning_mode = mode;
}

}  // namespace perfwatch
