#pragma once
// Tuning: the tune/ subsystem as one object for main and the API: the
// database, the registry, the actuator and the engine, opened together.
// Monitoring owns one and calls Evaluate from the collection thread; the
// API calls the rest from its threads.
//
// Thread-safety: Evaluate on the collection thread only; every other
// method from any thread. `source` must outlive it.

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "query/query.h"
#include "tune/actuator.h"
#include "tune/engine.h"
#include "tune/tunables.h"
#include "tune/tuning_db.h"

namespace perfwatch {

struct TuningSetup {
  TuningOptions options;
  std::vector<TuningRuleSpec> rules;  // already merged with the built-ins
  std::string db_path;                // <data_dir>/perfwatch.db
  ActuatorOptions actuator;
};

class Tuning {
 public:
  static Result<std::unique_ptr<Tuning>> Open(TuningSetup setup, const SeriesSource& source,
                                              TuningEventFn events);
  // Destroys the engine first (it refers to the rest), then the actuator
  // (finishing the delivery under way, failing the queued ones), the
  // registry and the database.
  ~Tuning();

  // TunableRegistry::Register, with the app's name and the caller checked.
  Result<Tunable> RegisterTunable(const TunableSpec& spec, TimestampMs now_ms);
  std::vector<Tunable> Tunables(std::string_view app = "") const;
  std::optional<Tunable> GetTunable(std::string_view app, std::string_view name) const;
  std::vector<TuningRuleStatus> Rules() const;
  TuningState State() const;
  Result<std::vector<TuningRecord>> History(const TuningAuditFilter& filter) const;

  std::vector<std::pair<const SeriesSelector*, int64_t>> RangeNeeds() const;
  void Evaluate(TimestampMs at_ms, bool poor);

 private:
  Tuning() = default;
  std::unique_ptr<TuningDb> db_;
  std::unique_ptr<TunableRegistry> registry_;
  std::unique_ptr<Actuator> actuator_;
  std::unique_ptr<TuningEngine> engine_;
};

}  // namespace perfwatch
