// The write-ahead log across process deaths: a child process writes the log
// and is killed with SIGKILL, runs out of file size, or out of address
// space; the parent replays what is on disk.

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <bit>
#include <cerrno>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "run_child.h"
#include "store/wal.h"
#include "store/wal_format.h"

namespace perfwatch {
namespace {

namespace fs = std::filesystem;
using Samples = std::vector<std::pair<SeriesId, double>>;

constexpr TimestampMs kStart = 1'700'000'000'000;
constexpr size_t kSeries = 170;  // one tick of this host's collectors

double ValueOf(uint32_t tick, size_t series) {
  return series % 4 == 0 ? 1.0 : tick * 0.25 + static_cast<double>(series);
}

// Checks that the log holds ticks 0, 1, 2, ... in order, each complete and
// exact; returns how many.
class PrefixChecker : public WalVisitor {
 public:
  void OnSeries(SeriesId id, const SeriesKey& key) override {
    if (id >= series_of_.size()) series_of_.resize(id + 1);
    series_of_[id] = std::stoul(std::string(key.labels.Get("n")));
  }
  void OnTick(TimestampMs t, std::span<const std::pair<SeriesId, double>> samples) override {
    EXPECT_EQ(t, kStart + static_cast<TimestampMs>(ticks) * 1000) << "a gap or a reordering";
    EXPECT_EQ(samples.size(), kSeries) << "tick " << ticks;
    for (size_t k = 0; k < samples.size() && k < kSeries; ++k) {
      EXPECT_EQ(series_of_[samples[k].first], k);
      EXPECT_EQ(std::bit_cast<uint64_t>(samples[k].second),
                std::bit_cast<uint64_t>(ValueOf(ticks, k)));
    }
    ++ticks;
  }
  uint32_t ticks = 0;

 private:
  std::vector<size_t> series_of_;  // replay id -> series index
};

class WalCrashTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = ::testing::TempDir() + "wal_crash_" +
           ::testing::UnitTest::GetInstance()->current_test_info()->name() + "_" +
           std::to_string(::getpid());
    fs::remove_all(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  // Child side: appends ticks first, first+1, ... and writes each one's number
  // to `ack_fd` once AppendTick has returned OK, until killed; returns an exit
  // code on failure.
  static int AppendForever(const WalOptions& options, uint32_t first, int ack_fd) {
    SeriesRegistry registry;
    std::vector<SeriesId> ids;
    for (size_t k = 0; k < kSeries; ++k) {
      ids.push_back(*registry.Intern("m", Labels{{"n", std::to_string(k)}}));
    }
    Result<std::unique_ptr<Wal>> wal = Wal::Open(options, registry);
    if (!wal.ok()) return 2;
    Samples samples(kSeries);
    for (uint32_t i = first;; ++i) {
      for (size_t k = 0; k < kSeries; ++k) samples[k] = {ids[k], ValueOf(i, k)};
      if (!(*wal)->AppendTick(kStart + static_cast<TimestampMs>(i) * 1000, samples).ok()) {
        return 3;
      }
      if (::write(ack_fd, &i, sizeof(i)) != sizeof(i)) return 4;
    }
  }

  std::string dir_;
};

TEST_F(WalCrashTest, KillNineAtRandomMomentsLosesNoAcknowledgedTickAndLeavesACleanPrefix) {
  std::mt19937 rng(20240611);
  uint32_t on_disk = 0;
  for (int round = 0; round < 20; ++round) {
    SCOPED_TRACE("round " + std::to_string(round));
    WalOptions options;
    options.dir = dir_;
    options.segment_bytes = 64 << 10;  // rotations happen under the kill too
    // Acknowledged means written: kill -9 loses none of it under any policy.
    options.sync.mode = round % 2 ? WalSync::Mode::kAlways : WalSync::Mode::kOff;
    int fds[2];
    ASSERT_EQ(::pipe(fds), 0);
    const pid_t child = ::fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
      ::close(fds[0]);
      RunChild([&] { return AppendForever(options, on_disk, fds[1]); });
    }
    ::close(fds[1]);
    const uint32_t wait_for = 1 + rng() % 100;
    uint32_t acked = 0, last = 0;
    while (acked < wait_for && ::read(fds[0], &last, sizeof(last)) == sizeof(last)) ++acked;
    std::this_thread::sleep_for(std::chrono::microseconds(rng() % 3000));
    ::kill(child, SIGKILL);
    int status = 0;
    ASSERT_EQ(::waitpid(child, &status, 0), child);
    ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL)
        << "the child failed before the kill, status " << status;
    while (::read(fds[0], &last, sizeof(last)) == sizeof(last)) ++acked;
    ::close(fds[0]);
    ASSERT_GT(acked, 0u);

    PrefixChecker checker;
    Result<ReplayStats> stats = Wal::Replay(dir_, checker);
    ASSERT_TRUE(stats.ok()) << stats.status().ToString();
    EXPECT_GE(checker.ticks, last + 1) << "an acknowledged tick is missing";
    for (const WalDamage& d : stats->damage) {
      // Only a write torn by the kill, in the newest segment, and cut away.
      EXPECT_TRUE(d.truncated) << d.ToString();
      EXPECT_EQ(d.segment, stats->damage.back().segment);
    }
    // The cut log reads cleanly and the same.
    PrefixChecker again;
    Result<ReplayStats> second = Wal::Replay(dir_, again);
    ASSERT_TRUE(second.ok());
    EXPECT_TRUE(second->damage.empty());
    EXPECT_EQ(again.ticks, checker.ticks);
    on_disk = checker.ticks;
    if (HasFailure()) return;
  }
}

TEST_F(WalCrashTest, AFailedWriteIsCutAndTheLogGoesOnInANewSegment) {
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0)
    RunChild([&] {
      ::close(fds[0]);
      // Files may not grow past 40 000 bytes: like a full disk, a write fails
      // part-way through a record.
      ::signal(SIGXFSZ, SIG_IGN);
      const rlimit limit{40'000, 40'000};
      if (::setrlimit(RLIMIT_FSIZE, &limit) != 0) return 5;
      SeriesRegistry registry;
      Samples samples;
      for (size_t k = 0; k < kSeries; ++k) {
        samples.emplace_back(*registry.Intern("m", Labels{{"n", std::to_string(k)}}), 0);
      }
      WalOptions options;
      options.dir = dir_;
      options.sync.mode = WalSync::Mode::kAlways;
      Result<std::unique_ptr<Wal>> wal = Wal::Open(options, registry);
      if (!wal.ok()) return 2;
      int failures = 0;
      for (uint32_t i = 0; i < 200;) {
        for (size_t k = 0; k < kSeries; ++k) samples[k].second = ValueOf(i, k);
        if (!(*wal)->AppendTick(kStart + static_cast<TimestampMs>(i) * 1000, samples).ok()) {
          ++failures;  // the caller retries the same tick, as the store will
          if (failures > 100) return 6;
          continue;
        }
        if (::write(fds[1], &i, sizeof(i)) != sizeof(i)) return 4;
        ++i;
      }
      return failures > 0 && (*wal)->Stats().errors == static_cast<uint64_t>(failures) ? 0 : 7;
    });
  ::close(fds[1]);
  uint32_t acked = 0, last = 0;
  while (::read(fds[0], &last, sizeof(last)) == sizeof(last)) ++acked;
  ::close(fds[0]);
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFEXITED(status)) << status;
  ASSERT_EQ(WEXITSTATUS(status), 0);
  ASSERT_EQ(acked, 200u);

  PrefixChecker checker;
  Result<ReplayStats> stats = Wal::Replay(dir_, checker);
  ASSERT_TRUE(stats.ok());
  EXPECT_EQ(checker.ticks, 200u);
  EXPECT_GT(stats->segments, 1u);
  for (const WalDamage& d : stats->damage) ADD_FAILURE() << d.ToString();
}

// VmSize of this process, from /proc/self/statm.
uint64_t AddressSpaceBytes() {
  std::ifstream statm("/proc/self/statm");
  uint64_t pages = 0;
  statm >> pages;
  return pages * static_cast<uint64_t>(::sysconf(_SC_PAGESIZE));
}

TEST_F(WalCrashTest, GarbageLengthsNeverBecomeAllocations) {
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
  GTEST_SKIP() << "sanitizers reserve address space beyond any limit we could set";
#endif
  fs::create_directories(dir_);
  std::string segment;
  wal::AppendSegmentHeader(segment, 1);
  // Length just under the limit, in a file of a few bytes; its CRC is junk.
  segment += std::string("\x12\x34\x56\x78", 4) + std::string("\xf0\xff\xff\x03", 4) + '\x02';
  segment += "junk";
  std::ofstream(dir_ + "/" + wal::SegmentFileName(1), std::ios::binary) << segment;

  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0)
    RunChild([&] {
      // 32 MiB more address space than now: a 64 MiB buffer cannot be had.
      const rlim_t cap = AddressSpaceBytes() + (32u << 20);
      const rlimit limit{cap, cap};
      if (::setrlimit(RLIMIT_AS, &limit) != 0) return 5;
      PrefixChecker checker;
      Result<ReplayStats> stats = Wal::Replay(dir_, checker);
      const bool ok = stats.ok() && stats->damage.size() == 1 &&
                      stats->damage[0].reason.starts_with("torn record");
      return ok ? 0 : 1;
    });
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "status " << status;
}

}  // namespace
}  // namespace perfwatch
