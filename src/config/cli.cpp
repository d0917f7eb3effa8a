#include "config/cli.h"

#include <CLI/CLI.hpp>
#include <map>
#include <optional>

#include "config/fields.h"

namespace perfwatch {
namespace {

// Flags given on the command line, by config key: the values in the order
// given, and the flag's spelling for error messages.
struct FlagInput {
  std::string flag;
  std::vector<std::string> values;
};
using FlagValues = std::map<std::string, FlagInput>;

std::string EnvironmentHelp() {
  std::string text = "\nEnvironment (overrides the config file; flags override both):\n";
  for (const EnvVar& v : EnvironmentVariables()) {
    if (std::string_view(v.name).starts_with("PERFWATCH_")) continue;
    text += "  " + std::string(v.name) + " -> " + std::string(v.key) + "\n";
  }
  text +=
      "  PERFWATCH_<SECTION>_<KEY> for every config key, e.g. PERFWATCH_SERVER_PORT,\n"
      "  PERFWATCH_COLLECT_INTERVAL, PERFWATCH_SERVER_TOKEN (lists: comma-separated)\n";
  text +=
      "\nDeveloper tools (each has its own --help):\n"
      "  perfwatch bench [options] -- CMD ...  benchmark commands, hyperfine's flags\n"
      "  perfwatch run --name NAME -- CMD ...  record one run: resource timeline, StatsD\n"
      "  perfwatch runs [list|show|compare]    the recorded runs\n"
      "  perfwatch check [--url URL]           health check: exit 0 ok, 1 warning, 2 critical\n";
  text +=
      "\nExamples:\n"
      "  perfwatch                               serve on 127.0.0.1:8080, data in ./data\n"
      "  perfwatch --interval 5s --watch-process nginx\n"
      "  perfwatch --config perfwatch.yaml --port 9000\n"
      "  perfwatch --save-config perfwatch.yaml  write the effective configuration\n"
      "  perfwatch --procfs /host/proc --sysfs /host/sys --rootfs /host\n";
  return text;
}

Status ApplyFlags(const FlagValues& flags, Config& config) {
  std::vector<ConfigField> fields = BindFields(config);
  for (const auto& [key, input] : flags) {
    for (ConfigField& f : fields) {
      if (f.path != key) continue;
      if (f.is_list) f.clear();
      for (const std::string& v : input.values) {
        if (Status st = f.set(v); !st.ok()) {
          return Status::InvalidArgument(input.flag + ": " + st.message());
        }
      }
    }
  }
  return Status::Ok();
}

Status SplitListen(const std::string& listen, FlagValues& flags) {
  size_t colon = listen.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == listen.size()) {
    return Status::InvalidArgument("--listen: expected HOST:PORT, got \"" + listen + "\"");
  }
  std::string host = listen.substr(0, colon);
  if (host.size() > 2 && host.front() == '[' && host.back() == ']')
    host = host.substr(1, host.size() - 2);
  flags["server.host"] = {"--listen", {host}};
  flags["server.port"] = {"--listen", {listen.substr(colon + 1)}};
  return Status::Ok();
}

Status CheckCollectors(const Config& config, const std::vector<std::string>& known) {
  for (const std::string& name : config.collect.disable) {
    if (std::find(known.begin(), known.end(), name) == known.end()) {
      std::string list;
      for (const std::string& k : known) list += (list.empty() ? "" : ", ") + k;
      return Status::InvalidArgument("unknown collector \"" + name + "\" (known: " + list + ")");
    }
  }
  return Status::Ok();
}

}  // namespace

CommandLine ParseCommandLine(int argc, const char* const* argv, GetEnv getenv,
                             const std::vector<std::string>& known_collectors) {
  CommandLine result;
  CLI::App app{
      "perfwatch: watches a host and its applications, keeps the history, serves it.\n"
      "Serves /api/v1, /ws and /metrics on 127.0.0.1:8080 by default; see docs/API.md.",
      "perfwatch"};
  app.set_version_flag("--version", std::string("perfwatch ") + PERFWATCH_VERSION);
  app.footer(EnvironmentHelp());
  app.get_formatter()->column_width(34);

  FlagValues flags;
  auto flag = [&](const std::string& name, const std::string& key, const std::string& type,
                  const std::string& help) {
    std::string spelling = name.substr(name.rfind(',') + 1);
    return app
        .add_option_function<std::string>(
            name,
            [&flags, key, spelling](const std::string& v) {
              flags[key].flag = spelling;
              flags[key].values.push_back(v);
            },
            help)
        ->type_name(type);
  };
  std::string config_path, listen;
  app.add_option("-c,--config", config_path, "YAML (or JSON) configuration file")
      ->type_name("FILE");
  app.add_option("--save-config", result.save_config_path,
                 "write the effective configuration to FILE and exit")
      ->type_name("FILE");
  app.add_option("--listen", listen, "address to serve on (default 127.0.0.1:8080)")
      ->type_name("HOST:PORT");
  flag("-p,--port", "server.port", "PORT", "port to serve on (default 8080)");
  flag("-i,--interval", "collect.interval", "DURATION",
       "collection interval: 1s, 500ms, 1m or seconds");
  flag("--data-dir", "storage.data_dir", "DIR", "directory for durable state (default ./data)");
  flag("--retention", "storage.memory_retention", "DURATION",
       "history kept in memory (default 2h)");
  flag("--max-disk", "retention.max_disk", "SIZE",
       "disk budget for history, all tiers (default 2GiB)");
  app.add_flag("--reset-corrupt-db", result.reset_corrupt_db,
               "move a corrupt perfwatch.db aside and start afresh");
  flag("--procfs", "collect.procfs", "DIR", "procfs mount point (default /proc)");
  flag("--sysfs", "collect.sysfs", "DIR", "sysfs mount point (default /sys)");
  flag("--rootfs", "collect.rootfs", "DIR", "host root for filesystem stats (default /)");
  app.add_option_function<std::vector<std::string>>(
         "-w,--watch-process",
         [&flags](const std::vector<std::string>& v) {
           flags["collect.watch_process"].flag = "--watch-process";
           for (const auto& s : v) flags["collect.watch_process"].values.push_back(s);
         },
         "process NAME or PID to watch (repeatable)")
      ->allow_extra_args(false)
      ->type_name("NAME|PID");
  std::string collectors_help = "collector to switch off (repeatable): ";
  for (size_t i = 0; i < known_collectors.size(); ++i) {
    collectors_help += (i ? ", " : "") + known_collectors[i];
  }
  app.add_option_function<std::vector<std::string>>(
         "--disable-collector",
         [&flags](const std::vector<std::string>& v) {
           flags["collect.disable"].flag = "--disable-collector";
           for (const auto& s : v) flags["collect.disable"].values.push_back(s);
         },
         collectors_help)
      ->allow_extra_args(false)
      ->type_name("NAME");
  flag("--memory-threshold", "thresholds.memory_percent", "PERCENT",
       "memory alert threshold, % (80)");
  flag("--cpu-threshold", "thresholds.cpu_percent", "PERCENT", "CPU alert threshold, % (70)");
  flag("--response-threshold", "thresholds.response_time_ms", "MS",
       "response time threshold, ms (1000)");
  app.add_option_function<std::vector<std::string>>(
         "--rule-file",
         [&flags](const std::vector<std::string>& v) {
           flags["rule_files"].flag = "--rule-file";
           for (const auto& s : v) flags["rule_files"].values.push_back(s);
         },
         "alerting rule file or glob, Prometheus format (repeatable)")
      ->allow_extra_args(false)
      ->type_name("FILE");
  app.add_flag_callback(
      "--no-builtin-rules",
      [&flags] {
        flags["alerting.builtin_rules"] = {"--no-builtin-rules", {"false"}};
      },
      "switch seed 000's default alert rules off");
  app.add_flag_callback(
      "--no-auto-tuning",
      [&flags] {
        flags["tuning.enabled"] = {"--no-auto-tuning", {"false"}};
      },
      "switch closed-loop auto-tuning off");
  app.add_flag_callback(
      "--dry-run-tuning",
      [&flags] {
        flags["tuning.dry_run"] = {"--dry-run-tuning", {"true"}};
      },
      "auto-tuning only logs and audits what it would change");
  flag("--statsd-listen", "statsd.listen", "HOST:PORT",
       "StatsD UDP address (default 127.0.0.1:8125); off disables it");
  flag("--log-level", "log.level", "LEVEL", "debug, info, warn or error (default info)");
  flag("--log-format", "log.format", "FORMAT", "text or json lines (default text)");

  CLI::App* import = app.add_subcommand(
      "import", "backfill history from a file into --data-dir (no perfwatch may serve it)");
  import->add_option("-f,--format", result.import.format, "openmetrics, csv or json")
      ->type_name("FORMAT")
      ->check(CLI::IsMember({"openmetrics", "csv", "json"}));
  import->add_option("file", result.import.file, "file to read; - for standard input")
      ->required()
      ->type_name("FILE");
  import->fallthrough();  // --data-dir and friends may follow the subcommand
  CLI::App* exporter = app.add_subcommand("export", "stream history out of --data-dir");
  exporter->fallthrough();
  exporter
      ->add_option("-m,--metric", result.export_.selector,
                   "series selector, e.g. 'system_cpu_usage_percent{cpu=\"0\"}'")
      ->required()
      ->type_name("SELECTOR");
  exporter->add_option("-f,--format", result.export_.format, "openmetrics, csv or json")
      ->type_name("FORMAT")
      ->check(CLI::IsMember({"openmetrics", "csv", "json"}));
  exporter->add_option("--from", result.export_.from_ms, "start, ms since the epoch")
      ->type_name("MS");
  exporter->add_option("--to", result.export_.to_ms, "end, ms since the epoch (default now)")
      ->type_name("MS");
  exporter->add_option("--hours", result.export_.hours, "length before --to (default 24)")
      ->type_name("H");
  exporter->add_option("-o,--output", result.export_.output, "file to write; - for stdout")
      ->type_name("FILE");

  CLI::App* rules = app.add_subcommand("rules", "work with alerting rule files");
  rules->require_subcommand(1);
  CLI::App* check = rules->add_subcommand(
      "check", "validate rule files like promtool check rules (exit 1 on any error)");
  check->add_option("files", result.rules_check.files, "rule files")->required()->type_name("FILE");
  CLI::App* report = app.add_subcommand(
      "report",
      "a period as text, JSON or HTML: summary, alerts, analysis, applications, components");
  report->fallthrough();
  report->add_option("-f,--format", result.report.format, "text, json or html")
      ->type_name("FORMAT")
      ->check(CLI::IsMember({"text", "json", "html"}));
  report->add_option("--hours", result.report.hours, "length of the period before now (24)")
      ->type_name("H")
      ->check(CLI::Range(0.01, 24.0 * 3650));
  report->add_option("-o,--output", result.report.output, "file to write; - for stdout")
      ->type_name("FILE");
  report
      ->add_option("--url", result.report.url,
                   "ask this running perfwatch instead of reading --data-dir")
      ->type_name("URL");

  try {
    app.parse(argc, argv);
    if (import->parsed()) result.command = CommandLine::Command::kImport;
    if (exporter->parsed()) result.command = CommandLine::Command::kExport;
    if (check->parsed()) result.command = CommandLine::Command::kRulesCheck;
    if (report->parsed()) result.command = CommandLine::Command::kReport;
  } catch (const CLI::ParseError& e) {
    result.exit_now = true;
    result.exit_code = e.get_exit_code();
    std::ostringstream out, err;
    app.exit(e, out, err);
    result.output =
        e.get_exit_code() == 0 ? out.str() : err.str() + "Run 'perfwatch --help' for usage.\n";
    return result;
  }

  auto fail = [&](const Status& st) {
    result.exit_now = true;
    result.exit_code = 2;
    result.output = "perfwatch: " + st.message() + "\n";
    return result;
  };
  if (!listen.empty()) {
    if (Status st = SplitListen(listen, flags); !st.ok()) return fail(st);
  }
  if (!config_path.empty()) {
    if (Status st = LoadYamlFile(config_path, result.config); !st.ok()) return fail(st);
  }
  if (Status st = ApplyEnvironment(result.config, getenv); !st.ok()) return fail(st);
  if (Status st = ApplyFlags(flags, result.config); !st.ok()) return fail(st);
  if (Status st = Validate(result.config); !st.ok()) return fail(st);
  if (Status st = CheckCollectors(result.config, known_collectors); !st.ok()) return fail(st);
  return result;
}

}  // namespace perfwatch
