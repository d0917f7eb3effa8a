// ReadHistory (interchange/interchange.h) on arbitrary text. The first byte
// picks the format (OpenMetrics, CSV, JSON), skip_bad_records, and either
// the default limits or tiny ones (64-byte lines, 4 buffered JSON points);
// the rest is the file.
//
// The read must terminate; every key handed to the sink must be well-formed
// (a valid metric name; labels sorted, unique, valid, non-empty, within the
// limits), metadata must name the key's metric, every BeginSeries must be
// followed by a sample, and ReadStats must count what the sink got. Every
// error must be "line L[, column C]: why" with L and C inside the input (with
// skip_bad_records, so must the kept messages of skipped records).
// Whatever was read, an error or not, is fed to MakeHistoryWriter of the same
// format as it is read; that text must read back without error to the same
// samples of the same series in the same order (values bit for bit, any NaN
// as NaN) and, for JSON, the same metadata.

#include <bit>
#include <charconv>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "interchange/interchange.h"
#include "series_key_check.h"

namespace {

using namespace perfwatch;

// One sample as a reader delivered it, with its series.
struct Delivered {
  std::string key;   // name{labels}
  std::string meta;  // JSON only: kind, help and unit, or "-" for none
  TimestampMs t = 0;
  double value = 0;
};

bool Same(const Delivered& a, const Delivered& b) {
  const bool same_value =
      std::isnan(a.value) ? std::isnan(b.value)
                          : std::bit_cast<uint64_t>(a.value) == std::bit_cast<uint64_t>(b.value);
  return a.key == b.key && a.meta == b.meta && a.t == b.t && same_value;
}

// Records what a reader delivers, checking the HistorySink contract, and
// forwards it to `next` (a writer) when there is one.
class CheckingSink final : public HistorySink {
 public:
  CheckingSink(HistoryFormat format, HistorySink* next) : format_(format), next_(next) {}

  Status BeginSeries(const SeriesKey& key, const MetricMeta* meta) override {
    if (!fuzz::IsWellFormedKey(key)) __builtin_trap();
    if (meta != nullptr && meta->name != key.name) __builtin_trap();
    if (begun_ && samples_in_series_ == 0) __builtin_trap();  // no series without samples
    begun_ = true;
    samples_in_series_ = 0;
    key_ = key.name + key.labels.ToString();
    meta_.clear();
    if (format_ == HistoryFormat::kJson) {
      meta_ = meta == nullptr
                  ? "-"
                  : std::string(ToString(meta->kind)) + "\n" + meta->help + "\n" + meta->unit;
    }
    return next_ != nullptr ? next_->BeginSeries(key, meta) : Status::Ok();
  }

  Status AddSample(Sample sample) override {
    if (!begun_) __builtin_trap();
    ++samples_in_series_;
    delivered.push_back({key_, meta_, sample.t_ms, sample.value});
    return next_ != nullptr ? next_->AddSample(sample) : Status::Ok();
  }

  void CheckEnded() const {
    if (begun_ && samples_in_series_ == 0) __builtin_trap();
  }

  std::vector<Delivered> delivered;

 private:
  const HistoryFormat format_;
  HistorySink* const next_;
  bool begun_ = false;
  uint64_t samples_in_series_ = 0;
  std::string key_;
  std::string meta_;
};

// Parses a run of decimal digits at text[*pos]; false if there is none.
bool ParseNumber(std::string_view text, size_t* pos, uint64_t* n) {
  const char* begin = text.data() + *pos;
  auto [end, ec] = std::from_chars(begin, text.data() + text.size(), *n);
  if (ec != std::errc() || end == begin) return false;
  *pos += static_cast<size_t>(end - begin);
  return true;
}

// Whether `message` starts "line L: " or "line L, column C: " with line L
// in `input` and C at most one past its end (where something was missing).
bool NamesAPlaceIn(std::string_view message, std::string_view input) {
  size_t pos = 5;
  uint64_t line = 0;
  uint64_t column = 0;
  if (!message.starts_with("line ") || !ParseNumber(message, &pos, &line) || line == 0) {
    return false;
  }
  if (message.substr(pos).starts_with(", column ")) {
    pos += 9;
    if (!ParseNumber(message, &pos, &column) || column == 0) return false;
  }
  if (!message.substr(pos).starts_with(": ")) return false;
  // Line `line` of the input: after line - 1 newlines, up to the next one.
  size_t start = 0;
  for (uint64_t l = 1; l < line; ++l) {
    const size_t nl = input.find('\n', start);
    if (nl == std::string_view::npos) return false;
    start = nl + 1;
  }
  const size_t end = std::min(input.find('\n', start), input.size());
  return column <= end - start + 1;
}

Status Read(HistoryFormat format, std::string_view text, HistorySink& sink,
            const ReadOptions& options, ReadStats* stats) {
  std::istringstream in{std::string(text)};
  return ReadHistory(format, in, sink, options, stats);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  static constexpr HistoryFormat kFormats[] = {HistoryFormat::kOpenMetrics, HistoryFormat::kCsv,
                                               HistoryFormat::kJson};
  const HistoryFormat format = kFormats[data[0] % 3];
  ReadOptions options;
  options.skip_bad_records = (data[0] / 3) % 2 == 1;
  if ((data[0] / 6) % 2 == 1) {
    options.max_line_bytes = 64;
    options.max_buffered_points = 4;
  }
  const std::string_view input(reinterpret_cast<const char*>(data) + 1, size - 1);

  std::string written;
  std::unique_ptr<HistoryWriter> writer = MakeHistoryWriter(
      format, [&written](std::string_view chunk) { written.append(chunk); },
      WriteOptions{.chunk_bytes = 256});
  CheckingSink sink(format, writer.get());
  ReadStats stats;
  const Status status = Read(format, input, sink, options, &stats);
  sink.CheckEnded();
  if (stats.samples != sink.delivered.size()) __builtin_trap();
  if (!status.ok()) {
    if (status.code() != Status::Code::kInvalidArgument) __builtin_trap();
    if (!NamesAPlaceIn(status.message(), input)) __builtin_trap();
  }
  if (!options.skip_bad_records && stats.skipped != 0) __builtin_trap();
  if (stats.skipped_errors.size() > kMaxKeptErrors || stats.skipped_errors.size() > stats.skipped) {
    __builtin_trap();
  }
  for (const std::string& message : stats.skipped_errors) {
    if (!NamesAPlaceIn(message, input)) __builtin_trap();
  }

  writer->Finish();
  CheckingSink reread(format, nullptr);
  ReadStats reread_stats;
  if (!Read(format, written, reread, ReadOptions{}, &reread_stats).ok()) __builtin_trap();
  reread.CheckEnded();
  if (reread.delivered.size() != sink.delivered.size()) __builtin_trap();
  for (size_t i = 0; i < reread.delivered.size(); ++i) {
    if (!Same(reread.delivered[i], sink.delivered[i])) __builtin_trap();
  }
  return 0;
}
