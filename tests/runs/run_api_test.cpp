// GET /api/v1/runs and /api/v1/runs/{id} from a real perfwatch serving the
// data directory that `perfwatch run` records into, and `perfwatch runs
// --url` against it.

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "harness.h"
#include "run_process.h"

namespace perfwatch {
namespace {

using runs_test::Outcome;
using runs_test::Perfwatch;

TEST(RunRoutes, ServeRunsRecordedBeforeAndWhileThisPerfwatchRuns) {
  const std::string dir = runs_test::TestDir("api");
  // Recorded first: the run creates perfwatch.db, which the server must accept.
  ASSERT_EQ(Perfwatch({"run", "--name", "before", "--data-dir", dir, "--", RUN_CHILD_BINARY,
                       "--sleep-ms", "250"})
                .exit_code,
            0);
  e2e::PerfwatchProcess server({"--data-dir", dir, "--interval", "1s"});
  ASSERT_TRUE(server.started()) << server.log();
  Outcome during = Perfwatch({"run", "--name", "during", "--data-dir", dir, "--", RUN_CHILD_BINARY,
                              "--mb", "8", "--sleep-ms", "300"});
  ASSERT_EQ(during.exit_code, 0) << during.err;

  e2e::HttpResult list = e2e::HttpGet(server.port(), "/api/v1/runs");
  ASSERT_EQ(list.status, 200) << list.body;
  auto j = nlohmann::json::parse(list.body);
  ASSERT_EQ(j["runs"].size(), 2u) << list.body;
  EXPECT_EQ(j["runs"][0]["name"], "during");
  EXPECT_EQ(j["runs"][1]["name"], "before");
  EXPECT_FALSE(j["runs"][0].contains("timeline"));
  const int64_t id = j["runs"][0]["id"];

  e2e::HttpResult named = e2e::HttpGet(server.port(), "/api/v1/runs?name=before&limit=5");
  ASSERT_EQ(named.status, 200);
  EXPECT_EQ(nlohmann::json::parse(named.body)["runs"].size(), 1u);

  e2e::HttpResult one = e2e::HttpGet(server.port(), "/api/v1/runs/" + std::to_string(id));
  ASSERT_EQ(one.status, 200) << one.body;
  auto run = nlohmann::json::parse(one.body);
  EXPECT_EQ(run["status"], "ok");
  EXPECT_GE(run["timeline"]["t_ms"].size(), 2u);
  EXPECT_GE(run["peak_rss_bytes"].get<double>(), 8.0 * (1 << 20));
  EXPECT_TRUE(run["app_points"].is_array());

  e2e::HttpResult brief =
      e2e::HttpGet(server.port(), "/api/v1/runs/" + std::to_string(id) + "?timeline=false");
  ASSERT_EQ(brief.status, 200);
  EXPECT_FALSE(nlohmann::json::parse(brief.body).contains("timeline"));

  EXPECT_EQ(e2e::HttpGet(server.port(), "/api/v1/runs/999").status, 404);
  e2e::HttpResult bad = e2e::HttpGet(server.port(), "/api/v1/runs/abc");
  EXPECT_EQ(bad.status, 400);
  EXPECT_NE(bad.body.find("invalid run id"), std::string::npos) << bad.body;
  EXPECT_EQ(e2e::HttpGet(server.port(), "/api/v1/runs?limit=0").status, 400);

  // The same runs through `perfwatch runs --url`.
  const std::string url = "http://127.0.0.1:" + std::to_string(server.port());
  Outcome remote_list = Perfwatch({"runs", "--url", url});
  ASSERT_EQ(remote_list.exit_code, 0) << remote_list.err;
  EXPECT_NE(remote_list.out.find("during"), std::string::npos) << remote_list.out;
  Outcome remote_compare = Perfwatch({"runs", "compare", "1", "2", "--url", url});
  ASSERT_EQ(remote_compare.exit_code, 0) << remote_compare.err;
  EXPECT_NE(remote_compare.out.find("peak RSS"), std::string::npos) << remote_compare.out;
  Outcome remote_missing = Perfwatch({"runs", "show", "999", "--url", url});
  EXPECT_EQ(remote_missing.exit_code, 1);
  EXPECT_NE(remote_missing.err.find("no run with id 999"), std::string::npos);

  EXPECT_EQ(server.Terminate(), 0);
}

}  // namespace
}  // namespace perfwatch
