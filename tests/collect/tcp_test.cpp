#include "collect/tcp.h"

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "test_support.h"

namespace perfwatch {
namespace {

using testing::FixtureHost;
using testing::ReadFixture;
using testing::RecordingAppender;

TEST(TcpStates, CountsTheStateColumnOfIpv4AndIpv6Tables) {
  TcpStateCounts counts{};
  ASSERT_TRUE(CountTcpStates(ReadFixture("tick1/proc/net/tcp"), counts).ok());
  EXPECT_EQ(counts[0], 6u);  // established
  EXPECT_EQ(counts[5], 9u);  // time_wait
  EXPECT_EQ(counts[9], 2u);  // listen
  ASSERT_TRUE(CountTcpStates(ReadFixture("tick1/proc/net/tcp6"), counts).ok());
  EXPECT_EQ(counts[0], 10u);
  EXPECT_EQ(counts[5], 13u);
  EXPECT_EQ(counts[9], 3u);
}

TEST(TcpStates, CountsNewSynRecvAsSynRecv) {
  TcpStateCounts counts{};
  ASSERT_TRUE(CountTcpStates(ReadFixture("old_kernel/proc/net/tcp"), counts).ok());
  EXPECT_EQ(counts[2], 1u);  // syn_recv
  EXPECT_EQ(counts[9], 1u);
  EXPECT_EQ(counts[0], 1u);
}

TEST(TcpStates, RejectsANonHexStateNamingTheLine) {
  TcpStateCounts counts{};
  Status s = CountTcpStates(ReadFixture("garbage/proc/net/tcp"), counts);
  EXPECT_EQ(s.code(), Status::Code::kInvalidArgument);
  EXPECT_NE(s.message().find("line 3"), std::string::npos) << s.message();
}

TEST(TcpCollector, SumsIpv4AndIpv6AndEmitsEveryState) {
  TcpCollector c(FixtureHost("tick1"));
  RecordingAppender out;
  ASSERT_TRUE(c.Collect(out).ok());
  EXPECT_EQ(out.Count("system_tcp_connections"), 11u);
  EXPECT_EQ(*out.Get("system_tcp_connections", R"({state="established"})"), 10);
  EXPECT_EQ(*out.Get("system_tcp_connections", R"({state="time_wait"})"), 13);
  EXPECT_EQ(*out.Get("system_tcp_connections", R"({state="listen"})"), 3);
  EXPECT_EQ(*out.Get("system_tcp_connections", R"({state="closing"})"), 0);
}

TEST(TcpCollector, WorksWithoutIpv6) {
  TcpCollector c(FixtureHost("old_kernel"));  // no net/tcp6
  RecordingAppender out;
  ASSERT_TRUE(c.Collect(out).ok());
  EXPECT_EQ(*out.Get("system_tcp_connections", R"({state="listen"})"), 1);
}

TEST(TcpCollector, MissingIpv4TableIsUnavailable) {
  TcpCollector c(FixtureHost("comm_spaces"));
  RecordingAppender out;
  Status s = c.Collect(out);
  EXPECT_EQ(s.code(), Status::Code::kUnavailable);
  EXPECT_NE(s.message().find("comm_spaces/proc/net/tcp"), std::string::npos);
}

TEST(TcpStatesNetlink, SeesAListeningSocketOfThisProcess) {
  int fd = ::socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(::listen(fd, 1), 0);  // binds an ephemeral port
  TcpStateCounts counts{};
  Status s = CountTcpStatesNetlink(counts);
  ::close(fd);
  if (s.code() == Status::Code::kUnavailable) GTEST_SKIP() << s.ToString();
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_GE(counts[9], 1u);
}

TEST(TcpCollector, FallsBackToProcFilesWhenNetlinkIsRefusedOrWorksLive) {
  TcpCollector c(HostPaths{}, TcpSource::kNetlink);
  RecordingAppender out;
  ASSERT_TRUE(c.Collect(out).ok());
  EXPECT_EQ(out.Count("system_tcp_connections"), 11u);
}

}  // namespace
}  // namespace perfwatch
