#pragma once
// The developer tools of the perfwatch binary, each with a command line of
// its own (main dispatches on the first argument before the serving flags
// are parsed): `perfwatch bench`, `perfwatch run`, `perfwatch runs` and
// `perfwatch check`. argv[0] is the subcommand's name ("bench"); the rest
// are its arguments. Each returns the process's exit status and writes its
// own output and errors.

#include "config/config.h"

namespace perfwatch {

// bench_command.cpp: hyperfine-compatible benchmarking (docs/BENCH.md).
// 0 done (no regression), 1 a command failed or could not start, 2 bad
// usage, 3 regression against --baseline, 130 interrupted.
int RunBenchCommand(int argc, const char* const* argv, GetEnv getenv);

// run_command.cpp: `perfwatch run --name NAME -- CMD`, one recorded run
// (docs/RUNS.md). Exits with the command's exit status (128+signal when
// killed), 2 for bad usage, 1 when the run could not be recorded.
int RunRecordCommand(int argc, const char* const* argv, GetEnv getenv);

// runs_command.cpp: `perfwatch runs [list|show ID|compare ID ID...]`.
int RunRunsCommand(int argc, const char* const* argv, GetEnv getenv);

// check_command.cpp: exit 0 ok, 1 warning, 2 critical, 3 unknown, with one
// line "PERFWATCH OK - ..." (docs/CHECK.md).
int RunCheckCommand(int argc, const char* const* argv, GetEnv getenv);

}  // namespace perfwatch
