// The scraper against real HTTP targets: Debian's prometheus binary (a
// Prometheus-format /metrics nobody here wrote), a closed port, and a tiny
// server on a plain POSIX socket that serves fixed text.

#include "ingest/scraper.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <mutex>
#include <sstream>
#include <thread>

#include "net/http_client.h"

namespace perfwatch {
namespace {

using std::chrono::milliseconds;
constexpr milliseconds kWait{60'000};  // only so a broken scraper cannot hang the test
constexpr int64_t kHour = 3'600'000;   // one scrape per test: the first starts at once

// A port nothing listens on (the kernel gave it out and it was closed again).
uint16_t FreePort() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  socklen_t len = sizeof addr;
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  close(fd);
  return ntohs(addr.sin_port);
}

// One-connection-at-a-time HTTP/1.1 server answering every request with
// what `handler` returns for the request head.
class TinyHttpServer {
 public:
  struct Reply {
    int status = 200;
    std::string body;
  };
  using Handler = std::function<Reply(const std::string& request)>;

  explicit TinyHttpServer(Handler handler) : handler_(std::move(handler)) {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
    listen(fd_, 16);
    socklen_t len = sizeof addr;
    getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    thread_ = std::thread([this] { Serve(); });
  }
  ~TinyHttpServer() {
    shutdown(fd_, SHUT_RDWR);  // wakes accept()
    thread_.join();
    close(fd_);
  }

  uint16_t port() const { return port_; }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_) + "/metrics"; }
  std::string last_request() {
    std::lock_guard lock(mu_);
    return last_request_;
  }

 private:
  void Serve() {
    while (true) {
      int conn = accept(fd_, nullptr, nullptr);
      if (conn < 0) return;
      timeval tv{10, 0};
      setsockopt(conn, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
      std::string request;
      char buf[4096];
      while (request.find("\r\n\r\n") == std::string::npos) {
        ssize_t n = recv(conn, buf, sizeof buf, 0);
        if (n <= 0) break;
        request.append(buf, static_cast<size_t>(n));
      }
      {
        std::lock_guard lock(mu_);
        last_request_ = request;
      }
      Reply reply = handler_(request);
      std::string out = "HTTP/1.1 " + std::to_string(reply.status) +
                        " X\r\nContent-Type: text/plain; version=0.0.4\r\nContent-Length: " +
                        std::to_string(reply.body.size()) + "\r\nConnection: close\r\n\r\n" +
                        reply.body;
      send(conn, out.data(), out.size(), MSG_NOSIGNAL);
      close(conn);
    }
  }

  Handler handler_;
  int fd_ = -1;
  uint16_t port_ = 0;
  std::thread thread_;
  std::mutex mu_;
  std::string last_request_;  // protected by mu_
};

TinyHttpServer::Handler Fixed(std::string body, int status = 200) {
  return [body = std::move(body), status](const std::string&) {
    return TinyHttpServer::Reply{status, body};
  };
}

// Debian's prometheus serving its own /metrics on a free loopback port,
// with its TSDB in a fresh directory; killed by PID at the end.
class PrometheusProcess {
 public:
  PrometheusProcess() {
    dir_ = std::filesystem::path(::testing::TempDir()) /
           ("pw_scrape_prometheus_" + std::to_string(getpid()));
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    std::ofstream(dir_ / "prometheus.yml") << "global: {}\n";
    port_ = FreePort();
    std::string config = "--config.file=" + (dir_ / "prometheus.yml").string();
    std::string storage = "--storage.tsdb.path=" + (dir_ / "data").string();
    std::string listen = "--web.listen-address=127.0.0.1:" + std::to_string(port_);
    std::string log = (dir_ / "prometheus.log").string();
    pid_ = fork();
    if (pid_ == 0) {
      int fd = open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      dup2(fd, STDOUT_FILENO);
      dup2(fd, STDERR_FILENO);
      execl("/usr/bin/prometheus", "prometheus", config.c_str(), storage.c_str(), listen.c_str(),
            static_cast<char*>(nullptr));
      _exit(127);
    }
  }
  ~PrometheusProcess() {
    if (pid_ > 0) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
    std::filesystem::remove_all(dir_);
  }

  // Polls /metrics until it answers 200; false if the process died first.
  bool WaitReady() {
    Result<HttpUrl> url = ParseHttpUrl(this->url());
    auto deadline = std::chrono::steady_clock::now() + kWait;
    while (std::chrono::steady_clock::now() < deadline) {
      if (waitpid(pid_, nullptr, WNOHANG) == pid_) {
        pid_ = -1;
        return false;
      }
      Result<HttpReply> reply = HttpGet(*url, {}, milliseconds(2000));
      if (reply.ok() && reply->status == 200) return true;
      std::this_thread::sleep_for(milliseconds(100));
    }
    return false;
  }

  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_) + "/metrics"; }
  std::string instance() const { return "127.0.0.1:" + std::to_string(port_); }
  std::string log() const {
    std::ifstream in(dir_ / "prometheus.log");
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
  }

 private:
  std::filesystem::path dir_;
  uint16_t port_ = 0;
  pid_t pid_ = -1;
};

// The tick's samples by "name{labels}".
std::map<std::string, double> Values(const Tick& tick) {
  std::map<std::string, double> out;
  for (const auto& [id, value] : tick.samples()) {
    const SeriesKey& key = tick.registry().Key(id);
    out[key.name + key.labels.ToString()] = value;
  }
  return out;
}

// What a scraper with `targets` hands its first tick after each target's
// first scrape.
std::map<std::string, double> ScrapeOnce(std::vector<ScrapeTarget> targets,
                                         SeriesRegistry& registry) {
  Result<std::unique_ptr<Scraper>> scraper = Scraper::Start(std::move(targets), registry, kHour);
  EXPECT_TRUE(scraper.ok()) << scraper.status().message();
  if (!scraper.ok()) return {};
  EXPECT_TRUE((*scraper)->WaitForScrapes(1, kWait));
  Tick tick(registry, 0);
  (*scraper)->Flush(tick);
  return Values(tick);
}

// Sample lines as the exposition format defines them: neither blank nor a
// comment. Counted here without the parser under test.
size_t CountSampleLines(const std::string& body) {
  size_t n = 0;
  std::istringstream in(body);
  for (std::string line; std::getline(in, line);) {
    size_t first = line.find_first_not_of(" \t\r");
    if (first != std::string::npos && line[first] != '#') ++n;
  }
  return n;
}

std::string Series(const std::string& name, const std::string& job, const std::string& instance,
                   const std::string& more = "") {
  return name + "{" + more + "instance=\"" + instance + "\",job=\"" + job + "\"}";
}

TEST(Scraper, ScrapesARealPrometheusWithUpDurationAndSampleCount) {
  ASSERT_TRUE(std::filesystem::exists("/usr/bin/prometheus"))
      << "prometheus missing: run scripts/install-deps";
  PrometheusProcess prometheus;
  ASSERT_TRUE(prometheus.WaitReady()) << "prometheus did not start:\n" << prometheus.log();
  // The proxy target passes Prometheus's /metrics through and keeps the body
  // it served, so the sample count can be checked against the very text
  // the scraper got.
  std::mutex mu;
  std::string proxied;
  TinyHttpServer proxy([&](const std::string&) {
    Result<HttpReply> reply = HttpGet(*ParseHttpUrl(prometheus.url()), {}, milliseconds(10'000));
    if (!reply.ok()) return TinyHttpServer::Reply{502, reply.status().message()};
    std::lock_guard lock(mu);
    proxied = reply->body;
    return TinyHttpServer::Reply{reply->status, reply->body};
  });

  SeriesRegistry registry;
  std::map<std::string, double> v = ScrapeOnce(
      {{.job = "prometheus", .url = prometheus.url()}, {.job = "proxy", .url = proxy.url()}},
      registry);

  const std::string inst = prometheus.instance();
  EXPECT_EQ(v[Series("up", "prometheus", inst)], 1);
  ASSERT_TRUE(v.count(Series("go_goroutines", "prometheus", inst)));
  EXPECT_GT(v[Series("go_goroutines", "prometheus", inst)], 0);
  EXPECT_GT(v[Series("scrape_duration_seconds", "prometheus", inst)], 0);
  EXPECT_GT(v[Series("scrape_samples_scraped", "prometheus", inst)], 100);

  const std::string proxy_inst = "127.0.0.1:" + std::to_string(proxy.port());
  std::lock_guard lock(mu);
  ASSERT_FALSE(proxied.empty());
  const double lines = static_cast<double>(CountSampleLines(proxied));
  EXPECT_EQ(v[Series("up", "proxy", proxy_inst)], 1);
  EXPECT_EQ(v[Series("scrape_samples_scraped", "proxy", proxy_inst)], lines);
  EXPECT_EQ(v[Series("scrape_samples_post_metric_relabeling", "proxy", proxy_inst)], lines);
  EXPECT_EQ(v[Series("scrape_series_added", "proxy", proxy_inst)], lines);
  size_t proxy_samples = 0;
  for (const auto& [series, value] : v) {
    if (series.find("job=\"proxy\"") != std::string::npos) ++proxy_samples;
  }
  EXPECT_EQ(proxy_samples, lines + 5);  // plus up and the four scrape_* series
  EXPECT_NE(proxy.last_request().find("Accept: text/plain;version=0.0.4"), std::string::npos)
      << proxy.last_request();

  std::optional<MetricMeta> gauge = registry.Meta("go_goroutines");
  ASSERT_TRUE(gauge.has_value());
  EXPECT_EQ(gauge->kind, MetricKind::kGauge);
  EXPECT_EQ(gauge->help, "Number of goroutines that currently exist.");
  std::optional<MetricMeta> counter = registry.Meta("prometheus_http_requests_total");
  ASSERT_TRUE(counter.has_value());
  EXPECT_EQ(counter->kind, MetricKind::kCounter);
}

TEST(Scraper, ATargetThatIsDownIsUpZeroWithNoSamples) {
  SeriesRegistry registry;
  const uint16_t port = FreePort();
  const std::string inst = "127.0.0.1:" + std::to_string(port);
  std::map<std::string, double> v = ScrapeOnce(
      {{.job = "gone", .url = "http://127.0.0.1:" + std::to_string(port) + "/metrics"}}, registry);
  EXPECT_EQ(v[Series("up", "gone", inst)], 0);
  EXPECT_EQ(v[Series("scrape_samples_scraped", "gone", inst)], 0);
  EXPECT_EQ(v["perfwatch_scrape_errors_total{instance=\"" + inst +
              "\",job=\"gone\",reason=\"unreachable\"}"],
            1);
  EXPECT_EQ(v.size(), 6u) << "only up, the four scrape_* series and the error counter";
}

TEST(Scraper, ExceedingTheSampleLimitFailsTheScrape) {
  TinyHttpServer server(Fixed("a 1\nb 2\nc 3\n"));
  SeriesRegistry registry;
  const std::string inst = "127.0.0.1:" + std::to_string(server.port());
  std::map<std::string, double> v =
      ScrapeOnce({{.job = "big", .url = server.url(), .sample_limit = 2}}, registry);
  EXPECT_EQ(v[Series("up", "big", inst)], 0);
  EXPECT_EQ(v[Series("scrape_samples_scraped", "big", inst)], 3);
  EXPECT_FALSE(v.count(Series("a", "big", inst)));
  EXPECT_EQ(v["perfwatch_scrape_errors_total{instance=\"" + inst +
              "\",job=\"big\",reason=\"sample_limit\"}"],
            1);
}

TEST(Scraper, ATargetsOwnJobAndInstanceBecomeExportedUnlessHonored) {
  TinyHttpServer server(
      Fixed("m{job=\"app\",instance=\"x\"} 1\nn{exported_job=\"e\",job=\"j\"} 2\n"));
  SeriesRegistry registry;
  const std::string inst = "127.0.0.1:" + std::to_string(server.port());
  std::map<std::string, double> v =
      ScrapeOnce({{.job = "plain", .url = server.url()},
                  {.job = "honored", .url = server.url() + "?x", .honor_labels = true}},
                 registry);
  EXPECT_EQ(
      v["m{exported_instance=\"x\",exported_job=\"app\",instance=\"" + inst + "\",job=\"plain\"}"],
      1);
  EXPECT_EQ(v["n{exported_exported_job=\"j\",exported_job=\"e\",instance=\"" + inst +
              "\",job=\"plain\"}"],
            2);
  EXPECT_EQ(v["m{instance=\"x\",job=\"app\"}"], 1);
  EXPECT_EQ(v["n{exported_job=\"e\",instance=\"" + inst + "\",job=\"j\"}"], 2);
  EXPECT_EQ(v[Series("up", "honored", inst)], 1);
}

TEST(Scraper, AMalformedLineFailsTheWholeScrape) {
  TinyHttpServer server(Fixed("good 1\nbad{ 2\n"));
  SeriesRegistry registry;
  const std::string inst = "127.0.0.1:" + std::to_string(server.port());
  std::map<std::string, double> v = ScrapeOnce({{.job = "m", .url = server.url()}}, registry);
  EXPECT_EQ(v[Series("up", "m", inst)], 0);
  EXPECT_FALSE(v.count(Series("good", "m", inst)));
  EXPECT_EQ(
      v["perfwatch_scrape_errors_total{instance=\"" + inst + "\",job=\"m\",reason=\"bad_labels\"}"],
      1);
}

TEST(Scraper, AnHttpErrorStatusFailsTheScrape) {
  TinyHttpServer server(Fixed("a 1\n", 500));
  SeriesRegistry registry;
  const std::string inst = "127.0.0.1:" + std::to_string(server.port());
  std::map<std::string, double> v = ScrapeOnce({{.job = "e", .url = server.url()}}, registry);
  EXPECT_EQ(v[Series("up", "e", inst)], 0);
  EXPECT_FALSE(v.count(Series("a", "e", inst)));
  EXPECT_EQ(v["perfwatch_scrape_errors_total{instance=\"" + inst +
              "\",job=\"e\",reason=\"http_status\"}"],
            1);
}

TEST(Scraper, ABodyOverTheClientLimitFailsTheScrape) {
  std::string body;
  while (body.size() <= (4u << 20)) body += "padding_metric_with_a_long_name_to_fill_the_body 1\n";
  TinyHttpServer server(Fixed(body));
  SeriesRegistry registry;
  const std::string inst = "127.0.0.1:" + std::to_string(server.port());
  std::map<std::string, double> v = ScrapeOnce({{.job = "huge", .url = server.url()}}, registry);
  EXPECT_EQ(v[Series("up", "huge", inst)], 0);
  EXPECT_EQ(v["perfwatch_scrape_errors_total{instance=\"" + inst +
              "\",job=\"huge\",reason=\"body_too_large\"}"],
            1);
}

TEST(Scraper, ADuplicateSeriesKeepsItsFirstValue) {
  TinyHttpServer server(Fixed("a 1\na 2\nb{x=\"1\"} 3\n"));
  SeriesRegistry registry;
  const std::string inst = "127.0.0.1:" + std::to_string(server.port());
  std::map<std::string, double> v = ScrapeOnce({{.job = "d", .url = server.url()}}, registry);
  EXPECT_EQ(v[Series("a", "d", inst)], 1);
  EXPECT_EQ(v[Series("scrape_samples_scraped", "d", inst)], 3);
  EXPECT_EQ(v[Series("scrape_samples_post_metric_relabeling", "d", inst)], 2);
}

TEST(Scraper, TypeAndHelpLinesDescribeTheFamilies) {
  TinyHttpServer server(
      Fixed("# HELP c_total Things\\ndone.\n# TYPE c_total counter\nc_total 3\n"
            "# TYPE h histogram\nh_bucket{le=\"+Inf\"} 1\nh_sum 2\nh_count 1\n"
            "# TYPE g gauge\ng 1\n"));
  SeriesRegistry registry;
  registry.Describe({"g", MetricKind::kCounter, "described first", ""});
  std::map<std::string, double> v = ScrapeOnce({{.job = "t", .url = server.url()}}, registry);
  ASSERT_EQ(v.size(), 10u);
  EXPECT_EQ(registry.Meta("c_total")->kind, MetricKind::kCounter);
  EXPECT_EQ(registry.Meta("c_total")->help, "Things\ndone.");
  EXPECT_EQ(registry.Meta("h_bucket")->kind, MetricKind::kCounter);
  EXPECT_EQ(registry.Meta("h_count")->kind, MetricKind::kCounter);
  EXPECT_EQ(registry.Meta("g")->help, "described first");  // first description wins
}

TEST(Scraper, SamplesComeBackWhenTheTargetRecovers) {
  std::atomic<bool> healthy = false;
  TinyHttpServer server([&](const std::string&) {
    return healthy ? TinyHttpServer::Reply{200, "a 7\n"} : TinyHttpServer::Reply{503, ""};
  });
  SeriesRegistry registry;
  const std::string inst = "127.0.0.1:" + std::to_string(server.port());
  Result<std::unique_ptr<Scraper>> scraper =
      Scraper::Start({{.job = "r", .url = server.url(), .interval_ms = 50}}, registry, kHour);
  ASSERT_TRUE(scraper.ok()) << scraper.status().message();
  ASSERT_TRUE((*scraper)->WaitForScrapes(1, kWait));
  healthy = true;
  // The scrape in flight may still have seen the failing target; two more
  // certainly include one that saw it healthy, and the last one did.
  ASSERT_TRUE((*scraper)->WaitForScrapes(3, kWait));
  Tick tick(registry, 0);
  (*scraper)->Flush(tick);
  std::map<std::string, double> v = Values(tick);
  EXPECT_EQ(v[Series("up", "r", inst)], 1);
  EXPECT_EQ(v[Series("a", "r", inst)], 7);
  EXPECT_GE(v["perfwatch_scrape_errors_total{instance=\"" + inst +
              "\",job=\"r\",reason=\"http_status\"}"],
            1);
  (*scraper)->Stop();
  (*scraper)->Stop();  // idempotent
}

TEST(Scraper, SeriesAddedCountsSeriesNotInThePreviousScrape) {
  std::atomic<int> requests = 0;
  TinyHttpServer server([&](const std::string&) {
    return TinyHttpServer::Reply{200, ++requests == 1 ? "a 1\n" : "a 1\nb 2\n"};
  });
  SeriesRegistry registry;
  const std::string inst = "127.0.0.1:" + std::to_string(server.port());
  Result<std::unique_ptr<Scraper>> scraper =
      Scraper::Start({{.job = "s", .url = server.url(), .interval_ms = 50}}, registry, kHour);
  ASSERT_TRUE(scraper.ok()) << scraper.status().message();
  ASSERT_TRUE((*scraper)->WaitForScrapes(1, kWait));
  Tick first(registry, 0);
  (*scraper)->Flush(first);
  // The third scrape and any later one saw the same two series as the one before.
  ASSERT_TRUE((*scraper)->WaitForScrapes(3, kWait));
  Tick later(registry, 0);
  (*scraper)->Flush(later);
  std::map<std::string, double> v = Values(first);
  EXPECT_EQ(v[Series("scrape_series_added", "s", inst)], 1);
  v = Values(later);
  EXPECT_EQ(v[Series("scrape_series_added", "s", inst)], 0);
  EXPECT_EQ(v[Series("b", "s", inst)], 2);
}

TEST(Scraper, AFullRegistryFailsTheScrapeButKeepsReporting) {
  TinyHttpServer server(Fixed("a 1\nb 2\nc 3\n"));
  SeriesRegistry registry(6);  // the five report series and one more
  const std::string inst = "127.0.0.1:" + std::to_string(server.port());
  std::map<std::string, double> v = ScrapeOnce({{.job = "f", .url = server.url()}}, registry);
  EXPECT_EQ(v[Series("up", "f", inst)], 0);
  EXPECT_EQ(v[Series("scrape_samples_scraped", "f", inst)], 3);
  EXPECT_FALSE(v.count(Series("a", "f", inst)));
  EXPECT_EQ(v.size(), 5u) << "no room left for the error counter either";
}

TEST(Scraper, StartRefusesTargetsItCannotScrape) {
  SeriesRegistry registry;
  auto start = [&](std::vector<ScrapeTarget> targets) {
    return Scraper::Start(std::move(targets), registry, 1000).status();
  };
  EXPECT_NE(start({{.job = "", .url = "http://127.0.0.1:1/metrics"}}).message().find("job"),
            std::string::npos);
  EXPECT_NE(start({{.job = "s", .url = "https://example.com/metrics"}}).message().find("https"),
            std::string::npos);
  EXPECT_NE(start({{.job = "s", .url = "http://127.0.0.1:1/a"},
                   {.job = "s", .url = "http://127.0.0.1:1/b"}})
                .message()
                .find("share job"),
            std::string::npos);
  EXPECT_NE(
      start({{.job = "s", .url = "http://127.0.0.1:1/", .interval_ms = 1000, .timeout_ms = 5000}})
          .message()
          .find("timeout"),
      std::string::npos);
}

}  // namespace
}  // namespace perfwatch
