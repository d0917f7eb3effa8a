#include "commands/check_local.h"

#include <algorithm>
#include <map>
#include <optional>
#include <thread>

#include "collect/filesystem.h"
#include "collect/process.h"
#include "collect/procfs_memory.h"
#include "collect/procfs_stat.h"
#include "collect/procfs_system.h"
#include "model/appender.h"
#include "model/byte_size.h"

namespace perfwatch {
namespace {

// Keeps what the process collector appends; the check reads it back by
// metric name and `name` label.
class SampleList final : public Appender {
 public:
  struct Sample {
    std::string name;
    Labels labels;
    double value;
  };
  void Describe(const MetricMeta&) override {}
  Status Append(std::string_view name, const Labels& labels, double value) override {
    samples.push_back({std::string(name), labels, value});
    return Status::Ok();
  }
  std::vector<Sample> samples;
};

CheckItem Unknown(std::string name, const Status& why) {
  CheckItem item;
  item.name = name;
  item.state = CheckState::kUnknown;
  item.text = std::move(name) + ": " + why.message();
  return item;
}

// "memory 87.2% > 85%" when tripped, "memory 87.2%" otherwise.
CheckItem Measured(std::string name, double value, std::string unit, const Threshold& levels,
                   std::string perf_label, int precision = 1) {
  CheckItem item;
  item.state = Judge(value, levels);
  item.text = name + " " + FormatFixed(value, precision) + unit;
  if (item.state == CheckState::kCritical) {
    item.text += " > " + FormatFixed(*levels.crit, precision) + unit;
  } else if (item.state == CheckState::kWarning) {
    item.text += " > " + FormatFixed(*levels.warn, precision) + unit;
  }
  item.name = std::move(name);
  item.value = value;
  item.unit = std::move(unit);
  item.levels = levels;
  item.perf_label = std::move(perf_label);
  item.precision = precision;
  if (item.unit == "%") {
    item.min = 0;
    item.max = 100;
  }
  return item;
}

Result<ProcStat> ReadProcStat(ProcReader& reader, const std::string& procfs) {
  Result<std::string_view> text = reader.Read(procfs + "/stat");
  if (!text.ok()) return text.status();
  Result<ProcStat> stat = ParseProcStat(*text);
  if (!stat.ok()) return Status::InvalidArgument(procfs + "/stat: " + stat.status().message());
  return stat;
}

void AddMemory(const LocalCheckOptions& o, ProcReader& reader, std::vector<CheckItem>& items) {
  const std::string path = o.paths.procfs + "/meminfo";
  Result<std::string_view> text = reader.Read(path);
  Result<MemInfo> m = text.ok() ? ParseMeminfo(*text) : Result<MemInfo>(text.status());
  if (!m.ok()) {
    Status why =
        text.ok() ? Status::InvalidArgument(path + ": " + m.status().message()) : m.status();
    items.push_back(Unknown("memory", why));
    items.push_back(Unknown("swap", why));
    return;
  }
  // The same definitions as system_memory_used_percent and
  // system_swap_used_percent (collect/procfs_memory.cpp).
  uint64_t used = m->total > m->available ? m->total - m->available : 0;
  double mem = m->total == 0 ? 0 : 100.0 * static_cast<double>(used) / m->total;
  items.push_back(Measured("memory", mem, "%", o.memory, "memory"));
  uint64_t swap_used = m->swap_total > m->swap_free ? m->swap_total - m->swap_free : 0;
  double swap = m->swap_total == 0 ? 0 : 100.0 * static_cast<double>(swap_used) / m->swap_total;
  items.push_back(Measured("swap", swap, "%", o.swap, "swap"));
}

void AddLoad(const LocalCheckOptions& o, ProcReader& reader, size_t cpus,
             std::vector<CheckItem>& items) {
  Result<std::string_view> text = reader.Read(o.paths.procfs + "/loadavg");
  Result<LoadAverage> load = text.ok() ? ParseLoadavg(*text) : Result<LoadAverage>(text.status());
  if (!load.ok()) {
    items.push_back(Unknown("load", load.status()));
    return;
  }
  double per_core = load->load1 / static_cast<double>(std::max<size_t>(cpus, 1));
  CheckItem item = Measured("load1/core", per_core, "", o.load, "load1_per_core", 2);
  items.push_back(std::move(item));
}

// "/" -> "disk_root", "/var/lib" -> "disk_var_lib".
std::string DiskPerfLabel(const std::string& path) {
  std::string label = "disk_";
  std::string rest = path;
  while (!rest.empty() && rest.front() == '/') rest.erase(rest.begin());
  while (!rest.empty() && rest.back() == '/') rest.pop_back();
  if (rest.empty()) return label + "root";
  std::replace(rest.begin(), rest.end(), '/', '_');
  return label + rest;
}

std::string UnderRoot(const std::string& rootfs, const std::string& path) {
  if (rootfs.empty() || rootfs == "/") return path;
  std::string root = rootfs;
  while (!root.empty() && root.back() == '/') root.pop_back();
  return root + (path.empty() || path.front() != '/' ? "/" : "") + path;
}

void AddDisks(const LocalCheckOptions& o, std::vector<CheckItem>& items) {
  for (const std::string& path : o.disks) {
    Result<FsStats> fs = StatVfs(UnderRoot(o.paths.rootfs, path));
    if (!fs.ok()) {
      // A data volume that is not there is an outage, not a blind spot.
      CheckItem item;
      item.name = "disk " + path;
      item.state = CheckState::kCritical;
      item.text = "disk " + path + " not accessible: " + fs.status().message();
      items.push_back(std::move(item));
      continue;
    }
    items.push_back(
        Measured("disk " + path, DiskUsedPercent(*fs), "%", o.disk, DiskPerfLabel(path)));
  }
}

// `name` label -> RSS of each matching process, from one collection.
std::map<std::string, std::vector<double>> ProcessRss(const SampleList& list) {
  std::map<std::string, std::vector<double>> rss;
  for (const SampleList::Sample& s : list.samples) {
    if (s.name == "process_resident_memory_bytes") {
      rss[std::string(s.labels.Get("name"))].push_back(s.value);
    }
  }
  return rss;
}

void AddProcesses(const LocalCheckOptions& o, WatchedProcessCollector& collector,
                  std::vector<CheckItem>& items) {
  SampleList list;
  Status st = collector.Collect(list);
  std::map<std::string, std::vector<double>> rss = ProcessRss(list);
  for (const std::string& name : o.processes) {
    auto it = rss.find(name);
    if (it == rss.end()) {
      CheckItem item;
      item.name = "process " + name;
      item.state = st.ok() ? CheckState::kCritical : CheckState::kUnknown;
      item.text =
          st.ok() ? "process " + name + " not running" : "process " + name + ": " + st.message();
      item.value = 0;
      item.perf_label = "procs_" + name;
      item.precision = 0;
      item.min = 0;
      items.push_back(std::move(item));
      continue;
    }
    double largest = *std::max_element(it->second.begin(), it->second.end());
    CheckItem item;
    item.name = "process " + name;
    item.state = Judge(largest, o.process_rss);
    size_t n = it->second.size();
    item.text =
        "process " + name + " running (" + std::to_string(n) + (n == 1 ? " process" : " processes");
    if (o.process_rss.warn || o.process_rss.crit) {
      item.text += ", largest RSS " + FormatByteSize(static_cast<uint64_t>(largest));
      const std::optional<double>& level =
          item.state == CheckState::kCritical ? o.process_rss.crit : o.process_rss.warn;
      if (item.state != CheckState::kOk) {
        item.text += " > " + FormatByteSize(static_cast<uint64_t>(*level));
      }
    }
    item.text += ")";
    item.value = static_cast<double>(n);
    item.perf_label = "procs_" + name;
    item.precision = 0;
    item.min = 0;
    items.push_back(std::move(item));
  }
}

}  // namespace

std::vector<CheckItem> RunLocalCheck(const LocalCheckOptions& o) {
  std::vector<CheckItem> items;
  ProcReader reader;
  Result<ProcStat> before = ReadProcStat(reader, o.paths.procfs);
  std::optional<WatchedProcessCollector> processes;
  if (!o.processes.empty()) processes.emplace(o.paths, o.processes);
  if (before.ok()) std::this_thread::sleep_for(o.sample);
  Result<ProcStat> after = before.ok() ? ReadProcStat(reader, o.paths.procfs) : before;

  size_t cpus = 1;
  if (!after.ok()) {
    items.push_back(Unknown("cpu", after.status()));
  } else {
    cpus = after->cores.size();
    std::optional<double> busy = BusyPercent(before->all, after->all);
    if (busy) {
      items.push_back(Measured("cpu", *busy, "%", o.cpu, "cpu"));
    } else {
      items.push_back(Unknown(
          "cpu", Status::Unavailable("no CPU time passed during --sample; sample for longer")));
    }
  }
  AddMemory(o, reader, items);
  AddLoad(o, reader, cpus, items);
  AddDisks(o, items);
  if (processes) AddProcesses(o, *processes, items);
  return items;
}

}  // namespace perfwatch
