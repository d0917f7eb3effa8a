#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "runs/run_json.h"
#include "runs/run_text.h"

namespace perfwatch {
namespace {

RunRecord SomeRun(int64_t id, double wall, double fitness) {
  RunRecord r;
  r.id = id;
  r.name = "ga";
  r.argv = {"./ga", "--seed", "7"};
  r.host = "h";
  r.started_ms = 1'700'000'000'000 + id;
  r.ended_ms = r.started_ms + 1000;
  r.status = RunStatus::kOk;
  r.wall_seconds = wall;
  r.user_seconds = wall / 2;
  r.peak_rss_bytes = 10 << 20;
  r.timeline = {{100, 50, 1e6, 1, 1, 0, 0}, {200, 75.5, 2e6, 2, 1, 10, 20}};
  r.app_points = {{150, "ga.best", "g", fitness, ""}};
  r.metrics = {
      MetricSummary{"ga.best", "g", "", 1, fitness, fitness, fitness, fitness, fitness, {}, {}}};
  r.metric_count = 1;
  return r;
}

TEST(RunJson, ReadsBackWhatItWrites) {
  const RunRecord in = SomeRun(4, 1.5, 0.8);
  Result<RunRecord> out = ParseRunJson(RunJson(in));
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_EQ(out->id, 4);
  EXPECT_EQ(out->argv, in.argv);
  EXPECT_EQ(out->status, RunStatus::kOk);
  EXPECT_DOUBLE_EQ(out->wall_seconds, 1.5);
  ASSERT_EQ(out->timeline.size(), 2u);
  EXPECT_EQ(out->timeline[1].write_bytes, 20u);
  EXPECT_DOUBLE_EQ(out->timeline[1].cpu_percent, 75.5);
  ASSERT_EQ(out->metrics.size(), 1u);
  EXPECT_DOUBLE_EQ(out->metrics[0].last, 0.8);
  ASSERT_EQ(out->app_points.size(), 1u);
  Result<std::vector<RunRecord>> list = ParseRunListJson(RunListJson({in, SomeRun(5, 2, 0.9)}));
  ASSERT_TRUE(list.ok());
  ASSERT_EQ(list->size(), 2u);
  EXPECT_EQ((*list)[1].id, 5);
}

TEST(RunJson, NamesTheFieldThatIsMissing) {
  Result<RunRecord> r = ParseRunJson(R"({"id":1,"name":"x"})");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("\"argv\""), std::string::npos);
  EXPECT_FALSE(ParseRunJson("not json").ok());
  EXPECT_FALSE(ParseRunListJson(R"({"runs":{}})").ok());
}

TEST(CompareRuns, GivesEachFigureItsChangeAgainstTheFirstRun) {
  const std::vector<RunRecord> runs = {SomeRun(1, 2.0, 0.5), SomeRun(2, 3.0, 0.6)};
  const std::vector<ComparedFigure> rows = CompareRuns(runs);
  auto row = [&](const std::string& figure, const std::string& metric = "") {
    for (const ComparedFigure& f : rows) {
      if (f.figure == figure && f.metric == metric) return f;
    }
    ADD_FAILURE() << "no row " << figure;
    return ComparedFigure{};
  };
  const ComparedFigure wall = row("wall_seconds");
  ASSERT_EQ(wall.change_percent.size(), 2u);
  EXPECT_FALSE(wall.change_percent[0].has_value());
  EXPECT_NEAR(*wall.change_percent[1], 50, 1e-9);
  const ComparedFigure best = row("last", "ga.best");
  EXPECT_NEAR(*best.change_percent[1], 20, 1e-9);
  EXPECT_FALSE(row("exit_status").change_percent[1].has_value());
  const std::string text = CompareText(runs);
  EXPECT_NE(text.find("(+50.0%)"), std::string::npos) << text;
  EXPECT_NE(text.find("ga.best (g) last"), std::string::npos) << text;
  const auto json = nlohmann::json::parse(CompareJson(runs));
  EXPECT_EQ(json["runs"].size(), 2u);
  EXPECT_EQ(json["figures"][0]["figure"], "wall_seconds");
}

TEST(RunText, FormatsUnitsAndSparklines) {
  EXPECT_EQ(FormatBytes(512), "512 B");
  EXPECT_EQ(FormatBytes(1536), "1.50 KiB");
  EXPECT_EQ(FormatBytes(52.0 * 1024 * 1024), "52.0 MiB");
  EXPECT_EQ(FormatSeconds(0.25), "250 ms");
  EXPECT_EQ(FormatSeconds(1.5), "1.50 s");
  EXPECT_EQ(FormatSeconds(125), "2m05s");
  EXPECT_EQ(Sparkline({0, 1, 2, 3, 4, 5, 6, 7}, 8, false), "▁▂▃▄▅▆▇█");
  EXPECT_EQ(Sparkline({5, 5}, 8, true), "██");
  EXPECT_EQ(Sparkline({1, 1, 8, 8}, 2, false), "▁█");
  const std::string report = RunReport(SomeRun(1, 2, 0.5));
  EXPECT_NE(report.find("Run #1  ga  (ok, exit 0)"), std::string::npos) << report;
  EXPECT_NE(report.find("./ga --seed 7"), std::string::npos);
  EXPECT_NE(report.find("ga.best"), std::string::npos);
  const std::string table = RunsTable({SomeRun(3, 2, 0.5)});
  EXPECT_NE(table.find("PEAK RSS"), std::string::npos);
  EXPECT_NE(table.find("10.0 MiB"), std::string::npos) << table;
}

}  // namespace
}  // namespace perfwatch
