// `perfwatch run` and `perfwatch runs` end to end: the built binary records
// real commands into a real data directory.

#include <gtest/gtest.h>
#include <signal.h>

#include <algorithm>
#include <nlohmann/json.hpp>
#include <thread>

#include "run_process.h"
#include "runs/run_db.h"

namespace perfwatch {
namespace {

using runs_test::Outcome;
using runs_test::Perfwatch;
using runs_test::TestDir;

RunRecord Load(const std::string& dir, int64_t id) {
  RunDbOptions options;
  options.path = RunDb::PathIn(dir);
  options.create = false;
  Result<std::unique_ptr<RunDb>> db = RunDb::Open(options);
  EXPECT_TRUE(db.ok()) << db.status().ToString();
  if (!db.ok()) return {};
  Result<RunRecord> run = (*db)->Get(id);
  EXPECT_TRUE(run.ok()) << run.status().ToString();
  return run.ok() ? *run : RunRecord{};
}

// The newest run's id in `dir`.
int64_t Newest(const std::string& dir) {
  Outcome list = Perfwatch({"runs", "--data-dir", dir, "--json", "--limit", "1"});
  EXPECT_EQ(list.exit_code, 0) << list.err;
  auto j = nlohmann::json::parse(list.out, nullptr, false);
  if (!j.is_object() || j["runs"].empty()) return 0;
  return j["runs"][0]["id"].get<int64_t>();
}

TEST(RunCommand, RecordsTheTimelineMemoryAndCpuOfACommand) {
  const std::string dir = TestDir("cmd-memory");
  Outcome o = Perfwatch({"run", "--name", "ballast", "--data-dir", dir, "--", RUN_CHILD_BINARY,
                         "--mb", "64", "--cpu-ms", "300", "--sleep-ms", "700"});
  ASSERT_EQ(o.exit_code, 0) << o.err;
  EXPECT_NE(o.err.find("perfwatch run #1 ballast: ok, exit 0"), std::string::npos) << o.err;
  const RunRecord run = Load(dir, 1);
  EXPECT_EQ(run.status, RunStatus::kOk);
  EXPECT_EQ(run.name, "ballast");
  // 64 MiB touched, plus the program itself: well below twice that.
  EXPECT_GE(run.peak_rss_bytes, 64.0 * (1 << 20));
  EXPECT_LE(run.peak_rss_bytes, 100.0 * (1 << 20));
  EXPECT_GE(run.user_seconds + run.system_seconds, 0.28);
  EXPECT_GT(run.cpu_percent, 0);
  // A timeline of points about 100 ms apart, the memory visible in it.
  ASSERT_GE(run.timeline.size(), 5u);
  std::vector<int64_t> gaps;
  for (size_t i = 1; i < run.timeline.size(); ++i) {
    gaps.push_back(run.timeline[i].t_ms - run.timeline[i - 1].t_ms);
  }
  std::nth_element(gaps.begin(), gaps.begin() + gaps.size() / 2, gaps.end());
  EXPECT_GE(gaps[gaps.size() / 2], 80);
  EXPECT_LE(gaps[gaps.size() / 2], 300);
  const auto peak = std::max_element(
      run.timeline.begin(), run.timeline.end(),
      [](const TimelinePoint& a, const TimelinePoint& b) { return a.rss_bytes < b.rss_bytes; });
  EXPECT_GE(peak->rss_bytes, 64.0 * (1 << 20));
  EXPECT_EQ(run.timeline.back().processes, 1);
  EXPECT_GE(run.timeline.back().threads, 1);
}

TEST(RunCommand, PassesTheExitCodeOnAndRecordsTheFailure) {
  const std::string dir = TestDir("cmd-exit");
  Outcome o = Perfwatch({"run", "--data-dir", dir, "--", RUN_CHILD_BINARY, "--exit", "3"});
  EXPECT_EQ(o.exit_code, 3) << o.err;
  const RunRecord run = Load(dir, 1);
  EXPECT_EQ(run.status, RunStatus::kFailed);
  EXPECT_EQ(run.exit_code, 3);
  EXPECT_EQ(run.name, "runs_test_child");  // the basename by default

  Outcome killed = Perfwatch({"run", "--data-dir", dir, "--", RUN_CHILD_BINARY, "--signal", "9"});
  EXPECT_EQ(killed.exit_code, 128 + 9) << killed.err;
  const RunRecord k = Load(dir, 2);
  EXPECT_EQ(k.status, RunStatus::kFailed);
  EXPECT_EQ(k.signal, 9);
  EXPECT_NE(killed.err.find("killed by signal 9"), std::string::npos) << killed.err;
}

TEST(RunCommand, ACommandThatDoesNotExistExits127AndIsRecordedAsFailed) {
  const std::string dir = TestDir("cmd-missing");
  Outcome o = Perfwatch({"run", "--data-dir", dir, "--", "no-such-command-i8", "arg"});
  EXPECT_EQ(o.exit_code, 127);
  EXPECT_NE(o.err.find("cannot run 'no-such-command-i8'"), std::string::npos) << o.err;
  EXPECT_NE(o.err.find("recorded as run #1"), std::string::npos) << o.err;
  const RunRecord run = Load(dir, 1);
  EXPECT_EQ(run.status, RunStatus::kFailed);
  EXPECT_EQ(run.exit_code, 127);
  EXPECT_NE(run.error.find("No such file or directory"), std::string::npos) << run.error;
  EXPECT_EQ(run.argv, (std::vector<std::string>{"no-such-command-i8", "arg"}));
}

TEST(RunCommand, SigintRecordsAnInterruptedRunWithItsPartialTimeline) {
  const std::string dir = TestDir("cmd-sigint");
  Outcome o = Perfwatch(
      {"run", "--name", "long", "--data-dir", dir, "--", RUN_CHILD_BINARY, "--sleep-ms", "60000"},
      {}, [&dir](pid_t pid) {
        // Once the run is reserved, perfwatch handles SIGINT; then let the
        // timeline get a few points.
        for (int i = 0; i < 600 && Newest(dir) == 0; ++i) {
          std::this_thread::sleep_for(std::chrono::milliseconds(50));
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(500));
        ::kill(pid, SIGINT);
      });
  EXPECT_EQ(o.exit_code, 130) << o.err;
  EXPECT_NE(o.err.find("interrupted"), std::string::npos) << o.err;
  const RunRecord run = Load(dir, 1);
  EXPECT_EQ(run.status, RunStatus::kInterrupted);
  EXPECT_GE(run.timeline.size(), 2u);
  EXPECT_GT(run.ended_ms, run.started_ms);
  // It was stopped, not left to run its 60 s.
  EXPECT_LT(run.wall_seconds, 50);
}

TEST(RunCommand, GivesTheCommandItsRunIdAndStatsdAddress) {
  const std::string dir = TestDir("cmd-env");
  Outcome o = Perfwatch(
      {"run", "--name", "env-check", "--data-dir", dir, "--", RUN_CHILD_BINARY, "--print-env"},
      {"PERFWATCH_APP="});
  ASSERT_EQ(o.exit_code, 0) << o.err;
  const RunRecord run = Load(dir, 1);
  const std::string port = run.statsd_address.substr(run.statsd_address.find(':') + 1);
  EXPECT_NE(o.out.find("PERFWATCH_STATSD=" + run.statsd_address + "\n"), std::string::npos)
      << o.out;
  EXPECT_NE(o.out.find("STATSD_HOST=127.0.0.1\n"), std::string::npos);
  EXPECT_NE(o.out.find("STATSD_PORT=" + port + "\n"), std::string::npos);
  EXPECT_NE(o.out.find("PERFWATCH_RUN_ID=1\n"), std::string::npos);
  EXPECT_NE(o.out.find("PERFWATCH_RUN_NAME=env-check\n"), std::string::npos);
  EXPECT_NE(o.out.find("PERFWATCH_APP=env-check\n"), std::string::npos);
  // An application name already set is the command's to keep.
  Outcome kept = Perfwatch({"run", "--data-dir", dir, "--", RUN_CHILD_BINARY, "--print-env"},
                           {"PERFWATCH_APP=mine"});
  EXPECT_NE(kept.out.find("PERFWATCH_APP=mine\n"), std::string::npos) << kept.out;
}

TEST(RunCommand, RecordsStatsdLinesTheCommandSends) {
  const std::string dir = TestDir("cmd-statsd");
  // bash's /dev/udp: one datagram per printf.
  const std::string script =
      "for i in 1 2 3; do printf \"fitness:0.$i|g\" > /dev/udp/127.0.0.1/$STATSD_PORT; "
      "printf 'iterations:1|c' > /dev/udp/127.0.0.1/$STATSD_PORT; done; "
      "printf 'phase.parse:12|ms|#stage:a\\nnot a statsd line' > /dev/udp/127.0.0.1/$STATSD_PORT";
  Outcome o = Perfwatch(
      {"run", "--name", "bash-statsd", "--data-dir", dir, "--", "/bin/bash", "-c", script});
  ASSERT_EQ(o.exit_code, 0) << o.err;
  const RunRecord run = Load(dir, 1);
  EXPECT_EQ(run.app_points_received, 7);
  EXPECT_EQ(run.app_bad_lines, 1);
  ASSERT_EQ(run.metrics.size(), 3u);
  const MetricSummary& fitness = run.metrics[0];
  EXPECT_EQ(fitness.metric, "fitness");
  EXPECT_EQ(fitness.count, 3);
  EXPECT_DOUBLE_EQ(fitness.last, 0.3);
  EXPECT_EQ(run.metrics[1].metric, "iterations");
  EXPECT_DOUBLE_EQ(run.metrics[1].sum, 3);
  EXPECT_EQ(run.metrics[2].tags, "stage:a");
  ASSERT_EQ(run.app_points.size(), 7u);
  EXPECT_LE(run.app_points.front().t_ms, run.app_points.back().t_ms);
  EXPECT_NE(o.err.find("metrics: 3 (7 values, 1 bad lines)"), std::string::npos) << o.err;
}

#ifdef GA_DEMO_BINARY
TEST(RunCommand, RecordsAClientLibraryProgramsFitnessPerGeneration) {
  const std::string dir = TestDir("cmd-ga");
  for (const char* seed : {"1", "2"}) {
    Outcome o =
        Perfwatch({"run", "--name", "onemax", "--data-dir", dir, "--", GA_DEMO_BINARY,
                   "--generations", "25", "--genes", "256", "--population", "40", "--seed", seed},
                  {"PERFWATCH_APP="});
    ASSERT_EQ(o.exit_code, 0) << o.err;
    EXPECT_NE(o.out.find("best fitness"), std::string::npos);
  }
  const RunRecord run = Load(dir, 1);
  auto find = [&](const std::string& metric, const std::string& tags = "") {
    for (const MetricSummary& m : run.metrics) {
      if (m.metric == metric && m.tags == tags) return m;
    }
    ADD_FAILURE() << "no metric " << metric << " {" << tags << "} in run 1";
    return MetricSummary{};
  };
  EXPECT_DOUBLE_EQ(find("ga.generations").sum, 25);
  // One value per generation, plus the one the client sends again as it
  // closes (client.hpp sends a gauge at every flush).
  const MetricSummary best = find("ga.best_fitness");
  EXPECT_GE(best.count, 25);
  EXPECT_LE(best.count, 26);
  EXPECT_GT(best.last, 0.5);
  EXPECT_GE(best.last, best.min);  // elitism: the best never gets worse
  EXPECT_EQ(find("component.duration", "component:evaluate").count, 25);

  // list, show and compare, as text and JSON.
  Outcome list = Perfwatch({"runs", "--data-dir", dir});
  ASSERT_EQ(list.exit_code, 0) << list.err;
  EXPECT_NE(list.out.find("onemax"), std::string::npos) << list.out;
  Outcome show = Perfwatch({"runs", "show", "1", "--data-dir", dir});
  ASSERT_EQ(show.exit_code, 0) << show.err;
  EXPECT_NE(show.out.find("Run #1  onemax  (ok, exit 0)"), std::string::npos) << show.out;
  EXPECT_NE(show.out.find("ga.best_fitness"), std::string::npos) << show.out;
  Outcome show_json = Perfwatch({"runs", "show", "2", "--json", "--data-dir", dir});
  auto j = nlohmann::json::parse(show_json.out, nullptr, false);
  ASSERT_TRUE(j.is_object()) << show_json.out;
  EXPECT_EQ(j["id"], 2);
  EXPECT_EQ(j["timeline"]["t_ms"].size(), j["timeline"]["rss_bytes"].size());
  EXPECT_GE(j["app_points"].size(), 25u * 3);
  Outcome compare = Perfwatch({"runs", "compare", "--name", "onemax", "--data-dir", dir});
  ASSERT_EQ(compare.exit_code, 0) << compare.err;
  EXPECT_NE(compare.out.find("#1 onemax"), std::string::npos) << compare.out;
  EXPECT_NE(compare.out.find("ga.best_fitness (g) last"), std::string::npos) << compare.out;
  Outcome compare_json = Perfwatch({"runs", "compare", "1", "2", "--json", "--data-dir", dir});
  auto c = nlohmann::json::parse(compare_json.out, nullptr, false);
  ASSERT_TRUE(c.is_object()) << compare_json.out;
  EXPECT_EQ(c["runs"][0]["id"], 1);
  bool found = false;
  for (const auto& f : c["figures"]) {
    if (f.value("metric", "") == "ga.generations" && f.value("stat", "") == "sum") {
      found = true;
      EXPECT_EQ(f["values"][1], 25);
      EXPECT_EQ(f["change_percent"][1], 0);
    }
  }
  EXPECT_TRUE(found) << compare_json.out;
}
#endif

TEST(RunCommand, JsonPutsOnlyTheRecordOnStdout) {
  const std::string dir = TestDir("cmd-json");
  Outcome o = Perfwatch(
      {"run", "--json", "--quiet", "--data-dir", dir, "--", RUN_CHILD_BINARY, "--print-env"});
  ASSERT_EQ(o.exit_code, 0) << o.err;
  auto j = nlohmann::json::parse(o.out, nullptr, false);
  ASSERT_TRUE(j.is_object()) << o.out;
  EXPECT_EQ(j["status"], "ok");
  EXPECT_NE(o.err.find("PERFWATCH_RUN_ID=1"), std::string::npos) << o.err;  // the command's stdout
  EXPECT_EQ(o.err.find("perfwatch run #1"), std::string::npos);             // --quiet
}

TEST(RunsCommand, ExplainsBadUsageAndUnknownRuns) {
  const std::string dir = TestDir("cmd-usage");
  Outcome empty = Perfwatch({"runs", "--data-dir", dir});
  EXPECT_EQ(empty.exit_code, 0);
  EXPECT_NE(empty.err.find("no runs recorded in " + dir), std::string::npos) << empty.err;
  EXPECT_FALSE(std::filesystem::exists(RunDb::PathIn(dir)));  // listing creates nothing
  ASSERT_EQ(Perfwatch({"run", "--data-dir", dir, "--", "true"}).exit_code, 0);
  Outcome unknown = Perfwatch({"runs", "show", "99", "--data-dir", dir});
  EXPECT_EQ(unknown.exit_code, 1);
  EXPECT_NE(unknown.err.find("no run with id 99"), std::string::npos) << unknown.err;
  Outcome bad_id = Perfwatch({"runs", "show", "abc", "--data-dir", dir});
  EXPECT_EQ(bad_id.exit_code, 2);
  EXPECT_NE(bad_id.err.find("\"abc\" is not a run id"), std::string::npos) << bad_id.err;
  EXPECT_EQ(Perfwatch({"runs", "compare", "1", "--data-dir", dir}).exit_code, 2);
  EXPECT_EQ(Perfwatch({"run", "--data-dir", dir}).exit_code, 2);
  EXPECT_EQ(Perfwatch({"run", "--interval", "fast", "--", "true"}).exit_code, 2);
  Outcome del = Perfwatch({"runs", "delete", "1", "--data-dir", dir});
  EXPECT_EQ(del.exit_code, 0) << del.err;
  EXPECT_EQ(Newest(dir), 0);
}

}  // namespace
}  // namespace perfwatch
