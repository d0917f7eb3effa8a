#pragma once
// OTLP/HTTP metrics (POST /v1/metrics): an ExportMetricsServiceRequest in
// protobuf or in OTLP's JSON mapping, translated the way Prometheus
// translates OTLP (prometheus/otlptranslator) and written into AppMetrics.
//
//   Gauge                         gauge, Set
//   Sum, monotonic                counter named ..._total; cumulative Set, delta Add
//   Sum, not monotonic            gauge; cumulative Set, delta Add
//   Histogram (explicit buckets)  histogram, SetHistogram (cumulative or delta)
//   ExponentialHistogram, Summary every point refused ("unsupported")
//
// Names: the metric name split at every byte outside [a-zA-Z0-9:] and
// joined with '_', then the unit as Prometheus spells it ("s" -> _seconds,
// "By" -> _bytes, "By/s" -> _bytes_per_second, "{request}" dropped), _total
// for monotonic sums, _ratio for gauges of unit "1"; a leading digit gains
// '_'. Labels: resource attributes, then data point attributes (which win on
// a clash), names through SanitizeLabelName; the scope is not a label.
// Timestamps: time_unix_nano in milliseconds.
//
// Pure functions of their arguments; thread-safe.

#include <cstdint>
#include <string>
#include <string_view>

#include "ingest/app_metrics.h"
#include "model/status.h"

namespace perfwatch {

enum class OtlpEncoding { kProtobuf, kJson };

// What became of a request's data points.
struct OtlpResult {
  uint64_t accepted = 0;
  uint64_t rejected = 0;  // every refused point, `limited` included
  uint64_t limited = 0;   // refused for the series limit
  // For ExportMetricsPartialSuccess.error_message: the first few reasons.
  std::string error_message;
};

// Decodes the whole body first (nothing is written when that fails, with
// kInvalidArgument saying where), then writes every point through `batch`,
// counting each refused one with its reason.
Result<OtlpResult> IngestOtlpMetrics(std::string_view body, OtlpEncoding encoding,
                                     AppMetrics::Batch& batch);
// The same, decoding before taking AppMetrics' lock (what the route does, so
// a large body does not hold StatsD back while it is decoded); counts the
// body as one message of `message_bytes`.
Result<OtlpResult> IngestOtlpMetrics(std::string_view body, OtlpEncoding encoding,
                                     AppMetrics& metrics, uint64_t message_bytes);

// An ExportMetricsServiceResponse: empty when nothing was refused,
// partial_success otherwise ({} or {"partialSuccess":{...}} in JSON).
std::string EncodeOtlpResponse(const OtlpResult& result, OtlpEncoding encoding);
// A google.rpc.Status {code, message}, the body of OTLP error answers.
std::string EncodeOtlpStatus(int grpc_code, std::string_view message, OtlpEncoding encoding);

enum class OtlpMetricType { kGauge, kMonotonicSum, kNonMonotonicSum, kHistogram, kOther };

// The Prometheus name of an OTLP metric, as described above; "" when
// nothing of the name is left.
std::string OtlpMetricName(std::string_view name, std::string_view unit, OtlpMetricType type);
// The unit word Prometheus appends for `unit` ("s" -> "seconds", "By/s" ->
// "bytes_per_second", "1" and "{request}" -> "").
std::string OtlpUnitName(std::string_view unit);

}  // namespace perfwatch
