#include "model/registry.h"

#include <algorithm>

namespace perfwatch {
namespace {

std::string CanonicalKey(std::string_view name, const Labels& labels) {
  std::string key(name);
  key += labels.ToString();
  return key;
}

}  // namespace

Result<SeriesId> SeriesRegistry::Intern(std::string_view name, const Labels& labels) {
  std::string key = CanonicalKey(name, labels);
  {
    std::shared_lock lock(mu_);
    if (auto it = ids_.find(key); it != ids_.end()) return it->second;
  }
  if (!IsValidMetricName(name)) {
    return Status::InvalidArgument("invalid metric name \"" + std::string(name) + "\"");
  }
  std::unique_lock lock(mu_);
  if (auto it = ids_.find(key); it != ids_.end()) return it->second;
  if (keys_.size() >= max_series_) {
    return Status::ResourceExhausted("series limit of " + std::to_string(max_series_) +
                                     " reached; refusing " + key);
  }
  SeriesId id = static_cast<SeriesId>(keys_.size());
  keys_.push_back(SeriesKey{std::string(name), labels});
  ids_.emplace(std::move(key), id);
  auto by = by_name_.find(name);
  if (by == by_name_.end()) by = by_name_.emplace(std::string(name), std::vector<SeriesId>{}).first;
  by->second.push_back(id);
  return id;
}

const SeriesKey& SeriesRegistry::Key(SeriesId id) const {
  std::shared_lock lock(mu_);
  return keys_[id];
}

size_t SeriesRegistry::size() const {
  std::shared_lock lock(mu_);
  return keys_.size();
}

std::vector<SeriesId> SeriesRegistry::SeriesOf(std::string_view name) const {
  std::shared_lock lock(mu_);
  auto it = by_name_.find(name);
  return it == by_name_.end() ? std::vector<SeriesId>{} : it->second;
}

std::vector<std::string> SeriesRegistry::MetricNames() const {
  std::vector<std::string> names;
  {
    std::shared_lock lock(mu_);
    names.reserve(by_name_.size());
    for (const auto& [name, ids] : by_name_) names.push_back(name);
  }
  std::sort(names.begin(), names.end());
  return names;
}

void SeriesRegistry::Describe(const MetricMeta& meta) {
  std::unique_lock lock(mu_);
  meta_.try_emplace(meta.name, meta);
}

std::optional<MetricMeta> SeriesRegistry::Meta(std::string_view name) const {
  std::shared_lock lock(mu_);
  auto it = meta_.find(name);
  if (it == meta_.end()) return std::nullopt;
  return it->second;
}

}  // namespace perfwatch
