#pragma once
// AppData collects the StatsD lines a program sends during a recorded run:
// every value as an AppPoint with its time since the start (up to a cap on
// kept points; later ones are counted as dropped, never silently lost from
// the summaries), and a MetricSummary per metric over every value received.
// Lines that do not parse are counted, never fatal.
//
// Not thread-safe: StatsdRunListener serialises access.

#include <cstddef>
#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "ingest/ddsketch.h"
#include "runs/run_record.h"

namespace perfwatch {

class AppData {
 public:
  // 100k points: ~5 MB in memory and in perfwatch.db, enough for a value
  // per generation of a long optimisation or a timing per request of a
  // short benchmark.
  static constexpr size_t kDefaultMaxPoints = 100'000;
  // Distinct metrics (name + type + tags) per run; values of further ones
  // are counted as dropped. Guards against a tag with a value per line.
  static constexpr size_t kMaxMetrics = 10'000;
  static constexpr size_t kMaxSetMembers = 100'000;

  // `app`: the tag app:<app> is dropped from every metric. The recorded
  // command is told PERFWATCH_APP, and client.hpp tags everything with it;
  // kept, it would make the same metric of two runs with different names
  // two different metrics.
  explicit AppData(size_t max_points = kDefaultMaxPoints, std::string app = "")
      : max_points_(max_points), app_(std::move(app)) {}

  // Adds every line of one datagram, received `t_ms` after the start.
  void AddPacket(std::string_view packet, int64_t t_ms);

  int64_t received() const { return received_; }
  int64_t dropped() const { return received_ - static_cast<int64_t>(points_.size()); }
  int64_t bad_lines() const { return bad_lines_; }
  const std::vector<AppPoint>& points() const { return points_; }
  // One per metric, sorted by MetricSummary::Key().
  std::vector<MetricSummary> Summaries() const;
  // Moves the points out (the object is then empty of points).
  std::vector<AppPoint> TakePoints() { return std::move(points_); }

 private:
  struct Accumulator {
    std::string metric, type, tags;
    bool timing = false;  // ms, h, d: percentiles kept
    int64_t count = 0;
    double sum = 0, min = 0, max = 0, last = 0;
    DDSketch sketch;             // timings only
    std::vector<double> values;  // timings only, while none was dropped
    bool values_complete = true;
    std::set<std::string, std::less<>> members;  // sets only, at most kMaxSetMembers
  };
  void AddValue(Accumulator& acc, double value, bool delta, int64_t t_ms);
  void FlushPendingGauge(int64_t t_ms);

  size_t max_points_;
  std::string app_;
  // A gauge set held back until the next line: client.hpp sends a negative
  // level as "x:0" then "x:-5" (a set and a delta), which is one value.
  Accumulator* pending_gauge_ = nullptr;
  double pending_value_ = 0;
  int64_t received_ = 0;
  int64_t bad_lines_ = 0;
  std::vector<AppPoint> points_;
  std::map<std::string, Accumulator, std::less<>> metrics_;  // by Key()
};

// "k:v,a" -> "a,k:v": tags sorted so the same tags in another order are
// the same metric; the tag app:<drop_app> left out when drop_app is not "".
std::string CanonicalTags(std::string_view tags, std::string_view drop_app = "");

}  // namespace perfwatch
