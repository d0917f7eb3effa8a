// The statsd: and ingest: sections: defaults, every key, errors naming the
// key, and the round trip through --save-config.

#include <gtest/gtest.h>

#include <map>

#include "config/config.h"

namespace perfwatch {
namespace {

TEST(StatsdConfig, DefaultsAreTheDocumentedOnes) {
  Config c;
  EXPECT_EQ(c.statsd.listen, "127.0.0.1:8125");
  EXPECT_EQ(c.statsd.quantile_window_ms, 60'000);
  EXPECT_EQ(c.statsd.flush_interval_ms, 0);
  EXPECT_EQ(c.statsd.histogram_type, "histogram");
  EXPECT_EQ(c.statsd.buckets.size(), 13u);
  EXPECT_EQ(c.statsd.receive_buffer_bytes, uint64_t{8} << 20);
  EXPECT_EQ(c.ingest.max_series, 100'000u);
  EXPECT_EQ(c.ingest.max_labels, 32u);
  EXPECT_EQ(c.ingest.max_name_length, 256u);
  EXPECT_EQ(c.ingest.max_label_value_length, 1024u);
  EXPECT_EQ(c.ingest.max_body_bytes, uint64_t{16} << 20);
  EXPECT_EQ(c.ingest.series_ttl_ms, 600'000);
  EXPECT_EQ(c.ingest.max_sample_age_ms, 300'000);
  EXPECT_TRUE(Validate(c).ok());
}

TEST(StatsdConfig, ReadsEveryKey) {
  Config c;
  Status st = ApplyYaml(R"(
statsd:
  listen: "[::1]:9125"
  quantile_window: 5m
  flush_interval: 10s
  histogram_type: summary
  buckets: [0.5, 1, 10, 1e3]
  receive_buffer: 32MiB
ingest:
  max_series: 5000
  max_labels: 16
  max_name_length: 128
  max_label_value_length: 512
  max_body: 4MiB
  series_ttl: 1h
  max_sample_age: 0
)",
                        "t.yaml", c);
  ASSERT_TRUE(st.ok()) << st.message();
  EXPECT_EQ(c.statsd.listen, "[::1]:9125");
  EXPECT_EQ(c.statsd.quantile_window_ms, 300'000);
  EXPECT_EQ(c.statsd.flush_interval_ms, 10'000);
  EXPECT_EQ(c.statsd.histogram_type, "summary");
  EXPECT_EQ(c.statsd.buckets, (std::vector<double>{0.5, 1, 10, 1000}));
  EXPECT_EQ(c.statsd.receive_buffer_bytes, uint64_t{32} << 20);
  EXPECT_EQ(c.ingest.max_series, 5000u);
  EXPECT_EQ(c.ingest.max_labels, 16u);
  EXPECT_EQ(c.ingest.max_name_length, 128u);
  EXPECT_EQ(c.ingest.max_label_value_length, 512u);
  EXPECT_EQ(c.ingest.max_body_bytes, uint64_t{4} << 20);
  EXPECT_EQ(c.ingest.series_ttl_ms, 3'600'000);
  EXPECT_EQ(c.ingest.max_sample_age_ms, 0);
  EXPECT_TRUE(Validate(c).ok());
}

TEST(StatsdConfig, ListenTakesHostPortBracketedV6OrOff) {
  for (const char* good :
       {"127.0.0.1:8125", "0.0.0.0:0", "localhost:8125", "[::]:8125", "[fe80::1]:65535", "off"}) {
    Config c;
    Status st = ApplyYaml(std::string("statsd:\n  listen: \"") + good + "\"\n", "t.yaml", c);
    EXPECT_TRUE(st.ok()) << good << ": " << st.message();
    EXPECT_EQ(c.statsd.listen, good);
  }
  for (const char* bad : {"8125", "127.0.0.1", ":8125", "::1:8125", "[::1]8125", "[nope]:1",
                          "127.0.0.1:65536", "127.0.0.1:x", "host name:1", ""}) {
    Config c;
    Status st = ApplyYaml(std::string("statsd:\n  listen: \"") + bad + "\"\n", "t.yaml", c);
    ASSERT_FALSE(st.ok()) << bad;
    EXPECT_NE(st.message().find("t.yaml: statsd.listen (line 2): invalid address"),
              std::string::npos)
        << st.message();
    EXPECT_EQ(c.statsd.listen, "127.0.0.1:8125");
  }
}

TEST(StatsdConfig, ParseListenAddressSplitsHostAndPort) {
  Result<ListenAddress> a = ParseListenAddress("[::1]:9125");
  ASSERT_TRUE(a.ok()) << a.status().message();
  EXPECT_EQ(a->host, "::1");
  EXPECT_EQ(a->port, 9125);
  a = ParseListenAddress("127.0.0.1:8125");
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->host, "127.0.0.1");
  EXPECT_EQ(a->port, 8125);
  EXPECT_FALSE(ParseListenAddress("off").ok());
}

TEST(StatsdConfig, BadValuesNameTheKeyAndLine) {
  struct Case {
    const char* yaml;
    const char* expected;
  };
  const Case cases[] = {
      {"statsd:\n  histogram_type: timer\n",
       "statsd.histogram_type (line 2): invalid value \"timer\" (expected histogram or summary)"},
      {"statsd:\n  buckets: [1, 5, 2]\n", "statsd.buckets (line 2): invalid value \"2\""},
      {"statsd:\n  buckets: [1, inf]\n", "statsd.buckets (line 2)"},
      {"statsd:\n  quantile_window: 10ms\n", "statsd.quantile_window (line 2)"},
      {"statsd:\n  receive_buffer: lots\n", "statsd.receive_buffer (line 2)"},
      {"statsd:\n  port: 8125\n", "statsd.port (line 2): unknown key"},
      {"ingest:\n  max_labels: 33\n", "ingest.max_labels (line 2)"},
      {"ingest:\n  max_label_value_length: 4096\n", "ingest.max_label_value_length (line 2)"},
      {"ingest:\n  max_series: 0\n", "ingest.max_series (line 2)"},
      {"ingest:\n  series_ttl: forever\n", "ingest.series_ttl (line 2)"},
  };
  for (const Case& k : cases) {
    Config c;
    Status st = ApplyYaml(k.yaml, "t.yaml", c);
    ASSERT_FALSE(st.ok()) << k.yaml;
    EXPECT_NE(st.message().find(k.expected), std::string::npos) << st.message();
  }
  Config c;
  ASSERT_TRUE(ApplyYaml("ingest:\n  max_body: 100B\n", "t.yaml", c).ok());
  EXPECT_NE(Validate(c).message().find("ingest.max_body"), std::string::npos);
}

TEST(StatsdConfig, EnvironmentVariablesReachTheNewKeys) {
  static std::map<std::string, std::string> env;
  env = {{"PERFWATCH_STATSD_LISTEN", "off"},
         {"PERFWATCH_STATSD_BUCKETS", "1,2,3"},
         {"PERFWATCH_INGEST_MAX_SERIES", "777"}};
  Config c;
  Status st = ApplyEnvironment(c, [](const char* name) -> const char* {
    auto it = env.find(name);
    return it == env.end() ? nullptr : it->second.c_str();
  });
  ASSERT_TRUE(st.ok()) << st.message();
  EXPECT_EQ(c.statsd.listen, "off");
  EXPECT_EQ(c.statsd.buckets, (std::vector<double>{1, 2, 3}));
  EXPECT_EQ(c.ingest.max_series, 777u);
}

TEST(StatsdConfig, SaveThenLoadRoundTrips) {
  Config a;
  a.statsd.listen = "[::1]:9125";
  a.statsd.quantile_window_ms = 90'000;
  a.statsd.flush_interval_ms = 2500;
  a.statsd.histogram_type = "summary";
  a.statsd.buckets = {0.001, 0.25, 7.5, 1e6};
  a.statsd.receive_buffer_bytes = 3'000'000;
  a.ingest.max_series = 12'345;
  a.ingest.max_body_bytes = 1'500'000;
  a.ingest.max_sample_age_ms = 0;
  std::string yaml = ToYaml(a);
  Config b;
  Status st = ApplyYaml(yaml, "saved", b);
  ASSERT_TRUE(st.ok()) << st.message() << "\n" << yaml;
  EXPECT_EQ(ToYaml(b), yaml);
  EXPECT_EQ(b.statsd.listen, "[::1]:9125");
  EXPECT_EQ(b.statsd.quantile_window_ms, 90'000);
  EXPECT_EQ(b.statsd.flush_interval_ms, 2500);
  EXPECT_EQ(b.statsd.histogram_type, "summary");
  EXPECT_EQ(b.statsd.buckets, a.statsd.buckets);
  EXPECT_EQ(b.statsd.receive_buffer_bytes, 3'000'000u);
  EXPECT_EQ(b.ingest.max_series, 12'345u);
  EXPECT_EQ(b.ingest.max_body_bytes, 1'500'000u);
  EXPECT_EQ(b.ingest.max_sample_age_ms, 0);

  EXPECT_NE(yaml.find("listen: \"[::1]:9125\""), std::string::npos) << yaml;
}

}  // namespace
}  // namespace perfwatch
