#include "analysis/svg_chart.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <ctime>

#include "analysis/format.h"
#include "model/html.h"

namespace perfwatch {

namespace {

using analysis_format::Fixed;
using analysis_format::WithUnit;

// Room for the y labels on the left, "p95" on the right and the time
// labels below.
constexpr double kLeft = 54, kRight = 26, kTop = 12, kBottom = 22;

std::string Num(double v) { return Fixed(v, 1); }
// Whole units for the line's and area's many points: a viewBox unit is
// under a pixel at the sizes the page shows, and it keeps the file small.
std::string Coord(double v) { return Fixed(v, 0); }

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

std::string TickLabel(double v, double step, const std::string& unit) {
  if (unit == "B/s") return analysis_format::HumanRate(v);
  const int decimals = step >= 1 ? 0 : static_cast<int>(std::ceil(-std::log10(step) - 1e-9));
  const std::string number = Fixed(v, std::clamp(decimals, 0, 3));
  if (unit.empty() || unit == "%" || unit == "/s") return number + unit;
  return number + " " + unit;
}

std::string ClockLabel(TimestampMs ms, bool with_date) {
  const std::time_t secs = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[24];
  std::strftime(buf, sizeof buf, with_date ? "%m-%d %H:%M" : "%H:%M", &tm);
  return buf;
}

// Maps samples to the plot area.
struct Frame {
  double x0, x1, y0, y1;  // pixels of the plot area
  TimestampMs t0, t1;
  double v0, v1;  // value range on the axis
  double X(TimestampMs t) const {
    return x0 + (x1 - x0) * static_cast<double>(t - t0) / static_cast<double>(t1 - t0);
  }
  double Y(double v) const { return y1 - (y1 - y0) * (v - v0) / (v1 - v0); }
};

std::string YAxis(const Frame& f, double step, const std::string& unit) {
  std::string out;
  for (double v = f.v0; v <= f.v1 + step * 1e-6; v += step) {
    const std::string y = Num(f.Y(v));
    out += "<line class=\"grid\" x1=\"" + Num(f.x0) + "\" x2=\"" + Num(f.x1) + "\" y1=\"" + y +
           "\" y2=\"" + y + "\"/>";
    out += "<text class=\"axis\" x=\"" + Num(f.x0 - 6) + "\" y=\"" + y +
           "\" text-anchor=\"end\" dominant-baseline=\"middle\">" +
           html::Escape(TickLabel(v, step, unit)) + "</text>";
  }
  return out;
}

std::string XAxis(const Frame& f) {
  static constexpr int64_t kMinute = 60'000, kHour = 60 * kMinute, kDay = 24 * kHour;
  static constexpr int64_t kSteps[] = {kMinute,      5 * kMinute, 10 * kMinute, 15 * kMinute,
                                       30 * kMinute, kHour,       2 * kHour,    3 * kHour,
                                       6 * kHour,    12 * kHour,  kDay,         2 * kDay,
                                       7 * kDay,     14 * kDay,   30 * kDay};
  const int64_t span = f.t1 - f.t0;
  int64_t step = kSteps[std::size(kSteps) - 1];
  for (int64_t s : kSteps) {
    if (span / s <= 6) {
      step = s;
      break;
    }
  }
  const bool with_date = span > kDay;
  std::string out = "<line class=\"axis-line\" x1=\"" + Num(f.x0) + "\" x2=\"" + Num(f.x1) +
                    "\" y1=\"" + Num(f.y1) + "\" y2=\"" + Num(f.y1) + "\"/>";
  for (TimestampMs t = (f.t0 / step + 1) * step; t < f.t1; t += step) {
    const std::string x = Num(f.X(t));
    out += "<line class=\"tick\" x1=\"" + x + "\" x2=\"" + x + "\" y1=\"" + Num(f.y1) + "\" y2=\"" +
           Num(f.y1 + 4) + "\"/>";
    out += "<text class=\"axis\" x=\"" + x + "\" y=\"" + Num(f.y1 + 15) +
           "\" text-anchor=\"middle\">" + ClockLabel(t, with_date && step < kDay) + "</text>";
  }
  return out;
}

// The median distance between consecutive points, to tell a gap (perfwatch
// was stopped) from the normal spacing.
int64_t TypicalSpacing(const std::vector<Sample>& points) {
  std::vector<int64_t> gaps;
  for (size_t i = 1; i < points.size(); ++i) gaps.push_back(points[i].t_ms - points[i - 1].t_ms);
  if (gaps.empty()) return 0;
  std::nth_element(gaps.begin(), gaps.begin() + gaps.size() / 2, gaps.end());
  return gaps[gaps.size() / 2];
}

std::string LineAndArea(const Frame& f, const std::vector<Sample>& points) {
  const int64_t gap = 3 * TypicalSpacing(points);
  std::string line, area;
  std::string run;  // the current run's points, for its area
  std::string run_start_x;
  auto close_area = [&](const std::string& last_x) {
    if (run.empty()) return;
    const std::string base = Coord(f.Y(std::max(f.v0, 0.0)));
    area += "M" + run_start_x + "," + base + run + "L" + last_x + "," + base + "Z";
    run.clear();
  };
  std::string last_x;
  for (size_t i = 0; i < points.size(); ++i) {
    const std::string x = Coord(f.X(points[i].t_ms));
    const std::string y = Coord(f.Y(points[i].value));
    const bool starts = i == 0 || (gap > 0 && points[i].t_ms - points[i - 1].t_ms > gap);
    if (starts) {
      close_area(last_x);
      run_start_x = x;
    }
    line += (starts ? "M" : "L") + x + "," + y;
    run += "L" + x + "," + y;
    last_x = x;
  }
  close_area(last_x);
  std::string out = "<path class=\"area\" d=\"" + area + "\"/>";
  out += "<path class=\"line\" d=\"" + line + "\"/>";
  if (points.size() == 1) {
    out += "<circle class=\"line-dot\" cx=\"" + Num(f.X(points[0].t_ms)) + "\" cy=\"" +
           Num(f.Y(points[0].value)) + "\" r=\"2.5\"/>";
  }
  return out;
}

// A dot on the point and its value beside it, kept inside the plot.
std::string Mark(const Frame& f, const Sample& s, const char* what, const ChartSpec& spec,
                 bool above) {
  const double x = f.X(s.t_ms), y = f.Y(s.value);
  const std::string value = WithUnit(s.value, spec.unit);
  const std::string tip = std::string(what) + " " + spec.point_name + ": " + value + " at " +
                          analysis_format::UtcTime(s.t_ms) + " UTC";
  const bool right_half = x > (f.x0 + f.x1) / 2;
  const double ty = std::clamp(above ? y - 6 : y + 13, f.y0 + 8, f.y1 - 3);
  std::string out = "<g class=\"mark\"><title>" + html::Escape(tip) + "</title>";
  out += "<circle cx=\"" + Num(x) + "\" cy=\"" + Num(y) + "\" r=\"3\"/>";
  out += "<text x=\"" + Num(right_half ? x - 5 : x + 5) + "\" y=\"" + Num(ty) +
         "\" text-anchor=\"" + (right_half ? "end" : "start") + "\">" + html::Escape(value) +
         "</text></g>";
  return out;
}

std::string P95Line(const Frame& f, double p95, const std::string& unit) {
  const std::string y = Num(f.Y(p95));
  const std::string label = "p95 " + WithUnit(p95, unit);
  return "<g class=\"p95\"><title>" + html::Escape(label) + "</title><line x1=\"" + Num(f.x0) +
         "\" x2=\"" + Num(f.x1) + "\" y1=\"" + y + "\" y2=\"" + y +
         "\" stroke-dasharray=\"5 4\"/><text x=\"" + Num(f.x1 + 3) + "\" y=\"" + y +
         "\" dominant-baseline=\"middle\">p95</text></g>";
}

// Transparent bands over the plot, each with the figures of its points as a
// tooltip, so hovering anywhere on the chart tells the values there.
std::string HoverBands(const Frame& f, const ChartSpec& spec, const std::vector<Sample>& points) {
  const int bands = std::clamp<int>(static_cast<int>(points.size()), 1, std::max(spec.bands, 1));
  const double width = (f.x1 - f.x0) / bands;
  std::string out;
  size_t i = 0;
  for (int b = 0; b < bands; ++b) {
    const TimestampMs t_begin = f.t0 + (f.t1 - f.t0) * b / bands;
    const TimestampMs t_end = f.t0 + (f.t1 - f.t0) * (b + 1) / bands;
    double sum = 0, lo = INFINITY, hi = -INFINITY;
    size_t n = 0;
    for (; i < points.size() && (points[i].t_ms < t_end || b == bands - 1); ++i) {
      sum += points[i].value;
      lo = std::min(lo, points[i].value);
      hi = std::max(hi, points[i].value);
      ++n;
    }
    if (n == 0) continue;
    std::string tip = ClockLabel(t_begin, true) + "–" + ClockLabel(t_end, false) + " UTC: ";
    tip += n == 1 ? WithUnit(lo, spec.unit)
                  : "avg " + WithUnit(sum / n, spec.unit) + ", min " + WithUnit(lo, spec.unit) +
                        ", max " + WithUnit(hi, spec.unit);
    out += "<rect class=\"hit\" x=\"" + Num(f.x0 + b * width) + "\" y=\"" + Num(f.y0) +
           "\" width=\"" + Num(width) + "\" height=\"" + Num(f.y1 - f.y0) + "\"><title>" +
           html::Escape(tip) + "</title></rect>";
  }
  return out;
}

}  // namespace

std::string RenderSvgChart(const ChartSpec& spec) {
  std::vector<Sample> points;
  for (const Sample& s : spec.points) {
    if (std::isfinite(s.value)) points.push_back(s);
  }
  const std::string w = std::to_string(spec.width), h = std::to_string(spec.height);
  std::string out = "<svg class=\"chart\" viewBox=\"0 0 " + w + " " + h +
                    "\" role=\"img\" aria-label=\"" + html::Escape(spec.title) + "\"><title>" +
                    html::Escape(spec.title) + "</title>";
  if (points.empty() || spec.to_ms <= spec.from_ms) {
    return out + "<text class=\"axis\" x=\"50%\" y=\"50%\" text-anchor=\"middle\">no data</text>" +
           "</svg>";
  }
  auto [lo, hi] = std::minmax_element(points.begin(), points.end(),
                                      [](auto& a, auto& b) { return a.value < b.value; });
  double top = hi->value;
  if (std::isfinite(spec.p95)) top = std::max(top, spec.p95);
  const double bottom = std::min(0.0, lo->value);
  const double step = NiceStep(top - bottom, 4);
  Frame f{kLeft,
          spec.width - kRight,
          kTop,
          spec.height - kBottom,
          spec.from_ms,
          spec.to_ms,
          std::floor(bottom / step) * step,
          std::ceil(top / step) * step};
  if (f.v1 <= f.v0) f.v1 = f.v0 + step;
  out += YAxis(f, step, spec.unit) + XAxis(f) + LineAndArea(f, points);
  if (std::isfinite(spec.p95)) out += P95Line(f, spec.p95, spec.unit);
  out += Mark(f, *hi, "highest", spec, true);
  if (lo->value != hi->value) out += Mark(f, *lo, "lowest", spec, false);
  out += HoverBands(f, spec, points);
  return out + "</svg>";
}

}  // namespace perfwatch
