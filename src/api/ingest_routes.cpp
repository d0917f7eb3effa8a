// POST /api/v1/push (Prometheus text or JSON samples) and POST /v1/metrics
// (OTLP/HTTP). Bodies arrive whole (the server enforces
// max_ingest_body_bytes before this runs); a compressed body may inflate to
// 8 times that limit.
#include <algorithm>
#include <cctype>
#include <string>

#include "api/routes.h"
#include "ingest/app_metrics.h"
#include "ingest/gzip.h"
#include "ingest/otlp.h"
#include "ingest/push.h"

namespace perfwatch {
namespace {

constexpr size_t kInflateFactor = 8;

// The media type of a Content-Type header, lower-cased, without parameters.
std::string MediaType(std::string_view content_type) {
  content_type = content_type.substr(0, content_type.find(';'));
  std::string out;
  for (char c : content_type) {
    if (c != ' ' && c != '\t')
      out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  return out;
}

// The body as sent, or inflated into *storage. A failed inflation is
// counted under `source` and returned: kResourceExhausted (413) past the
// cap, kInvalidArgument (400) for a corrupt stream, kUnavailable (415) for
// a coding perfwatch does not know.
Status DecodedBody(const HttpRequest& request, size_t limit, IngestSource source,
                   AppMetrics& metrics, std::string* storage, std::string_view* body) {
  *body = request.body;
  const std::optional<ContentCoding> coding = ParseContentEncoding(request.content_encoding);
  if (!coding) {
    metrics.CountError(source, "unsupported_encoding");
    return Status::Unavailable("Content-Encoding \"" + request.content_encoding +
                               "\" is not supported (gzip, deflate or identity)");
  }
  if (*coding == ContentCoding::kIdentity) return Status::Ok();
  Status s = Inflate(request.body, *coding, limit * kInflateFactor, storage);
  if (!s.ok()) {
    const bool too_large = s.code() == Status::Code::kResourceExhausted;
    metrics.CountError(source, too_large ? "decompressed_too_large" : "bad_encoding");
    return s;
  }
  *body = *storage;
  return Status::Ok();
}

int DecodeFailureStatus(const Status& s) {
  if (s.code() == Status::Code::kResourceExhausted) return 413;
  if (s.code() == Status::Code::kUnavailable) return 415;
  return 400;
}

HttpResponse WithBody(int status, std::string body, std::string content_type) {
  HttpResponse response = JsonOk(std::move(body), std::move(content_type));
  response.status = status;
  return response;
}

std::string_view OtlpContentType(OtlpEncoding encoding) {
  return encoding == OtlpEncoding::kProtobuf ? "application/x-protobuf" : "application/json";
}

// google.rpc.Status codes used in OTLP error bodies.
constexpr int kGrpcInvalidArgument = 3;
constexpr int kGrpcResourceExhausted = 8;

HttpResponse OtlpError(int status, int grpc_code, std::string_view message, OtlpEncoding encoding) {
  return WithBody(status, EncodeOtlpStatus(grpc_code, message, encoding),
                  std::string(OtlpContentType(encoding)));
}

}  // namespace

HttpResponse ApiHandler::Push(const HttpRequest& request, const RequestTarget&,
                              std::string_view) const {
  AppMetrics* metrics = options_.app_metrics;
  if (metrics == nullptr) return JsonError(503, "application metrics are not enabled");
  const std::string media = MediaType(request.content_type);
  const bool json = media == "application/json";
  PromTextOptions text_options;
  text_options.openmetrics = media == "application/openmetrics-text";
  // curl --data-binary sends form-urlencoded unless told otherwise: read it
  // as text, as the Pushgateway does.
  if (!json && !media.empty() && media != "text/plain" && !text_options.openmetrics &&
      media != "application/x-www-form-urlencoded") {
    metrics->CountError(IngestSource::kPush, "unsupported_media_type");
    return JsonError(415, "Content-Type \"" + request.content_type +
                              "\" is not supported (text/plain, application/openmetrics-text, "
                              "application/json)");
  }
  std::string inflated;
  std::string_view body;
  if (Status s = DecodedBody(request, options_.max_ingest_body_bytes, IngestSource::kPush, *metrics,
                             &inflated, &body);
      !s.ok()) {
    return JsonError(DecodeFailureStatus(s), s.message());
  }
  PushResult result;
  if (json) {
    result = IngestJsonSamples(body, *metrics, request.body.size());
  } else {
    // Parsed as it is written into AppMetrics: the text parser is the fast
    // path, and a sample costs less to parse than to look up.
    AppMetrics::Batch batch = metrics->Begin(IngestSource::kPush);
    batch.Message(request.body.size());
    result = IngestPromText(body, batch, text_options);
  }
  std::string out = PushResultJson(result);
  if (result.limited != 0) {
    out.insert(1, "\"error\":\"series limit reached: " + std::to_string(result.limited) +
                      " samples dropped\",");
    HttpResponse response = WithBody(429, std::move(out), "application/json");
    response.headers.emplace_back("Retry-After", "60");
    return response;
  }
  const bool bad = result.unreadable || result.rejected != 0;
  return WithBody(bad ? 400 : 200, std::move(out), "application/json");
}

HttpResponse ApiHandler::OtlpMetrics(const HttpRequest& request, const RequestTarget&,
                                     std::string_view) const {
  AppMetrics* metrics = options_.app_metrics;
  const std::string media = MediaType(request.content_type);
  OtlpEncoding encoding;
  if (media == "application/x-protobuf" || media == "application/protobuf") {
    encoding = OtlpEncoding::kProtobuf;
  } else if (media == "application/json") {
    encoding = OtlpEncoding::kJson;
  } else {
    if (metrics != nullptr) metrics->CountError(IngestSource::kOtlp, "unsupported_media_type");
    return JsonError(415, "Content-Type \"" + request.content_type +
                              "\" is not supported (application/x-protobuf, application/json)");
  }
  if (metrics == nullptr) {
    return OtlpError(503, 14, "application metrics are not enabled", encoding);  // UNAVAILABLE
  }
  std::string inflated;
  std::string_view body;
  if (Status s = DecodedBody(request, options_.max_ingest_body_bytes, IngestSource::kOtlp, *metrics,
                             &inflated, &body);
      !s.ok()) {
    const int status = DecodeFailureStatus(s);
    if (status == 415) return JsonError(415, s.message());
    return OtlpError(status, status == 413 ? kGrpcResourceExhausted : kGrpcInvalidArgument,
                     s.message(), encoding);
  }
  Result<OtlpResult> result = IngestOtlpMetrics(body, encoding, *metrics, request.body.size());
  if (!result.ok()) {
    return OtlpError(400, kGrpcInvalidArgument, result.status().message(), encoding);
  }
  // Every point refused for the series limit: worth retrying later, once
  // series expire; anything else was answered as a partial success.
  if (result->limited != 0 && result->limited == result->rejected && result->accepted == 0) {
    HttpResponse response = OtlpError(429, kGrpcResourceExhausted,
                                      "series limit reached: " + result->error_message, encoding);
    response.headers.emplace_back("Retry-After", "60");
    return response;
  }
  return WithBody(200, EncodeOtlpResponse(*result, encoding),
                  std::string(OtlpContentType(encoding)));
}

}  // namespace perfwatch
