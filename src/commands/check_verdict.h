#pragma once
// The judging and printing half of `perfwatch check` (docs/CHECK.md): one
// CheckItem per figure looked at (CPU, a disk, a process, the server's
// status class, a firing alert), the worst state among them, and the one
// line a Nagios plugin prints. Pure functions and plain values; thread-safe.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace perfwatch {

// Nagios plugin states; the value is the exit status.
enum class CheckState { kOk = 0, kWarning = 1, kCritical = 2, kUnknown = 3 };

std::string_view CheckStateName(CheckState state);  // "OK", "WARNING", ...

// The worse of two states in monitoring-plugins' max_state_alt order,
// CRITICAL > WARNING > UNKNOWN > OK: a figure that could not be read never
// hides one that is known to be bad.
CheckState WorseState(CheckState a, CheckState b);

// A warning and a critical level; a level trips when the value is strictly
// above it (seed 000's "memory > 95 %", Nagios's default range "0:N").
// An absent level never trips.
struct Threshold {
  std::optional<double> warn;
  std::optional<double> crit;
};

CheckState Judge(double value, const Threshold& levels);

// One figure and the verdict on it.
struct CheckItem {
  std::string name;  // "cpu", "disk /data", "process nginx", "alert HighCpu"
  CheckState state = CheckState::kOk;
  // What a person reads: "memory 87.2% > 85%", "process nginx not running";
  // may be empty for a figure that only feeds perfdata.
  std::string text;
  std::optional<double> value;
  std::string unit;  // perfdata's UOM: "%", "B", "" ...
  Threshold levels;
  // Nagios perfdata label ("memory", "disk_root"); empty: no perfdata.
  std::string perf_label;
  std::optional<double> min;
  std::optional<double> max;
  // Digits after the point in text and perfdata (1 for percents).
  int precision = 1;
};

struct CheckVerdict {
  CheckState state = CheckState::kUnknown;
  // When not OK: the texts of the CRITICAL items, then WARNING, then
  // UNKNOWN, joined by "; ". When OK: every item's text, joined by ", ".
  // Items with an empty text (counters) weigh in the state but are not
  // named.
  std::string reason;
};

// An empty list is UNKNOWN ("nothing was checked").
CheckVerdict Combine(const std::vector<CheckItem>& items);

// "PERFWATCH WARNING - memory 87.2% > 85% | cpu=12.3%;80;90;0;100 ..."
// without a newline. Line breaks and '|' in texts are replaced, so the line
// stays one line and the perfdata separator stays unique.
std::string NagiosLine(const CheckVerdict& verdict, const std::vector<CheckItem>& items);

// {"status":"WARNING","code":1,"reason":"...","checks":[{"name",...}]} on
// one line.
std::string CheckJson(const CheckVerdict& verdict, const std::vector<CheckItem>& items);

// A number with `precision` digits after the point ("87.2").
std::string FormatFixed(double value, int precision);

// An UNKNOWN verdict for a failure before anything was measured (bad flags,
// an unreadable answer), printed the same way as a real one.
std::vector<CheckItem> UnknownItems(std::string name, std::string text);

}  // namespace perfwatch
