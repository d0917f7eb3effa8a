#pragma once
// Config: everything perfwatch can be told, as one typed struct with every
// default next to its field. Sources, weakest first: these defaults, one
// YAML file (--config), environment variables (seed 000's names and
// PERFWATCH_*), command-line flags. Value type; built once at start-up.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "alert/rule_spec.h"
#include "analysis/status_options.h"
#include "model/event_log.h"
#include "model/status.h"
#include "notify/notify_options.h"
#include "tune/rule_spec.h"

namespace perfwatch {

struct ServerConfig {
  // Loopback by default; any other address is the user's explicit choice.
  std::string host = "127.0.0.1";
  uint16_t port = 8080;
  // Bearer token for write/admin routes; empty = no token required.
  std::string token;
  // Request bodies larger than this are refused with 413.
  uint64_t max_body_bytes = 1 << 20;
  // Idle or too-slow connections are closed after this long.
  int64_t idle_timeout_ms = 30'000;
  uint32_t max_connections = 512;
  uint32_t threads = 2;
};

struct CollectConfig {
  // Time between collection ticks (seed 000: --interval, MONITORING_INTERVAL).
  int64_t interval_ms = 1000;
  // Roots of the host's pseudo-filesystems, to watch a host from a container.
  std::string procfs = "/proc";
  std::string sysfs = "/sys";
  std::string rootfs = "/";
  // Processes to watch by name (comm or argv[0] basename) or PID.
  std::vector<std::string> watch_processes;
  // Collector names to switch off (see `perfwatch --help`).
  std::vector<std::string> disable;
  // The per-PID scan behind system_processes{state} runs at most this often.
  int64_t processes_interval_ms = 5000;
};

struct StorageConfig {
  // Where durable state lives (created if missing).
  std::string data_dir = "./data";
  // How much history the in-memory store keeps.
  int64_t memory_retention_ms = 2 * 3600 * 1000;
  // Hard cap on distinct series; new ones beyond it are refused and counted.
  uint32_t max_series = 100'000;
  // When the write-ahead log is flushed to disk: "always" (every tick),
  // "off" (the kernel decides), or a period such as "1s": a kill -9 or power
  // loss costs at most that much history.
  std::string wal_fsync = "1s";
  // Sealed history is cut into blocks this long (raw and 1-minute tiers),
  // like Prometheus's block duration. A whole number of minutes dividing
  // 24 h; longer blocks compress better but keep more in memory and in the
  // WAL. Only a new database takes it; an existing one keeps its own.
  int64_t block_duration_ms = 2 * 3600 * 1000;
};

// How long each tier of history on disk is kept, and the total disk budget
// (oldest first, raw before rollups, when it is exceeded).
struct RetentionSettings {
  int64_t raw_ms = 14LL * 86'400'000;           // raw samples
  int64_t minute_ms = 90LL * 86'400'000;        // 1-minute min/max/sum/count/last
  int64_t hour_ms = 730LL * 86'400'000;         // 1-hour points
  uint64_t max_disk_bytes = uint64_t{2} << 30;  // all tiers together; 0 = no cap
  // Each tier's own cap on its blocks' bytes, oldest first; 0 = only the
  // shared max_disk_bytes applies.
  uint64_t raw_bytes = 0;
  uint64_t minute_bytes = 0;
  uint64_t hour_bytes = 0;
};

// Thresholds of seed 000: the built-in rules (HighMemoryUsage,
// HighCpuUsage, HighResponseTime) fire past them, and the status class calls
// a host Poor past them.
struct ThresholdConfig {
  double memory_percent = 80.0;    // MEMORY_THRESHOLD, --memory-threshold
  double cpu_percent = 70.0;       // CPU_THRESHOLD, --cpu-threshold
  double response_time_ms = 1000;  // RESPONSE_TIME_THRESHOLD, --response-threshold
};

struct TuningConfig {
  bool enabled = true;   // AUTO_TUNING_ENABLED, --no-auto-tuning
  bool dry_run = false;  // --dry-run-tuning: log and audit what would be done
  // The evaluation tick: rules are evaluated, and poor status counted for
  // the emergency mode, this often.
  int64_t interval_ms = 10'000;
  // Defaults of every rule that does not set its own.
  int64_t cooldown_ms = 5 * 60'000;
  int max_actions_per_hour = 6;
  int64_t window_ms = 60'000;  // effect evaluation, before and after
  bool rollback = true;
  double worse_tolerance = 0.05;  // relative change that counts as worse/improved
  int emergency_after = 5;        // consecutive poor evaluations
  // Seed 000's rules (docs/TUNING.md) and their thresholds.
  bool builtin_rules = true;
  double memory_percent = 85;
  double response_time_ms = 1500;
  double cache_hit_rate_percent = 60;
  int64_t builtin_for_ms = 30'000;
  // `tuning:` as a list, or `tuning.rules:`.
  std::vector<TuningRuleSpec> rules;
};

// How alerts are evaluated and notified (rules and receivers are lists of
// their own: Config::rules, Config::rule_files, Config::notify).
struct AlertingConfig {
  // Seed 000's rules (docs/ALERTS.md); a user rule of the same name
  // replaces one, `enabled: false` switches one off.
  bool builtin_rules = true;
  GroupingOptions grouping;
  // An acknowledged alert notifies again when its value moves this much
  // (relative) further past its threshold.
  double worse_by = 0.10;
  // Alert history older than this is pruned from the database.
  int64_t history_retention_ms = 90LL * 86'400'000;
};

// StatsD / DogStatsD over UDP (docs/METRICS.md has the naming).
struct StatsdConfig {
  // HOST:PORT or [V6]:PORT to receive on (ParseListenAddress); "off"
  // disables StatsD (--statsd-listen).
  std::string listen = "127.0.0.1:8125";
  // Summary quantiles (timers, `ms`) cover this sliding window, as
  // Prometheus client summaries do with their max age.
  int64_t quantile_window_ms = 60'000;
  // Per-interval figures (min, max, set members) restart this often;
  // 0 = every collection tick.
  int64_t flush_interval_ms = 0;
  // What StatsD `h` and `d` become: "histogram" (buckets) or "summary"
  // (quantiles, like `ms`).
  std::string histogram_type = "histogram";
  // Histogram upper bounds, ascending; +Inf is implicit. The same default
  // as ObserverOptions::buckets (ingest/app_metrics.h).
  std::vector<double> buckets = {1, 2.5, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000};
  // SO_RCVBUF asked for the UDP socket; the kernel caps it at
  // net.core.rmem_max.
  uint64_t receive_buffer_bytes = 8 << 20;
};

// Limits on what applications send (StatsD, HTTP push, OTLP), each per
// source; what exceeds them is dropped and counted.
struct IngestConfig {
  uint32_t max_series = 100'000;
  uint32_t max_labels = 32;  // per series; at most kMaxLabelsPerSeries
  uint32_t max_name_length = 256;
  uint32_t max_label_value_length = 1024;  // at most kMaxLabelValueBytes
  // Larger push and OTLP bodies get 413.
  uint64_t max_body_bytes = 16 << 20;
  // A series not written for this long stops being emitted and is freed.
  int64_t series_ttl_ms = 10 * 60'000;
  // Samples stamped further in the past are refused; 0 = no check.
  int64_t max_sample_age_ms = 5 * 60'000;
};

// One `scrape:` target: a Prometheus /metrics perfwatch pulls.
struct ScrapeConfig {
  std::string job;                 // the job label; a non-empty label value
  std::string url;                 // http://host[:port]/path (ParseHttpUrl)
  int64_t interval_ms = 0;         // time between scrapes; 0 = collect.interval
  int64_t timeout_ms = 0;          // 0 = min(interval, 10s); at most the interval
  uint64_t sample_limit = 50'000;  // a scrape with more samples fails; 0 = none
  bool honor_labels = false;       // the target's own job/instance labels win
};

struct LogConfig {
  LogLevel level = LogLevel::kInfo;
  LogFormat format = LogFormat::kText;
};

struct Config {
  ServerConfig server;
  CollectConfig collect;
  StorageConfig storage;
  RetentionSettings retention;
  ThresholdConfig thresholds;
  AlertingConfig alerting;
  StatusOptions status;
  // Alerting rules written in the config itself (`rules:`).
  std::vector<RuleSpec> rules;
  // Rule files (Prometheus `groups:` layout or a list), glob patterns.
  std::vector<std::string> rule_files;
  // Where notifications go (`notify:`); empty = console plus a JSON log
  // at <data_dir>/alerts.log.
  std::vector<ReceiverOptions> notify;
  TuningConfig tuning;
  LogConfig log;
  StatsdConfig statsd;
  IngestConfig ingest;
  // Prometheus targets to scrape (`scrape:`), in the order given.
  std::vector<ScrapeConfig> scrape;
};

// A listen address as statsd.listen takes it: "HOST:PORT" or "[V6]:PORT"
// (`host` then without brackets); port 0 picks a free one. "off" is not an
// address: the caller checks for it first.
struct ListenAddress {
  std::string host;
  uint16_t port = 0;
};
Result<ListenAddress> ParseListenAddress(std::string_view text);

// Checks ranges and cross-field rules; the message names the key.
Status Validate(const Config& config);

// Parses a YAML (or JSON) document on top of `config`. Unknown keys and
// wrong types are refused with the key path and its line: `collect.interval
// (line 3): invalid duration "fast"`. `source` names the file in messages.
Status ApplyYaml(std::string_view text, std::string_view source, Config& config);
Status LoadYamlFile(const std::string& path, Config& config);

// Applies environment variables (seed 000's MONITORING_INTERVAL,
// AUTO_TUNING_ENABLED, MEMORY_THRESHOLD, CPU_THRESHOLD,
// RESPONSE_TIME_THRESHOLD, and PERFWATCH_* for the rest). `getenv` is
// injectable for tests.
using GetEnv = const char* (*)(const char*);
Status ApplyEnvironment(Config& config, GetEnv getenv);

// The effective configuration as YAML that ApplyYaml reads back unchanged.
std::string ToYaml(const Config& config);

// Every environment variable ApplyEnvironment reads, with its key, for --help.
struct EnvVar {
  std::string_view name;
  std::string_view key;
};
const std::vector<EnvVar>& EnvironmentVariables();

}  // namespace perfwatch
