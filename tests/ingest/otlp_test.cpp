#include "ingest/otlp.h"

#include <gtest/gtest.h>

#include <cmath>
#include <string>

#include "ingest/proto_wire.h"
#include "push_test_util.h"

namespace perfwatch {
namespace {

using namespace push_test;  // NOLINT: the test's OTLP message builders

Result<OtlpResult> Ingest(AppMetrics& m, std::string_view body,
                          OtlpEncoding encoding = OtlpEncoding::kProtobuf) {
  AppMetrics::Batch batch = m.Begin(IngestSource::kOtlp);
  return IngestOtlpMetrics(body, encoding, batch);
}

struct NameCase {
  std::string name;
  std::string unit;
  OtlpMetricType type;
  std::string want;
};

TEST(OtlpMetricName, TranslatesAsPrometheusDoes) {
  using T = OtlpMetricType;
  const std::vector<NameCase> cases = {
      {"http.server.duration", "s", T::kHistogram, "http_server_duration_seconds"},
      {"http.server.request.duration", "ms", T::kHistogram,
       "http_server_request_duration_milliseconds"},
      {"requests.count", "1", T::kMonotonicSum, "requests_count_total"},
      {"memory.usage", "By", T::kGauge, "memory_usage_bytes"},
      {"cpu.utilization", "1", T::kGauge, "cpu_utilization_ratio"},
      {"queue.size", "1", T::kNonMonotonicSum, "queue_size"},
      {"network.io", "By/s", T::kGauge, "network_io_bytes_per_second"},
      {"http.requests", "{request}", T::kMonotonicSum, "http_requests_total"},
      {"jobs_total", "", T::kMonotonicSum, "jobs_total"},
      {"total.jobs", "", T::kMonotonicSum, "jobs_total"},
      {"latency_seconds", "s", T::kHistogram, "latency_seconds"},
      {"2xx.responses", "", T::kGauge, "_2xx_responses"},
      {"a..b__c", "ms", T::kNonMonotonicSum, "a_b_c_milliseconds"},
      {"throughput", "{packet}/s", T::kGauge, "throughput_per_second"},
      {"temp", "Cel", T::kGauge, "temp_celsius"},
      {"odd", "furlong/fortnight", T::kGauge, "odd_furlong_per_fortnight"},
      {"free", "%", T::kGauge, "free_percent"},
      {"ns:sub.metric", "", T::kGauge, "ns:sub_metric"},
      {"...", "", T::kGauge, ""},
  };
  for (const NameCase& c : cases) {
    EXPECT_EQ(OtlpMetricName(c.name, c.unit, c.type), c.want) << c.name << " [" << c.unit << "]";
  }
  EXPECT_EQ(OtlpUnitName("By/s"), "bytes_per_second");
  EXPECT_EQ(OtlpUnitName("1"), "");
  EXPECT_EQ(OtlpUnitName("{request}"), "");
}

TEST(OtlpProtobuf, WritesGaugesSumsAndHistograms) {
  AppMetrics m;
  const TimestampMs t = NowMs() - 1000;
  ProtoWriter histogram_point;
  histogram_point.Message(9, Attr("route", "/a"))
      .Fixed64(3, static_cast<uint64_t>(t) * 1'000'000)
      .Fixed64(4, 6)
      .Double(5, 123.5)
      .PackedFixed64(6, {1, 2, 3})
      .PackedDoubles(7, {10, 100});
  const std::string body =
      Request({Attr("service.name", "shop"), Attr("host.name", "h1")},
              {Metric("o.queue.depth", "{item}", kGauge, Gauge({IntPoint(7, t)})),
               Metric("o.requests", "{request}", kSum,
                      Sum({NumberPoint(42, t, {Attr("code", "200")})}, kCumulative, true)),
               Metric("o.active", "", kSum, Sum({IntPoint(-3, t)}, kCumulative, false)),
               Metric("o.latency", "ms", kHistogram,
                      ProtoWriter().Message(1, histogram_point).Varint(2, kCumulative))})
          .str();
  Result<OtlpResult> r = Ingest(m, body);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->accepted, 4u);
  EXPECT_EQ(r->rejected, 0u);
  EXPECT_EQ(r->error_message, "");
  const std::string res = "host_name=\"h1\",service_name=\"shop\"";
  auto e = EmitPrefix(m, "o_");
  EXPECT_EQ(e["o_queue_depth{" + res + "}"], 7);
  EXPECT_EQ(e["o_requests_total{code=\"200\"," + res + "}"], 42);
  EXPECT_EQ(e["o_active{" + res + "}"], -3);
  const std::string h = "o_latency_milliseconds";
  const std::string route = "route=\"/a\",service_name=\"shop\"}";
  EXPECT_EQ(e[h + "_bucket{host_name=\"h1\",le=\"10\"," + route], 1);
  EXPECT_EQ(e[h + "_bucket{host_name=\"h1\",le=\"100\"," + route], 3);
  EXPECT_EQ(e[h + "_bucket{host_name=\"h1\",le=\"+Inf\"," + route], 6);
  EXPECT_EQ(e[h + "_sum{host_name=\"h1\"," + route], 123.5);
  EXPECT_EQ(e[h + "_count{host_name=\"h1\"," + route], 6);
  EXPECT_EQ(e.size(), 8u);
  EXPECT_EQ(m.AcceptedCount(IngestSource::kOtlp), 4u);
}

TEST(OtlpProtobuf, DeltaSumsAddUpAndCumulativeOnesReplace) {
  AppMetrics m;
  const TimestampMs t = NowMs() - 5000;
  for (int i = 0; i < 3; ++i) {
    const TimestampMs ti = t + i * 1000;
    ASSERT_TRUE(
        Ingest(m, Request({}, {Metric("d.c", "", kSum, Sum({IntPoint(5, ti)}, kDelta, true)),
                               Metric("c.c", "", kSum,
                                      Sum({IntPoint(5 * (i + 1), ti)}, kCumulative, true)),
                               Metric("d.g", "", kSum, Sum({IntPoint(-2, ti)}, kDelta, false))})
                      .str())
            .ok());
  }
  auto e = EmitPrefix(m, "");
  EXPECT_EQ(e["d_c_total"], 15);
  EXPECT_EQ(e["c_c_total"], 15);
  EXPECT_EQ(e["d_g"], -6);
}

TEST(OtlpProtobuf, DeltaHistogramsAccumulate) {
  AppMetrics m;
  ProtoWriter point;
  point.Fixed64(4, 3).Double(5, 30).Fixed64(6, 1).Fixed64(6, 2).Double(7, 10);  // unpacked
  const std::string body =
      Request({}, {Metric("dh", "", kHistogram, ProtoWriter().Message(1, point).Varint(2, kDelta))})
          .str();
  ASSERT_TRUE(Ingest(m, body).ok());
  ASSERT_TRUE(Ingest(m, body).ok());
  auto e = EmitPrefix(m, "dh");
  EXPECT_EQ(e["dh_bucket{le=\"10\"}"], 2);
  EXPECT_EQ(e["dh_bucket{le=\"+Inf\"}"], 6);
  EXPECT_EQ(e["dh_sum"], 60);
}

TEST(OtlpProtobuf, PointAttributesWinOverResourceOnesAndTheScopeIsNoLabel) {
  AppMetrics m;
  const TimestampMs t = NowMs();
  ASSERT_TRUE(
      Ingest(m, Request({Attr("service.name", "res"), Attr("region", "eu")},
                        {Metric("w", "", kGauge,
                                Gauge({NumberPoint(1, t,
                                                   {Attr("service_name", "point"), Attr("a.b", "1"),
                                                    Attr("a_b", "2")})}))})
                    .str())
          .ok());
  auto e = EmitPrefix(m, "w");
  ASSERT_EQ(e.size(), 1u);
  EXPECT_EQ(e.begin()->first, "w{a_b=\"1;2\",region=\"eu\",service_name=\"point\"}");
}

TEST(OtlpProtobuf, RendersNonStringAttributesAsTheCollectorDoes) {
  AppMetrics m;
  ProtoWriter array;
  array.Message(1, StringValue("x")).Message(1, ProtoWriter().Varint(3, 2));
  ProtoWriter kvlist;
  kvlist.Message(1, KeyValue("k", ProtoWriter().Varint(2, 1)));
  const TimestampMs t = NowMs();
  ASSERT_TRUE(
      Ingest(m, Request({}, {Metric("v", "", kGauge,
                                    Gauge({NumberPoint(
                                        1, t,
                                        {KeyValue("b", ProtoWriter().Varint(2, 1)),
                                         KeyValue("i", ProtoWriter().Varint(3, uint64_t(-5))),
                                         KeyValue("d", ProtoWriter().Double(4, 0.25)),
                                         KeyValue("e", ProtoWriter().Double(4, 1e-7)),
                                         KeyValue("y", ProtoWriter().Bytes(7, "hi!")),
                                         KeyValue("arr", ProtoWriter().Message(5, array)),
                                         KeyValue("map", ProtoWriter().Message(6, kvlist))})}))})
                    .str())
          .ok());
  auto e = EmitPrefix(m, "v");
  ASSERT_EQ(e.size(), 1u);
  EXPECT_EQ(
      e.begin()->first,
      "v{arr=\"[\\\"x\\\",2]\",b=\"true\",d=\"0.25\",e=\"1e-7\",i=\"-5\",map=\"{\\\"k\\\":true}\","
      "y=\"aGkh\"}");
}

TEST(OtlpProtobuf, RefusesUnsupportedAndUnusablePointsAsAPartialSuccess) {
  AppMetrics m;
  const TimestampMs t = NowMs();
  ProtoWriter no_value;
  no_value.Fixed64(3, static_cast<uint64_t>(t) * 1'000'000);
  ProtoWriter stale = NumberPoint(1, t);
  stale.Varint(8, 1);  // FLAG_NO_RECORDED_VALUE
  const std::string body =
      Request({}, {Metric("ok", "", kGauge, Gauge({NumberPoint(1, t)})),
                   Metric("eh", "", kExpHistogram,
                          ProtoWriter().Message(1, ProtoWriter()).Message(1, ProtoWriter())),
                   Metric("sm", "", kSummary, ProtoWriter().Message(1, ProtoWriter())),
                   Metric("nv", "", kGauge, Gauge({no_value, stale})),
                   Metric("nt", "", kSum, Sum({NumberPoint(1, t)}, 0, true)),
                   Metric("...", "", kGauge, Gauge({NumberPoint(1, t)})),
                   Metric("neg", "", kSum, Sum({NumberPoint(-1, t)}, kCumulative, true))})
          .str();
  Result<OtlpResult> r = Ingest(m, body);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->accepted, 1u);
  EXPECT_EQ(r->rejected, 7u);
  EXPECT_EQ(m.ErrorCount(IngestSource::kOtlp, "unsupported"), 3u);
  EXPECT_EQ(m.ErrorCount(IngestSource::kOtlp, "missing_value"), 1u);
  EXPECT_EQ(m.ErrorCount(IngestSource::kOtlp, "bad_temporality"), 1u);
  EXPECT_EQ(m.ErrorCount(IngestSource::kOtlp, "bad_name"), 1u);
  EXPECT_EQ(m.ErrorCount(IngestSource::kOtlp, "negative_counter"), 1u);
  EXPECT_NE(r->error_message.find("metric \"eh\": ExponentialHistogram is not supported"),
            std::string::npos)
      << r->error_message;
  EXPECT_NE(r->error_message.find("and 1 more"), std::string::npos) << r->error_message;

  // The response carries them back as ExportMetricsPartialSuccess.
  const std::string response = EncodeOtlpResponse(*r, OtlpEncoding::kProtobuf);
  ProtoReader outer(response);
  ProtoField f;
  ASSERT_TRUE(outer.Next(&f));
  ASSERT_EQ(f.number, 1u);
  ProtoReader partial(f.bytes);
  ASSERT_TRUE(partial.Next(&f));
  EXPECT_EQ(f.number, 1u);
  EXPECT_EQ(f.scalar, 7u);
  ASSERT_TRUE(partial.Next(&f));
  EXPECT_EQ(f.bytes, r->error_message);
  EXPECT_EQ(EncodeOtlpResponse(OtlpResult{}, OtlpEncoding::kProtobuf), "");
  EXPECT_EQ(EncodeOtlpResponse(OtlpResult{}, OtlpEncoding::kJson), "{}");
}

TEST(OtlpProtobuf, CountsPointsPastTheSeriesLimitAsLimited) {
  IngestLimits limits;
  limits.max_series = 1;
  AppMetrics m(limits);
  const TimestampMs t = NowMs();
  Result<OtlpResult> r =
      Ingest(m, Request({}, {Metric("lim", "", kGauge,
                                    Gauge({NumberPoint(1, t, {Attr("k", "1")}),
                                           NumberPoint(1, t, {Attr("k", "2")}),
                                           NumberPoint(1, t, {Attr("k", "3")})}))})
                    .str());
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->accepted, 1u);
  EXPECT_EQ(r->rejected, 2u);
  EXPECT_EQ(r->limited, 2u);
}

TEST(OtlpProtobuf, SkipsUnknownFieldsOfEveryWireType) {
  AppMetrics m;
  const TimestampMs t = NowMs();
  auto unknown = [](ProtoWriter w) {
    return w.Varint(99, 1).Fixed64(98, 2).Bytes(97, "x").Fixed32(96, 3);
  };
  ProtoWriter point = unknown(NumberPoint(5, t, {unknown(Attr("k", "v"))}));
  ProtoWriter metric = unknown(Metric("u", "", kGauge, unknown(Gauge({point}))));
  ProtoWriter scope = unknown(ProtoWriter().Message(2, metric));
  ProtoWriter rm = unknown(ProtoWriter()
                               .Message(1, unknown(ProtoWriter().Message(1, Attr("r", "1"))))
                               .Message(2, scope));
  ProtoWriter request = unknown(ProtoWriter().Message(1, rm));
  Result<OtlpResult> r = Ingest(m, request.str());
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->accepted, 1u);
  EXPECT_EQ(EmitPrefix(m, "u")["u{k=\"v\",r=\"1\"}"], 5);
}

struct BadBody {
  std::string name;
  std::string bytes;
};

TEST(OtlpProtobuf, RefusesMalformedBodiesWithoutWritingAnything) {
  const TimestampMs t = NowMs();
  const std::string good =
      Request({Attr("service.name", "s")}, {Metric("g", "", kGauge, Gauge({NumberPoint(1, t)}))})
          .str();
  ProtoWriter deep = StringValue("leaf");
  for (int i = 0; i < 20; ++i) deep = ProtoWriter().Message(5, ProtoWriter().Message(1, deep));
  std::vector<BadBody> cases = {
      {"group wire type", ProtoWriter().Append("\x0b").str()},
      {"wire type 6", ProtoWriter().Append("\x0e").str()},
      {"wire type 7", ProtoWriter().Append("\x0f\x01").str()},
      {"field number 0", ProtoWriter().Append(std::string("\x00\x01", 2)).str()},
      {"length past the end", ProtoWriter()
                                  .Append("\x0a\x05"
                                          "ab")
                                  .str()},
      {"huge length", ProtoWriter().Append("\x0a\xff\xff\xff\xff\xff\xff\xff\xff\x7f").str()},
      {"varint of 11 bytes",
       ProtoWriter().Append("\x08\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01").str()},
      {"varint overflowing 64 bits",
       ProtoWriter().Append("\x08\xff\xff\xff\xff\xff\xff\xff\xff\xff\x7f").str()},
      {"truncated varint", ProtoWriter().Append("\x08\xff").str()},
      {"truncated fixed64", ProtoWriter().Append("\x09\x01\x02").str()},
      {"wrong wire type for a known field", ProtoWriter().Varint(1, 5).str()},
      {"wrong wire type deep inside",
       Request({}, {Metric("g", "", kGauge, Gauge({ProtoWriter().Varint(4, 1)}))}).str()},
      {"packed bounds not a multiple of 8",
       Request({}, {Metric("h", "", kHistogram,
                           ProtoWriter().Message(1, ProtoWriter().Bytes(7, "abc")).Varint(2, 2))})
           .str()},
      {"attribute nested too deeply",
       Request({KeyValue("deep", deep)}, {Metric("g", "", kGauge, Gauge({NumberPoint(1, t)}))})
           .str()},
      {"invalid UTF-8 in a key", Request({Attr("\xff", "v")}, {}).str()},
      {"invalid UTF-8 in a value", Request({Attr("k", "\xc3\x28")}, {}).str()},
      {"trailing garbage", good + "\x0a"},
  };
  for (const BadBody& c : cases) {
    AppMetrics m;
    Result<OtlpResult> r = Ingest(m, c.bytes);
    EXPECT_FALSE(r.ok()) << c.name;
    EXPECT_EQ(r.status().code(), Status::Code::kInvalidArgument) << c.name;
    EXPECT_EQ(m.ErrorCount(IngestSource::kOtlp, "bad_protobuf"), 1u) << c.name;
    EXPECT_EQ(m.AcceptedCount(IngestSource::kOtlp), 0u) << c.name;
    EXPECT_EQ(m.SeriesCount(IngestSource::kOtlp), 0u) << c.name;
  }
  // Every strict prefix of a good body either decodes (a prefix that ends on
  // a field boundary) or is refused; none crashes or reads past its end.
  for (size_t n = 0; n < good.size(); ++n) {
    AppMetrics m;
    (void)Ingest(m, good.substr(0, n));
  }
  AppMetrics m;
  EXPECT_TRUE(Ingest(m, good).ok());
}

TEST(OtlpProtobuf, AcceptsAttributesNestedUpToTheLimit) {
  AppMetrics m;
  ProtoWriter nested = StringValue("leaf");
  for (int i = 0; i < 10; ++i) nested = ProtoWriter().Message(5, ProtoWriter().Message(1, nested));
  Result<OtlpResult> r = Ingest(
      m,
      Request({KeyValue("n", nested)}, {Metric("n", "", kGauge, Gauge({NumberPoint(1, NowMs())}))})
          .str());
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->accepted, 1u);
}

TEST(OtlpProtobuf, AnEmptyRequestIsFine) {
  AppMetrics m;
  Result<OtlpResult> r = Ingest(m, "");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->accepted, 0u);
  EXPECT_EQ(r->rejected, 0u);
}

TEST(OtlpJson, WritesWhatTheJavaScriptExporterSends) {
  AppMetrics m;
  const std::string ns = std::to_string(NowMs()) + "000000";
  const std::string body = R"({"resourceMetrics":[{"resource":{"attributes":[
      {"key":"service.name","value":{"stringValue":"shop"}},
      {"key":"pid","value":{"intValue":42}}]},
    "scopeMetrics":[{"scope":{"name":"lib","version":"1"},"metrics":[
      {"name":"j.requests","unit":"{request}","sum":{"aggregationTemporality":2,"isMonotonic":true,
        "dataPoints":[{"attributes":[{"key":"code","value":{"stringValue":"200"}}],
          "startTimeUnixNano":")" +
                           ns + R"(","timeUnixNano":")" + ns + R"(","asInt":12}]}},
      {"name":"j.temp","unit":"Cel","gauge":{"dataPoints":[{"timeUnixNano":)" +
                           ns +
                           R"(,"asDouble":"NaN"}]}},
      {"name":"j.updown","sum":{"aggregationTemporality":"AGGREGATION_TEMPORALITY_DELTA",
        "isMonotonic":false,"dataPoints":[{"asInt":"-4"}]}},
      {"name":"j.latency","unit":"s","histogram":{"aggregationTemporality":2,"dataPoints":[
        {"timeUnixNano":")" +
                           ns + R"(","count":"3","sum":1.5,"bucketCounts":["1",2,0],
         "explicitBounds":[0.1,1],"min":0.05,"max":0.9}]}},
      {"name":"j.summary","summary":{"dataPoints":[{"count":1}]}}
    ]}]}]})";
  Result<OtlpResult> r = Ingest(m, body, OtlpEncoding::kJson);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->accepted, 4u);
  EXPECT_EQ(r->rejected, 1u);
  const std::string res = "pid=\"42\",service_name=\"shop\"";
  auto e = EmitPrefix(m, "j_");
  EXPECT_EQ(e["j_requests_total{code=\"200\"," + res + "}"], 12);
  EXPECT_TRUE(std::isnan(e["j_temp_celsius{" + res + "}"]));
  EXPECT_EQ(e["j_updown{" + res + "}"], -4);
  EXPECT_EQ(e["j_latency_seconds_bucket{le=\"1\"," + res + "}"], 3);
  EXPECT_EQ(e["j_latency_seconds_count{" + res + "}"], 3);
  EXPECT_EQ(EncodeOtlpResponse(*r, OtlpEncoding::kJson).substr(0, 52),
            R"({"partialSuccess":{"rejectedDataPoints":"1","errorMe)");
}

TEST(OtlpJson, AcceptsSnakeCaseNames) {
  AppMetrics m;
  Result<OtlpResult> r = Ingest(m, R"({"resource_metrics":[{"scope_metrics":[{"metrics":[
      {"name":"snake","gauge":{"data_points":[{"as_double":2.5}]}}]}]}]})",
                                OtlpEncoding::kJson);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(EmitPrefix(m, "snake")["snake"], 2.5);
}

TEST(OtlpJson, RefusesMalformedBodies) {
  const std::vector<std::string> cases = {
      "",
      "not json",
      "[]",
      R"({"resourceMetrics":{}})",
      R"({"resourceMetrics":[5]})",
      R"({"resourceMetrics":[{"scopeMetrics":[{"metrics":[{"name":7}]}]}]})",
      R"({"resourceMetrics":[{"scopeMetrics":[{"metrics":[{"name":"x","gauge":{"dataPoints":[{"asDouble":"lots"}]}}]}]}]})",
      R"({"resourceMetrics":[{"scopeMetrics":[{"metrics":[{"name":"x","gauge":{"dataPoints":[{"asInt":1.5}]}}]}]}]})",
      R"({"resourceMetrics":[{"scopeMetrics":[{"metrics":[{"name":"x","gauge":{"dataPoints":[{"timeUnixNano":"-1"}]}}]}]}]})",
      R"({"resourceMetrics":[{"scopeMetrics":[{"metrics":[{"name":"x","sum":{"isMonotonic":"yes"}}]}]}]})",
      R"({"resourceMetrics":[{"scopeMetrics":[{"metrics":[{"name":"x","sum":{"aggregationTemporality":"SOMETIMES"}}]}]}]})",
      R"({"resourceMetrics":[{"scopeMetrics":[{"metrics":[{"name":"x","histogram":{"dataPoints":[{"bucketCounts":[-1]}]}}]}]}]})",
      R"({"resourceMetrics":[{"resource":{"attributes":[{"value":{"stringValue":"v"}}]}}]})",
      R"({"resourceMetrics":[{"resource":{"attributes":[{"key":"k","value":{"intValue":"x"}}]}}]})",
  };
  for (const std::string& body : cases) {
    AppMetrics m;
    Result<OtlpResult> r = Ingest(m, body, OtlpEncoding::kJson);
    EXPECT_FALSE(r.ok()) << body;
    EXPECT_EQ(m.ErrorCount(IngestSource::kOtlp, "bad_json"), 1u) << body;
    EXPECT_EQ(m.SeriesCount(IngestSource::kOtlp), 0u) << body;
  }
  std::string deep = R"({"stringValue":"x"})";
  for (int i = 0; i < 20; ++i) deep = R"({"arrayValue":{"values":[)" + deep + "]}}";
  AppMetrics m;
  EXPECT_FALSE(Ingest(m,
                      R"({"resourceMetrics":[{"resource":{"attributes":[{"key":"k","value":)" +
                          deep + "}]}}]}",
                      OtlpEncoding::kJson)
                   .ok());
}

TEST(OtlpStatus, EncodesGoogleRpcStatus) {
  EXPECT_EQ(EncodeOtlpStatus(3, "bad \"x\"", OtlpEncoding::kJson),
            R"({"code":3,"message":"bad \"x\""})");
  const std::string proto = EncodeOtlpStatus(3, "bad", OtlpEncoding::kProtobuf);
  EXPECT_EQ(proto, std::string("\x08\x03\x12\x03"
                               "bad"));
}

}  // namespace
}  // namespace perfwatch
