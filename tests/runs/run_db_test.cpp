#include "runs/run_db.h"

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <filesystem>

#include "run_process.h"
#include "store/block_store.h"

namespace perfwatch {
namespace {

RunRecord SampleRun(const std::string& name) {
  RunRecord r;
  r.name = name;
  r.argv = {"./ga", "--generations", "3", "it's quoted"};
  r.host = "test-host";
  r.started_ms = 1'700'000'000'000;
  r.ended_ms = r.started_ms + 1500;
  r.status = RunStatus::kOk;
  r.wall_seconds = 1.5;
  r.user_seconds = 1.25;
  r.system_seconds = 0.125;
  r.cpu_percent = 91.7;
  r.peak_rss_bytes = 52e6;
  r.read_bytes = 4096;
  r.write_bytes = 1 << 20;
  r.app_points_received = 3;
  r.statsd_address = "127.0.0.1:40000";
  for (int i = 0; i < 15; ++i) {
    r.timeline.push_back(TimelinePoint{100 * (i + 1), 99.5, 1e6 * i, 4, 2, static_cast<uint64_t>(i),
                                       static_cast<uint64_t>(2 * i)});
  }
  r.app_points = {{10, "fitness", "g", 0.5, ""},
                  {20, "fitness", "g", 0.75, ""},
                  {30, "phase", "ms", 12, "phase:parse"}};
  MetricSummary fitness{"fitness", "g", "", 2, 1.25, 0.5, 0.75, 0.625, 0.75, {}, {}};
  MetricSummary phase{"phase", "ms", "phase:parse", 1, 12, 12, 12, 12, 12, 12.0, 12.0};
  r.metrics = {fitness, phase};
  return r;
}

std::unique_ptr<RunDb> OpenAt(const std::string& path, size_t max_runs = 1000) {
  RunDbOptions options;
  options.path = path;
  options.max_runs = max_runs;
  Result<std::unique_ptr<RunDb>> db = RunDb::Open(options);
  EXPECT_TRUE(db.ok()) << db.status().ToString();
  return db.ok() ? std::move(*db) : nullptr;
}

int64_t Store(RunDb& db, RunRecord run) {
  Result<int64_t> id = db.Reserve(run);
  EXPECT_TRUE(id.ok()) << id.status().ToString();
  run.id = *id;
  EXPECT_TRUE(db.Finish(run).ok());
  return run.id;
}

TEST(RunDb, RoundTripsARunWithItsTimelineMetricsAndPoints) {
  const std::string dir = runs_test::TestDir("db-roundtrip");
  auto db = OpenAt(RunDb::PathIn(dir));
  ASSERT_NE(db, nullptr);
  const RunRecord in = SampleRun("ga");
  const int64_t id = Store(*db, in);
  Result<RunRecord> out = db->Get(id);
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_EQ(out->id, id);
  EXPECT_EQ(out->name, "ga");
  EXPECT_EQ(out->argv, in.argv);
  EXPECT_EQ(out->status, RunStatus::kOk);
  EXPECT_EQ(out->started_ms, in.started_ms);
  EXPECT_DOUBLE_EQ(out->user_seconds, 1.25);
  EXPECT_DOUBLE_EQ(out->peak_rss_bytes, 52e6);
  EXPECT_EQ(out->write_bytes, 1u << 20);
  EXPECT_EQ(out->statsd_address, "127.0.0.1:40000");
  ASSERT_EQ(out->timeline.size(), 15u);
  EXPECT_EQ(out->timeline[14].t_ms, 1500);
  EXPECT_DOUBLE_EQ(out->timeline[3].rss_bytes, 3e6);
  EXPECT_EQ(out->timeline[3].write_bytes, 6u);
  ASSERT_EQ(out->app_points.size(), 3u);
  EXPECT_EQ(out->app_points[2].tags, "phase:parse");
  ASSERT_EQ(out->metrics.size(), 2u);
  EXPECT_EQ(out->metric_count, 2);
  EXPECT_FALSE(out->metrics[0].p95.has_value());
  ASSERT_TRUE(out->metrics[1].p95.has_value());
  EXPECT_DOUBLE_EQ(*out->metrics[1].p95, 12.0);

  Result<RunRecord> brief = db->Get(id, RunParts{false, false});
  ASSERT_TRUE(brief.ok());
  EXPECT_TRUE(brief->timeline.empty());
  EXPECT_TRUE(brief->app_points.empty());
  EXPECT_EQ(brief->metrics.size(), 2u);
}

// perfwatch.db is shared: a file RunDb created must be one the block store
// (a perfwatch started on the directory later) accepts, and the runs
// survive the block store's use of the file.
TEST(RunDb, CreatesAFileTheBlockStoreAcceptsAndSharesIt) {
  const std::string dir = runs_test::TestDir("db-shared");
  const std::string path = RunDb::PathIn(dir);
  int64_t id = 0;
  {
    auto db = OpenAt(path);
    ASSERT_NE(db, nullptr);
    id = Store(*db, SampleRun("first"));
  }
  Result<std::unique_ptr<BlockStore>> store = BlockStore::Open(path);
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  auto db = OpenAt(path);
  ASSERT_NE(db, nullptr);
  Store(*db, SampleRun("second"));
  Result<RunRecord> first = db->Get(id);
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(first->name, "first");
}

TEST(RunDb, ListsNewestFirstByNameWithALimit) {
  const std::string dir = runs_test::TestDir("db-list");
  auto db = OpenAt(RunDb::PathIn(dir));
  ASSERT_NE(db, nullptr);
  for (const char* name : {"a", "b", "a", "a"}) Store(*db, SampleRun(name));
  Result<std::vector<RunRecord>> all = db->List(RunFilter{"", 0, 0});
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 4u);
  EXPECT_GT((*all)[0].id, (*all)[1].id);
  EXPECT_TRUE((*all)[0].timeline.empty());
  EXPECT_EQ((*all)[0].metric_count, 2);
  Result<std::vector<RunRecord>> a = db->List(RunFilter{"a", 2, 0});
  ASSERT_TRUE(a.ok());
  ASSERT_EQ(a->size(), 2u);
  EXPECT_EQ((*a)[0].name, "a");
  EXPECT_EQ((*a)[0].id, (*all)[0].id);
  Result<std::vector<RunRecord>> older = db->List(RunFilter{"a", 0, (*a)[1].id});
  ASSERT_TRUE(older.ok());
  ASSERT_EQ(older->size(), 1u);
}

TEST(RunDb, KeepsOnlyTheNewestMaxRunsAndTheirRows) {
  const std::string dir = runs_test::TestDir("db-prune");
  const std::string path = RunDb::PathIn(dir);
  auto db = OpenAt(path, 3);
  ASSERT_NE(db, nullptr);
  std::vector<int64_t> ids;
  for (int i = 0; i < 5; ++i) ids.push_back(Store(*db, SampleRun("r")));
  Result<std::vector<RunRecord>> all = db->List(RunFilter{"", 0, 0});
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 3u);
  EXPECT_EQ(all->back().id, ids[2]);
  EXPECT_EQ(db->Get(ids[1]).status().code(), Status::Code::kNotFound);
  // The pruned runs' timeline rows went with them.
  sqlite3* raw = nullptr;
  ASSERT_EQ(sqlite3_open_v2(path.c_str(), &raw, SQLITE_OPEN_READONLY, nullptr), SQLITE_OK);
  sqlite3_stmt* stmt = nullptr;
  sqlite3_prepare_v2(raw, "SELECT count(*) FROM run_timeline", -1, &stmt, nullptr);
  ASSERT_EQ(sqlite3_step(stmt), SQLITE_ROW);
  EXPECT_EQ(sqlite3_column_int64(stmt, 0), 3 * 15);
  sqlite3_finalize(stmt);
  sqlite3_close(raw);
}

TEST(RunDb, DeletesARunAndReportsUnknownIds) {
  const std::string dir = runs_test::TestDir("db-delete");
  auto db = OpenAt(RunDb::PathIn(dir));
  ASSERT_NE(db, nullptr);
  const int64_t id = Store(*db, SampleRun("gone"));
  EXPECT_TRUE(db->Delete(id).ok());
  EXPECT_EQ(db->Get(id).status().code(), Status::Code::kNotFound);
  const Status again = db->Delete(id);
  EXPECT_EQ(again.code(), Status::Code::kNotFound);
  EXPECT_NE(again.message().find(std::to_string(id)), std::string::npos);
  // Finishing a run deleted meanwhile says so rather than resurrecting it.
  RunRecord late = SampleRun("late");
  late.id = id;
  EXPECT_EQ(db->Finish(late).code(), Status::Code::kNotFound);
  // Ids are never reused.
  EXPECT_GT(Store(*db, SampleRun("next")), id);
}

TEST(RunDb, AReaderNeverCreatesAMissingFile) {
  const std::string dir = runs_test::TestDir("db-reader");
  RunDbOptions options;
  options.path = RunDb::PathIn(dir);
  options.create = false;
  Result<std::unique_ptr<RunDb>> db = RunDb::Open(options);
  EXPECT_EQ(db.status().code(), Status::Code::kUnavailable);
  EXPECT_FALSE(std::filesystem::exists(options.path));
}

TEST(RunDb, RefusesADatabaseOfAnotherApplication) {
  const std::string dir = runs_test::TestDir("db-foreign");
  const std::string path = RunDb::PathIn(dir);
  sqlite3* raw = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &raw), SQLITE_OK);
  sqlite3_exec(raw, "PRAGMA application_id = 42; CREATE TABLE t(x);", nullptr, nullptr, nullptr);
  sqlite3_close(raw);
  RunDbOptions options;
  options.path = path;
  Result<std::unique_ptr<RunDb>> db = RunDb::Open(options);
  ASSERT_FALSE(db.ok());
  EXPECT_NE(db.status().message().find("not a perfwatch database"), std::string::npos);
}

}  // namespace
}  // namespace perfwatch
