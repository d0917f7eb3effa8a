#include "bench/bench_charts.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <functional>
#include <map>

#include "bench/bench_text.h"

namespace perfwatch::bench_charts {

namespace {

using bench_text::Escape;
using bench_text::Fixed;

constexpr int kWidth = 720;
constexpr int kSeriesColours = 8;  // CSS classes s0..s7
constexpr size_t kLabelChars = 90;

std::string N(double v) { return Fixed(v, 1); }

bool Counted(const CommandResult& r) {
  return !r.runs.empty() && std::isfinite(r.time.mean) &&
         !(r.time.mean == 0 && r.time.max == 0 && r.success_rate == 0);
}

// At most `max` characters (code points), cut on a character boundary.
std::string Truncate(const std::string& s, size_t max) {
  size_t chars = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    if ((static_cast<unsigned char>(s[i]) & 0xC0) == 0x80) continue;
    if (++chars > max) return s.substr(0, i) + "…";
  }
  return s;
}

// A round step (1, 2 or 5 times a power of ten) giving about `count` ticks.
double NiceStep(double range, int count) {
  if (!(range > 0)) return 1;
  const double raw = range / count;
  const double magnitude = std::pow(10, std::floor(std::log10(raw)));
  for (double m : {1.0, 2.0, 5.0}) {
    if (raw <= m * magnitude) return m * magnitude;
  }
  return 10 * magnitude;
}

int DecimalsFor(double step) {
  return step >= 1 ? 0 : std::clamp(static_cast<int>(std::ceil(-std::log10(step) - 1e-9)), 0, 6);
}

// How a figure's axis and tooltips read: durations in one unit chosen from
// the largest value, bytes with binary prefixes, rates in MB/s.
enum class Figure { kTime, kBytes, kRate };

struct Axis {
  Figure figure;
  double scale = 1;  // value -> axis unit
  std::string unit;
  double lo = 0, hi = 1, step = 1;  // in axis units

  static Axis For(Figure figure, double lo_value, double hi_value, bool from_zero) {
    Axis a{figure};
    if (figure == Figure::kTime) {
      const bench_text::TimeUnit u = bench_text::TimeUnitFor(hi_value);
      a.scale = u.per_second;
      a.unit = u.name;
    } else if (figure == Figure::kBytes) {
      static constexpr const char* kUnits[] = {"B", "KiB", "MiB", "GiB", "TiB"};
      size_t i = 0;
      while (hi_value / a.scale >= 1024 && i + 1 < std::size(kUnits)) {
        a.scale *= 1024;
        ++i;
      }
      a.scale = 1 / a.scale;
      a.unit = kUnits[i];
    } else {
      a.unit = "MB/s";
    }
    double lo = from_zero ? 0 : lo_value * a.scale, hi = hi_value * a.scale;
    if (!(hi > lo)) hi = lo + (lo == 0 ? 1 : std::abs(lo) * 0.1);
    if (!from_zero) {
      const double pad = (hi - lo) * 0.05;
      lo = std::max(0.0, lo - pad);
      hi += pad;
    }
    a.step = NiceStep(hi - lo, 5);
    a.lo = std::floor(lo / a.step) * a.step;
    a.hi = std::ceil(hi / a.step - 1e-9) * a.step;
    if (a.hi <= a.lo) a.hi = a.lo + a.step;
    return a;
  }
  std::string Tick(double v) const { return Fixed(v, DecimalsFor(step)) + " " + unit; }
  std::string Value(double value) const {
    if (figure == Figure::kTime) return bench_text::HumanSeconds(value);
    if (figure == Figure::kBytes) return bench_text::HumanBytes(value);
    return bench_text::Significant(value) + " MB/s";
  }
};

std::string SvgOpen(const std::string& cls, int height, const std::string& title,
                    int width = kWidth) {
  return "<svg class=\"" + cls + "\" viewBox=\"0 0 " + std::to_string(width) + " " +
         std::to_string(height) + "\" role=\"img\" aria-label=\"" + Escape(title) + "\"><title>" +
         Escape(title) + "</title>";
}

std::string Line(const char* cls, double x1, double y1, double x2, double y2) {
  return std::string("<line class=\"") + cls + "\" x1=\"" + N(x1) + "\" y1=\"" + N(y1) +
         "\" x2=\"" + N(x2) + "\" y2=\"" + N(y2) + "\"/>";
}

std::string Text(const char* cls, double x, double y, const char* anchor, const std::string& text) {
  return std::string("<text class=\"") + cls + "\" x=\"" + N(x) + "\" y=\"" + N(y) +
         "\" text-anchor=\"" + anchor + "\">" + Escape(text) + "</text>";
}

// Vertical grid lines and labels below a horizontal value axis.
std::string HorizontalAxis(const Axis& a, double x0, double x1, double top, double bottom) {
  std::string out;
  for (double v = a.lo; v <= a.hi + a.step * 1e-6; v += a.step) {
    const double x = x0 + (x1 - x0) * (v - a.lo) / (a.hi - a.lo);
    out += Line("grid", x, top, x, bottom);
    out += Text("axis", x, bottom + 14, "middle", a.Tick(v));
  }
  return out + Line("axis-line", x0, bottom, x1, bottom);
}

std::string RowLabel(size_t index, const CommandResult& r) {
  return "#" + std::to_string(index + 1) + "  " + Truncate(r.command, kLabelChars);
}

}  // namespace

std::string MeanBars(const std::vector<CommandResult>& results) {
  double hi = 0;
  size_t rows = 0;
  for (const CommandResult& r : results) {
    if (!Counted(r)) continue;
    hi = std::max(hi, r.time.mean + r.time.stddev);
    ++rows;
  }
  if (rows == 0) return "";
  constexpr double kRow = 36, kTop = 8, kLeft = 8, kRight = 16;
  const double bottom = kTop + kRow * rows;
  const int height = static_cast<int>(bottom + 24);
  const Axis a = Axis::For(Figure::kTime, 0, hi, true);
  const auto X = [&](double seconds) {
    return kLeft + (kWidth - kLeft - kRight) * (seconds * a.scale - a.lo) / (a.hi - a.lo);
  };
  std::string out = SvgOpen("chart bars", height, "Mean time with its standard deviation");
  out += HorizontalAxis(a, kLeft, kWidth - kRight, kTop, bottom);
  double y = kTop;
  for (size_t i = 0; i < results.size(); ++i) {
    const CommandResult& r = results[i];
    if (!Counted(r)) continue;
    const std::string tip = r.command + ": " + a.Value(r.time.mean) + " ± " +
                            a.Value(r.time.stddev) + " (" + std::to_string(r.runs.size()) +
                            " runs)";
    out += "<g><title>" + Escape(tip) + "</title>";
    out += Text("label", kLeft, y + 12, "start", RowLabel(i, r));
    const double bar_y = y + 17, bar_h = 12;
    out += "<rect class=\"bar s" + std::to_string(i % kSeriesColours) + "\" x=\"" + N(kLeft) +
           "\" y=\"" + N(bar_y) + "\" width=\"" + N(std::max(0.0, X(r.time.mean) - kLeft)) +
           "\" height=\"" + N(bar_h) + "\"/>";
    const double lo = X(std::max(0.0, r.time.mean - r.time.stddev));
    const double hi_x = X(r.time.mean + r.time.stddev);
    const double mid = bar_y + bar_h / 2;
    out += Line("whisker", lo, mid, hi_x, mid);
    out += Line("whisker", lo, mid - 4, lo, mid + 4);
    out += Line("whisker", hi_x, mid - 4, hi_x, mid + 4);
    // Beside the whisker, or inside the bar's end when there is no room.
    const bool room = hi_x + 70 < kWidth - kRight;
    out += Text(room ? "value" : "value inside", room ? hi_x + 6 : lo - 6, mid + 4,
                room ? "start" : "end", a.Value(r.time.mean));
    out += "</g>";
    y += kRow;
  }
  return out + "</svg>";
}

std::string RunStrips(const std::vector<CommandResult>& results) {
  double lo = INFINITY, hi = -INFINITY;
  size_t rows = 0;
  for (const CommandResult& r : results) {
    if (!Counted(r)) continue;
    for (const BenchRun& run : r.runs) {
      lo = std::min(lo, run.wall_seconds);
      hi = std::max(hi, run.wall_seconds);
    }
    ++rows;
  }
  if (rows == 0) return "";
  constexpr double kRow = 40, kTop = 8, kLeft = 8, kRight = 16;
  const double bottom = kTop + kRow * rows;
  const int height = static_cast<int>(bottom + 24);
  const Axis a = Axis::For(Figure::kTime, lo, hi, false);
  const auto X = [&](double seconds) {
    return kLeft + (kWidth - kLeft - kRight) * (seconds * a.scale - a.lo) / (a.hi - a.lo);
  };
  std::string out = SvgOpen("chart strips", height, "Run times of each command");
  out += HorizontalAxis(a, kLeft, kWidth - kRight, kTop, bottom);
  double y = kTop;
  for (size_t i = 0; i < results.size(); ++i) {
    const CommandResult& r = results[i];
    if (!Counted(r)) continue;
    out += "<g><title>" + Escape(r.command) + "</title>" +
           Text("label", kLeft, y + 12, "start", RowLabel(i, r)) + "</g>";
    const double mid = y + 26;
    const std::string colour = " s" + std::to_string(i % kSeriesColours);
    for (size_t k = 0; k < r.runs.size(); ++k) {
      const BenchRun& run = r.runs[k];
      // A fixed jitter (a low-discrepancy sequence) so that equal times
      // stay visible and the page is the same on every render.
      const double jitter = (std::fmod(k * 0.618033988749895, 1.0) - 0.5) * 12;
      std::string tip = "run " + std::to_string(k + 1) + ": " + a.Value(run.wall_seconds);
      if (!run.ok()) {
        tip += run.signal ? ", killed by signal " + std::to_string(run.signal)
                          : ", exit code " + std::to_string(run.exit_code);
      }
      out += "<circle class=\"dot" + (run.ok() ? colour : std::string(" fail")) + "\" cx=\"" +
             N(X(run.wall_seconds)) + "\" cy=\"" + N(mid + jitter) + "\" r=\"3\"><title>" +
             Escape(tip) + "</title></circle>";
    }
    const double mx = X(r.time.mean);
    out += "<g class=\"mean\"><title>mean " + Escape(a.Value(r.time.mean)) + "</title>" +
           Line("mean", mx, mid - 10, mx, mid + 10) + "</g>";
    y += kRow;
  }
  return out + "</svg>";
}

namespace {

struct Point {
  std::string value;  // the parameter's value as given
  const CommandResult* result;
};

struct Series {
  std::string name;
  std::vector<Point> points;
};

bool ParseNumber(const std::string& s, double& out) {
  const char* end = s.data() + s.size();
  auto [ptr, ec] = std::from_chars(s.data(), end, out);
  return ec == std::errc() && ptr == end && std::isfinite(out);
}

const std::string* ValueOf(const CommandResult& r, const std::string& name) {
  for (const auto& [n, v] : r.parameters) {
    if (n == name) return &v;
  }
  return nullptr;
}

// The command with the parameter's value shown as {name} when the value
// appears in it exactly once: "sort {size}.txt" reads better than one of
// its instances.
std::string Template(const std::string& command, const std::string& name,
                     const std::string& value) {
  const size_t at = value.empty() ? std::string::npos : command.find(value);
  if (at == std::string::npos || command.find(value, at + 1) != std::string::npos) return command;
  return command.substr(0, at) + "{" + name + "}" + command.substr(at + value.size());
}

// Results of one parameter combination come in command order (as
// hyperfine runs them), so the k-th result of a combination is the k-th
// command; a series holds one command with the other parameters fixed.
std::vector<Series> GroupSeries(const std::vector<CommandResult>& results,
                                const std::string& name) {
  std::map<std::vector<std::pair<std::string, std::string>>, int> seen;  // combination -> count
  std::map<std::pair<std::vector<std::pair<std::string, std::string>>, int>, size_t> index;
  std::vector<Series> series;
  for (const CommandResult& r : results) {
    const std::string* value = ValueOf(r, name);
    if (value == nullptr) continue;
    auto combination = r.parameters;
    std::sort(combination.begin(), combination.end());
    const int k = seen[combination]++;
    std::vector<std::pair<std::string, std::string>> others;
    for (const auto& p : combination) {
      if (p.first != name) others.push_back(p);
    }
    auto [it, added] = index.try_emplace({others, k}, series.size());
    if (added) {
      Series s;
      s.name = Template(r.command, name, *value);
      for (const auto& [n, v] : others) s.name += "  " + n + "=" + v;
      series.push_back(std::move(s));
    }
    series[it->second].points.push_back({*value, &r});
  }
  return series;
}

struct XAxis {
  bool numeric = true, log = false;
  double lo = 0, hi = 1;
  std::vector<std::string> categories;  // when not numeric, in order of appearance

  double Position(const std::string& value) const {  // 0..1
    if (!numeric) {
      const auto it = std::find(categories.begin(), categories.end(), value);
      return (static_cast<double>(it - categories.begin()) + 0.5) / categories.size();
    }
    double v = 0;
    ParseNumber(value, v);
    if (hi <= lo) return 0.5;
    if (log) return (std::log10(v) - std::log10(lo)) / (std::log10(hi) - std::log10(lo));
    return (v - lo) / (hi - lo);
  }
};

XAxis MakeXAxis(const std::vector<Series>& series) {
  XAxis x;
  x.lo = INFINITY;
  x.hi = -INFINITY;
  for (const Series& s : series) {
    for (const Point& p : s.points) {
      if (std::find(x.categories.begin(), x.categories.end(), p.value) == x.categories.end()) {
        x.categories.push_back(p.value);
      }
      double v = 0;
      if (!ParseNumber(p.value, v)) {
        x.numeric = false;
        continue;
      }
      x.lo = std::min(x.lo, v);
      x.hi = std::max(x.hi, v);
    }
  }
  if (x.numeric) x.log = x.lo > 0 && x.hi / x.lo >= 100;
  return x;
}

std::string XTicks(const XAxis& x, double x0, double x1, double bottom) {
  std::string out;
  const auto at = [&](double pos, const std::string& label) {
    const double px = x0 + (x1 - x0) * pos;
    out += Line("tick", px, bottom, px, bottom + 4);
    out += Text("axis", px, bottom + 15, "middle", Truncate(label, 14));
  };
  if (!x.numeric || x.categories.size() <= 8) {
    for (const std::string& c : x.categories) at(x.Position(c), c);
    return out;
  }
  if (x.log) {
    for (double d = std::pow(10, std::ceil(std::log10(x.lo))); d <= x.hi * (1 + 1e-9); d *= 10) {
      at(x.Position(bench_text::Shortest(d)), bench_text::Shortest(d));
    }
    return out;
  }
  const double step = NiceStep(x.hi - x.lo, 6);
  for (double v = std::ceil(x.lo / step) * step; v <= x.hi + step * 1e-6; v += step) {
    const std::string label = Fixed(v, DecimalsFor(step));
    at((v - x.lo) / (x.hi - x.lo), label);
  }
  return out;
}

std::string LineChart(const std::vector<Series>& series, const std::string& name,
                      const std::string& title, Figure figure,
                      const std::function<std::optional<double>(const CommandResult&)>& get) {
  double hi = 0;
  for (const Series& s : series) {
    for (const Point& p : s.points) {
      if (auto v = get(*p.result)) hi = std::max(hi, *v);
    }
  }
  // Narrower than the full-width charts: these sit two to a row.
  constexpr int kHeight = 270, kChartWidth = 480;
  constexpr double kLeft = 70, kRight = 14, kTop = 12, kBottom = kHeight - 42;
  const Axis a = Axis::For(figure, 0, hi, true);
  const XAxis x = MakeXAxis(series);
  const auto Y = [&](double v) {
    return kBottom - (kBottom - kTop) * (v * a.scale - a.lo) / (a.hi - a.lo);
  };
  const auto X = [&](const std::string& value) {
    return kLeft + (kChartWidth - kLeft - kRight) * x.Position(value);
  };
  std::string out = SvgOpen("chart param-chart", kHeight, title + " by " + name, kChartWidth);
  for (double v = a.lo; v <= a.hi + a.step * 1e-6; v += a.step) {
    const double y = kBottom - (kBottom - kTop) * (v - a.lo) / (a.hi - a.lo);
    out += Line("grid", kLeft, y, kChartWidth - kRight, y);
    out += "<text class=\"axis\" x=\"" + N(kLeft - 6) + "\" y=\"" + N(y) +
           "\" text-anchor=\"end\" dominant-baseline=\"middle\">" + Escape(a.Tick(v)) + "</text>";
  }
  out += Line("axis-line", kLeft, kBottom, kChartWidth - kRight, kBottom);
  out += XTicks(x, kLeft, kChartWidth - kRight, kBottom);
  out += Text("axis-title", (kLeft + kChartWidth - kRight) / 2, kHeight - 6, "middle",
              name + (x.log ? " (log scale)" : ""));
  for (size_t i = 0; i < series.size(); ++i) {
    std::vector<std::pair<double, const Point*>> pts;
    for (const Point& p : series[i].points) {
      if (get(*p.result)) pts.emplace_back(X(p.value), &p);
    }
    std::stable_sort(pts.begin(), pts.end(),
                     [](const auto& l, const auto& r) { return l.first < r.first; });
    const std::string cls = "s" + std::to_string(i % kSeriesColours);
    std::string d;
    for (const auto& [px, p] : pts) {
      d += (d.empty() ? "M" : "L") + N(px) + "," + N(Y(*get(*p->result)));
    }
    out += "<g class=\"series " + cls + "\">";
    if (pts.size() > 1) out += "<path class=\"line\" d=\"" + d + "\"/>";
    for (const auto& [px, p] : pts) {
      const std::string tip =
          p->result->command + " (" + name + "=" + p->value + "): " + a.Value(*get(*p->result));
      out += "<circle class=\"point\" cx=\"" + N(px) + "\" cy=\"" + N(Y(*get(*p->result))) +
             "\" r=\"3.5\"><title>" + Escape(tip) + "</title></circle>";
    }
    out += "</g>";
  }
  return out + "</svg>";
}

}  // namespace

std::vector<ParameterChart> ParameterCharts(const std::vector<CommandResult>& results) {
  std::vector<std::string> names;
  for (const CommandResult& r : results) {
    for (const auto& [name, value] : r.parameters) {
      if (std::find(names.begin(), names.end(), name) == names.end()) names.push_back(name);
    }
  }
  const auto time = [](const CommandResult& r) -> std::optional<double> {
    if (!Counted(r)) return std::nullopt;
    return r.time.mean;
  };
  const auto rss = [](const CommandResult& r) -> std::optional<double> {
    if (!Counted(r) || !(r.peak_rss_bytes > 0)) return std::nullopt;
    return r.peak_rss_bytes;
  };
  const auto rate = [](const CommandResult& r) -> std::optional<double> {
    if (!Counted(r)) return std::nullopt;
    return r.throughput_mb_s;
  };
  std::vector<ParameterChart> charts;
  for (const std::string& name : names) {
    std::vector<Series> series = GroupSeries(results, name);
    std::vector<std::string> values;
    for (const Series& s : series) {
      for (const Point& p : s.points) {
        if (std::find(values.begin(), values.end(), p.value) == values.end()) {
          values.push_back(p.value);
        }
      }
    }
    if (values.size() < 2) continue;
    std::vector<std::string> legend;
    for (const Series& s : series) legend.push_back(s.name);
    const auto any = [&](const auto& get) {
      return std::any_of(results.begin(), results.end(),
                         [&](const CommandResult& r) { return get(r).has_value(); });
    };
    if (any(time)) {
      charts.push_back(
          {name, "Mean time", LineChart(series, name, "Mean time", Figure::kTime, time), legend});
    }
    if (any(rss)) {
      charts.push_back(
          {name, "Peak RSS", LineChart(series, name, "Peak RSS", Figure::kBytes, rss), legend});
    }
    if (any(rate)) {
      charts.push_back(
          {name, "Throughput", LineChart(series, name, "Throughput", Figure::kRate, rate), legend});
    }
  }
  return charts;
}

}  // namespace perfwatch::bench_charts
