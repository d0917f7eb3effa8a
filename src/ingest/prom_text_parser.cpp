#include "ingest/prom_text_parser.h"

#include <array>
#include <cstring>
#include <string>
#include <vector>

#include "interchange/prom_text.h"

namespace perfwatch {
namespace {

bool IsBlank(char c) { return c == ' ' || c == '\t'; }
bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsLetter(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool IsLabelStart(char c) { return IsLetter(c) || c == '_'; }
bool IsLabelChar(char c) { return IsLabelStart(c) || IsDigit(c); }
bool IsMetricStart(char c) { return IsLabelStart(c) || c == ':'; }
bool IsMetricChar(char c) { return IsLabelChar(c) || c == ':'; }

size_t SkipBlanks(std::string_view s, size_t i) {
  while (i < s.size() && IsBlank(s[i])) ++i;
  return i;
}

size_t ScanMetricName(std::string_view s, size_t i) {
  if (i >= s.size() || !IsMetricStart(s[i])) return i;
  while (i < s.size() && IsMetricChar(s[i])) ++i;
  return i;
}

// Why a line was refused: `reason` is the counter token, `what` a fixed
// description, `column` 1-based; `detail` (a label name) when it helps.
struct LineError {
  LineError() = default;
  LineError(std::string_view r, std::string_view w, size_t c, std::string_view d = {})
      : reason(r), what(w), column(c), detail(d) {}
  std::string_view reason;
  std::string_view what;
  size_t column = 0;
  std::string_view detail;
};

// Scans the raw text of a quoted label value starting after its opening
// quote; *pos ends after the closing quote. Escapes \\, \" and \n only.
bool ScanLabelValue(std::string_view s, size_t* pos, std::string_view* raw, LineError* error) {
  const size_t start = *pos;
  size_t i = start;
  while (i < s.size() && s[i] != '"') {
    if (s[i] == '\\') {
      if (i + 1 >= s.size()) break;
      const char e = s[i + 1];
      if (e != '\\' && e != '"' && e != 'n') {
        *error = {"bad_escape", "bad escape in label value (allowed: \\\\, \\\" and \\n)", i + 1};
        return false;
      }
      ++i;
    }
    ++i;
  }
  if (i >= s.size()) {
    *error = {"bad_labels", "unterminated label value", start};
    return false;
  }
  *raw = s.substr(start, i - start);
  if (!IsValidUtf8(*raw)) {
    *error = {"invalid_utf8", "label value is not valid UTF-8", start};
    return false;
  }
  *pos = i + 1;
  return true;
}

// Scans the label set whose '{' is at s[*pos]: `on_label(name, raw_value)`
// per label, *pos ends after the '}'. Blanks between tokens and a trailing
// comma are allowed, as in the 0.0.4 format.
template <typename OnLabel>
bool ScanLabels(std::string_view s, size_t* pos, OnLabel&& on_label, LineError* error) {
  size_t i = SkipBlanks(s, *pos + 1);
  while (i < s.size() && s[i] != '}') {
    const size_t name_start = i;
    if (!IsLabelStart(s[i])) {
      *error = {"bad_labels", "expected a label name or '}'", i};
      return false;
    }
    while (i < s.size() && IsLabelChar(s[i])) ++i;
    const std::string_view name = s.substr(name_start, i - name_start);
    i = SkipBlanks(s, i);
    if (i >= s.size() || s[i] != '=') {
      *error = {"bad_labels", "expected '=' after label name", i, name};
      return false;
    }
    i = SkipBlanks(s, i + 1);
    if (i >= s.size() || s[i] != '"') {
      *error = {"bad_labels", "expected a quoted value for label", i, name};
      return false;
    }
    ++i;
    std::string_view raw;
    if (!ScanLabelValue(s, &i, &raw, error)) return false;
    if (!on_label(name, raw)) {
      *error = {"duplicate_label", "duplicate label", name_start, name};
      return false;
    }
    i = SkipBlanks(s, i);
    if (i < s.size() && s[i] == ',') {
      i = SkipBlanks(s, i + 1);
    } else if (i >= s.size() || s[i] != '}') {
      *error = {"bad_labels", "expected ',' or '}' after a label", i, name};
      return false;
    }
  }
  if (i >= s.size()) {
    *error = {"bad_labels", "label set is not closed with '}'", i};
    return false;
  }
  *pos = i + 1;
  return true;
}

// Remembers label names on the stack to find duplicates without allocating;
// past kMaxLabelsPerSeries labels Labels::Make refuses the set anyway.
class DuplicateCheck {
 public:
  bool Add(std::string_view name) {
    for (size_t k = 0; k < n_; ++k) {
      if (names_[k] == name) return false;
    }
    if (n_ < names_.size()) names_[n_++] = name;
    return true;
  }

 private:
  std::array<std::string_view, kMaxLabelsPerSeries> names_;
  size_t n_ = 0;
};

bool ParseTimestamp(std::string_view text, TimestampMs* ms) {
  size_t i = text[0] == '-' ? 1 : 0;
  if (i == text.size()) return false;
  uint64_t v = 0;
  for (; i < text.size(); ++i) {
    if (!IsDigit(text[i])) return false;
    const uint64_t digit = static_cast<uint64_t>(text[i] - '0');
    if (v > (static_cast<uint64_t>(INT64_MAX) - digit) / 10) return false;
    v = v * 10 + digit;
  }
  *ms = text[0] == '-' ? -static_cast<TimestampMs>(v) : static_cast<TimestampMs>(v);
  return true;
}

std::string_view NextToken(std::string_view s, size_t* pos) {
  const size_t start = *pos;
  size_t i = start;
  while (i < s.size() && !IsBlank(s[i])) ++i;
  *pos = i;
  return s.substr(start, i - start);
}

class LineParser {
 public:
  LineParser(PromTextHandler& handler, bool openmetrics)
      : handler_(handler), openmetrics_(openmetrics) {}

  // `s` is one line without its newline (and without a trailing '\r').
  // True when it was a sample handed over.
  bool Parse(size_t line, std::string_view s) {
    line_ = line;
    const size_t i = SkipBlanks(s, 0);
    if (i == s.size()) return false;
    if (s[i] == '#') {
      Comment(s, i + 1);
      return false;
    }
    return SampleLine(s, i);
  }

 private:
  bool SampleLine(std::string_view s, size_t start) {
    size_t i = ScanMetricName(s, start);
    if (i == start) return Fail({"bad_name", "expected a metric name", start});
    const std::string_view name = s.substr(start, i - start);
    size_t after_name = i;
    i = SkipBlanks(s, i);
    if (i < s.size() && s[i] == '{') {
      DuplicateCheck seen;
      LineError error;
      auto on_label = [&seen](std::string_view n, std::string_view) { return seen.Add(n); };
      if (!ScanLabels(s, &i, on_label, &error)) return Fail(error);
      after_name = i;
    }
    const std::string_view series = s.substr(start, after_name - start);
    if (after_name < s.size() && !IsBlank(s[after_name])) {
      return Fail({"bad_line", "expected a blank before the value", after_name});
    }
    i = SkipBlanks(s, after_name);
    if (i == s.size()) return Fail({"missing_value", "missing value", i});
    const size_t value_at = i;
    double value = 0;
    if (!ParsePromFloat(NextToken(s, &i), &value)) {
      return Fail({"bad_value", "value is not a float", value_at});
    }
    i = SkipBlanks(s, i);
    std::optional<TimestampMs> timestamp;
    if (i < s.size() && !AtExemplar(s, i)) {
      const size_t ts_at = i;
      TimestampMs ms = 0;
      const std::string_view token = NextToken(s, &i);
      if (openmetrics_ ? !ParseSecondsAsMs(token, &ms) : !ParseTimestamp(token, &ms)) {
        return Fail({"bad_timestamp",
                     openmetrics_ ? "timestamp is not seconds"
                                  : "timestamp is not integer "
                                    "milliseconds",
                     ts_at});
      }
      timestamp = ms;
      i = SkipBlanks(s, i);
    }
    if (i < s.size() && !AtExemplar(s, i)) {
      return Fail({"bad_line", "unexpected text after the timestamp", i});
    }
    handler_.Sample(line_, series, name, value, timestamp);
    return true;
  }

  // "# HELP name text" and "# TYPE name type"; any other comment is ignored.
  void Comment(std::string_view s, size_t i) {
    i = SkipBlanks(s, i);
    const std::string_view keyword = NextToken(s, &i);
    if (keyword != "HELP" && keyword != "TYPE") return;
    if (i == s.size()) return (void)Fail({"bad_line", "expected a metric name", i});
    const size_t name_at = SkipBlanks(s, i);
    i = name_at;
    const std::string_view family = NextToken(s, &i);
    if (family.empty() || ScanMetricName(family, 0) != family.size()) {
      return (void)Fail({"bad_name", "expected a metric name", name_at});
    }
    // One blank separates the name from the text; HELP keeps the rest as is.
    const std::string_view rest = i < s.size() ? s.substr(i + 1) : std::string_view();
    if (keyword == "HELP") return handler_.Help(family, rest);
    Type(family, rest, i + 1);
  }

  void Type(std::string_view family, std::string_view rest, size_t at) {
    size_t i = SkipBlanks(rest, 0);
    const std::string_view word = NextToken(rest, &i);
    if (SkipBlanks(rest, i) != rest.size()) {
      return (void)Fail({"bad_type", "unexpected text after the type", at + i});
    }
    PromTextType type;
    if (word == "counter") {
      type = PromTextType::kCounter;
    } else if (word == "gauge") {
      type = PromTextType::kGauge;
    } else if (word == "summary") {
      type = PromTextType::kSummary;
    } else if (word == "histogram") {
      type = PromTextType::kHistogram;
    } else if (word == "untyped") {
      type = PromTextType::kUntyped;
    } else {
      return (void)Fail({"bad_type",
                         "unknown metric type (counter, gauge, summary, histogram, "
                         "untyped)",
                         at});
    }
    handler_.Type(family, type);
  }

  bool Fail(const LineError& error) {
    std::string message = "line " + std::to_string(line_) + ", column " +
                          std::to_string(error.column + 1) + ": " + std::string(error.what);
    if (!error.detail.empty()) message += " \"" + std::string(error.detail) + "\"";
    handler_.Error(line_, error.reason, message);
    return false;
  }

  // An OpenMetrics exemplar starts at s[i]: "# {" (its content is not
  // checked; perfwatch keeps no exemplars).
  bool AtExemplar(std::string_view s, size_t i) const {
    return openmetrics_ && s.substr(i).starts_with("#") && SkipBlanks(s, i + 1) < s.size() &&
           s[SkipBlanks(s, i + 1)] == '{';
  }

  PromTextHandler& handler_;
  const bool openmetrics_;
  size_t line_ = 0;
};

}  // namespace

size_t ParsePromText(std::string_view text, PromTextHandler& handler,
                     const PromTextOptions& options) {
  LineParser parser(handler, options.openmetrics);
  size_t samples = 0;
  size_t line = 0;
  size_t pos = 0;
  while (pos < text.size()) {
    ++line;
    const void* nl = std::memchr(text.data() + pos, '\n', text.size() - pos);
    const size_t end = nl ? static_cast<const char*>(nl) - text.data() : text.size();
    std::string_view s = text.substr(pos, end - pos);
    pos = end + 1;
    if (!s.empty() && s.back() == '\r') s.remove_suffix(1);
    if (s.size() > options.max_line_bytes) {
      handler.Error(line, "line_too_long",
                    "line " + std::to_string(line) + " is " + std::to_string(s.size()) +
                        " bytes, over the limit of " + std::to_string(options.max_line_bytes));
      continue;
    }
    if (parser.Parse(line, s)) ++samples;
  }
  return samples;
}

Status ParseSeriesLabels(std::string_view series, Labels* labels) {
  size_t i = ScanMetricName(series, 0);
  if (i == 0) return Status::InvalidArgument("series \"" + std::string(series) + "\" has no name");
  i = SkipBlanks(series, i);
  std::vector<Label> parsed;
  if (i < series.size() && series[i] == '{') {
    std::string unescaped_error;
    auto on_label = [&](std::string_view name, std::string_view raw) {
      Label label{std::string(name), {}};
      if (!UnescapePromText(raw, &label.value)) unescaped_error = label.name;
      parsed.push_back(std::move(label));
      return true;  // Labels::Make reports duplicates with the label's name
    };
    LineError error;
    if (!ScanLabels(series, &i, on_label, &error) || !unescaped_error.empty()) {
      return Status::InvalidArgument("malformed label set in \"" + std::string(series) + "\"");
    }
  }
  if (SkipBlanks(series, i) != series.size()) {
    return Status::InvalidArgument("unexpected text after the labels of \"" + std::string(series) +
                                   "\"");
  }
  Result<Labels> made = Labels::Make(std::move(parsed));
  if (!made.ok()) return made.status();
  *labels = std::move(made).value();
  return Status::Ok();
}

}  // namespace perfwatch
