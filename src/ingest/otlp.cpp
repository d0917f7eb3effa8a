#include "ingest/otlp.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <string>
#include <vector>

#include "ingest/otlp_model.h"

namespace perfwatch {
namespace {

using otlp::Attribute;
using otlp::DataKind;
using otlp::HistogramPoint;
using otlp::Metric;
using otlp::NumberPoint;
using otlp::Request;

// OTLP's UCUM units as Prometheus spells them (otlptranslator's unitMap
// and perUnitMap); a unit not listed is kept as written.
struct UnitWord {
  std::string_view otlp;
  std::string_view prometheus;
};
constexpr UnitWord kUnits[] = {
    {"d", "days"},
    {"h", "hours"},
    {"min", "minutes"},
    {"s", "seconds"},
    {"ms", "milliseconds"},
    {"us", "microseconds"},
    {"ns", "nanoseconds"},
    {"By", "bytes"},
    {"KiBy", "kibibytes"},
    {"MiBy", "mebibytes"},
    {"GiBy", "gibibytes"},
    {"TiBy", "tebibytes"},
    {"KBy", "kilobytes"},
    {"MBy", "megabytes"},
    {"GBy", "gigabytes"},
    {"TBy", "terabytes"},
    {"m", "meters"},
    {"V", "volts"},
    {"A", "amperes"},
    {"J", "joules"},
    {"W", "watts"},
    {"g", "grams"},
    {"Cel", "celsius"},
    {"Hz", "hertz"},
    {"1", ""},
    {"%", "percent"},
};
constexpr UnitWord kPerUnits[] = {
    {"s", "second"}, {"m", "minute"}, {"h", "hour"}, {"d", "day"},
    {"w", "week"},   {"mo", "month"}, {"y", "year"},
};

template <size_t N>
std::string_view Lookup(const UnitWord (&table)[N], std::string_view unit) {
  for (const UnitWord& u : table) {
    if (u.otlp == unit) return u.prometheus;
  }
  return unit;
}

bool IsCompliantChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == ':';
}

std::string_view TrimSpace(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// Runs of characters outside [a-zA-Z0-9:] (as tokens joined by '_').
std::vector<std::string> Tokens(std::string_view s) {
  std::vector<std::string> tokens;
  size_t i = 0;
  while (i < s.size()) {
    while (i < s.size() && !IsCompliantChar(s[i])) ++i;
    const size_t start = i;
    while (i < s.size() && IsCompliantChar(s[i])) ++i;
    if (i > start) tokens.emplace_back(s.substr(start, i - start));
  }
  return tokens;
}

std::string Join(const std::vector<std::string>& tokens) {
  std::string out;
  for (const std::string& t : tokens) {
    if (!out.empty()) out += '_';
    out += t;
  }
  return out;
}

// otlptranslator's cleanUpUnit: invalid characters to '_', runs collapsed,
// no leading '_'.
std::string CleanUnit(std::string_view unit) {
  std::string out;
  for (char c : unit) {
    const char k = IsCompliantChar(c) ? c : '_';
    if (k == '_' && (out.empty() || out.back() == '_')) continue;
    out += k;
  }
  return out;
}

// The main and "per" unit words of `unit` ("By/s" -> "bytes", "per_second").
std::pair<std::string, std::string> UnitParts(std::string_view unit) {
  const size_t slash = unit.find('/');
  const std::string_view main = TrimSpace(unit.substr(0, slash));
  std::string main_word;
  if (!main.empty() && main.find_first_of("{}") == std::string_view::npos) {
    main_word = CleanUnit(Lookup(kUnits, main));
  }
  std::string per_word;
  if (slash != std::string_view::npos) {
    const std::string_view per = TrimSpace(unit.substr(slash + 1));
    if (!per.empty() && per.find_first_of("{}") == std::string_view::npos) {
      per_word = CleanUnit("per_" + std::string(Lookup(kPerUnits, per)));
    }
  }
  return {main_word, per_word};
}

void RemoveToken(std::vector<std::string>& tokens, std::string_view token) {
  std::erase(tokens, token);
}

bool Contains(const std::vector<std::string>& tokens, std::string_view token) {
  return std::find(tokens.begin(), tokens.end(), token) != tokens.end();
}

}  // namespace

std::string OtlpUnitName(std::string_view unit) {
  auto [main, per] = UnitParts(unit);
  if (!main.empty() && main.back() == '_') main.pop_back();
  if (!per.empty() && per.back() == '_') per.pop_back();
  if (per == "per") per.clear();
  if (main.empty()) return per;
  return per.empty() ? main : main + "_" + per;
}

std::string OtlpMetricName(std::string_view name, std::string_view unit, OtlpMetricType type) {
  std::vector<std::string> tokens = Tokens(name);
  auto [main, per] = UnitParts(unit);
  if (Contains(tokens, main)) main.clear();
  if (per == "per_") {
    per.clear();
  } else {
    if (!per.empty() && per.back() == '_') per.pop_back();
    if (Contains(tokens, per)) per.clear();
  }
  if (!per.empty() && !main.empty() && main.back() == '_') main.pop_back();
  if (!main.empty()) tokens.push_back(main);
  if (!per.empty()) tokens.push_back(per);
  if (type == OtlpMetricType::kMonotonicSum) {
    RemoveToken(tokens, "total");
    tokens.emplace_back("total");
  }
  if (unit == "1" && type == OtlpMetricType::kGauge) {
    RemoveToken(tokens, "ratio");
    tokens.emplace_back("ratio");
  }
  std::string out = Join(tokens);
  if (!out.empty() && out[0] >= '0' && out[0] <= '9') out.insert(0, 1, '_');
  return out;
}

namespace otlp {

// pdata's float64AsString: ES6 number formatting (shortest round trip,
// exponent form below 1e-6 and from 1e21, "e-7" rather than "e-07").
void AppendOtlpDouble(std::string& out, double value) {
  if (std::isnan(value)) {
    out += "NaN";
    return;
  }
  if (std::isinf(value)) {
    out += value > 0 ? "+Inf" : "-Inf";
    return;
  }
  const double abs = std::fabs(value);
  const bool exponent = abs != 0 && (abs < 1e-6 || abs >= 1e21);
  char buf[64];
  auto [end, ec] =
      std::to_chars(buf, buf + sizeof buf, value,
                    exponent ? std::chars_format::scientific : std::chars_format::fixed);
  std::string_view text(buf, end - buf);
  const size_t e = text.find('e');
  if (e == std::string_view::npos) {
    out += text;
    return;
  }
  out += text.substr(0, e + 2);  // mantissa, 'e' and the sign
  std::string_view digits = text.substr(e + 2);
  while (digits.size() > 1 && digits[0] == '0') digits.remove_prefix(1);
  out += digits;
}

void AppendBase64(std::string& out, std::string_view bytes) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  size_t i = 0;
  for (; i + 3 <= bytes.size(); i += 3) {
    const uint32_t v = (static_cast<uint8_t>(bytes[i]) << 16) |
                       (static_cast<uint8_t>(bytes[i + 1]) << 8) |
                       static_cast<uint8_t>(bytes[i + 2]);
    out += kAlphabet[v >> 18];
    out += kAlphabet[(v >> 12) & 63];
    out += kAlphabet[(v >> 6) & 63];
    out += kAlphabet[v & 63];
  }
  if (i == bytes.size()) return;
  uint32_t v = static_cast<uint8_t>(bytes[i]) << 16;
  if (i + 1 < bytes.size()) v |= static_cast<uint8_t>(bytes[i + 1]) << 8;
  out += kAlphabet[v >> 18];
  out += kAlphabet[(v >> 12) & 63];
  out += i + 1 < bytes.size() ? kAlphabet[(v >> 6) & 63] : '=';
  out += '=';
}

void AppendJsonString(std::string& out, std::string_view text) {
  static constexpr char kHex[] = "0123456789abcdef";
  out += '"';
  for (char c : text) {
    const auto u = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (c == '\n') {
      out += "\\n";
    } else if (u < 0x20) {
      out += "\\u00";
      out += kHex[u >> 4];
      out += kHex[u & 15];
    } else {
      out += c;
    }
  }
  out += '"';
}

}  // namespace otlp

namespace {

// Writes one decoded request into a batch, point by point.
class Ingester {
 public:
  Ingester(const Request& r, AppMetrics::Batch& batch) : r_(r), batch_(batch) {}

  OtlpResult Run() {
    for (const otlp::Resource& res : r_.resources) {
      ResourceLabels(res);
      for (uint32_t m = res.metrics.begin; m < res.metrics.end; ++m) MetricPoints(r_.metrics[m]);
    }
    batch_.Accepted(result_.accepted);
    if (notes_ > kMaxNotes) {
      result_.error_message += "; and " + std::to_string(notes_ - kMaxNotes) + " more";
    }
    return std::move(result_);
  }

 private:
  static constexpr size_t kMaxNotes = 5;

  struct Named {
    std::string name;      // sanitized
    std::string_view key;  // as sent, to order clashing attributes
    std::string_view value;
    bool point = false;
  };

  void ResourceLabels(const otlp::Resource& res) {
    resource_.clear();
    resource_key_.clear();
    for (uint32_t a = res.attributes.begin; a < res.attributes.end; ++a) {
      const Attribute& attr = r_.attributes[a];
      if (attr.key.empty()) continue;  // no label name to give it
      resource_.push_back({SanitizeLabelName(attr.key), attr.key, attr.value, false});
      AppendKeyPart(resource_key_, attr);
    }
  }

  static void AppendKeyPart(std::string& key, const Attribute& a) {
    key += '\xfe';
    key += a.key;
    key += '\xff';
    key += a.value;
  }

  void MetricPoints(const Metric& m) {
    switch (m.kind) {
      case DataKind::kGauge:
      case DataKind::kSum:
        return NumberPoints(m);
      case DataKind::kHistogram:
        return HistogramPoints(m);
      case DataKind::kExponentialHistogram:
      case DataKind::kSummary:
        return Refuse(m, m.unsupported_points, "unsupported",
                      m.kind == DataKind::kSummary ? "Summary is not supported"
                                                   : "ExponentialHistogram is not supported");
      case DataKind::kNone:
        return;
    }
  }

  OtlpMetricType TypeOf(const Metric& m) const {
    if (m.kind == DataKind::kGauge) return OtlpMetricType::kGauge;
    if (m.kind == DataKind::kHistogram) return OtlpMetricType::kHistogram;
    return m.monotonic ? OtlpMetricType::kMonotonicSum : OtlpMetricType::kNonMonotonicSum;
  }

  // False, refusing all `n` points, when the metric cannot be written.
  bool Prepare(const Metric& m, uint64_t n) {
    name_ = OtlpMetricName(m.name, m.unit, TypeOf(m));
    if (name_.empty() || !IsValidMetricName(name_)) {
      Refuse(m, n, "bad_name", "no valid Prometheus name");
      return false;
    }
    const bool temporal = m.kind != DataKind::kGauge;
    if (temporal && m.temporality != otlp::kTemporalityDelta &&
        m.temporality != otlp::kTemporalityCumulative) {
      Refuse(m, n, "bad_temporality", "aggregation temporality is unspecified");
      return false;
    }
    unit_ = OtlpUnitName(m.unit);
    return true;
  }

  void NumberPoints(const Metric& m) {
    if (!Prepare(m, m.points.size())) return;
    const bool counter = m.kind == DataKind::kSum && m.monotonic;
    const bool delta = m.kind == DataKind::kSum && m.temporality == otlp::kTemporalityDelta;
    const AppKind kind = counter ? AppKind::kCounter : AppKind::kGauge;
    for (uint32_t i = m.points.begin; i < m.points.end; ++i) {
      const NumberPoint& p = r_.numbers[i];
      if (p.flags & otlp::kFlagNoRecordedValue) continue;
      if (!p.has_value) {
        Refuse(m, 1, "missing_value", "a data point has no value");
        continue;
      }
      AppSeries* series = Series(m, kind, p.attributes);
      if (series == nullptr) continue;
      const TimestampMs t = ToMs(p.time_unix_nano);
      Count(m, delta ? batch_.Add(series, p.value, t) : batch_.Set(series, p.value, t));
    }
  }

  void HistogramPoints(const Metric& m) {
    if (!Prepare(m, m.points.size())) return;
    const bool delta = m.temporality == otlp::kTemporalityDelta;
    for (uint32_t i = m.points.begin; i < m.points.end; ++i) {
      const HistogramPoint& p = r_.histograms[i];
      if (p.flags & otlp::kFlagNoRecordedValue) continue;
      std::span<const uint64_t> counts(r_.counts.data() + p.bucket_counts.begin,
                                       p.bucket_counts.size());
      std::span<const double> bounds(r_.bounds.data() + p.bounds.begin, p.bounds.size());
      // A histogram without buckets has only its count: one +Inf bucket.
      if (counts.empty() && bounds.empty()) counts = std::span<const uint64_t>(&p.count, 1);
      AppSeries* series = Series(m, AppKind::kHistogram, p.attributes);
      if (series == nullptr) continue;
      const double sum = p.has_sum ? p.sum : 0;
      Count(m, batch_.SetHistogram(series, bounds, counts, sum, delta, ToMs(p.time_unix_nano)));
    }
  }

  static TimestampMs ToMs(uint64_t unix_nano) {
    return static_cast<TimestampMs>(unix_nano / 1'000'000);
  }

  void Count(const Metric& m, bool written) {
    if (written) {
      ++result_.accepted;
    } else {
      ++result_.rejected;  // AppMetrics counted the reason
      Note(m, "a point was refused (out of order, too old, negative or a bad histogram)");
    }
  }

  // The series of a point: found by its raw key, else created with labels
  // made from the resource and point attributes. Null (the point counted)
  // when it cannot be created.
  AppSeries* Series(const Metric& m, AppKind kind, otlp::Range attributes) {
    key_.assign(1, static_cast<char>('0' + static_cast<int>(kind)));
    key_ += name_;
    key_ += resource_key_;
    key_ += '\xfd';
    for (uint32_t a = attributes.begin; a < attributes.end; ++a) {
      AppendKeyPart(key_, r_.attributes[a]);
    }
    if (AppSeries* s = batch_.Find(key_)) return s;
    Result<Labels> labels = MakeLabels(attributes);
    if (!labels.ok()) {
      batch_.Reject("bad_labels");
      ++result_.rejected;
      Note(m, labels.status().message());
      return nullptr;
    }
    Result<AppSeries*> made =
        batch_.Create(key_, kind, name_, std::move(*labels), m.description, unit_);
    if (made.ok()) return *made;
    ++result_.rejected;
    if (made.status().code() == Status::Code::kResourceExhausted) ++result_.limited;
    Note(m, made.status().message());
    return nullptr;
  }

  // Resource then point attributes; a point attribute wins over a resource
  // one of the same label name, and attributes of one level that sanitize to
  // one name are joined with ';' in key order (as otlptranslator does).
  Result<Labels> MakeLabels(otlp::Range attributes) {
    named_ = resource_;
    for (uint32_t a = attributes.begin; a < attributes.end; ++a) {
      const Attribute& attr = r_.attributes[a];
      if (attr.key.empty()) continue;
      named_.push_back({SanitizeLabelName(attr.key), attr.key, attr.value, true});
    }
    std::sort(named_.begin(), named_.end(), [](const Named& x, const Named& y) {
      if (x.name != y.name) return x.name < y.name;
      if (x.point != y.point) return x.point;  // point attributes first
      return x.key < y.key;
    });
    std::vector<Label> labels;
    for (size_t i = 0; i < named_.size();) {
      Label l{named_[i].name, std::string(named_[i].value)};
      size_t j = i + 1;
      for (; j < named_.size() && named_[j].name == l.name; ++j) {
        if (named_[j].point != named_[i].point) continue;
        l.value += ';';
        l.value += named_[j].value;
      }
      labels.push_back(std::move(l));
      i = j;
    }
    return Labels::Make(std::move(labels));
  }

  void Refuse(const Metric& m, uint64_t n, std::string_view reason, std::string_view why) {
    if (n == 0) return;
    batch_.Reject(reason, n);
    result_.rejected += n;
    Note(m, std::string(why));
  }

  void Note(const Metric& m, std::string_view why) {
    if (++notes_ > kMaxNotes) return;
    if (!result_.error_message.empty()) result_.error_message += "; ";
    result_.error_message += "metric \"";
    result_.error_message += m.name;
    result_.error_message += "\": ";
    result_.error_message += why;
  }

  const Request& r_;
  AppMetrics::Batch& batch_;
  OtlpResult result_;
  size_t notes_ = 0;
  std::vector<Named> resource_;
  std::vector<Named> named_;
  std::string resource_key_;
  std::string key_;
  std::string name_;
  std::string unit_;
};

}  // namespace

namespace {

Status Decode(std::string_view body, OtlpEncoding encoding, Request* request) {
  return encoding == OtlpEncoding::kProtobuf ? otlp::DecodeProtobuf(body, request)
                                             : otlp::DecodeJson(body, request);
}

std::string_view DecodeFailure(OtlpEncoding encoding) {
  return encoding == OtlpEncoding::kProtobuf ? "bad_protobuf" : "bad_json";
}

}  // namespace

Result<OtlpResult> IngestOtlpMetrics(std::string_view body, OtlpEncoding encoding,
                                     AppMetrics::Batch& batch) {
  Request request;
  if (Status s = Decode(body, encoding, &request); !s.ok()) {
    batch.Reject(DecodeFailure(encoding));
    return s;
  }
  return Ingester(request, batch).Run();
}

Result<OtlpResult> IngestOtlpMetrics(std::string_view body, OtlpEncoding encoding,
                                     AppMetrics& metrics, uint64_t message_bytes) {
  Request request;
  const Status s = Decode(body, encoding, &request);
  AppMetrics::Batch batch = metrics.Begin(IngestSource::kOtlp);
  batch.Message(message_bytes);
  if (!s.ok()) {
    batch.Reject(DecodeFailure(encoding));
    return s;
  }
  return Ingester(request, batch).Run();
}

std::string EncodeOtlpResponse(const OtlpResult& result, OtlpEncoding encoding) {
  return encoding == OtlpEncoding::kProtobuf
             ? otlp::EncodeProtobufResponse(result.rejected, result.error_message)
             : otlp::EncodeJsonResponse(result.rejected, result.error_message);
}

std::string EncodeOtlpStatus(int grpc_code, std::string_view message, OtlpEncoding encoding) {
  return encoding == OtlpEncoding::kProtobuf ? otlp::EncodeProtobufStatus(grpc_code, message)
                                             : otlp::EncodeJsonStatus(grpc_code, message);
}

}  // namespace perfwatch
