// The durable store across process deaths: a child process commits ticks
// with 1-minute block windows, so a window is sealed into SQLite every 60
// ticks and most of its time goes to block writes, retention and WAL
// rotation; it is killed with SIGKILL at random moments. After each kill the
// parent opens the directory as the next start would, and checks that every
// acknowledged tick is there exactly once with its exact values, that the
// SQLite file passes PRAGMA integrity_check, and that the history is a clean
// prefix the next child continues.

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <bit>
#include <chrono>
#include <filesystem>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "run_child.h"
#include "store/block_store.h"
#include "store/durable_store.h"

namespace perfwatch {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

constexpr int kSeries = 20;
constexpr int64_t kMinuteMs = 60'000;

double ValueOf(uint32_t tick, int series) {
  return series % 5 == 0 ? 1.0 : tick * 0.5 + series + (tick % 7) * 1e-3;
}

class DurableCrashTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = ::testing::TempDir() + "durable_crash_" + std::to_string(::getpid());
    fs::remove_all(dir_);
    const TimestampMs now = std::chrono::duration_cast<std::chrono::milliseconds>(
                                std::chrono::system_clock::now().time_since_epoch())
                                .count();
    // A day ago, on a day boundary: the hour tier's block starts there too.
    start_ = (now - 86'400'000) / 86'400'000 * 86'400'000;
  }
  void TearDown() override {
    if (!HasFailure()) fs::remove_all(dir_);
  }

  DurableStoreOptions Options(bool always) const {
    DurableStoreOptions o;
    o.data_dir = dir_;
    o.wal_sync.mode = always ? WalSync::Mode::kAlways : WalSync::Mode::kOff;
    o.blocks.window_ms = kMinuteMs;
    o.head.retention_ms = 2 * kMinuteMs;
    o.head.max_points_per_query = size_t{1} << 26;
    return o;
  }

  // Child: commits ticks first, first + 1, ... and writes each number to
  // `ack_fd` once Commit returned OK. After the tick that closes a window it
  // waits for the seal, as a real second-paced collector would.
  int CommitForever(bool always, uint32_t first, int ack_fd) const {
    SeriesRegistry registry;
    Result<std::unique_ptr<DurableStore>> store = DurableStore::Open(registry, Options(always));
    if (!store.ok()) return 2;
    for (uint32_t i = first;; ++i) {
      const TimestampMs t = start_ + static_cast<TimestampMs>(i) * 1000;
      Tick tick(registry, t);
      for (int k = 0; k < kSeries; ++k) {
        if (!tick.Append("m", Labels{{"n", std::to_string(k)}}, ValueOf(i, k)).ok()) return 5;
      }
      if (!(*store)->Commit(tick).ok()) return 3;
      if (::write(ack_fd, &i, sizeof(i)) != sizeof(i)) return 4;
      if (t % kMinuteMs == 0) {
        const TimestampMs window_start = t - kMinuteMs;
        for (int w = 0; w < 5000 && (*store)->Storage().sealed_until < t && window_start >= start_;
             ++w) {
          std::this_thread::sleep_for(200us);
        }
      }
    }
  }

  // Parent: opens the directory like the next start, and returns how many
  // ticks from 0 are stored, each once and exact (failing the test at the
  // first that is not).
  uint32_t CheckPrefix() const {
    SeriesRegistry registry;
    Result<std::unique_ptr<DurableStore>> store = DurableStore::Open(registry, Options(false));
    EXPECT_TRUE(store.ok()) << store.status().ToString();
    if (!store.ok()) return 0;
    uint32_t complete = UINT32_MAX;
    for (int k = 0; k < kSeries; ++k) {
      Result<SeriesId> id = registry.Intern("m", Labels{{"n", std::to_string(k)}});
      EXPECT_TRUE(id.ok());
      Result<std::vector<SeriesPoints>> r =
          (*store)->Query({*id}, {start_, start_ + 86'400'000, 0, Aggregation::kLast});
      EXPECT_TRUE(r.ok()) << r.status().ToString();
      if (!r.ok()) return 0;
      uint32_t n = 0;
      if (!r->empty()) {
        for (const Sample& s : (*r)[0].points) {
          EXPECT_EQ(s.t_ms, start_ + static_cast<TimestampMs>(n) * 1000)
              << "series " << k << ": a gap or a duplicate after tick " << n;
          EXPECT_EQ(std::bit_cast<uint64_t>(s.value), std::bit_cast<uint64_t>(ValueOf(n, k)))
              << "series " << k << " tick " << n;
          if (::testing::Test::HasFailure()) return 0;
          ++n;
        }
      }
      complete = std::min(complete, n);
    }
    return complete;
  }

  std::string dir_;
  TimestampMs start_ = 0;
};

TEST_F(DurableCrashTest, KillNineWhileSealingLosesNoAcknowledgedTickAndNeverCorruptsTheFile) {
  std::mt19937 rng(20261121);
  uint32_t stored = 0;
  int killed_mid_run = 0;
  for (int round = 0; round < 20; ++round) {
    SCOPED_TRACE("round " + std::to_string(round));
    const bool always = round % 2 == 1;
    int fds[2];
    ASSERT_EQ(::pipe(fds), 0);
    const pid_t child = ::fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
      ::close(fds[0]);
      RunChild([&] { return CommitForever(always, stored, fds[1]); });
    }
    ::close(fds[1]);
    // Wait for a random number of acknowledged ticks (up to five windows),
    // then a random few milliseconds more, then kill.
    const uint32_t wait_for = 1 + rng() % 300;
    uint32_t acked = 0, last = 0;
    while (acked < wait_for && ::read(fds[0], &last, sizeof(last)) == sizeof(last)) ++acked;
    std::this_thread::sleep_for(std::chrono::microseconds(rng() % 20'000));
    ::kill(child, SIGKILL);
    int status = 0;
    ASSERT_EQ(::waitpid(child, &status, 0), child);
    ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL)
        << "the child failed before the kill, status " << status;
    while (::read(fds[0], &last, sizeof(last)) == sizeof(last)) ++acked;
    ::close(fds[0]);
    ASSERT_GT(acked, 0u);
    killed_mid_run += acked > 60;

    const uint32_t now_stored = CheckPrefix();
    ASSERT_FALSE(HasFailure());
    EXPECT_GE(now_stored, last + 1) << "an acknowledged tick is missing";
    Result<std::unique_ptr<BlockStore>> db = BlockStore::Open(dir_ + "/perfwatch.db");
    ASSERT_TRUE(db.ok()) << db.status().ToString();
    EXPECT_TRUE((*db)->CheckIntegrity().ok()) << (*db)->CheckIntegrity().ToString();
    stored = now_stored;
    if (HasFailure()) return;
  }
  // Most rounds ran through at least one seal before their kill.
  EXPECT_GE(killed_mid_run, 10);
  // And the history went through many windows into SQLite.
  Result<std::unique_ptr<BlockStore>> db = BlockStore::Open(dir_ + "/perfwatch.db");
  ASSERT_TRUE(db.ok());
  EXPECT_GE((*db)->Usage(Tier::kRaw)->blocks, static_cast<uint64_t>(kSeries) * 10);
}

}  // namespace
}  // namespace perfwatch
