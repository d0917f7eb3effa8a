#pragma once
// Private to otlp*.cpp: an ExportMetricsServiceRequest decoded into flat
// arrays (no allocation per point beyond the arrays' growth), filled by the
// protobuf and the JSON decoder alike and read by IngestOtlpMetrics.
//
// Strings are views into the request body (protobuf), into the JSON
// document held by `source`, or into `owned` (attribute values rendered from
// numbers, bytes and arrays); the request must outlive the body it was
// decoded from. Not thread-safe.

#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "model/status.h"

namespace perfwatch::otlp {

// Ranges index the OtlpRequest arrays: [begin, end).
struct Range {
  uint32_t begin = 0;
  uint32_t end = 0;
  size_t size() const { return end - begin; }
};

struct Attribute {
  std::string_view key;
  std::string_view value;  // rendered as Prometheus label text
};

struct NumberPoint {
  Range attributes;
  uint64_t time_unix_nano = 0;
  double value = 0;
  bool has_value = false;
  uint32_t flags = 0;
};

struct HistogramPoint {
  Range attributes;
  uint64_t time_unix_nano = 0;
  uint64_t count = 0;
  double sum = 0;
  bool has_sum = false;
  Range bucket_counts;  // into OtlpRequest::counts
  Range bounds;         // into OtlpRequest::bounds
  uint32_t flags = 0;
};

enum class DataKind { kNone, kGauge, kSum, kHistogram, kExponentialHistogram, kSummary };

// AggregationTemporality values.
inline constexpr int kTemporalityDelta = 1;
inline constexpr int kTemporalityCumulative = 2;
// DataPointFlags.FLAG_NO_RECORDED_VALUE: a staleness marker, not a value.
inline constexpr uint32_t kFlagNoRecordedValue = 1;

struct Metric {
  std::string_view name;
  std::string_view description;
  std::string_view unit;
  DataKind kind = DataKind::kNone;
  int temporality = 0;
  bool monotonic = false;
  Range points;                     // into numbers (gauge, sum) or histograms
  uint64_t unsupported_points = 0;  // exponential histogram and summary points
};

struct Resource {
  Range attributes;
  Range metrics;
};

struct Request {
  std::vector<Resource> resources;
  std::vector<Metric> metrics;
  std::vector<NumberPoint> numbers;
  std::vector<HistogramPoint> histograms;
  std::vector<Attribute> attributes;
  std::vector<uint64_t> counts;
  std::vector<double> bounds;
  std::deque<std::string> owned;
  std::shared_ptr<const void> source;

  uint32_t Mark(const auto& array) const { return static_cast<uint32_t>(array.size()); }
  std::string_view Own(std::string text) { return owned.emplace_back(std::move(text)); }
};

// An AnyValue nested deeper than this (arrays of arrays...) is malformed.
inline constexpr int kMaxValueDepth = 16;

Status DecodeProtobuf(std::string_view body, Request* request);
Status DecodeJson(std::string_view body, Request* request);

// Response bodies in each encoding (see EncodeOtlpResponse / EncodeOtlpStatus).
std::string EncodeProtobufResponse(uint64_t rejected, std::string_view error_message);
std::string EncodeProtobufStatus(int code, std::string_view message);
std::string EncodeJsonResponse(uint64_t rejected, std::string_view error_message);
std::string EncodeJsonStatus(int code, std::string_view message);

// Attribute value rendering shared by both decoders, as the OpenTelemetry
// collector's pdata AsString spells values.
void AppendOtlpDouble(std::string& out, double value);
void AppendBase64(std::string& out, std::string_view bytes);
void AppendJsonString(std::string& out, std::string_view text);

}  // namespace perfwatch::otlp
