// End-to-end: history kept by the real binary across restarts and kill -9.

#include <gtest/gtest.h>
#include <signal.h>
#include <sqlite3.h>
#include <sys/resource.h>
#include <sys/wait.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>
#include <random>
#include <thread>

#include "harness.h"

namespace perfwatch::e2e {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;

// Every (time, value) of system_load1 perfwatch serves.
std::vector<std::pair<int64_t, double>> Load1History(uint16_t port) {
  HttpResult r = HttpGet(port, "/api/v1/metrics/history?metric=system_load1&hours=1");
  EXPECT_EQ(r.status, 200) << r.body;
  std::vector<std::pair<int64_t, double>> out;
  json j = json::parse(r.body, nullptr, false);
  if (!j.is_object()) return out;
  for (const json& s : j["series"]) {
    for (const json& p : s["points"]) out.emplace_back(p[0].get<int64_t>(), p[1].get<double>());
  }
  return out;
}

TEST(Durability, HistoryIsThereAfterARestart) {
  std::string dir = FreshDir("pw_durable_restart");
  std::vector<std::pair<int64_t, double>> before;
  {
    PerfwatchProcess p({"--data-dir", dir, "--interval", "200ms"});
    ASSERT_TRUE(p.started()) << p.log();
    std::this_thread::sleep_for(2s);
    before = Load1History(p.port());
    ASSERT_GE(before.size(), 5u);
    EXPECT_EQ(p.Terminate(), 0);
  }
  PerfwatchProcess p({"--data-dir", dir, "--interval", "200ms"});
  ASSERT_TRUE(p.started()) << p.log();
  std::vector<std::pair<int64_t, double>> after = Load1History(p.port());
  // A clean stop syncs the WAL: every point served before is served after.
  for (const auto& point : before) {
    EXPECT_NE(std::find(after.begin(), after.end(), point), after.end()) << point.first;
  }
  EXPECT_NE(p.log().find("\"event\":\"wal_replayed\""), std::string::npos);
}

// PRAGMA integrity_check of the data directory's database, over a
// read-only connection of our own while perfwatch serves it.
std::string IntegrityCheck(const std::string& dir) {
  sqlite3* db = nullptr;
  std::string result = "cannot open";
  if (sqlite3_open_v2((dir + "/perfwatch.db").c_str(), &db, SQLITE_OPEN_READONLY, nullptr) ==
      SQLITE_OK) {
    sqlite3_busy_timeout(db, 5000);
    sqlite3_stmt* stmt = nullptr;
    if (sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &stmt, nullptr) == SQLITE_OK &&
        sqlite3_step(stmt) == SQLITE_ROW) {
      result = reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0));
    } else {
      result = sqlite3_errmsg(db);
    }
    sqlite3_finalize(stmt);
  }
  sqlite3_close(db);
  return result;
}

// Clients that keep the server busy: history, current values, exposition.
class QueryLoad {
 public:
  explicit QueryLoad(uint16_t port) {
    for (int i = 0; i < 2; ++i) {
      threads_.emplace_back([this, port, i] {
        const char* targets[] = {"/api/v1/metrics/history?metric=system_load1&hours=1",
                                 "/api/v1/metrics", "/metrics", "/api/v1/storage",
                                 "/api/v1/metrics/history?metric=system_cpu_seconds_total&step=1m"};
        for (size_t n = i; !stop_; ++n) (void)HttpGet(port, targets[n % 5]);
      });
    }
  }
  ~QueryLoad() {
    stop_ = true;
    for (std::thread& t : threads_) t.join();
  }

 private:
  std::atomic<bool> stop_{false};
  std::vector<std::thread> threads_;
};

// kill -9 at random moments, twenty times, while clients query and blocks
// are sealed every minute (storage.block_duration: 1m, a tick every 100 ms):
// each restart serves what was served before the kill, less at most the
// last wal_fsync period (1 s), and the database passes integrity_check.
TEST(Durability, KillNineUnderLoadLosesAtMostTheLastFsyncPeriod) {
  std::string dir = FreshDir("pw_durable_kill");
  std::filesystem::create_directories(dir);
  const std::string config = dir + "/perfwatch.yaml";
  std::ofstream(config) << "storage:\n  block_duration: 1m\n";
  std::mt19937 rng(std::random_device{}());
  std::vector<std::pair<int64_t, double>> served;
  for (int round = 0; round < 20; ++round) {
    SCOPED_TRACE("round " + std::to_string(round));
    PerfwatchProcess p({"--data-dir", dir, "--interval", "100ms", "--config", config});
    ASSERT_TRUE(p.started()) << p.log();
    std::vector<std::pair<int64_t, double>> now = Load1History(p.port());
    for (const auto& point : served) {
      // Points older than the fsync period before the kill must all be back.
      if (point.first < served.back().first - 1100) {
        ASSERT_NE(std::find(now.begin(), now.end(), point), now.end())
            << "lost " << point.first << "\n"
            << p.log();
      }
    }
    ASSERT_EQ(IntegrityCheck(dir), "ok");
    {
      QueryLoad load(p.port());
      std::this_thread::sleep_for(std::chrono::milliseconds(300 + rng() % 2500));
      served = Load1History(p.port());
    }
    ASSERT_FALSE(served.empty());
    kill(p.pid(), SIGKILL);
  }
  // The history crossed into SQLite: wait for a minute boundary if the
  // rounds did not pass one.
  PerfwatchProcess p({"--data-dir", dir, "--interval", "100ms", "--config", config});
  ASSERT_TRUE(p.started()) << p.log();
  json j;
  for (int i = 0; i < 150; ++i) {
    j = json::parse(HttpGet(p.port(), "/api/v1/storage").body, nullptr, false);
    ASSERT_TRUE(j.is_object());
    if (j["tiers"]["raw"]["blocks"].get<int64_t>() > 0) break;
    std::this_thread::sleep_for(500ms);
  }
  EXPECT_GT(j["tiers"]["raw"]["blocks"].get<int64_t>(), 0) << j.dump();
  EXPECT_EQ(IntegrityCheck(dir), "ok");
  std::vector<std::pair<int64_t, double>> now = Load1History(p.port());
  for (const auto& point : served) {
    if (point.first < served.back().first - 1100) {
      ASSERT_NE(std::find(now.begin(), now.end(), point), now.end()) << "lost " << point.first;
    }
  }
}

json Storage(uint16_t port) {
  return json::parse(HttpGet(port, "/api/v1/storage").body, nullptr, false);
}

// A disk that refuses writes (here a 64 KiB file-size limit set on the
// running process, so every write past it fails with EFBIG as on a full
// disk): perfwatch keeps collecting and serving from memory, counts and
// logs the failures, and once writes succeed again it seals the waiting
// window with nothing lost.
TEST(Durability, ADiskThatRefusesWritesIsRiddenOutAndCaughtUpOn) {
  std::string dir = FreshDir("pw_durable_full");
  std::filesystem::create_directories(dir);
  const std::string config = dir + "/perfwatch.yaml";
  std::ofstream(config) << "storage:\n  block_duration: 1m\n";
  PerfwatchProcess p({"--data-dir", dir, "--interval", "200ms", "--config", config});
  ASSERT_TRUE(p.started()) << p.log();
  rlimit full{64 << 10, RLIM_INFINITY};
  ASSERT_EQ(prlimit(p.pid(), RLIMIT_FSIZE, &full, nullptr), 0) << std::strerror(errno);
  // The first seal comes at the next minute boundary, and fails. (The WAL
  // may fail first, when a segment reaches the limit, and recover by
  // rotating; the seal's failure is the one that names its window.)
  const auto seal_failed = [&p] {
    const std::string& log = p.log();
    for (size_t at = log.find("storage_write_failed"); at != std::string::npos;
         at = log.find("storage_write_failed", at + 1)) {
      const size_t eol = log.find('\n', at);
      if (log.substr(at, eol - at).find("window_end_ms") != std::string::npos) return true;
    }
    return false;
  };
  json j;
  for (int i = 0; i < 160 && !seal_failed(); ++i) std::this_thread::sleep_for(500ms);
  ASSERT_TRUE(seal_failed()) << p.log();
  j = Storage(p.port());
  ASSERT_TRUE(j.is_object());
  ASSERT_GT(j["errors"].get<int64_t>(), 0) << j.dump();
  EXPECT_EQ(j["tiers"]["raw"]["blocks"].get<int64_t>(), 0) << j.dump();
  // Still collecting and serving.
  std::vector<std::pair<int64_t, double>> during = Load1History(p.port());
  std::this_thread::sleep_for(1s);
  std::vector<std::pair<int64_t, double>> later = Load1History(p.port());
  ASSERT_GT(later.size(), during.size());
  HttpResult metrics = HttpGet(p.port(), "/metrics");
  EXPECT_EQ(metrics.body.find("perfwatch_storage_errors_total 0\n"), std::string::npos);
  EXPECT_NE(metrics.body.find("perfwatch_storage_errors_total "), std::string::npos);

  rlimit room{RLIM_INFINITY, RLIM_INFINITY};
  ASSERT_EQ(prlimit(p.pid(), RLIMIT_FSIZE, &room, nullptr), 0) << std::strerror(errno);
  for (int i = 0; i < 60; ++i) {  // the writer retries every 10 s
    j = Storage(p.port());
    if (j["tiers"]["raw"]["blocks"].get<int64_t>() > 0) break;
    std::this_thread::sleep_for(500ms);
  }
  ASSERT_GT(j["tiers"]["raw"]["blocks"].get<int64_t>(), 0) << j.dump() << "\n" << p.log();
  EXPECT_GT(j["sealed_until_ms"].get<int64_t>(), 0) << j.dump();
  std::vector<std::pair<int64_t, double>> after = Load1History(p.port());
  for (const auto& point : later) {
    ASSERT_NE(std::find(after.begin(), after.end(), point), after.end()) << "lost " << point.first;
  }
  // And the sealed window is read back from SQLite after a restart. (Ticks
  // after it whose WAL append failed were only in memory: the documented
  // cost of a full disk.)
  const int64_t sealed = j["sealed_until_ms"].get<int64_t>();
  EXPECT_EQ(p.Terminate(), 0);
  PerfwatchProcess again({"--data-dir", dir, "--config", config});
  ASSERT_TRUE(again.started()) << again.log();
  std::vector<std::pair<int64_t, double>> restarted = Load1History(again.port());
  for (const auto& point : later) {
    if (point.first >= sealed) continue;
    ASSERT_NE(std::find(restarted.begin(), restarted.end(), point), restarted.end())
        << "lost after restart " << point.first;
  }
  EXPECT_EQ(IntegrityCheck(dir), "ok");
}

TEST(Durability, StorageRouteReportsTiersAndTheWal) {
  PerfwatchProcess p({"--data-dir", FreshDir("pw_durable_storage")});
  ASSERT_TRUE(p.started()) << p.log();
  HttpResult r = HttpGet(p.port(), "/api/v1/storage");
  ASSERT_EQ(r.status, 200) << r.body;
  json j = json::parse(r.body);
  for (const char* tier : {"raw", "1m", "1h"}) EXPECT_TRUE(j["tiers"].contains(tier)) << tier;
  EXPECT_GT(j["file_bytes"].get<int64_t>(), 0);
  EXPECT_GT(j["wal_segments"].get<int64_t>(), 0);
  HttpResult metrics;
  for (int i = 0; i < 50 && metrics.status != 200; ++i) {  // 503 until the first tick
    metrics = HttpGet(p.port(), "/metrics");
    if (metrics.status != 200) std::this_thread::sleep_for(100ms);
  }
  EXPECT_NE(metrics.body.find("perfwatch_storage_file_bytes"), std::string::npos);
}

TEST(Durability, ACorruptDatabaseStopsStartupNamingTheFileAndTheFlag) {
  std::string dir = FreshDir("pw_durable_corrupt");
  std::filesystem::create_directories(dir);
  std::ofstream(dir + "/perfwatch.db") << std::string(4096, 'z');
  RunResult r = RunPerfwatch({"--data-dir", dir, "--port", "0"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find(dir + "/perfwatch.db"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("--reset-corrupt-db"), std::string::npos) << r.err;
  PerfwatchProcess p({"--data-dir", dir, "--reset-corrupt-db"});
  EXPECT_TRUE(p.started()) << p.log();
}

TEST(Durability, TwoPerfwatchesCannotShareADataDirectory) {
  std::string dir = FreshDir("pw_durable_shared");
  PerfwatchProcess first({"--data-dir", dir});
  ASSERT_TRUE(first.started()) << first.log();
  RunResult second = RunPerfwatch({"--data-dir", dir, "--port", "0"});
  EXPECT_EQ(second.exit_code, 1);
  EXPECT_NE(second.err.find(dir), std::string::npos) << second.err;
}

TEST(Durability, BadStorageSettingsAreRefusedByName) {
  RunResult r = RunPerfwatch({"--max-disk", "lots"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("--max-disk"), std::string::npos) << r.err;
  std::string cfg = FreshDir("pw_durable_cfg") + ".yaml";
  std::ofstream(cfg) << "storage:\n  wal_fsync: sometimes\n";
  r = RunPerfwatch({"--config", cfg});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("storage.wal_fsync (line 2)"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace perfwatch::e2e
