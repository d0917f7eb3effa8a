#include "runs/run_record.h"

namespace perfwatch {

std::string_view ToString(RunStatus status) {
  switch (status) {
    case RunStatus::kRunning:
      return "running";
    case RunStatus::kOk:
      return "ok";
    case RunStatus::kFailed:
      return "failed";
    case RunStatus::kInterrupted:
      return "interrupted";
  }
  return "failed";
}

std::optional<RunStatus> ParseRunStatus(std::string_view text) {
  for (RunStatus s :
       {RunStatus::kRunning, RunStatus::kOk, RunStatus::kFailed, RunStatus::kInterrupted}) {
    if (ToString(s) == text) return s;
  }
  return std::nullopt;
}

int RunRecord::ShellExitStatus() const { return signal != 0 ? 128 + signal : exit_code; }

}  // namespace perfwatch
