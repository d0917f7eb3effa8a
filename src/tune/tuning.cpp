#include "tune/tuning.h"

#include <utility>

namespace perfwatch {

Result<std::unique_ptr<Tuning>> Tuning::Open(TuningSetup setup, const SeriesSource& source,
                                             TuningEventFn events) {
  std::unique_ptr<Tuning> tuning(new Tuning());
  TuningDbOptions db_options;
  db_options.path = setup.db_path;
  Result<std::unique_ptr<TuningDb>> db = TuningDb::Open(db_options);
  if (!db.ok()) return db.status();
  tuning->db_ = std::move(*db);
  Result<std::unique_ptr<TunableRegistry>> registry = TunableRegistry::Open(*tuning->db_);
  if (!registry.ok()) return registry.status();
  tuning->registry_ = std::move(*registry);
  tuning->actuator_ = std::make_unique<Actuator>(setup.actuator);
  Result<std::unique_ptr<TuningEngine>> engine =
      TuningEngine::Open(std::move(setup.options), std::move(setup.rules), source,
                         *tuning->registry_, *tuning->db_, *tuning->actuator_, std::move(events));
  if (!engine.ok()) return engine.status();
  tuning->engine_ = std::move(*engine);
  return tuning;
}

Tuning::~Tuning() {
  // The engine refers to the others; the actuator finishes what it is
  // delivering before the registry and database it reports to go away.
  engine_.reset();
  actuator_.reset();
  registry_.reset();
  db_.reset();
}

Result<Tunable> Tuning::RegisterTunable(const TunableSpec& spec, TimestampMs now_ms) {
  return registry_->Register(spec, now_ms);
}

std::vector<Tunable> Tuning::Tunables(std::string_view app) const { return registry_->List(app); }

std::optional<Tunable> Tuning::GetTunable(std::string_view app, std::string_view name) const {
  return registry_->Get(app, name);
}

std::vector<TuningRuleStatus> Tuning::Rules() const { return engine_->Rules(); }

TuningState Tuning::State() const { return engine_->State(); }

Result<std::vector<TuningRecord>> Tuning::History(const TuningAuditFilter& filter) const {
  return db_->Audit(filter);
}

std::vector<std::pair<const SeriesSelector*, int64_t>> Tuning::RangeNeeds() const {
  return engine_->RangeNeeds();
}

void Tuning::Evaluate(TimestampMs at_ms, bool poor) { engine_->Evaluate(at_ms, poor); }

}  // namespace perfwatch
