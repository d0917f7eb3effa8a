#pragma once
// Shared by the push and OTLP tests: what AppMetrics emits into a Tick,
// keyed by "name{labels}", and a tiny protobuf writer to build OTLP
// requests byte by byte (test-only; perfwatch itself only reads protobuf).

#include <gtest/gtest.h>

#include <bit>
#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "emit_util.h"
#include "ingest/app_metrics.h"
#include "model/registry.h"
#include "model/tick.h"

namespace perfwatch::push_test {

using ingest_test::Emit;
using ingest_test::NowMs;

// The emitted series whose name starts with `prefix` (leaves out
// perfwatch's own ingest counters and derived metrics).
inline std::map<std::string, double> EmitPrefix(AppMetrics& metrics, std::string_view prefix) {
  std::map<std::string, double> out;
  for (auto& [k, v] : Emit(metrics)) {
    if (k.starts_with(prefix)) out[k] = v;
  }
  return out;
}

class ProtoWriter {
 public:
  ProtoWriter& Varint(uint32_t field, uint64_t v) {
    Tag(field, 0);
    Raw(v);
    return *this;
  }
  ProtoWriter& Fixed64(uint32_t field, uint64_t v) {
    Tag(field, 1);
    out_.append(reinterpret_cast<const char*>(&v), 8);
    return *this;
  }
  ProtoWriter& Double(uint32_t field, double v) {
    return Fixed64(field, std::bit_cast<uint64_t>(v));
  }
  ProtoWriter& Fixed32(uint32_t field, uint32_t v) {
    Tag(field, 5);
    out_.append(reinterpret_cast<const char*>(&v), 4);
    return *this;
  }
  ProtoWriter& Bytes(uint32_t field, std::string_view b) {
    Tag(field, 2);
    Raw(b.size());
    out_.append(b);
    return *this;
  }
  ProtoWriter& Message(uint32_t field, const ProtoWriter& m) { return Bytes(field, m.str()); }
  ProtoWriter& PackedDoubles(uint32_t field, const std::vector<double>& values) {
    std::string packed;
    for (double d : values) packed.append(reinterpret_cast<const char*>(&d), 8);
    return Bytes(field, packed);
  }
  ProtoWriter& PackedFixed64(uint32_t field, const std::vector<uint64_t>& values) {
    std::string packed;
    for (uint64_t v : values) packed.append(reinterpret_cast<const char*>(&v), 8);
    return Bytes(field, packed);
  }
  // Raw bytes, to build malformed input.
  ProtoWriter& Append(std::string_view raw) {
    out_.append(raw);
    return *this;
  }
  void Tag(uint32_t field, int wire) { Raw((static_cast<uint64_t>(field) << 3) | wire); }
  void Raw(uint64_t v) {
    while (v >= 0x80) {
      out_ += static_cast<char>((v & 0x7F) | 0x80);
      v >>= 7;
    }
    out_ += static_cast<char>(v);
  }
  const std::string& str() const { return out_; }

 private:
  std::string out_;
};

// OTLP messages (opentelemetry-proto field numbers).
inline ProtoWriter StringValue(std::string_view s) { return ProtoWriter().Bytes(1, s); }
inline ProtoWriter KeyValue(std::string_view key, const ProtoWriter& any) {
  return ProtoWriter().Bytes(1, key).Message(2, any);
}
inline ProtoWriter Attr(std::string_view key, std::string_view value) {
  return KeyValue(key, StringValue(value));
}

inline ProtoWriter NumberPoint(double value, TimestampMs t_ms,
                               const std::vector<ProtoWriter>& attrs = {}) {
  ProtoWriter p;
  for (const ProtoWriter& a : attrs) p.Message(7, a);
  p.Fixed64(2, static_cast<uint64_t>(t_ms - 1000) * 1'000'000);
  p.Fixed64(3, static_cast<uint64_t>(t_ms) * 1'000'000);
  p.Double(4, value);
  return p;
}
inline ProtoWriter IntPoint(int64_t value, TimestampMs t_ms,
                            const std::vector<ProtoWriter>& attrs = {}) {
  ProtoWriter p;
  for (const ProtoWriter& a : attrs) p.Message(7, a);
  p.Fixed64(3, static_cast<uint64_t>(t_ms) * 1'000'000);
  p.Fixed64(6, static_cast<uint64_t>(value));
  return p;
}

inline ProtoWriter Gauge(const std::vector<ProtoWriter>& points) {
  ProtoWriter g;
  for (const ProtoWriter& p : points) g.Message(1, p);
  return g;
}
inline ProtoWriter Sum(const std::vector<ProtoWriter>& points, int temporality, bool monotonic) {
  ProtoWriter s = Gauge(points);
  s.Varint(2, temporality).Varint(3, monotonic ? 1 : 0);
  return s;
}
inline ProtoWriter Metric(std::string_view name, std::string_view unit, uint32_t data_field,
                          const ProtoWriter& data) {
  return ProtoWriter()
      .Bytes(1, name)
      .Bytes(2, "what it counts")
      .Bytes(3, unit)
      .Message(data_field, data);
}
inline constexpr uint32_t kGauge = 5, kSum = 7, kHistogram = 9, kExpHistogram = 10, kSummary = 11;
inline constexpr int kDelta = 1, kCumulative = 2;

inline ProtoWriter Request(const std::vector<ProtoWriter>& resource_attrs,
                           const std::vector<ProtoWriter>& metrics) {
  ProtoWriter resource;
  for (const ProtoWriter& a : resource_attrs) resource.Message(1, a);
  ProtoWriter scope;
  scope.Message(1, ProtoWriter().Bytes(1, "my.library").Bytes(2, "1.0"));
  for (const ProtoWriter& m : metrics) scope.Message(2, m);
  ProtoWriter rm;
  rm.Message(1, resource).Message(2, scope);
  return ProtoWriter().Message(1, rm);
}

}  // namespace perfwatch::push_test
