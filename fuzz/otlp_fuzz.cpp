// OTLP/HTTP metrics (POST /v1/metrics): the first byte picks protobuf or
// JSON and whether the rest is gzip-inflated first (capped, as the route
// does); the body goes through IngestOtlpMetrics into a fresh AppMetrics
// with a small series limit, flushed into a Tick.
//
// Checks: a refused body has a message and writes nothing; an accepted one
// counts every point once (accepted + rejected points match AppMetrics'
// counts, limited <= rejected); the response encodes and, in protobuf,
// reads back to the rejected count; no single allocation exceeds what the
// input justifies (a length field cannot make the decoder reserve memory);
// every emitted series name is valid.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "ingest/app_metrics.h"
#include "ingest/gzip.h"
#include "ingest/otlp.h"
#include "ingest/proto_wire.h"
#include "largest_allocation.h"
#include "model/labels.h"
#include "model/registry.h"
#include "model/tick.h"

using namespace perfwatch;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const uint8_t mode = data[0];
  std::string_view body(reinterpret_cast<const char*>(data + 1), size - 1);
  const OtlpEncoding encoding = (mode & 1) ? OtlpEncoding::kJson : OtlpEncoding::kProtobuf;
  const size_t cap = 64 * 1024;
  std::string inflated;
  if (mode & 2) {
    fuzz::LargestAllocation largest;
    Status s = Inflate(body, ContentCoding::kGzip, cap, &inflated);
    if (largest.bytes() > 2 * cap + 4096 + 4 * body.size()) __builtin_trap();
    if (!s.ok()) {
      if (s.message().empty() || (s.code() != Status::Code::kInvalidArgument &&
                                  s.code() != Status::Code::kResourceExhausted)) {
        __builtin_trap();
      }
      return 0;
    }
    if (inflated.size() > cap) __builtin_trap();
    body = inflated;
  }

  IngestLimits limits;
  limits.max_series = 8;
  AppMetrics metrics(limits);
  Result<OtlpResult> result = Status::Internal("not run");
  {
    fuzz::LargestAllocation largest;
    AppMetrics::Batch batch = metrics.Begin(IngestSource::kOtlp);
    result = IngestOtlpMetrics(body, encoding, batch);
    // Flat arrays grow by doubling from what the body holds; JSON keeps a
    // document a small multiple of the text.
    if (largest.bytes() > 64 * body.size() + 64 * 1024) __builtin_trap();
  }
  if (!result.ok()) {
    if (result.status().message().empty() || metrics.SeriesCount(IngestSource::kOtlp) != 0 ||
        metrics.AcceptedCount(IngestSource::kOtlp) != 0) {
      __builtin_trap();
    }
    return 0;
  }
  if (result->limited > result->rejected ||
      metrics.AcceptedCount(IngestSource::kOtlp) != result->accepted ||
      metrics.SeriesCount(IngestSource::kOtlp) > limits.max_series ||
      (result->rejected == 0) != result->error_message.empty()) {
    __builtin_trap();
  }
  const std::string response = EncodeOtlpResponse(*result, OtlpEncoding::kProtobuf);
  ProtoReader outer(response);
  ProtoField f;
  if (result->rejected != 0) {
    if (!outer.Next(&f) || f.number != 1) __builtin_trap();
    ProtoReader partial(f.bytes);
    if (!partial.Next(&f) || f.number != 1 || f.scalar != result->rejected) __builtin_trap();
  } else if (!response.empty()) {
    __builtin_trap();
  }
  SeriesRegistry registry;
  Tick tick(registry, 1'700'000'000'000);
  metrics.Flush(tick, 1'700'000'000'000);
  for (const auto& [id, value] : tick.samples()) {
    if (!IsValidMetricName(registry.Key(id).name)) __builtin_trap();
  }
  return 0;
}
