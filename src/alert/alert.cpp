#include "alert/alert.h"

namespace perfwatch {

std::string_view AlertStateName(AlertState state) {
  switch (state) {
    case AlertState::kPending:
      return "pending";
    case AlertState::kFiring:
      return "firing";
    case AlertState::kResolved:
      return "resolved";
    default:
      return "inactive";
  }
}

Result<AlertState> ParseAlertState(std::string_view name) {
  for (AlertState s :
       {AlertState::kInactive, AlertState::kPending, AlertState::kFiring, AlertState::kResolved}) {
    if (AlertStateName(s) == name) return s;
  }
  return Status::InvalidArgument("unknown alert state '" + std::string(name) + "'");
}

}  // namespace perfwatch
