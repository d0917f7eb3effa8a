#include "collect/procfs_memory.h"

#include <algorithm>

#include "collect/proc_text.h"
#include "collect/sample_writer.h"

namespace perfwatch {
namespace {

constexpr MetricDef kTotal{"system_memory_total_bytes", MetricKind::kGauge, "bytes",
                           "Usable RAM (MemTotal)."};
constexpr MetricDef kAvailable{"system_memory_available_bytes", MetricKind::kGauge, "bytes",
                               "RAM available for new work without swapping (MemAvailable)."};
constexpr MetricDef kUsed{"system_memory_used_bytes", MetricKind::kGauge, "bytes",
                          "MemTotal - MemAvailable."};
constexpr MetricDef kUsedPercent{"system_memory_used_percent", MetricKind::kGauge, "percent",
                                 "100 * used / total."};
constexpr MetricDef kFree{"system_memory_free_bytes", MetricKind::kGauge, "bytes",
                          "RAM not used at all (MemFree)."};
constexpr MetricDef kBuffers{"system_memory_buffers_bytes", MetricKind::kGauge, "bytes",
                             "Block device buffers (Buffers)."};
constexpr MetricDef kCached{"system_memory_cached_bytes", MetricKind::kGauge, "bytes",
                            "Page cache (Cached)."};
constexpr MetricDef kSwapTotal{"system_swap_total_bytes", MetricKind::kGauge, "bytes",
                               "Swap space (SwapTotal)."};
constexpr MetricDef kSwapUsed{"system_swap_used_bytes", MetricKind::kGauge, "bytes",
                              "SwapTotal - SwapFree."};
constexpr MetricDef kSwapUsedPercent{"system_swap_used_percent", MetricKind::kGauge, "percent",
                                     "100 * swap used / swap total; 0 without swap."};
constexpr MetricDef kDefs[] = {kTotal,   kAvailable, kUsed,      kUsedPercent, kFree,
                               kBuffers, kCached,    kSwapTotal, kSwapUsed,    kSwapUsedPercent};

double Percent(uint64_t part, uint64_t whole) {
  return whole == 0 ? 0.0 : 100.0 * static_cast<double>(part) / static_cast<double>(whole);
}

}  // namespace

Result<MemInfo> ParseMeminfo(std::string_view text) {
  MemInfo m;
  bool have_total = false, have_free = false, have_available = false;
  LineScanner lines(text);
  std::string_view line;
  while (lines.Next(line)) {
    size_t colon = line.find(':');
    if (colon == std::string_view::npos) {
      if (line.empty()) continue;
      return LineError(lines.number(), "expected \"Name: value kB\"", line);
    }
    std::string_view key = line.substr(0, colon);
    uint64_t* target = nullptr;
    if (key == "MemTotal") {
      target = &m.total;
      have_total = true;
    } else if (key == "MemFree") {
      target = &m.free;
      have_free = true;
    } else if (key == "MemAvailable") {
      target = &m.available;
      have_available = true;
    } else if (key == "Buffers") {
      target = &m.buffers;
    } else if (key == "Cached") {
      target = &m.cached;
    } else if (key == "SwapTotal") {
      target = &m.swap_total;
    } else if (key == "SwapFree") {
      target = &m.swap_free;
    } else {
      continue;
    }
    FieldScanner fields(line.substr(colon + 1));
    uint64_t kb = 0;
    if (!fields.NextNumber(kb)) return LineError(lines.number(), "expected a number", line);
    *target = kb * 1024;
  }
  if (!have_total || !have_free) return Status::InvalidArgument("no MemTotal or MemFree line");
  if (!have_available) m.available = std::min(m.total, m.free + m.buffers + m.cached);
  return m;
}

MemoryCollector::MemoryCollector(const HostPaths& paths) : meminfo_(paths.procfs + "/meminfo") {}

Status MemoryCollector::Collect(Appender& out) {
  Result<std::string_view> text = meminfo_.Read(reader_);
  if (!text.ok()) return text.status();
  Result<MemInfo> m = ParseMeminfo(*text);
  if (!m.ok()) return PrefixPath(meminfo_.path(), m.status());
  if (!described_) {
    DescribeAll(out, kDefs);
    described_ = true;
  }
  // Containers can report MemAvailable above MemTotal; never go negative.
  uint64_t used = m->total > m->available ? m->total - m->available : 0;
  uint64_t swap_used = m->swap_total > m->swap_free ? m->swap_total - m->swap_free : 0;
  const Labels none;
  SampleWriter w(out);
  w.Add(kTotal, none, static_cast<double>(m->total));
  w.Add(kAvailable, none, static_cast<double>(m->available));
  w.Add(kUsed, none, static_cast<double>(used));
  w.Add(kUsedPercent, none, Percent(used, m->total));
  w.Add(kFree, none, static_cast<double>(m->free));
  w.Add(kBuffers, none, static_cast<double>(m->buffers));
  w.Add(kCached, none, static_cast<double>(m->cached));
  w.Add(kSwapTotal, none, static_cast<double>(m->swap_total));
  w.Add(kSwapUsed, none, static_cast<double>(swap_used));
  w.Add(kSwapUsedPercent, none, Percent(swap_used, m->swap_total));
  return w.Finish();
}

}  // namespace perfwatch
