#include "config/fields.h"

#include <arpa/inet.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <deque>
#include <limits>
#include <mutex>

#include "model/byte_size.h"
#include "model/duration.h"
#include "model/labels.h"

namespace perfwatch {
namespace {

using Getter = std::function<std::vector<std::string>()>;

Status BadValue(std::string_view value, std::string_view expected) {
  return Status::InvalidArgument("invalid value \"" + std::string(value) + "\" (expected " +
                                 std::string(expected) + ")");
}

template <typename Int>
ConfigField IntField(std::string_view path, std::string_view help, Int& target, Int min, Int max) {
  return {path,
          help,
          false,
          [&target, min, max](std::string_view v) -> Status {
            uint64_t n = 0;
            auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
            if (ec != std::errc() || end != v.data() + v.size() || n < uint64_t(min) ||
                n > uint64_t(max)) {
              return BadValue(
                  v, "a whole number from " + std::to_string(min) + " to " + std::to_string(max));
            }
            target = static_cast<Int>(n);
            return Status::Ok();
          },
          nullptr,
          [&target]() -> std::vector<std::string> { return {std::to_string(target)}; }};
}

ConfigField DoubleField(std::string_view path, std::string_view help, double& target, double min,
                        double max) {
  return {path,
          help,
          false,
          [&target, min, max](std::string_view v) -> Status {
            double d = 0;
            auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), d);
            if (ec != std::errc() || end != v.data() + v.size() || !(d >= min && d <= max)) {
              return BadValue(v, "a number from " + std::to_string(int(min)) + " to " +
                                     std::to_string(int(max)));
            }
            target = d;
            return Status::Ok();
          },
          nullptr,
          [&target]() -> std::vector<std::string> {
            char buf[32];
            auto [end, ec] = std::to_chars(buf, buf + sizeof buf, target);
            return {std::string(buf, end)};
          }};
}

ConfigField DurationField(std::string_view path, std::string_view help, int64_t& target_ms,
                          int64_t min_ms) {
  return {path,
          help,
          false,
          [&target_ms, min_ms](std::string_view v) -> Status {
            Result<int64_t> ms = ParseDuration(v);
            if (!ms.ok()) return ms.status();
            if (*ms < min_ms) {
              return BadValue(v, "a duration of at least " + FormatDuration(min_ms));
            }
            target_ms = *ms;
            return Status::Ok();
          },
          nullptr,
          [&target_ms]() -> std::vector<std::string> { return {FormatDuration(target_ms)}; }};
}

ConfigField StringField(std::string_view path, std::string_view help, std::string& target,
                        bool allow_empty = true) {
  return {path,
          help,
          false,
          [&target, allow_empty](std::string_view v) -> Status {
            if (!allow_empty && v.empty()) return BadValue(v, "a non-empty string");
            target = std::string(v);
            return Status::Ok();
          },
          nullptr,
          [&target]() -> std::vector<std::string> { return {target}; }};
}

ConfigField ListField(std::string_view path, std::string_view help,
                      std::vector<std::string>& target) {
  return {path,
          help,
          true,
          [&target](std::string_view v) -> Status {
            if (v.empty()) return BadValue(v, "a non-empty string");
            target.emplace_back(v);
            return Status::Ok();
          },
          [&target] { target.clear(); },
          [&target] { return target; }};
}

Result<bool> ParseBool(std::string_view v) {
  for (auto t : {"true", "yes", "on", "1", "True", "TRUE"}) {
    if (v == t) return true;
  }
  for (auto f : {"false", "no", "off", "0", "False", "FALSE"}) {
    if (v == f) return false;
  }
  return BadValue(v, "true or false");
}

ConfigField BoolField(std::string_view path, std::string_view help, bool& target) {
  return {path,
          help,
          false,
          [&target](std::string_view v) -> Status {
            Result<bool> b = ParseBool(v);
            if (!b.ok()) return b.status();
            target = *b;
            return Status::Ok();
          },
          nullptr,
          [&target]() -> std::vector<std::string> { return {target ? "true" : "false"}; }};
}

ConfigField ByteSizeField(std::string_view path, std::string_view help, uint64_t& target) {
  return {path,
          help,
          false,
          [&target](std::string_view v) -> Status {
            Result<uint64_t> bytes = ParseByteSize(v);
            if (!bytes.ok()) return bytes.status();
            target = *bytes;
            return Status::Ok();
          },
          nullptr,
          [&target]() -> std::vector<std::string> { return {FormatByteSize(target)}; }};
}

// "always", "off" or a period: the store's ParseWalSync reads the same.
ConfigField FsyncField(std::string_view path, std::string_view help, std::string& target) {
  return {path,
          help,
          false,
          [&target](std::string_view v) -> Status {
            if (v != "always" && v != "off") {
              Result<int64_t> ms = ParseDuration(v);
              if (!ms.ok() || *ms <= 0) return BadValue(v, "always, off, or a period such as 1s");
            }
            target = std::string(v);
            return Status::Ok();
          },
          nullptr,
          [&target]() -> std::vector<std::string> { return {target}; }};
}

// "off" or an address ParseListenAddress reads.
ConfigField ListenField(std::string_view path, std::string_view help, std::string& target) {
  return {path,
          help,
          false,
          [&target](std::string_view v) -> Status {
            if (v != "off") {
              Result<ListenAddress> address = ParseListenAddress(v);
              if (!address.ok()) return address.status();
            }
            target = std::string(v);
            return Status::Ok();
          },
          nullptr,
          [&target]() -> std::vector<std::string> { return {target}; }};
}

ConfigField ChoiceField(std::string_view path, std::string_view help, std::string& target,
                        std::vector<std::string_view> choices) {
  return {path,
          help,
          false,
          [&target, choices](std::string_view v) -> Status {
            if (std::find(choices.begin(), choices.end(), v) == choices.end()) {
              std::string expected;
              for (std::string_view c : choices)
                expected += (expected.empty() ? "" : " or ") + std::string(c);
              return BadValue(v, expected);
            }
            target = std::string(v);
            return Status::Ok();
          },
          nullptr,
          [&target]() -> std::vector<std::string> { return {target}; }};
}

std::string FormatShortest(double d) {
  char buf[32];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, d);
  return std::string(buf, end);
}

// Ascending finite numbers (histogram bucket bounds).
ConfigField AscendingListField(std::string_view path, std::string_view help,
                               std::vector<double>& target) {
  return {path,
          help,
          true,
          [&target](std::string_view v) -> Status {
            double d = 0;
            auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), d);
            if (v.empty() || ec != std::errc() || end != v.data() + v.size() || !std::isfinite(d)) {
              return BadValue(v, "a finite number");
            }
            if (!target.empty() && d <= target.back()) {
              return BadValue(v, "ascending bounds, each above " + FormatShortest(target.back()));
            }
            target.push_back(d);
            return Status::Ok();
          },
          [&target] { target.clear(); },
          [&target] {
            std::vector<std::string> out;
            for (double d : target) out.push_back(FormatShortest(d));
            return out;
          }};
}

std::string_view Name(LogLevel l) {
  constexpr std::string_view kNames[] = {"debug", "info", "warn", "error"};
  return kNames[static_cast<int>(l)];
}

bool IsHostNameChar(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.' || c == '_';
}

}  // namespace

Result<ListenAddress> ParseListenAddress(std::string_view text) {
  auto bad = [&](std::string_view why) {
    return Status::InvalidArgument("invalid address \"" + std::string(text) + "\": " +
                                   std::string(why) + " (expected HOST:PORT, [IPV6]:PORT or off)");
  };
  ListenAddress out;
  std::string_view port;
  if (text.starts_with('[')) {
    size_t close = text.find("]:");
    if (close == std::string_view::npos) return bad("an IPv6 address needs ]:PORT after it");
    out.host = std::string(text.substr(1, close - 1));
    in6_addr v6;
    if (inet_pton(AF_INET6, out.host.c_str(), &v6) != 1) return bad("not an IPv6 address");
    port = text.substr(close + 2);
  } else {
    size_t colon = text.rfind(':');
    if (colon == std::string_view::npos) return bad("missing :PORT");
    out.host = std::string(text.substr(0, colon));
    if (out.host.find(':') != std::string::npos) return bad("write an IPv6 address in brackets");
    if (out.host.empty()) return bad("missing host");
    for (char c : out.host) {
      if (!IsHostNameChar(c)) return bad(std::string("host contains '") + c + "'");
    }
    port = text.substr(colon + 1);
  }
  unsigned n = 0;
  auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), n);
  if (port.empty() || ec != std::errc() || end != port.data() + port.size() || n > 65535) {
    return bad("the port must be a number from 0 to 65535");
  }
  out.port = static_cast<uint16_t>(n);
  return out;
}

// status.<class>.<metric>: seed 000's table. Poor's memory, CPU and
// response-time bounds are the thresholds.* alert thresholds, so they are
// not repeated here.
static void AddStatusFields(std::vector<ConfigField>& f, StatusOptions& s) {
  struct Bound {
    const char* name;
    double StatusBounds::*member;
    double max;
  };
  static constexpr Bound kBounds[] = {
      {"memory_percent", &StatusBounds::memory_percent, 100},
      {"cpu_percent", &StatusBounds::cpu_percent, 100},
      {"response_time_ms", &StatusBounds::response_time_ms, 3.6e6},
      {"error_rate_percent", &StatusBounds::error_rate_percent, 100},
      {"cache_hit_percent", &StatusBounds::cache_hit_percent, 100},
  };
  struct Class {
    const char* name;
    StatusBounds* bounds;
    bool all;  // false: only the two bounds with no threshold of their own
  };
  const Class classes[] = {
      {"excellent", &s.excellent, true},
      {"fair", &s.fair, true},
      {"poor", &s.poor, false},
      {"critical", &s.critical, true},
  };
  // The table holds string_views: the paths live as long as the program.
  static std::deque<std::string> paths;
  static std::mutex paths_mu;
  std::lock_guard lock(paths_mu);
  size_t next = 0;
  for (const Class& k : classes) {
    for (const Bound& b : kBounds) {
      bool own = b.member == &StatusBounds::error_rate_percent ||
                 b.member == &StatusBounds::cache_hit_percent;
      if (!k.all && !own) continue;
      if (next == paths.size()) paths.push_back(std::string("status.") + k.name + "." + b.name);
      f.push_back(DoubleField(paths[next++], "status-class bound", k.bounds->*b.member, 0, b.max));
    }
  }
  f.push_back(
      IntField<uint32_t>("status.consecutive_poor",
                         "Poor evaluations in a row that raise consecutive_poor_performance",
                         s.consecutive_poor, 1, 1'000'000));
}

static void AddStatsdAndIngestFields(std::vector<ConfigField>& f, StatsdConfig& s,
                                     IngestConfig& i) {
  f.push_back(ListenField("statsd.listen", "StatsD UDP address, or off", s.listen));
  f.push_back(DurationField("statsd.quantile_window", "sliding window of summary quantiles",
                            s.quantile_window_ms, 1000));
  f.push_back(DurationField("statsd.flush_interval",
                            "per-interval figures restart this often (0 = collection interval)",
                            s.flush_interval_ms, 0));
  f.push_back(ChoiceField("statsd.histogram_type", "what StatsD h and d become", s.histogram_type,
                          {"histogram", "summary"}));
  f.push_back(AscendingListField("statsd.buckets", "histogram upper bounds, ascending", s.buckets));
  f.push_back(ByteSizeField("statsd.receive_buffer", "UDP receive buffer (SO_RCVBUF)",
                            s.receive_buffer_bytes));
  f.push_back(
      IntField<uint32_t>("ingest.max_series", "series per source", i.max_series, 1, 10'000'000));
  f.push_back(IntField<uint32_t>("ingest.max_labels", "labels per series", i.max_labels, 1,
                                 static_cast<uint32_t>(kMaxLabelsPerSeries)));
  f.push_back(IntField<uint32_t>("ingest.max_name_length", "bytes of a metric name",
                                 i.max_name_length, 1, 65'536));
  f.push_back(IntField<uint32_t>("ingest.max_label_value_length", "bytes of a label value",
                                 i.max_label_value_length, 1,
                                 static_cast<uint32_t>(kMaxLabelValueBytes)));
  f.push_back(ByteSizeField("ingest.max_body", "largest push or OTLP body", i.max_body_bytes));
  f.push_back(
      DurationField("ingest.series_ttl", "drop series not written for", i.series_ttl_ms, 1000));
  f.push_back(DurationField("ingest.max_sample_age", "refuse samples older than (0 = no check)",
                            i.max_sample_age_ms, 0));
}

// tuning.*: the loop's settings and the defaults of every rule; the rules
// themselves are tuning_config.cpp's.
static void AddTuningFields(std::vector<ConfigField>& f, TuningConfig& t) {
  f.push_back(BoolField("tuning.enabled", "closed-loop auto-tuning", t.enabled));
  f.push_back(
      BoolField("tuning.dry_run", "log and audit what would be done, change nothing", t.dry_run));
  f.push_back(DurationField("tuning.interval", "time between evaluations of the tuning rules",
                            t.interval_ms, 100));
  f.push_back(DurationField("tuning.cooldown", "default quiet time after a rule's action",
                            t.cooldown_ms, 0));
  f.push_back(IntField<int>("tuning.max_actions_per_hour", "default cap on a rule's actions",
                            t.max_actions_per_hour, 1, 3600));
  f.push_back(DurationField("tuning.window", "default effect window, before and after a change",
                            t.window_ms, 100));
  f.push_back(
      BoolField("tuning.rollback", "default: undo a change that made things worse", t.rollback));
  f.push_back(DoubleField("tuning.worse_tolerance",
                          "relative move of the metric that counts as worse or better",
                          t.worse_tolerance, 0, 1));
  f.push_back(IntField<int>("tuning.emergency_after", "poor evaluations in a row before emergency",
                            t.emergency_after, 1, 1'000'000));
  f.push_back(BoolField("tuning.builtin_rules", "seed 000's tuning rules", t.builtin_rules));
  f.push_back(DoubleField("tuning.memory_percent", "built-in rule: memory threshold, percent",
                          t.memory_percent, 0, 100));
  f.push_back(DoubleField("tuning.response_time_ms", "built-in rule: response time threshold, ms",
                          t.response_time_ms, 0, 3.6e6));
  f.push_back(DoubleField("tuning.cache_hit_rate_percent",
                          "built-in rule: cache hit rate floor, percent", t.cache_hit_rate_percent,
                          0, 100));
  f.push_back(DurationField("tuning.for", "built-in rules: how long a trigger must hold",
                            t.builtin_for_ms, 0));
}

std::vector<ConfigField> BindFields(Config& c) {
  std::vector<ConfigField> f;
  f.push_back(StringField("server.host", "address to listen on", c.server.host, false));
  f.push_back(IntField<uint16_t>("server.port", "TCP port to listen on", c.server.port, 0, 65535));
  f.push_back(StringField("server.token", "bearer token for write/admin routes", c.server.token));
  f.push_back(IntField<uint64_t>("server.max_body_bytes", "largest request body accepted",
                                 c.server.max_body_bytes, 1024, uint64_t{1} << 30));
  f.push_back(DurationField("server.idle_timeout", "close idle or slow connections after",
                            c.server.idle_timeout_ms, 100));
  f.push_back(IntField<uint32_t>("server.max_connections", "concurrent connections",
                                 c.server.max_connections, 1, 100'000));
  f.push_back(IntField<uint32_t>("server.threads", "HTTP threads", c.server.threads, 1, 64));
  f.push_back(DurationField("collect.interval", "time between collection ticks",
                            c.collect.interval_ms, 100));
  f.push_back(StringField("collect.procfs", "procfs root", c.collect.procfs, false));
  f.push_back(StringField("collect.sysfs", "sysfs root", c.collect.sysfs, false));
  f.push_back(
      StringField("collect.rootfs", "root of the host's mount namespace", c.collect.rootfs, false));
  f.push_back(ListField("collect.watch_process", "process names or PIDs to watch",
                        c.collect.watch_processes));
  f.push_back(ListField("collect.disable", "collectors to switch off", c.collect.disable));
  f.push_back(DurationField("collect.processes_interval", "per-PID scan interval",
                            c.collect.processes_interval_ms, 100));
  f.push_back(
      StringField("storage.data_dir", "directory for durable state", c.storage.data_dir, false));
  f.push_back(DurationField("storage.memory_retention", "history kept in memory",
                            c.storage.memory_retention_ms, 60'000));
  f.push_back(IntField<uint32_t>("storage.max_series", "limit on distinct series",
                                 c.storage.max_series, 100, 10'000'000));
  f.push_back(FsyncField("storage.wal_fsync", "WAL flush policy: always, off or a period",
                         c.storage.wal_fsync));
  f.push_back(DurationField("storage.block_duration",
                            "length of a sealed block of history (new databases)",
                            c.storage.block_duration_ms, 60'000));
  f.push_back(DurationField("retention.raw", "keep raw samples on disk for", c.retention.raw_ms,
                            3'600'000));
  f.push_back(DurationField("retention.minute", "keep 1-minute points for", c.retention.minute_ms,
                            3'600'000));
  f.push_back(
      DurationField("retention.hour", "keep 1-hour points for", c.retention.hour_ms, 3'600'000));
  f.push_back(ByteSizeField("retention.max_disk", "disk budget for all tiers (0 = none)",
                            c.retention.max_disk_bytes));
  f.push_back(ByteSizeField("retention.raw_size", "size cap of the raw tier (0 = none)",
                            c.retention.raw_bytes));
  f.push_back(ByteSizeField("retention.minute_size", "size cap of the 1-minute tier (0 = none)",
                            c.retention.minute_bytes));
  f.push_back(ByteSizeField("retention.hour_size", "size cap of the 1-hour tier (0 = none)",
                            c.retention.hour_bytes));
  f.push_back(DoubleField("thresholds.memory_percent", "memory alert threshold, percent",
                          c.thresholds.memory_percent, 0, 100));
  f.push_back(DoubleField("thresholds.cpu_percent", "CPU alert threshold, percent",
                          c.thresholds.cpu_percent, 0, 100));
  f.push_back(DoubleField("thresholds.response_time_ms", "response time threshold, ms",
                          c.thresholds.response_time_ms, 0, 3.6e6));
  f.push_back(ListField("rule_files", "alerting rule files (glob patterns)", c.rule_files));
  f.push_back(
      BoolField("alerting.builtin_rules", "seed 000's default rules", c.alerting.builtin_rules));
  f.push_back(ListField("alerting.group_by", "labels that group alerts into one notification",
                        c.alerting.grouping.group_by));
  f.push_back(DurationField("alerting.group_wait",
                            "wait for more alerts before a group's first send",
                            c.alerting.grouping.group_wait_ms, 0));
  f.push_back(DurationField("alerting.group_interval", "batch a group's later changes this long",
                            c.alerting.grouping.group_interval_ms, 0));
  f.push_back(DurationField("alerting.repeat_interval", "resend a still-firing alert after",
                            c.alerting.grouping.repeat_interval_ms, 1000));
  f.push_back(IntField<uint32_t>("alerting.max_per_minute", "sends per receiver per minute",
                                 c.alerting.grouping.max_per_minute, 1, 100'000));
  f.push_back(DoubleField("alerting.worse_by",
                          "an acknowledged alert notifies again this much (ratio) worse",
                          c.alerting.worse_by, 0, 100));
  f.push_back(DurationField("alerting.history_retention", "keep alert history for",
                            c.alerting.history_retention_ms, 3'600'000));
  AddStatusFields(f, c.status);
  AddTuningFields(f, c.tuning);
  AddStatsdAndIngestFields(f, c.statsd, c.ingest);
  f.push_back({"log.level", "debug, info, warn or error", false,
               [&c](std::string_view v) -> Status {
                 Result<LogLevel> l = ParseLogLevel(v);
                 if (!l.ok()) return l.status();
                 c.log.level = *l;
                 return Status::Ok();
               },
               nullptr,
               [&c]() -> std::vector<std::string> { return {std::string(Name(c.log.level))}; }});
  f.push_back({"log.format", "text or json", false,
               [&c](std::string_view v) -> Status {
                 Result<LogFormat> l = ParseLogFormat(v);
                 if (!l.ok()) return l.status();
                 c.log.format = *l;
                 return Status::Ok();
               },
               nullptr,
               [&c]() -> std::vector<std::string> {
                 return {c.log.format == LogFormat::kJson ? "json" : "text"};
               }});
  return f;
}

}  // namespace perfwatch
