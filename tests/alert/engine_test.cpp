#include "alert/engine.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <thread>

#include "model/tick.h"
#include "query/window_cache.h"

namespace perfwatch {
namespace {

namespace fs = std::filesystem;
using Kind = AlertNotice::Kind;

// Real epoch-like times: 0 means "never" in Alert's fields.
constexpr TimestampMs kT0 = 1'700'000'000'000;
constexpr int64_t kSec = 1000;

class RecordingSink : public AlertSink {
 public:
  void Deliver(std::vector<AlertNotice> notices) override {
    if (on_deliver) on_deliver(notices);
    for (auto& n : notices) notices_.push_back(std::move(n));
  }
  void Event(NamedEvent event) override { events_.push_back(std::move(event)); }

  std::vector<Kind> Kinds() const {
    std::vector<Kind> out;
    for (const auto& n : notices_) out.push_back(n.kind);
    return out;
  }
  std::vector<AlertNotice> Take() { return std::exchange(notices_, {}); }

  std::function<void(const std::vector<AlertNotice>&)> on_deliver;
  std::vector<AlertNotice> notices_;
  std::vector<NamedEvent> events_;
};

RuleSpec CpuRule(int64_t for_ms = 0) {
  RuleSpec r;
  r.name = "HighCpu";
  r.expr = "cpu_usage > 80";
  r.for_ms = for_ms;
  r.severity = "warning";
  r.labels = {{"team", "ops"}};
  r.annotations = {{"summary", "CPU {{ $labels.cpu }} at {{ $value }}%"}};
  r.source = "test.yaml:3";
  return r;
}

class EngineTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("alert_engine_test_" + std::to_string(getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override {
    engine_.reset();
    db_.reset();
    fs::remove_all(dir_);
  }

  // A fresh engine (and, with `persist`, a fresh connection to the same
  // database file): what a restart of perfwatch does.
  void Start(std::vector<RuleSpec> rules, bool persist = false) {
    engine_.reset();
    db_.reset();
    if (persist) {
      Result<std::unique_ptr<AlertDb>> db = AlertDb::Open(AlertDb::PathIn(dir_.string()));
      ASSERT_TRUE(db.ok()) << db.status().ToString();
      db_ = std::move(*db);
    }
    Result<std::unique_ptr<AlertEngine>> engine =
        AlertEngine::Open(options_, cache_, db_.get(), &sink_);
    ASSERT_TRUE(engine.ok()) << engine.status().ToString();
    engine_ = std::move(*engine);
    ASSERT_TRUE(engine_->SetRules(std::move(rules)).ok());
  }

  // One collection tick: the sample, then the rules.
  void Step(TimestampMs t, double value, const std::string& cpu = "0") {
    Tick tick(registry_, t);
    ASSERT_TRUE(tick.Append("cpu_usage", Labels{{"cpu", cpu}}, value).ok());
    cache_.Observe(tick);
    engine_->Evaluate(t);
  }

  AlertState StateOf(const std::string& cpu = "0") {
    for (const Alert& a : engine_->Alerts()) {
      if (a.labels.Get("cpu") == cpu) return a.state;
    }
    return AlertState::kInactive;
  }

  Alert Only() {
    std::vector<Alert> alerts = engine_->Alerts();
    EXPECT_EQ(alerts.size(), 1u);
    return alerts.empty() ? Alert{} : alerts[0];
  }

  fs::path dir_;
  SeriesRegistry registry_;
  WindowCache cache_{registry_, 10 * 60 * kSec};
  RecordingSink sink_;
  AlertEngineOptions options_;
  std::unique_ptr<AlertDb> db_;
  std::unique_ptr<AlertEngine> engine_;
};

TEST_F(EngineTest, PendingBecomesFiringAfterFor) {
  Start({CpuRule(30 * kSec)});
  Step(kT0, 90);
  EXPECT_EQ(StateOf(), AlertState::kPending);
  Step(kT0 + 10 * kSec, 91);
  Step(kT0 + 20 * kSec, 92);
  EXPECT_EQ(StateOf(), AlertState::kPending);
  EXPECT_TRUE(sink_.notices_.empty());
  Step(kT0 + 30 * kSec, 93.5);
  const Alert a = Only();
  EXPECT_EQ(a.state, AlertState::kFiring);
  EXPECT_EQ(a.active_since_ms, kT0);
  EXPECT_EQ(a.fired_at_ms, kT0 + 30 * kSec);
  EXPECT_EQ(a.value, 93.5);
  ASSERT_EQ(sink_.Kinds(), std::vector<Kind>{Kind::kFiring});
  EXPECT_EQ(sink_.notices_[0].event, "threshold_violation");
  EXPECT_EQ(sink_.notices_[0].alert.id, a.id);
}

TEST_F(EngineTest, AlertLabelsIdAndAnnotations) {
  Start({CpuRule()});
  Step(kT0, 90.25, "3");
  const Alert a = Only();
  // Series labels without __name__, the rule's labels, alertname, severity.
  EXPECT_EQ(
      a.labels,
      (Labels{{"alertname", "HighCpu"}, {"cpu", "3"}, {"severity", "warning"}, {"team", "ops"}}));
  EXPECT_EQ(a.rule, "HighCpu");
  EXPECT_EQ(a.severity, "warning");
  EXPECT_EQ(a.id, AlertId(a.labels));
  EXPECT_EQ(a.id.size(), 16u);
  EXPECT_EQ(a.id.find_first_not_of("0123456789abcdef"), std::string::npos);
  EXPECT_NE(AlertId(Labels{{"a", "bc"}}), AlertId(Labels{{"ab", "c"}}));
  ASSERT_EQ(a.annotations.size(), 1u);
  EXPECT_EQ(a.annotations[0], (std::pair<std::string, std::string>{"summary", "CPU 3 at 90.25%"}));
}

TEST_F(EngineTest, PendingThatGoesAwayIsDroppedSilently) {
  Start({CpuRule(60 * kSec)});
  Step(kT0, 90);
  EXPECT_EQ(StateOf(), AlertState::kPending);
  Step(kT0 + 10 * kSec, 50);
  EXPECT_TRUE(engine_->Alerts().empty());
  EXPECT_TRUE(sink_.notices_.empty());
  Result<std::vector<AlertHistoryEntry>> h = engine_->History(0, 10);
  ASSERT_TRUE(h.ok());
  ASSERT_EQ(h->size(), 2u);
  EXPECT_EQ((*h)[0].from, AlertState::kPending);  // newest first
  EXPECT_EQ((*h)[0].to, AlertState::kInactive);
  EXPECT_EQ((*h)[1].from, AlertState::kInactive);
  EXPECT_EQ((*h)[1].to, AlertState::kPending);
}

TEST_F(EngineTest, ResolvesNotifiesAndStaysListedForTheRetention) {
  options_.resolved_retention_ms = 60 * kSec;
  Start({CpuRule()});
  Step(kT0, 90);
  Step(kT0 + 10 * kSec, 50);
  ASSERT_EQ(sink_.Kinds(), (std::vector<Kind>{Kind::kFiring, Kind::kResolved}));
  EXPECT_EQ(sink_.notices_[1].event, "alert_resolved");
  EXPECT_EQ(sink_.notices_[1].alert.state, AlertState::kResolved);
  const Alert a = Only();
  EXPECT_EQ(a.state, AlertState::kResolved);
  EXPECT_EQ(a.resolved_at_ms, kT0 + 10 * kSec);
  Step(kT0 + 70 * kSec, 50);
  EXPECT_EQ(engine_->Alerts().size(), 1u);  // 60 s after resolving: still listed
  Step(kT0 + 71 * kSec, 50);
  EXPECT_TRUE(engine_->Alerts().empty());
  EXPECT_EQ(sink_.notices_.size(), 2u);
}

TEST_F(EngineTest, KeepFiringForHoldsFromTheFirstMissingEvaluation) {
  RuleSpec rule = CpuRule();
  rule.keep_firing_for_ms = 20 * kSec;
  Start({rule});
  Step(kT0, 90);
  Step(kT0 + 10 * kSec, 50);  // missing since +10 s
  EXPECT_EQ(StateOf(), AlertState::kFiring);
  EXPECT_EQ(Only().keep_firing_since_ms, kT0 + 10 * kSec);
  Step(kT0 + 20 * kSec, 50);
  EXPECT_EQ(StateOf(), AlertState::kFiring);
  Step(kT0 + 30 * kSec, 50);  // 20 s after the first miss
  EXPECT_EQ(StateOf(), AlertState::kResolved);
  EXPECT_EQ(sink_.Kinds(), (std::vector<Kind>{Kind::kFiring, Kind::kResolved}));
}

TEST_F(EngineTest, KeepFiringForRestartsWhenTheConditionReturns) {
  RuleSpec rule = CpuRule();
  rule.keep_firing_for_ms = 20 * kSec;
  Start({rule});
  Step(kT0, 90);
  Step(kT0 + 10 * kSec, 50);
  Step(kT0 + 20 * kSec, 90);
  EXPECT_EQ(Only().keep_firing_since_ms, 0);
  Step(kT0 + 30 * kSec, 50);
  Step(kT0 + 40 * kSec, 50);
  EXPECT_EQ(StateOf(), AlertState::kFiring);
  Step(kT0 + 50 * kSec, 50);
  EXPECT_EQ(StateOf(), AlertState::kResolved);
  EXPECT_EQ(sink_.Kinds(), (std::vector<Kind>{Kind::kFiring, Kind::kResolved}));
}

TEST_F(EngineTest, HysteresisKeepsAHoveringValueFromFlapping) {
  const std::vector<double> hovering = {85, 79, 81, 79, 80, 81, 76, 79, 81};
  RuleSpec with = CpuRule();
  with.keep_firing_while = "cpu_usage > 75";
  Start({with});
  TimestampMs t = kT0;
  for (double v : hovering) {
    Step(t += 10 * kSec, v);
    EXPECT_EQ(StateOf(), AlertState::kFiring) << v;
  }
  EXPECT_EQ(sink_.Kinds(), std::vector<Kind>{Kind::kFiring});
  EXPECT_EQ(Only().value, 81);
  Step(t += 10 * kSec, 77);
  EXPECT_EQ(Only().value, 77);  // the value keep_firing_while returned
  EXPECT_EQ(Only().annotations[0].second, "CPU 0 at 77%");
  Step(t += 10 * kSec, 70);
  EXPECT_EQ(StateOf(), AlertState::kResolved);
  EXPECT_EQ(sink_.Kinds(), (std::vector<Kind>{Kind::kFiring, Kind::kResolved}));
}

TEST_F(EngineTest, WithoutHysteresisTheSameValuesFlap) {
  Start({CpuRule()});
  TimestampMs t = kT0;
  for (double v : {85, 79, 81, 79}) Step(t += 10 * kSec, v);
  EXPECT_EQ(sink_.Kinds(),
            (std::vector<Kind>{Kind::kFiring, Kind::kResolved, Kind::kFiring, Kind::kResolved}));
}

TEST_F(EngineTest, RepeatsAfterTheRepeatInterval) {
  options_.repeat_interval_ms = 60 * kSec;
  Start({CpuRule()});
  for (int s = 0; s <= 130; s += 10) Step(kT0 + s * kSec, 90);
  EXPECT_EQ(sink_.Kinds(), (std::vector<Kind>{Kind::kFiring, Kind::kRepeat, Kind::kRepeat}));
  EXPECT_EQ(sink_.notices_[1].alert.last_sent_ms, kT0 + 60 * kSec);
  EXPECT_EQ(sink_.notices_[2].alert.last_sent_ms, kT0 + 120 * kSec);
}

TEST_F(EngineTest, AcknowledgedAlertStopsRepeatingButNotifiesWhenWorse) {
  options_.repeat_interval_ms = 60 * kSec;
  Start({CpuRule()});
  Step(kT0, 90);
  const std::string id = Only().id;
  EXPECT_EQ(engine_->Acknowledge("0000000000000000", "ana", "x", kT0).code(),
            Status::Code::kNotFound);
  EXPECT_EQ(engine_->Acknowledge(id, "", "x", kT0).code(), Status::Code::kInvalidArgument);
  ASSERT_TRUE(engine_->Acknowledge(id, "ana", "looking into it", kT0 + kSec).ok());
  const Alert acked = Only();
  EXPECT_TRUE(acked.acknowledged);
  EXPECT_EQ(acked.ack.by, "ana");
  EXPECT_EQ(acked.ack.comment, "looking into it");
  EXPECT_EQ(acked.ack.at_ms, kT0 + kSec);
  EXPECT_EQ(acked.ack.value_at_ack, 90);

  Step(kT0 + 70 * kSec, 95);   // repeat interval passed, 5.6% worse: quiet
  Step(kT0 + 140 * kSec, 85);  // better: quiet
  EXPECT_EQ(sink_.Kinds(), std::vector<Kind>{Kind::kFiring});
  Step(kT0 + 150 * kSec, 99);  // 10% above 90
  ASSERT_EQ(sink_.Kinds(), (std::vector<Kind>{Kind::kFiring, Kind::kWorse}));
  EXPECT_TRUE(sink_.notices_[1].alert.acknowledged);
  Step(kT0 + 160 * kSec, 100);  // measured from 99 now
  EXPECT_EQ(sink_.notices_.size(), 2u);

  Step(kT0 + 170 * kSec, 50);  // resolves: the acknowledgement goes with it
  EXPECT_EQ(sink_.notices_.back().kind, Kind::kResolved);
  EXPECT_FALSE(Only().acknowledged);
  EXPECT_EQ(engine_->Acknowledge(id, "ana", "late", kT0 + 171 * kSec).code(),
            Status::Code::kNotFound);
  Step(kT0 + 180 * kSec, 90);  // fires again, not acknowledged
  EXPECT_FALSE(Only().acknowledged);
  EXPECT_EQ(sink_.notices_.back().kind, Kind::kFiring);

  Result<std::vector<AlertHistoryEntry>> h = engine_->History(0, 100);
  ASSERT_TRUE(h.ok());
  auto ack = std::find_if(h->begin(), h->end(),
                          [](const AlertHistoryEntry& e) { return e.event == "acknowledged"; });
  ASSERT_NE(ack, h->end());
  EXPECT_EQ(ack->by, "ana");
  EXPECT_EQ(ack->comment, "looking into it");
  EXPECT_EQ(ack->alert_id, id);
}

TEST_F(EngineTest, WorseFollowsTheComparisonDirection) {
  RuleSpec low = CpuRule();
  low.name = "LowIdle";
  low.expr = "cpu_usage < 20";
  Start({low});
  Step(kT0, 10);
  ASSERT_TRUE(engine_->Acknowledge(Only().id, "ana", "", kT0).ok());
  Step(kT0 + 10 * kSec, 12);  // up is better here
  Step(kT0 + 20 * kSec, 9.5);
  EXPECT_EQ(sink_.Kinds(), std::vector<Kind>{Kind::kFiring});
  Step(kT0 + 30 * kSec, 8.9);
  EXPECT_EQ(sink_.Kinds(), (std::vector<Kind>{Kind::kFiring, Kind::kWorse}));
}

TEST_F(EngineTest, ConsecutivePoorPerformanceHasItsOwnEvent) {
  RuleSpec rule = CpuRule();
  rule.name = "ConsecutivePoorPerformance";
  Start({rule});
  Step(kT0, 90);
  Step(kT0 + kSec, 10);
  ASSERT_EQ(sink_.notices_.size(), 2u);
  EXPECT_EQ(sink_.notices_[0].event, "consecutive_poor_performance");
  EXPECT_EQ(sink_.notices_[1].event, "alert_resolved");
}

Silence SilenceOf(const std::string& alertname, TimestampMs start, TimestampMs end) {
  Silence s;
  s.matchers = {*MakeSilenceMatcher("alertname", alertname, false, true)};
  s.starts_at_ms = start;
  s.ends_at_ms = end;
  s.created_by = "ana";
  s.comment = "maintenance";
  return s;
}

TEST_F(EngineTest, SilenceSuppressesAndItsExpiryNotifies) {
  Start({CpuRule()});
  Result<std::string> id = engine_->AddSilence(SilenceOf("HighCpu", kT0, kT0 + 3600 * kSec), kT0);
  ASSERT_TRUE(id.ok()) << id.status().ToString();
  Step(kT0 + 10 * kSec, 90);
  const Alert a = Only();
  EXPECT_EQ(a.state, AlertState::kFiring);
  EXPECT_TRUE(a.silenced);
  EXPECT_TRUE(sink_.notices_.empty());

  ASSERT_TRUE(engine_->ExpireSilence(*id, kT0 + 20 * kSec).ok());
  EXPECT_EQ(engine_->Silences(kT0 + 20 * kSec)[0].StateAt(kT0 + 20 * kSec), SilenceState::kExpired);
  Step(kT0 + 30 * kSec, 90);
  EXPECT_FALSE(Only().silenced);
  ASSERT_EQ(sink_.Kinds(), std::vector<Kind>{Kind::kFiring});
  EXPECT_EQ(sink_.notices_[0].alert.fired_at_ms, kT0 + 10 * kSec);

  Result<std::vector<AlertHistoryEntry>> h = engine_->History(0, 100);
  ASSERT_TRUE(h.ok());
  std::vector<std::string> events;
  for (const auto& e : *h) events.push_back(e.event);
  EXPECT_EQ(events,
            (std::vector<std::string>{"unsilenced", "silenced", "transition", "transition"}));
}

TEST_F(EngineTest, ASilencedAlertThatNeverNotifiedResolvesQuietly) {
  Start({CpuRule()});
  ASSERT_TRUE(engine_->AddSilence(SilenceOf("HighCpu", kT0, kT0 + 3600 * kSec), kT0).ok());
  Step(kT0 + 10 * kSec, 90);
  Step(kT0 + 20 * kSec, 50);
  EXPECT_EQ(StateOf(), AlertState::kResolved);
  EXPECT_TRUE(sink_.notices_.empty());
}

TEST_F(EngineTest, SilencesOnlyMuteWhatTheyMatchWhileActive) {
  options_.repeat_interval_ms = 10 * kSec;
  Start({CpuRule()});
  // A pending silence and one for another alert mute nothing.
  ASSERT_TRUE(
      engine_->AddSilence(SilenceOf("HighCpu", kT0 + 60 * kSec, kT0 + 120 * kSec), kT0).ok());
  ASSERT_TRUE(engine_->AddSilence(SilenceOf("Other", kT0, kT0 + 120 * kSec), kT0).ok());
  Step(kT0, 90);
  Step(kT0 + 10 * kSec, 90);
  EXPECT_EQ(sink_.Kinds(), (std::vector<Kind>{Kind::kFiring, Kind::kRepeat}));
  Step(kT0 + 60 * kSec, 90);  // the first silence is active now: no repeat
  Step(kT0 + 70 * kSec, 90);
  EXPECT_EQ(sink_.notices_.size(), 2u);
  Step(kT0 + 120 * kSec, 90);  // it ended: repeats resume
  EXPECT_EQ(sink_.Kinds(), (std::vector<Kind>{Kind::kFiring, Kind::kRepeat, Kind::kRepeat}));
}

TEST_F(EngineTest, SilenceRequestsAreValidated) {
  Start({CpuRule()});
  EXPECT_EQ(engine_->AddSilence(SilenceOf("HighCpu", kT0 - 20, kT0 - 10), kT0).status().code(),
            Status::Code::kInvalidArgument);
  Silence unknown = SilenceOf("HighCpu", kT0, kT0 + 10);
  unknown.id = "nope";
  EXPECT_EQ(engine_->AddSilence(unknown, kT0).status().code(), Status::Code::kNotFound);
  EXPECT_EQ(engine_->ExpireSilence("nope", kT0).code(), Status::Code::kNotFound);
  EXPECT_EQ(engine_->DeleteSilence("nope").code(), Status::Code::kNotFound);

  Result<std::string> id = engine_->AddSilence(SilenceOf("HighCpu", kT0 - 100, kT0 + 100), kT0);
  ASSERT_TRUE(id.ok());
  Result<Silence> got = engine_->GetSilence(*id);
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->starts_at_ms, kT0);  // a new silence starts no earlier than now
  Silence update = *got;
  update.comment = "longer";
  update.ends_at_ms = kT0 + 500;
  ASSERT_TRUE(engine_->AddSilence(update, kT0 + 1).ok());
  EXPECT_EQ(engine_->GetSilence(*id)->comment, "longer");
  EXPECT_EQ(engine_->Silences(kT0).size(), 1u);
  ASSERT_TRUE(engine_->DeleteSilence(*id).ok());
  EXPECT_TRUE(engine_->Silences(kT0).empty());
}

TEST_F(EngineTest, RestartRestoresStateWithoutNotifyingTwice) {
  options_.repeat_interval_ms = 600 * kSec;
  Start({CpuRule(10 * kSec)}, /*persist=*/true);
  Step(kT0, 90, "0");
  Step(kT0 + 10 * kSec, 90, "0");  // cpu 0 fires
  Step(kT0 + 10 * kSec, 90, "1");  // cpu 1 becomes pending
  ASSERT_EQ(sink_.Kinds(), std::vector<Kind>{Kind::kFiring});
  const std::string id = sink_.notices_[0].alert.id;
  ASSERT_TRUE(engine_->Acknowledge(id, "ana", "on it", kT0 + 11 * kSec).ok());
  Result<std::string> silence =
      engine_->AddSilence(SilenceOf("Nothing", kT0, kT0 + 3600 * kSec), kT0 + 12 * kSec);
  ASSERT_TRUE(silence.ok());
  sink_.Take();

  Start({CpuRule(10 * kSec)}, /*persist=*/true);  // a restart
  ASSERT_EQ(engine_->Alerts().size(), 2u);
  Result<Alert> restored = engine_->GetAlert(id);
  ASSERT_TRUE(restored.ok());
  EXPECT_EQ(restored->state, AlertState::kFiring);
  EXPECT_EQ(restored->active_since_ms, kT0);
  EXPECT_EQ(restored->fired_at_ms, kT0 + 10 * kSec);
  EXPECT_EQ(restored->last_sent_ms, kT0 + 10 * kSec);
  EXPECT_TRUE(restored->acknowledged);
  EXPECT_EQ(restored->ack.by, "ana");
  EXPECT_EQ(StateOf("1"), AlertState::kPending);
  EXPECT_TRUE(engine_->GetSilence(*silence).ok());

  Step(kT0 + 20 * kSec, 90, "0");  // cpu 1, pending since before the restart, fires
  Step(kT0 + 20 * kSec, 90, "1");
  EXPECT_EQ(StateOf("0"), AlertState::kFiring);
  EXPECT_EQ(StateOf("1"), AlertState::kFiring);
  ASSERT_EQ(sink_.notices_.size(), 1u);  // cpu 1's firing only
  EXPECT_EQ(sink_.notices_[0].alert.labels.Get("cpu"), "1");
  EXPECT_EQ(sink_.notices_[0].alert.active_since_ms, kT0 + 10 * kSec);

  Result<std::vector<AlertHistoryEntry>> h = engine_->History(0, 100);
  ASSERT_TRUE(h.ok());
  // cpu 0 pending and firing, cpu 1 pending, the acknowledgement, cpu 1 firing.
  ASSERT_EQ(h->size(), 5u);
  EXPECT_EQ((*h)[0].to, AlertState::kFiring);
  EXPECT_EQ((*h)[1].event, "acknowledged");
}

TEST_F(EngineTest, RestartedEngineRepeatsOnlyAfterTheInterval) {
  options_.repeat_interval_ms = 60 * kSec;
  Start({CpuRule()}, true);
  Step(kT0, 90);
  Start({CpuRule()}, true);
  Step(kT0 + 30 * kSec, 90);
  EXPECT_EQ(sink_.Kinds(), std::vector<Kind>{Kind::kFiring});
  Start({CpuRule()}, true);
  Step(kT0 + 60 * kSec, 90);
  EXPECT_EQ(sink_.Kinds(), (std::vector<Kind>{Kind::kFiring, Kind::kRepeat}));
}

TEST_F(EngineTest, AlertThatResolvedWhileDownResolvesAtTheFirstEvaluation) {
  Start({CpuRule()}, true);
  Step(kT0, 90);
  sink_.Take();
  Start({CpuRule()}, true);
  Step(kT0 + 3600 * kSec, 40);
  ASSERT_EQ(sink_.Kinds(), std::vector<Kind>{Kind::kResolved});
  EXPECT_EQ(sink_.notices_[0].alert.fired_at_ms, kT0);
  EXPECT_EQ(Only().state, AlertState::kResolved);
  // ... and the resolution is itself persisted.
  sink_.Take();
  Start({CpuRule()}, true);
  Step(kT0 + 3601 * kSec, 40);
  EXPECT_TRUE(sink_.notices_.empty());
}

TEST_F(EngineTest, StateIsDurableBeforeTheSinkSeesTheNotice) {
  Start({CpuRule()}, true);
  std::vector<Alert> seen_by_reader;
  sink_.on_deliver = [&](const std::vector<AlertNotice>&) {
    Result<std::unique_ptr<AlertDb>> reader = AlertDb::Open(AlertDb::PathIn(dir_.string()));
    ASSERT_TRUE(reader.ok());
    seen_by_reader = *(*reader)->LoadAlerts();
  };
  Step(kT0, 90);
  ASSERT_EQ(seen_by_reader.size(), 1u);
  EXPECT_EQ(seen_by_reader[0].state, AlertState::kFiring);
  EXPECT_EQ(seen_by_reader[0].last_sent_ms, kT0);
}

TEST_F(EngineTest, AlertsOfARemovedRuleResolve) {
  Start({CpuRule()});
  Step(kT0, 90);
  RuleSpec other = CpuRule();
  other.name = "Other";
  other.expr = "cpu_usage > 95";
  ASSERT_TRUE(engine_->SetRules({other}).ok());
  Step(kT0 + 10 * kSec, 90);
  EXPECT_EQ(StateOf(), AlertState::kResolved);
  EXPECT_EQ(sink_.Kinds(), (std::vector<Kind>{Kind::kFiring, Kind::kResolved}));
}

TEST_F(EngineTest, ReplacingRulesKeepsAlertsOfTheSameName) {
  Start({CpuRule()});
  Step(kT0, 90);
  RuleSpec changed = CpuRule();
  changed.expr = "cpu_usage > 85";
  ASSERT_TRUE(engine_->SetRules({changed}).ok());
  Step(kT0 + 10 * kSec, 90);
  EXPECT_EQ(Only().fired_at_ms, kT0);
  EXPECT_EQ(sink_.Kinds(), std::vector<Kind>{Kind::kFiring});
}

TEST_F(EngineTest, BadRulesAreRefusedNamingRuleSourceAndColumn) {
  Start({CpuRule()});
  RuleSpec bad = CpuRule();
  bad.expr = "cpu_usage >";
  Status s = engine_->SetRules({CpuRule(), bad});
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("rule HighCpu (test.yaml:3): expr: column"), std::string::npos)
      << s.message();
  bad = CpuRule();
  bad.keep_firing_while = "rate(cpu_usage[5x])";
  s = engine_->SetRules({bad});
  EXPECT_NE(s.message().find("keep_firing_while: column"), std::string::npos) << s.message();
  bad = CpuRule();
  bad.annotations = {{"summary", "{{ $valeu }}"}};
  s = engine_->SetRules({bad});
  EXPECT_NE(s.message().find("annotation summary: column 4: unknown variable"), std::string::npos)
      << s.message();
  bad = CpuRule();
  bad.labels = {{"bad-name", "x"}};
  s = engine_->SetRules({bad});
  EXPECT_NE(s.message().find("label name 'bad-name' is invalid"), std::string::npos) << s.message();
  // The good rule set is still in place.
  ASSERT_EQ(engine_->Rules().size(), 1u);
  EXPECT_EQ(engine_->Rules()[0].spec.expr, "cpu_usage > 80");
}

TEST_F(EngineTest, RulesReportHealthEvaluationAndActiveAlerts) {
  RuleSpec disabled = CpuRule();
  disabled.name = "Off";
  disabled.enabled = false;
  RuleSpec quiet = CpuRule();
  quiet.name = "Quiet";
  quiet.expr = "cpu_usage > 1000";
  Start({CpuRule(60 * kSec), disabled, quiet});
  std::vector<RuleStatus> rules = engine_->Rules();
  ASSERT_EQ(rules.size(), 2u);
  EXPECT_EQ(rules[0].health, "unknown");
  Step(kT0, 90, "0");
  Step(kT0, 90, "1");
  rules = engine_->Rules();
  EXPECT_EQ(rules[0].spec.name, "HighCpu");
  EXPECT_EQ(rules[0].health, "ok");
  EXPECT_EQ(rules[0].last_error, "");
  EXPECT_EQ(rules[0].last_evaluation_ms, kT0);
  EXPECT_GE(rules[0].last_duration_s, 0);
  EXPECT_EQ(rules[0].active, 2u);
  EXPECT_EQ(rules[0].state, AlertState::kPending);
  EXPECT_EQ(rules[0].spec.source, "test.yaml:3");
  EXPECT_EQ(rules[1].spec.name, "Quiet");
  EXPECT_EQ(rules[1].active, 0u);
  EXPECT_EQ(rules[1].state, AlertState::kInactive);
}

TEST_F(EngineTest, RangeNeedsCoverEveryExpression) {
  RuleSpec rule = CpuRule();
  rule.expr = "avg_over_time(cpu_usage[30s]) > 80";
  rule.keep_firing_while = "max_over_time(cpu_usage[2m]) > 75";
  Start({rule});
  RuleRangeNeeds needs = engine_->RangeNeeds();
  ASSERT_EQ(needs.needs.size(), 2u);
  EXPECT_EQ(needs.needs[0].second, 30 * kSec);
  EXPECT_EQ(needs.needs[1].second, 120 * kSec);
  EXPECT_EQ(needs.needs[0].first->metric(), "cpu_usage");
}

TEST_F(EngineTest, AlertsAreSortedByRuleThenLabels) {
  RuleSpec b = CpuRule();
  b.name = "B";
  RuleSpec a = CpuRule();
  a.name = "A";
  a.expr = "cpu_usage > 85";
  Start({b, a});
  Step(kT0, 90, "1");
  Step(kT0, 90, "0");
  std::vector<std::string> order;
  for (const Alert& alert : engine_->Alerts()) {
    order.push_back(alert.rule + "/" + std::string(alert.labels.Get("cpu")));
  }
  EXPECT_EQ(order, (std::vector<std::string>{"A/0", "A/1", "B/0", "B/1"}));
}

// Readers and acknowledgements from other threads while the collection
// thread evaluates (run under TSan to check the locking).
TEST_F(EngineTest, ReadersAndAcknowledgementsRunBesideEvaluation) {
  Start({CpuRule()}, /*persist=*/true);
  std::atomic<bool> done{false};
  std::atomic<int> acks{0};
  std::thread reader([&] {
    while (!done) {
      for (const Alert& a : engine_->Alerts()) {
        if (a.state == AlertState::kFiring && !a.acknowledged &&
            engine_->Acknowledge(a.id, "bot", "", kT0).ok()) {
          ++acks;
        }
      }
      (void)engine_->Rules();
      (void)engine_->History(0, 10);
    }
  });
  for (int i = 0; i < 200; ++i) Step(kT0 + i * kSec, i % 20 < 10 ? 90 : 50);
  done = true;
  reader.join();
  // Every firing was notified once and every notified firing resolved.
  size_t firing = 0, resolved = 0;
  for (const auto& n : sink_.notices_) {
    firing += n.kind == Kind::kFiring;
    resolved += n.kind == Kind::kResolved;
  }
  EXPECT_EQ(firing, 10u);
  EXPECT_EQ(resolved, 10u);
  Result<std::vector<AlertHistoryEntry>> h = engine_->History(0, 1000);
  ASSERT_TRUE(h.ok());
  EXPECT_EQ(h->size(), 10u * 3 + acks.load());  // pending, firing, resolved per cycle
}

}  // namespace
}  // namespace perfwatch
