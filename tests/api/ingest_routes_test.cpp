// POST /api/v1/push and POST /v1/metrics through ApiHandler (pure function
// of the request) and, for the limits the server enforces, over a socket.
#include <gtest/gtest.h>

#include <ctime>
#include <nlohmann/json.hpp>

#include "api/routes.h"
#include "fake_store.h"
#include "ingest/app_metrics.h"
#include "ingest/gzip.h"
#include "ingest/proto_wire.h"
#include "server_fixture.h"
#include "test_client.h"

namespace perfwatch {
namespace {

using apitest::FakeStore;
using nlohmann::json;

std::string Gzip(std::string_view text) {
  Result<std::string> gz = Deflate(text, ContentCoding::kGzip);
  EXPECT_TRUE(gz.ok());
  return gz.ok() ? *gz : std::string();
}

// An OTLP request with one gauge point per name, built byte by byte.
std::string OtlpGauges(const std::vector<std::string>& names) {
  auto len = [](int field, std::string_view bytes) {
    std::string out(1, static_cast<char>(field << 3 | 2));
    for (size_t n = bytes.size();; n >>= 7) {
      out += static_cast<char>((n & 0x7F) | (n >= 0x80 ? 0x80 : 0));
      if (n < 0x80) break;
    }
    return out.append(bytes);
  };
  std::string scope;
  for (const std::string& name : names) {
    std::string point = "\x21";  // as_double, fixed64
    const double v = 1.5;
    point.append(reinterpret_cast<const char*>(&v), 8);
    scope += len(2, len(1, name) + len(5, len(1, point)));
  }
  return len(1, len(2, scope));
}

class IngestRoutesTest : public ::testing::Test {
 protected:
  IngestRoutesTest() : metrics_(Limits()), handler_(registry_, store_, Options(&metrics_)) {}

  static IngestLimits Limits() {
    IngestLimits limits;
    limits.max_series = 5;
    return limits;
  }
  static ApiOptions Options(AppMetrics* metrics) {
    ApiOptions o;
    o.app_metrics = metrics;
    o.max_ingest_body_bytes = 4096;
    return o;
  }

  HttpResponse Post(const std::string& target, std::string body, std::string type,
                    std::string encoding = "") const {
    return handler_.Handle(
        {"POST", target, std::move(body), "", std::move(type), std::move(encoding)});
  }

  uint64_t Errors(IngestSource s, std::string_view reason) const {
    return metrics_.ErrorCount(s, reason);
  }

  SeriesRegistry registry_;
  FakeStore store_;
  AppMetrics metrics_;
  ApiHandler handler_;
};

TEST_F(IngestRoutesTest, PushAcceptsPrometheusText) {
  HttpResponse r = Post("/api/v1/push", "# TYPE a_total counter\na_total 3\nb 4\n",
                        "text/plain; version=0.0.4; charset=utf-8");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.content_type, "application/json");
  EXPECT_EQ(json::parse(r.body), json::parse(R"({"accepted":2,"rejected":0,"errors":[]})"));
  EXPECT_EQ(metrics_.AcceptedCount(IngestSource::kPush), 2u);
  // No Content-Type, or curl's default, are read the same way.
  EXPECT_EQ(Post("/api/v1/push", "d 1\n", "").status, 200);
  EXPECT_EQ(Post("/api/v1/push", "e 1\n", "application/x-www-form-urlencoded").status, 200);
}

TEST_F(IngestRoutesTest, PushReadsOpenMetricsTimestampsAsSeconds) {
  const std::string seconds = std::to_string(std::time(nullptr)) + ".5";
  HttpResponse r =
      Post("/api/v1/push", "# TYPE c counter\nc_total 1 " + seconds + " # {id=\"x\"} 1\n# EOF\n",
           "application/openmetrics-text; version=1.0.0; charset=utf-8");
  EXPECT_EQ(r.status, 200) << r.body;
  // The same line as 0.0.4 text is malformed.
  EXPECT_EQ(Post("/api/v1/push", "c_total 2 " + seconds + "\n", "text/plain").status, 400);
}

TEST_F(IngestRoutesTest, PushKeepsGoodLinesAndAnswers400ForBadOnes) {
  HttpResponse r = Post("/api/v1/push", "good 1\nbad{ 1\n", "text/plain");
  ASSERT_EQ(r.status, 400);
  json doc = json::parse(r.body);
  EXPECT_EQ(doc["accepted"], 1);
  EXPECT_EQ(doc["rejected"], 1);
  ASSERT_EQ(doc["errors"].size(), 1u);
  EXPECT_NE(doc["errors"][0].get<std::string>().find("line 2"), std::string::npos);
  EXPECT_EQ(metrics_.SeriesCount(IngestSource::kPush), 1u);
}

TEST_F(IngestRoutesTest, PushAcceptsJson) {
  HttpResponse r = Post("/api/v1/push", R"([{"name":"j","value":2},{"name":"bad.name","value":1}])",
                        "application/json");
  ASSERT_EQ(r.status, 400);
  EXPECT_EQ(json::parse(r.body)["accepted"], 1);
  EXPECT_EQ(Post("/api/v1/push", "{not json", "application/json").status, 400);
  EXPECT_EQ(Errors(IngestSource::kPush, "bad_json"), 1u);
}

TEST_F(IngestRoutesTest, PushAnswers429WhenTheSeriesLimitDropsSamples) {
  HttpResponse r = Post("/api/v1/push", "s1 1\ns2 1\ns3 1\ns4 1\ns5 1\ns6 1\ns7 1\n", "text/plain");
  ASSERT_EQ(r.status, 429);
  EXPECT_EQ(r.Header("Retry-After"), "60");
  json doc = json::parse(r.body);
  EXPECT_EQ(doc["accepted"], 5);
  EXPECT_EQ(doc["limited"], 2);
  EXPECT_NE(doc["error"].get<std::string>().find("series limit"), std::string::npos);
}

TEST_F(IngestRoutesTest, PushInflatesGzipUpToACap) {
  HttpResponse r = Post("/api/v1/push", Gzip("z 1\n"), "text/plain", "gzip");
  ASSERT_EQ(r.status, 200) << r.body;
  // 8 x 4096 bytes of output at most.
  r = Post("/api/v1/push", Gzip(std::string(40000, '#')), "text/plain", "gzip");
  EXPECT_EQ(r.status, 413);
  EXPECT_EQ(Errors(IngestSource::kPush, "decompressed_too_large"), 1u);
  r = Post("/api/v1/push", "not gzip at all", "text/plain", "gzip");
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(Errors(IngestSource::kPush, "bad_encoding"), 1u);
  r = Post("/api/v1/push", "z 1\n", "text/plain", "br");
  EXPECT_EQ(r.status, 415);
  EXPECT_EQ(Errors(IngestSource::kPush, "unsupported_encoding"), 1u);
}

TEST_F(IngestRoutesTest, PushRefusesOtherContentTypes) {
  HttpResponse r = Post("/api/v1/push", "z 1\n", "application/xml");
  EXPECT_EQ(r.status, 415);
  EXPECT_EQ(Errors(IngestSource::kPush, "unsupported_media_type"), 1u);
}

TEST_F(IngestRoutesTest, IngestRoutesAnswer503WithoutAppMetrics) {
  ApiHandler bare(registry_, store_, ApiOptions{});
  EXPECT_EQ(bare.Handle({"POST", "/api/v1/push", "a 1\n", "", "text/plain", ""}).status, 503);
  EXPECT_EQ(bare.Handle({"POST", "/v1/metrics", "", "", "application/x-protobuf", ""}).status, 503);
}

TEST_F(IngestRoutesTest, IngestRoutesNeedTheTokenWhenOneIsSet) {
  ApiOptions o = Options(&metrics_);
  o.token = "s3cret";
  ApiHandler guarded(registry_, store_, o);
  EXPECT_EQ(guarded.Handle({"POST", "/api/v1/push", "a 1\n", "", "text/plain", ""}).status, 401);
  EXPECT_EQ(
      guarded.Handle({"POST", "/api/v1/push", "a 1\n", "Bearer s3cret", "text/plain", ""}).status,
      200);
}

TEST_F(IngestRoutesTest, OtlpProtobufAnswersAnEmptyResponseWhenAllIsAccepted) {
  HttpResponse r = Post("/v1/metrics", OtlpGauges({"p.one", "p.two"}), "application/x-protobuf");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.content_type, "application/x-protobuf");
  EXPECT_EQ(r.body, "");
  EXPECT_EQ(metrics_.AcceptedCount(IngestSource::kOtlp), 2u);
  r = Post("/v1/metrics", Gzip(OtlpGauges({"p.three"})), "application/x-protobuf", "gzip");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(metrics_.AcceptedCount(IngestSource::kOtlp), 3u);
}

TEST_F(IngestRoutesTest, OtlpAnswersPartialSuccessInTheRequestsEncoding) {
  const std::string body = R"({"resourceMetrics":[{"scopeMetrics":[{"metrics":[
    {"name":"ok","gauge":{"dataPoints":[{"asDouble":1}]}},
    {"name":"sm","summary":{"dataPoints":[{"count":"1"}]}}]}]}]})";
  HttpResponse r = Post("/v1/metrics", body, "application/json");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.content_type, "application/json");
  json doc = json::parse(r.body);
  EXPECT_EQ(doc["partialSuccess"]["rejectedDataPoints"], "1");
  EXPECT_NE(doc["partialSuccess"]["errorMessage"].get<std::string>().find("Summary"),
            std::string::npos);
  EXPECT_EQ(json::parse(Post("/v1/metrics", R"({"resourceMetrics":[]})", "application/json").body),
            json::object());
}

TEST_F(IngestRoutesTest, OtlpAnswers400WithAStatusForAnUndecodableBody) {
  HttpResponse r = Post("/v1/metrics",
                        "\x0a\x05"
                        "ab",
                        "application/x-protobuf");
  ASSERT_EQ(r.status, 400);
  EXPECT_EQ(r.content_type, "application/x-protobuf");
  ProtoReader reader(r.body);
  ProtoField f;
  ASSERT_TRUE(reader.Next(&f));
  EXPECT_EQ(f.number, 1u);
  EXPECT_EQ(f.scalar, 3u);  // INVALID_ARGUMENT
  ASSERT_TRUE(reader.Next(&f));
  EXPECT_NE(std::string(f.bytes).find("length runs past the end"), std::string::npos);
  EXPECT_EQ(Errors(IngestSource::kOtlp, "bad_protobuf"), 1u);

  r = Post("/v1/metrics", "{", "application/json");
  ASSERT_EQ(r.status, 400);
  EXPECT_EQ(json::parse(r.body)["code"], 3);
  r = Post("/v1/metrics", "junk", "application/json", "gzip");
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(json::parse(r.body)["code"], 3);
}

TEST_F(IngestRoutesTest, OtlpAnswers415ForOtherContentTypes) {
  EXPECT_EQ(Post("/v1/metrics", "{}", "text/plain").status, 415);
  EXPECT_EQ(Post("/v1/metrics", "{}", "").status, 415);
  EXPECT_EQ(Errors(IngestSource::kOtlp, "unsupported_media_type"), 2u);
}

TEST_F(IngestRoutesTest, OtlpAnswers429WhenEveryPointHitsTheSeriesLimit) {
  ASSERT_EQ(
      Post("/v1/metrics", OtlpGauges({"l1", "l2", "l3", "l4", "l5"}), "application/x-protobuf")
          .status,
      200);
  // Some accepted, some limited: a partial success.
  HttpResponse r = Post("/v1/metrics", OtlpGauges({"l1", "l6"}), "application/x-protobuf");
  EXPECT_EQ(r.status, 200);
  EXPECT_NE(r.body, "");
  // Nothing accepted, all limited: retry later.
  r = Post("/v1/metrics", OtlpGauges({"l7", "l8"}), "application/x-protobuf");
  ASSERT_EQ(r.status, 429);
  EXPECT_EQ(r.Header("Retry-After"), "60");
  ProtoReader reader(r.body);
  ProtoField f;
  ASSERT_TRUE(reader.Next(&f));
  EXPECT_EQ(f.scalar, 8u);  // RESOURCE_EXHAUSTED
  EXPECT_EQ(Errors(IngestSource::kOtlp, "series_limit"), 3u);
}

TEST_F(IngestRoutesTest, OtlpIsPostOnly) {
  EXPECT_EQ(handler_.Handle({"GET", "/v1/metrics", "", "", "", ""}).status, 405);
}

// Over a socket: the server refuses a body over max_ingest_body_bytes
// before the route runs, and passes Content-Encoding through.
using IngestServerTest = apitest::ServerTest;

TEST_F(IngestServerTest, RefusesOversizeBodiesAndInflatesGzip) {
  AppMetrics metrics;
  options_.app_metrics = &metrics;
  options_.max_ingest_body_bytes = 1000;
  StartServer();
  apitest::HttpTestClient client;
  ASSERT_TRUE(client.Connect(port_).ok());
  Result<apitest::ClientResponse> r =
      client.Request("POST", "/api/v1/push", Gzip("sock_metric 7\n"),
                     {{"Content-Type", "text/plain"}, {"Content-Encoding", "gzip"}});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->status, 200) << r->body;
  EXPECT_EQ(metrics.AcceptedCount(IngestSource::kPush), 1u);

  apitest::HttpTestClient big;
  ASSERT_TRUE(big.Connect(port_).ok());
  r = big.Request("POST", "/v1/metrics", std::string(5000, 'x'),
                  {{"Content-Type", "application/x-protobuf"}});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->status, 413);
  EXPECT_EQ(metrics.ErrorCount(IngestSource::kOtlp, "body_too_large"), 1u);
}

}  // namespace
}  // namespace perfwatch
