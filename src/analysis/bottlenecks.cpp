#include "analysis/bottlenecks.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <optional>
#include <set>

#include "analysis/format.h"
#include "analysis/recommendations.h"
#include "analysis/trends.h"
#include "analysis/window_query.h"

namespace perfwatch {

namespace {

using analysis_format::Fixed;

constexpr double kNoThreshold = std::numeric_limits<double>::quiet_NaN();

// Propagates a failed Result out of a detector.
#define PW_TRY(var, expr) \
  auto var = (expr);      \
  if (!var.ok()) return var.status();

enum class Level { kNone, kWarning, kCritical };

Level LevelOf(double value, double warning, double critical) {
  if (value >= critical) return Level::kCritical;
  if (value >= warning) return Level::kWarning;
  return Level::kNone;
}

std::string SeverityName(Level level) { return level == Level::kCritical ? "critical" : "warning"; }

Evidence MakeEvidence(const WindowQuery& q, std::string expr, Labels labels, double value,
                      double threshold) {
  return {std::move(expr), std::move(labels), value, threshold, q.window_ms()};
}

std::string InWindow(const WindowQuery& q) {
  return " over the last " + analysis_format::HumanDuration(q.window_ms());
}

// The labels of a plain selector's result without __name__.
Labels WithoutName(const Labels& labels) {
  std::vector<Label> kept;
  for (const Label& l : labels) {
    if (l.name != "__name__") kept.push_back(l);
  }
  Result<Labels> out = Labels::Make(std::move(kept));
  return out.ok() ? *out : Labels();
}

Status DetectCpu(const WindowQuery& q, const BottleneckOptions& o, std::vector<Bottleneck>& out) {
  const std::string cpu_expr = q.Over("avg_over_time", "system_cpu_usage_percent{cpu=\"\"}");
  PW_TRY(cpu, q.Single(cpu_expr));
  if (!*cpu) return Status::Ok();
  Level level = LevelOf(**cpu, o.cpu_warning_percent, o.cpu_critical_percent);
  if (level == Level::kNone) return Status::Ok();
  Bottleneck b{"cpu_bound", "", "", {}, recommendations::Cpu()};
  b.evidence.push_back(MakeEvidence(q, cpu_expr, Labels(), **cpu, o.cpu_warning_percent));
  b.summary = "CPU busy " + Fixed(**cpu, 1) + "% on average" + InWindow(q);
  PW_TRY(cores, q.Single("system_cpus"));
  const std::string running_expr = q.Over("avg_over_time", "system_procs_running");
  PW_TRY(running, q.Single(running_expr));
  if (*cores && **cores > 0 && *running) {
    const double per_core = **running / **cores;
    b.evidence.push_back(MakeEvidence(q, running_expr + " / system_cpus", Labels(), per_core,
                                      o.runnable_per_core_critical));
    b.summary += ", " + Fixed(per_core, 1) + " runnable threads per core";
    if (per_core >= o.runnable_per_core_critical) level = Level::kCritical;
  }
  const std::string load_expr = q.Over("avg_over_time", "system_load1");
  PW_TRY(load, q.Single(load_expr));
  if (*cores && **cores > 0 && *load) {
    b.evidence.push_back(
        MakeEvidence(q, load_expr + " / system_cpus", Labels(), **load / **cores, kNoThreshold));
  }
  b.severity = SeverityName(level);
  out.push_back(std::move(b));
  return Status::Ok();
}

std::string PsiSelector(std::string_view resource, std::string_view kind) {
  return "system_pressure_percent{resource=\"" + std::string(resource) + "\",kind=\"" +
         std::string(kind) + "\",window=\"10s\"}";
}

Status DetectMemory(const WindowQuery& q, const BottleneckOptions& o,
                    std::vector<Bottleneck>& out) {
  const std::string mem_expr = q.Over("avg_over_time", "system_memory_used_percent");
  PW_TRY(mem, q.Single(mem_expr));
  const std::string full_expr = q.Over("avg_over_time", PsiSelector("memory", "full"));
  PW_TRY(full, q.Single(full_expr));
  Level level = Level::kNone;
  if (*mem) level = LevelOf(**mem, o.memory_warning_percent, o.memory_critical_percent);
  if (*full) {
    level =
        std::max(level, LevelOf(**full, o.psi_full_warning_percent, o.psi_full_critical_percent));
  }
  if (level == Level::kNone) return Status::Ok();
  Bottleneck b{"memory_pressure", SeverityName(level), "", {}, recommendations::Memory()};
  std::vector<std::string> parts;
  if (*mem) {
    b.evidence.push_back(MakeEvidence(q, mem_expr, Labels(), **mem, o.memory_warning_percent));
    parts.push_back("memory " + Fixed(**mem, 1) + "% used on average");
  }
  if (*full) {
    b.evidence.push_back(MakeEvidence(q, full_expr, Labels(), **full, o.psi_full_warning_percent));
    if (**full >= o.psi_full_warning_percent) {
      parts.push_back("all tasks stalled on memory " + Fixed(**full, 1) + "% of the time");
    }
  }
  b.summary =
      "Memory pressure: " + parts[0] + (parts.size() > 1 ? ", " + parts[1] : "") + InWindow(q);
  out.push_back(std::move(b));
  return Status::Ok();
}

// Least-squares growth of swap used, bytes per second; nullopt without data.
Result<std::optional<double>> SwapGrowth(const WindowQuery& q) {
  Result<SeriesSelector> selector = SeriesSelector::Parse("system_swap_used_bytes");
  if (!selector.ok()) return selector.status();
  std::vector<SeriesId> ids = q.source().Select(*selector);
  if (ids.empty()) return std::optional<double>();
  PW_TRY(samples, q.source().Samples({ids.front()}, q.now() - q.window_ms(), q.now()));
  if (samples->empty()) return std::optional<double>();
  std::optional<LinearFit> fit = FitLine(samples->front().second);
  if (!fit) return std::optional<double>();
  return std::optional<double>(fit->slope_per_ms * 1000);
}

Status DetectSwap(const WindowQuery& q, const BottleneckOptions& o, std::vector<Bottleneck>& out) {
  PW_TRY(growth, SwapGrowth(q));
  const std::string mem_expr = q.Over("avg_over_time", "system_memory_used_percent");
  PW_TRY(mem, q.Single(mem_expr));
  if (!*growth || !*mem || **mem < o.swap_memory_percent) return Status::Ok();
  Level level =
      LevelOf(**growth, o.swap_growth_warning_bytes_per_s, 4 * o.swap_growth_warning_bytes_per_s);
  if (level == Level::kNone) return Status::Ok();
  const std::string full_expr = q.Over("avg_over_time", PsiSelector("memory", "full"));
  PW_TRY(full, q.Single(full_expr));
  if (*full && **full >= o.psi_full_warning_percent) level = Level::kCritical;
  Bottleneck b{"swap_thrashing", SeverityName(level), "", {}, recommendations::Swap()};
  b.evidence.push_back(
      MakeEvidence(q, "slope of system_swap_used_bytes[" + q.range() + "] (least squares, bytes/s)",
                   Labels(), **growth, o.swap_growth_warning_bytes_per_s));
  b.evidence.push_back(MakeEvidence(q, mem_expr, Labels(), **mem, o.swap_memory_percent));
  if (*full) b.evidence.push_back(MakeEvidence(q, full_expr, Labels(), **full, kNoThreshold));
  b.summary = "Swapping: swap use growing by " + analysis_format::HumanRate(**growth) +
              " with memory " + Fixed(**mem, 1) + "% used" + InWindow(q);
  out.push_back(std::move(b));
  return Status::Ok();
}

Status DetectIo(const WindowQuery& q, const BottleneckOptions& o, std::vector<Bottleneck>& out) {
  std::vector<Evidence> evidence;
  std::vector<std::string> parts;
  Level level = Level::kNone;
  const std::string util_expr = q.Over("avg_over_time", "system_diskio_utilization_percent");
  PW_TRY(devices, q.Vector(util_expr));
  const VectorSample* busiest = nullptr;
  for (const VectorSample& d : *devices) {
    const Level l = LevelOf(d.value, o.disk_util_warning_percent, o.disk_util_critical_percent);
    if (l == Level::kNone) continue;
    level = std::max(level, l);
    evidence.push_back(MakeEvidence(q, util_expr, d.labels, d.value, o.disk_util_warning_percent));
    if (!busiest || d.value > busiest->value) busiest = &d;
  }
  if (busiest) {
    parts.push_back(std::string(busiest->labels.Get("device")) + " busy " +
                    Fixed(busiest->value, 1) + "% of the time");
  }

  const std::string iowait_expr =
      "sum(rate(system_cpu_seconds_total{mode=\"iowait\"}[" + q.range() + "]))";
  PW_TRY(iowait, q.Single(iowait_expr));
  PW_TRY(cores, q.Single("system_cpus"));
  if (*iowait && *cores && **cores > 0) {
    const double pct = 100 * **iowait / **cores;
    const Level l = LevelOf(pct, o.iowait_warning_percent, o.iowait_critical_percent);
    if (l != Level::kNone) {
      level = std::max(level, l);
      evidence.push_back(MakeEvidence(q, "100 * " + iowait_expr + " / system_cpus", Labels(), pct,
                                      o.iowait_warning_percent));
      parts.push_back(Fixed(pct, 1) + "% of CPU time waiting for I/O");
    }
  }
  const std::string blocked_expr = q.Over("avg_over_time", "system_procs_blocked");
  PW_TRY(blocked, q.Single(blocked_expr));
  if (*blocked && **blocked >= o.blocked_warning) {
    level = std::max(level, Level::kWarning);
    evidence.push_back(MakeEvidence(q, blocked_expr, Labels(), **blocked, o.blocked_warning));
    parts.push_back(Fixed(**blocked, 1) + " threads blocked on I/O");
  }
  const std::string full_expr = q.Over("avg_over_time", PsiSelector("io", "full"));
  PW_TRY(full, q.Single(full_expr));
  if (*full) {
    const Level l = LevelOf(**full, o.psi_full_warning_percent, o.psi_full_critical_percent);
    if (l != Level::kNone) {
      level = std::max(level, l);
      evidence.push_back(MakeEvidence(q, full_expr, Labels(), **full, o.psi_full_warning_percent));
      parts.push_back("all tasks stalled on I/O " + Fixed(**full, 1) + "% of the time");
    }
  }
  if (level == Level::kNone) return Status::Ok();
  std::string summary = "I/O saturation: ";
  for (size_t i = 0; i < parts.size(); ++i) summary += (i ? ", " : "") + parts[i];
  out.push_back({"io_saturation", SeverityName(level), summary + InWindow(q), std::move(evidence),
                 recommendations::Io()});
  return Status::Ok();
}

Status DetectNetwork(const WindowQuery& q, const BottleneckOptions& o,
                     std::vector<Bottleneck>& out) {
  struct Counter {
    std::string_view metric, what;
    double warning;
  };
  const Counter counters[] = {
      {"system_network_receive_errors_total", "receive errors", o.net_errors_warning_per_s},
      {"system_network_transmit_errors_total", "transmit errors", o.net_errors_warning_per_s},
      {"system_network_receive_drops_total", "receive drops", o.net_drops_warning_per_s},
      {"system_network_transmit_drops_total", "transmit drops", o.net_drops_warning_per_s},
  };
  Level level = Level::kNone;
  std::vector<Evidence> evidence;
  std::string worst;
  double worst_rate = -1;
  for (const Counter& c : counters) {
    const std::string expr = q.Over("rate", c.metric);
    PW_TRY(vec, q.Vector(expr));
    for (const VectorSample& s : *vec) {
      if (s.value <= c.warning) continue;
      level = std::max(level, s.value >= o.net_critical_per_s ? Level::kCritical : Level::kWarning);
      evidence.push_back(MakeEvidence(q, expr, s.labels, s.value, c.warning));
      if (s.value > worst_rate) {
        worst_rate = s.value;
        worst = std::string(s.labels.Get("interface")) + ": " +
                Fixed(s.value, s.value < 1 ? 3 : 1) + " " + std::string(c.what) + "/s";
      }
    }
  }
  if (level == Level::kNone) return Status::Ok();
  out.push_back({"network_errors", SeverityName(level), "Network errors on " + worst + InWindow(q),
                 std::move(evidence), recommendations::Network()});
  return Status::Ok();
}

Status DetectFds(const WindowQuery& q, const BottleneckOptions& o, std::vector<Bottleneck>& out) {
  if (o.fd_limit_metric.empty()) return Status::Ok();
  const std::string open_expr = q.Over("max_over_time", "process_open_fds");
  PW_TRY(open, q.Vector(open_expr));
  if (open->empty()) return Status::Ok();
  PW_TRY(limits, q.Vector(q.Over("last_over_time", o.fd_limit_metric)));
  Level level = Level::kNone;
  Bottleneck b{"fd_exhaustion", "", "", {}, recommendations::Fds()};
  double worst = -1;
  for (const VectorSample& fds : *open) {
    const Labels key = WithoutName(fds.labels);
    auto limit = std::find_if(limits->begin(), limits->end(),
                              [&](const VectorSample& l) { return WithoutName(l.labels) == key; });
    if (limit == limits->end() || limit->value <= 0) continue;
    const double ratio = fds.value / limit->value;
    const Level l = LevelOf(ratio, o.fd_warning_ratio, o.fd_critical_ratio);
    if (l == Level::kNone) continue;
    level = std::max(level, l);
    b.evidence.push_back(
        MakeEvidence(q, open_expr + " / " + o.fd_limit_metric, key, ratio, o.fd_warning_ratio));
    if (ratio > worst) {
      worst = ratio;
      b.summary = "Process " + std::string(key.Get("name")) + " (pid " +
                  std::string(key.Get("pid")) + ") uses " + Fixed(fds.value, 0) + " of " +
                  Fixed(limit->value, 0) + " file descriptors";
    }
  }
  if (level == Level::kNone) return Status::Ok();
  b.severity = SeverityName(level);
  out.push_back(std::move(b));
  return Status::Ok();
}

Status DetectPressure(const WindowQuery& q, const BottleneckOptions& o,
                      std::vector<Bottleneck>& out) {
  const std::string expr = q.Over("avg_over_time", "system_pressure_percent{window=\"10s\"}");
  PW_TRY(vec, q.Vector(expr));
  Level level = Level::kNone;
  std::vector<Evidence> evidence;
  std::set<std::string> resources;
  std::string worst;
  double worst_value = -1;
  for (const VectorSample& s : *vec) {
    const bool full = s.labels.Get("kind") == "full";
    const double warning = full ? o.psi_full_warning_percent : o.psi_some_warning_percent;
    const Level l =
        LevelOf(s.value, warning, full ? o.psi_full_critical_percent : o.psi_some_critical_percent);
    if (l == Level::kNone) continue;
    level = std::max(level, l);
    resources.insert(std::string(s.labels.Get("resource")));
    evidence.push_back(MakeEvidence(q, expr, s.labels, s.value, warning));
    if (s.value > worst_value) {
      worst_value = s.value;
      worst = std::string(full ? "all" : "some") + " tasks stalled on " +
              std::string(s.labels.Get("resource")) + " " + Fixed(s.value, 1) + "% of the time";
    }
  }
  if (level == Level::kNone) return Status::Ok();
  out.push_back({"pressure_stall", SeverityName(level), "Pressure stall: " + worst + InWindow(q),
                 std::move(evidence), recommendations::Pressure(resources)});
  return Status::Ok();
}

#undef PW_TRY

}  // namespace

Result<std::vector<Bottleneck>> DetectBottlenecks(const SeriesSource& source, TimestampMs now,
                                                  const BottleneckOptions& options,
                                                  std::vector<std::string>* notes) {
  const WindowQuery q(source, now, options.window_ms);
  std::vector<Bottleneck> out;
  using Detector =
      Status (*)(const WindowQuery&, const BottleneckOptions&, std::vector<Bottleneck>&);
  static constexpr struct {
    std::string_view kind;
    Detector detect;
  } kDetectors[] = {{"cpu_bound", DetectCpu},          {"memory_pressure", DetectMemory},
                    {"swap_thrashing", DetectSwap},    {"io_saturation", DetectIo},
                    {"network_errors", DetectNetwork}, {"fd_exhaustion", DetectFds},
                    {"pressure_stall", DetectPressure}};
  for (const auto& d : kDetectors) {
    const size_t before = out.size();
    Status s = d.detect(q, options, out);
    if (s.ok()) continue;
    if (s.code() != Status::Code::kResourceExhausted) return s;
    out.resize(before);
    if (notes) notes->push_back(std::string(d.kind) + " not judged: " + s.message());
  }
  std::stable_sort(out.begin(), out.end(), [](const Bottleneck& a, const Bottleneck& b) {
    return a.severity == "critical" && b.severity != "critical";
  });
  return out;
}

}  // namespace perfwatch
