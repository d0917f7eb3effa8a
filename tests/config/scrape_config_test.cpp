// The scrape: section: the issue's example, every key, errors with their
// key and line, and the round trip through --save-config.

#include "config/scrape_config.h"

#include <gtest/gtest.h>

#include "config/config.h"

namespace perfwatch {
namespace {

TEST(ScrapeConfig, ReadsTheIssuesExampleAsWritten) {
  Config c;
  Status st = ApplyYaml(R"(
scrape:
  - job: shop
    url: http://127.0.0.1:9100/metrics
    interval: 5s
)",
                        "perfwatch.yaml", c);
  ASSERT_TRUE(st.ok()) << st.message();
  ASSERT_EQ(c.scrape.size(), 1u);
  EXPECT_EQ(c.scrape[0].job, "shop");
  EXPECT_EQ(c.scrape[0].url, "http://127.0.0.1:9100/metrics");
  EXPECT_EQ(c.scrape[0].interval_ms, 5000);
  EXPECT_EQ(c.scrape[0].timeout_ms, 0);
  EXPECT_EQ(c.scrape[0].sample_limit, 50'000u);
  EXPECT_FALSE(c.scrape[0].honor_labels);
  EXPECT_TRUE(Validate(c).ok());
}

TEST(ScrapeConfig, ReadsEveryKey) {
  Config c;
  Status st = ApplyYaml(R"(
scrape:
  - job: node
    url: "http://[::1]:9100/metrics?x=1"
    interval: 30s
    timeout: 3s
    sample_limit: 0
    honor_labels: yes
  - {job: app, url: "http://localhost:8000/"}
)",
                        "t.yaml", c);
  ASSERT_TRUE(st.ok()) << st.message();
  ASSERT_EQ(c.scrape.size(), 2u);
  EXPECT_EQ(c.scrape[0].url, "http://[::1]:9100/metrics?x=1");
  EXPECT_EQ(c.scrape[0].interval_ms, 30'000);
  EXPECT_EQ(c.scrape[0].timeout_ms, 3000);
  EXPECT_EQ(c.scrape[0].sample_limit, 0u);
  EXPECT_TRUE(c.scrape[0].honor_labels);
  EXPECT_EQ(c.scrape[1].job, "app");
  EXPECT_EQ(c.scrape[1].interval_ms, 0);
  EXPECT_TRUE(Validate(c).ok());
}

TEST(ScrapeConfig, AnEmptyListScrapesNothing) {
  Config c;
  c.scrape.push_back({.job = "x", .url = "http://h/"});
  ASSERT_TRUE(ApplyYaml("scrape: []\n", "t.yaml", c).ok());
  EXPECT_TRUE(c.scrape.empty());
  ASSERT_TRUE(ApplyYaml("scrape:\n", "t.yaml", c).ok());
  EXPECT_TRUE(c.scrape.empty());
}

TEST(ScrapeConfig, ErrorsNameTheFileTheKeyAndTheLine) {
  struct Case {
    const char* yaml;
    const char* expected;
  };
  const Case cases[] = {
      {"scrape:\n  - job: a\n    url: https://h/metrics\n",
       "t.yaml: scrape[0].url (line 3): URL \"https://h/metrics\": https is not supported"},
      {"scrape:\n  - job: a\n    url: h:9100\n", "t.yaml: scrape[0].url (line 3)"},
      {"scrape:\n  - job: \"\"\n    url: http://h/\n",
       "t.yaml: scrape[0].job (line 2): must not be empty"},
      {"scrape:\n  - job: a\n    url: http://h/\n    interval: 0s\n",
       "t.yaml: scrape[0].interval (line 4): must be positive"},
      {"scrape:\n  - job: a\n    url: http://h/\n    timeout: soon\n",
       "t.yaml: scrape[0].timeout (line 4): invalid duration"},
      {"scrape:\n  - job: a\n    url: http://h/\n    sample_limit: -1\n",
       "t.yaml: scrape[0].sample_limit (line 4)"},
      {"scrape:\n  - job: a\n    url: http://h/\n    honor_labels: maybe\n",
       "t.yaml: scrape[0].honor_labels (line 4)"},
      {"scrape:\n  - job: a\n    url: http://h/\n    port: 1\n",
       "t.yaml: scrape[0].port (line 4): unknown key"},
      {"scrape:\n  - url: http://h/\n", "t.yaml: scrape[0] (line 2): missing job"},
      {"scrape:\n  - job: a\n", "t.yaml: scrape[0] (line 2): missing url"},
      {"scrape:\n  - just a string\n", "t.yaml: scrape[0] (line 2): expected a mapping"},
      {"scrape:\n  job: a\n", "t.yaml: scrape (line 2): expected a list of targets"},
      {"scrape:\n  - job: a\n    url: http://h:80/a\n  - job: a\n    url: http://h/b\n",
       "t.yaml: scrape[1] (line 4): job \"a\" already scrapes h:80 (scrape[0])"},
  };
  for (const Case& k : cases) {
    Config c;
    Status st = ApplyYaml(k.yaml, "t.yaml", c);
    ASSERT_FALSE(st.ok()) << k.yaml;
    EXPECT_NE(st.message().find(k.expected), std::string::npos) << st.message();
    EXPECT_TRUE(c.scrape.empty());
  }
}

TEST(ScrapeConfig, TheSameUrlUnderTwoJobsIsAllowed) {
  Config c;
  Status st =
      ApplyYaml("scrape:\n  - {job: a, url: \"http://h/m\"}\n  - {job: b, url: \"http://h/m\"}\n",
                "t.yaml", c);
  EXPECT_TRUE(st.ok()) << st.message();
}

TEST(ScrapeConfig, ValidateChecksTargetsBuiltInCode) {
  Config c;
  c.scrape = {{.job = "a", .url = "http://h/", .interval_ms = 1000, .timeout_ms = 2000}};
  EXPECT_NE(Validate(c).message().find("scrape[0].timeout: 2s is longer than the scrape "
                                       "interval 1s"),
            std::string::npos)
      << Validate(c).message();
  c.scrape = {{.job = "a", .url = "ftp://h/"}};
  EXPECT_NE(Validate(c).message().find("scrape[0].url"), std::string::npos);
  c.scrape = {{.job = "\xff", .url = "http://h/"}};
  EXPECT_NE(Validate(c).message().find("scrape[0].job: must be UTF-8"), std::string::npos);
  c.scrape = {{.job = "a", .url = "http://h/x"}, {.job = "a", .url = "http://h:80/y"}};
  EXPECT_NE(Validate(c).message().find("scrape[1]: job \"a\" already scrapes"), std::string::npos);
  c.scrape = {{.job = "caf\xc3\xa9", .url = "http://h/"}};
  EXPECT_TRUE(Validate(c).ok()) << Validate(c).message();
}

TEST(ScrapeConfig, SaveThenLoadRoundTrips) {
  Config a;
  a.scrape = {{.job = "shop", .url = "http://127.0.0.1:9100/metrics", .interval_ms = 5000},
              {.job = "node: \"x\"",
               .url = "http://[::1]:9100/metrics",
               .interval_ms = 90'000,
               .timeout_ms = 1500,
               .sample_limit = 0,
               .honor_labels = true}};
  std::string yaml = ToYaml(a);
  Config b;
  Status st = ApplyYaml(yaml, "saved", b);
  ASSERT_TRUE(st.ok()) << st.message() << "\n" << yaml;
  EXPECT_EQ(ToYaml(b), yaml);
  ASSERT_EQ(b.scrape.size(), 2u);
  EXPECT_EQ(b.scrape[0].job, "shop");
  EXPECT_EQ(b.scrape[0].interval_ms, 5000);
  EXPECT_EQ(b.scrape[0].sample_limit, 50'000u);
  EXPECT_EQ(b.scrape[1].job, "node: \"x\"");
  EXPECT_EQ(b.scrape[1].url, "http://[::1]:9100/metrics");
  EXPECT_EQ(b.scrape[1].interval_ms, 90'000);
  EXPECT_EQ(b.scrape[1].timeout_ms, 1500);
  EXPECT_EQ(b.scrape[1].sample_limit, 0u);
  EXPECT_TRUE(b.scrape[1].honor_labels);
}

}  // namespace
}  // namespace perfwatch
