// HTTP push and OTLP ingestion, in process.
//
//   ninja -C build push_bench && build/bench/push_bench
//
// Each body holds 10,000 samples of 10,000 distinct series (the shape of a
// service exposing its metrics), pushed once before timing so every series
// is cached: the figures are the steady state of a client pushing every
// interval. items_per_second counts samples.
//
// BM_PushTextHandle: POST /api/v1/push of Prometheus text through
// ApiHandler::Handle (routing, body, parsing, AppMetrics, response JSON).
// BM_PushTextGzipHandle: the same body gzip-compressed. BM_IngestPromText:
// the parser and AppMetrics alone. BM_PushJsonHandle: the same samples as a
// JSON list. BM_OtlpProtobufHandle / BM_OtlpJsonHandle: POST /v1/metrics of
// an ExportMetricsServiceRequest (100 gauges x 100 points, 2 point and 2
// resource attributes) through Handle. BM_OtlpProtobufIngest: decode and
// ingest alone.

#include <benchmark/benchmark.h>
#include <zlib.h>

#include <string>

#include "api/routes.h"
#include "ingest/app_metrics.h"
#include "ingest/gzip.h"
#include "ingest/otlp.h"
#include "ingest/push.h"
#include "store/mem_store.h"

namespace perfwatch {
namespace {

constexpr int kSamples = 10'000;

std::string TextBody() {
  std::string body = "# HELP bench_requests_total Requests served.\n";
  body += "# TYPE bench_requests_total counter\n";
  for (int i = 0; i < kSamples; ++i) {
    body += "bench_requests_total{method=\"GET\",code=\"" + std::to_string(200 + i % 5) +
            "\",path=\"/api/v1/item/" + std::to_string(i) + "\"} " + std::to_string(1000 + i) +
            "\n";
  }
  return body;
}

std::string JsonBody() {
  std::string body = "[";
  for (int i = 0; i < kSamples; ++i) {
    if (i > 0) body += ',';
    body += R"({"name":"bench_requests_total","labels":{"method":"GET","code":")" +
            std::to_string(200 + i % 5) + R"(","path":"/api/v1/item/)" + std::to_string(i) +
            R"("},"value":)" + std::to_string(1000 + i) + "}";
  }
  return body + "]";
}

std::string Gzip(std::string_view text) {
  Result<std::string> gz = Deflate(text, ContentCoding::kGzip, Z_DEFAULT_COMPRESSION);
  return gz.ok() ? *gz : std::string();
}

// Protobuf, written by hand as in the tests (perfwatch only reads it).
void Varint(std::string& out, uint64_t v) {
  for (; v >= 0x80; v >>= 7) out += static_cast<char>((v & 0x7F) | 0x80);
  out += static_cast<char>(v);
}
void Len(std::string& out, int field, std::string_view bytes) {
  Varint(out, static_cast<uint64_t>(field) << 3 | 2);
  Varint(out, bytes.size());
  out.append(bytes);
}
std::string Attr(std::string_view key, std::string_view value) {
  std::string any, kv;
  Len(any, 1, value);
  Len(kv, 1, key);
  Len(kv, 2, any);
  return kv;
}

std::string OtlpProtobufBody() {
  std::string scope;
  for (int m = 0; m < 100; ++m) {
    std::string gauge;
    for (int p = 0; p < 100; ++p) {
      std::string point;
      Len(point, 7, Attr("http.route", "/api/v1/item/" + std::to_string(p)));
      Len(point, 7, Attr("http.method", "GET"));
      point += '\x21';  // as_double
      const double v = m * 100 + p;
      point.append(reinterpret_cast<const char*>(&v), 8);
      Len(gauge, 1, point);
    }
    std::string metric;
    Len(metric, 1, "bench.metric." + std::to_string(m));
    Len(metric, 3, "ms");
    Len(metric, 5, gauge);
    Len(scope, 2, metric);
  }
  std::string resource, rm, request;
  Len(resource, 1, Attr("service.name", "bench"));
  Len(resource, 1, Attr("host.name", "host-1"));
  Len(rm, 1, resource);
  Len(rm, 2, scope);
  Len(request, 1, rm);
  return request;
}

std::string OtlpJsonBody() {
  std::string metrics;
  for (int m = 0; m < 100; ++m) {
    std::string points;
    for (int p = 0; p < 100; ++p) {
      if (p > 0) points += ',';
      points += R"({"attributes":[{"key":"http.route","value":{"stringValue":"/api/v1/item/)" +
                std::to_string(p) +
                R"("}},{"key":"http.method","value":{"stringValue":"GET"}}],"asDouble":)" +
                std::to_string(m * 100 + p) + "}";
    }
    if (m > 0) metrics += ',';
    metrics += R"({"name":"bench.metric.)" + std::to_string(m) +
               R"(","unit":"ms","gauge":{"dataPoints":[)" + points + "]}}";
  }
  return R"({"resourceMetrics":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"bench"}},{"key":"host.name","value":{"stringValue":"host-1"}}]},"scopeMetrics":[{"metrics":[)" +
         metrics + "]}]}]}";
}

class Server {
 public:
  Server() : handler_(registry_, store_, Options(&metrics_)) {}

  HttpResponse Post(const HttpRequest& request) const { return handler_.Handle(request); }
  AppMetrics& metrics() { return metrics_; }

 private:
  static ApiOptions Options(AppMetrics* metrics) {
    ApiOptions o;
    o.app_metrics = metrics;
    return o;
  }
  SeriesRegistry registry_;
  MemStore store_;
  AppMetrics metrics_;
  ApiHandler handler_;
};

void RunHandle(benchmark::State& state, const HttpRequest& request) {
  Server server;
  if (server.Post(request).status != 200) return state.SkipWithError("push refused");
  for (auto _ : state) {
    HttpResponse r = server.Post(request);
    benchmark::DoNotOptimize(r.body.data());
  }
  state.SetItemsProcessed(state.iterations() * kSamples);
  state.SetBytesProcessed(state.iterations() * request.body.size());
}

void BM_PushTextHandle(benchmark::State& state) {
  RunHandle(state, {"POST", "/api/v1/push", TextBody(), "", "text/plain; version=0.0.4", ""});
}
BENCHMARK(BM_PushTextHandle)->Unit(benchmark::kMillisecond);

void BM_PushTextGzipHandle(benchmark::State& state) {
  RunHandle(state, {"POST", "/api/v1/push", Gzip(TextBody()), "", "text/plain", "gzip"});
}
BENCHMARK(BM_PushTextGzipHandle)->Unit(benchmark::kMillisecond);

void BM_PushJsonHandle(benchmark::State& state) {
  RunHandle(state, {"POST", "/api/v1/push", JsonBody(), "", "application/json", ""});
}
BENCHMARK(BM_PushJsonHandle)->Unit(benchmark::kMillisecond);

void BM_OtlpProtobufHandle(benchmark::State& state) {
  RunHandle(state, {"POST", "/v1/metrics", OtlpProtobufBody(), "", "application/x-protobuf", ""});
}
BENCHMARK(BM_OtlpProtobufHandle)->Unit(benchmark::kMillisecond);

void BM_OtlpJsonHandle(benchmark::State& state) {
  RunHandle(state, {"POST", "/v1/metrics", OtlpJsonBody(), "", "application/json", ""});
}
BENCHMARK(BM_OtlpJsonHandle)->Unit(benchmark::kMillisecond);

void BM_IngestPromText(benchmark::State& state) {
  AppMetrics metrics;
  const std::string body = TextBody();
  for (auto _ : state) {
    AppMetrics::Batch batch = metrics.Begin(IngestSource::kPush);
    PushResult r = IngestPromText(body, batch);
    benchmark::DoNotOptimize(r.accepted);
  }
  state.SetItemsProcessed(state.iterations() * kSamples);
}
BENCHMARK(BM_IngestPromText)->Unit(benchmark::kMillisecond);

void BM_OtlpProtobufIngest(benchmark::State& state) {
  AppMetrics metrics;
  const std::string body = OtlpProtobufBody();
  for (auto _ : state) {
    AppMetrics::Batch batch = metrics.Begin(IngestSource::kOtlp);
    Result<OtlpResult> r = IngestOtlpMetrics(body, OtlpEncoding::kProtobuf, batch);
    benchmark::DoNotOptimize(r.ok());
  }
  state.SetItemsProcessed(state.iterations() * kSamples);
}
BENCHMARK(BM_OtlpProtobufIngest)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace perfwatch
