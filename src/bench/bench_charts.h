#pragma once
// The SVG charts of the bench HTML page (private to bench/): means as bars
// with their standard deviation as whiskers, each command's run times as a
// strip of dots, and time, peak RSS and throughput against a parameter's
// value (a numeric axis when every value is a number, logarithmic when they
// span two decades or more; otherwise one slot per value in order). Colours
// come from the page's CSS classes (chart, grid, axis, bar, whisker, dot,
// fail, mean, s0..s7), so one chart serves light, dark and print. Every
// text from the data is escaped. Pure functions; thread-safe.

#include <string>
#include <vector>

#include "bench/bench_model.h"

namespace perfwatch::bench_charts {

// Commands with no counted run are left out; "" when none has one.
std::string MeanBars(const std::vector<CommandResult>& results);
std::string RunStrips(const std::vector<CommandResult>& results);

// One chart of a figure against one parameter.
struct ParameterChart {
  std::string parameter;            // its name
  std::string figure;               // "Mean time", "Peak RSS", "Throughput"
  std::string svg;                  // <svg class="chart param-chart" ...>
  std::vector<std::string> series;  // legend entries, in colour order s0, s1, ...
};

// For every parameter with at least two values: the results grouped into
// series (the same command with the other parameters held), mean time and
// peak RSS against the parameter's value, and throughput when the results
// have it. Empty without parameters.
std::vector<ParameterChart> ParameterCharts(const std::vector<CommandResult>& results);

}  // namespace perfwatch::bench_charts
