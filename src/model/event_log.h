#pragma once
// Structured events on top of spdlog: every log line is a named event
// (monitoring_started, collector_failed, ...) with key=value fields, printed
// as text ("monitoring_started interval=1s") or as one JSON object per line
// ({"time":...,"level":"info","event":"monitoring_started","interval":"1s"}).
//
// Thread-safe (spdlog's default logger is). SetupLogging is called once at
// start-up, before other threads exist.

#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>

#include "model/status.h"

namespace perfwatch {

enum class LogFormat { kText, kJson };
enum class LogLevel { kDebug, kInfo, kWarn, kError };

Result<LogFormat> ParseLogFormat(std::string_view text);
Result<LogLevel> ParseLogLevel(std::string_view text);

// Logs go to stderr so stdout stays free for command output.
void SetupLogging(LogFormat format, LogLevel level);

using LogField = std::pair<std::string_view, std::string>;
void LogEvent(LogLevel level, std::string_view event, std::initializer_list<LogField> fields = {});

}  // namespace perfwatch
