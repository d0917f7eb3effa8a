#pragma once
// A real ApiServer on 127.0.0.1 with an ephemeral port, over a real MemStore,
// for the socket tests.

#include <gtest/gtest.h>

#include <memory>

#include "api/api_server.h"
#include "store/mem_store.h"

namespace perfwatch::apitest {

class ServerTest : public ::testing::Test {
 protected:
  ServerTest() { options_.port = 0; }

  void StartServer() {
    server_ = std::make_unique<ApiServer>(registry_, store_, options_);
    Status st = server_->Start();
    ASSERT_TRUE(st.ok()) << st.ToString();
    port_ = server_->port();
    ASSERT_NE(port_, 0);
  }

  // A tick of `n` cpu samples plus memory and network ones.
  std::shared_ptr<const Tick> MakeTick(TimestampMs t, int cpus = 2) {
    auto tick = std::make_shared<Tick>(registry_, t);
    tick->Describe({"system_cpu_usage_percent", MetricKind::kGauge, "CPU busy.", "percent"});
    for (int i = 0; i < cpus; ++i) {
      EXPECT_TRUE(
          tick->Append("system_cpu_usage_percent", {{"cpu", std::to_string(i)}}, 10.0 * i).ok());
    }
    EXPECT_TRUE(tick->Append("system_memory_used_percent", {}, 42.5).ok());
    EXPECT_TRUE(tick->Append("net_received_bytes_total", {{"device", "eth0"}}, 1234).ok());
    return tick;
  }

  SeriesRegistry registry_;
  MemStore store_;
  ApiOptions options_;
  std::unique_ptr<ApiServer> server_;
  uint16_t port_ = 0;
};

}  // namespace perfwatch::apitest
