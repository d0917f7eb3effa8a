#include "ingest/push.h"

#include <cmath>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "interchange/iso8601.h"
#include "interchange/prom_text.h"

namespace perfwatch {
namespace {

void Note(PushResult& result, std::string message) {
  if (result.errors.size() < kMaxPushErrors) result.errors.push_back(std::move(message));
}

// A Create that failed: counted by AppMetrics, noted here.
void CreateFailed(PushResult& result, const Status& status, std::string where) {
  if (status.code() == Status::Code::kResourceExhausted) {
    ++result.limited;
  } else {
    ++result.rejected;
  }
  Note(result, std::move(where) + ": " + status.message());
}

constexpr std::string_view kRefused =
    "sample refused (out of order, too old, a negative or non-finite counter, or a type "
    "clash)";

class TextIngester : public PromTextHandler {
 public:
  explicit TextIngester(AppMetrics::Batch& batch) : batch_(batch) {}

  void Type(std::string_view family, PromTextType type) override { FamilyOf(family).type = type; }
  void Help(std::string_view family, std::string_view help) override {
    FamilyOf(family).help = help;
  }

  void Sample(size_t line, std::string_view series, std::string_view name, double value,
              std::optional<TimestampMs> t) override {
    AppSeries* s = batch_.Find(series);
    if (s == nullptr && (s = Create(line, series, name)) == nullptr) return;
    if (batch_.Set(s, value, t.value_or(0))) {
      ++result_.accepted;
    } else {
      ++result_.rejected;
      Note(result_, "line " + std::to_string(line) + ": " + std::string(kRefused));
    }
  }

  void Error(size_t, std::string_view reason, std::string_view message) override {
    batch_.Reject(reason);
    ++result_.rejected;
    Note(result_, std::string(message));
  }

  PushResult Finish() {
    batch_.Accepted(result_.accepted);
    return std::move(result_);
  }

 private:
  struct Family {
    PromTextType type = PromTextType::kUntyped;
    std::string help;
  };

  Family& FamilyOf(std::string_view name) {
    auto it = families_.find(name);
    if (it == families_.end()) it = families_.emplace(std::string(name), Family{}).first;
    return it->second;
  }

  const Family* Find(std::string_view name) const {
    auto it = families_.find(name);
    return it == families_.end() ? nullptr : &it->second;
  }

  // The family a sample named `name` belongs to and the kind it is stored
  // as (see push.h); `*family` null for an untyped sample.
  AppKind KindOf(std::string_view name, const Family** family) const {
    if ((*family = Find(name)) != nullptr) {
      return (*family)->type == PromTextType::kCounter ? AppKind::kCounter : AppKind::kGauge;
    }
    static constexpr std::string_view kSuffixes[] = {"_bucket", "_count", "_sum", "_total",
                                                     "_created"};
    for (std::string_view suffix : kSuffixes) {
      if (!name.ends_with(suffix)) continue;
      const Family* base = Find(name.substr(0, name.size() - suffix.size()));
      if (base == nullptr) continue;
      const PromTextType t = base->type;
      const bool counter = suffix == "_bucket"  ? t == PromTextType::kHistogram
                           : suffix == "_total" ? t == PromTextType::kCounter
                           : suffix == "_created"
                               ? false
                               : t == PromTextType::kSummary || t == PromTextType::kHistogram;
      *family = base;
      return counter ? AppKind::kCounter : AppKind::kGauge;
    }
    return AppKind::kGauge;
  }

  AppSeries* Create(size_t line, std::string_view series, std::string_view name) {
    Labels labels;
    if (Status s = ParseSeriesLabels(series, &labels); !s.ok()) {
      batch_.Reject("bad_labels");
      ++result_.rejected;
      Note(result_, "line " + std::to_string(line) + ": " + s.message());
      return nullptr;
    }
    const Family* family = nullptr;
    const AppKind kind = KindOf(name, &family);
    Result<AppSeries*> made = batch_.Create(series, kind, name, std::move(labels),
                                            family != nullptr ? family->help : std::string());
    if (made.ok()) return *made;
    CreateFailed(result_, made.status(), "line " + std::to_string(line));
    return nullptr;
  }

  AppMetrics::Batch& batch_;
  PushResult result_;
  std::map<std::string, Family, std::less<>> families_;
};

using Json = nlohmann::json;

bool JsonValue(const Json& j, double* value) {
  if (j.is_number()) {
    *value = j.get<double>();
    return true;
  }
  return j.is_string() && ParsePromFloat(j.get_ref<const std::string&>(), value);
}

class JsonIngester {
 public:
  explicit JsonIngester(AppMetrics::Batch& batch) : batch_(batch) {}

  PushResult Run(const Json& doc) {
    const Json* samples = &doc;
    if (doc.is_object()) {
      auto it = doc.find("samples");
      samples = it == doc.end() ? nullptr : &*it;
    }
    if (samples == nullptr || !samples->is_array()) {
      batch_.Reject("bad_json");
      result_.unreadable = true;
      Note(result_, "expected a list of samples or {\"samples\": [...]}");
      return std::move(result_);
    }
    for (size_t i = 0; i < samples->size(); ++i) One(i, (*samples)[i]);
    batch_.Accepted(result_.accepted);
    return std::move(result_);
  }

 private:
  // Refuses sample `i` (all `n` of its values) for `reason`.
  void Refuse(size_t i, std::string_view reason, std::string_view why, uint64_t n = 1) {
    batch_.Reject(reason, n);
    result_.rejected += n;
    Note(result_, "samples[" + std::to_string(i) + "]: " + std::string(why));
  }

  void One(size_t i, const Json& s) {
    if (!s.is_object()) return Refuse(i, "bad_sample", "not an object");
    auto name_it = s.find("name");
    if (name_it == s.end() || !name_it->is_string()) {
      return Refuse(i, "bad_name", "no \"name\" string");
    }
    const std::string& name = name_it->get_ref<const std::string&>();
    if (!IsValidMetricName(name)) {
      return Refuse(i, "bad_name", "\"" + name + "\" is not a valid Prometheus metric name");
    }
    std::optional<AppKind> kind = KindOf(s, name);
    if (!kind) return Refuse(i, "bad_type", "\"type\" is not counter, gauge, summary or histogram");
    Labels labels;
    if (std::string why = LabelsOf(s, &labels); !why.empty()) return Refuse(i, "bad_labels", why);
    const bool observed = *kind == AppKind::kSummary || *kind == AppKind::kHistogram;
    if (observed) return Observations(i, s, *kind, name, std::move(labels));
    auto value_it = s.find("value");
    if (value_it == s.end()) return Refuse(i, "missing_value", "no \"value\"");
    double value = 0;
    if (!JsonValue(*value_it, &value)) return Refuse(i, "bad_value", "\"value\" is not a number");
    TimestampMs t = 0;
    if (std::string why = TimestampOf(s, &t); !why.empty()) {
      return Refuse(i, "bad_timestamp", why);
    }
    AppSeries* series = SeriesOf(i, *kind, name, std::move(labels));
    if (series == nullptr) return;
    if (batch_.Set(series, value, t)) {
      ++result_.accepted;
    } else {
      ++result_.rejected;
      Note(result_, "samples[" + std::to_string(i) + "]: " + std::string(kRefused));
    }
  }

  void Observations(size_t i, const Json& s, AppKind kind, const std::string& name, Labels labels) {
    auto values = s.find("values");
    if (values == s.end() || !values->is_array()) {
      return Refuse(i, "missing_value", "a summary or histogram needs a \"values\" list");
    }
    for (const Json& v : *values) {
      if (!v.is_number()) return Refuse(i, "bad_value", "\"values\" holds a non-number");
    }
    AppSeries* series = SeriesOf(i, kind, name, std::move(labels), values->size());
    if (series == nullptr) return;
    for (const Json& v : *values) {
      if (batch_.Observe(series, v.get<double>())) {
        ++result_.accepted;
      } else {
        ++result_.rejected;
        Note(result_, "samples[" + std::to_string(i) + "]: observation refused (not finite)");
      }
    }
  }

  static std::optional<AppKind> KindOf(const Json& s, std::string_view name) {
    auto it = s.find("type");
    if (it == s.end()) return name.ends_with("_total") ? AppKind::kCounter : AppKind::kGauge;
    if (!it->is_string()) return std::nullopt;
    const std::string& t = it->get_ref<const std::string&>();
    if (t == "counter") return AppKind::kCounter;
    if (t == "gauge") return AppKind::kGauge;
    if (t == "summary") return AppKind::kSummary;
    if (t == "histogram") return AppKind::kHistogram;
    return std::nullopt;
  }

  // "" when fine, else why not.
  static std::string LabelsOf(const Json& s, Labels* labels) {
    auto it = s.find("labels");
    if (it == s.end() || it->is_null()) return {};
    if (!it->is_object()) return "\"labels\" is not an object";
    std::vector<Label> list;
    for (auto& [k, v] : it->items()) {
      if (!v.is_string()) return "label \"" + k + "\" has a non-string value";
      list.push_back({k, v.get<std::string>()});
    }
    Result<Labels> made = Labels::Make(std::move(list));
    if (!made.ok()) return made.status().message();
    *labels = std::move(made).value();
    return {};
  }

  static std::string TimestampOf(const Json& s, TimestampMs* t) {
    auto it = s.find("timestamp");
    if (it == s.end() || it->is_null()) return {};
    if (it->is_number_integer()) {
      *t = it->get<int64_t>();
      return {};
    }
    if (it->is_string()) {
      Result<TimestampMs> parsed = ParseIso8601(it->get_ref<const std::string&>());
      if (parsed.ok()) {
        *t = *parsed;
        return {};
      }
      return "\"timestamp\": " + parsed.status().message();
    }
    return "\"timestamp\" is neither integer milliseconds nor an RFC 3339 string";
  }

  // Limits or a clash refuse all `n` values of the sample.
  AppSeries* SeriesOf(size_t i, AppKind kind, const std::string& name, Labels labels,
                      uint64_t n = 1) {
    key_.assign(1, '\x01');
    key_ += static_cast<char>('0' + static_cast<int>(kind));
    key_ += name;
    key_ += labels.ToString();
    if (AppSeries* s = batch_.Find(key_)) return s;
    Result<AppSeries*> made = batch_.Create(key_, kind, name, std::move(labels));
    if (made.ok()) return *made;
    CreateFailed(result_, made.status(), "samples[" + std::to_string(i) + "]");
    if (n > 1) {
      // Create counted one value; the sample's other values go the same way,
      // under the reason that leads its message ("series_limit: ...").
      const std::string& message = made.status().message();
      const bool full = made.status().code() == Status::Code::kResourceExhausted;
      batch_.Reject(std::string_view(message).substr(0, message.find(':')), n - 1);
      (full ? result_.limited : result_.rejected) += n - 1;
    }
    return nullptr;
  }

  AppMetrics::Batch& batch_;
  PushResult result_;
  std::string key_;
};

}  // namespace

PushResult IngestPromText(std::string_view body, AppMetrics::Batch& batch,
                          const PromTextOptions& options) {
  TextIngester ingester(batch);
  ParsePromText(body, ingester, options);
  return ingester.Finish();
}

namespace {

// The body as JSON, or the result refusing it.
std::optional<PushResult> ParseJsonBody(std::string_view body, Json* doc) {
  try {
    *doc = Json::parse(body.begin(), body.end());
    return std::nullopt;
  } catch (const Json::exception& e) {
    PushResult result;
    result.unreadable = true;
    Note(result, std::string("body is not JSON: ") + e.what());
    return result;
  }
}

}  // namespace

PushResult IngestJsonSamples(std::string_view body, AppMetrics::Batch& batch) {
  Json doc;
  if (std::optional<PushResult> refused = ParseJsonBody(body, &doc)) {
    batch.Reject("bad_json");
    return *refused;
  }
  return JsonIngester(batch).Run(doc);
}

PushResult IngestJsonSamples(std::string_view body, AppMetrics& metrics, uint64_t message_bytes) {
  Json doc;
  std::optional<PushResult> refused = ParseJsonBody(body, &doc);
  AppMetrics::Batch batch = metrics.Begin(IngestSource::kPush);
  batch.Message(message_bytes);
  if (refused) {
    batch.Reject("bad_json");
    return *refused;
  }
  return JsonIngester(batch).Run(doc);
}

std::string PushResultJson(const PushResult& result) {
  Json out = {{"accepted", result.accepted}, {"rejected", result.rejected}};
  if (result.limited != 0) out["limited"] = result.limited;
  out["errors"] = result.errors;
  return out.dump(-1, ' ', false, Json::error_handler_t::replace);
}

}  // namespace perfwatch
