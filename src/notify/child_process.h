#pragma once
// Runs a program for the exec receiver: argv through posix_spawnp (never a
// shell), a given environment, bytes on its stdin, stdout to /dev/null,
// stderr inherited, no other descriptor inherited, in its own process group
// so a timeout kills what it started too (SIGTERM, then SIGKILL after a
// grace period). Thread-safe; blocks the caller until the child is reaped.

#include <chrono>
#include <string>
#include <string_view>
#include <vector>

#include "model/status.h"

namespace perfwatch {

struct ChildExit {
  enum class How { kExited, kSignaled, kTimedOut };
  How how = How::kExited;
  int code = 0;  // exit status, or the signal that ended it
  bool ok() const { return how == How::kExited && code == 0; }
  // "exited with status 3", "killed by signal 9", "timed out after 500 ms".
  std::string Describe(std::chrono::milliseconds timeout) const;
};

// How long a child gets between SIGTERM and SIGKILL.
inline constexpr std::chrono::milliseconds kKillGrace{1000};

// Fails only when the program cannot be started (not found, not
// executable); a program that fails is a ChildExit that is not ok().
// `env` holds "NAME=value" entries: the child's whole environment.
Result<ChildExit> RunChild(const std::vector<std::string>& argv,
                           const std::vector<std::string>& env, std::string_view stdin_bytes,
                           std::chrono::milliseconds timeout);

}  // namespace perfwatch
