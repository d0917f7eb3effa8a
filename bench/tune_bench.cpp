// What the closed tuning loop costs the collection thread per evaluation
// tick (issue 7): TuningEngine::Evaluate, after the tick's samples went
// into the WindowCache, with the evaluation tick equal to the 1 s
// collection tick so that every call evaluates every rule.
//
//   cmake -S . -B build-bench -G Ninja -DPERFWATCH_BUILD_BENCH=ON
//   ninja -C build-bench tune_bench
//   build-bench/bench/tune_bench --benchmark_repetitions=5
//
// The world: 50 applications (app="app00".."app49"), each with the example
// service's four tunables (cache.size, cache.ttl_seconds, async.enabled,
// pool.size, with its min/max and its four clean-up hooks) registered in a
// real TunableRegistry over a real TuningDb (SQLite, in a directory under
// $TMPDIR); per application app_response_time_avg_seconds{app} and
// app_cache_hit_rate_percent{app}, plus system_memory_used_percent: 101
// series. 100 rules: the 3 built-ins (BuiltinTuningRules) and 97 user-like
// rules over those series (bare, app=~/app!= matchers, avg_over_time over
// 1m, min by (app)), with thresholds varying per rule; every trigger
// returns one series per application (the memory ones one host-level
// series, whose bare cache.size action reaches every application). The
// Actuator records and answers "applied" at the next TakeDone, without a
// network.
//
// BM_TuningTickQuiet: every value below its thresholds, nothing fires;
// one tick = WindowCache::Observe + Evaluate. The steady state.
// BM_TuningTickTriggersInCooldown: every trigger true, every (rule, app)
// decided once during setup (cooldown 1 h) and every effect verdict given:
// the cost of 100 rules x 50 applications that hold but cannot act. A
// repetition is a fixed 500 ticks so that 5 of them stay inside the hour;
// a decision during the measured ticks fails the benchmark.

#include <benchmark/benchmark.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "model/registry.h"
#include "model/tick.h"
#include "query/window_cache.h"
#include "tune/actuator.h"
#include "tune/builtin_rules.h"
#include "tune/engine.h"
#include "tune/tunables.h"
#include "tune/tuning_db.h"

namespace perfwatch {
namespace {

namespace fs = std::filesystem;

constexpr int kApps = 50;
constexpr int kUserRules = 97;
constexpr int kTunablesPerApp = 4;
constexpr int64_t kTickMs = 1000;
constexpr int64_t kHourMs = 3'600'000;
constexpr TimestampMs kStart = 1'700'000'000'000;
constexpr int64_t kCooldownTicks = 500;  // per repetition of the cooldown benchmark

// "0.53", "70": a threshold as a rule's text shows it.
std::string Num(double v) {
  std::string s = std::to_string(v);
  s.erase(s.find_last_not_of('0') + 1);
  if (s.back() == '.') s.pop_back();
  return s;
}
std::string AppName(int a) {
  std::string name = "app";
  if (a < 10) name += '0';
  name += std::to_string(a);
  return name;
}

// Records every decision and answers "applied" at the next TakeDone.
class RecordingActuator : public TuningActuator {
 public:
  void Submit(ActuatorWork work) override {
    ++submitted_;
    done_.push_back(ActuatorDone{work.record_id, "applied", "", 1});
  }
  std::vector<ActuatorDone> TakeDone() override { return std::exchange(done_, {}); }
  int64_t submitted() const { return submitted_; }

 private:
  std::vector<ActuatorDone> done_;
  int64_t submitted_ = 0;
};

// The series values of one state of the world.
struct Load {
  double response_seconds;
  double hit_rate_percent;
  double memory_percent;
};
// Below every threshold (response > 0.5.., hit rate < 40..69, memory > 70..89).
constexpr Load kQuiet{0.05, 95, 40};
// Above every threshold.
constexpr Load kDegraded{3.0, 10, 97};

TuningAction Scale(std::string tunable, double factor) {
  TuningAction a;
  a.kind = TuningAction::Kind::kScale;
  a.tunable = std::move(tunable);
  a.factor = factor;
  return a;
}
TuningAction Toggle(std::string tunable) {
  TuningAction a;
  a.kind = TuningAction::Kind::kToggle;
  a.tunable = std::move(tunable);
  return a;
}
TuningAction Hook(std::string hook) {
  TuningAction a;
  a.kind = TuningAction::Kind::kHook;
  a.hook = std::move(hook);
  return a;
}

// User rule k: eight shapes in turn. Scales alternate up and down per
// shape so that the changes of the setup never pin a tunable at a limit
// (a change that cannot move is "skipped", not a decision).
TuningRuleSpec UserRule(int k) {
  TuningRuleSpec r;
  r.name = "UserRule" + std::to_string(k);
  r.for_ms = (k % 4) * 10'000;
  r.cooldown_ms = kHourMs;
  r.source = "bench.yaml:" + std::to_string(k + 1);
  const bool up = (k / 8) % 2 == 0;
  const std::string rt = Num(0.5 + 0.01 * k);  // response time, seconds
  const std::string hit = Num(40 + k % 30);    // hit rate, percent
  const std::string mem = Num(70 + k % 20);    // memory, percent
  switch (k % 8) {
    case 0:
      r.expr = "app_response_time_avg_seconds > " + rt;
      r.actions = {Toggle("async.enabled")};
      break;
    case 1:
      r.expr = "app_response_time_avg_seconds{app=~\"app.*\"} > " + rt;
      r.actions = {Scale("pool.size", up ? 1.25 : 0.8)};
      break;
    case 2:
      r.expr = "avg_over_time(app_response_time_avg_seconds{app!=\"\"}[1m]) > " + rt;
      r.actions = {Scale("pool.size", up ? 1.25 : 0.8), Hook("move_heavy_to_background")};
      break;
    case 3:
      r.expr = "app_cache_hit_rate_percent < " + hit;
      r.actions = {Scale("cache.ttl_seconds", up ? 1.5 : 1 / 1.5)};
      break;
    case 4:
      r.expr = "app_cache_hit_rate_percent{app=~\"app[0-9]+\"} < " + hit;
      r.actions = {Scale("cache.size", up ? 1.25 : 0.8)};
      break;
    case 5:
      r.expr = "min by (app) (app_cache_hit_rate_percent) < " + hit;
      r.actions = {Scale("cache.ttl_seconds", up ? 1.5 : 1 / 1.5), Hook("cache_warmup")};
      break;
    case 6:
      r.expr = "system_memory_used_percent > " + mem;
      r.actions = {Scale("cache.size", up ? 0.8 : 1.25)};
      break;
    default:
      r.expr = "avg_over_time(app_cache_hit_rate_percent{app!=\"none\"}[1m]) < " + hit;
      r.actions = {Hook("cache_warmup")};
      break;
  }
  return r;
}

std::vector<TuningRuleSpec> Rules() {
  std::vector<TuningRuleSpec> rules = BuiltinTuningRules(TuningThresholds{});
  for (int k = 0; k < kUserRules; ++k) rules.push_back(UserRule(k));
  return rules;
}

// As examples/tuned_service.cpp declares them.
std::vector<TunableSpec> AppTunables(const std::string& app) {
  auto spec = [&](std::string name, double value, double min, double max) {
    TunableSpec s;
    s.app = app;
    s.name = std::move(name);
    s.value = value;
    s.min = min;
    s.max = max;
    s.step = 1;
    s.webhook = "http://127.0.0.1:9/tune";
    s.hooks = {"memory_cleanup", "cache_warmup", "move_heavy_to_background", "emergency_cleanup"};
    return s;
  };
  std::vector<TunableSpec> out;
  out.push_back(spec("cache.size", 1000, 10, 100'000));
  out.push_back(spec("cache.ttl_seconds", 30, 1, 3600));
  TunableSpec async = spec("async.enabled", 0, 0, 1);
  async.kind = TunableSpec::Kind::kBool;
  async.min.reset();
  async.max.reset();
  async.step = 0;
  out.push_back(std::move(async));
  out.push_back(spec("pool.size", 16, 1, 64));
  return out;
}

// The registry, cache, database and engine of one benchmark.
class TuneWorld {
 public:
  TuneWorld() : cache_(series_, 10 * 60'000) {
    dir_ = fs::temp_directory_path() /
           ("perfwatch_tune_bench_" + std::to_string(getpid()) + "_" + std::to_string(++count_));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    db_ = Must(TuningDb::Open({.path = (dir_ / "perfwatch.db").string()}));
    tunables_ = Must(TunableRegistry::Open(*db_));
    for (int a = 0; a < kApps; ++a) {
      const std::string app = AppName(a);
      for (const TunableSpec& spec : AppTunables(app)) Must(tunables_->Register(spec, kStart));
      Labels labels{{"app", app}};
      response_.push_back(*series_.Intern("app_response_time_avg_seconds", labels));
      hit_rate_.push_back(*series_.Intern("app_cache_hit_rate_percent", labels));
    }
    memory_ = *series_.Intern("system_memory_used_percent", Labels{});
    TuningOptions options;
    options.interval_ms = kTickMs;
    options.default_cooldown_ms = kHourMs;
    engine_ = Must(TuningEngine::Open(options, Rules(), cache_, *tunables_, *db_, actuator_, {}));
    cache_.SetRangeNeeds(engine_->RangeNeeds());
  }
  ~TuneWorld() {
    engine_.reset();
    tunables_.reset();
    db_.reset();
    std::error_code ignored;
    fs::remove_all(dir_, ignored);
  }

  // One collection tick: the samples into the cache, then the engine.
  void Step(const Load& load) {
    const TimestampMs at = kStart + ticks_ * kTickMs;
    Tick tick(series_, at);
    tick.Reserve(2 * kApps + 1);
    for (int a = 0; a < kApps; ++a) {
      tick.AppendInterned(response_[a], load.response_seconds);
      tick.AppendInterned(hit_rate_[a], load.hit_rate_percent);
    }
    tick.AppendInterned(memory_, load.memory_percent);
    cache_.Observe(tick);
    engine_->Evaluate(at, /*poor=*/false);
    ++ticks_;
  }

  // Degraded ticks until every (rule, app) has decided once and every
  // verdict is in (no rule "pending" or "evaluating"). False when that
  // does not happen within `max_ticks`.
  bool WarmUntilAllInCooldown(int max_ticks) {
    for (int i = 0; i < max_ticks; ++i) {
      Step(kDegraded);
      if (AllInCooldown()) return true;
    }
    return false;
  }

  int64_t ticks() const { return ticks_; }
  int64_t deliveries() const { return actuator_.submitted(); }
  size_t rules() const { return engine_->Rules().size(); }

 private:
  template <typename T>
  static T Must(Result<T> r) {
    if (!r.ok()) {
      std::fprintf(stderr, "tune_bench: %s\n", r.status().ToString().c_str());
      std::abort();
    }
    return std::move(*r);
  }

  bool AllInCooldown() const {
    for (const TuningRuleStatus& s : engine_->Rules()) {
      if (s.state != "cooldown" || s.decisions_last_hour != kApps) return false;
    }
    return true;
  }

  static inline int count_ = 0;
  fs::path dir_;
  SeriesRegistry series_;
  WindowCache cache_;
  RecordingActuator actuator_;
  std::unique_ptr<TuningDb> db_;
  std::unique_ptr<TunableRegistry> tunables_;
  std::unique_ptr<TuningEngine> engine_;
  std::vector<SeriesId> response_;
  std::vector<SeriesId> hit_rate_;
  SeriesId memory_ = 0;
  int64_t ticks_ = 0;
};

void Counters(benchmark::State& state, const TuneWorld& world) {
  state.counters["rules"] = static_cast<double>(world.rules());
  state.counters["apps"] = kApps;
  state.counters["tunables"] = kApps * kTunablesPerApp;
  state.counters["series"] = 2 * kApps + 1;
}

void BM_TuningTickQuiet(benchmark::State& state) {
  static const std::unique_ptr<TuneWorld> world = [] {
    auto w = std::make_unique<TuneWorld>();
    for (int i = 0; i < 120; ++i) w->Step(kQuiet);  // windows full (1m ranges)
    return w;
  }();
  const int64_t deliveries = world->deliveries();
  for (auto _ : state) world->Step(kQuiet);
  if (world->deliveries() != deliveries) state.SkipWithError("a quiet tick made a decision");
  Counters(state, *world);
}
BENCHMARK(BM_TuningTickQuiet)->Unit(benchmark::kMicrosecond);

void BM_TuningTickTriggersInCooldown(benchmark::State& state) {
  static int64_t warm_ticks = 0;
  static const std::unique_ptr<TuneWorld> world = [] {
    auto w = std::make_unique<TuneWorld>();
    const bool warm = w->WarmUntilAllInCooldown(600);
    warm_ticks = warm ? w->ticks() : -1;
    return w;
  }();
  if (warm_ticks < 0) {
    state.SkipWithError("setup: not every (rule, app) decided within 600 ticks");
    return;
  }
  const int64_t deliveries = world->deliveries();
  for (auto _ : state) world->Step(kDegraded);
  // The first decisions were at tick 0: past the hour, cooldowns end.
  if (world->deliveries() != deliveries || world->ticks() * kTickMs >= kHourMs) {
    state.SkipWithError("a decision during the measured ticks (a cooldown ran out?)");
  }
  Counters(state, *world);
  state.counters["setup_deliveries"] = static_cast<double>(deliveries);
  state.counters["setup_ticks"] = static_cast<double>(warm_ticks);
}
BENCHMARK(BM_TuningTickTriggersInCooldown)
    ->Unit(benchmark::kMicrosecond)
    ->Iterations(kCooldownTicks);

}  // namespace
}  // namespace perfwatch
