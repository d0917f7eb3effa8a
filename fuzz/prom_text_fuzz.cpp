// Prometheus text (POST /api/v1/push): the input through ParsePromText as
// OpenMetrics and as 0.0.4 text, every handed-over series through
// ParseSeriesLabels and back through the parser alone, then the whole input
// through IngestPromText into a fresh AppMetrics with a small series limit,
// flushed into a Tick.
//
// Checks: a sample's series and name lie inside the input, the name is a
// valid metric name and starts the series, line numbers never go back and
// stay within the input's lines; every error has a reason and a message
// naming its line; the series text alone re-parses to the same series;
// every line with content is either a sample, an error or a comment; the
// push counts match what the parser saw; every emitted series name is
// valid.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "ingest/app_metrics.h"
#include "ingest/prom_text_parser.h"
#include "ingest/push.h"
#include "model/labels.h"
#include "model/registry.h"
#include "model/tick.h"

using namespace perfwatch;

namespace {

bool Inside(std::string_view part, std::string_view whole) {
  return part.data() >= whole.data() && part.data() + part.size() <= whole.data() + whole.size();
}

class Checker : public PromTextHandler {
 public:
  explicit Checker(std::string_view text)
      : text_(text), lines_(std::count(text.begin(), text.end(), '\n') + 1) {}

  void Sample(size_t line, std::string_view series, std::string_view name, double,
              std::optional<TimestampMs>) override {
    Line(line);
    if (!Inside(series, text_) || !Inside(name, text_) || !series.starts_with(name) ||
        !IsValidMetricName(name)) {
      __builtin_trap();
    }
    Labels labels;
    Status s = ParseSeriesLabels(series, &labels);
    if (!s.ok() && s.message().empty()) __builtin_trap();
    Reparse(series);
    ++samples;
  }

  void Error(size_t line, std::string_view reason, std::string_view message) override {
    Line(line);
    if (reason.empty() || message.find("line " + std::to_string(line)) == std::string_view::npos) {
      __builtin_trap();
    }
    ++errors;
  }

  size_t samples = 0;
  size_t errors = 0;

 private:
  void Line(size_t line) {
    if (line < last_line_ || line == 0 || line > lines_) __builtin_trap();
    last_line_ = line;
  }

  static void Reparse(std::string_view series) {
    struct One : PromTextHandler {
      void Sample(size_t, std::string_view s, std::string_view, double,
                  std::optional<TimestampMs>) override {
        series = std::string(s);
        ++n;
      }
      void Error(size_t, std::string_view, std::string_view) override { ++n; }
      std::string series;
      int n = 0;
    } one;
    ParsePromText(std::string(series) + " 1", one);
    if (one.n != 1 || one.series != series) __builtin_trap();
  }

  std::string_view text_;
  size_t lines_;
  size_t last_line_ = 0;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  PromTextOptions options;
  options.max_line_bytes = 256;
  Checker checker(text);
  for (const bool openmetrics : {true, false}) {  // the 0.0.4 run is left in `checker`
    checker = Checker(text);
    options.openmetrics = openmetrics;
    const size_t handed = ParsePromText(text, checker, options);
    if (handed != checker.samples) __builtin_trap();
  }

  IngestLimits limits;
  limits.max_series = 16;
  AppMetrics metrics(limits);
  PushResult result;
  {
    AppMetrics::Batch batch = metrics.Begin(IngestSource::kPush);
    result = IngestPromText(text, batch, options);
  }
  // Each sample is accepted, refused or limited once; each error refused.
  if (result.accepted + result.rejected + result.limited != checker.samples + checker.errors ||
      result.errors.size() > kMaxPushErrors || result.unreadable) {
    __builtin_trap();
  }
  if (metrics.AcceptedCount(IngestSource::kPush) != result.accepted ||
      metrics.SeriesCount(IngestSource::kPush) > limits.max_series) {
    __builtin_trap();
  }
  SeriesRegistry registry;
  Tick tick(registry, 1'700'000'000'000);
  metrics.Flush(tick, 1'700'000'000'000);
  for (const auto& [id, value] : tick.samples()) {
    if (!IsValidMetricName(registry.Key(id).name)) __builtin_trap();
  }
  return 0;
}
