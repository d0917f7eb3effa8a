// `perfwatch check`: a Nagios-style plugin for Docker HEALTHCHECK, cron and
// Nagios/Icinga (docs/CHECK.md). Parses its flags, runs the local or the
// --url check, prints one line and exits 0 OK, 1 WARNING, 2 CRITICAL or
// 3 UNKNOWN (bad usage included, as the plugin guidelines ask).

#include <cstdlib>
#include <functional>
#include <iostream>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "commands/check_local.h"
#include "commands/check_remote.h"
#include "commands/check_verdict.h"
#include "commands/tool_commands.h"
#include "model/byte_size.h"
#include "model/duration.h"
#include "net/http_client.h"

namespace perfwatch {
namespace {

constexpr std::string_view kHelp = R"(Usage: perfwatch check [options]

Checks the host, or a running perfwatch, once, prints one line in the Nagios
plugin format and exits 0 OK, 1 WARNING, 2 CRITICAL or 3 UNKNOWN.

Local check (no --url): one collection from /proc, judged by thresholds.
A figure trips a level when it is strictly above it; "off" disables a level.
  --cpu-warn N, --cpu-crit N        CPU busy %, all CPUs (default 80, 90)
  --memory-warn N, --memory-crit N  memory used % (default 85, 95)
  --swap-warn N, --swap-crit N      swap used % (default off, off)
  --disk-warn N, --disk-crit N      disk used % of each --disk (default 90, 95)
  --load-warn N, --load-crit N      1-minute load per CPU (default 2, 4)
  --disk PATH                       filesystem holding PATH (repeatable; default /)
  --process NAME|PID                must be running, else CRITICAL (repeatable)
  --process-rss-warn SIZE, --process-rss-crit SIZE
                                    largest RSS of a --process (e.g. 1GB; default off)
  --sample DURATION                 CPU sampling time (default 1s; e.g. 200ms)
  --procfs DIR, --sysfs DIR, --rootfs DIR
                                    the host's /proc, /sys and / (default /proc, /sys, /)

Remote check: the status class and firing alerts of a running perfwatch.
  --url URL                         http://host:port of perfwatch
  --token TOKEN                     bearer token (default $PERFWATCH_SERVER_TOKEN)
  --timeout DURATION                for the whole check (default 5s)
  --status-warn CLASS, --status-crit CLASS
                                    class from which status is WARNING / CRITICAL
                                    (default poor, critical; classes excellent,
                                    good, fair, poor, critical)
  --no-alerts                       judge the status class only
  --max-age DURATION                latest tick older than this is CRITICAL
                                    (default 60s; off to disable)

Output:
  --json                            one JSON object instead of the plugin line
  -h, --help                        this text

Examples:
  perfwatch check --process nginx --disk / --disk /var/lib/data
  perfwatch check --cpu-warn 90 --cpu-crit 98 --sample 200ms --json
  perfwatch check --url http://127.0.0.1:8080 --timeout 3s
  HEALTHCHECK --interval=30s --timeout=10s CMD ["perfwatch", "check", "--url", "http://127.0.0.1:8080"]
)";

struct CheckCommand {
  bool help = false;
  bool json = false;
  std::optional<std::string> url;
  LocalCheckOptions local;
  RemoteCheckOptions remote;
  bool disks_given = false;
  std::vector<std::string> local_flags;   // as given, to refuse them with --url
  std::vector<std::string> remote_flags;  // as given, to refuse them without --url
};

std::string Quoted(std::string_view s) {
  std::string out;
  out.reserve(s.size() + 2);
  out.append(1, '"').append(s).append(1, '"');
  return out;
}

// "off" or a finite number >= 0.
Status ParseLevel(const std::string& flag, const std::string& text, std::optional<double>& out) {
  if (text == "off" || text == "none") {
    out.reset();
    return Status::Ok();
  }
  char* end = nullptr;
  double v = std::strtod(text.c_str(), &end);
  if (text.empty() || end != text.c_str() + text.size() || !(v >= 0) || v > 1e18) {
    return Status::InvalidArgument(flag + ": expected a number from 0 or \"off\", got " +
                                   Quoted(text));
  }
  out = v;
  return Status::Ok();
}

Status ParseSizeLevel(const std::string& flag, const std::string& text,
                      std::optional<double>& out) {
  if (text == "off" || text == "none") {
    out.reset();
    return Status::Ok();
  }
  Result<uint64_t> bytes = ParseByteSize(text);
  if (!bytes.ok()) return Status::InvalidArgument(flag + ": " + bytes.status().message());
  out = static_cast<double>(*bytes);
  return Status::Ok();
}

Status ParseMs(const std::string& flag, const std::string& text, std::chrono::milliseconds& out) {
  Result<int64_t> ms = ParseDuration(text);
  if (!ms.ok()) return Status::InvalidArgument(flag + ": " + ms.status().message());
  if (*ms <= 0) return Status::InvalidArgument(flag + ": must be above 0, got " + Quoted(text));
  out = std::chrono::milliseconds(*ms);
  return Status::Ok();
}

using Setter = std::function<Status(CheckCommand&, const std::string& flag, const std::string&)>;

struct FlagSpec {
  bool remote;  // only with --url (else only without, or both for output flags)
  bool takes_value;
  Setter set;
};

Setter Level(std::optional<double> Threshold::*level, Threshold LocalCheckOptions::*which) {
  return [=](CheckCommand& c, const std::string& flag, const std::string& v) {
    return ParseLevel(flag, v, (c.local.*which).*level);
  };
}

const std::map<std::string, FlagSpec, std::less<>>& LocalFlags() {
  static const auto* flags = new std::map<std::string, FlagSpec, std::less<>>{
      {"--cpu-warn", {false, true, Level(&Threshold::warn, &LocalCheckOptions::cpu)}},
      {"--cpu-crit", {false, true, Level(&Threshold::crit, &LocalCheckOptions::cpu)}},
      {"--memory-warn", {false, true, Level(&Threshold::warn, &LocalCheckOptions::memory)}},
      {"--memory-crit", {false, true, Level(&Threshold::crit, &LocalCheckOptions::memory)}},
      {"--swap-warn", {false, true, Level(&Threshold::warn, &LocalCheckOptions::swap)}},
      {"--swap-crit", {false, true, Level(&Threshold::crit, &LocalCheckOptions::swap)}},
      {"--disk-warn", {false, true, Level(&Threshold::warn, &LocalCheckOptions::disk)}},
      {"--disk-crit", {false, true, Level(&Threshold::crit, &LocalCheckOptions::disk)}},
      {"--load-warn", {false, true, Level(&Threshold::warn, &LocalCheckOptions::load)}},
      {"--load-crit", {false, true, Level(&Threshold::crit, &LocalCheckOptions::load)}},
      {"--process-rss-warn",
       {false, true,
        [](CheckCommand& c, const std::string& f, const std::string& v) {
          return ParseSizeLevel(f, v, c.local.process_rss.warn);
        }}},
      {"--process-rss-crit",
       {false, true,
        [](CheckCommand& c, const std::string& f, const std::string& v) {
          return ParseSizeLevel(f, v, c.local.process_rss.crit);
        }}},
      {"--disk",
       {false, true,
        [](CheckCommand& c, const std::string& f, const std::string& v) {
          if (v.empty() || v.front() != '/') {
            return Status::InvalidArgument(f + ": expected an absolute path, got " + Quoted(v));
          }
          if (!c.disks_given) c.local.disks.clear();
          c.disks_given = true;
          c.local.disks.push_back(v);
          return Status::Ok();
        }}},
      {"--process",
       {false, true,
        [](CheckCommand& c, const std::string& f, const std::string& v) {
          if (v.empty()) return Status::InvalidArgument(f + ": expected a process name or PID");
          c.local.processes.push_back(v);
          return Status::Ok();
        }}},
      {"--sample",
       {false, true,
        [](CheckCommand& c, const std::string& f, const std::string& v) {
          Status s = ParseMs(f, v, c.local.sample);
          if (s.ok() && c.local.sample > std::chrono::minutes(1)) {
            return Status::InvalidArgument(f + ": at most 1m, got " + Quoted(v));
          }
          return s;
        }}},
      {"--procfs",
       {false, true,
        [](CheckCommand& c, const std::string&, const std::string& v) {
          c.local.paths.procfs = v;
          return Status::Ok();
        }}},
      {"--sysfs",
       {false, true,
        [](CheckCommand& c, const std::string&, const std::string& v) {
          c.local.paths.sysfs = v;
          return Status::Ok();
        }}},
      {"--rootfs",
       {false, true,
        [](CheckCommand& c, const std::string&, const std::string& v) {
          c.local.paths.rootfs = v;
          return Status::Ok();
        }}},
  };
  return *flags;
}

const std::map<std::string, FlagSpec, std::less<>>& RemoteFlags() {
  static const auto* flags = new std::map<std::string, FlagSpec, std::less<>>{
      {"--token",
       {true, true,
        [](CheckCommand& c, const std::string&, const std::string& v) {
          c.remote.token = v;
          return Status::Ok();
        }}},
      {"--timeout",
       {true, true,
        [](CheckCommand& c, const std::string& f, const std::string& v) {
          return ParseMs(f, v, c.remote.timeout);
        }}},
      {"--status-warn",
       {true, true,
        [](CheckCommand& c, const std::string& f, const std::string& v) {
          std::optional<int> cls = ParseStatusClass(v);
          if (!cls)
            return Status::InvalidArgument(f + ": expected a status class, got " + Quoted(v));
          c.remote.warn_class = *cls;
          return Status::Ok();
        }}},
      {"--status-crit",
       {true, true,
        [](CheckCommand& c, const std::string& f, const std::string& v) {
          std::optional<int> cls = ParseStatusClass(v);
          if (!cls)
            return Status::InvalidArgument(f + ": expected a status class, got " + Quoted(v));
          c.remote.crit_class = *cls;
          return Status::Ok();
        }}},
      {"--no-alerts",
       {true, false,
        [](CheckCommand& c, const std::string&, const std::string&) {
          c.remote.alerts = false;
          return Status::Ok();
        }}},
      {"--max-age",
       {true, true,
        [](CheckCommand& c, const std::string& f, const std::string& v) {
          if (v == "off") {
            c.remote.max_age.reset();
            return Status::Ok();
          }
          std::chrono::milliseconds ms{};
          Status s = ParseMs(f, v, ms);
          c.remote.max_age = ms;
          return s;
        }}},
  };
  return *flags;
}

// Warning levels above critical ones would hide the warning band; refuse
// them rather than guess which the user meant.
Status CheckOrder(const char* name, const Threshold& t) {
  if (t.warn && t.crit && *t.warn > *t.crit) {
    return Status::InvalidArgument("--" + std::string(name) + "-warn " + FormatFixed(*t.warn, 1) +
                                   " is above the critical level " + FormatFixed(*t.crit, 1) +
                                   " (--" + name + "-crit); raise or turn off --" + name +
                                   "-crit too");
  }
  return Status::Ok();
}

Status Validate(const CheckCommand& c) {
  if (c.url) {
    if (!c.local_flags.empty()) {
      return Status::InvalidArgument(c.local_flags.front() +
                                     " is for a local check; with --url the server's status "
                                     "and alerts decide");
    }
    if (c.remote.warn_class > c.remote.crit_class) {
      return Status::InvalidArgument("--status-warn is above --status-crit");
    }
    return Status::Ok();
  }
  if (!c.remote_flags.empty()) {
    return Status::InvalidArgument(c.remote_flags.front() + " needs --url");
  }
  const LocalCheckOptions& l = c.local;
  for (auto [name, t] : {std::pair{"cpu", &l.cpu}, std::pair{"memory", &l.memory},
                         std::pair{"swap", &l.swap}, std::pair{"disk", &l.disk},
                         std::pair{"load", &l.load}, std::pair{"process-rss", &l.process_rss}}) {
    Status s = CheckOrder(name, *t);
    if (!s.ok()) return s;
  }
  return Status::Ok();
}

Status Parse(int argc, const char* const* argv, CheckCommand& c) {
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    std::optional<std::string> inline_value;
    if (size_t eq = arg.find('='); arg.rfind("--", 0) == 0 && eq != std::string::npos) {
      inline_value = arg.substr(eq + 1);
      arg.resize(eq);
    }
    if (arg == "-h" || arg == "--help") {
      c.help = true;
      continue;
    }
    if (arg == "--json") {
      c.json = true;
      continue;
    }
    if (arg == "--url") {
      if (!inline_value && i + 1 >= argc) return Status::InvalidArgument("--url needs a value");
      c.url = inline_value ? *inline_value : argv[++i];
      Result<HttpUrl> parsed = ParseHttpUrl(*c.url);
      if (!parsed.ok()) return Status::InvalidArgument("--url: " + parsed.status().message());
      c.remote.url = *c.url;
      continue;
    }
    const FlagSpec* spec = nullptr;
    if (auto it = LocalFlags().find(arg); it != LocalFlags().end()) spec = &it->second;
    if (auto it = RemoteFlags().find(arg); it != RemoteFlags().end()) spec = &it->second;
    if (spec == nullptr) {
      return Status::InvalidArgument("unknown option " + Quoted(argv[i]) +
                                     " (perfwatch check --help lists them)");
    }
    std::string value;
    if (spec->takes_value) {
      if (inline_value) {
        value = *inline_value;
      } else if (i + 1 < argc) {
        value = argv[++i];
      } else {
        return Status::InvalidArgument(arg + " needs a value");
      }
    } else if (inline_value) {
      return Status::InvalidArgument(arg + " takes no value");
    }
    Status s = spec->set(c, arg, value);
    if (!s.ok()) return s;
    (spec->remote ? c.remote_flags : c.local_flags).push_back(arg);
  }
  return Validate(c);
}

int Print(bool json, const std::vector<CheckItem>& items) {
  CheckVerdict verdict = Combine(items);
  std::cout << (json ? CheckJson(verdict, items) : NagiosLine(verdict, items)) << "\n";
  std::cout.flush();
  return static_cast<int>(verdict.state);
}

}  // namespace

int RunCheckCommand(int argc, const char* const* argv, GetEnv getenv) {
  CheckCommand c;
  // Known before parsing, so a usage error is printed as asked too.
  for (int i = 1; i < argc; ++i) c.json = c.json || std::string_view(argv[i]) == "--json";
  if (const char* token = getenv("PERFWATCH_SERVER_TOKEN"); token != nullptr) {
    c.remote.token = token;
  }
  Status parsed = Parse(argc, argv, c);
  if (c.help) {
    std::cout << kHelp;
    return 0;
  }
  if (!parsed.ok()) {
    // The plugin line says what is wrong (Nagios shows only stdout); the
    // usage hint goes to stderr.
    std::cerr << "perfwatch check: " << parsed.message() << "\n"
              << "Run 'perfwatch check --help' for the options.\n";
    return Print(c.json, UnknownItems("usage", "usage: " + parsed.message()));
  }
  if (c.url) return Print(c.json, RunRemoteCheck(c.remote));
  return Print(c.json, RunLocalCheck(c.local));
}

}  // namespace perfwatch
