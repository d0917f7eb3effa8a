// Rule evaluation per tick, the target: 500 rules over 10,000
// series in <= 5 ms per tick.
//
//   cmake -S . -B build-bench -G Ninja -DPERFWATCH_BUILD_BENCH=ON
//   ninja -C build-bench query_bench
//   build-bench/bench/query_bench --benchmark_repetitions=5
//
// The registry holds 100 metrics x 100 series (instance i0..i9 x cpu
// 0..9; half gauges, half counters), a WindowCache is fed 5 minutes of
// 1 Hz ticks, and 500 rule-shaped expressions mix thresholds on one
// instance, avg_over_time over 1m, rate over 1m, max by (instance) over a
// whole metric, quantile_over_time over 5m, regex matchers and a sum of
// rates. BM_RuleTick = Observe one new tick + evaluate all 500 rules.
// BM_ParseRules parses the 500 expressions (done once per config load).

#include <benchmark/benchmark.h>

#include <memory>
#include <string>
#include <vector>

#include "model/registry.h"
#include "model/tick.h"
#include "query/query.h"
#include "query/window_cache.h"

namespace perfwatch {
namespace {

constexpr int kMetrics = 100;
constexpr int kInstances = 10;
constexpr int kCpus = 10;
constexpr TimestampMs kStart = 1'700'000'000'000;
constexpr int kWarmTicks = 300;  // 5 minutes at 1 Hz

// Built by appending: GCC 12 warns falsely (-Wrestrict) on "literal" + string.
std::string Named(std::string prefix, int n, const char* suffix) {
  prefix += std::to_string(n);
  prefix += suffix;
  return prefix;
}
std::string Gauge(int k) { return Named("gauge_", k, "_percent"); }
std::string Counter(int k) { return Named("counter_", k, "_total"); }
std::string Instance(int i) { return Named("i", i, ""); }

std::vector<std::string> RuleExprs() {
  std::vector<std::string> out;
  auto add = [&](int n, auto make) {
    for (int r = 0; r < n; ++r) out.push_back(make(r));
  };
  add(150,
      [](int r) { return Gauge(r % 50) + "{instance=\"" + Instance(r % kInstances) + "\"} > 80"; });
  add(100, [](int r) {
    return "avg_over_time(" + Gauge(r % 50) + "{instance=\"" + Instance(r % kInstances) +
           "\",cpu=\"" + std::to_string(r % kCpus) + "\"}[1m]) > 80";
  });
  add(100, [](int r) {
    return "rate(" + Counter(r % 50) + "{instance=\"" + Instance(r % kInstances) + "\"}[1m]) > 5";
  });
  add(50, [](int r) { return "max by (instance) (" + Gauge(r % 50) + ") > 90"; });
  add(25, [](int r) {
    return "quantile_over_time(0.95, " + Gauge(r % 50) + "{instance=\"" + Instance(r % kInstances) +
           "\",cpu=\"" + std::to_string(r % kCpus) + "\"}[5m]) > 95";
  });
  add(50, [](int r) { return Gauge(r % 50) + "{instance=~\"i[0-4]\",cpu!~\"[5-9]\"} < 5"; });
  add(25, [](int r) { return "sum by (instance) (rate(" + Counter(r % 50) + "[1m])) > 1000"; });
  return out;
}

// 10,000 series and their rules, warmed with 5 minutes of ticks.
class RuleWorld {
 public:
  RuleWorld() : registry_(20'000), cache_(registry_, 5 * 60'000) {
    for (int k = 0; k < kMetrics; ++k) {
      for (int i = 0; i < kInstances; ++i) {
        for (int c = 0; c < kCpus; ++c) {
          Labels labels{{"instance", Instance(i)}, {"cpu", std::to_string(c)}};
          std::string name = k < kMetrics / 2 ? Gauge(k) : Counter(k - kMetrics / 2);
          ids_.push_back(*registry_.Intern(name, labels));
        }
      }
    }
    for (const std::string& text : RuleExprs()) rules_.push_back(*ParseExpr(text));
    std::vector<std::pair<const SeriesSelector*, int64_t>> needs;
    for (const ParsedExpr& rule : rules_) {
      for (const auto& need : rule.selector_ranges()) needs.push_back(need);
    }
    cache_.SetRangeNeeds(needs);
    for (int i = 0; i < kWarmTicks; ++i) Observe();
  }

  void Observe() {
    Tick tick(registry_, kStart + ticks_ * 1000);
    tick.Reserve(ids_.size());
    for (size_t n = 0; n < ids_.size(); ++n) {
      // Gauges wander in 0..100; counters grow by 0..9 a second.
      double v = n < ids_.size() / 2 ? static_cast<double>((n * 7 + ticks_ * 13) % 101)
                                     : static_cast<double>(ticks_ * ((n % 10)));
      tick.AppendInterned(ids_[n], v);
    }
    cache_.Observe(tick);
    ++ticks_;
  }

  size_t EvaluateAll() {
    size_t firing = 0;
    TimestampMs now = kStart + (ticks_ - 1) * 1000;
    for (const ParsedExpr& rule : rules_) {
      Result<QueryValue> v = Evaluate(rule, cache_, now);
      if (v.ok()) firing += v->vector.size();
    }
    return firing;
  }

  const WindowCache& cache() const { return cache_; }

 private:
  SeriesRegistry registry_;
  WindowCache cache_;
  std::vector<SeriesId> ids_;
  std::vector<ParsedExpr> rules_;
  int64_t ticks_ = 0;
};

void BM_RuleTick(benchmark::State& state) {
  static RuleWorld* world = new RuleWorld();
  size_t firing = 0;
  for (auto _ : state) {
    world->Observe();
    firing = world->EvaluateAll();
    benchmark::DoNotOptimize(firing);
  }
  state.counters["rules"] = 500;
  state.counters["series"] = kMetrics * kInstances * kCpus;
  state.counters["result_series"] = static_cast<double>(firing);
  state.counters["cached_samples"] = static_cast<double>(world->cache().sample_count());
}
BENCHMARK(BM_RuleTick)->Unit(benchmark::kMillisecond);

void BM_ParseRules(benchmark::State& state) {
  std::vector<std::string> texts = RuleExprs();
  for (auto _ : state) {
    for (const std::string& text : texts) {
      Result<ParsedExpr> e = ParseExpr(text);
      benchmark::DoNotOptimize(e);
    }
  }
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(texts.size()));
}
BENCHMARK(BM_ParseRules)->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace perfwatch
