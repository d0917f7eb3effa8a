// The expansion half of runner.h: parameters, command templates into
// argv, and the PATH lookup for shell command lines.
#include <sys/stat.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <set>

#include "bench/runner.h"
#include "bench/spawn.h"

namespace perfwatch {
namespace {

// Beyond this many values a parameter scan is a typo, not a benchmark.
constexpr int64_t kMaxScanValues = 100000;
constexpr int64_t kMaxDecimalUnits = 1'000'000'000'000;

using Parameters = std::vector<std::pair<std::string, std::string>>;

bool ValidParameterName(const std::string& name) {
  if (name.empty()) return false;
  return std::all_of(name.begin(), name.end(),
                     [](unsigned char c) { return std::isalnum(c) != 0 || c == '_'; });
}

// A decimal number as an integer count of 10^-scale.
struct Decimal {
  int64_t units = 0;
  int scale = 0;
};

Result<Decimal> ParseDecimal(const std::string& text, const std::string& what) {
  const auto bad = [&] {
    return Status::InvalidArgument(what + ": expected a decimal number, got \"" + text + "\"");
  };
  const bool negative = !text.empty() && text[0] == '-';
  size_t i = !text.empty() && (text[0] == '-' || text[0] == '+') ? 1 : 0;
  Decimal d;
  bool digits = false, point = false;
  for (; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '.' && !point) {
      point = true;
      continue;
    }
    if (c < '0' || c > '9') return bad();
    digits = true;
    // 12 digits and 6 decimals keep every rescaled value within int64.
    if (d.units >= kMaxDecimalUnits / 10 || (point && d.scale >= 6)) {
      return Status::InvalidArgument(what + ": \"" + text + "\" has too many digits");
    }
    d.units = d.units * 10 + (c - '0');
    if (point) ++d.scale;
  }
  if (!digits) return bad();
  if (negative) d.units = -d.units;
  return d;
}

int64_t Rescale(const Decimal& d, int scale) {
  int64_t v = d.units;
  for (int s = d.scale; s < scale; ++s) v *= 10;
  return v;
}

std::string FormatDecimal(int64_t units, int scale) {
  const std::string sign = units < 0 ? "-" : "";
  std::string digits = std::to_string(units < 0 ? -units : units);
  const size_t decimals = static_cast<size_t>(scale);
  if (decimals == 0) return sign + digits;
  if (digits.size() <= decimals) digits = std::string(decimals + 1 - digits.size(), '0') + digits;
  const size_t point = digits.size() - decimals;
  return sign + digits.substr(0, point) + "." + digits.substr(point);
}

// `args` as one line a shell would split back into them: arguments with
// anything but safe characters in single quotes.
std::string JoinForDisplay(const std::vector<std::string>& args) {
  std::string out;
  for (const std::string& a : args) {
    if (!out.empty()) out += ' ';
    const bool safe = !a.empty() && std::all_of(a.begin(), a.end(), [](unsigned char c) {
      return std::isalnum(c) != 0 || std::strchr("-_./=:,+%@{}", c) != nullptr;
    });
    if (safe) {
      out += a;
      continue;
    }
    out += '\'';
    for (char c : a) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
    out += '\'';
  }
  return out;
}

// A command line as an argv: through the shell, or split (-N).
Result<std::vector<std::string>> ToArgv(const std::string& line, const std::string& shell,
                                        const std::string& what) {
  if (!shell.empty()) return std::vector<std::string>{shell, "-c", line};
  Result<std::vector<std::string>> words = SplitCommandLine(line);
  if (!words.ok()) {
    return Status::InvalidArgument(what + " '" + line + "': " + words.status().message());
  }
  if (words->empty()) return Status::InvalidArgument(what + " is empty");
  return words;
}

Result<std::vector<std::string>> OptionalArgv(const std::string& line, const std::string& shell,
                                              const std::string& what) {
  if (line.empty()) return std::vector<std::string>{};
  return ToArgv(line, shell, what);
}

bool Mentions(const CommandTemplate& t, const std::string& parameter) {
  const std::string token = "{" + parameter + "}";
  if (!t.name.empty()) return t.name.find(token) != std::string::npos;
  if (t.argv.empty()) return t.command_line.find(token) != std::string::npos;
  return std::any_of(t.argv.begin(), t.argv.end(),
                     [&](const std::string& a) { return a.find(token) != std::string::npos; });
}

Result<BenchCommand> ExpandOne(const BenchPlan& plan, const CommandTemplate& t,
                               const Parameters& parameters) {
  BenchCommand c;
  c.parameters = parameters;
  c.extra_env = plan.extra_env;
  std::string shown;
  if (!t.argv.empty()) {
    for (const std::string& a : t.argv) c.argv.push_back(SubstituteParameters(a, parameters));
    shown = JoinForDisplay(c.argv);
  } else {
    shown = SubstituteParameters(t.command_line, parameters);
    Result<std::vector<std::string>> argv = ToArgv(shown, plan.shell, "command");
    if (!argv.ok()) return argv.status();
    c.argv = std::move(*argv);
    c.through_shell = !plan.shell.empty();
  }
  c.name = t.name.empty() ? shown : SubstituteParameters(t.name, parameters);
  for (const auto& [name, value] : parameters) {
    if (!Mentions(t, name)) c.name += " (" + name + " = " + value + ")";
  }
  struct Aux {
    const std::string& line;
    std::vector<std::string>& argv;
    const char* what;
  };
  for (Aux aux :
       {Aux{t.setup, c.setup, "setup command"}, Aux{t.prepare, c.prepare, "prepare command"},
        Aux{t.cleanup, c.cleanup, "cleanup command"}}) {
    Result<std::vector<std::string>> argv =
        OptionalArgv(SubstituteParameters(aux.line, parameters), plan.shell, aux.what);
    if (!argv.ok()) return argv.status();
    aux.argv = std::move(*argv);
  }
  c.stdin_path = SubstituteParameters(plan.input_path, parameters);
  if (plan.input_bytes) c.input_bytes = static_cast<double>(*plan.input_bytes);
  return c;
}

// Every combination of the parameters' values, the first varying fastest.
std::vector<Parameters> Combinations(const std::vector<ParameterValues>& parameters) {
  size_t total = 1;
  for (const ParameterValues& p : parameters) total *= p.values.size();
  std::vector<Parameters> out;
  out.reserve(total);
  for (size_t k = 0; k < total; ++k) {
    Parameters combo;
    size_t rest = k;
    for (const ParameterValues& p : parameters) {
      combo.emplace_back(p.name, p.values[rest % p.values.size()]);
      rest /= p.values.size();
    }
    out.push_back(std::move(combo));
  }
  return out;
}

const std::set<std::string>& ShellWords() {
  // POSIX special builtins, dash's and bash's common builtins, and the
  // reserved words: a shell runs them without looking in PATH.
  static const std::set<std::string> kWords = {
      ".",      ":",       "[",        "alias",    "bg",      "break",  "builtin", "case",
      "cd",     "command", "continue", "declare",  "do",      "done",   "echo",    "elif",
      "else",   "esac",    "eval",     "exec",     "exit",    "export", "false",   "fc",
      "fg",     "fi",      "for",      "function", "getopts", "hash",   "if",      "in",
      "jobs",   "kill",    "let",      "local",    "printf",  "pwd",    "read",    "readonly",
      "return", "select",  "set",      "shift",    "source",  "test",   "then",    "time",
      "times",  "trap",    "true",     "type",     "typeset", "ulimit", "umask",   "unalias",
      "unset",  "until",   "wait",     "while",    "{",       "}",      "!",       "[["};
  return kWords;
}

}  // namespace

Result<ParameterValues> ParameterList(const std::string& name, const std::string& values) {
  if (!ValidParameterName(name)) {
    return Status::InvalidArgument("-L/--parameter-list: parameter name \"" + name +
                                   "\" must be letters, digits and '_'");
  }
  ParameterValues p{name, {}};
  size_t start = 0;
  while (true) {
    const size_t comma = values.find(',', start);
    p.values.push_back(values.substr(start, comma == std::string::npos ? comma : comma - start));
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return p;
}

Result<ParameterValues> ParameterScan(const std::string& name, const std::string& min,
                                      const std::string& max, const std::string& step) {
  if (!ValidParameterName(name)) {
    return Status::InvalidArgument("-P/--parameter-scan: parameter name \"" + name +
                                   "\" must be letters, digits and '_'");
  }
  Result<Decimal> lo = ParseDecimal(min, "-P/--parameter-scan MIN");
  if (!lo.ok()) return lo.status();
  Result<Decimal> hi = ParseDecimal(max, "-P/--parameter-scan MAX");
  if (!hi.ok()) return hi.status();
  Decimal delta{1, 0};
  if (!step.empty()) {
    Result<Decimal> d = ParseDecimal(step, "-D/--parameter-step-size");
    if (!d.ok()) return d.status();
    delta = *d;
    if (delta.units <= 0) {
      return Status::InvalidArgument("-D/--parameter-step-size: must be positive, got \"" + step +
                                     "\"");
    }
  } else if (lo->scale > 0 || hi->scale > 0) {
    return Status::InvalidArgument(
        "-P/--parameter-scan: MIN and MAX must be integers unless -D/--parameter-step-size is "
        "given "
        "(got " +
        min + " and " + max + ")");
  }
  const int scale = std::max({lo->scale, hi->scale, delta.scale});
  const int64_t first = Rescale(*lo, scale), last = Rescale(*hi, scale),
                inc = Rescale(delta, scale);
  if (first > last) {
    return Status::InvalidArgument("-P/--parameter-scan: MIN " + min + " is larger than MAX " +
                                   max);
  }
  if ((last - first) / inc >= kMaxScanValues) {
    return Status::InvalidArgument("-P/--parameter-scan: more than " +
                                   std::to_string(kMaxScanValues) + " values from " + min + " to " +
                                   max);
  }
  // hyperfine's decimal arithmetic: MIN as written, then sums with the
  // larger of the two scales.
  const int sum_scale = std::max(lo->scale, delta.scale);
  int64_t unit = 1;
  for (int s = sum_scale; s < scale; ++s) unit *= 10;
  ParameterValues p{name, {FormatDecimal(lo->units, lo->scale)}};
  for (int64_t v = first + inc; v <= last; v += inc)
    p.values.push_back(FormatDecimal(v / unit, sum_scale));
  return p;
}

std::string SubstituteParameters(const std::string& text, const Parameters& parameters) {
  if (parameters.empty()) return text;
  std::string out;
  size_t i = 0;
  while (i < text.size()) {
    const size_t open = text.find('{', i);
    if (open == std::string::npos) break;
    const size_t close = text.find('}', open + 1);
    if (close == std::string::npos) break;
    out.append(text, i, open - i);
    const std::string name = text.substr(open + 1, close - open - 1);
    const auto it = std::find_if(parameters.begin(), parameters.end(),
                                 [&](const auto& p) { return p.first == name; });
    if (it != parameters.end()) {
      out += it->second;
      i = close + 1;
    } else {
      out += '{';
      i = open + 1;
    }
  }
  out.append(text, i, std::string::npos);
  return out;
}

Result<std::vector<BenchCommand>> ExpandCommands(const BenchPlan& plan) {
  if (plan.commands.empty()) return Status::InvalidArgument("no command to benchmark");
  std::vector<BenchCommand> out;
  for (const Parameters& combo : Combinations(plan.parameters)) {
    for (const CommandTemplate& t : plan.commands) {
      Result<BenchCommand> c = ExpandOne(plan, t, combo);
      if (!c.ok()) return c.status();
      out.push_back(std::move(*c));
    }
  }
  return out;
}

std::optional<std::string> MissingProgram(const std::string& command_line,
                                          const std::string& path) {
  // Anything past a simple command (lists, pipes, substitutions, several
  // lines) may still succeed without the first word's program.
  if (command_line.find_first_of(";&|`$()\n") != std::string::npos) return std::nullopt;
  Result<std::vector<std::string>> words = SplitCommandLine(command_line);
  if (!words.ok() || words->empty()) return std::nullopt;
  const std::string& program = words->front();
  if (program.empty() || program.find('=') != std::string::npos ||
      program.find_first_of("*?[~{}<>") != std::string::npos || ShellWords().count(program) > 0) {
    return std::nullopt;
  }
  struct stat st {};
  if (program.find('/') != std::string::npos) {
    if (stat(program.c_str(), &st) == 0 || errno != ENOENT) return std::nullopt;
    return program;
  }
  size_t start = 0;
  while (start <= path.size()) {
    size_t colon = path.find(':', start);
    if (colon == std::string::npos) colon = path.size();
    std::string dir = path.substr(start, colon - start);
    if (dir.empty()) dir = ".";
    if (stat((dir + "/" + program).c_str(), &st) == 0) return std::nullopt;
    start = colon + 1;
  }
  return program;
}

}  // namespace perfwatch
