#include "runs/recorder.h"

#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <climits>

#include "bench/spawn.h"
#include "runs/statsd_listener.h"

namespace perfwatch {
namespace {

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string HostName() {
  char buf[HOST_NAME_MAX + 1] = {};
  if (::gethostname(buf, sizeof buf - 1) != 0) return "";
  return buf;
}

RunRecord Skeleton(const RecordOptions& options) {
  RunRecord run;
  run.name = options.name.empty() ? DefaultRunName(options.argv) : options.name;
  run.argv = options.argv;
  run.host = HostName();
  run.started_ms = NowMs();
  run.status = RunStatus::kRunning;
  run.sample_interval_ms = options.sample_interval.count();
  return run;
}

std::vector<std::string> Environment(const RunRecord& run, uint16_t port,
                                     const std::vector<std::string>& extra) {
  const std::string p = std::to_string(port);
  std::vector<std::string> env = {"PERFWATCH_STATSD=127.0.0.1:" + p, "STATSD_HOST=127.0.0.1",
                                  "STATSD_PORT=" + p, "PERFWATCH_RUN_ID=" + std::to_string(run.id),
                                  "PERFWATCH_RUN_NAME=" + run.name};
  env.insert(env.end(), extra.begin(), extra.end());
  return env;
}

// Fills the totals from the measurement, or the error when it did not start.
void Conclude(const Result<RunMeasurement>& measured, bool interrupted, RunRecord& run) {
  if (!measured.ok()) {
    run.status = RunStatus::kFailed;
    // A shell's codes: 127 "command not found", 126 "cannot execute".
    run.exit_code = measured.status().code() == Status::Code::kNotFound ? 127 : 126;
    run.error = measured.status().message();
    return;
  }
  const RunMeasurement& m = *measured;
  run.wall_seconds = m.wall_seconds;
  run.user_seconds = m.user_seconds;
  run.system_seconds = m.system_seconds;
  run.cpu_percent = m.cpu_percent;
  run.peak_rss_bytes = m.peak_rss_bytes;
  run.exit_code = m.exit_code;
  run.signal = m.signal;
  if (interrupted || m.stopped) {
    run.status = RunStatus::kInterrupted;
    run.error = "interrupted; the command " +
                (m.signal != 0 ? "was " + m.DescribeExit() : "ended with " + m.DescribeExit());
  } else if (m.ok()) {
    run.status = RunStatus::kOk;
  } else {
    // The exit code and signal say it all; error stays for what they cannot.
    run.status = RunStatus::kFailed;
  }
}

}  // namespace

std::string DefaultRunName(const std::vector<std::string>& argv) {
  if (argv.empty()) return "run";
  const std::string& a = argv[0];
  const size_t slash = a.find_last_of('/');
  std::string base = slash == std::string::npos ? a : a.substr(slash + 1);
  return base.empty() ? "run" : base;
}

Result<RecordedRun> RecordRun(RunDb& db, const RecordOptions& options) {
  if (options.argv.empty() || options.argv[0].empty()) {
    return Status::InvalidArgument("no command to run");
  }
  RunRecord run = Skeleton(options);
  const auto start = std::chrono::steady_clock::now();
  Result<std::unique_ptr<StatsdRunListener>> listener =
      StatsdRunListener::Start(start, options.max_app_points, options.app);
  if (!listener.ok()) return listener.status();
  run.statsd_address = "127.0.0.1:" + std::to_string((*listener)->port());
  Result<int64_t> id = db.Reserve(run);
  if (!id.ok()) return id.status();
  run.id = *id;
  if (options.on_start) options.on_start(run);

  CommandSpec spec;
  spec.argv = options.argv;
  spec.stdin_path = options.stdin_path;
  spec.show_output = options.show_output;
  spec.extra_env = Environment(run, (*listener)->port(), options.extra_env);
  MeasureOptions measure;
  measure.sample_interval = options.sample_interval;
  measure.should_stop = options.should_stop;
  measure.on_sample = [&](const TreeSample& s) {
    TimelinePoint p;
    p.t_ms = std::chrono::duration_cast<std::chrono::milliseconds>(s.at - start).count();
    p.cpu_percent = s.cpu_percent;
    p.rss_bytes = s.rss_bytes;
    p.threads = s.threads;
    p.processes = s.processes;
    p.read_bytes = s.read_bytes;
    p.write_bytes = s.write_bytes;
    run.timeline.push_back(p);
  };
  rusage before{}, after{};
  ::getrusage(RUSAGE_CHILDREN, &before);
  const Result<RunMeasurement> measured = MeasureCommand(spec, measure);
  ::getrusage(RUSAGE_CHILDREN, &after);
  run.ended_ms = NowMs();
  Conclude(measured, options.interrupted && options.interrupted(), run);
  // The kernel's block IO of every reaped member (the same accounting as
  // /proc/PID/io read_bytes/write_bytes, in 512-byte units) covers what
  // happened after the last sample too; a sample can still be larger when
  // a member's IO was cancelled (truncated dirty pages) before it ended.
  run.read_bytes = static_cast<uint64_t>(after.ru_inblock - before.ru_inblock) * 512;
  run.write_bytes = static_cast<uint64_t>(after.ru_oublock - before.ru_oublock) * 512;
  if (!run.timeline.empty()) {
    run.read_bytes = std::max(run.read_bytes, run.timeline.back().read_bytes);
    run.write_bytes = std::max(run.write_bytes, run.timeline.back().write_bytes);
  }

  AppData data = (*listener)->Finish();
  run.app_points_received = data.received();
  run.app_points_dropped = data.dropped();
  run.app_bad_lines = data.bad_lines();
  run.metrics = data.Summaries();
  run.metric_count = static_cast<int64_t>(run.metrics.size());
  run.app_points = data.TakePoints();

  RecordedRun out{std::move(run), Status::Ok()};
  out.saved = db.Finish(out.run);
  return out;
}

}  // namespace perfwatch
