// Reads CSV history record by record. Quoting follows RFC 4180: a field is
// either plain (no quotes in it) or quoted, with "" for a quote inside, and
// may then span lines. CRLF and LF line ends are both accepted.

#include <charconv>
#include <string>
#include <vector>

#include "interchange/csv_history.h"
#include "interchange/prom_text.h"

namespace perfwatch {
namespace {

constexpr std::string_view kUtf8Bom = "\xEF\xBB\xBF";

struct Field {
  std::string text;
  uint64_t column = 0;  // 1-based, where the field starts on the record's first line
};

class CsvReader {
 public:
  CsvReader(TextInput& in, HistorySink& sink, ReadContext& context)
      : in_(in), sink_(sink), context_(context) {}

  Status Run() {
    bool header_seen = false;
    for (;;) {
      bool end = false;
      if (Status s = NextRecord(&end); !s.ok()) return s;
      if (end) break;
      if (fields_.size() == 1 && fields_[0].text.empty()) continue;  // a blank line
      if (!header_seen) {
        if (Status s = Header(); !s.ok()) return s;
        header_seen = true;
        continue;
      }
      if (Status s = Row(); !s.ok()) return s;
    }
    if (in_.failed()) return Status::IOError("reading the input failed at " + Where(record_line_));
    if (!header_seen) {
      return ReadContext::Fatal(1, 0,
                                "empty input; expected the header " + std::string(kCsvHeader));
    }
    return Status::Ok();
  }

 private:
  // Reads one physical line; false at the end of the input.
  bool ReadPhysicalLine(Status* status) {
    const size_t max_line = context_.options().max_line_bytes;
    TextInput::LineResult result = in_.ReadLine(&line_, max_line);
    if (result == TextInput::LineResult::kEnd) return false;
    ++context_.stats().lines;
    if (result == TextInput::LineResult::kTooLong) {
      *status = ReadContext::Fatal(in_.line() - 1, 0,
                                   "line longer than " + std::to_string(max_line) + " bytes");
      return false;
    }
    if (!line_.empty() && line_.back() == '\r') line_.pop_back();
    return true;
  }

  // Splits the next record into fields_; *end when the input is used up.
  Status NextRecord(bool* end) {
    record_line_ = in_.line();
    Status status;
    if (!ReadPhysicalLine(&status)) {
      *end = status.ok();
      return status;
    }
    if (record_line_ == 1 && std::string_view(line_).starts_with(kUtf8Bom)) line_.erase(0, 3);
    fields_.clear();
    size_t i = 0;
    for (;;) {
      fields_.push_back({std::string(), i + 1});
      std::string& text = fields_.back().text;
      if (i < line_.size() && line_[i] == '"') {
        if (Status s = QuotedField(&i, &text); !s.ok()) return s;
      } else {
        size_t comma = line_.find(',', i);
        size_t stop = comma == std::string::npos ? line_.size() : comma;
        size_t quote = line_.find('"', i);
        if (quote < stop) {
          return ReadContext::Fatal(in_.line() - 1, quote + 1,
                                    "a quote inside an unquoted field (quote the whole field)");
        }
        text.assign(line_, i, stop - i);
        i = stop;
      }
      if (i == line_.size()) return Status::Ok();
      ++i;  // the comma
    }
  }

  // A quoted field starting at line_[*i] == '"'; it may continue on the
  // following lines, which then replace line_.
  Status QuotedField(size_t* i, std::string* text) {
    size_t pos = *i + 1;
    for (;;) {
      size_t quote = line_.find('"', pos);
      if (quote == std::string::npos) {
        text->append(line_, pos);
        *text += '\n';
        Status status;
        if (!ReadPhysicalLine(&status)) {
          if (!status.ok()) return status;
          return ReadContext::Fatal(record_line_, 0, "unterminated quoted field");
        }
        if (text->size() > context_.options().max_line_bytes) {
          return ReadContext::Fatal(record_line_, 0, "quoted field longer than the line limit");
        }
        pos = 0;
        continue;
      }
      text->append(line_, pos, quote - pos);
      if (quote + 1 < line_.size() && line_[quote + 1] == '"') {
        *text += '"';
        pos = quote + 2;
        continue;
      }
      *i = quote + 1;
      if (*i < line_.size() && line_[*i] != ',') {
        return ReadContext::Fatal(in_.line() - 1, *i + 1, "unexpected text after a closing quote");
      }
      return Status::Ok();
    }
  }

  Status Header() {
    std::string joined;
    for (size_t k = 0; k < fields_.size(); ++k) {
      if (k) joined += ',';
      joined += fields_[k].text;
    }
    if (joined != kCsvHeader) {
      return ReadContext::Fatal(
          record_line_, 0,
          "expected the header " + std::string(kCsvHeader) + ", got \"" + joined + "\"");
    }
    return Status::Ok();
  }

  Status Bad(size_t field, std::string_view why) {
    return context_.BadRecord(record_line_, fields_[field].column, why);
  }

  Status Row() {
    if (fields_.size() != 4) {
      return context_.BadRecord(record_line_, 0,
                                "expected 4 fields (" + std::string(kCsvHeader) + "), got " +
                                    std::to_string(fields_.size()));
    }
    const std::string& name = fields_[0].text;
    const std::string& labels_text = fields_[1].text;
    bool same_series = has_series_ && name == key_.name && labels_text == labels_text_;
    if (!same_series) {
      if (!IsValidMetricName(name)) return Bad(0, "invalid metric name \"" + name + "\"");
      Labels labels;
      if (!labels_text.empty()) {
        size_t pos = 0;
        Status s = labels_text[0] == '{'
                       ? ParseLabelSet(labels_text, &pos, &labels)
                       : Status::InvalidArgument("expected {name=\"value\",...} or nothing");
        if (s.ok() && pos != labels_text.size()) {
          s = Status::InvalidArgument("unexpected text after the closing '}'");
        }
        if (!s.ok()) return Bad(1, "labels: " + s.message());
      }
      pending_key_.name = name;
      pending_key_.labels = std::move(labels);
    }
    const std::string& ts_text = fields_[2].text;
    TimestampMs t_ms = 0;
    auto [end, ec] = std::from_chars(ts_text.data(), ts_text.data() + ts_text.size(), t_ms);
    if (ts_text.empty() || ec != std::errc() || end != ts_text.data() + ts_text.size()) {
      return Bad(2, "invalid timestamp_ms \"" + ts_text + "\" (whole milliseconds)");
    }
    double value = 0;
    if (!ParsePromFloat(fields_[3].text, &value)) {
      return Bad(3, "invalid value \"" + fields_[3].text + "\"");
    }
    if (!same_series) {
      key_ = std::move(pending_key_);
      labels_text_ = labels_text;
      has_series_ = true;
      if (Status s = sink_.BeginSeries(key_, nullptr); !s.ok()) {
        return ReadContext::FromSink(record_line_, s);
      }
    }
    if (Status s = sink_.AddSample({t_ms, value}); !s.ok()) {
      return ReadContext::FromSink(record_line_, s);
    }
    ++context_.stats().samples;
    return Status::Ok();
  }

  TextInput& in_;
  HistorySink& sink_;
  ReadContext& context_;
  std::string line_;
  std::vector<Field> fields_;
  uint64_t record_line_ = 1;
  SeriesKey key_;            // the series of the previous row
  std::string labels_text_;  // and its labels field, as written
  bool has_series_ = false;
  SeriesKey pending_key_;
};

}  // namespace

Status ReadCsv(TextInput& in, HistorySink& sink, ReadContext& context) {
  return CsvReader(in, sink, context).Run();
}

}  // namespace perfwatch
