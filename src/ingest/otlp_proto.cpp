// ExportMetricsServiceRequest in the protobuf wire format
// (opentelemetry-proto, collector/metrics/v1, metrics/v1, common/v1,
// resource/v1), decoded with ProtoReader into an otlp::Request.
#include <bit>
#include <string>

#include "ingest/otlp_model.h"
#include "ingest/proto_wire.h"
#include "interchange/prom_text.h"

namespace perfwatch::otlp {
namespace {

Status Malformed(std::string_view message, std::string_view why) {
  return Status::InvalidArgument("malformed protobuf in " + std::string(message) + ": " +
                                 std::string(why));
}

Status WrongType(std::string_view message, const ProtoField& f) {
  return Malformed(message, "field " + std::to_string(f.number) + " has the wrong wire type");
}

// Calls `on_field(const ProtoField&) -> Status` for every field of the
// message in `bytes`.
template <typename OnField>
Status ForEachField(std::string_view bytes, std::string_view message, OnField&& on_field) {
  ProtoReader reader(bytes);
  ProtoField f;
  while (reader.Next(&f)) {
    if (Status s = on_field(f); !s.ok()) return s;
  }
  if (reader.error() != nullptr) return Malformed(message, reader.error());
  return Status::Ok();
}

// For a field whose number the caller knows: its wire type must match.
#define PW_EXPECT_TYPE(message, f, wire) \
  if ((f).type != (wire)) return WrongType((message), (f))

class Decoder {
 public:
  explicit Decoder(Request& r) : r_(r) {}

  Status ExportRequest(std::string_view bytes) {
    return ForEachField(bytes, "ExportMetricsServiceRequest", [&](const ProtoField& f) {
      if (f.number != 1) return Status::Ok();
      PW_EXPECT_TYPE("ExportMetricsServiceRequest", f, WireType::kLen);
      return ResourceMetrics(f.bytes);
    });
  }

 private:
  Status ResourceMetrics(std::string_view bytes) {
    Resource resource;
    resource.metrics.begin = r_.Mark(r_.metrics);
    Status s = ForEachField(bytes, "ResourceMetrics", [&](const ProtoField& f) {
      if (f.number == 1) {
        PW_EXPECT_TYPE("ResourceMetrics", f, WireType::kLen);
        return ResourceAttributes(f.bytes, &resource.attributes);
      }
      if (f.number == 2) {
        PW_EXPECT_TYPE("ResourceMetrics", f, WireType::kLen);
        return ScopeMetrics(f.bytes);
      }
      return Status::Ok();
    });
    resource.metrics.end = r_.Mark(r_.metrics);
    r_.resources.push_back(resource);
    return s;
  }

  Status ResourceAttributes(std::string_view bytes, Range* attributes) {
    attributes->begin = r_.Mark(r_.attributes);
    Status s = ForEachField(bytes, "Resource", [&](const ProtoField& f) {
      if (f.number != 1) return Status::Ok();
      PW_EXPECT_TYPE("Resource", f, WireType::kLen);
      return KeyValue(f.bytes);
    });
    attributes->end = r_.Mark(r_.attributes);
    return s;
  }

  Status ScopeMetrics(std::string_view bytes) {
    return ForEachField(bytes, "ScopeMetrics", [&](const ProtoField& f) {
      if (f.number != 2) return Status::Ok();  // the scope is not a label
      PW_EXPECT_TYPE("ScopeMetrics", f, WireType::kLen);
      return MetricMessage(f.bytes);
    });
  }

  Status MetricMessage(std::string_view bytes) {
    Metric m;
    Status s = ForEachField(bytes, "Metric", [&](const ProtoField& f) {
      switch (f.number) {
        case 1:
        case 2:
        case 3: {
          PW_EXPECT_TYPE("Metric", f, WireType::kLen);
          if (!IsValidUtf8(f.bytes)) return Malformed("Metric", "string is not UTF-8");
          (f.number == 1 ? m.name : f.number == 2 ? m.description : m.unit) = f.bytes;
          return Status::Ok();
        }
        case 5:
        case 7:
          PW_EXPECT_TYPE("Metric", f, WireType::kLen);
          return NumberData(f.bytes, f.number == 5 ? DataKind::kGauge : DataKind::kSum, &m);
        case 9:
          PW_EXPECT_TYPE("Metric", f, WireType::kLen);
          return HistogramData(f.bytes, &m);
        case 10:
        case 11:
          PW_EXPECT_TYPE("Metric", f, WireType::kLen);
          m.kind = f.number == 10 ? DataKind::kExponentialHistogram : DataKind::kSummary;
          m.points = {};
          return CountPoints(f.bytes, &m.unsupported_points);
        default:
          return Status::Ok();
      }
    });
    r_.metrics.push_back(m);
    return s;
  }

  // Gauge (data_points = 1) or Sum (also aggregation_temporality = 2,
  // is_monotonic = 3).
  Status NumberData(std::string_view bytes, DataKind kind, Metric* m) {
    m->kind = kind;
    m->temporality = 0;
    m->monotonic = false;
    m->unsupported_points = 0;
    m->points.begin = r_.Mark(r_.numbers);
    const std::string_view message = kind == DataKind::kGauge ? "Gauge" : "Sum";
    Status s = ForEachField(bytes, message, [&](const ProtoField& f) {
      if (f.number == 1) {
        PW_EXPECT_TYPE(message, f, WireType::kLen);
        return NumberPointMessage(f.bytes);
      }
      if (kind == DataKind::kSum && (f.number == 2 || f.number == 3)) {
        PW_EXPECT_TYPE(message, f, WireType::kVarint);
        if (f.number == 2) m->temporality = static_cast<int>(f.scalar);
        if (f.number == 3) m->monotonic = f.scalar != 0;
      }
      return Status::Ok();
    });
    m->points.end = r_.Mark(r_.numbers);
    return s;
  }

  Status HistogramData(std::string_view bytes, Metric* m) {
    m->kind = DataKind::kHistogram;
    m->temporality = 0;
    m->unsupported_points = 0;
    m->points.begin = r_.Mark(r_.histograms);
    Status s = ForEachField(bytes, "Histogram", [&](const ProtoField& f) {
      if (f.number == 1) {
        PW_EXPECT_TYPE("Histogram", f, WireType::kLen);
        return HistogramPointMessage(f.bytes);
      }
      if (f.number == 2) {
        PW_EXPECT_TYPE("Histogram", f, WireType::kVarint);
        m->temporality = static_cast<int>(f.scalar);
      }
      return Status::Ok();
    });
    m->points.end = r_.Mark(r_.histograms);
    return s;
  }

  // ExponentialHistogram and Summary: only how many points they hold.
  Status CountPoints(std::string_view bytes, uint64_t* n) {
    *n = 0;
    return ForEachField(bytes, "data", [&](const ProtoField& f) {
      if (f.number == 1) ++*n;
      return Status::Ok();
    });
  }

  Status NumberPointMessage(std::string_view bytes) {
    NumberPoint p;
    p.attributes.begin = r_.Mark(r_.attributes);
    Status s = ForEachField(bytes, "NumberDataPoint", [&](const ProtoField& f) {
      switch (f.number) {
        case 3:
          PW_EXPECT_TYPE("NumberDataPoint", f, WireType::kFixed64);
          p.time_unix_nano = f.scalar;
          return Status::Ok();
        case 4:
        case 6:
          PW_EXPECT_TYPE("NumberDataPoint", f, WireType::kFixed64);
          p.value = f.number == 4 ? f.AsDouble() : static_cast<double>(f.AsInt64());
          p.has_value = true;
          return Status::Ok();
        case 7:
          PW_EXPECT_TYPE("NumberDataPoint", f, WireType::kLen);
          return KeyValue(f.bytes);
        case 8:
          PW_EXPECT_TYPE("NumberDataPoint", f, WireType::kVarint);
          p.flags = static_cast<uint32_t>(f.scalar);
          return Status::Ok();
        default:
          return Status::Ok();
      }
    });
    p.attributes.end = r_.Mark(r_.attributes);
    r_.numbers.push_back(p);
    return s;
  }

  Status HistogramPointMessage(std::string_view bytes) {
    HistogramPoint p;
    p.attributes.begin = r_.Mark(r_.attributes);
    p.bucket_counts.begin = r_.Mark(r_.counts);
    p.bounds.begin = r_.Mark(r_.bounds);
    Status s = ForEachField(bytes, "HistogramDataPoint", [&](const ProtoField& f) {
      switch (f.number) {
        case 3:
        case 4:
        case 5:
          PW_EXPECT_TYPE("HistogramDataPoint", f, WireType::kFixed64);
          if (f.number == 3) p.time_unix_nano = f.scalar;
          if (f.number == 4) p.count = f.scalar;
          if (f.number == 5) {
            p.sum = f.AsDouble();
            p.has_sum = true;
          }
          return Status::Ok();
        case 6:
          return Repeated64(f, [&](uint64_t v) { r_.counts.push_back(v); });
        case 7:
          return Repeated64(f, [&](uint64_t v) { r_.bounds.push_back(std::bit_cast<double>(v)); });
        case 9:
          PW_EXPECT_TYPE("HistogramDataPoint", f, WireType::kLen);
          return KeyValue(f.bytes);
        case 10:
          PW_EXPECT_TYPE("HistogramDataPoint", f, WireType::kVarint);
          p.flags = static_cast<uint32_t>(f.scalar);
          return Status::Ok();
        default:
          return Status::Ok();
      }
    });
    p.attributes.end = r_.Mark(r_.attributes);
    p.bucket_counts.end = r_.Mark(r_.counts);
    p.bounds.end = r_.Mark(r_.bounds);
    r_.histograms.push_back(p);
    return s;
  }

  // A repeated fixed64/double field, packed (one kLen) or not (kFixed64 each).
  template <typename Each>
  Status Repeated64(const ProtoField& f, Each&& each) {
    if (f.type == WireType::kFixed64) {
      each(f.scalar);
      return Status::Ok();
    }
    PW_EXPECT_TYPE("HistogramDataPoint", f, WireType::kLen);
    if (!ProtoReader::ForEachPackedFixed64(f.bytes, each)) {
      return Malformed("HistogramDataPoint", "packed field length is not a multiple of 8");
    }
    return Status::Ok();
  }

  Status KeyValue(std::string_view bytes) {
    Attribute a;
    Status s = ForEachField(bytes, "KeyValue", [&](const ProtoField& f) {
      if (f.number == 1) {
        PW_EXPECT_TYPE("KeyValue", f, WireType::kLen);
        if (!IsValidUtf8(f.bytes)) return Malformed("KeyValue", "key is not UTF-8");
        a.key = f.bytes;
      } else if (f.number == 2) {
        PW_EXPECT_TYPE("KeyValue", f, WireType::kLen);
        return ValueText(f.bytes, &a.value);
      }
      return Status::Ok();
    });
    if (s.ok()) r_.attributes.push_back(a);
    return s;
  }

  // The field of AnyValue's oneof that is set (the last one, as protobuf
  // merges), with a number of 0 when none is.
  static Status OneOf(std::string_view bytes, ProtoField* value) {
    value->number = 0;
    return ForEachField(bytes, "AnyValue", [&](const ProtoField& f) {
      if (f.number < 1 || f.number > 7) return Status::Ok();
      static constexpr WireType kTypes[] = {
          WireType::kLen,     WireType::kLen, WireType::kVarint, WireType::kVarint,
          WireType::kFixed64, WireType::kLen, WireType::kLen,    WireType::kLen};
      PW_EXPECT_TYPE("AnyValue", f, kTypes[f.number]);
      *value = f;
      return Status::Ok();
    });
  }

  // An attribute value as label text: strings as they are, the rest as the
  // collector's AsString writes it (arrays and maps as JSON).
  Status ValueText(std::string_view bytes, std::string_view* text) {
    ProtoField v;
    if (Status s = OneOf(bytes, &v); !s.ok()) return s;
    switch (v.number) {
      case 0:
        *text = {};
        return Status::Ok();
      case 1:
        if (!IsValidUtf8(v.bytes)) return Malformed("AnyValue", "string is not UTF-8");
        *text = v.bytes;
        return Status::Ok();
      case 2:
        *text = v.scalar != 0 ? "true" : "false";
        return Status::Ok();
      default:
        break;
    }
    std::string out;
    if (v.number == 7) {
      AppendBase64(out, v.bytes);
    } else if (Status s = AppendScalarOrJson(v, 1, out); !s.ok()) {
      return s;
    }
    *text = r_.Own(std::move(out));
    return Status::Ok();
  }

  static Status AppendScalarOrJson(const ProtoField& v, int depth, std::string& out) {
    switch (v.number) {
      case 3:
        out += std::to_string(v.AsInt64());
        return Status::Ok();
      case 4:
        AppendOtlpDouble(out, v.AsDouble());
        return Status::Ok();
      case 5:
      case 6:
        return AppendContainerJson(v.bytes, v.number == 6, depth, out);
      default:
        return Status::Ok();
    }
  }

  // ArrayValue (values = 1, AnyValue) or KeyValueList (values = 1, KeyValue)
  // as a JSON array or object.
  static Status AppendContainerJson(std::string_view bytes, bool kvlist, int depth,
                                    std::string& out) {
    if (depth > kMaxValueDepth) return Malformed("AnyValue", "nested too deeply");
    out += kvlist ? '{' : '[';
    bool first = true;
    Status s =
        ForEachField(bytes, kvlist ? "KeyValueList" : "ArrayValue", [&](const ProtoField& f) {
          if (f.number != 1) return Status::Ok();
          PW_EXPECT_TYPE("ArrayValue", f, WireType::kLen);
          if (!first) out += ',';
          first = false;
          return kvlist ? AppendMemberJson(f.bytes, depth, out)
                        : AppendValueJson(f.bytes, depth, out);
        });
    out += kvlist ? '}' : ']';
    return s;
  }

  static Status AppendMemberJson(std::string_view bytes, int depth, std::string& out) {
    std::string_view key;
    std::string_view value;
    Status s = ForEachField(bytes, "KeyValue", [&](const ProtoField& f) {
      if (f.number == 1 || f.number == 2) {
        PW_EXPECT_TYPE("KeyValue", f, WireType::kLen);
        (f.number == 1 ? key : value) = f.bytes;
      }
      return Status::Ok();
    });
    if (!s.ok()) return s;
    if (!IsValidUtf8(key)) return Malformed("KeyValue", "key is not UTF-8");
    AppendJsonString(out, key);
    out += ':';
    return AppendValueJson(value, depth, out);
  }

  static Status AppendValueJson(std::string_view bytes, int depth, std::string& out) {
    ProtoField v;
    if (Status s = OneOf(bytes, &v); !s.ok()) return s;
    switch (v.number) {
      case 1:
        if (!IsValidUtf8(v.bytes)) return Malformed("AnyValue", "string is not UTF-8");
        AppendJsonString(out, v.bytes);
        return Status::Ok();
      case 2:
        out += v.scalar != 0 ? "true" : "false";
        return Status::Ok();
      case 4: {
        const double d = v.AsDouble();
        if (d != d || d - d != 0) {
          out += "null";  // JSON has no NaN or Inf
        } else {
          AppendOtlpDouble(out, d);
        }
        return Status::Ok();
      }
      case 7: {
        out += '"';
        AppendBase64(out, v.bytes);
        out += '"';
        return Status::Ok();
      }
      case 0:
        out += "null";
        return Status::Ok();
      default:
        return AppendScalarOrJson(v, depth + 1, out);
    }
  }

  Request& r_;
};

#undef PW_EXPECT_TYPE

void AppendVarint(std::string& out, uint64_t v) {
  while (v >= 0x80) {
    out += static_cast<char>((v & 0x7F) | 0x80);
    v >>= 7;
  }
  out += static_cast<char>(v);
}

void AppendLenField(std::string& out, uint32_t number, std::string_view bytes) {
  AppendVarint(out, (number << 3) | 2);
  AppendVarint(out, bytes.size());
  out.append(bytes);
}

void AppendVarintField(std::string& out, uint32_t number, uint64_t v) {
  AppendVarint(out, number << 3);
  AppendVarint(out, v);
}

}  // namespace

Status DecodeProtobuf(std::string_view body, Request* request) {
  return Decoder(*request).ExportRequest(body);
}

std::string EncodeProtobufResponse(uint64_t rejected, std::string_view error_message) {
  if (rejected == 0) return {};
  std::string partial;
  AppendVarintField(partial, 1, rejected);
  if (!error_message.empty()) AppendLenField(partial, 2, error_message);
  std::string out;
  AppendLenField(out, 1, partial);
  return out;
}

std::string EncodeProtobufStatus(int code, std::string_view message) {
  std::string out;
  AppendVarintField(out, 1, static_cast<uint64_t>(static_cast<int64_t>(code)));
  if (!message.empty()) AppendLenField(out, 2, message);
  return out;
}

}  // namespace perfwatch::otlp
