#include "collect/process_tree.h"

#include <gtest/gtest.h>
#include <spawn.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

extern char** environ;

namespace perfwatch {
namespace {

namespace fs = std::filesystem;

// A shell script as the root of a tree, in a process group of its own so the
// test can kill the whole tree; killed and reaped by the destructor.
class ShellTree {
 public:
  explicit ShellTree(const std::string& script) {
    posix_spawnattr_t attr;
    posix_spawnattr_init(&attr);
    posix_spawnattr_setpgroup(&attr, 0);
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP);
    const char* argv[] = {"sh", "-c", script.c_str(), nullptr};
    EXPECT_EQ(::posix_spawnp(&pid_, "sh", nullptr, &attr, const_cast<char**>(argv), environ), 0);
    posix_spawnattr_destroy(&attr);
  }
  ~ShellTree() {
    ::kill(-pid_, SIGKILL);
    Reap();
    // Orphans reparented to this process (a sub-reaper in some tests).
    while (::waitpid(-1, nullptr, WNOHANG) > 0) {
    }
  }
  pid_t pid() const { return pid_; }
  void Reap() {
    if (!reaped_) ::waitpid(pid_, nullptr, 0);
    reaped_ = true;
  }
  // Blocks until the root has exited, leaving it a zombie.
  void WaitUntilZombie() {
    siginfo_t info{};
    ::waitid(P_PID, pid_, &info, WEXITED | WNOWAIT);
  }

 private:
  pid_t pid_ = 0;
  bool reaped_ = false;
};

void Pause() { std::this_thread::sleep_for(std::chrono::milliseconds(10)); }

// Samples until `done` holds for a sample or the root is gone; the last one.
template <typename Pred>
TreeSample SampleUntil(ProcessTree& tree, Pred done) {
  for (;;) {
    TreeSample s = tree.Sample();
    if (done(s) || !s.root_alive) return s;
    Pause();
  }
}

std::string TempDir(const std::string& name) {
  std::string dir =
      "/tmp/perfwatch-spawn-test/tree_test-" + name + "-" + std::to_string(::getpid());
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

// Descriptors this process has open now.
size_t OpenFds() {
  size_t n = 0;
  for (auto it = fs::directory_iterator("/proc/self/fd"); it != fs::directory_iterator(); ++it) {
    ++n;
  }
  return n;
}

TEST(ProcessTree, CountsTheRootAndItsDescendants) {
  ShellTree root("sleep 30 & (sleep 30 & sleep 30; :) & wait");
  ProcessTree tree(root.pid(), ::getpid());
  // sh, sleep, the subshell and its two sleeps.
  TreeSample s = SampleUntil(tree, [](const TreeSample& s) { return s.processes == 5; });
  EXPECT_TRUE(s.root_alive);
  EXPECT_EQ(s.processes, 5);
  EXPECT_GE(s.threads, 5);
  EXPECT_GT(s.rss_bytes, 5 * 4096);
}

TEST(ProcessTree, IgnoresProcessesOutsideTheTree) {
  ShellTree other("sleep 30");
  // Started in a later clock tick than `other`, which a child of this
  // process must be to pass for an orphan of the tree (see the header).
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  ShellTree root("sleep 30");
  ProcessTree tree(root.pid(), ::getpid());
  // dash forks the sleep: sh and sleep, not the other pair.
  TreeSample first = SampleUntil(tree, [](const TreeSample& s) { return s.processes >= 2; });
  Pause();
  TreeSample again = tree.Sample();
  EXPECT_TRUE(again.root_alive);
  EXPECT_EQ(first.processes, 2);
  EXPECT_EQ(again.processes, 2);
}

// What was listed before the root's spawn is never read nor counted, even a
// child of this process started in the root's clock tick.
TEST(ProcessTree, ExcludedProcessesAreLeftOut) {
  ShellTree other("sleep 30");
  ProcessTree other_tree(other.pid(), ::getpid());
  SampleUntil(other_tree, [](const TreeSample& s) { return s.processes >= 2; });
  std::vector<ListedPid> before = ProcessTree::ListNow();
  bool listed_other = false;
  for (const ListedPid& p : before) {
    listed_other |= p.pid == other.pid();
  }
  EXPECT_TRUE(listed_other);
  ShellTree root("sleep 30");
  ProcessTree tree(root.pid(), ::getpid());
  tree.Exclude(before);
  TreeSample s = SampleUntil(tree, [](const TreeSample& s) { return s.processes >= 2; });
  Pause();
  s = tree.Sample();
  EXPECT_TRUE(s.root_alive);
  EXPECT_EQ(s.processes, 2);
}

TEST(ProcessTree, ListNowGivesTheDirectoryInodes) {
  std::vector<ListedPid> listed = ProcessTree::ListNow();
  struct stat st {};
  ASSERT_EQ(::stat(("/proc/" + std::to_string(::getpid())).c_str(), &st), 0);
  bool found = false;
  for (const ListedPid& p : listed) {
    if (p.pid == ::getpid()) {
      found = true;
      EXPECT_EQ(p.inode, st.st_ino);
    }
  }
  EXPECT_TRUE(found);
  EXPECT_TRUE(ProcessTree::ListNow("/tmp/perfwatch-spawn-test/no/such/procfs").empty());
}

TEST(ProcessTree, CpuIsCumulativeAfterChildrenExit) {
  std::string dir = TempDir("cpu");
  ShellTree root("sh -c 'i=0; while [ $i -lt 300000 ]; do i=$((i+1)); done'; : > " + dir +
                 "/done; exec sleep 30");
  ProcessTree tree(root.pid(), ::getpid());
  std::vector<TreeSample> samples;
  while (!fs::exists(dir + "/done")) {
    samples.push_back(tree.Sample());
    ASSERT_TRUE(samples.back().root_alive);
    Pause();
  }
  samples.push_back(tree.Sample());  // the busy child is gone: reaped by the root
  ASSERT_GE(samples.size(), 2u);
  bool saw_child = false;
  double most_with_child = 0;
  for (size_t i = 0; i < samples.size(); ++i) {
    if (i > 0) {
      EXPECT_GE(samples[i].cpu_seconds, samples[i - 1].cpu_seconds) << i;
    }
    EXPECT_GE(samples[i].cpu_percent, 0);
    if (samples[i].processes == 2) {
      saw_child = true;
      most_with_child = std::max(most_with_child, samples[i].cpu_seconds);
    }
  }
  EXPECT_TRUE(saw_child);
  const TreeSample& last = samples.back();
  EXPECT_EQ(last.processes, 1);
  EXPECT_TRUE(last.root_alive);
  // Its CPU stays, now in the root's cutime: at least what was seen while it
  // ran, and a busy loop's worth.
  EXPECT_GE(last.cpu_seconds, most_with_child);
  EXPECT_GT(last.cpu_seconds, 0.05);
  fs::remove_all(dir);
}

TEST(ProcessTree, ReapedCpuIsAdded) {
  ShellTree root("sleep 30");
  ProcessTree tree(root.pid(), ::getpid());
  TreeSample before = tree.Sample();
  tree.AddReapedCpu(1.5);
  TreeSample after = tree.Sample();
  EXPECT_NEAR(after.cpu_seconds - before.cpu_seconds, 1.5, 0.02);
}

TEST(ProcessTree, IoOfExitedMembersIsKept) {
  std::string dir = TempDir("io");
  ShellTree root("dd if=/dev/zero of=" + dir + "/out bs=1M count=5 conv=fsync 2>/dev/null; : > " +
                 dir + "/written; exec sleep 30");
  ProcessTree tree(root.pid(), ::getpid());
  TreeSample s = SampleUntil(tree, [&](const TreeSample&) { return fs::exists(dir + "/written"); });
  ASSERT_TRUE(s.root_alive);
  s = tree.Sample();  // dd is gone: reaped by sh, whose io now holds it
  const uint64_t five_mib = 5u << 20;
  EXPECT_GE(s.write_chars, five_mib);
  EXPECT_LT(s.write_chars, 2 * five_mib);  // counted once, not per reaper
  EXPECT_GE(s.write_bytes, five_mib);      // conv=fsync: it reached storage
  EXPECT_LT(s.write_bytes, 2 * five_mib);
  EXPECT_GT(s.read_chars, 0u);  // sh and dd read their executables' headers
  // The root itself goes: its last figures stay.
  ::kill(root.pid(), SIGKILL);
  root.Reap();
  TreeSample gone = tree.Sample();
  EXPECT_FALSE(gone.root_alive);
  EXPECT_EQ(gone.processes, 0);
  EXPECT_GE(gone.write_chars, s.write_chars);
  EXPECT_LT(gone.write_chars, 2 * five_mib);
  EXPECT_GE(gone.write_bytes, s.write_bytes);
  EXPECT_GE(gone.cpu_seconds, s.cpu_seconds);
  fs::remove_all(dir);
}

// With perfwatch a sub-reaper, an orphan of the tree is reparented to it and
// stays a member, before and after the root is reaped.
TEST(ProcessTree, OrphansReparentedToSelfStayMembers) {
  ASSERT_EQ(::prctl(PR_SET_CHILD_SUBREAPER, 1), 0);
  ShellTree root("sleep 30 & exit 0");
  ProcessTree tree(root.pid(), ::getpid());
  root.WaitUntilZombie();
  TreeSample zombie_root = tree.Sample();
  EXPECT_FALSE(zombie_root.root_alive);
  EXPECT_EQ(zombie_root.processes, 1);  // the sleep; a zombie does not count
  root.Reap();
  TreeSample reaped_root = tree.Sample();
  EXPECT_FALSE(reaped_root.root_alive);
  EXPECT_EQ(reaped_root.processes, 1);
  // Another child of this process, started after the root, would be taken
  // for an orphan of the tree (see the header); one started before is not,
  // which IgnoresProcessesOutsideTheTree shows.
}

TEST(ProcessTree, GoneRootLeavesAnEmptyTree) {
  ShellTree root("exit 0");
  root.Reap();
  ProcessTree tree(root.pid(), ::getpid());
  TreeSample s = tree.Sample();
  EXPECT_FALSE(s.root_alive);
  EXPECT_EQ(s.processes, 0);
  EXPECT_EQ(s.rss_bytes, 0);
}

// A settled tree is sampled without listing /proc (loadavg says no process
// was created), yet a child started between two samples is found: its PID
// is the newest in loadavg, which the next sample compares.
TEST(ProcessTree, ListsProcOnlyWhenAProcessWasCreated) {
  std::string dir = TempDir("loadavg");
  ASSERT_EQ(::mkfifo((dir + "/go").c_str(), 0600), 0);
  // `read` is a builtin: the shell starts its sleep only once the test writes.
  ShellTree root("read x < " + dir + "/go; sleep 30 & wait");
  ProcessTree tree(root.pid(), ::getpid());
  TreeSample s = SampleUntil(tree, [](const TreeSample& s) { return s.processes == 1; });
  ASSERT_TRUE(s.root_alive);
  // Back to back, so even a busy host (which lists on every new PID) has
  // created no process between some of them.
  uint64_t listed = tree.listings();
  for (int i = 0; i < 50; ++i) s = tree.Sample();
  EXPECT_LT(tree.listings() - listed, 50u);
  EXPECT_EQ(s.processes, 1);
  std::ofstream(dir + "/go") << "go\n";
  s = SampleUntil(tree, [](const TreeSample& s) { return s.processes == 2; });
  EXPECT_TRUE(s.root_alive);
  EXPECT_EQ(s.processes, 2);
  EXPECT_GT(tree.listings(), listed);
  fs::remove_all(dir);
}

// The newest PID in loadavg need not be a listed process: a thread (which
// /proc lists not, but answers for) or a process already gone. Either
// settles after at most one more listing instead of listing on every sample.
TEST(ProcessTree, ListingSettlesWhenTheNewestPidIsAThreadOrGone) {
  ShellTree root("exec sleep 30");
  ProcessTree tree(root.pid(), ::getpid());
  SampleUntil(tree, [](const TreeSample& s) { return s.processes == 1; });
  std::atomic<bool> done{false};
  std::thread thread([&] {
    while (!done) Pause();
  });
  uint64_t listed = tree.listings();
  for (int i = 0; i < 50; ++i) tree.Sample();
  EXPECT_LT(tree.listings() - listed, 50u);
  done = true;
  thread.join();
  ShellTree gone("exit 0");
  gone.Reap();
  listed = tree.listings();
  TreeSample s;
  for (int i = 0; i < 50; ++i) s = tree.Sample();
  EXPECT_LT(tree.listings() - listed, 50u);
  EXPECT_EQ(s.processes, 1);
}

// Each live member's stat and io stay open between samples, and are closed
// when it is gone, so a tree whose children come and go holds two files per
// member (a zombie is one until reaped) and no more.
TEST(ProcessTree, KeptFilesFollowTheMembers) {
  const size_t fds_before = OpenFds();
  std::string dir = TempDir("kept");
  ShellTree root("for i in 1 2 3 4 5 6 7 8; do sleep 0.05; done; : > " + dir +
                 "/done; exec sleep 30");
  ProcessTree tree(root.pid(), ::getpid());
  bool saw_child = false;
  TreeSample s;
  while (!fs::exists(dir + "/done")) {
    s = tree.Sample();
    ASSERT_TRUE(s.root_alive);
    saw_child |= s.processes == 2;
    // sh and at most one sleep (alive, or a zombie until sh reaps it).
    EXPECT_LE(tree.kept_files(), 4u);
    Pause();
  }
  s = tree.Sample();
  s = tree.Sample();  // the second reads the root through its kept files
  EXPECT_TRUE(saw_child);
  EXPECT_EQ(s.processes, 1);
  EXPECT_EQ(tree.kept_files(), 2u);
  // Besides the kept files: the tree's /proc directory and loadavg.
  EXPECT_EQ(OpenFds(), fds_before + 2 + tree.kept_files());
  // The root goes: its files are closed.
  ::kill(root.pid(), SIGKILL);
  root.Reap();
  s = tree.Sample();
  EXPECT_FALSE(s.root_alive);
  EXPECT_EQ(tree.kept_files(), 0u);
  EXPECT_EQ(OpenFds(), fds_before + 2);
  fs::remove_all(dir);
}

// Past kMaxKeptMembers, members are read with open, read and close: every
// one is still counted.
TEST(ProcessTree, MembersBeyondTheCapAreReadWithoutKeepingFiles) {
  const int children = static_cast<int>(ProcessTree::kMaxKeptMembers) + 20;
  ShellTree root("i=0; while [ $i -lt " + std::to_string(children) +
                 " ]; do sleep 30 & i=$((i+1)); done; wait");
  ProcessTree tree(root.pid(), ::getpid());
  TreeSample s =
      SampleUntil(tree, [&](const TreeSample& s) { return s.processes == children + 1; });
  s = tree.Sample();
  EXPECT_EQ(s.processes, children + 1);
  EXPECT_EQ(tree.kept_files(), 2 * ProcessTree::kMaxKeptMembers);
}

TEST(ProcessTree, MissingProcfsGivesAnEmptySample) {
  ProcessTree tree(1, ::getpid(), "/tmp/perfwatch-spawn-test/no/such/procfs");
  TreeSample s = tree.Sample();
  EXPECT_FALSE(s.root_alive);
  EXPECT_EQ(s.processes, 0);
}

}  // namespace
}  // namespace perfwatch
