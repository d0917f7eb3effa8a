// `perfwatch bench`: hyperfine's command line on perfwatch's runner
// (bench/runner.h). This file parses flags into a BenchPlan and
// RunnerOptions, runs them with a BenchTerminal printing, writes the
// exports, compares with --baseline and picks the exit status.
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <atomic>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iostream>
#include <sstream>

#include "bench/export.h"
#include "bench/runner.h"
#include "commands/bench_output.h"
#include "commands/tool_commands.h"
#include "model/byte_size.h"
#include "model/duration.h"

namespace perfwatch {
namespace {

constexpr int kExitOk = 0;
constexpr int kExitFailed = 1;
constexpr int kExitUsage = 2;
constexpr int kExitRegression = 3;
constexpr int kExitInterrupted = 130;

// Set by the SIGINT handler, read by the runner between and during runs.
// A signal handler can reach nothing else, hence this one global.
std::atomic<bool> g_interrupted{false};
static_assert(std::atomic<bool>::is_always_lock_free);

void OnInterrupt(int) { g_interrupted.store(true); }

// Installs OnInterrupt for SIGINT while alive. SA_RESETHAND: a second
// Ctrl-C ends perfwatch at once, should a command ignore the first.
class InterruptScope {
 public:
  InterruptScope() {
    g_interrupted.store(false);
    struct sigaction sa {};
    sa.sa_handler = OnInterrupt;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_RESETHAND;
    sigaction(SIGINT, &sa, &previous_);
  }
  ~InterruptScope() { sigaction(SIGINT, &previous_, nullptr); }
  InterruptScope(const InterruptScope&) = delete;
  InterruptScope& operator=(const InterruptScope&) = delete;

 private:
  struct sigaction previous_ {};
};

// The flags as given, before they are checked.
struct BenchFlags {
  std::vector<std::string> positional, commands, names, setup, prepare, cleanup;
  std::vector<std::string> direct;  // after `--`
  int warmup = 0;
  std::optional<int> runs, min_runs, max_runs;
  std::string min_time = "3s";
  bool ignore_failure = false, show_output = false, no_shell = false;
  std::string shell = "sh", style = "auto", time_unit, sort = "auto";
  std::vector<std::string> lists, scan;
  std::string step;
  std::string input, input_bytes;
  std::string export_json, export_csv, export_markdown, export_html;
  std::string baseline;
  double regression_threshold = 10, memory_threshold = 10;
  std::string sample_interval = "50ms";
};

// Everything the benchmark needs once the flags are checked.
struct BenchSetup {
  BenchPlan plan;
  RunnerOptions runner;
  BenchTerminalOptions terminal;
  std::optional<BenchReport> baseline;
  BaselineThresholds thresholds;
};

constexpr const char* kFooter = R"(
Commands are run through `sh -c` (positional arguments and -c), or as given
with no shell after `--`; with -N/--shell=none command lines are split and
run directly. Unlike hyperfine, -c is --command (a command to compare);
hyperfine's -c/--cleanup is --cleanup here.

Examples:
  perfwatch bench -- ./myprog --input data.bin
  perfwatch bench 'sort -n big.txt' 'sort -g big.txt'
  perfwatch bench -w 3 -r 20 -c 'gzip -k -f file' -c 'zstd -q -f file'
  perfwatch bench -L size 0.1,1,10 --input 'data/{size}MB.txt' -- ./parse
  perfwatch bench -r 10 --export-json new.json --baseline old.json -- ./prog

Exit status: 0 done, 1 a command failed or could not start, 2 bad usage,
3 a regression against --baseline, 130 interrupted (partial results are
shown and exported). Guide: docs/BENCH.md
)";

void AddFlags(CLI::App& app, BenchFlags& f) {
  app.add_option("command", f.positional, "Command lines to benchmark, run through the shell")
      ->type_name("CMD");
  app.add_option("-c,--command", f.commands, "A command line to compare (repeatable)")
      ->type_name("CMD");
  app.add_option("-n,--command-name", f.names,
                 "Name for the command in the same position (repeatable)")
      ->type_name("NAME");
  app.add_option("-w,--warmup", f.warmup, "Untimed runs before the timed ones (default 0)")
      ->type_name("N");
  app.add_option("-r,--runs", f.runs, "Exactly this many timed runs")->type_name("N");
  app.add_option("-m,--min-runs", f.min_runs, "At least this many timed runs (default 10)")
      ->type_name("N");
  app.add_option("-M,--max-runs", f.max_runs, "At most this many timed runs")->type_name("N");
  app.add_option("--min-time", f.min_time,
                 "Run each command for at least about this long, e.g. 3s, 500ms (default 3s)")
      ->type_name("DURATION");
  app.add_option("-s,--setup", f.setup,
                 "Run once before each command's runs (one, or one per command)")
      ->type_name("CMD");
  app.add_option("-p,--prepare", f.prepare,
                 "Run before every run, untimed (one, or one per command)")
      ->type_name("CMD");
  app.add_option("--cleanup", f.cleanup,
                 "Run once after each command's runs (one, or one per command)")
      ->type_name("CMD");
  app.add_option("-L,--parameter-list", f.lists, "NAME V1,V2,...: benchmark each value as {NAME}")
      ->type_size(2)
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll)
      ->type_name("NAME VALUES");
  app.add_option("-P,--parameter-scan", f.scan, "NAME MIN MAX: benchmark MIN..MAX as {NAME}")
      ->type_size(3)
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll)
      ->type_name("NAME MIN MAX");
  app.add_option("-D,--parameter-step-size", f.step, "Step of -P (default 1)")->type_name("STEP");
  app.add_flag("-i,--ignore-failure", f.ignore_failure, "Keep going when a command exits non-zero");
  app.add_flag("--show-output", f.show_output,
               "Show the commands' output instead of discarding it");
  app.add_option("--style", f.style, "auto, basic, full, nocolor, color or none (default auto)")
      ->type_name("TYPE");
  app.add_option("-S,--shell", f.shell, "The shell for command lines, or none (default sh)")
      ->type_name("SHELL");
  app.add_flag("-N", f.no_shell,
               "No shell: split command lines and run them directly (--shell=none)");
  app.add_option("-u,--time-unit", f.time_unit, "millisecond, second or microsecond")
      ->type_name("UNIT");
  app.add_option("--sort", f.sort, "Summary order: auto, command or mean-time (default auto)")
      ->type_name("METHOD");
  app.add_option("--input", f.input, "A file fed to every run as stdin; its size gives MB/s")
      ->type_name("FILE");
  app.add_option("--input-bytes", f.input_bytes, "Bytes each run processes, e.g. 10MB, for MB/s")
      ->type_name("BYTES");
  app.add_option("--export-json", f.export_json,
                 "Write the results as JSON (hyperfine's, extended)")
      ->type_name("FILE");
  app.add_option("--export-csv", f.export_csv, "Write the summary as CSV")->type_name("FILE");
  app.add_option("--export-markdown", f.export_markdown, "Write the summary as a Markdown table")
      ->type_name("FILE");
  app.add_option("--export-html", f.export_html, "Write a self-contained HTML page with charts")
      ->type_name("FILE");
  app.add_option("--baseline", f.baseline,
                 "Compare with an earlier JSON export (perfwatch's or hyperfine's)")
      ->type_name("FILE");
  app.add_option("--regression-threshold", f.regression_threshold,
                 "Percent slower that counts as a regression (default 10)")
      ->type_name("PCT");
  app.add_option("--memory-threshold", f.memory_threshold,
                 "Percent more peak RSS that counts as a regression (default 10)")
      ->type_name("PCT");
  app.add_option("--sample-interval", f.sample_interval,
                 "How often the process tree's RSS is sampled during a run; 0: kernel peak only "
                 "(default 50ms)")
      ->type_name("DURATION");
  app.footer(kFooter);
  // Repeatable flags take one value per use (two for -L, three for -P), as
  // in hyperfine; the words after them are commands.
  for (CLI::Option* option : app.get_options()) {
    if (!option->get_positional()) option->allow_extra_args(false);
  }
}

Status Usage(const std::string& message) { return Status::InvalidArgument(message); }

// One entry for all templates, one per template, or none.
Status Distribute(const std::vector<std::string>& given, const char* flag,
                  std::vector<CommandTemplate>& templates, std::string CommandTemplate::*field) {
  if (given.empty()) return Status::Ok();
  if (given.size() != 1 && given.size() != templates.size()) {
    return Usage(std::string(flag) + ": given " + std::to_string(given.size()) + " times for " +
                 std::to_string(templates.size()) +
                 " commands; give it once (for all) or once per command");
  }
  for (size_t i = 0; i < templates.size(); ++i) {
    templates[i].*field = given[given.size() == 1 ? 0 : i];
  }
  return Status::Ok();
}

Status CheckExportPath(const std::string& flag, const std::string& path) {
  if (path.empty()) return Status::Ok();
  const size_t slash = path.rfind('/');
  const std::string dir =
      slash == std::string::npos ? "." : (slash == 0 ? "/" : path.substr(0, slash));
  if (access(dir.c_str(), W_OK) != 0) {
    return Usage(flag + " '" + path + "': cannot write in '" + dir + "': " + std::strerror(errno));
  }
  return Status::Ok();
}

Result<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::NotFound("cannot read '" + path + "': " + std::strerror(errno));
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

Status WriteFile(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  out.close();
  if (!out) return Status::IOError("cannot write '" + path + "': " + std::strerror(errno));
  return Status::Ok();
}

Status BuildPlan(const BenchFlags& f, BenchPlan& plan) {
  for (const std::vector<std::string>* lines : {&f.positional, &f.commands}) {
    for (const std::string& line : *lines) {
      CommandTemplate t;
      t.command_line = line;
      plan.commands.push_back(std::move(t));
    }
  }
  if (!f.direct.empty()) {
    CommandTemplate t;
    t.argv = f.direct;
    plan.commands.push_back(std::move(t));
  }
  if (f.names.size() > plan.commands.size()) {
    return Usage("-n/--command-name: " + std::to_string(f.names.size()) + " names for " +
                 std::to_string(plan.commands.size()) + " commands");
  }
  for (size_t i = 0; i < f.names.size(); ++i) plan.commands[i].name = f.names[i];
  for (Status st : {Distribute(f.setup, "-s/--setup", plan.commands, &CommandTemplate::setup),
                    Distribute(f.prepare, "-p/--prepare", plan.commands, &CommandTemplate::prepare),
                    Distribute(f.cleanup, "--cleanup", plan.commands, &CommandTemplate::cleanup)}) {
    if (!st.ok()) return st;
  }
  for (size_t i = 0; i + 1 < f.lists.size(); i += 2) {
    Result<ParameterValues> p = ParameterList(f.lists[i], f.lists[i + 1]);
    if (!p.ok()) return p.status();
    plan.parameters.push_back(std::move(*p));
  }
  if (f.scan.size() > 3) return Usage("-P/--parameter-scan: give it once (use -L for more)");
  if (f.scan.size() == 3) {
    Result<ParameterValues> p = ParameterScan(f.scan[0], f.scan[1], f.scan[2], f.step);
    if (!p.ok()) return p.status();
    plan.parameters.push_back(std::move(*p));
  } else if (!f.step.empty()) {
    return Usage("-D/--parameter-step-size needs -P/--parameter-scan");
  }
  for (size_t i = 0; i < plan.parameters.size(); ++i) {
    for (size_t j = 0; j < i; ++j) {
      if (plan.parameters[i].name == plan.parameters[j].name) {
        return Usage("parameter '" + plan.parameters[i].name + "' is given twice");
      }
    }
  }
  // After the flags that take several words, which may have eaten it.
  if (plan.commands.empty()) {
    return Usage("no command to benchmark: give one after `--`, as an argument, or with -c");
  }
  plan.shell = f.no_shell || f.shell == "none" ? "" : f.shell;
  if (plan.shell.empty() && f.shell != "sh" && f.shell != "none") {
    return Usage("-N and -S/--shell " + f.shell + " contradict each other");
  }
  plan.input_path = f.input;
  if (!f.input_bytes.empty()) {
    Result<uint64_t> bytes = ParseByteSize(f.input_bytes);
    if (!bytes.ok()) return Usage("--input-bytes: " + bytes.status().message());
    plan.input_bytes = *bytes;
  }
  return Status::Ok();
}

Status BuildRunnerOptions(const BenchFlags& f, RunnerOptions& o) {
  if (f.warmup < 0) return Usage("-w/--warmup: must not be negative");
  if (f.runs && (f.min_runs || f.max_runs)) {
    return Usage("-r/--runs cannot be combined with -m/--min-runs or -M/--max-runs");
  }
  if (f.runs && *f.runs < 1) return Usage("-r/--runs: must be at least 1");
  if (f.min_runs && *f.min_runs < 1) return Usage("-m/--min-runs: must be at least 1");
  if (f.max_runs && *f.max_runs < 1) return Usage("-M/--max-runs: must be at least 1");
  if (f.min_runs && f.max_runs && *f.min_runs > *f.max_runs) {
    return Usage("-m/--min-runs " + std::to_string(*f.min_runs) + " is more than -M/--max-runs " +
                 std::to_string(*f.max_runs));
  }
  o.warmup = f.warmup;
  o.runs = f.runs;
  // As hyperfine: a -M below the default minimum lowers the minimum.
  o.min_runs = f.min_runs.value_or(f.max_runs ? std::min(o.min_runs, *f.max_runs) : o.min_runs);
  o.max_runs = f.max_runs;
  Result<int64_t> min_time = ParseDuration(f.min_time);
  if (!min_time.ok()) return Usage("--min-time: " + min_time.status().message());
  o.min_time_seconds = static_cast<double>(*min_time) / 1000;
  Result<int64_t> interval = ParseDuration(f.sample_interval);
  if (!interval.ok()) return Usage("--sample-interval: " + interval.status().message());
  o.sample_interval = std::chrono::milliseconds(*interval);
  o.ignore_failure = f.ignore_failure;
  o.show_output = f.show_output;
  o.shell = f.shell == "none" ? "sh" : f.shell;
  o.stop = &g_interrupted;
  return Status::Ok();
}

Status BuildTerminal(const BenchFlags& f, GetEnv getenv, BenchTerminalOptions& t) {
  std::string style = f.style;
  if (style == "auto") {
    const char* no_color = getenv("NO_COLOR");
    const char* term = getenv("TERM");
    const bool dumb = term != nullptr && std::string(term) == "dumb";
    if (!isatty(STDOUT_FILENO)) {
      style = "basic";
    } else {
      style = (no_color != nullptr && *no_color != '\0') || dumb ? "nocolor" : "full";
    }
  }
  if (style == "full" || style == "nocolor" || style == "color" || style == "basic" ||
      style == "none") {
    t.colors = style == "full" || style == "color";
    // The bar needs a terminal, and would garble the commands' own output.
    t.progress = (style == "full" || style == "nocolor") && isatty(STDERR_FILENO) && !f.show_output;
    t.quiet = style == "none";
    // The least ru_maxrss a command perfwatch spawns can show (raised to
    // perfwatch's high-water mark when each result is printed).
    struct rusage self {};
    if (getrusage(RUSAGE_SELF, &self) == 0) t.rss_floor_bytes = self.ru_maxrss * 1024.0;
  } else {
    return Usage("--style: expected auto, basic, full, nocolor, color or none, got '" + f.style +
                 "'");
  }
  if (f.time_unit.empty()) {
    t.time_unit = BenchTimeUnit::kAuto;
  } else if (f.time_unit == "millisecond" || f.time_unit == "ms") {
    t.time_unit = BenchTimeUnit::kMillisecond;
  } else if (f.time_unit == "second" || f.time_unit == "s") {
    t.time_unit = BenchTimeUnit::kSecond;
  } else if (f.time_unit == "microsecond" || f.time_unit == "us") {
    t.time_unit = BenchTimeUnit::kMicrosecond;
  } else {
    return Usage("-u/--time-unit: expected millisecond, second or microsecond, got '" +
                 f.time_unit + "'");
  }
  if (f.sort == "auto") {
    t.sort = BenchSort::kAuto;
  } else if (f.sort == "command") {
    t.sort = BenchSort::kCommand;
  } else if (f.sort == "mean-time") {
    t.sort = BenchSort::kMeanTime;
  } else {
    return Usage("--sort: expected auto, command or mean-time, got '" + f.sort + "'");
  }
  t.ignore_failure = f.ignore_failure;
  t.warmup = f.warmup;
  t.prepare_in_use = !f.prepare.empty();
  return Status::Ok();
}

Status BuildSetup(const BenchFlags& f, GetEnv getenv, BenchSetup& s) {
  for (Status st :
       {BuildPlan(f, s.plan), BuildRunnerOptions(f, s.runner), BuildTerminal(f, getenv, s.terminal),
        CheckExportPath("--export-json", f.export_json),
        CheckExportPath("--export-csv", f.export_csv),
        CheckExportPath("--export-markdown", f.export_markdown),
        CheckExportPath("--export-html", f.export_html)}) {
    if (!st.ok()) return st;
  }
  if (f.regression_threshold < 0 || f.memory_threshold < 0) {
    return Usage("--regression-threshold and --memory-threshold must not be negative");
  }
  s.thresholds.time = f.regression_threshold / 100;
  s.thresholds.memory = f.memory_threshold / 100;
  if (!f.baseline.empty()) {
    Result<std::string> text = ReadFile(f.baseline);
    if (!text.ok()) return Usage("--baseline: " + text.status().message());
    Result<BenchReport> baseline = ParseBenchJson(*text);
    if (!baseline.ok())
      return Usage("--baseline '" + f.baseline + "': " + baseline.status().message());
    s.baseline = std::move(*baseline);
  }
  return Status::Ok();
}

// Writes every export asked for; the errors, one per line.
std::string WriteExports(const BenchFlags& f, const BenchReport& report, BenchSort sort) {
  std::string errors;
  const auto write = [&](const std::string& path, const std::string& text) {
    if (path.empty()) return;
    if (Status st = WriteFile(path, text); !st.ok()) errors += st.message() + "\n";
  };
  write(f.export_json, BenchToJson(report));
  write(f.export_csv, BenchToCsv(report));
  if (!f.export_markdown.empty()) {
    BenchReport ordered = report;
    // hyperfine: tables in command order unless --sort mean-time.
    if (sort == BenchSort::kMeanTime) {
      std::stable_sort(
          ordered.results.begin(), ordered.results.end(),
          [](const CommandResult& a, const CommandResult& b) { return a.time.mean < b.time.mean; });
    }
    write(f.export_markdown, BenchToMarkdown(ordered));
  }
  write(f.export_html, BenchToHtml(report));
  return errors;
}

// The terminal, plus the exports rewritten after every command, so a
// benchmark killed outright still leaves what it measured.
class BenchProgressWriter : public BenchTerminal {
 public:
  BenchProgressWriter(const BenchTerminalOptions& options, const BenchFlags& flags)
      : BenchTerminal(options, stdout, stderr), flags_(flags), sort_(options.sort) {}
  void OnCommandDone(size_t index, const BenchReport& report) override {
    BenchTerminal::OnCommandDone(index, report);
    (void)WriteExports(flags_, report, sort_);
  }

 private:
  const BenchFlags& flags_;
  BenchSort sort_;
};

// Splits off everything after the first `--`: an argv run as given.
std::vector<const char*> SplitDirect(int argc, const char* const* argv, BenchFlags& f) {
  std::vector<const char*> head;
  for (int i = 0; i < argc; ++i) {
    if (i > 0 && std::strcmp(argv[i], "--") == 0) {
      f.direct.assign(argv + i + 1, argv + argc);
      break;
    }
    head.push_back(argv[i]);
  }
  return head;
}

int Fail(int code, const std::string& message) {
  std::fprintf(stderr, "perfwatch bench: %s\n", message.c_str());
  if (code == kExitUsage) std::fputs("Run 'perfwatch bench --help' for the options.\n", stderr);
  return code;
}

}  // namespace

int RunBenchCommand(int argc, const char* const* argv, GetEnv getenv) {
  BenchFlags flags;
  CLI::App app(
      "perfwatch bench: benchmark commands (hyperfine's flags) with memory, CPU, "
      "throughput and regression checks",
      "perfwatch bench");
  AddFlags(app, flags);
  std::vector<const char*> head = SplitDirect(argc, argv, flags);
  try {
    app.parse(static_cast<int>(head.size()), head.data());
  } catch (const CLI::CallForHelp&) {
    std::cout << app.help();
    return kExitOk;
  } catch (const CLI::ParseError& e) {
    return Fail(kExitUsage, e.what());
  }
  BenchSetup setup;
  if (Status st = BuildSetup(flags, getenv, setup); !st.ok()) return Fail(kExitUsage, st.message());
  Result<std::vector<BenchCommand>> commands = ExpandCommands(setup.plan);
  if (!commands.ok()) return Fail(kExitUsage, commands.status().message());

  BenchReport report;
  {
    InterruptScope interrupt_scope;
    BenchProgressWriter terminal(setup.terminal, flags);
    report = RunBenchmark(*commands, setup.runner, &terminal);
    terminal.ClearProgress();
  }
  if (!setup.terminal.quiet) std::fputs(FormatBenchSummary(report, setup.terminal).c_str(), stdout);
  std::fflush(stdout);
  const std::string export_errors = WriteExports(flags, report, setup.terminal.sort);
  if (!export_errors.empty()) std::fprintf(stderr, "perfwatch bench: %s", export_errors.c_str());
  if (report.interrupted) {
    std::fputs("Interrupted: partial results\n", stderr);
    return kExitInterrupted;
  }
  const bool failed = !export_errors.empty() ||
                      std::any_of(report.results.begin(), report.results.end(),
                                  [](const CommandResult& r) { return !r.error.empty(); });
  bool regressed = false;
  if (setup.baseline) {
    const BaselineVerdict verdict = CompareWithBaseline(report, *setup.baseline, setup.thresholds);
    std::fputs(("\n" + DescribeVerdict(verdict, setup.thresholds)).c_str(), stdout);
    std::fflush(stdout);
    regressed = verdict.regressed();
  }
  if (failed) return kExitFailed;
  return regressed ? kExitRegression : kExitOk;
}

}  // namespace perfwatch
