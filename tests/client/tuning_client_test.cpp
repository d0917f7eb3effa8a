// The tuner (include/perfwatch/tuning.hpp) seen from both of its wires: a
// tiny HTTP server in the test stands in for perfwatch's POST
// /api/v1/tunables and records what the Tuner registers, and real HTTP
// requests to the Tuner's listener play perfwatch delivering changes.

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <mutex>
#include <nlohmann/json.hpp>
#include <perfwatch/tuning.hpp>
#include <string>
#include <thread>
#include <vector>

namespace perfwatch {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;
using json = nlohmann::json;

// Polls `done` every 5 ms for up to 30 s: the tuner's threads work on
// their own schedule, the test only waits for what they must eventually do.
template <typename Predicate>
bool WaitUntil(Predicate done) {
  const auto limit = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (!done()) {
    if (std::chrono::steady_clock::now() > limit) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return true;
}

int ListenOn(uint16_t port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  int one = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(port);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 || ::listen(fd, 16) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

uint16_t PortOf(int fd) {
  sockaddr_in addr{};
  socklen_t len = sizeof(addr);
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  return ntohs(addr.sin_port);
}

// Reads until the peer closes or 30 s pass.
std::string ReadAll(int fd) {
  std::string out;
  char buf[4096];
  while (true) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 30'000) != 1) break;
    const ssize_t n = ::recv(fd, buf, sizeof(buf), 0);
    if (n <= 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  return out;
}

// perfwatch's registration route, recording every request. Answers
// `status` (200 unless set) or, with `silent`, never answers.
class FakePerfwatch {
 public:
  struct Request {
    std::string request_line;
    std::string authorization;  // "" when absent
    std::string body;
  };

  explicit FakePerfwatch(uint16_t port = 0) { Start(port); }
  ~FakePerfwatch() { Stop(); }

  void Start(uint16_t port) {
    listen_fd_ = ListenOn(port);
    ASSERT_GE(listen_fd_, 0) << "bind 127.0.0.1:" << port;
    port_ = PortOf(listen_fd_);
    thread_ = std::thread([this] { Serve(); });
  }
  // Closes the listener: connections are refused until Start.
  void Stop() {
    if (listen_fd_ < 0) return;
    ::shutdown(listen_fd_, SHUT_RDWR);
    thread_.join();
    ::close(listen_fd_);
    listen_fd_ = -1;
  }

  uint16_t port() const { return port_; }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  void set_status(int status) { status_ = status; }
  void set_silent(bool silent) { silent_ = silent; }

  std::vector<Request> requests() {
    std::lock_guard<std::mutex> lock(mu_);
    return requests_;
  }
  size_t count() {
    std::lock_guard<std::mutex> lock(mu_);
    return requests_.size();
  }
  // The n-th request (0-based), waiting for it.
  Request Nth(size_t n) {
    EXPECT_TRUE(WaitUntil([&] { return count() > n; })) << "request " << n << " never came";
    std::lock_guard<std::mutex> lock(mu_);
    return n < requests_.size() ? requests_[n] : Request{};
  }

 private:
  void Serve() {
    while (true) {
      const int conn = ::accept(listen_fd_, nullptr, nullptr);
      if (conn < 0) return;
      Handle(conn);
      ::close(conn);
    }
  }

  void Handle(int conn) {
    std::string in;
    char buf[4096];
    size_t head_end;
    while ((head_end = in.find("\r\n\r\n")) == std::string::npos) {
      const ssize_t n = ::recv(conn, buf, sizeof(buf), 0);
      if (n <= 0) return;
      in.append(buf, static_cast<size_t>(n));
    }
    Request r;
    r.request_line = in.substr(0, in.find("\r\n"));
    const std::string head = in.substr(0, head_end);
    size_t length = 0;
    size_t pos = 0;
    while ((pos = head.find("\r\n", pos)) != std::string::npos) {
      pos += 2;
      const std::string line = head.substr(pos, head.find("\r\n", pos) - pos);
      if (line.rfind("Content-Length: ", 0) == 0) length = std::stoul(line.substr(16));
      if (line.rfind("Authorization: ", 0) == 0) r.authorization = line.substr(15);
    }
    r.body = in.substr(head_end + 4);
    while (r.body.size() < length) {
      const ssize_t n = ::recv(conn, buf, sizeof(buf), 0);
      if (n <= 0) return;
      r.body.append(buf, static_cast<size_t>(n));
    }
    {
      std::lock_guard<std::mutex> lock(mu_);
      requests_.push_back(r);
    }
    if (silent_) {
      ReadAll(conn);  // until the tuner gives up and closes
      return;
    }
    const std::string body = "{\"registered\":1}";
    const std::string answer =
        "HTTP/1.1 " + std::to_string(status_.load()) +
        " X\r\nContent-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) +
        "\r\n\r\n" + body;
    ::send(conn, answer.data(), answer.size(), MSG_NOSIGNAL);
  }

  int listen_fd_ = -1;
  uint16_t port_ = 0;
  std::thread thread_;
  std::atomic<int> status_{200};
  std::atomic<bool> silent_{false};
  std::mutex mu_;
  std::vector<Request> requests_;
};

struct HttpResult {
  int status = 0;
  std::string body;
};

// Sends `raw` bytes to 127.0.0.1:port and reads the answer to the end.
HttpResult Exchange(uint16_t port, const std::string& raw) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(port);
  HttpResult result;
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0) {
    ::send(fd, raw.data(), raw.size(), MSG_NOSIGNAL);
    const std::string in = ReadAll(fd);
    if (in.rfind("HTTP/1.1 ", 0) == 0 && in.size() >= 12)
      result.status = std::stoi(in.substr(9, 3));
    const size_t head_end = in.find("\r\n\r\n");
    if (head_end != std::string::npos) result.body = in.substr(head_end + 4);
  }
  ::close(fd);
  return result;
}

HttpResult PostTune(uint16_t port, const std::string& body) {
  return Exchange(port,
                  "POST /tune HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                  "Content-Length: " +
                      std::to_string(body.size()) + "\r\n\r\n" + body);
}

TunerOptions Options(const std::string& url) {
  TunerOptions o;
  o.app = "shop";
  o.url = url;
  o.heartbeat = std::chrono::milliseconds(200);
  o.timeout = std::chrono::seconds(10);
  return o;
}

// A tuner with shop's four knobs and two hooks, every callback recorded.
class TunerTest : public ::testing::Test {
 protected:
  void Declare(Tuner& tuner) {
    auto record = [this](const Change& c) {
      std::lock_guard<std::mutex> lock(mu_);
      changes_.push_back(c);
      return reject_ ? TuneResult::Reject("pool.size above cores") : TuneResult::Accept();
    };
    ASSERT_TRUE(tuner.Number("cache.size", 1000, 10, 100000, 1, "items", record));
    ASSERT_TRUE(tuner.Number("cache.ttl_seconds", 30, 1, 3600, 0, "seconds", record));
    ASSERT_TRUE(tuner.Bool("async.enabled", false, record));
    ASSERT_TRUE(tuner.Choice("pool.size", 4, {8, 1, 4, 2}, "", record));
    ASSERT_TRUE(tuner.Hook("cache_warmup", [this](const HookCall& h) {
      std::lock_guard<std::mutex> lock(mu_);
      hooks_.push_back(h);
      return TuneResult::Accept();
    }));
    ASSERT_TRUE(
        tuner.Hook("memory_cleanup", [](const HookCall&) { return TuneResult::Reject("busy"); }));
  }

  std::vector<Change> changes() {
    std::lock_guard<std::mutex> lock(mu_);
    return changes_;
  }
  std::vector<HookCall> hooks() {
    std::lock_guard<std::mutex> lock(mu_);
    return hooks_;
  }

  FakePerfwatch perfwatch_;
  std::atomic<bool> reject_{false};
  std::mutex mu_;
  std::vector<Change> changes_;
  std::vector<HookCall> hooks_;
};

TEST_F(TunerTest, RegistersEveryKnobWithWebhookHooksAndBearerToken) {
  TunerOptions options = Options(perfwatch_.url());
  options.token = "s3cret";
  Tuner tuner(options);
  Declare(tuner);
  ASSERT_TRUE(tuner.Describe("cache.size", "LRU entries \"hot\" keys"));
  std::string error;
  ASSERT_TRUE(tuner.Start(&error)) << error;
  ASSERT_NE(tuner.port(), 0);
  EXPECT_EQ(tuner.webhook(), "http://127.0.0.1:" + std::to_string(tuner.port()) + "/tune");

  const FakePerfwatch::Request r = perfwatch_.Nth(0);
  EXPECT_EQ(r.request_line, "POST /api/v1/tunables HTTP/1.1");
  EXPECT_EQ(r.authorization, "Bearer s3cret");
  const json body = json::parse(r.body);
  ASSERT_TRUE(body.is_array());
  ASSERT_EQ(body.size(), 4u);
  const json hooks = json::array({"cache_warmup", "memory_cleanup"});
  EXPECT_EQ(body[0], json({{"app", "shop"},
                           {"name", "async.enabled"},
                           {"value", false},
                           {"webhook", tuner.webhook()},
                           {"hooks", hooks}}));
  EXPECT_EQ(body[1], json({{"app", "shop"},
                           {"name", "cache.size"},
                           {"value", 1000},
                           {"min", 10},
                           {"max", 100000},
                           {"step", 1},
                           {"unit", "items"},
                           {"description", "LRU entries \"hot\" keys"},
                           {"webhook", tuner.webhook()},
                           {"hooks", hooks}}));
  EXPECT_EQ(body[2]["name"], "cache.ttl_seconds");
  EXPECT_FALSE(body[2].contains("step"));  // 0 = any value
  EXPECT_EQ(body[3]["name"], "pool.size");
  EXPECT_EQ(body[3]["allowed"], json::array({1, 2, 4, 8}));
  EXPECT_FALSE(body[3].contains("min"));
  EXPECT_TRUE(WaitUntil([&] { return tuner.Stats().registrations_ok >= 1; }));
}

TEST_F(TunerTest, SendsNoAuthorizationWithoutAToken) {
  Tuner tuner(Options(perfwatch_.url()));
  Declare(tuner);
  ASSERT_TRUE(tuner.Start());
  EXPECT_EQ(perfwatch_.Nth(0).authorization, "");
}

TEST_F(TunerTest, RegistersAgainEveryHeartbeat) {
  Tuner tuner(Options(perfwatch_.url()));
  Declare(tuner);
  ASSERT_TRUE(tuner.Start());
  perfwatch_.Nth(2);
  EXPECT_EQ(perfwatch_.Nth(2).body, perfwatch_.Nth(0).body);
  EXPECT_TRUE(WaitUntil([&] { return tuner.Stats().registrations_ok >= 3; }));
  EXPECT_EQ(tuner.Stats().registrations_failed, 0u);
}

TEST_F(TunerTest, SurvivesAPerfwatchRestart) {
  Tuner tuner(Options(perfwatch_.url()));
  Declare(tuner);
  ASSERT_TRUE(tuner.Start());
  perfwatch_.Nth(0);
  ASSERT_TRUE(WaitUntil([&] { return tuner.Stats().registrations_ok >= 1; }));

  const uint16_t port = perfwatch_.port();
  perfwatch_.Stop();
  ASSERT_TRUE(WaitUntil([&] { return tuner.Stats().registrations_failed >= 2; }));
  EXPECT_THAT(tuner.LastError(), HasSubstr("127.0.0.1:" + std::to_string(port)));

  const size_t before = perfwatch_.count();
  const uint64_t ok_before = tuner.Stats().registrations_ok;
  perfwatch_.Start(port);
  const FakePerfwatch::Request again = perfwatch_.Nth(before);
  EXPECT_EQ(again.body, perfwatch_.Nth(0).body);
  EXPECT_TRUE(WaitUntil([&] { return tuner.Stats().registrations_ok > ok_before; }));
  EXPECT_TRUE(WaitUntil([&] { return tuner.LastError().empty(); }));
}

TEST_F(TunerTest, AnErrorAnswerIsAFailedRegistrationAndIsRetried) {
  perfwatch_.set_status(401);
  Tuner tuner(Options(perfwatch_.url()));
  Declare(tuner);
  ASSERT_TRUE(tuner.Start());
  ASSERT_TRUE(WaitUntil([&] { return tuner.Stats().registrations_failed >= 2; }));
  EXPECT_THAT(tuner.LastError(), HasSubstr("401 {\"registered\":1}"));
  EXPECT_EQ(tuner.Stats().registrations_ok, 0u);
  perfwatch_.set_status(200);
  EXPECT_TRUE(WaitUntil([&] { return tuner.Stats().registrations_ok >= 1; }));
}

TEST_F(TunerTest, RegistersAValueTheApplicationSet) {
  TunerOptions options = Options(perfwatch_.url());
  options.heartbeat = std::chrono::hours(1);  // only Set() can cause the second registration
  Tuner tuner(options);
  Declare(tuner);
  ASSERT_TRUE(tuner.Start());
  perfwatch_.Nth(0);
  ASSERT_TRUE(tuner.Set("cache.size", 2500));
  EXPECT_EQ(tuner.Value("cache.size"), 2500);
  const json body = json::parse(perfwatch_.Nth(1).body);
  EXPECT_EQ(body[1]["name"], "cache.size");
  EXPECT_EQ(body[1]["value"], 2500);

  EXPECT_FALSE(tuner.Set("cache.size", 5));     // below min
  EXPECT_FALSE(tuner.Set("pool.size", 3));      // not allowed
  EXPECT_FALSE(tuner.Set("async.enabled", 2));  // a bool is 0 or 1
  EXPECT_FALSE(tuner.Set("no.such", 1));
  EXPECT_EQ(tuner.Value("cache.size"), 2500);
  EXPECT_TRUE(std::isnan(tuner.Value("no.such")));
}

TEST_F(TunerTest, UsesThePathOfThePerfwatchUrl) {
  Tuner tuner(Options(perfwatch_.url() + "/perfwatch/"));
  Declare(tuner);
  ASSERT_TRUE(tuner.Start());
  EXPECT_EQ(perfwatch_.Nth(0).request_line, "POST /perfwatch/api/v1/tunables HTTP/1.1");
}

TEST(TunerDeclare, RefusesInvalidAndRepeatedKnobs) {
  Tuner tuner(Options("http://127.0.0.1:1"));
  EXPECT_TRUE(tuner.Number("cache.size", 1000, 10, 100000, 1, "items"));
  EXPECT_FALSE(tuner.Number("cache.size", 1000, 10, 100000, 1, "items"));  // repeated
  EXPECT_FALSE(tuner.Bool("cache.size", true));
  EXPECT_FALSE(tuner.Number("a", 5, 10, 100, 1, ""));  // value below min
  EXPECT_FALSE(tuner.Number("b", 5, 10, 1, 1, ""));    // min above max
  EXPECT_FALSE(tuner.Number("c", 5, 1, 10, -1, ""));   // negative step
  EXPECT_FALSE(tuner.Number("d", NAN, 1, 10, 1, ""));
  EXPECT_FALSE(tuner.Number("e", 5, 1, INFINITY, 1, ""));
  EXPECT_FALSE(tuner.Number("has space", 5, 1, 10, 1, ""));
  EXPECT_FALSE(tuner.Number("", 5, 1, 10, 1, ""));
  EXPECT_FALSE(tuner.Number(std::string(129, 'x'), 5, 1, 10, 1, ""));
  EXPECT_FALSE(tuner.Choice("f", 3, {1, 2}, ""));  // value not allowed
  EXPECT_FALSE(tuner.Choice("g", 1, {}, ""));
  EXPECT_TRUE(tuner.Hook("cache_warmup", nullptr));
  EXPECT_FALSE(tuner.Hook("cache_warmup", nullptr));
  EXPECT_FALSE(tuner.Hook("bad/hook", nullptr));
  EXPECT_FALSE(tuner.Describe("no.such", "x"));
  EXPECT_EQ(tuner.Value("cache.size"), 1000);
  for (size_t i = 1; i < Tuner::kMaxKnobs; ++i) {
    EXPECT_TRUE(tuner.Bool(std::to_string(i).append(".k"), false)) << i;
  }
  EXPECT_FALSE(tuner.Bool("one.too.many", false));
}

TEST(TunerStart, FailsWithoutAnAppABadUrlOrABadListenAddress) {
  TunerOptions options = Options("http://127.0.0.1:1");
  options.app = "";
  std::string error;
  EXPECT_FALSE(Tuner(options).Start(&error));
  EXPECT_THAT(error, HasSubstr("PERFWATCH_APP"));

  options = Options("https://127.0.0.1:8080");
  EXPECT_FALSE(Tuner(options).Start(&error));
  EXPECT_THAT(error, HasSubstr("expected http://"));

  options = Options("http://127.0.0.1:99999");
  EXPECT_FALSE(Tuner(options).Start(&error));
  EXPECT_THAT(error, HasSubstr("bad host or port"));

  options = Options("http://127.0.0.1:1");
  options.listen = "127.0.0.1";
  EXPECT_FALSE(Tuner(options).Start(&error));
  EXPECT_THAT(error, HasSubstr("expected host:port"));

  Tuner twice(Options("http://127.0.0.1:1"));
  ASSERT_TRUE(twice.Start());
  EXPECT_FALSE(twice.Start(&error));
  EXPECT_EQ(error, "already started");
}

TEST(TunerStart, FailsWhenTheListenPortIsTaken) {
  const int taken = ListenOn(0);
  ASSERT_GE(taken, 0);
  TunerOptions options = Options("http://127.0.0.1:1");
  options.listen = "127.0.0.1:" + std::to_string(PortOf(taken));
  std::string error;
  EXPECT_FALSE(Tuner(options).Start(&error));
  EXPECT_THAT(error, HasSubstr("binding"));
  ::close(taken);
}

TEST_F(TunerTest, AcceptedChangeCallsBackAndUpdatesTheValue) {
  Tuner tuner(Options(perfwatch_.url()));
  Declare(tuner);
  ASSERT_TRUE(tuner.Start());
  const HttpResult r = PostTune(
      tuner.port(),
      R"({"app":"shop","name":"cache.size","value":700,"previous":1000,)"
      R"("rule":"ShrinkCacheOnMemoryPressure","reason":"system_memory_used_percent 91.2 > 85"})");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, R"({"ok":true})");
  ASSERT_EQ(changes().size(), 1u);
  const Change c = changes()[0];
  EXPECT_EQ(c.name, "cache.size");
  EXPECT_EQ(c.value, 700);
  EXPECT_EQ(c.previous, 1000);
  EXPECT_EQ(c.rule, "ShrinkCacheOnMemoryPressure");
  EXPECT_EQ(c.reason, "system_memory_used_percent 91.2 > 85");
  EXPECT_EQ(tuner.Value("cache.size"), 700);
  EXPECT_EQ(tuner.Stats().changes_accepted, 1u);
  EXPECT_EQ(tuner.Stats().bad_requests, 0u);
}

TEST_F(TunerTest, RejectedChangeAnswers409WithTheReasonAndKeepsTheValue) {
  reject_ = true;
  Tuner tuner(Options(perfwatch_.url()));
  Declare(tuner);
  ASSERT_TRUE(tuner.Start());
  const HttpResult r =
      PostTune(tuner.port(), R"({"app":"shop","name":"pool.size","value":8,"previous":4})");
  EXPECT_EQ(r.status, 409);
  EXPECT_EQ(json::parse(r.body), json({{"error", "pool.size above cores"}}));
  EXPECT_EQ(changes().size(), 1u);
  EXPECT_EQ(tuner.Value("pool.size"), 4);
  EXPECT_EQ(tuner.Stats().changes_rejected, 1u);
  EXPECT_EQ(tuner.Stats().changes_accepted, 0u);
}

TEST_F(TunerTest, BoolKnobTakesTrueFalseAndZeroOrOne) {
  Tuner tuner(Options(perfwatch_.url()));
  Declare(tuner);
  ASSERT_TRUE(tuner.Start());
  EXPECT_EQ(PostTune(tuner.port(), R"({"name":"async.enabled","value":true})").status, 200);
  EXPECT_TRUE(tuner.Enabled("async.enabled"));
  EXPECT_TRUE(changes().back().enabled());
  EXPECT_EQ(changes().back().previous, 0);
  EXPECT_EQ(PostTune(tuner.port(), R"({"name":"async.enabled","value":0})").status, 200);
  EXPECT_FALSE(tuner.Enabled("async.enabled"));
  EXPECT_EQ(PostTune(tuner.port(), R"({"name":"async.enabled","value":0.5})").status, 409);
  EXPECT_EQ(PostTune(tuner.port(), R"({"name":"cache.size","value":true})").status, 400);
  EXPECT_EQ(changes().size(), 2u);
}

TEST_F(TunerTest, ValueOutsideTheKnobIsRejectedWithoutCallingBack) {
  Tuner tuner(Options(perfwatch_.url()));
  Declare(tuner);
  ASSERT_TRUE(tuner.Start());
  HttpResult r = PostTune(tuner.port(), R"({"name":"cache.size","value":5})");
  EXPECT_EQ(r.status, 409);
  EXPECT_THAT(r.body, HasSubstr("value 5 is below min 10"));
  r = PostTune(tuner.port(), R"({"name":"pool.size","value":3})");
  EXPECT_EQ(r.status, 409);
  EXPECT_THAT(r.body, HasSubstr("not one of the allowed values"));
  EXPECT_TRUE(changes().empty());
  EXPECT_EQ(tuner.Stats().changes_rejected, 2u);
}

TEST_F(TunerTest, UnknownKnobHookOrAppIs404) {
  Tuner tuner(Options(perfwatch_.url()));
  Declare(tuner);
  ASSERT_TRUE(tuner.Start());
  HttpResult r = PostTune(tuner.port(), R"({"app":"shop","name":"no.such","value":1})");
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(json::parse(r.body), json({{"error", "unknown tunable \"no.such\""}}));
  EXPECT_EQ(PostTune(tuner.port(), R"({"app":"shop","hook":"no_such"})").status, 404);
  r = PostTune(tuner.port(), R"({"app":"cart","name":"cache.size","value":100})");
  EXPECT_EQ(r.status, 404);
  EXPECT_THAT(r.body, HasSubstr("unknown app"));
  EXPECT_TRUE(changes().empty());
  EXPECT_EQ(tuner.Stats().bad_requests, 3u);
}

TEST_F(TunerTest, MalformedBodiesAre400) {
  Tuner tuner(Options(perfwatch_.url()));
  Declare(tuner);
  ASSERT_TRUE(tuner.Start());
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"", "expected a JSON object"},
      {"{", "expected a string key"},
      {"[]", "expected a JSON object"},
      {R"({"name":"cache.size","value":700)", "expected ',' or '}'"},
      {R"({"name":"cache.size","value":700,})", "expected a string key"},
      {R"({"name":"cache.size","value":700} x)", "unexpected text after the object"},
      {R"({"name":"cache.size","value":null})", "null is not accepted"},
      {R"({"name":"cache.size","value":[700]})", "nested objects and arrays"},
      {R"({"name":"cache.size","value":{"v":1}})", "nested objects and arrays"},
      {R"({"name":"cache.size","value":700,"value":800})", "duplicate key \"value\""},
      {R"({"name":"cache.size","value":0700})", "leading zero"},
      {R"({"name":"cache.size","value":1e999})", "number out of range"},
      {R"({"name":"cache.size","value":NaN})", "expected a string, a number or a boolean"},
      {R"({"name":"cache.size","value":"700"})", "must be numbers or booleans"},
      {R"({"name":7,"value":700})", "\"name\" must be a string"},
      {R"({"name":"cache.size"})", "missing \"value\""},
      {R"({"value":700})", "exactly one of \"name\" and \"hook\""},
      {R"({"name":"cache.size","hook":"cache_warmup","value":1})", "exactly one of"},
      {"{\"name\":\"cache\x01size\",\"value\":1}", "control character"},
      {"{\"name\":\"\xff\",\"value\":1}", "invalid UTF-8"},
      {R"({"name":"\ud800","value":1})", "lone high surrogate"},
      {R"({"name":"cache.size","value":tru})", "invalid literal"},
  };
  for (const auto& [body, why] : cases) {
    const HttpResult r = PostTune(tuner.port(), body);
    EXPECT_EQ(r.status, 400) << body;
    EXPECT_THAT(r.body, HasSubstr(json(why).dump().substr(1, json(why).dump().size() - 2))) << body;
  }
  EXPECT_TRUE(changes().empty());
  EXPECT_EQ(tuner.Stats().bad_requests, cases.size());
  EXPECT_EQ(tuner.Value("cache.size"), 1000);
}

TEST_F(TunerTest, AnswersRequestsItDoesNotTake) {
  Tuner tuner(Options(perfwatch_.url()));
  Declare(tuner);
  ASSERT_TRUE(tuner.Start());
  const std::string body = R"({"name":"cache.size","value":700})";
  EXPECT_EQ(Exchange(tuner.port(), "POST /tune HTTP/1.1\r\nHost: x\r\n\r\n" + body).status, 411);
  EXPECT_EQ(
      Exchange(tuner.port(), "POST /tune HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n")
          .status,
      411);
  EXPECT_EQ(Exchange(tuner.port(), "POST /tune HTTP/1.1\r\nContent-Length: 7x\r\n\r\n").status,
            400);
  EXPECT_EQ(Exchange(tuner.port(), "GET /tune HTTP/1.1\r\nHost: x\r\n\r\n").status, 405);
  EXPECT_EQ(Exchange(tuner.port(), "POST /other HTTP/1.1\r\nContent-Length: 2\r\n\r\n{}").status,
            404);
  EXPECT_EQ(Exchange(tuner.port(), "garbage\r\n\r\n").status, 400);
  const std::string big(70'000, ' ');
  const HttpResult r = Exchange(tuner.port(), "POST /tune HTTP/1.1\r\nContent-Length: " +
                                                  std::to_string(big.size()) + "\r\n\r\n" + big);
  EXPECT_EQ(r.status, 413);
  EXPECT_THAT(r.body, HasSubstr("64 KiB"));
  EXPECT_EQ(
      Exchange(tuner.port(), "POST /tune HTTP/1.1\r\nX: " + std::string(20'000, 'a') + "\r\n\r\n")
          .status,
      431);
  EXPECT_TRUE(changes().empty());
  EXPECT_EQ(tuner.Stats().bad_requests, 8u);
  // Still serving.
  EXPECT_EQ(PostTune(tuner.port(), body).status, 200);
}

TEST_F(TunerTest, BodyJustUnderTheLimitIsRead) {
  Tuner tuner(Options(perfwatch_.url()));
  Declare(tuner);
  ASSERT_TRUE(tuner.Start());
  const std::string reason(60'000, 'r');
  const HttpResult r =
      PostTune(tuner.port(), R"({"name":"cache.size","value":700,"reason":")" + reason + "\"}");
  EXPECT_EQ(r.status, 200);
  ASSERT_EQ(changes().size(), 1u);
  EXPECT_EQ(changes()[0].reason, reason);
}

TEST_F(TunerTest, HookRunsItsCallback) {
  Tuner tuner(Options(perfwatch_.url()));
  Declare(tuner);
  ASSERT_TRUE(tuner.Start());
  HttpResult r = PostTune(
      tuner.port(),
      R"({"app":"shop","hook":"cache_warmup","rule":"CachePerformanceOptimization","reason":"hit rate 41 < 60"})");
  EXPECT_EQ(r.status, 200);
  ASSERT_EQ(hooks().size(), 1u);
  EXPECT_EQ(hooks()[0].hook, "cache_warmup");
  EXPECT_EQ(hooks()[0].rule, "CachePerformanceOptimization");
  EXPECT_EQ(hooks()[0].reason, "hit rate 41 < 60");
  r = PostTune(tuner.port(), R"({"app":"shop","hook":"memory_cleanup"})");
  EXPECT_EQ(r.status, 409);
  EXPECT_EQ(json::parse(r.body), json({{"error", "busy"}}));
  EXPECT_EQ(tuner.Stats().hooks_called, 2u);
  EXPECT_EQ(tuner.Stats().hooks_rejected, 1u);
}

TEST_F(TunerTest, CallbackThatThrowsIsARejection) {
  Tuner tuner(Options(perfwatch_.url()));
  ASSERT_TRUE(tuner.Number("x", 1, 0, 10, 1, "",
                           [](const Change&) -> TuneResult { throw std::runtime_error("boom"); }));
  ASSERT_TRUE(tuner.Start());
  const HttpResult r = PostTune(tuner.port(), R"({"name":"x","value":2})");
  EXPECT_EQ(r.status, 409);
  EXPECT_EQ(json::parse(r.body), json({{"error", "callback threw: boom"}}));
  EXPECT_EQ(tuner.Value("x"), 1);
}

TEST_F(TunerTest, CallbackMayReadAndSetKnobs) {
  Tuner tuner(Options(perfwatch_.url()));
  double seen = 0;
  ASSERT_TRUE(tuner.Number("b", 5, 0, 10, 1, ""));
  ASSERT_TRUE(tuner.Number("a", 1, 0, 10, 1, "", [&](const Change& c) {
    seen = tuner.Value("a");
    tuner.Set("b", c.value);
    return TuneResult::Accept();
  }));
  ASSERT_TRUE(tuner.Start());
  EXPECT_EQ(PostTune(tuner.port(), R"({"name":"a","value":3})").status, 200);
  EXPECT_EQ(seen, 1);
  EXPECT_EQ(tuner.Value("a"), 3);
  EXPECT_EQ(tuner.Value("b"), 3);
}

TEST_F(TunerTest, StuckConnectionTimesOutAndDoesNotBlockTheNext) {
  TunerOptions options = Options(perfwatch_.url());
  options.timeout = std::chrono::milliseconds(300);
  Tuner tuner(options);
  Declare(tuner);
  ASSERT_TRUE(tuner.Start());
  const int stuck = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(tuner.port());
  ASSERT_EQ(::connect(stuck, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  const std::string partial = "POST /tune HTTP/1.1\r\nContent-Length: 40\r\n\r\n{\"name\"";
  ::send(stuck, partial.data(), partial.size(), MSG_NOSIGNAL);

  EXPECT_EQ(PostTune(tuner.port(), R"({"name":"cache.size","value":700})").status, 200);
  EXPECT_THAT(ReadAll(stuck), StartsWith("HTTP/1.1 408 "));
  ::close(stuck);
  EXPECT_EQ(tuner.Value("cache.size"), 700);
  EXPECT_EQ(tuner.Stats().bad_requests, 1u);
}

TEST_F(TunerTest, StopsPromptlyWhilePerfwatchDoesNotAnswer) {
  perfwatch_.set_silent(true);
  TunerOptions options = Options(perfwatch_.url());
  options.timeout = std::chrono::minutes(10);
  auto tuner = std::make_unique<Tuner>(options);
  Declare(*tuner);
  ASSERT_TRUE(tuner->Start());
  perfwatch_.Nth(0);  // the registration is in progress and will not be answered
  const auto start = std::chrono::steady_clock::now();
  tuner.reset();
  // Waiting for the exchange would take the 10-minute timeout.
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::minutes(1));
}

TEST(TunerOptionsTest, FromEnvironmentReadsTheVariables) {
  ::setenv("PERFWATCH_APP", "cart", 1);
  ::setenv("PERFWATCH_URL", "http://10.0.0.5:9000", 1);
  ::setenv("PERFWATCH_TOKEN", "t0k", 1);
  ::setenv("PERFWATCH_TUNER_LISTEN", "0.0.0.0:9096", 1);
  ::setenv("PERFWATCH_TUNER_ADVERTISE", "cart.internal", 1);
  const TunerOptions o = TunerOptions::FromEnvironment();
  for (const char* name : {"PERFWATCH_APP", "PERFWATCH_URL", "PERFWATCH_TOKEN",
                           "PERFWATCH_TUNER_LISTEN", "PERFWATCH_TUNER_ADVERTISE"}) {
    ::unsetenv(name);
  }
  EXPECT_EQ(o.app, "cart");
  EXPECT_EQ(o.url, "http://10.0.0.5:9000");
  EXPECT_EQ(o.token, "t0k");
  EXPECT_EQ(o.listen, "0.0.0.0:9096");
  EXPECT_EQ(o.advertise, "cart.internal");
  const TunerOptions d = TunerOptions::FromEnvironment();
  EXPECT_EQ(d.app, "");
  EXPECT_EQ(d.url, "http://127.0.0.1:8080");
  EXPECT_EQ(d.listen, "127.0.0.1:0");
}

TEST(TunerOptionsTest, WildcardListenAdvertisesLoopbackUnlessTold) {
  TunerOptions options = Options("http://127.0.0.1:1");
  options.listen = "0.0.0.0:0";
  Tuner wildcard(options);
  ASSERT_TRUE(wildcard.Start());
  EXPECT_EQ(wildcard.webhook(), "http://127.0.0.1:" + std::to_string(wildcard.port()) + "/tune");
  options.advertise = "shop.internal";
  Tuner told(options);
  ASSERT_TRUE(told.Start());
  EXPECT_EQ(told.webhook(), "http://shop.internal:" + std::to_string(told.port()) + "/tune");
}

TEST(FlatJson, ReadsStringsNumbersBooleansAndEscapes) {
  tuner_detail::FlatObject out;
  tuner_detail::FlatJsonParser parser(
      " {\"s\" : \"a\\\"b\\\\c\\/\\n\\u00e9\\ud83d\\ude00\xc3\xa9\", \"n\":-1.5e2, "
      "\"z\":0, \"t\":true, \"f\":false} \n");
  ASSERT_TRUE(parser.Parse(out)) << parser.error();
  ASSERT_EQ(out.size(), 5u);
  EXPECT_EQ(out[0].first, "s");
  EXPECT_EQ(out[0].second.text, "a\"b\\c/\n\xc3\xa9\xf0\x9f\x98\x80\xc3\xa9");
  EXPECT_EQ(out[1].second.type, tuner_detail::JsonScalar::Type::kNumber);
  EXPECT_EQ(out[1].second.number, -150);
  EXPECT_EQ(out[2].second.number, 0);
  EXPECT_EQ(out[3].second.type, tuner_detail::JsonScalar::Type::kBool);
  EXPECT_EQ(out[3].second.number, 1);
  EXPECT_EQ(out[4].second.number, 0);
  tuner_detail::FlatJsonParser empty("{}");
  EXPECT_TRUE(empty.Parse(out));
  EXPECT_TRUE(out.empty());
}

TEST(FlatJson, RefusesWhatIsNotAFlatObject) {
  for (const char* text : {"",
                           "{",
                           "}",
                           "{\"a\"}",
                           "{\"a\":}",
                           "{\"a\":1,}",
                           "{,}",
                           "{\"a\":1}{}",
                           "{'a':1}",
                           "{\"a\":-}",
                           "{\"a\":1.}",
                           "{\"a\":.5}",
                           "{\"a\":1e}",
                           "{\"a\":+1}",
                           "{\"a\":\"\\x\"}",
                           "{\"a\":\"\\u12\"}",
                           "{\"a\":\"\\udc00\"}",
                           "{\"a\":\"unterminated}",
                           "{\"a\":nul}",
                           "{\"a\":\"\xc0\xaf\"}",
                           "{\"a\":\"\xed\xa0\x80\"}"}) {
    tuner_detail::FlatObject out;
    tuner_detail::FlatJsonParser parser(text);
    EXPECT_FALSE(parser.Parse(out)) << text;
    EXPECT_THAT(parser.error(), HasSubstr("at byte")) << text;
  }
  std::string many = "{";
  for (int i = 0; i < 65; ++i) many += (i ? ",\"k" : "\"k") + std::to_string(i) + "\":1";
  many += "}";
  tuner_detail::FlatObject out;
  tuner_detail::FlatJsonParser parser(many);
  EXPECT_FALSE(parser.Parse(out));
  EXPECT_THAT(parser.error(), HasSubstr("more than 64 keys"));
}

TEST(FlatJson, WritesStringsPerfwatchCanRead) {
  std::string out;
  tuner_detail::AppendJsonString(out, "q\"\\\n\t\x01 \xc3\xa9 \xff end");
  EXPECT_EQ(json::parse(out).get<std::string>(), "q\"\\\n\t\x01 \xc3\xa9 \xef\xbf\xbd end");
}

}  // namespace
}  // namespace perfwatch
