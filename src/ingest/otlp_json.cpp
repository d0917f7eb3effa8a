// ExportMetricsServiceRequest in OTLP's JSON mapping (the proto3 JSON
// mapping with lowerCamelCase names; original snake_case names accepted too;
// 64-bit integers as numbers or decimal strings; enums as numbers or names;
// doubles as numbers or "NaN", "Infinity", "-Infinity"), decoded into an
// otlp::Request.
#include <charconv>
#include <cmath>
#include <limits>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "ingest/otlp_model.h"
#include "interchange/prom_text.h"

namespace perfwatch::otlp {
namespace {

using Json = nlohmann::json;

Status Bad(std::string_view where, std::string_view what) {
  return Status::InvalidArgument("bad OTLP JSON at " + std::string(where) + ": " +
                                 std::string(what));
}

const Json* Member(const Json& object, std::string_view camel, std::string_view snake = {}) {
  auto it = object.find(camel);
  if (it != object.end() && !it->is_null()) return &*it;
  if (snake.empty()) return nullptr;
  it = object.find(snake);
  return it != object.end() && !it->is_null() ? &*it : nullptr;
}

bool ParseDecimal(const std::string& s, auto* value) {
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), *value);
  return ec == std::errc() && end == s.data() + s.size() && !s.empty();
}

bool AsUint64(const Json& j, uint64_t* v) {
  if (j.is_number_unsigned()) {
    *v = j.get<uint64_t>();
    return true;
  }
  if (j.is_number_integer()) {
    const auto i = j.get<int64_t>();
    *v = static_cast<uint64_t>(i);
    return i >= 0;
  }
  if (j.is_number_float()) {
    const double d = j.get<double>();
    *v = static_cast<uint64_t>(d);
    return d >= 0 && d < 18446744073709551616.0 && std::floor(d) == d;
  }
  return j.is_string() && ParseDecimal(j.get_ref<const std::string&>(), v);
}

bool AsInt64(const Json& j, int64_t* v) {
  if (j.is_number_unsigned()) {
    const auto u = j.get<uint64_t>();
    *v = static_cast<int64_t>(u);
    return u <= static_cast<uint64_t>(std::numeric_limits<int64_t>::max());
  }
  if (j.is_number_integer()) {
    *v = j.get<int64_t>();
    return true;
  }
  if (j.is_number_float()) {
    const double d = j.get<double>();
    *v = static_cast<int64_t>(d);
    return d >= -9223372036854775808.0 && d < 9223372036854775808.0 && std::floor(d) == d;
  }
  return j.is_string() && ParseDecimal(j.get_ref<const std::string&>(), v);
}

bool AsDouble(const Json& j, double* v) {
  if (j.is_number()) {
    *v = j.get<double>();
    return true;
  }
  if (!j.is_string()) return false;
  const auto& s = j.get_ref<const std::string&>();
  if (s == "NaN") {
    *v = std::numeric_limits<double>::quiet_NaN();
  } else if (s == "Infinity" || s == "-Infinity") {
    *v = s[0] == '-' ? -INFINITY : INFINITY;
  } else {
    return ParsePromFloat(s, v);
  }
  return true;
}

bool AsTemporality(const Json& j, int* v) {
  int64_t i = 0;
  if (AsInt64(j, &i)) {
    *v = static_cast<int>(std::clamp<int64_t>(i, -1, 3));
    return true;
  }
  if (!j.is_string()) return false;
  const auto& s = j.get_ref<const std::string&>();
  if (s == "AGGREGATION_TEMPORALITY_DELTA")
    *v = kTemporalityDelta;
  else if (s == "AGGREGATION_TEMPORALITY_CUMULATIVE")
    *v = kTemporalityCumulative;
  else if (s == "AGGREGATION_TEMPORALITY_UNSPECIFIED")
    *v = 0;
  else
    return false;
  return true;
}

// Calls `each(const Json&) -> Status` for every element of the array member
// (absent is empty).
template <typename Each>
Status ForEach(const Json& object, std::string_view camel, std::string_view snake,
               std::string_view where, Each&& each) {
  const Json* array = Member(object, camel, snake);
  if (array == nullptr) return Status::Ok();
  if (!array->is_array()) return Bad(where, std::string(camel) + " is not an array");
  for (const Json& item : *array) {
    if (!item.is_object()) return Bad(where, std::string(camel) + " holds a non-object");
    if (Status s = each(item); !s.ok()) return s;
  }
  return Status::Ok();
}

class Decoder {
 public:
  explicit Decoder(Request& r) : r_(r) {}

  Status ExportRequest(const Json& root) {
    if (!root.is_object()) return Bad("the top", "expected an object");
    return ForEach(root, "resourceMetrics", "resource_metrics", "ExportMetricsServiceRequest",
                   [&](const Json& rm) { return ResourceMetrics(rm); });
  }

 private:
  Status ResourceMetrics(const Json& rm) {
    Resource resource;
    resource.metrics.begin = r_.Mark(r_.metrics);
    resource.attributes.begin = r_.Mark(r_.attributes);
    if (const Json* res = Member(rm, "resource"); res != nullptr) {
      if (!res->is_object()) return Bad("resource", "expected an object");
      if (Status s = Attributes(*res, "Resource"); !s.ok()) return s;
    }
    resource.attributes.end = r_.Mark(r_.attributes);
    Status s = ForEach(rm, "scopeMetrics", "scope_metrics", "ResourceMetrics", [&](const Json& sm) {
      return ForEach(sm, "metrics", {}, "ScopeMetrics",
                     [&](const Json& m) { return MetricObject(m); });
    });
    resource.metrics.end = r_.Mark(r_.metrics);
    r_.resources.push_back(resource);
    return s;
  }

  Status StringMember(const Json& object, std::string_view key, std::string_view* out) {
    const Json* j = Member(object, key);
    if (j == nullptr) return Status::Ok();
    if (!j->is_string()) return Bad("Metric", std::string(key) + " is not a string");
    *out = j->get_ref<const std::string&>();
    return Status::Ok();
  }

  Status MetricObject(const Json& j) {
    Metric m;
    Status s = StringMember(j, "name", &m.name);
    if (s.ok()) s = StringMember(j, "description", &m.description);
    if (s.ok()) s = StringMember(j, "unit", &m.unit);
    if (!s.ok()) return s;
    if (const Json* d = Member(j, "gauge"); d != nullptr) s = NumberData(*d, DataKind::kGauge, &m);
    if (const Json* d = Member(j, "sum"); d != nullptr) s = NumberData(*d, DataKind::kSum, &m);
    if (const Json* d = Member(j, "histogram"); d != nullptr) s = HistogramData(*d, &m);
    if (const Json* d = Member(j, "exponentialHistogram", "exponential_histogram"); d != nullptr) {
      s = CountPoints(*d, DataKind::kExponentialHistogram, &m);
    }
    if (const Json* d = Member(j, "summary"); d != nullptr) {
      s = CountPoints(*d, DataKind::kSummary, &m);
    }
    r_.metrics.push_back(m);
    return s;
  }

  Status Temporality(const Json& data, Metric* m) {
    const Json* t = Member(data, "aggregationTemporality", "aggregation_temporality");
    if (t != nullptr && !AsTemporality(*t, &m->temporality)) {
      return Bad("Metric", "aggregationTemporality is not a temporality");
    }
    return Status::Ok();
  }

  Status NumberData(const Json& data, DataKind kind, Metric* m) {
    if (!data.is_object()) return Bad("Metric", "data is not an object");
    m->kind = kind;
    m->points.begin = r_.Mark(r_.numbers);
    if (kind == DataKind::kSum) {
      if (Status s = Temporality(data, m); !s.ok()) return s;
      const Json* mono = Member(data, "isMonotonic", "is_monotonic");
      if (mono != nullptr && !mono->is_boolean()) return Bad("Sum", "isMonotonic is not a bool");
      m->monotonic = mono != nullptr && mono->get<bool>();
    }
    Status s = ForEach(data, "dataPoints", "data_points", "Metric",
                       [&](const Json& p) { return NumberPointObject(p); });
    m->points.end = r_.Mark(r_.numbers);
    return s;
  }

  Status HistogramData(const Json& data, Metric* m) {
    if (!data.is_object()) return Bad("Metric", "histogram is not an object");
    m->kind = DataKind::kHistogram;
    m->points.begin = r_.Mark(r_.histograms);
    if (Status s = Temporality(data, m); !s.ok()) return s;
    Status s = ForEach(data, "dataPoints", "data_points", "Histogram",
                       [&](const Json& p) { return HistogramPointObject(p); });
    m->points.end = r_.Mark(r_.histograms);
    return s;
  }

  Status CountPoints(const Json& data, DataKind kind, Metric* m) {
    if (!data.is_object()) return Bad("Metric", "data is not an object");
    m->kind = kind;
    m->points = {};
    const Json* points = Member(data, "dataPoints", "data_points");
    m->unsupported_points = points != nullptr && points->is_array() ? points->size() : 0;
    return Status::Ok();
  }

  Status PointCommon(const Json& p, std::string_view where, uint64_t* time, uint32_t* flags) {
    if (const Json* t = Member(p, "timeUnixNano", "time_unix_nano");
        t != nullptr && !AsUint64(*t, time)) {
      return Bad(where, "timeUnixNano is not an unsigned integer");
    }
    uint64_t f = 0;
    if (const Json* j = Member(p, "flags"); j != nullptr && !AsUint64(*j, &f)) {
      return Bad(where, "flags is not an unsigned integer");
    }
    *flags = static_cast<uint32_t>(f);
    return Attributes(p, where);
  }

  Status NumberPointObject(const Json& j) {
    NumberPoint p;
    p.attributes.begin = r_.Mark(r_.attributes);
    Status s = PointCommon(j, "NumberDataPoint", &p.time_unix_nano, &p.flags);
    p.attributes.end = r_.Mark(r_.attributes);
    if (!s.ok()) return s;
    if (const Json* d = Member(j, "asDouble", "as_double"); d != nullptr) {
      if (!AsDouble(*d, &p.value)) return Bad("NumberDataPoint", "asDouble is not a number");
      p.has_value = true;
    }
    if (const Json* i = Member(j, "asInt", "as_int"); i != nullptr) {
      int64_t v = 0;
      if (!AsInt64(*i, &v)) return Bad("NumberDataPoint", "asInt is not an integer");
      p.value = static_cast<double>(v);
      p.has_value = true;
    }
    r_.numbers.push_back(p);
    return Status::Ok();
  }

  Status HistogramPointObject(const Json& j) {
    HistogramPoint p;
    p.attributes.begin = r_.Mark(r_.attributes);
    Status s = PointCommon(j, "HistogramDataPoint", &p.time_unix_nano, &p.flags);
    p.attributes.end = r_.Mark(r_.attributes);
    if (!s.ok()) return s;
    if (const Json* c = Member(j, "count"); c != nullptr && !AsUint64(*c, &p.count)) {
      return Bad("HistogramDataPoint", "count is not an unsigned integer");
    }
    if (const Json* sum = Member(j, "sum"); sum != nullptr) {
      if (!AsDouble(*sum, &p.sum)) return Bad("HistogramDataPoint", "sum is not a number");
      p.has_sum = true;
    }
    p.bucket_counts.begin = r_.Mark(r_.counts);
    p.bounds.begin = r_.Mark(r_.bounds);
    if (const Json* a = Member(j, "bucketCounts", "bucket_counts"); a != nullptr) {
      if (!a->is_array()) return Bad("HistogramDataPoint", "bucketCounts is not an array");
      for (const Json& c : *a) {
        uint64_t v = 0;
        if (!AsUint64(c, &v)) return Bad("HistogramDataPoint", "a bucket count is not unsigned");
        r_.counts.push_back(v);
      }
    }
    if (const Json* a = Member(j, "explicitBounds", "explicit_bounds"); a != nullptr) {
      if (!a->is_array()) return Bad("HistogramDataPoint", "explicitBounds is not an array");
      for (const Json& b : *a) {
        double v = 0;
        if (!AsDouble(b, &v)) return Bad("HistogramDataPoint", "a bound is not a number");
        r_.bounds.push_back(v);
      }
    }
    p.bucket_counts.end = r_.Mark(r_.counts);
    p.bounds.end = r_.Mark(r_.bounds);
    r_.histograms.push_back(p);
    return Status::Ok();
  }

  Status Attributes(const Json& holder, std::string_view where) {
    return ForEach(holder, "attributes", {}, where, [&](const Json& kv) {
      const Json* key = Member(kv, "key");
      if (key == nullptr || !key->is_string()) return Bad(where, "attribute without a string key");
      Attribute a{key->get_ref<const std::string&>(), {}};
      if (const Json* v = Member(kv, "value"); v != nullptr) {
        if (Status s = ValueText(*v, &a.value); !s.ok()) return s;
      }
      r_.attributes.push_back(a);
      return Status::Ok();
    });
  }

  Status ValueText(const Json& v, std::string_view* text) {
    if (!v.is_object()) return Bad("AnyValue", "expected an object");
    if (const Json* s = Member(v, "stringValue", "string_value"); s != nullptr) {
      if (!s->is_string()) return Bad("AnyValue", "stringValue is not a string");
      *text = s->get_ref<const std::string&>();
      return Status::Ok();
    }
    if (const Json* b = Member(v, "bytesValue", "bytes_value"); b != nullptr) {
      if (!b->is_string()) return Bad("AnyValue", "bytesValue is not a string");
      *text = b->get_ref<const std::string&>();  // already base64
      return Status::Ok();
    }
    if (const Json* b = Member(v, "boolValue", "bool_value"); b != nullptr) {
      if (!b->is_boolean()) return Bad("AnyValue", "boolValue is not a bool");
      *text = b->get<bool>() ? "true" : "false";
      return Status::Ok();
    }
    std::string out;
    if (Status s = AppendValue(v, 1, /*top=*/true, out); !s.ok()) return s;
    *text = r_.Own(std::move(out));
    return Status::Ok();
  }

  // An AnyValue's int, double, array or map (or, below the top, any value)
  // as JSON text, as the collector renders array and map attributes.
  static Status AppendValue(const Json& v, int depth, bool top, std::string& out) {
    if (depth > kMaxValueDepth) return Bad("AnyValue", "nested too deeply");
    if (!v.is_object()) return Bad("AnyValue", "expected an object");
    if (const Json* i = Member(v, "intValue", "int_value"); i != nullptr) {
      int64_t n = 0;
      if (!AsInt64(*i, &n)) return Bad("AnyValue", "intValue is not an integer");
      out += std::to_string(n);
      return Status::Ok();
    }
    if (const Json* d = Member(v, "doubleValue", "double_value"); d != nullptr) {
      double x = 0;
      if (!AsDouble(*d, &x)) return Bad("AnyValue", "doubleValue is not a number");
      if (!top && !std::isfinite(x)) {
        out += "null";
      } else {
        AppendOtlpDouble(out, x);
      }
      return Status::Ok();
    }
    const bool kvlist = Member(v, "kvlistValue", "kvlist_value") != nullptr;
    if (kvlist || Member(v, "arrayValue", "array_value") != nullptr) {
      const Json& c = kvlist ? *Member(v, "kvlistValue", "kvlist_value")
                             : *Member(v, "arrayValue", "array_value");
      return AppendContainer(c, kvlist, depth, out);
    }
    if (top) return Status::Ok();  // an empty AnyValue: ""
    if (const Json* s = Member(v, "stringValue", "string_value"); s != nullptr && s->is_string()) {
      AppendJsonString(out, s->get_ref<const std::string&>());
    } else if (const Json* b = Member(v, "bytesValue", "bytes_value");
               b != nullptr && b->is_string()) {
      AppendJsonString(out, b->get_ref<const std::string&>());
    } else if (const Json* t = Member(v, "boolValue", "bool_value");
               t != nullptr && t->is_boolean()) {
      out += t->get<bool>() ? "true" : "false";
    } else {
      out += "null";
    }
    return Status::Ok();
  }

  static Status AppendContainer(const Json& c, bool kvlist, int depth, std::string& out) {
    if (!c.is_object()) return Bad("AnyValue", "array or map value is not an object");
    out += kvlist ? '{' : '[';
    bool first = true;
    Status s = ForEach(c, "values", {}, "AnyValue", [&](const Json& item) {
      if (!first) out += ',';
      first = false;
      if (!kvlist) return AppendValue(item, depth + 1, false, out);
      const Json* key = Member(item, "key");
      if (key == nullptr || !key->is_string()) return Bad("AnyValue", "map entry without a key");
      AppendJsonString(out, key->get_ref<const std::string&>());
      out += ':';
      const Json* value = Member(item, "value");
      if (value == nullptr) {
        out += "null";
        return Status::Ok();
      }
      return AppendValue(*value, depth + 1, false, out);
    });
    out += kvlist ? '}' : ']';
    return s;
  }

  Request& r_;
};

}  // namespace

Status DecodeJson(std::string_view body, Request* request) {
  auto doc = std::make_shared<Json>();
  try {
    *doc = Json::parse(body.begin(), body.end());
  } catch (const Json::exception& e) {
    return Status::InvalidArgument(std::string("body is not JSON: ") + e.what());
  }
  request->source = doc;
  return Decoder(*request).ExportRequest(*doc);
}

std::string EncodeJsonResponse(uint64_t rejected, std::string_view error_message) {
  if (rejected == 0) return "{}";
  std::string out = "{\"partialSuccess\":{\"rejectedDataPoints\":\"";
  out += std::to_string(rejected);
  out += "\",\"errorMessage\":";
  AppendJsonString(out, error_message);
  out += "}}";
  return out;
}

std::string EncodeJsonStatus(int code, std::string_view message) {
  std::string out = "{\"code\":" + std::to_string(code) + ",\"message\":";
  AppendJsonString(out, message);
  out += '}';
  return out;
}

}  // namespace perfwatch::otlp
