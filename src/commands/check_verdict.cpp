#include "commands/check_verdict.h"

#include <cmath>
#include <cstdio>
#include <nlohmann/json.hpp>

namespace perfwatch {
namespace {

// Order in which non-OK items are named in the reason.
int ReasonRank(CheckState state) {
  switch (state) {
    case CheckState::kCritical:
      return 0;
    case CheckState::kWarning:
      return 1;
    case CheckState::kUnknown:
      return 2;
    case CheckState::kOk:
      break;
  }
  return 3;
}

// Keeps the plugin output one line with one '|'.
std::string OneLine(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    if (c == '\n' || c == '\r' || c == '\t') {
      out += ' ';
    } else if (c == '|') {
      out += '/';
    } else {
      out += c;
    }
  }
  return out;
}

// The shortest spelling of a level in perfdata: "80", "2.5".
std::string FormatLevel(double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.10g", v);
  return buf;
}

// Nagios perfdata labels are quoted when they hold a space, '=' or a quote
// (which is doubled), as the plugin guidelines say.
std::string PerfLabel(const std::string& label) {
  if (label.find_first_of(" ='") == std::string::npos) return label;
  std::string out = "'";
  for (char c : label) {
    if (c == '\'') out += '\'';
    out += c;
  }
  return out + "'";
}

std::string PerfEntry(const CheckItem& item) {
  std::string s =
      PerfLabel(item.perf_label) + "=" + FormatFixed(*item.value, item.precision) + item.unit + ";";
  if (item.levels.warn) s += FormatLevel(*item.levels.warn);
  s += ";";
  if (item.levels.crit) s += FormatLevel(*item.levels.crit);
  s += ";";
  if (item.min) s += FormatLevel(*item.min);
  s += ";";
  if (item.max) s += FormatLevel(*item.max);
  while (s.back() == ';') s.pop_back();
  return s;
}

nlohmann::json OptionalNumber(const std::optional<double>& v) {
  if (!v || !std::isfinite(*v)) return nullptr;
  return *v;
}

}  // namespace

std::string_view CheckStateName(CheckState state) {
  switch (state) {
    case CheckState::kOk:
      return "OK";
    case CheckState::kWarning:
      return "WARNING";
    case CheckState::kCritical:
      return "CRITICAL";
    case CheckState::kUnknown:
      break;
  }
  return "UNKNOWN";
}

CheckState WorseState(CheckState a, CheckState b) { return ReasonRank(a) <= ReasonRank(b) ? a : b; }

CheckState Judge(double value, const Threshold& levels) {
  if (levels.crit && value > *levels.crit) return CheckState::kCritical;
  if (levels.warn && value > *levels.warn) return CheckState::kWarning;
  return CheckState::kOk;
}

CheckVerdict Combine(const std::vector<CheckItem>& items) {
  CheckVerdict v;
  if (items.empty()) {
    v.reason = "nothing was checked";
    return v;
  }
  v.state = CheckState::kOk;
  for (const CheckItem& item : items) v.state = WorseState(v.state, item.state);
  if (v.state == CheckState::kOk) {
    for (const CheckItem& item : items) {
      if (item.text.empty()) continue;
      if (!v.reason.empty()) v.reason += ", ";
      v.reason += item.text;
    }
    return v;
  }
  for (int rank = 0; rank < 3; ++rank) {
    for (const CheckItem& item : items) {
      if (ReasonRank(item.state) != rank || item.text.empty()) continue;
      if (!v.reason.empty()) v.reason += "; ";
      v.reason += item.text;
    }
  }
  return v;
}

std::string NagiosLine(const CheckVerdict& verdict, const std::vector<CheckItem>& items) {
  std::string line =
      "PERFWATCH " + std::string(CheckStateName(verdict.state)) + " - " + OneLine(verdict.reason);
  std::string perf;
  for (const CheckItem& item : items) {
    if (item.perf_label.empty() || !item.value || !std::isfinite(*item.value)) continue;
    perf += perf.empty() ? "" : " ";
    perf += OneLine(PerfEntry(item));
  }
  if (!perf.empty()) line += " | " + perf;
  return line;
}

std::string CheckJson(const CheckVerdict& verdict, const std::vector<CheckItem>& items) {
  nlohmann::ordered_json checks = nlohmann::ordered_json::array();
  for (const CheckItem& item : items) {
    checks.push_back({{"name", item.name},
                      {"status", CheckStateName(item.state)},
                      {"text", item.text},
                      {"value", OptionalNumber(item.value)},
                      {"unit", item.unit},
                      {"warn", OptionalNumber(item.levels.warn)},
                      {"crit", OptionalNumber(item.levels.crit)}});
  }
  nlohmann::ordered_json j = {{"status", CheckStateName(verdict.state)},
                              {"code", static_cast<int>(verdict.state)},
                              {"reason", verdict.reason},
                              {"checks", std::move(checks)}};
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string FormatFixed(double value, int precision) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", precision, value);
  return buf;
}

std::vector<CheckItem> UnknownItems(std::string name, std::string text) {
  CheckItem item;
  item.name = std::move(name);
  item.state = CheckState::kUnknown;
  item.text = std::move(text);
  return {std::move(item)};
}

}  // namespace perfwatch
