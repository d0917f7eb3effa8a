// Writes {"series":[{"metric":…,"labels":{…},"type":…,"help":…,"unit":…,
// "points":[[ms,value],…]},…]}: metric, labels and metadata come before the
// points so a reader can stream them. NaN and ±Inf, which JSON cannot
// spell, are the strings "NaN", "+Inf" and "-Inf"; -0.0 is "-0.0" (a bare
// "-0" would read back as the integer 0).

#include <charconv>
#include <cmath>
#include <string>

#include "interchange/chunked_text.h"
#include "interchange/json_history.h"
#include "interchange/prom_text.h"

namespace perfwatch {
namespace {

// A JSON string literal; invalid UTF-8 bytes become U+FFFD so the
// document always parses.
void AppendJsonText(std::string& out, std::string_view text) {
  static constexpr char kHex[] = "0123456789abcdef";
  out += '"';
  for (size_t i = 0; i < text.size(); ++i) {
    auto c = static_cast<unsigned char>(text[i]);
    if (c >= 0x80) {
      size_t len = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : 2;
      if (i + len <= text.size() && IsValidUtf8(text.substr(i, len))) {
        out.append(text.substr(i, len));
        i += len - 1;
      } else {
        out += "\xEF\xBF\xBD";
      }
    } else if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\t') {
      out += "\\t";
    } else if (c == '\r') {
      out += "\\r";
    } else if (c < 0x20 || c == 0x7F) {
      out += "\\u00";
      out += kHex[c >> 4];
      out += kHex[c & 0xF];
    } else {
      out += static_cast<char>(c);
    }
  }
  out += '"';
}

void AppendJsonValue(std::string& out, double value) {
  if (!std::isfinite(value)) {
    out += '"';
    AppendPrometheusFloat(out, value);
    out += '"';
  } else if (value == 0 && std::signbit(value)) {
    out += "-0.0";
  } else {
    char buf[32];
    auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), value);
    out.append(buf, end);
  }
}

class JsonWriter final : public HistoryWriter {
 public:
  JsonWriter(ChunkOutput out, const WriteOptions& options)
      : text_(std::move(out), options.chunk_bytes) {
    text_.text() += "{\"series\":[";
  }

  Status BeginSeries(const SeriesKey& key, const MetricMeta* meta) override {
    if (!IsValidMetricName(key.name)) {
      return Status::InvalidArgument("invalid metric name \"" + key.name + "\"");
    }
    CloseSeries();
    header_ = "{\"metric\":";
    AppendJsonText(header_, key.name);
    header_ += ",\"labels\":{";
    bool first = true;
    for (const Label& l : key.labels) {
      if (!first) header_ += ',';
      first = false;
      AppendJsonText(header_, l.name);
      header_ += ':';
      AppendJsonText(header_, l.value);
    }
    header_ += '}';
    if (meta) {
      header_ += ",\"type\":";
      AppendJsonText(header_, ToString(meta->kind));
      header_ += ",\"help\":";
      AppendJsonText(header_, meta->help);
      header_ += ",\"unit\":";
      AppendJsonText(header_, meta->unit);
    }
    header_ += ",\"points\":[";
    in_series_ = true;
    open_ = false;
    return Status::Ok();
  }

  Status AddSample(Sample sample) override {
    if (!in_series_) return Status::Internal("AddSample before BeginSeries");
    std::string& out = text_.text();
    if (!open_) {
      if (series_written_) out += ",\n";
      out += header_;
      open_ = true;
      series_written_ = true;
    } else {
      out += ',';
    }
    out += '[';
    char buf[24];
    auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), sample.t_ms);
    out.append(buf, end);
    out += ',';
    AppendJsonValue(out, sample.value);
    out += ']';
    text_.MaybeFlush();
    return Status::Ok();
  }

  void Finish() override {
    CloseSeries();
    text_.text() += "]}\n";
    text_.Flush();
  }

 private:
  void CloseSeries() {
    if (open_) text_.text() += "]}";
    open_ = false;
  }

  ChunkedText text_;
  std::string header_;  // the current series' object up to "points":[
  bool in_series_ = false;
  bool open_ = false;            // the current series' header is written
  bool series_written_ = false;  // some series was written (the next needs a comma)
};

}  // namespace

std::unique_ptr<HistoryWriter> MakeJsonWriter(ChunkOutput out, const WriteOptions& options) {
  return std::make_unique<JsonWriter>(std::move(out), options);
}

}  // namespace perfwatch
