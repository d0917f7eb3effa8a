#include "commands/bench_output.h"

#include <sys/ioctl.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdarg>
#include <numeric>

namespace perfwatch {
namespace {

// hyperfine's limits: runs under 5 ms through a shell cannot be corrected
// for its spawning time reliably, and a run more than 14.826 MADs from the
// median (ten standard deviations estimated from the MAD) is an outlier,
// the rule Stats::outliers counts by (bench_model.h).
constexpr double kMinShellExecutionSeconds = 0.005;
constexpr double kOutlierMadRatio = 1.4826 * 10.0;

// The width of the label column, so values line up under each other.
constexpr size_t kLabelWidth = 23;

std::string Format(const char* format, ...) __attribute__((format(printf, 1, 2)));
std::string Format(const char* format, ...) {
  char buf[256];
  va_list args;
  va_start(args, format);
  std::vsnprintf(buf, sizeof buf, format, args);
  va_end(args);
  return buf;
}

// Characters on screen: UTF-8 code points (σ, …, µ are one each).
size_t Width(const std::string& s) {
  return static_cast<size_t>(std::count_if(
      s.begin(), s.end(), [](char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; }));
}

std::string PadLeft(const std::string& s, size_t width) {
  const size_t w = Width(s);
  return w >= width ? s : std::string(width - w, ' ') + s;
}

std::string PadRight(const std::string& s, size_t width) {
  const size_t w = Width(s);
  return w >= width ? s : s + std::string(width - w, ' ');
}

std::string Paint(const std::string& s, const char* code, bool on) {
  if (!on) return s;
  return std::string("\x1b[") + code + "m" + s + "\x1b[0m";
}

constexpr const char* kBold = "1";
constexpr const char* kBoldGreen = "1;32";
constexpr const char* kGreen = "32";
constexpr const char* kBlue = "34";
constexpr const char* kCyan = "36";
constexpr const char* kMagenta = "35";
constexpr const char* kDim = "2";
constexpr const char* kYellow = "33";
constexpr const char* kRed = "31";

// The wall times Summarize counted: every run with -i, the ok ones else.
std::vector<double> CountedTimes(const CommandResult& r, bool ignore_failure) {
  std::vector<double> times;
  for (const BenchRun& run : r.runs) {
    if (ignore_failure || run.ok()) times.push_back(run.wall_seconds);
  }
  return times;
}

std::string Label(const std::string& text) { return PadRight("  " + text, kLabelWidth); }

std::string FormatRate(double mb_s) {
  return mb_s < 10 ? Format("%.2f MB/s", mb_s) : Format("%.1f MB/s", mb_s);
}

std::string OutlierAdvice(const BenchTerminalOptions& o) {
  const bool warmup = o.warmup > 0;
  if (warmup && o.prepare_in_use) {
    return "You are already using both the '--warmup' option as well as the '--prepare' option. "
           "Consider re-running the benchmark on a quiet system. Maybe it was a random outlier. "
           "Alternatively, consider increasing the warmup count.";
  }
  if (warmup) {
    return "You are already using the '--warmup' option which helps to fill these caches before "
           "the actual benchmark. You can either try to increase the warmup count further or "
           "re-run this benchmark on a quiet system in case it was a random outlier. "
           "Alternatively, consider using the '--prepare' option to clear the caches before each "
           "timing run.";
  }
  if (o.prepare_in_use) {
    return "You are already using the '--prepare' option which can be used to clear caches. If "
           "you did not use a cache-clearing command with '--prepare', you can either try that or "
           "consider using the '--warmup' option to fill those caches before the actual benchmark.";
  }
  return "You should consider using the '--warmup' option to fill those caches before the actual "
         "benchmark. Alternatively, use the '--prepare' option to clear the caches before each "
         "timing run.";
}

std::string TerminalEta(double seconds) {
  const long total = std::lround(std::max(0.0, std::min(seconds, 359999.0)));
  return Format("%02ld:%02ld:%02ld", total / 3600, total / 60 % 60, total % 60);
}

size_t TerminalColumns(std::FILE* f) {
  winsize ws{};
  if (ioctl(fileno(f), TIOCGWINSZ, &ws) == 0 && ws.ws_col >= 40) return ws.ws_col;
  return 80;
}

}  // namespace

std::string FormatBenchTime(double seconds, BenchTimeUnit unit, BenchTimeUnit* used) {
  BenchTimeUnit u = unit;
  if (u == BenchTimeUnit::kAuto) {
    u = seconds < 0.001 ? BenchTimeUnit::kMicrosecond
        : seconds < 1.0 ? BenchTimeUnit::kMillisecond
                        : BenchTimeUnit::kSecond;
  }
  if (used != nullptr) *used = u;
  switch (u) {
    case BenchTimeUnit::kMicrosecond:
      return Format("%.1f µs", seconds * 1e6);
    case BenchTimeUnit::kMillisecond:
      return Format("%.1f ms", seconds * 1e3);
    default:
      return Format("%.3f s", seconds);
  }
}

std::string FormatBenchBytes(double bytes) {
  static const char* const kUnits[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  int i = 0;
  while (bytes >= 1024 && i < 4) {
    bytes /= 1024;
    ++i;
  }
  return i == 0 ? Format("%.0f B", bytes) : Format("%.1f %s", bytes, kUnits[i]);
}

std::string FormatBenchResult(const CommandResult& r, const BenchTerminalOptions& o) {
  const bool c = o.colors;
  const std::vector<double> times = CountedTimes(r, o.ignore_failure);
  if (times.empty()) return "";
  BenchTimeUnit unit = BenchTimeUnit::kAuto;
  const std::string mean = FormatBenchTime(r.time.mean, o.time_unit, &unit);
  const std::string user_system =
      "[User: " + Paint(FormatBenchTime(r.user.mean, unit), kBlue, c) +
      ", System: " + Paint(FormatBenchTime(r.system.mean, unit), kBlue, c) + "]";
  std::string out;
  if (times.size() == 1) {
    out += "  Time (" + Paint("abs", kBoldGreen, c) +
           " ≡):        " + Paint(PadLeft(mean, 8), kBoldGreen, c) + "               " +
           user_system + "\n";
  } else {
    out += "  Time (" + Paint("mean", kBoldGreen, c) + " ± " + Paint("σ", kGreen, c) +
           "):     " + Paint(PadLeft(mean, 8), kBoldGreen, c) + " ± " +
           Paint(PadLeft(FormatBenchTime(r.time.stddev, unit), 8), kGreen, c) + "    " +
           user_system + "\n";
    out += "  Range (" + Paint("min", kCyan, c) + " … " + Paint("max", kMagenta, c) +
           "):   " + Paint(PadLeft(FormatBenchTime(r.time.min, unit), 8), kCyan, c) + " … " +
           Paint(PadLeft(FormatBenchTime(r.time.max, unit), 8), kMagenta, c) + "    " +
           Paint(std::to_string(times.size()) + " runs", kDim, c) + "\n";
  }
  if (r.peak_rss_bytes > 0) {
    // At or under perfwatch's own size (2% for page rounding), a figure is
    // only an upper bound (BenchTerminalOptions::rss_floor_bytes).
    auto rss = [&](double bytes) {
      const bool floor = o.rss_floor_bytes > 0 && bytes <= o.rss_floor_bytes * 1.02;
      return (floor ? "≤ " : "") + FormatBenchBytes(bytes);
    };
    out += "  Peak RSS (" + Paint("med", kCyan, c) + " … " + Paint("max", kMagenta, c) +
           "): " + Paint(PadLeft(rss(r.peak_rss_median_bytes), 8), kCyan, c) + " … " +
           Paint(PadLeft(rss(r.peak_rss_bytes), 8), kMagenta, c) +
           "    [CPU: " + Paint(Format("%.1f %%", r.cpu_percent), kBlue, c) + "]\n";
  }
  if (r.throughput_mb_s) {
    out += Label("Throughput:") + Paint(PadLeft(FormatRate(*r.throughput_mb_s), 8), kBoldGreen, c);
    if (r.input_bytes) out += "    [input: " + Format("%.0f", *r.input_bytes) + " bytes]";
    out += "\n";
  }
  if (!r.runs.empty() && r.success_rate < 1) {
    const long ok = std::lround(r.success_rate * static_cast<double>(r.runs.size()));
    out += Label("Success rate:") +
           Paint(PadLeft(Format("%.1f %%", r.success_rate * 100), 8), kRed, c) + "    [" +
           std::to_string(ok) + " of " + std::to_string(r.runs.size()) + " runs ok]\n";
  }
  return out;
}

std::vector<std::string> BenchWarnings(const CommandResult& r, bool through_shell,
                                       const BenchTerminalOptions& o) {
  std::vector<std::string> warnings;
  const std::vector<double> times = CountedTimes(r, o.ignore_failure);
  if (times.empty()) return warnings;
  if (through_shell && std::any_of(times.begin(), times.end(),
                                   [](double t) { return t < kMinShellExecutionSeconds; })) {
    warnings.push_back(
        "Command took less than 5 ms to complete. Note that the results might be inaccurate "
        "because perfwatch can not calibrate the shell startup time much more precise than this "
        "limit. You can try to use the `-N`/`--shell=none` option to disable the shell "
        "completely.");
  }
  if (o.ignore_failure &&
      std::any_of(r.runs.begin(), r.runs.end(), [](const BenchRun& run) { return !run.ok(); })) {
    warnings.push_back("Ignoring non-zero exit code.");
  }
  // hyperfine's two warnings: the first run far slower than the rest (a
  // cold cache), else any outlier.
  if (times.size() >= 3 && r.time.mad > 0) {
    if ((times.front() - r.time.median) / r.time.mad > kOutlierMadRatio) {
      warnings.push_back(
          "The first benchmarking run for this command was significantly slower than the rest (" +
          FormatBenchTime(times.front(), BenchTimeUnit::kAuto) +
          "). This could be caused by (filesystem) caches that were not filled until after the "
          "first run. " +
          OutlierAdvice(o));
    } else if (r.time.outliers > 0) {
      warnings.push_back(
          std::string("Statistical outliers were detected. Consider re-running this benchmark on a "
                      "quiet system without any interferences from other programs.") +
          (o.warmup > 0 && o.prepare_in_use
               ? ""
               : " It might help to use the '--warmup' or '--prepare' options."));
    }
  }
  return warnings;
}

std::string FormatBenchSummary(const BenchReport& report, const BenchTerminalOptions& o) {
  const std::vector<Relative> relative = RelativeSpeeds(report.results);
  std::vector<size_t> others;
  size_t fastest = report.results.size();
  for (size_t i = 0; i < relative.size(); ++i) {
    if (relative[i].fastest) {
      fastest = i;
    } else if (relative[i].ratio > 0) {
      others.push_back(i);
    }
  }
  if (fastest == report.results.size() || others.empty()) return "";
  if (o.sort != BenchSort::kCommand) {
    std::stable_sort(others.begin(), others.end(), [&](size_t a, size_t b) {
      return report.results[a].time.mean < report.results[b].time.mean;
    });
  }
  const bool c = o.colors;
  std::string out = Paint("Summary", kBold, c) + "\n";
  out += "  '" + Paint(report.results[fastest].command, kCyan, c) + "' ran\n";
  for (size_t i : others) {
    out += Paint(Format("%8.2f", relative[i].ratio), kBoldGreen, c) + " ± " +
           Paint(Format("%.2f", relative[i].uncertainty), kGreen, c) + " times faster than '" +
           Paint(report.results[i].command, kMagenta, c) + "'\n";
  }
  return out;
}

BenchTerminal::BenchTerminal(const BenchTerminalOptions& options, std::FILE* out, std::FILE* err)
    : options_(options), out_(out), err_(err) {}

BenchTerminal::~BenchTerminal() { ClearProgress(); }

void BenchTerminal::ClearProgress() {
  if (!bar_drawn_) return;
  std::fputs("\r\x1b[2K", err_);
  std::fflush(err_);
  bar_drawn_ = false;
}

void BenchTerminal::DrawProgress(const std::string& message, int done, int total,
                                 double eta_seconds) {
  if (!options_.progress) return;
  // Thousands of runs of a fast command would otherwise spend more on
  // drawing than on running; a new message (phase) is always drawn.
  const auto now = std::chrono::steady_clock::now();
  const std::string kind = message.substr(0, 16);  // the message without the estimate
  if (bar_drawn_ && kind == last_kind_ && done < total &&
      now - last_draw_ < std::chrono::milliseconds(50)) {
    return;
  }
  last_draw_ = now;
  last_kind_ = kind;
  static const char* const kSpinner[] = {"⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"};
  spinner_ = (spinner_ + 1) % 10;
  const std::string head = std::string(kSpinner[spinner_]) + " " + PadRight(message, 30) + " ";
  const std::string tail = total > 0 ? " ETA " + TerminalEta(eta_seconds) : "";
  const size_t columns = TerminalColumns(err_);
  const size_t used = Width(head) + Width(tail) + 1;
  const size_t width = columns > used + 10 ? columns - used : 10;
  const size_t filled =
      total > 0 ? std::min(width, width * static_cast<size_t>(done) / static_cast<size_t>(total))
                : 0;
  std::string bar;
  for (size_t i = 0; i < width; ++i) bar += i < filled ? "█" : "░";
  std::fputs(("\r\x1b[2K" + head + Paint(bar, kCyan, options_.colors) + tail).c_str(), err_);
  std::fflush(err_);
  bar_drawn_ = true;
}

void BenchTerminal::OnCommandStart(size_t index, size_t, const BenchCommand& command) {
  ClearProgress();
  through_shell_ = command.through_shell;
  if (!options_.quiet) {
    std::fprintf(out_, "%s: %s\n",
                 Paint("Benchmark " + std::to_string(index + 1), kBold, options_.colors).c_str(),
                 command.name.c_str());
    std::fflush(out_);
  }
  DrawProgress(options_.warmup > 0 ? "Performing warmup runs" : "Initial time measurement", 0, 0,
               0);
}

void BenchTerminal::OnProgress(const BenchProgress& p) {
  const double eta = p.mean_seconds * (p.total - p.done);
  switch (p.phase) {
    case BenchProgress::Phase::kShellSpawn:
      DrawProgress("Measuring shell spawning time", p.done, p.total, eta);
      break;
    case BenchProgress::Phase::kWarmup:
      DrawProgress(p.done < p.total ? "Performing warmup runs" : "Initial time measurement", p.done,
                   p.total, eta);
      break;
    case BenchProgress::Phase::kTimed:
      DrawProgress("Current estimate: " + FormatBenchTime(p.mean_seconds, options_.time_unit),
                   p.done, p.total, eta);
      break;
  }
}

void BenchTerminal::OnCommandDone(size_t, const BenchReport& report) {
  ClearProgress();
  const CommandResult& r = report.results.back();
  if (!options_.quiet) {
    // perfwatch's high-water mark now is at least what it was at any spawn
    // of these runs, so every figure at or under it is only an upper bound.
    struct rusage self {};
    if (options_.rss_floor_bytes > 0 && getrusage(RUSAGE_SELF, &self) == 0) {
      options_.rss_floor_bytes = std::max(options_.rss_floor_bytes, self.ru_maxrss * 1024.0);
    }
    std::fputs(FormatBenchResult(r, options_).c_str(), out_);
    std::fflush(out_);
    const std::vector<std::string> warnings = BenchWarnings(r, through_shell_, options_);
    if (!warnings.empty()) {
      std::fputs(" \n", err_);
      for (const std::string& w : warnings) {
        std::fprintf(err_, "  %s: %s\n", Paint("Warning", kYellow, options_.colors).c_str(),
                     w.c_str());
      }
    }
  }
  if (!r.error.empty()) {
    std::fprintf(err_, "%s %s\n", Paint("perfwatch bench:", kRed, options_.colors).c_str(),
                 r.error.c_str());
  }
  if (!options_.quiet) {
    std::fputs(" \n", out_);
    std::fflush(out_);
  }
}

}  // namespace perfwatch
