#pragma once
// For the crash tests: the body of a forked child, which must never return
// into the test runner.

#include <unistd.h>

namespace perfwatch {

// Runs `body` in a forked child and exits with its result; an exception is
// exit code 8.
template <typename Body>
[[noreturn]] void RunChild(Body body) {
  int code = 8;
  try {
    code = body();
  } catch (...) {
  }
  ::_exit(code);
}

}  // namespace perfwatch
