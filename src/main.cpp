// perfwatch: wires the subsystems from a Config. No logic of its own beyond
// start-up order and shutdown on SIGINT/SIGTERM.

#include <signal.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>

#include "alert/rules_check.h"
#include "api/api_server.h"
#include "collect/collection_loop.h"
#include "collect/collectors.h"
#include "commands/app_ingest.h"
#include "commands/history_commands.h"
#include "commands/monitoring.h"
#include "commands/report_command.h"
#include "commands/tool_commands.h"
#include "config/cli.h"
#include "model/duration.h"
#include "model/event_log.h"
#include "store/durable_store.h"
#include "store/store_metrics.h"

namespace perfwatch {
namespace {

CollectOptions ToCollectOptions(const CollectConfig& c) {
  CollectOptions o;
  o.paths = HostPaths{c.procfs, c.sysfs, c.rootfs};
  o.watch_processes = c.watch_processes;
  o.disabled = c.disable;
  o.processes_interval = std::chrono::milliseconds(c.processes_interval_ms);
  return o;
}

// The host collectors plus "store", perfwatch's account of its own history.
std::vector<std::string> CollectorNames() {
  std::vector<std::string> names;
  for (std::string_view n : KnownCollectorNames()) names.emplace_back(n);
  names.emplace_back("store");
  return names;
}

std::vector<std::unique_ptr<Collector>> BuildCollectors(const CollectConfig& config,
                                                        const Store& store,
                                                        const DurableStore* durable) {
  std::vector<std::unique_ptr<Collector>> collectors = MakeCollectors(ToCollectOptions(config));
  if (std::find(config.disable.begin(), config.disable.end(), "store") == config.disable.end()) {
    collectors.push_back(std::make_unique<StoreMetricsCollector>(store, durable));
  }
  return collectors;
}

int SaveConfig(const Config& config, const std::string& path) {
  std::ofstream out(path);
  out << "# perfwatch configuration (written by --save-config)\n" << ToYaml(config);
  if (!out.flush()) {
    std::cerr << "perfwatch: cannot write " << path << ": " << std::strerror(errno) << "\n";
    return 1;
  }
  std::cout << "wrote " << path << "\n";
  return 0;
}

DurableStoreOptions ToStoreOptions(const Config& c, bool reset_corrupt_db) {
  DurableStoreOptions o;
  o.data_dir = c.storage.data_dir;
  o.head.retention_ms = c.storage.memory_retention_ms;
  o.wal_sync = *ParseWalSync(c.storage.wal_fsync);  // validated with the config
  o.interval_ms = c.collect.interval_ms;
  o.retention.raw.max_age_ms = c.retention.raw_ms;
  o.retention.minute.max_age_ms = c.retention.minute_ms;
  o.retention.hour.max_age_ms = c.retention.hour_ms;
  o.retention.max_disk_bytes = c.retention.max_disk_bytes;
  o.retention.raw.max_bytes = c.retention.raw_bytes;
  o.retention.minute.max_bytes = c.retention.minute_bytes;
  o.retention.hour.max_bytes = c.retention.hour_bytes;
  o.blocks.window_ms = c.storage.block_duration_ms;
  o.reset_corrupt_db = reset_corrupt_db;
  return o;
}

void LogReplay(const ReplayStats& replay) {
  for (const WalDamage& d : replay.damage) {
    LogEvent(LogLevel::kWarn, "wal_damage_skipped", {{"detail", d.ToString()}});
  }
  LogEvent(LogLevel::kInfo, "wal_replayed",
           {{"segments", std::to_string(replay.segments)},
            {"ticks", std::to_string(replay.ticks)},
            {"samples", std::to_string(replay.samples)}});
}

ApiOptions ToApiOptions(const ServerConfig& s) {
  ApiOptions o;
  o.host = s.host;
  o.port = s.port;
  o.threads = static_cast<int>(s.threads);
  o.max_body_bytes = s.max_body_bytes;
  o.idle_timeout = std::chrono::seconds(std::max<int64_t>(1, s.idle_timeout_ms / 1000));
  o.max_connections = s.max_connections;
  o.token = s.token;
  o.version = PERFWATCH_VERSION;
  return o;
}

// Blocks SIGINT/SIGTERM in every thread started after this, so the main
// thread alone receives them through sigwait.
sigset_t BlockShutdownSignals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  return set;
}

int Serve(const Config& config, bool reset_corrupt_db) {
  sigset_t signals = BlockShutdownSignals();
  // A file-size limit (ulimit -f) must fail a write with EFBIG, which the
  // store counts and rides out like a full disk, not kill the process.
  ::signal(SIGXFSZ, SIG_IGN);

  SeriesRegistry registry(config.storage.max_series);
  Result<std::unique_ptr<DurableStore>> opened =
      DurableStore::Open(registry, ToStoreOptions(config, reset_corrupt_db));
  if (!opened.ok()) {
    LogEvent(LogLevel::kError, "startup_failed", {{"error", opened.status().ToString()}});
    return 1;
  }
  DurableStore& store = **opened;
  LogReplay(store.replay());
  Result<std::unique_ptr<Monitoring>> started = Monitoring::Start(config, registry, store);
  if (!started.ok()) {
    LogEvent(LogLevel::kError, "startup_failed", {{"error", started.status().ToString()}});
    return 1;
  }
  Monitoring& monitoring = **started;
  Result<std::unique_ptr<AppIngest>> ingest_started = AppIngest::Start(config, registry);
  if (!ingest_started.ok()) {
    LogEvent(LogLevel::kError, "startup_failed", {{"error", ingest_started.status().ToString()}});
    return 1;
  }
  AppIngest& ingest = **ingest_started;
  ApiOptions api_options = ToApiOptions(config.server);
  api_options.app_metrics = &ingest.metrics();
  api_options.max_ingest_body_bytes = config.ingest.max_body_bytes;
  api_options.storage_stats = [&store] { return store.Storage(); };
  api_options.alerts = &monitoring.alerts();
  api_options.tuning = &monitoring.tuning();
  api_options.runs_db_path = config.storage.data_dir + "/perfwatch.db";
  api_options.status_json = [&monitoring] { return monitoring.StatusJson(); };
  api_options.analysis_json = [&monitoring] { return monitoring.AnalysisJson(); };
  api_options.report = [&monitoring](double hours, std::string_view format) {
    return monitoring.Report(hours, format);
  };
  ApiServer api(registry, store, api_options);
  if (Status st = api.Start(); !st.ok()) {
    LogEvent(LogLevel::kError, "startup_failed", {{"error", st.ToString()}});
    return 1;
  }
  bool wal_failing = false;  // collection thread only
  CollectionLoop loop(
      registry, BuildCollectors(config.collect, store, &store),
      std::chrono::milliseconds(config.collect.interval_ms), [&](std::shared_ptr<const Tick> tick) {
        // The store keeps a tick in memory even when its WAL write fails and
        // counts the failure; log the transitions, not every tick.
        Status st = store.Commit(*tick);
        if (!st.ok() && !wal_failing) {
          LogEvent(LogLevel::kError, "storage_write_failed", {{"error", st.ToString()}});
        } else if (st.ok() && wal_failing) {
          LogEvent(LogLevel::kInfo, "storage_write_recovered");
        }
        wal_failing = !st.ok();
        monitoring.Observe(*tick);
        api.Publish(tick, monitoring.StatusJson());
      });
  // Application metrics first: the status class reads their derived
  // response time and error rate.
  loop.set_finisher([&monitoring, &ingest](Tick& tick) {
    ingest.Flush(tick);
    monitoring.Finish(tick);
  });
  loop.Start();
  LogEvent(LogLevel::kInfo, "monitoring_started",
           {{"listen", config.server.host + ":" + std::to_string(api.port())},
            {"interval", FormatDuration(config.collect.interval_ms)},
            {"data_dir", config.storage.data_dir},
            {"statsd", ingest.statsd_port() == 0
                           ? std::string("off")
                           : config.statsd.listen.substr(0, config.statsd.listen.rfind(':')) + ":" +
                                 std::to_string(ingest.statsd_port())},
            {"version", PERFWATCH_VERSION}});

  int sig = 0;
  sigwait(&signals, &sig);
  LogEvent(LogLevel::kInfo, "monitoring_stopping",
           {{"signal", sig == SIGINT ? "SIGINT" : "SIGTERM"}});
  loop.Stop();
  api.Stop();
  LogEvent(LogLevel::kInfo, "monitoring_stopped");
  return 0;
}

}  // namespace
}  // namespace perfwatch

namespace {
const char* GetEnvironment(const char* name) { return std::getenv(name); }
}  // namespace

int main(int argc, char** argv) {
  using namespace perfwatch;
  // The developer tools have command lines of their own (`--` and the
  // command to run, hyperfine's flags), so they are dispatched before the
  // serving flags are parsed.
  if (argc > 1) {
    std::string_view tool = argv[1];
    if (tool == "bench") return RunBenchCommand(argc - 1, argv + 1, &GetEnvironment);
    if (tool == "run") return RunRecordCommand(argc - 1, argv + 1, &GetEnvironment);
    if (tool == "runs") return RunRunsCommand(argc - 1, argv + 1, &GetEnvironment);
    if (tool == "check") return RunCheckCommand(argc - 1, argv + 1, &GetEnvironment);
  }
  CommandLine cli = ParseCommandLine(argc, argv, &GetEnvironment, CollectorNames());
  if (cli.exit_now) {
    (cli.exit_code == 0 ? std::cout : std::cerr) << cli.output;
    return cli.exit_code;
  }
  if (!cli.save_config_path.empty()) return SaveConfig(cli.config, cli.save_config_path);
  SetupLogging(cli.config.log.format, cli.config.log.level);
  if (cli.command == CommandLine::Command::kImport) return RunImport(cli.config, cli.import);
  if (cli.command == CommandLine::Command::kExport) return RunExport(cli.config, cli.export_);
  if (cli.command == CommandLine::Command::kRulesCheck) {
    return RunRulesCheck(cli.rules_check.files, std::cout, std::cerr);
  }
  if (cli.command == CommandLine::Command::kReport) return RunReport(cli.config, cli.report);
  return Serve(cli.config, cli.reset_corrupt_db);
}
