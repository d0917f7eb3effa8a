#include "model/tick.h"

namespace perfwatch {

Status Tick::Append(std::string_view name, const Labels& labels, double value) {
  Result<SeriesId> id = registry_->Intern(name, labels);
  if (!id.ok()) return id.status();
  samples_.emplace_back(*id, value);
  return Status::Ok();
}

}  // namespace perfwatch
