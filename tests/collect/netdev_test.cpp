#include "collect/netdev.h"

#include <gtest/gtest.h>

#include "test_support.h"

namespace perfwatch {
namespace {

using testing::FixtureHost;
using testing::ReadFixture;
using testing::RecordingAppender;

TEST(NetDev, ParsesEveryInterfaceOfARealSnapshot) {
  std::string text = ReadFixture("tick1/proc/net/dev");  // the result points into it
  Result<std::vector<NetDevStats>> devs = ParseNetDev(text);
  ASSERT_TRUE(devs.ok()) << devs.status().ToString();
  ASSERT_EQ(devs->size(), 4u);
  EXPECT_EQ((*devs)[0].interface, "lo");
  EXPECT_EQ((*devs)[3].interface, "eth0");
  EXPECT_EQ((*devs)[3].receive_bytes, 45525416u);
  EXPECT_EQ((*devs)[3].receive_packets, 984u);
  EXPECT_EQ((*devs)[3].transmit_bytes, 47332u);
  EXPECT_EQ((*devs)[3].transmit_packets, 592u);
}

TEST(NetDev, ParsesOldKernelsWithoutASpaceAfterTheColon) {
  std::string text = ReadFixture("old_kernel/proc/net/dev");  // the result points into it
  Result<std::vector<NetDevStats>> devs = ParseNetDev(text);
  ASSERT_TRUE(devs.ok()) << devs.status().ToString();
  ASSERT_EQ(devs->size(), 1u);
  EXPECT_EQ((*devs)[0].interface, "eth0");
  EXPECT_EQ((*devs)[0].receive_bytes, 1234567890u);
  EXPECT_EQ((*devs)[0].receive_errors, 1u);
  EXPECT_EQ((*devs)[0].receive_drops, 2u);
  EXPECT_EQ((*devs)[0].transmit_bytes, 987654321u);
  EXPECT_EQ((*devs)[0].transmit_errors, 3u);
  EXPECT_EQ((*devs)[0].transmit_drops, 4u);
}

TEST(NetDev, RejectsAShortLineNamingIt) {
  std::string text = ReadFixture("garbage/proc/net/dev");  // the result points into it
  Result<std::vector<NetDevStats>> devs = ParseNetDev(text);
  ASSERT_FALSE(devs.ok());
  EXPECT_NE(devs.status().message().find("line 4: expected 16 counters"), std::string::npos)
      << devs.status().message();
}

TEST(NetdevCollector, ReportsEightCountersPerInterface) {
  NetdevCollector c(FixtureHost("tick1"));
  RecordingAppender out;
  ASSERT_TRUE(c.Collect(out).ok());
  EXPECT_EQ(*out.Get("system_network_receive_bytes_total", R"({interface="lo"})"), 31213367);
  EXPECT_EQ(*out.Get("system_network_transmit_bytes_total", R"({interface="eth0"})"), 47332);
  EXPECT_EQ(*out.Get("system_network_receive_packets_total", R"({interface="eth0"})"), 984);
  EXPECT_EQ(*out.Get("system_network_transmit_packets_total", R"({interface="lo"})"), 1560);
  EXPECT_EQ(*out.Get("system_network_receive_errors_total", R"({interface="ifb0"})"), 0);
  EXPECT_EQ(out.samples.size(), 4u * 8);
  EXPECT_EQ(out.metas.size(), 8u);
}

TEST(NetdevCollector, MissingFileIsUnavailable) {
  NetdevCollector c(FixtureHost("comm_spaces"));
  RecordingAppender out;
  EXPECT_EQ(c.Collect(out).code(), Status::Code::kUnavailable);
}

}  // namespace
}  // namespace perfwatch
