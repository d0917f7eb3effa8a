// Reads OpenMetrics text line by line. The checks follow promtool 2.42's
// OpenMetrics parser and TSDB appender: "# EOF" last, a timestamp on every
// sample, single spaces between fields, no blank lines or free comments,
// only the \\ \" \n escapes, no duplicate label names.

#include <cstring>
#include <optional>
#include <string>

#include "interchange/openmetrics.h"
#include "interchange/prom_text.h"

namespace perfwatch {
namespace {

enum class FamilyType { kNone, kCounter, kGauge, kOther };

struct Family {
  explicit Family(std::string family_name = "") : name(std::move(family_name)) {}
  std::string name;
  FamilyType type = FamilyType::kNone;
  std::string help;
  std::string unit;
};

bool IsMetricNameChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         c == ':';
}

size_t ScanMetricName(std::string_view line, size_t i) {
  if (i < line.size() && line[i] >= '0' && line[i] <= '9') return i;
  while (i < line.size() && IsMetricNameChar(line[i])) ++i;
  return i;
}

std::optional<FamilyType> ParseFamilyType(std::string_view text) {
  if (text == "counter") return FamilyType::kCounter;
  if (text == "gauge") return FamilyType::kGauge;
  for (std::string_view other :
       {"histogram", "gaugehistogram", "summary", "info", "stateset", "unknown"}) {
    if (text == other) return FamilyType::kOther;
  }
  return std::nullopt;
}

class OpenMetricsReader {
 public:
  OpenMetricsReader(TextInput& in, HistorySink& sink, ReadContext& context)
      : in_(in), sink_(sink), context_(context) {}

  Status Run() {
    const size_t max_line = context_.options().max_line_bytes;
    // Where "# EOF" is missing: after the last line, or on it when the input
    // ends inside it (no "\n"), not on a line the input does not have.
    uint64_t missing_eof_line = 1;
    for (;;) {
      line_number_ = in_.line();
      TextInput::LineResult result = in_.ReadLine(&line_, max_line);
      if (result == TextInput::LineResult::kEnd) break;
      missing_eof_line = in_.line_had_newline() ? in_.line() : line_number_;
      ++context_.stats().lines;
      Status s;
      if (result == TextInput::LineResult::kTooLong) {
        s = context_.BadRecord(line_number_,
                               "line longer than " + std::to_string(max_line) + " bytes");
      } else if (line_ == "# EOF") {
        return AfterEof();
      } else if (line_.starts_with('#')) {
        s = Metadata();
      } else {
        s = SampleLine();
      }
      if (!s.ok()) return s;
    }
    if (in_.failed()) return Status::IOError("reading the input failed at " + Where(line_number_));
    return ReadContext::Fatal(missing_eof_line, 0, "the input ends without \"# EOF\"");
  }

 private:
  Status AfterEof() {
    uint64_t next = in_.line();
    if (in_.ReadLine(&line_, 1) != TextInput::LineResult::kEnd) {
      return ReadContext::Fatal(next, 0, "unexpected data after \"# EOF\"");
    }
    if (in_.failed()) return Status::IOError("reading the input failed after \"# EOF\"");
    return Status::Ok();
  }

  Status Bad(size_t index, std::string_view why) {
    return context_.BadRecord(line_number_, index + 1, why);
  }

  // "# TYPE name type", "# HELP name text" or "# UNIT name unit".
  Status Metadata() {
    std::string_view line = line_;
    std::string_view keyword = line.substr(0, std::min<size_t>(7, line.size()));
    if (keyword != "# TYPE " && keyword != "# HELP " && keyword != "# UNIT ") {
      return Bad(0, "a comment line must be \"# TYPE\", \"# HELP\", \"# UNIT\" or \"# EOF\"");
    }
    size_t end = ScanMetricName(line, 7);
    if (end == 7) return Bad(7, "expected a metric name after \"" + std::string(keyword) + "\"");
    if (end == line.size() || line[end] != ' ') {
      return Bad(end, "expected a space and text after the metric name");
    }
    std::string_view name = line.substr(7, end - 7);
    std::string_view text = line.substr(end + 1);
    // Built aside and kept only when the line is good: a skipped line
    // (skip_bad_records) must not change the metadata of later samples.
    Family family = name == family_.name ? family_ : Family(std::string(name));
    if (keyword == "# TYPE ") {
      std::optional<FamilyType> type = ParseFamilyType(text);
      if (!type) return Bad(end + 1, "unknown metric type \"" + std::string(text) + "\"");
      family.type = *type;
    } else if (keyword == "# HELP ") {
      if (!UnescapePromText(text, &family.help)) {
        return Bad(end + 1, "bad escape in help text (allowed: \\\\, \\\" and \\n)");
      }
      if (!IsValidUtf8(family.help)) return Bad(end + 1, "help text is not valid UTF-8");
    } else {
      if (!text.empty() && !(name.ends_with(text) && name.size() > text.size() &&
                             name[name.size() - text.size() - 1] == '_')) {
        return Bad(end + 1, "unit \"" + std::string(text) + "\" is not a suffix of metric \"" +
                                std::string(name) + "\"");
      }
      family.unit = text;
    }
    family_ = std::move(family);
    return Status::Ok();
  }

  // The metadata of sample name `name` when the current family describes it.
  const MetricMeta* MetaFor(std::string_view name) {
    const std::string& f = family_.name;
    bool is_family = name == f;
    bool is_total = name.size() == f.size() + 6 && name.starts_with(f) && name.ends_with("_total");
    MetricKind kind;
    if (family_.type == FamilyType::kGauge && is_family) {
      kind = MetricKind::kGauge;
    } else if (family_.type == FamilyType::kCounter && (is_family || is_total)) {
      kind = MetricKind::kCounter;
    } else {
      return nullptr;
    }
    meta_ = MetricMeta{std::string(name), kind, family_.help, family_.unit};
    return &meta_;
  }

  // name[{labels}] value timestamp [# exemplar]
  Status SampleLine() {
    std::string_view line = line_;
    if (line.empty()) return Bad(0, "empty line (OpenMetrics has none)");
    if (line.back() == '\r') {
      return Bad(line.size() - 1, "carriage return at the end of the line (lines end with \\n)");
    }
    size_t i = 0;
    bool same_series = has_series_ && line.size() > series_text_.size() &&
                       line.starts_with(series_text_) && line[series_text_.size()] == ' ';
    if (same_series) {
      i = series_text_.size();
    } else {
      i = ScanMetricName(line, 0);
      if (i == 0) return Bad(0, "expected a metric name");
      key_.name.assign(line.substr(0, i));
      key_.labels = Labels();
      if (i < line.size() && line[i] == '{') {
        size_t pos = i;
        if (Status s = ParseLabelSet(line, &pos, &key_.labels); !s.ok()) {
          return Bad(pos, s.message());
        }
        i = pos;
      }
    }
    size_t series_end = i;
    std::string_view after = line[series_end - 1] == '}' ? "the labels" : "the metric name";
    if (i == line.size()) return Bad(i, "expected a value after " + std::string(after));
    if (line[i] != ' ') return Bad(i, "expected a space after " + std::string(after));
    size_t value_start = ++i;
    while (i < line.size() && line[i] != ' ') ++i;
    std::string_view value_text = line.substr(value_start, i - value_start);
    double value = 0;
    if (!ParsePromFloat(value_text, &value)) {
      return Bad(value_start, "invalid value \"" + std::string(value_text) + "\"");
    }
    if (i == line.size()) {
      return Bad(i, "expected a timestamp after the value (promtool needs one on every sample)");
    }
    size_t ts_start = ++i;
    while (i < line.size() && line[i] != ' ') ++i;
    std::string_view ts_text = line.substr(ts_start, i - ts_start);
    TimestampMs t_ms = 0;
    if (ts_text == "#") {
      return Bad(ts_start, "expected a timestamp before the exemplar (promtool needs one)");
    }
    if (!ParseSecondsAsMs(ts_text, &t_ms)) {
      return Bad(ts_start, "invalid timestamp \"" + std::string(ts_text) + "\" (seconds)");
    }
    if (i < line.size() && !line.substr(i).starts_with(" # {")) {
      return Bad(i, "unexpected text after the timestamp");
    }
    if (!same_series) {
      if (Status s = sink_.BeginSeries(key_, MetaFor(key_.name)); !s.ok()) {
        return ReadContext::FromSink(line_number_, s);
      }
      series_text_.assign(line.substr(0, series_end));
      has_series_ = true;
    }
    if (Status s = sink_.AddSample({t_ms, value}); !s.ok()) {
      return ReadContext::FromSink(line_number_, s);
    }
    ++context_.stats().samples;
    return Status::Ok();
  }

  TextInput& in_;
  HistorySink& sink_;
  ReadContext& context_;
  std::string line_;
  uint64_t line_number_ = 1;
  Family family_;
  MetricMeta meta_;
  // The series of the previous sample, and its text: a line that starts
  // with the same text (then a space) is the same series, unparsed.
  SeriesKey key_;
  std::string series_text_;
  bool has_series_ = false;
};

}  // namespace

Status ReadOpenMetrics(TextInput& in, HistorySink& sink, ReadContext& context) {
  return OpenMetricsReader(in, sink, context).Run();
}

}  // namespace perfwatch
