// Writes CSV history: the header, then `metric,"{labels}",timestamp_ms,value`
// rows with LF line ends.

#include <charconv>
#include <string>

#include "interchange/chunked_text.h"
#include "interchange/csv_history.h"
#include "interchange/prom_text.h"

namespace perfwatch {
namespace {

class CsvWriter final : public HistoryWriter {
 public:
  CsvWriter(ChunkOutput out, const WriteOptions& options)
      : text_(std::move(out), options.chunk_bytes) {
    text_.text() += kCsvHeader;
    text_.text() += '\n';
  }

  Status BeginSeries(const SeriesKey& key, const MetricMeta*) override {
    if (!IsValidMetricName(key.name)) {
      return Status::InvalidArgument("invalid metric name \"" + key.name + "\"");
    }
    prefix_ = key.name;
    prefix_ += ',';
    std::string labels = key.labels.ToString();
    if (!labels.empty()) {
      // Label text always holds quotes, so the field is always quoted.
      prefix_ += '"';
      for (char c : labels) {
        if (c == '"') prefix_ += '"';
        prefix_ += c;
      }
      prefix_ += '"';
    }
    prefix_ += ',';
    in_series_ = true;
    return Status::Ok();
  }

  Status AddSample(Sample sample) override {
    if (!in_series_) return Status::Internal("AddSample before BeginSeries");
    std::string& out = text_.text();
    out += prefix_;
    char buf[24];
    auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), sample.t_ms);
    out.append(buf, end);
    out += ',';
    AppendPrometheusFloat(out, sample.value);
    out += '\n';
    text_.MaybeFlush();
    return Status::Ok();
  }

  void Finish() override { text_.Flush(); }

 private:
  ChunkedText text_;
  std::string prefix_;  // `metric,"{labels}",` of the current series
  bool in_series_ = false;
};

}  // namespace

std::unique_ptr<HistoryWriter> MakeCsvWriter(ChunkOutput out, const WriteOptions& options) {
  return std::make_unique<CsvWriter>(std::move(out), options);
}

}  // namespace perfwatch
