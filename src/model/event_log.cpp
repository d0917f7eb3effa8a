#include "model/event_log.h"

#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <atomic>
#include <nlohmann/json.hpp>

namespace perfwatch {
namespace {

std::atomic<LogFormat> g_format{LogFormat::kText};  // set once before threads start

spdlog::level::level_enum ToSpd(LogLevel level) {
  switch (level) {
    case LogLevel::kDebug:
      return spdlog::level::debug;
    case LogLevel::kInfo:
      return spdlog::level::info;
    case LogLevel::kWarn:
      return spdlog::level::warn;
    case LogLevel::kError:
      return spdlog::level::err;
  }
  return spdlog::level::info;
}

std::string_view LevelName(LogLevel level) {
  switch (level) {
    case LogLevel::kDebug:
      return "debug";
    case LogLevel::kInfo:
      return "info";
    case LogLevel::kWarn:
      return "warning";
    case LogLevel::kError:
      return "error";
  }
  return "info";
}

std::string RenderText(std::string_view event, std::initializer_list<LogField> fields) {
  std::string line(event);
  for (const auto& [key, value] : fields) {
    line += ' ';
    line += key;
    line += '=';
    bool quote = value.empty() || value.find_first_of(" \"=") != std::string::npos;
    line += quote ? nlohmann::json(value).dump() : value;
  }
  return line;
}

std::string RenderJson(LogLevel level, std::string_view event,
                       std::initializer_list<LogField> fields) {
  nlohmann::ordered_json j;
  auto now = std::chrono::system_clock::now();
  j["time_ms"] =
      std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count();
  j["level"] = LevelName(level);
  j["event"] = event;
  for (const auto& [key, value] : fields) j[std::string(key)] = value;
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace

Result<LogFormat> ParseLogFormat(std::string_view text) {
  if (text == "text") return LogFormat::kText;
  if (text == "json") return LogFormat::kJson;
  return Status::InvalidArgument("invalid log format \"" + std::string(text) +
                                 "\" (expected text or json)");
}

Result<LogLevel> ParseLogLevel(std::string_view text) {
  if (text == "debug") return LogLevel::kDebug;
  if (text == "info") return LogLevel::kInfo;
  if (text == "warn" || text == "warning") return LogLevel::kWarn;
  if (text == "error") return LogLevel::kError;
  return Status::InvalidArgument("invalid log level \"" + std::string(text) +
                                 "\" (expected debug, info, warn or error)");
}

void SetupLogging(LogFormat format, LogLevel level) {
  g_format = format;
  auto logger = std::make_shared<spdlog::logger>("perfwatch",
                                                 std::make_shared<spdlog::sinks::stderr_sink_mt>());
  logger->set_pattern(format == LogFormat::kJson ? "%v" : "%Y-%m-%dT%H:%M:%S.%e %^%l%$ %v");
  logger->set_level(ToSpd(level));
  logger->flush_on(spdlog::level::info);
  spdlog::set_default_logger(logger);
}

void LogEvent(LogLevel level, std::string_view event, std::initializer_list<LogField> fields) {
  if (!spdlog::default_logger_raw()->should_log(ToSpd(level))) return;
  std::string line =
      g_format == LogFormat::kJson ? RenderJson(level, event, fields) : RenderText(event, fields);
  spdlog::default_logger_raw()->log(ToSpd(level), "{}", line);
}

}  // namespace perfwatch
