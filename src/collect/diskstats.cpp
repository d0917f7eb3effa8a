#include "collect/diskstats.h"

#include <algorithm>

#include "collect/proc_text.h"
#include "collect/sample_writer.h"

namespace perfwatch {
namespace {

constexpr MetricDef kReadBytes{"system_diskio_read_bytes_total", MetricKind::kCounter, "bytes",
                               "Bytes read (sectors × 512)."};
constexpr MetricDef kWrittenBytes{"system_diskio_written_bytes_total", MetricKind::kCounter,
                                  "bytes", "Bytes written (sectors × 512)."};
constexpr MetricDef kReads{"system_diskio_reads_total", MetricKind::kCounter, "",
                           "Reads completed."};
constexpr MetricDef kWrites{"system_diskio_writes_total", MetricKind::kCounter, "",
                            "Writes completed."};
constexpr MetricDef kReadTime{"system_diskio_read_time_seconds_total", MetricKind::kCounter,
                              "seconds", "Time spent by all reads (overlapping reads add up)."};
constexpr MetricDef kWriteTime{"system_diskio_write_time_seconds_total", MetricKind::kCounter,
                               "seconds", "Time spent by all writes (overlapping writes add up)."};
constexpr MetricDef kIoTime{"system_diskio_io_time_seconds_total", MetricKind::kCounter, "seconds",
                            "Time the device had at least one I/O in flight."};
constexpr MetricDef kUtilization{"system_diskio_utilization_percent", MetricKind::kGauge, "percent",
                                 "Share of wall time since the previous tick the "
                                 "device was busy (iostat's %util)."};
constexpr MetricDef kDefs[] = {kReadBytes, kWrittenBytes, kReads,  kWrites,
                               kReadTime,  kWriteTime,    kIoTime, kUtilization};

constexpr double kSectorBytes = 512;

bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsLower(char c) { return c >= 'a' && c <= 'z'; }

// Consumes one or more digits from the front of s.
bool EatDigits(std::string_view& s) {
  size_t n = 0;
  while (n < s.size() && IsDigit(s[n])) ++n;
  s.remove_prefix(n);
  return n > 0;
}
bool AllDigits(std::string_view s) { return EatDigits(s) && s.empty(); }

}  // namespace

bool IsIgnoredDiskDevice(std::string_view d) {
  for (std::string_view prefix : {"zram", "ram", "loop", "fd"}) {
    if (d.starts_with(prefix) && AllDigits(d.substr(prefix.size()))) return true;
  }
  // (h|s|v|xv)d[a-z]\d+
  std::string_view rest = d;
  if (rest.starts_with("xv")) {
    rest.remove_prefix(2);
  } else if (!rest.empty() && (rest[0] == 'h' || rest[0] == 's' || rest[0] == 'v')) {
    rest.remove_prefix(1);
  } else {
    rest = {};
  }
  if (rest.size() >= 3 && rest[0] == 'd' && IsLower(rest[1]) && AllDigits(rest.substr(2))) {
    return true;
  }
  // nvme\d+n\d+p\d+
  if (d.starts_with("nvme")) {
    rest = d.substr(4);
    if (EatDigits(rest) && rest.starts_with('n')) {
      rest.remove_prefix(1);
      if (EatDigits(rest) && rest.starts_with('p')) return AllDigits(rest.substr(1));
    }
  }
  return false;
}

Result<std::vector<DiskStats>> ParseDiskstats(std::string_view text) {
  std::vector<DiskStats> disks;
  LineScanner lines(text);
  std::string_view line;
  while (lines.Next(line)) {
    FieldScanner fields(line);
    uint64_t v[11] = {};
    std::string_view device, field;
    if (!fields.Skip(2)) continue;  // blank line
    if (!fields.Next(device)) return LineError(lines.number(), "expected a device name", line);
    int n = 0;
    while (n < 11 && fields.Next(field)) {
      if (!ParseNumber(field, v[n])) return LineError(lines.number(), "expected a number", line);
      ++n;
    }
    DiskStats d;
    d.device = device;
    if (n == 4) {  // old partition line: reads, read sectors, writes, written sectors
      d.reads = v[0];
      d.read_sectors = v[1];
      d.writes = v[2];
      d.written_sectors = v[3];
    } else if (n == 11) {
      d.reads = v[0];
      d.read_sectors = v[2];
      d.read_ms = v[3];
      d.writes = v[4];
      d.written_sectors = v[6];
      d.write_ms = v[7];
      d.io_ms = v[9];
    } else {
      return LineError(lines.number(), "expected 4 or at least 11 counters", line);
    }
    disks.push_back(d);
  }
  return disks;
}

DiskstatsCollector::DiskstatsCollector(const HostPaths& paths, CollectClock clock)
    : diskstats_(paths.procfs + "/diskstats"), clock_(std::move(clock)) {}

Status DiskstatsCollector::Collect(Appender& out) {
  Result<std::string_view> text = diskstats_.Read(reader_);
  if (!text.ok()) return text.status();
  auto now = clock_.steady();
  Result<std::vector<DiskStats>> disks = ParseDiskstats(*text);
  if (!disks.ok()) return PrefixPath(diskstats_.path(), disks.status());
  if (!described_) {
    DescribeAll(out, kDefs);
    described_ = true;
  }
  double wall_ms = std::chrono::duration<double, std::milli>(now - prev_time_).count();
  SampleWriter w(out);
  for (const DiskStats& d : *disks) {
    if (IsIgnoredDiskDevice(d.device)) continue;
    Device& dev = devices_.Get(d.device, [&] {
      return Device{Labels{{"device", std::string(d.device)}}};
    });
    w.Add(kReadBytes, dev.labels, static_cast<double>(d.read_sectors) * kSectorBytes);
    w.Add(kWrittenBytes, dev.labels, static_cast<double>(d.written_sectors) * kSectorBytes);
    w.Add(kReads, dev.labels, static_cast<double>(d.reads));
    w.Add(kWrites, dev.labels, static_cast<double>(d.writes));
    w.Add(kReadTime, dev.labels, static_cast<double>(d.read_ms) / 1000);
    w.Add(kWriteTime, dev.labels, static_cast<double>(d.write_ms) / 1000);
    w.Add(kIoTime, dev.labels, static_cast<double>(d.io_ms) / 1000);
    if (dev.has_prev && wall_ms > 0 && d.io_ms >= dev.prev_io_ms) {
      double busy_ms = static_cast<double>(d.io_ms - dev.prev_io_ms);
      w.Add(kUtilization, dev.labels, std::clamp(100.0 * busy_ms / wall_ms, 0.0, 100.0));
    }
    dev.prev_io_ms = d.io_ms;
    dev.has_prev = true;
  }
  devices_.Sweep();
  prev_time_ = now;
  return w.Finish();
}

}  // namespace perfwatch
