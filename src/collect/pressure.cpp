#include "collect/pressure.h"

#include "collect/proc_text.h"
#include "collect/sample_writer.h"

namespace perfwatch {
namespace {

constexpr MetricDef kStalled{"system_pressure_stalled_seconds_total", MetricKind::kCounter,
                             "seconds",
                             "Time tasks were stalled on the resource (kind some: at least one "
                             "task; full: all non-idle tasks)."};
constexpr MetricDef kPercent{"system_pressure_percent", MetricKind::kGauge, "percent",
                             "Share of wall time stalled, averaged by the kernel over the window."};
constexpr MetricDef kDefs[] = {kStalled, kPercent};

// Parses "name=value" into value when the name matches.
template <typename T>
bool NextKeyValue(FieldScanner& fields, std::string_view key, T& value) {
  std::string_view field;
  return fields.Next(field) && field.size() > key.size() + 1 && field.starts_with(key) &&
         field[key.size()] == '=' && ParseNumber(field.substr(key.size() + 1), value);
}

}  // namespace

Result<Pressure> ParsePressure(std::string_view text) {
  Pressure p;
  LineScanner lines(text);
  std::string_view line;
  while (lines.Next(line)) {
    FieldScanner fields(line);
    std::string_view kind;
    if (!fields.Next(kind)) continue;
    std::optional<PressureLine>* target = kind == "some"   ? &p.some
                                          : kind == "full" ? &p.full
                                                           : nullptr;
    if (target == nullptr) return LineError(lines.number(), "expected some or full", line);
    PressureLine l;
    if (!NextKeyValue(fields, "avg10", l.avg10) || !NextKeyValue(fields, "avg60", l.avg60) ||
        !NextKeyValue(fields, "avg300", l.avg300) || !NextKeyValue(fields, "total", l.total_us)) {
      return LineError(lines.number(), "expected avg10= avg60= avg300= total=", line);
    }
    *target = l;
  }
  if (!p.some) return Status::InvalidArgument("no \"some\" line");
  return p;
}

PressureCollector::PressureCollector(const HostPaths& paths) {
  constexpr std::string_view kKinds[] = {"some", "full"};
  constexpr std::string_view kWindows[] = {"10s", "60s", "300s"};
  for (size_t r = 0; r < kPressureResources.size(); ++r) {
    std::string resource(kPressureResources[r]);
    files_.emplace_back(paths.procfs + "/pressure/" + resource);
    for (size_t k = 0; k < 2; ++k) {
      std::string kind(kKinds[k]);
      series_[r][k].stalled = Labels{{"resource", resource}, {"kind", kind}};
      for (size_t w = 0; w < 3; ++w) {
        series_[r][k].percent[w] =
            Labels{{"resource", resource}, {"kind", kind}, {"window", std::string(kWindows[w])}};
      }
    }
  }
}

Status PressureCollector::Collect(Appender& out) {
  Status first_error;
  bool described_now = false;
  SampleWriter w(out);
  for (size_t r = 0; r < files_.size(); ++r) {
    Result<std::string_view> text = files_[r].Read(reader_);
    Result<Pressure> p = text.ok() ? ParsePressure(*text) : Result<Pressure>(text.status());
    if (!p.ok()) {
      if (first_error.ok()) {
        first_error = text.ok() ? PrefixPath(files_[r].path(), p.status()) : p.status();
      }
      continue;
    }
    if (!described_ && !described_now) {
      DescribeAll(out, kDefs);
      described_now = true;
    }
    const std::optional<PressureLine>* lines[] = {&p->some, &p->full};
    for (size_t k = 0; k < 2; ++k) {
      if (!*lines[k]) continue;
      const PressureLine& l = **lines[k];
      const Series& s = series_[r][k];
      w.Add(kStalled, s.stalled, static_cast<double>(l.total_us) / 1e6);
      w.Add(kPercent, s.percent[0], l.avg10);
      w.Add(kPercent, s.percent[1], l.avg60);
      w.Add(kPercent, s.percent[2], l.avg300);
    }
  }
  described_ = described_ || described_now;
  return w.Finish(std::move(first_error));
}

}  // namespace perfwatch
