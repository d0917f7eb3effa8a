#include "tune/actuator.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cctype>
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <functional>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace perfwatch {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

struct Answer {
  int status = 200;
  std::string body = "ok";
};

struct Received {
  std::string request_line;  // "POST /tune HTTP/1.1"
  std::string content_type;
  std::string body;
};

// A plain-socket HTTP/1.1 server on 127.0.0.1 (a kernel-chosen port) that
// answers one request per connection with what `answer(i)` says for the
// i-th request, and can hold its answer until Release().
class TuneReceiver {
 public:
  explicit TuneReceiver(std::function<Answer(size_t)> answer = [](size_t) { return Answer{}; })
      : answer_(std::move(answer)) {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_EQ(bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
    EXPECT_EQ(listen(fd_, 16), 0);
    socklen_t len = sizeof addr;
    getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    thread_ = std::thread([this] { Serve(); });
  }
  ~TuneReceiver() {
    stop_ = true;
    Release();
    thread_.join();
    close(fd_);
  }

  std::string Url() const { return "http://127.0.0.1:" + std::to_string(port_) + "/tune"; }

  void Hold() {
    std::lock_guard lock(mu_);
    held_ = true;
  }
  void Release() {
    {
      std::lock_guard lock(mu_);
      held_ = false;
    }
    cv_.notify_all();
  }
  // Waits until `n` requests arrived (a guard of 10 s keeps a broken build
  // from hanging); returns all of them.
  std::vector<Received> WaitFor(size_t n) {
    std::unique_lock lock(mu_);
    cv_.wait_for(lock, 10s, [&] { return received_.size() >= n; });
    return received_;
  }
  std::vector<Received> Requests() {
    std::lock_guard lock(mu_);
    return received_;
  }
  size_t answered() const { return answered_; }

 private:
  void Serve() {
    while (!stop_) {
      pollfd p{fd_, POLLIN, 0};
      if (poll(&p, 1, 20) <= 0) continue;
      const int conn = accept(fd_, nullptr, nullptr);
      if (conn < 0) continue;
      Handle(conn);
      close(conn);
    }
  }

  void Handle(int conn) {
    std::string data;
    char buf[4096];
    size_t header_end = std::string::npos;
    size_t length = 0;
    while (header_end == std::string::npos || data.size() < header_end + 4 + length) {
      const ssize_t n = read(conn, buf, sizeof buf);
      if (n <= 0) return;
      data.append(buf, static_cast<size_t>(n));
      if (header_end == std::string::npos &&
          (header_end = data.find("\r\n\r\n")) != std::string::npos) {
        length = std::stoul(Header(data.substr(0, header_end), "content-length", "0"));
      }
    }
    Received r;
    r.request_line = data.substr(0, data.find("\r\n"));
    r.content_type = Header(data.substr(0, header_end), "content-type", "");
    r.body = data.substr(header_end + 4, length);
    size_t index;
    {
      std::unique_lock lock(mu_);
      index = received_.size();
      received_.push_back(std::move(r));
      cv_.notify_all();
      cv_.wait(lock, [&] { return !held_; });
    }
    const Answer a = answer_(index);
    const std::string reply =
        "HTTP/1.1 " + std::to_string(a.status) +
        " X\r\nContent-Type: text/plain\r\nContent-Length: " + std::to_string(a.body.size()) +
        "\r\nConnection: close\r\n\r\n" + a.body;
    ++answered_;  // before the write: the client may act on the answer at once
    (void)!write(conn, reply.data(), reply.size());
  }

  static std::string Header(const std::string& head, const std::string& name,
                            const std::string& fallback) {
    std::istringstream lines(head);
    std::string line;
    while (std::getline(lines, line)) {
      const size_t colon = line.find(':');
      if (colon == std::string::npos) continue;
      std::string key = line.substr(0, colon);
      for (char& c : key) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      if (key != name) continue;
      std::string value = line.substr(colon + 1);
      value.erase(0, value.find_first_not_of(' '));
      if (!value.empty() && value.back() == '\r') value.pop_back();
      return value;
    }
    return fallback;
  }

  std::function<Answer(size_t)> answer_;
  int fd_ = -1;
  uint16_t port_ = 0;
  std::thread thread_;
  std::atomic<bool> stop_{false};
  std::atomic<size_t> answered_{0};
  std::mutex mu_;
  std::condition_variable cv_;
  bool held_ = false;               // guarded by mu_
  std::vector<Received> received_;  // guarded by mu_
};

// Everything the actuator finished, waiting until `n` are (10 s guard).
std::vector<ActuatorDone> WaitDone(Actuator& actuator, size_t n) {
  std::vector<ActuatorDone> all;
  const auto limit = std::chrono::steady_clock::now() + 10s;
  while (all.size() < n && std::chrono::steady_clock::now() < limit) {
    for (ActuatorDone& d : actuator.TakeDone()) all.push_back(std::move(d));
    if (all.size() < n) std::this_thread::sleep_for(2ms);
  }
  return all;
}

ActuatorOptions FastRetries() {
  ActuatorOptions o;
  o.max_attempts = 3;
  o.backoff_ms = 10;
  return o;
}

ActuatorWork CacheChange(const std::string& webhook) {
  ActuatorWork w;
  w.record_id = 12;
  w.kind = TuningAction::Kind::kScale;
  w.rule = "ShrinkCacheOnMemoryPressure";
  w.reason = "system_memory_used_percent = 91.2 > 85 for 10s";
  w.app = "shop";
  w.name = "cache.size";
  w.webhook = webhook;
  w.previous = 1000;
  w.value = 700;
  w.timeout_ms = 5000;
  return w;
}

TEST(Actuator, PostsATunableChangeAndA2xxAppliesIt) {
  TuneReceiver app;
  Actuator actuator(FastRetries());
  actuator.Submit(CacheChange(app.Url()));
  std::vector<ActuatorDone> done = WaitDone(actuator, 1);
  ASSERT_EQ(done.size(), 1u);
  EXPECT_EQ(done[0].record_id, 12);
  EXPECT_EQ(done[0].outcome, "applied");
  EXPECT_EQ(done[0].error, "");
  EXPECT_EQ(done[0].attempts, 1);
  std::vector<Received> got = app.Requests();
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].request_line, "POST /tune HTTP/1.1");
  EXPECT_EQ(got[0].content_type, "application/json");
  EXPECT_EQ(got[0].body, R"({"app":"shop","name":"cache.size","value":700,"previous":1000,)"
                         R"("rule":"ShrinkCacheOnMemoryPressure",)"
                         R"("reason":"system_memory_used_percent = 91.2 > 85 for 10s"})");
}

TEST(Actuator, SendsBoolsAsTrueFalseAndFractionsAsNumbers) {
  TuneReceiver app;
  Actuator actuator(FastRetries());
  ActuatorWork async = CacheChange(app.Url());
  async.kind = TuningAction::Kind::kSet;
  async.name = "async.enabled";
  async.value_kind = TunableSpec::Kind::kBool;
  async.previous = 0;
  async.value = 1;
  async.rule = "r";
  async.reason = "x";
  actuator.Submit(async);
  ActuatorWork ratio = async;
  ratio.kind = TuningAction::Kind::kToggle;
  ratio.name = "gc.ratio";
  ratio.value_kind = TunableSpec::Kind::kNumber;
  ratio.previous = 0.5;
  ratio.value = 0.25;
  actuator.Submit(ratio);
  ASSERT_EQ(WaitDone(actuator, 2).size(), 2u);
  std::vector<Received> got = app.Requests();
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0].body, R"({"app":"shop","name":"async.enabled","value":true,"previous":false,)"
                         R"("rule":"r","reason":"x"})");
  EXPECT_EQ(
      got[1].body,
      R"({"app":"shop","name":"gc.ratio","value":0.25,"previous":0.5,"rule":"r","reason":"x"})");
}

TEST(Actuator, A4xxIsRejectedWithItsBodyAndNeverRetried) {
  TuneReceiver app([](size_t) { return Answer{409, "cache.size is locked by the operator"}; });
  Actuator actuator(FastRetries());
  actuator.Submit(CacheChange(app.Url()));
  std::vector<ActuatorDone> done = WaitDone(actuator, 1);
  ASSERT_EQ(done.size(), 1u);
  EXPECT_EQ(done[0].outcome, "rejected");
  EXPECT_EQ(done[0].error, "cache.size is locked by the operator");
  EXPECT_EQ(done[0].attempts, 1);
  EXPECT_EQ(app.Requests().size(), 1u);
}

TEST(Actuator, CutsARejectionBodyTo200Bytes) {
  TuneReceiver app([](size_t) { return Answer{400, std::string(300, 'x')}; });
  Actuator actuator(FastRetries());
  actuator.Submit(CacheChange(app.Url()));
  std::vector<ActuatorDone> done = WaitDone(actuator, 1);
  ASSERT_EQ(done.size(), 1u);
  EXPECT_EQ(done[0].outcome, "rejected");
  EXPECT_EQ(done[0].error, std::string(200, 'x'));
}

TEST(Actuator, A5xxIsRetriedThenFails) {
  TuneReceiver app([](size_t) { return Answer{500, "boom"}; });
  Actuator actuator(FastRetries());
  actuator.Submit(CacheChange(app.Url()));
  std::vector<ActuatorDone> done = WaitDone(actuator, 1);
  ASSERT_EQ(done.size(), 1u);
  EXPECT_EQ(done[0].outcome, "failed");
  EXPECT_EQ(done[0].attempts, 3);
  EXPECT_NE(done[0].error.find("answered 500"), std::string::npos) << done[0].error;
  EXPECT_EQ(app.Requests().size(), 3u);
}

TEST(Actuator, ARetryThatSucceedsIsApplied) {
  TuneReceiver app([](size_t i) { return i == 0 ? Answer{503, "busy"} : Answer{}; });
  Actuator actuator(FastRetries());
  actuator.Submit(CacheChange(app.Url()));
  std::vector<ActuatorDone> done = WaitDone(actuator, 1);
  ASSERT_EQ(done.size(), 1u);
  EXPECT_EQ(done[0].outcome, "applied");
  EXPECT_EQ(done[0].attempts, 2);
}

TEST(Actuator, AnUnreachableApplicationFails) {
  // A bound socket that never listens: connecting to it is refused.
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  socklen_t len = sizeof addr;
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  Actuator actuator(FastRetries());
  actuator.Submit(CacheChange("http://127.0.0.1:" + std::to_string(ntohs(addr.sin_port)) + "/"));
  std::vector<ActuatorDone> done = WaitDone(actuator, 1);
  close(fd);
  ASSERT_EQ(done.size(), 1u);
  EXPECT_EQ(done[0].outcome, "failed");
  EXPECT_EQ(done[0].attempts, 3);
  EXPECT_FALSE(done[0].error.empty());
}

TEST(Actuator, NoWebhookMeansNoDeliveryChannel) {
  Actuator actuator(FastRetries());
  actuator.Submit(CacheChange(""));
  ActuatorWork hook = CacheChange("");
  hook.kind = TuningAction::Kind::kHook;
  hook.record_id = 13;
  actuator.Submit(hook);
  std::vector<ActuatorDone> done = WaitDone(actuator, 2);
  ASSERT_EQ(done.size(), 2u);
  for (const ActuatorDone& d : done) {
    EXPECT_EQ(d.outcome, "failed");
    EXPECT_EQ(d.error, "no delivery channel");
    EXPECT_EQ(d.attempts, 0);
  }
  EXPECT_EQ(done[1].record_id, 13);
}

TEST(Actuator, PostsHooksAndWebhookDecisions) {
  TuneReceiver app;
  Actuator actuator(FastRetries());
  ActuatorWork hook;
  hook.record_id = 1;
  hook.kind = TuningAction::Kind::kHook;
  hook.rule = "CachePerformanceOptimization";
  hook.reason = "app_cache_hit_rate_percent = 41 < 60 for 30s";
  hook.app = "shop";
  hook.name = "cache_warmup";
  hook.webhook = app.Url();
  actuator.Submit(hook);
  ActuatorWork decision;
  decision.record_id = 2;
  decision.kind = TuningAction::Kind::kWebhook;
  decision.rule = "Emergency";
  decision.reason = "5 poor evaluations";
  decision.emergency = true;
  decision.app = "shop";
  decision.webhook = app.Url();
  actuator.Submit(decision);
  ActuatorWork about_a_tunable = decision;
  about_a_tunable.record_id = 3;
  about_a_tunable.emergency = false;
  about_a_tunable.name = "pool.size";
  about_a_tunable.previous = 8;
  about_a_tunable.value = 12;
  actuator.Submit(about_a_tunable);
  std::vector<ActuatorDone> done = WaitDone(actuator, 3);
  ASSERT_EQ(done.size(), 3u);
  for (const ActuatorDone& d : done) EXPECT_EQ(d.outcome, "applied") << d.record_id;
  std::vector<Received> got = app.Requests();
  ASSERT_EQ(got.size(), 3u);
  EXPECT_EQ(got[0].body,
            R"({"app":"shop","hook":"cache_warmup","rule":"CachePerformanceOptimization",)"
            R"("reason":"app_cache_hit_rate_percent = 41 < 60 for 30s"})");
  EXPECT_EQ(got[1].body,
            R"({"rule":"Emergency","reason":"5 poor evaluations","action":"webhook",)"
            R"("emergency":true,"app":"shop","tunable":"","value":null,"previous":null})");
  EXPECT_EQ(got[2].body,
            R"({"rule":"Emergency","reason":"5 poor evaluations","action":"webhook",)"
            R"("emergency":false,"app":"shop","tunable":"pool.size","value":12,"previous":8})");
}

class ActuatorExecTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("actuator_test_" + std::to_string(getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  static std::string Read(const fs::path& p) {
    std::ifstream in(p);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
  }

  ActuatorDone RunOne(std::vector<std::string> argv) {
    Actuator actuator(FastRetries());
    ActuatorWork w = CacheChange("");
    w.kind = TuningAction::Kind::kExec;
    w.argv = std::move(argv);
    actuator.Submit(w);
    std::vector<ActuatorDone> done = WaitDone(actuator, 1);
    EXPECT_EQ(done.size(), 1u);
    return done.empty() ? ActuatorDone{} : done[0];
  }

  fs::path dir_;
};

TEST_F(ActuatorExecTest, ExitZeroIsAppliedAnythingElseFailed) {
  ActuatorDone ok = RunOne({"/bin/true"});
  EXPECT_EQ(ok.outcome, "applied");
  EXPECT_EQ(ok.attempts, 1);
  ActuatorDone three = RunOne({"/bin/sh", "-c", "exit 3"});
  EXPECT_EQ(three.outcome, "failed");
  EXPECT_NE(three.error.find("exited with status 3"), std::string::npos) << three.error;
  ActuatorDone missing = RunOne({(dir_ / "no-such-program").string()});
  EXPECT_EQ(missing.outcome, "failed");
  EXPECT_FALSE(missing.error.empty());
  ActuatorDone empty = RunOne({});
  EXPECT_EQ(empty.outcome, "failed");
}

TEST_F(ActuatorExecTest, TheChildGetsTheDecisionInItsEnvironmentAndOnStdin) {
  const fs::path env_file = dir_ / "env";
  const fs::path stdin_file = dir_ / "stdin";
  ActuatorDone done = RunOne(
      {"/bin/sh", "-c",
       "printf '%s|%s|%s|%s|%s|%s|%s|%s' \"$PERFWATCH_RULE\" \"$PERFWATCH_REASON\" "
       "\"$PERFWATCH_ACTION\" \"$PERFWATCH_APP\" \"$PERFWATCH_TUNABLE\" \"$PERFWATCH_VALUE\" "
       "\"$PERFWATCH_PREVIOUS\" \"${HOME:-unset}\" > \"$1\"; cat > \"$2\"",
       "sh", env_file.string(), stdin_file.string()});
  ASSERT_EQ(done.outcome, "applied") << done.error;
  EXPECT_EQ(Read(env_file),
            "ShrinkCacheOnMemoryPressure|system_memory_used_percent = 91.2 > 85 for 10s|exec|"
            "shop|cache.size|700|1000|unset")
      << "PATH and PERFWATCH_* only: perfwatch's own environment stays out";
  EXPECT_EQ(
      Read(stdin_file),
      R"({"rule":"ShrinkCacheOnMemoryPressure",)"
      R"("reason":"system_memory_used_percent = 91.2 > 85 for 10s","action":"exec",)"
      R"("emergency":false,"app":"shop","tunable":"cache.size","value":700,"previous":1000})");
}

TEST(Actuator, FailsWorkBeyondTheQueueAtOnce) {
  TuneReceiver app;
  app.Hold();
  ActuatorOptions options = FastRetries();
  options.max_queue = 1;
  Actuator actuator(options);
  ActuatorWork w = CacheChange(app.Url());
  w.record_id = 1;
  actuator.Submit(w);
  ASSERT_EQ(app.WaitFor(1).size(), 1u) << "the first is being delivered";
  w.record_id = 2;
  actuator.Submit(w);  // queued
  w.record_id = 3;
  actuator.Submit(w);  // beyond the queue
  std::vector<ActuatorDone> done = actuator.TakeDone();
  ASSERT_EQ(done.size(), 1u);
  EXPECT_EQ(done[0].record_id, 3);
  EXPECT_EQ(done[0].outcome, "failed");
  EXPECT_EQ(done[0].error, "queue full");
  app.Release();
  done = WaitDone(actuator, 2);
  ASSERT_EQ(done.size(), 2u);
  EXPECT_EQ(done[0].record_id, 1);
  EXPECT_EQ(done[1].record_id, 2);
  EXPECT_EQ(done[1].outcome, "applied");
}

TEST(Actuator, StoppingFinishesTheRunningDeliveryWithoutRetryingAndSendsNoMore) {
  TuneReceiver app([](size_t) { return Answer{500, "down"}; });
  app.Hold();
  auto actuator = std::make_unique<Actuator>(FastRetries());
  ActuatorWork w = CacheChange(app.Url());
  actuator->Submit(w);
  ASSERT_EQ(app.WaitFor(1).size(), 1u);
  actuator->Submit(w);  // queued behind the one being delivered
  std::thread release([&] {
    std::this_thread::sleep_for(100ms);
    app.Release();
  });
  actuator.reset();  // returns once the running delivery has its answer
  release.join();
  EXPECT_EQ(app.answered(), 1u);
  EXPECT_EQ(app.Requests().size(), 1u) << "no retry of the 500 and no queued work once stopping";
}

}  // namespace
}  // namespace perfwatch
