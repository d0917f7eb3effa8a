// Writes OpenMetrics text: per family "# TYPE", "# UNIT" (when the unit is
// a suffix of the family name, as OpenMetrics requires), "# HELP" once, then
// `name{labels} value seconds` lines, then "# EOF".

#include <string>
#include <unordered_set>

#include "interchange/chunked_text.h"
#include "interchange/openmetrics.h"
#include "interchange/prom_text.h"

namespace perfwatch {
namespace {

constexpr std::string_view kTotal = "_total";

class OpenMetricsWriter final : public HistoryWriter {
 public:
  OpenMetricsWriter(ChunkOutput out, const WriteOptions& options)
      : text_(std::move(out), options.chunk_bytes) {}

  Status BeginSeries(const SeriesKey& key, const MetricMeta* meta) override {
    if (!IsValidMetricName(key.name)) {
      return Status::InvalidArgument("invalid metric name \"" + key.name + "\"");
    }
    prefix_ = key.name;
    prefix_ += key.labels.ToString();
    prefix_ += ' ';
    has_meta_ = meta != nullptr;
    if (meta) meta_ = *meta;
    meta_.name = key.name;
    family_pending_ = true;
    in_series_ = true;
    return Status::Ok();
  }

  Status AddSample(Sample sample) override {
    if (!in_series_) return Status::Internal("AddSample before BeginSeries");
    std::string& out = text_.text();
    if (family_pending_) {
      WriteFamily(out);
      family_pending_ = false;
    }
    out += prefix_;
    AppendPrometheusFloat(out, sample.value);
    out += ' ';
    AppendMsAsSeconds(out, sample.t_ms);
    out += '\n';
    text_.MaybeFlush();
    return Status::Ok();
  }

  void Finish() override {
    text_.text() += "# EOF\n";
    text_.Flush();
  }

 private:
  // Metadata lines of the current series' family, the first time it has
  // samples. A counter's family is its name without "_total"; a counter
  // named otherwise cannot be an OpenMetrics counter and is "unknown".
  void WriteFamily(std::string& out) {
    if (!has_meta_) return;
    std::string_view name = meta_.name;
    std::string_view family = name;
    std::string_view type = "gauge";
    if (meta_.kind == MetricKind::kCounter) {
      bool total = name.size() > kTotal.size() && name.ends_with(kTotal);
      if (total) family.remove_suffix(kTotal.size());
      type = total ? "counter" : "unknown";
    }
    if (!families_.emplace(family).second) return;
    out += "# TYPE ";
    out += family;
    out += ' ';
    out += type;
    out += '\n';
    const std::string& unit = meta_.unit;
    if (!unit.empty() && family.size() > unit.size() && family.ends_with(unit) &&
        family[family.size() - unit.size() - 1] == '_') {
      out += "# UNIT ";
      out += family;
      out += ' ';
      out += unit;
      out += '\n';
    }
    if (!meta_.help.empty()) {
      out += "# HELP ";
      out += family;
      out += ' ';
      AppendEscapedLabelValue(out, meta_.help);
      out += '\n';
    }
  }

  ChunkedText text_;
  std::string prefix_;  // `name{labels} ` of the current series
  MetricMeta meta_;
  bool has_meta_ = false;
  bool family_pending_ = false;
  bool in_series_ = false;
  std::unordered_set<std::string> families_;  // families whose metadata is written
};

}  // namespace

std::unique_ptr<HistoryWriter> MakeOpenMetricsWriter(ChunkOutput out, const WriteOptions& options) {
  return std::make_unique<OpenMetricsWriter>(std::move(out), options);
}

}  // namespace perfwatch
