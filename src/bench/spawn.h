#pragma once
// Runs one command as a measured child: posix_spawn of an argv (never a
// shell unless the argv names one), stdin from a file or /dev/null, output
// to /dev/null or inherited, perfwatch made a child sub-reaper so orphans of
// the command come back to it, and the wait done through a pidfd so the
// process tree can be sampled while it runs.
//
// What one run yields: wall time (steady clock from just before the spawn to
// the reap), user and system time of the whole tree (getrusage
// RUSAGE_CHILDREN before and after, as hyperfine does, so orphans reaped by
// perfwatch count), peak RSS (the larger of the kernel's high-water mark of
// any single member, ru_maxrss as /usr/bin/time -v reports it, and the
// largest sampled sum over the tree), and how it ended.
//
// The command's orphans (background children it leaves running, reparented
// to perfwatch) are waited for once it is reaped: each gets kill_grace to
// finish (none when the run was stopped), then SIGTERM, then SIGKILL after
// another kill_grace, and is reaped, so its time is in user and system time;
// the wall time ends at the command's own reap, as hyperfine's does. An
// orphan is a child of perfwatch that started no earlier than the command.
// Zombie orphans wait until then to be reaped; only the command is reaped
// while it runs.
//
// Thread-safety: MeasureCommand may run in one thread at a time per process
// (RUSAGE_CHILDREN and the sub-reaper setting are process-wide), and nothing
// else in the process may start children while it runs: they would count in
// user and system time, and be taken for orphans of the command. Children
// started before (in an earlier clock tick) are left alone.

#include <chrono>
#include <csignal>
#include <functional>
#include <string>
#include <vector>

#include "collect/process_tree.h"
#include "model/status.h"

namespace perfwatch {

struct CommandSpec {
  std::vector<std::string> argv;  // argv[0] is looked up in PATH
  std::string stdin_path;         // empty: /dev/null
  bool show_output = false;       // false: stdout and stderr to /dev/null
  // "NAME=value" entries added to (or replacing in) perfwatch's environment.
  std::vector<std::string> extra_env;
};

struct MeasureOptions {
  // How often the tree is sampled while the command runs; zero: never
  // (peak RSS is then ru_maxrss alone). The first sample is taken one
  // interval after the spawn, so a command shorter than that pays nothing.
  // The thread sleeps between samples (a pidfd says when the command ends),
  // and a sample of a tree whose processes are all known costs a pread of
  // each member's stat and io (see collect/process_tree.h).
  std::chrono::milliseconds sample_interval{50};
  // Called with every sample, on the calling thread.
  std::function<void(const TreeSample&)> on_sample;
  // Asked on the calling thread while the command (or an orphan of it)
  // runs: 50 ms after the spawn, after every sample, as soon as a signal
  // handler has run (see below), every 50 ms from then on (a caller may
  // decide some time after a signal), and otherwise at least once a second,
  // which is how late a request that comes with no signal (a flag set by
  // another thread) can be noticed. There is no periodic wake besides: the
  // thread sleeps until the next sample. Once it returns true the command is
  // sent SIGTERM, then SIGKILL after `kill_grace`, and so are its orphans.
  // (The child stays in perfwatch's process group, so a terminal's Ctrl-C
  // reaches it directly, as with hyperfine.)
  //
  // With should_stop set, the calling thread holds the asynchronous signals
  // (all but faults and SIGPROF) blocked while it samples and asks, and
  // takes them only while it waits, so a signal sent to the process is
  // handled on this thread with no window to be missed in, provided no
  // other thread of the process takes it first: threads that run meanwhile
  // must block those signals (runs/statsd_listener.cpp does). Handlers
  // therefore run at most one sample late, and on_sample and should_stop run
  // with signals blocked.
  std::function<bool()> should_stop;
  // Also how long orphans of the command may run on after it (see above).
  std::chrono::milliseconds kill_grace{2000};
};

struct RunMeasurement {
  double wall_seconds = 0;
  double user_seconds = 0;
  double system_seconds = 0;
  double peak_rss_bytes = 0;        // max(ru_maxrss, sampled tree sum)
  double max_single_rss_bytes = 0;  // ru_maxrss alone, as /usr/bin/time -v
  double cpu_percent = 0;           // (user + system) / wall * 100
  int exit_code = 0;                // exit status; -1 when killed by a signal
  int signal = 0;                   // the signal that ended it, else 0
  bool stopped = false;             // should_stop said so, while it or an orphan ran
  bool ok() const { return signal == 0 && exit_code == 0; }
  // "exit code 3", "killed by signal 9 (Killed)".
  std::string DescribeExit() const;
};

// Fails only when the command cannot be started at all: "cannot run 'NAME':
// <strerror>" (kNotFound for ENOENT, else kIOError, as for EACCES), "cannot
// open input 'PATH': ..." for stdin_path, kInvalidArgument for an empty argv
// or an extra_env entry without '=', kInternal when something else reaped
// the child (SIGCHLD ignored). A command that fails is a RunMeasurement that
// is not ok().
Result<RunMeasurement> MeasureCommand(const CommandSpec& spec, const MeasureOptions& options);

// Splits a command line the way hyperfine's -N does (whitespace, with
// single and double quotes and backslash escapes); InvalidArgument for an
// unterminated quote.
Result<std::vector<std::string>> SplitCommandLine(const std::string& line);

}  // namespace perfwatch
