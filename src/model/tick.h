#pragma once
// Tick: all samples of one collection tick, sharing one timestamp. Built by
// one thread through the Appender interface, then frozen and shared as
// std::shared_ptr<const Tick> with the store, the API and the WebSocket hub.
//
// Not thread-safe while being built; immutable (and so freely shareable)
// afterwards. `registry` must outlive the Tick.

#include <utility>
#include <vector>

#include "model/appender.h"
#include "model/registry.h"
#include "model/sample.h"

namespace perfwatch {

class Tick final : public Appender {
 public:
  Tick(SeriesRegistry& registry, TimestampMs t_ms) : registry_(&registry), t_ms_(t_ms) {}

  void Describe(const MetricMeta& meta) override { registry_->Describe(meta); }
  Status Append(std::string_view name, const Labels& labels, double value) override;

  // Adds a sample of an already interned series (carrying a value forward).
  void AppendInterned(SeriesId id, double value) { samples_.emplace_back(id, value); }

  TimestampMs time() const { return t_ms_; }
  const std::vector<std::pair<SeriesId, double>>& samples() const { return samples_; }
  const SeriesRegistry& registry() const { return *registry_; }
  void Reserve(size_t n) { samples_.reserve(n); }

 private:
  SeriesRegistry* registry_;
  TimestampMs t_ms_;
  std::vector<std::pair<SeriesId, double>> samples_;
};

}  // namespace perfwatch
