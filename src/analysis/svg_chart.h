#pragma once
// Line charts as inline SVG for the HTML report (private to analysis/):
// axes with round ticks (times in UTC), the line and a faint area under it,
// the lowest and highest points marked with their values, the p95 as a dashed
// line, and <title> tooltips (the chart's figures, each of a few time bands,
// the p95, the extremes). Colours and fonts come from the page's CSS
// classes (chart, grid, axis, line, area, p95, mark, hit), so one chart
// serves light, dark and print. Pure; thread-safe.

#include <cstdint>
#include <string>
#include <vector>

#include "model/sample.h"

namespace perfwatch {

struct ChartSpec {
  std::string title;           // the tooltip's and the accessible name's first words
  std::string unit;            // a summary row's unit, for the labels
  std::vector<Sample> points;  // oldest first, in `unit`; NaN values are skipped
  TimestampMs from_ms = 0;     // the x axis: the report's period
  TimestampMs to_ms = 0;
  double p95 = 0;  // drawn when finite
  // What a point is, for the tooltips of the lowest and highest: "sample",
  // "1 min average".
  std::string point_name = "sample";
  int width = 360;  // the viewBox; the page scales it to its box (about 1:1 in a card)
  int height = 150;
  int bands = 30;  // time bands with a tooltip each (fewer with fewer points)
};

// <svg class="chart" ...>…</svg>. The line is one <path class="line"> with
// one M or L command per point (a gap of more than 3 typical spacings
// starts a new M); with no points, a "no data" note.
std::string RenderSvgChart(const ChartSpec& spec);

}  // namespace perfwatch
