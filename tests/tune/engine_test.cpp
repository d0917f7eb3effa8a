#include "tune/engine.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <functional>
#include <optional>
#include <utility>

#include "model/tick.h"
#include "query/window_cache.h"
#include "tune/builtin_rules.h"

namespace perfwatch {
namespace {

namespace fs = std::filesystem;

constexpr TimestampMs kT0 = 1'700'000'000'000;
constexpr int64_t kSec = 1000;
constexpr int64_t kMin = 60 * kSec;

// Answers every submission at once (seen at the engine's next Evaluate),
// as `answer` says: nullopt leaves the work unanswered.
class RecordingActuator : public TuningActuator {
 public:
  void Submit(ActuatorWork work) override {
    works.push_back(work);
    std::optional<ActuatorDone> done =
        answer ? answer(work) : ActuatorDone{work.record_id, "applied", "", 1};
    if (!done) return;
    done->record_id = work.record_id;
    done_.push_back(*done);
  }
  std::vector<ActuatorDone> TakeDone() override { return std::exchange(done_, {}); }

  std::function<std::optional<ActuatorDone>(const ActuatorWork&)> answer;
  std::vector<ActuatorWork> works;

 private:
  std::vector<ActuatorDone> done_;
};

struct Point {
  std::string name;
  Labels labels;
  double value = 0;
};

TuningAction Scale(std::string tunable, double factor) {
  TuningAction a;
  a.kind = TuningAction::Kind::kScale;
  a.tunable = std::move(tunable);
  a.factor = factor;
  return a;
}

TuningAction Set(std::string tunable, double value) {
  TuningAction a;
  a.kind = TuningAction::Kind::kSet;
  a.tunable = std::move(tunable);
  a.value = value;
  return a;
}

// "mem > 85" scaling shop/cache.size by 0.7; the fixture's defaults make
// the evaluation tick 10s.
TuningRuleSpec MemRule(std::vector<TuningAction> actions = {Scale("shop/cache.size", 0.7)}) {
  TuningRuleSpec r;
  r.name = "ShrinkCache";
  r.expr = "mem_used_percent > 85";
  r.actions = std::move(actions);
  r.source = "test.yaml:3";
  return r;
}

class TuningEngineTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string name = ::testing::UnitTest::GetInstance()->current_test_info()->name();
    std::replace(name.begin(), name.end(), '/', '_');  // parameterized: "Verdict/0"
    dir_ =
        fs::temp_directory_path() / ("tune_engine_test_" + std::to_string(getpid()) + "_" + name);
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    options_.interval_ms = 10 * kSec;
    options_.default_window_ms = 30 * kSec;
    options_.default_max_actions_per_hour = 100;
    OpenStore();
  }
  void TearDown() override {
    engine_.reset();
    registry_.reset();
    db_.reset();
    fs::remove_all(dir_);
  }

  // A fresh database connection and registry on the same file: with
  // Start, what a restart of perfwatch does.
  void OpenStore() {
    engine_.reset();
    registry_.reset();
    db_.reset();
    Result<std::unique_ptr<TuningDb>> db =
        TuningDb::Open({.path = (dir_ / "perfwatch.db").string()});
    ASSERT_TRUE(db.ok()) << db.status().ToString();
    db_ = std::move(*db);
    Result<std::unique_ptr<TunableRegistry>> registry = TunableRegistry::Open(*db_);
    ASSERT_TRUE(registry.ok()) << registry.status().ToString();
    registry_ = std::move(*registry);
  }

  void Start(std::vector<TuningRuleSpec> rules) {
    engine_.reset();
    Result<std::unique_ptr<TuningEngine>> engine =
        TuningEngine::Open(options_, std::move(rules), cache_, *registry_, *db_, actuator_,
                           [this](TuningEvent e) { events_.push_back(std::move(e)); });
    ASSERT_TRUE(engine.ok()) << engine.status().ToString();
    engine_ = std::move(*engine);
    cache_.SetRangeNeeds(engine_->RangeNeeds());
  }

  void Register(const std::string& app, const std::string& name, double value,
                std::optional<double> min, std::optional<double> max,
                std::vector<std::string> hooks = {}) {
    TunableSpec spec;
    spec.app = app;
    spec.name = name;
    spec.value = value;
    spec.min = min;
    spec.max = max;
    spec.webhook = "http://127.0.0.1:9/" + app;
    spec.hooks = std::move(hooks);
    ASSERT_TRUE(registry_->Register(spec, kT0 - kMin).ok());
  }

  void RegisterBool(const std::string& app, const std::string& name, bool value) {
    TunableSpec spec;
    spec.app = app;
    spec.name = name;
    spec.kind = TunableSpec::Kind::kBool;
    spec.value = value ? 1 : 0;
    spec.webhook = "http://127.0.0.1:9/" + app;
    ASSERT_TRUE(registry_->Register(spec, kT0 - kMin).ok());
  }

  // One collection tick: the samples, then the engine.
  void Step(TimestampMs t, const std::vector<Point>& points, bool poor = false) {
    Tick tick(series_, t);
    for (const Point& p : points) ASSERT_TRUE(tick.Append(p.name, p.labels, p.value).ok());
    cache_.Observe(tick);
    engine_->Evaluate(t, poor);
  }
  void Mem(TimestampMs t, double percent, bool poor = false) {
    Step(t, {{"mem_used_percent", Labels{}, percent}}, poor);
  }

  // The audit, oldest first.
  std::vector<TuningRecord> Rows(const std::string& rule = "") {
    TuningAuditFilter filter;
    filter.rule = rule;
    filter.limit = 10'000;
    Result<std::vector<TuningRecord>> rows = db_->Audit(filter);
    EXPECT_TRUE(rows.ok()) << rows.status().ToString();
    if (!rows.ok()) return {};
    std::reverse(rows->begin(), rows->end());
    return *rows;
  }
  std::vector<TuningRecord> RowsWith(const std::string& outcome) {
    std::vector<TuningRecord> out;
    for (TuningRecord& r : Rows()) {
      if (r.outcome == outcome) out.push_back(std::move(r));
    }
    return out;
  }
  double Value(const std::string& app, const std::string& name) {
    std::optional<Tunable> t = registry_->Get(app, name);
    EXPECT_TRUE(t.has_value()) << app << "/" << name;
    return t ? t->spec.value : -1;
  }
  size_t EventCount(const std::string& name) const {
    return std::count_if(events_.begin(), events_.end(),
                         [&](const TuningEvent& e) { return e.name == name; });
  }
  static std::string Field(const TuningEvent& e, const std::string& key) {
    for (const auto& [k, v] : e.fields) {
      if (k == key) return v;
    }
    return "<none>";
  }

  fs::path dir_;
  SeriesRegistry series_;
  WindowCache cache_{series_, 10 * kMin};
  RecordingActuator actuator_;
  std::vector<TuningEvent> events_;
  TuningOptions options_;
  std::unique_ptr<TuningDb> db_;
  std::unique_ptr<TunableRegistry> registry_;
  std::unique_ptr<TuningEngine> engine_;
};

TEST_F(TuningEngineTest, DecidesAtTheFirstEvaluationTickAfterForHeld) {
  Register("shop", "cache.size", 1000, 100, 5000);
  TuningRuleSpec rule = MemRule();
  rule.for_ms = 30 * kSec;
  Start({rule});
  // Collection every second, evaluation every 10s (at kT0, kT0+10s, ...).
  // The trigger turns true at +3s, first seen by the evaluation at +10s,
  // so `for` holds at +40s.
  for (int s = 0; s < 40; ++s) {
    Mem(kT0 + s * kSec, s < 3 ? 50 : 90);
    ASSERT_TRUE(Rows().empty()) << "decided early, at +" << s << "s";
    if (s == 35) {
      ASSERT_EQ(engine_->Rules().size(), 1u);
      EXPECT_EQ(engine_->Rules()[0].state, "pending");
      EXPECT_EQ(engine_->Rules()[0].pending_since_ms, kT0 + 10 * kSec);
    }
  }
  Mem(kT0 + 40 * kSec, 90);
  std::vector<TuningRecord> rows = Rows();
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].t_ms, kT0 + 40 * kSec);
  EXPECT_EQ(rows[0].rule, "ShrinkCache");
  EXPECT_EQ(rows[0].action, "scale");
  EXPECT_EQ(rows[0].app, "shop");
  EXPECT_EQ(rows[0].tunable, "cache.size");
  EXPECT_EQ(rows[0].before, 1000);
  EXPECT_EQ(rows[0].after, 700);
  EXPECT_EQ(rows[0].outcome, "pending");  // the answer is collected at the next call
  EXPECT_NE(rows[0].reason.find("mem_used_percent > 85 for 30s: value 90"), std::string::npos)
      << rows[0].reason;
  ASSERT_EQ(actuator_.works.size(), 1u);
  EXPECT_EQ(actuator_.works[0].record_id, rows[0].id);
  EXPECT_EQ(actuator_.works[0].value, 700);
  EXPECT_EQ(actuator_.works[0].previous, 1000);
  EXPECT_EQ(actuator_.works[0].webhook, "http://127.0.0.1:9/shop");
  EXPECT_EQ(EventCount("auto_tuning_started"), 1u);

  Mem(kT0 + 41 * kSec, 90);  // not an evaluation tick, but answers are collected
  EXPECT_EQ(Rows()[0].outcome, "applied");
  EXPECT_EQ(Value("shop", "cache.size"), 700);
  EXPECT_EQ(EventCount("auto_tuning_completed"), 1u);
  std::optional<Tunable> t = registry_->Get("shop", "cache.size");
  ASSERT_TRUE(t.has_value());
  EXPECT_EQ(t->history.back().outcome, "applied");
  EXPECT_EQ(t->history.back().id, rows[0].id);
  EXPECT_EQ(engine_->Rules()[0].cooldown_until_ms, kT0 + 40 * kSec + 5 * kMin);
}

TEST_F(TuningEngineTest, SteadyTriggerDecidesOncePerCooldown) {
  Register("shop", "cache.size", 1000, 1, 5000);
  TuningRuleSpec rule = MemRule();
  rule.cooldown_ms = kMin;
  Start({rule});
  for (int i = 0; i <= 30; ++i) Mem(kT0 + i * 10 * kSec, 95);  // five minutes
  std::vector<TuningRecord> rows = Rows();
  ASSERT_EQ(rows.size(), 6u);
  const double expected[] = {700, 490, 343, 240, 168, 118};
  for (size_t i = 0; i < rows.size(); ++i) {
    EXPECT_EQ(rows[i].t_ms, kT0 + static_cast<int64_t>(i) * kMin) << i;
    EXPECT_EQ(rows[i].after, expected[i]) << i;
  }
  EXPECT_EQ(engine_->Rules()[0].decisions_last_hour, 6);
}

TEST_F(TuningEngineTest, HourlyCapHoldsAndIsRecordedOnce) {
  Register("shop", "cache.size", 1000, 1, 5000);
  TuningRuleSpec rule = MemRule();
  rule.cooldown_ms = kMin;
  rule.max_actions_per_hour = 3;
  Start({rule});
  for (int i = 0; i <= 6 * 60 + 5; ++i) Mem(kT0 + i * 10 * kSec, 95);  // 60m50s
  std::vector<TuningRecord> applied = RowsWith("applied");
  ASSERT_EQ(applied.size(), 4u);
  EXPECT_EQ(applied[0].t_ms, kT0);
  EXPECT_EQ(applied[1].t_ms, kT0 + kMin);
  EXPECT_EQ(applied[2].t_ms, kT0 + 2 * kMin);
  // The first leaves the 60 minutes at +60m.
  EXPECT_EQ(applied[3].t_ms, kT0 + 60 * kMin);
  std::vector<TuningRecord> skipped = RowsWith("skipped");
  ASSERT_EQ(skipped.size(), 1u);
  EXPECT_EQ(skipped[0].t_ms, kT0 + 3 * kMin);
  EXPECT_EQ(skipped[0].error, "max_actions_per_hour (3) reached");
}

TEST_F(TuningEngineTest, ScalingStopsAtTheMinimumWithOneSkippedRow) {
  Register("shop", "cache.size", 1000, 100, 5000);
  TuningRuleSpec rule = MemRule();
  rule.cooldown_ms = 10 * kSec;
  Start({rule});
  for (int i = 0; i < 20; ++i) Mem(kT0 + i * 10 * kSec, 95);
  std::vector<TuningRecord> rows = Rows();
  const double expected[] = {700, 490, 343, 240, 168, 118, 100};
  ASSERT_EQ(rows.size(), 8u);
  for (size_t i = 0; i < 7; ++i) {
    EXPECT_EQ(rows[i].outcome, "applied") << i;
    EXPECT_EQ(rows[i].after, expected[i]) << i;
  }
  EXPECT_EQ(rows[7].outcome, "skipped");
  EXPECT_EQ(rows[7].before, 100);
  EXPECT_EQ(rows[7].error, "cache.size is at its minimum (100)");
  EXPECT_EQ(Value("shop", "cache.size"), 100);
  const std::optional<Tunable> cache = registry_->Get("shop", "cache.size");
  ASSERT_TRUE(cache.has_value());
  for (const TunableChange& c : cache->history) EXPECT_GE(c.value, 100);
  EXPECT_EQ(EventCount("auto_tuning_skipped"), 1u);

  // Once the value moves again (the application re-registers), the rule
  // acts again, and skips (once) again at the minimum.
  Register("shop", "cache.size", 130, 100, 5000);
  for (int i = 20; i < 25; ++i) Mem(kT0 + i * 10 * kSec, 95);
  rows = Rows();
  ASSERT_EQ(rows.size(), 10u);
  EXPECT_EQ(rows[8].after, 100);
  EXPECT_EQ(rows[9].outcome, "skipped");
}

TEST_F(TuningEngineTest, BareNameResolvesFromTheTriggersAppLabel) {
  RegisterBool("shop", "async.enabled", false);
  RegisterBool("blog", "async.enabled", false);
  Register("shop", "cache.size", 1000, 100, 5000);
  Register("blog", "cache.size", 2000, 100, 5000);
  TuningRuleSpec slow;
  slow.name = "EnableAsync";
  slow.expr = "resp_seconds > 1.5";
  slow.actions = {Set("async.enabled", 1)};
  // A host-level trigger reaches every app that declared the name.
  TuningRuleSpec mem = MemRule({Scale("cache.size", 0.5)});
  Start({slow, mem});
  Step(kT0, {{"resp_seconds", Labels{{"app", "shop"}}, 2.0},
             {"resp_seconds", Labels{{"app", "blog"}}, 0.5},
             {"mem_used_percent", Labels{}, 90}});
  std::vector<TuningRecord> rows = Rows("EnableAsync");
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].app, "shop");
  EXPECT_EQ(rows[0].before, 0);
  EXPECT_EQ(rows[0].after, 1);
  EXPECT_EQ(actuator_.works[0].value_kind, TunableSpec::Kind::kBool);
  rows = Rows("ShrinkCache");
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].app, "blog");
  EXPECT_EQ(rows[0].after, 1000);
  EXPECT_EQ(rows[1].app, "shop");
  EXPECT_EQ(rows[1].after, 500);
  Step(kT0 + 10 * kSec, {});
  EXPECT_EQ(Value("shop", "async.enabled"), 1);
  EXPECT_EQ(Value("blog", "async.enabled"), 0);
}

TEST_F(TuningEngineTest, RejectedChangeIsRecordedAndNotRetriedBeforeTheCooldown) {
  Register("shop", "cache.size", 1000, 100, 5000);
  actuator_.answer = [](const ActuatorWork& w) {
    return ActuatorDone{w.record_id, "rejected", "HTTP 400: cache is pinned", 1};
  };
  TuningRuleSpec rule = MemRule();
  rule.cooldown_ms = kMin;
  Start({rule});
  for (int i = 0; i < 6; ++i) Mem(kT0 + i * 10 * kSec, 95);
  std::vector<TuningRecord> rows = Rows();
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].outcome, "rejected");
  EXPECT_EQ(rows[0].error, "HTTP 400: cache is pinned");
  EXPECT_EQ(rows[0].verdict, "n/a");
  EXPECT_EQ(actuator_.works.size(), 1u);
  EXPECT_EQ(Value("shop", "cache.size"), 1000);
  EXPECT_EQ(registry_->Get("shop", "cache.size")->history.back().outcome, "rejected");
  EXPECT_EQ(EventCount("auto_tuning_failed"), 1u);
  Mem(kT0 + kMin, 95);  // the cooldown is over: one more try
  EXPECT_EQ(Rows().size(), 2u);
  EXPECT_EQ(actuator_.works.size(), 2u);
}

// Metric 84 for 30s, then 90 (the trigger fires, before = 85.5), then
// `after` for the window: the verdict at decision + 30s.
class EffectTest : public TuningEngineTest,
                   public ::testing::WithParamInterface<std::pair<double, std::string>> {};

TEST_P(EffectTest, VerdictComparesTheWindowBeforeAndAfter) {
  const auto [after, verdict] = GetParam();
  Register("shop", "cache.size", 1000, 100, 5000);
  TuningRuleSpec rule = MemRule();
  rule.rollback = false;
  Start({rule});
  for (int i = -3; i < 0; ++i) Mem(kT0 + i * 10 * kSec, 84);
  Mem(kT0, 90);
  ASSERT_EQ(Rows().size(), 1u);
  EXPECT_EQ(Rows()[0].verdict, "pending");
  EXPECT_EQ(Rows()[0].metric_before, 85.5);
  EXPECT_EQ(Rows()[0].metric, "mem_used_percent");
  Mem(kT0 + 10 * kSec, after);
  Mem(kT0 + 20 * kSec, after);
  EXPECT_EQ(engine_->Rules()[0].state, "evaluating");
  EXPECT_EQ(Rows()[0].verdict, "pending");
  Mem(kT0 + 30 * kSec, after);
  std::vector<TuningRecord> rows = Rows();
  ASSERT_EQ(rows.size(), 1u);  // rollback is off
  EXPECT_EQ(rows[0].verdict, verdict);
  EXPECT_EQ(rows[0].metric_after, after);
  EXPECT_EQ(rows[0].evaluated_ms, kT0 + 30 * kSec);
  EXPECT_EQ(Value("shop", "cache.size"), 700);
  const TuningEvent& last = events_.back();
  EXPECT_EQ(last.name, "auto_tuning_completed");
  EXPECT_EQ(Field(last, "verdict"), verdict);
  EXPECT_EQ(Field(last, "metric_before"), "85.5");
}

INSTANTIATE_TEST_SUITE_P(Verdicts, EffectTest,
                         ::testing::Values(std::pair(70.0, "improved"),
                                           std::pair(86.0, "unchanged"), std::pair(95.0, "worse")));

TEST_F(TuningEngineTest, WorseChangeIsRolledBackWithinOneWindow) {
  Register("shop", "cache.size", 1000, 100, 5000);
  Start({MemRule()});
  for (int i = -3; i < 0; ++i) Mem(kT0 + i * 10 * kSec, 84);
  Mem(kT0, 90);
  Mem(kT0 + 10 * kSec, 97);
  Mem(kT0 + 20 * kSec, 98);
  EXPECT_EQ(Value("shop", "cache.size"), 700);
  Mem(kT0 + 30 * kSec, 99);
  std::vector<TuningRecord> rows = Rows();
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].verdict, "rolled_back");
  EXPECT_EQ(rows[0].metric_after, 98);
  EXPECT_EQ(rows[1].action, "rollback");
  EXPECT_EQ(rows[1].rollback_of, rows[0].id);
  EXPECT_EQ(rows[1].t_ms, kT0 + 30 * kSec);
  EXPECT_EQ(rows[1].before, 700);
  EXPECT_EQ(rows[1].after, 1000);
  EXPECT_EQ(rows[1].description, "rollback of #" + std::to_string(rows[0].id));
  ASSERT_EQ(actuator_.works.size(), 2u);
  EXPECT_TRUE(actuator_.works[1].rollback);
  EXPECT_EQ(actuator_.works[1].value, 1000);
  EXPECT_EQ(actuator_.works[1].previous, 700);
  EXPECT_EQ(EventCount("auto_tuning_rolled_back"), 1u);

  Mem(kT0 + 40 * kSec, 99);
  EXPECT_EQ(Rows()[1].outcome, "applied");
  EXPECT_EQ(Value("shop", "cache.size"), 1000);
  EXPECT_EQ(registry_->Get("shop", "cache.size")->history.back().outcome, "rolled_back");
  // The rollback restarted the cooldown: no new change while it runs.
  for (int i = 5; i < 30; ++i) Mem(kT0 + i * 10 * kSec, 99);
  EXPECT_EQ(Rows().size(), 2u);
  Mem(kT0 + 30 * kSec + 5 * kMin, 99);
  EXPECT_EQ(Rows().size(), 3u);
}

TEST_F(TuningEngineTest, EmergencyModeAppliesEverythingAndSendsTheCleanupHooks) {
  options_.emergency_after = 3;
  Register("shop", "cache.size", 1000, 100, 5000, {"memory_cleanup", "emergency_cleanup"});
  Register("blog", "cache.size", 2000, 100, 5000, {"memory_cleanup"});
  RegisterBool("shop", "async.enabled", false);
  TuningRuleSpec async;
  async.name = "EnableAsync";
  async.expr = "resp_seconds > 1.5";
  async.actions = {Set("async.enabled", 1)};
  TuningRuleSpec mem = MemRule({Scale("cache.size", 0.7)});
  mem.cooldown_ms = 10 * kSec;
  Start({mem, async});
  Mem(kT0, 50, true);
  Mem(kT0 + 10 * kSec, 50, true);
  EXPECT_TRUE(Rows().empty());
  EXPECT_FALSE(engine_->State().emergency);
  EXPECT_EQ(engine_->State().consecutive_poor, 2);
  Mem(kT0 + 20 * kSec, 50, true);
  EXPECT_TRUE(engine_->State().emergency);
  EXPECT_EQ(EventCount("consecutive_poor_performance"), 1u);
  EXPECT_EQ(EventCount("emergency_mode_entered"), 1u);
  std::vector<TuningRecord> rows = Rows();
  ASSERT_EQ(rows.size(), 6u);
  for (const TuningRecord& r : rows) {
    EXPECT_TRUE(r.emergency) << r.description;
    EXPECT_EQ(r.t_ms, kT0 + 20 * kSec);
  }
  auto has = [&](const std::string& rule, const std::string& app, const std::string& tunable) {
    return std::any_of(rows.begin(), rows.end(), [&](const TuningRecord& r) {
      return r.rule == rule && r.app == app && r.tunable == tunable;
    });
  };
  EXPECT_TRUE(has("ShrinkCache", "shop", "cache.size"));
  EXPECT_TRUE(has("ShrinkCache", "blog", "cache.size"));
  EXPECT_TRUE(has("EnableAsync", "shop", "async.enabled"));
  EXPECT_TRUE(has("EmergencyMode", "shop", "memory_cleanup"));
  EXPECT_TRUE(has("EmergencyMode", "blog", "memory_cleanup"));
  EXPECT_TRUE(has("EmergencyMode", "shop", "emergency_cleanup"));
  const auto hooks = std::count_if(
      actuator_.works.begin(), actuator_.works.end(),
      [](const ActuatorWork& w) { return w.kind == TuningAction::Kind::kHook && w.emergency; });
  EXPECT_EQ(hooks, 3);

  Mem(kT0 + 30 * kSec, 50, true);  // still poor: nothing more
  EXPECT_EQ(Rows().size(), 6u);
  Mem(kT0 + 40 * kSec, 50, false);
  EXPECT_FALSE(engine_->State().emergency);
  EXPECT_EQ(EventCount("emergency_mode_left"), 1u);
  // Three poor ticks again, but within the default cooldown of the entry.
  for (int i = 5; i < 8; ++i) Mem(kT0 + i * 10 * kSec, 50, true);
  EXPECT_FALSE(engine_->State().emergency);
  EXPECT_EQ(Rows().size(), 6u);
}

TEST_F(TuningEngineTest, DryRunRecordsWhatWouldBeDoneAndChangesNothing) {
  options_.dry_run = true;
  Register("shop", "cache.size", 1000, 100, 5000);
  TuningRuleSpec rule = MemRule();
  rule.cooldown_ms = kMin;
  Start({rule});
  for (int i = 0; i <= 6; ++i) Mem(kT0 + i * 10 * kSec, 95);
  std::vector<TuningRecord> rows = Rows();
  ASSERT_EQ(rows.size(), 2u);  // once per cooldown
  for (const TuningRecord& r : rows) {
    EXPECT_EQ(r.outcome, "dry_run");
    EXPECT_EQ(r.after, 700);
  }
  EXPECT_TRUE(actuator_.works.empty());
  EXPECT_EQ(Value("shop", "cache.size"), 1000);
  EXPECT_EQ(registry_->Get("shop", "cache.size")->history.back().outcome, "dry_run");
  EXPECT_TRUE(engine_->State().dry_run);
}

TEST_F(TuningEngineTest, DisabledEngineDoesNothing) {
  options_.enabled = false;
  Register("shop", "cache.size", 1000, 100, 5000, {"memory_cleanup"});
  Start({MemRule()});
  for (int i = 0; i <= 10; ++i) Mem(kT0 + i * 10 * kSec, 95, true);
  EXPECT_TRUE(Rows().empty());
  EXPECT_TRUE(actuator_.works.empty());
  EXPECT_TRUE(events_.empty());
  EXPECT_EQ(engine_->State().last_evaluation_ms, 0);
  EXPECT_FALSE(engine_->State().enabled);
  EXPECT_EQ(Value("shop", "cache.size"), 1000);
}

TEST_F(TuningEngineTest, RestartKeepsTheCooldownAndMarksUnfinishedRowsInterrupted) {
  Register("shop", "cache.size", 1000, 100, 5000);
  Register("shop", "pool.size", 8, 1, 64);
  // cache.size is applied (its verdict then runs), pool.size never answered.
  actuator_.answer = [](const ActuatorWork& w) -> std::optional<ActuatorDone> {
    if (w.name == "pool.size") return std::nullopt;
    return ActuatorDone{w.record_id, "applied", "", 1};
  };
  TuningRuleSpec rule = MemRule({Scale("cache.size", 0.7), Scale("pool.size", 2)});
  rule.cooldown_ms = 2 * kMin;
  Start({rule});
  Mem(kT0, 95);
  Mem(kT0 + 10 * kSec, 95);
  ASSERT_EQ(Rows().size(), 2u);
  EXPECT_EQ(Rows()[0].outcome, "applied");
  EXPECT_EQ(Rows()[0].verdict, "pending");
  EXPECT_EQ(Rows()[1].outcome, "pending");

  OpenStore();  // perfwatch restarts
  Start({rule});
  std::vector<TuningRecord> rows = Rows();
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].outcome, "applied");
  EXPECT_EQ(rows[0].verdict, "interrupted");
  EXPECT_EQ(rows[1].outcome, "failed");
  EXPECT_EQ(rows[1].verdict, "interrupted");
  EXPECT_EQ(Value("shop", "cache.size"), 700);
  EXPECT_EQ(engine_->Rules()[0].last_decision_ms, kT0);
  for (int i = 2; i < 12; ++i) Mem(kT0 + i * 10 * kSec, 95);
  EXPECT_EQ(Rows().size(), 2u);
  Mem(kT0 + 2 * kMin, 95);
  EXPECT_EQ(Rows().size(), 4u);
}

TEST_F(TuningEngineTest, HookExecAndWebhookActionsBecomeWork) {
  Register("shop", "cache.size", 1000, 100, 5000, {"cache_warmup"});
  Register("blog", "cache.size", 1000, 100, 5000, {"cache_warmup"});
  TuningAction hook;
  hook.kind = TuningAction::Kind::kHook;
  hook.hook = "cache_warmup";
  TuningAction exec;
  exec.kind = TuningAction::Kind::kExec;
  exec.argv = {"/bin/true", "x"};
  TuningAction webhook;
  webhook.kind = TuningAction::Kind::kWebhook;
  webhook.url = "http://127.0.0.1:9/hook";
  TuningRuleSpec rule;
  rule.name = "Warm";
  rule.expr = "hit_rate_percent < 60";
  rule.actions = {hook, exec, webhook};
  Start({rule});
  Step(kT0, {{"hit_rate_percent", Labels{{"app", "blog"}}, 40}});
  ASSERT_EQ(actuator_.works.size(), 3u);
  EXPECT_EQ(actuator_.works[0].kind, TuningAction::Kind::kHook);
  EXPECT_EQ(actuator_.works[0].app, "blog");  // the trigger's app only
  EXPECT_EQ(actuator_.works[0].name, "cache_warmup");
  EXPECT_EQ(actuator_.works[0].webhook, "http://127.0.0.1:9/blog");
  EXPECT_EQ(actuator_.works[1].kind, TuningAction::Kind::kExec);
  EXPECT_EQ(actuator_.works[1].argv, exec.argv);
  EXPECT_EQ(actuator_.works[2].kind, TuningAction::Kind::kWebhook);
  EXPECT_EQ(actuator_.works[2].webhook, "http://127.0.0.1:9/hook");
  std::vector<TuningRecord> rows = Rows();
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows[0].action, "hook");
  EXPECT_EQ(rows[0].tunable, "cache_warmup");
  EXPECT_EQ(rows[1].action, "exec");
  EXPECT_EQ(rows[2].action, "webhook");
  for (const TuningRecord& r : rows) EXPECT_FALSE(r.before.has_value());
}

TEST_F(TuningEngineTest, BuiltinRulesActOnlyOnWhatApplicationsDeclared) {
  Register("shop", "cache.size", 1000, 100, 5000, {"memory_cleanup"});
  TuningThresholds thresholds;
  thresholds.for_ms = 0;
  Result<std::vector<TuningRuleSpec>> rules = MergeTuningRules(BuiltinTuningRules(thresholds), {});
  ASSERT_TRUE(rules.ok());
  Start(*rules);
  Step(kT0, {{"system_memory_used_percent", Labels{}, 91},
             {"app_response_time_avg_seconds", Labels{{"app", "shop"}}, 2},
             {"app_cache_hit_rate_percent", Labels{{"app", "shop"}}, 30}});
  std::vector<TuningRecord> rows = Rows();
  // No memory_optimization.enabled, async.enabled, cache.ttl_seconds or
  // other hooks declared: only these two.
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].rule, "MemoryOptimization");
  EXPECT_EQ(rows[0].description, "scale 0.7 cache.size");
  EXPECT_EQ(rows[0].after, 700);
  EXPECT_EQ(rows[1].action, "hook");
  EXPECT_EQ(rows[1].tunable, "memory_cleanup");
  for (const TuningRuleStatus& s : engine_->Rules()) EXPECT_EQ(s.health, "ok") << s.spec.name;
}

TEST_F(TuningEngineTest, OpenRefusesABadRuleNamingItAndItsSource) {
  TuningRuleSpec rule = MemRule();
  rule.expr = "mem_used_percent >";
  Result<std::unique_ptr<TuningEngine>> engine =
      TuningEngine::Open(options_, {rule}, cache_, *registry_, *db_, actuator_, nullptr);
  ASSERT_FALSE(engine.ok());
  EXPECT_EQ(engine.status().message().rfind("tuning rule ShrinkCache (test.yaml:3): expr: ", 0), 0u)
      << engine.status().message();
  rule = MemRule();
  rule.metric = "rate(";
  engine = TuningEngine::Open(options_, {rule}, cache_, *registry_, *db_, actuator_, nullptr);
  ASSERT_FALSE(engine.ok());
  EXPECT_NE(engine.status().message().find("ShrinkCache (test.yaml:3): metric: "),
            std::string::npos);
  engine = TuningEngine::Open(options_, {MemRule(), MemRule()}, cache_, *registry_, *db_, actuator_,
                              nullptr);
  EXPECT_FALSE(engine.ok());
}

TEST_F(TuningEngineTest, RuleMetricAndDirectionOverrideTheTrigger) {
  Register("shop", "cache.size", 1000, 100, 5000);
  TuningRuleSpec rule = MemRule();
  rule.metric = "hit_rate_percent";
  rule.worse_direction = -1;  // a lower hit rate is worse
  Start({rule});
  auto step = [&](TimestampMs t, double mem, double hit) {
    Step(t, {{"mem_used_percent", Labels{}, mem}, {"hit_rate_percent", Labels{}, hit}});
  };
  step(kT0 - 10 * kSec, 50, 80);
  step(kT0, 90, 80);
  step(kT0 + 10 * kSec, 80, 60);
  step(kT0 + 20 * kSec, 80, 60);
  step(kT0 + 30 * kSec, 80, 60);
  std::vector<TuningRecord> rows = Rows();
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].metric, "hit_rate_percent");
  EXPECT_EQ(rows[0].metric_before, 80);
  EXPECT_EQ(rows[0].metric_after, 60);
  EXPECT_EQ(rows[0].verdict, "rolled_back");
}

}  // namespace
}  // namespace perfwatch
