#include "tune/tuning_db.h"

#include <gtest/gtest.h>
#include <sqlite3.h>
#include <unistd.h>

#include <filesystem>
#include <string>

namespace perfwatch {
namespace {

namespace fs = std::filesystem;

class TuningDbTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("tuning_db_test_" + std::to_string(getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    path_ = (dir_ / "perfwatch.db").string();
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::unique_ptr<TuningDb> OpenDb() {
    TuningDbOptions options;
    options.path = path_;
    Result<std::unique_ptr<TuningDb>> db = TuningDb::Open(options);
    EXPECT_TRUE(db.ok()) << db.status().ToString();
    return db.ok() ? std::move(*db) : nullptr;
  }

  // A query on a connection of the test's own, to see what is on disk.
  std::string QueryText(const std::string& sql) {
    sqlite3* db = nullptr;
    EXPECT_EQ(sqlite3_open_v2(path_.c_str(), &db, SQLITE_OPEN_READONLY, nullptr), SQLITE_OK);
    sqlite3_stmt* stmt = nullptr;
    EXPECT_EQ(sqlite3_prepare_v2(db, sql.c_str(), -1, &stmt, nullptr), SQLITE_OK) << sql;
    std::string out;
    if (sqlite3_step(stmt) == SQLITE_ROW) {
      const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0));
      out = p == nullptr ? "NULL" : p;
    }
    sqlite3_finalize(stmt);
    sqlite3_close(db);
    return out;
  }

  fs::path dir_;
  std::string path_;
};

Tunable CacheSize(double value = 1000) {
  Tunable t;
  t.spec.app = "shop";
  t.spec.name = "cache.size";
  t.spec.value = value;
  t.spec.min = 100;
  t.spec.max = 5000;
  t.spec.step = 10;
  t.spec.unit = "items";
  t.spec.description = "entries in the LRU cache";
  t.spec.webhook = "http://127.0.0.1:9096/tune";
  t.spec.hooks = {"cache_warmup", "memory_cleanup"};
  t.registered_ms = 1000;
  t.seen_ms = 2000;
  return t;
}

Tunable AsyncEnabled() {
  Tunable t;
  t.spec.app = "shop";
  t.spec.name = "async.enabled";
  t.spec.kind = TunableSpec::Kind::kBool;
  t.spec.value = 1;
  t.registered_ms = 1500;
  t.seen_ms = 1500;
  return t;
}

TunableChange Change(int64_t id, TimestampMs t_ms, double previous, double value,
                     std::string outcome) {
  TunableChange c;
  c.id = id;
  c.t_ms = t_ms;
  c.previous = previous;
  c.value = value;
  c.outcome = std::move(outcome);
  c.rule = id == 0 ? "" : "ShrinkCacheOnMemoryPressure";
  c.reason = id == 0 ? "" : "system_memory_used_percent = 91.2 > 85 for 10s";
  return c;
}

TuningRecord Decision(TimestampMs t_ms, std::string rule = "ShrinkCacheOnMemoryPressure",
                      std::string app = "shop") {
  TuningRecord r;
  r.t_ms = t_ms;
  r.rule = std::move(rule);
  r.action = "scale";
  r.description = "scale 0.7 shop/cache.size";
  r.app = std::move(app);
  r.tunable = "cache.size";
  r.before = 1000;
  r.after = 700;
  r.reason = "system_memory_used_percent = 91.2 > 85 for 10s";
  r.metric = "system_memory_used_percent{}";
  return r;
}

void ExpectSameRecord(const TuningRecord& got, const TuningRecord& want) {
  EXPECT_EQ(got.id, want.id);
  EXPECT_EQ(got.t_ms, want.t_ms);
  EXPECT_EQ(got.rule, want.rule);
  EXPECT_EQ(got.action, want.action);
  EXPECT_EQ(got.description, want.description);
  EXPECT_EQ(got.app, want.app);
  EXPECT_EQ(got.tunable, want.tunable);
  EXPECT_EQ(got.before, want.before);
  EXPECT_EQ(got.after, want.after);
  EXPECT_EQ(got.outcome, want.outcome);
  EXPECT_EQ(got.error, want.error);
  EXPECT_EQ(got.reason, want.reason);
  EXPECT_EQ(got.emergency, want.emergency);
  EXPECT_EQ(got.rollback_of, want.rollback_of);
  EXPECT_EQ(got.verdict, want.verdict);
  EXPECT_EQ(got.metric, want.metric);
  EXPECT_EQ(got.metric_before, want.metric_before);
  EXPECT_EQ(got.metric_after, want.metric_after);
  EXPECT_EQ(got.evaluated_ms, want.evaluated_ms);
}

TEST_F(TuningDbTest, OpensTheFileInWalModeWithItsTables) {
  ASSERT_NE(OpenDb(), nullptr);
  EXPECT_EQ(QueryText("PRAGMA journal_mode"), "wal");
  EXPECT_EQ(QueryText("SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name IN "
                      "('tunables', 'tunable_history', 'tuning_audit')"),
            "3");
  ASSERT_NE(OpenDb(), nullptr) << "opening again finds the tables in place";
}

TEST_F(TuningDbTest, KeepsTunablesAndTheirHistoryAcrossReopening) {
  {
    std::unique_ptr<TuningDb> db = OpenDb();
    ASSERT_NE(db, nullptr);
    ASSERT_TRUE(db->SaveTunable(CacheSize()).ok());
    ASSERT_TRUE(db->SaveTunable(AsyncEnabled()).ok());
    ASSERT_TRUE(
        db->AppendTunableHistory("shop", "cache.size", Change(0, 1000, 1000, 1000, "registered"))
            .ok());
    ASSERT_TRUE(
        db->AppendTunableHistory("shop", "cache.size", Change(7, 3000, 1000, 700, "applied")).ok());
  }
  std::unique_ptr<TuningDb> db = OpenDb();
  ASSERT_NE(db, nullptr);
  Result<std::vector<Tunable>> loaded = db->LoadTunables();
  ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
  ASSERT_EQ(loaded->size(), 2u);
  const Tunable& async = (*loaded)[0];  // sorted by app, then name
  const Tunable& cache = (*loaded)[1];
  EXPECT_EQ(async.spec.name, "async.enabled");
  EXPECT_EQ(async.spec.kind, TunableSpec::Kind::kBool);
  EXPECT_EQ(async.spec.value, 1);
  EXPECT_TRUE(async.history.empty());

  const Tunable want = CacheSize();
  EXPECT_EQ(cache.spec.app, "shop");
  EXPECT_EQ(cache.spec.value, 1000);
  EXPECT_EQ(cache.spec.min, want.spec.min);
  EXPECT_EQ(cache.spec.max, want.spec.max);
  EXPECT_EQ(cache.spec.step, 10);
  EXPECT_EQ(cache.spec.unit, "items");
  EXPECT_EQ(cache.spec.description, want.spec.description);
  EXPECT_EQ(cache.spec.webhook, want.spec.webhook);
  EXPECT_EQ(cache.spec.hooks, want.spec.hooks);
  EXPECT_EQ(cache.registered_ms, 1000);
  EXPECT_EQ(cache.seen_ms, 2000);
  ASSERT_EQ(cache.history.size(), 2u);
  EXPECT_EQ(cache.history[0].outcome, "registered");
  EXPECT_EQ(cache.history[1].id, 7);
  EXPECT_EQ(cache.history[1].t_ms, 3000);
  EXPECT_EQ(cache.history[1].previous, 1000);
  EXPECT_EQ(cache.history[1].value, 700);
  EXPECT_EQ(cache.history[1].outcome, "applied");
  EXPECT_EQ(cache.history[1].rule, "ShrinkCacheOnMemoryPressure");
  EXPECT_EQ(cache.history[1].reason, "system_memory_used_percent = 91.2 > 85 for 10s");
}

TEST_F(TuningDbTest, SaveTunableReplacesTheRowOfTheSameTunable) {
  std::unique_ptr<TuningDb> db = OpenDb();
  ASSERT_NE(db, nullptr);
  ASSERT_TRUE(db->SaveTunable(CacheSize(1000)).ok());
  Tunable moved = CacheSize(700);
  moved.seen_ms = 9000;
  moved.spec.max = 4000;
  ASSERT_TRUE(db->SaveTunable(moved).ok());
  Result<std::vector<Tunable>> loaded = db->LoadTunables();
  ASSERT_TRUE(loaded.ok());
  ASSERT_EQ(loaded->size(), 1u);
  EXPECT_EQ((*loaded)[0].spec.value, 700);
  EXPECT_EQ((*loaded)[0].spec.max, 4000);
  EXPECT_EQ((*loaded)[0].seen_ms, 9000);
}

TEST_F(TuningDbTest, SavesATunableWithItsChangeInOneWrite) {
  {
    std::unique_ptr<TuningDb> db = OpenDb();
    ASSERT_NE(db, nullptr);
    ASSERT_TRUE(db->SaveTunable(CacheSize(700), Change(9, 4000, 1000, 700, "applied")).ok());
  }
  EXPECT_EQ(QueryText("SELECT value FROM tunables"), "700.0");
  EXPECT_EQ(QueryText("SELECT record_id || ':' || outcome FROM tunable_history"), "9:applied");
}

TEST_F(TuningDbTest, PrunesHistoryToTheLimitOfEachTunable) {
  const size_t extra = 30;
  {
    std::unique_ptr<TuningDb> db = OpenDb();
    ASSERT_NE(db, nullptr);
    ASSERT_TRUE(db->SaveTunable(CacheSize()).ok());
    ASSERT_TRUE(db->SaveTunable(AsyncEnabled()).ok());
    for (size_t i = 1; i <= kMaxTunableHistory + extra; ++i) {
      const auto id = static_cast<int64_t>(i);
      ASSERT_TRUE(db->AppendTunableHistory("shop", "cache.size",
                                           Change(id, 1000 + id, 1000, 700, "applied"))
                      .ok());
    }
    for (int64_t id = 1; id <= 3; ++id) {
      ASSERT_TRUE(
          db->AppendTunableHistory("shop", "async.enabled", Change(id, 500, 0, 1, "failed")).ok());
    }
  }
  EXPECT_EQ(QueryText("SELECT count(*) FROM tunable_history WHERE name = 'cache.size'"),
            std::to_string(kMaxTunableHistory));
  std::unique_ptr<TuningDb> db = OpenDb();
  ASSERT_NE(db, nullptr);
  Result<std::vector<Tunable>> loaded = db->LoadTunables();
  ASSERT_TRUE(loaded.ok());
  ASSERT_EQ(loaded->size(), 2u);
  const Tunable& cache = (*loaded)[1];
  ASSERT_EQ(cache.history.size(), kMaxTunableHistory);
  EXPECT_EQ(cache.history.front().id, static_cast<int64_t>(extra + 1)) << "the oldest went";
  EXPECT_EQ(cache.history.back().id, static_cast<int64_t>(kMaxTunableHistory + extra));
  EXPECT_EQ((*loaded)[0].history.size(), 3u) << "another tunable's history is its own";
}

TEST_F(TuningDbTest, InsertAssignsIdsAndUpdateRewritesEveryField) {
  int64_t id = 0;
  TuningRecord updated;
  {
    std::unique_ptr<TuningDb> db = OpenDb();
    ASSERT_NE(db, nullptr);
    Result<int64_t> first = db->Insert(Decision(1000));
    Result<int64_t> second = db->Insert(Decision(2000));
    ASSERT_TRUE(first.ok() && second.ok());
    EXPECT_GT(*second, *first);
    id = *second;
    Result<TuningRecord> got = db->Get(id);
    ASSERT_TRUE(got.ok()) << got.status().ToString();
    TuningRecord want = Decision(2000);
    want.id = id;
    ExpectSameRecord(*got, want);

    updated = *got;
    updated.outcome = "rejected";
    updated.error = "cache.size is locked";
    updated.emergency = true;
    updated.rollback_of = 3;
    updated.after = std::nullopt;
    updated.verdict = "worse";
    updated.metric_before = 91.25;
    updated.metric_after = 93.5;
    updated.evaluated_ms = 62000;
    ASSERT_TRUE(db->Update(updated).ok());
  }
  std::unique_ptr<TuningDb> db = OpenDb();
  ASSERT_NE(db, nullptr);
  Result<TuningRecord> got = db->Get(id);
  ASSERT_TRUE(got.ok());
  ExpectSameRecord(*got, updated);
}

TEST_F(TuningDbTest, UnknownIdsAreNotFound) {
  std::unique_ptr<TuningDb> db = OpenDb();
  ASSERT_NE(db, nullptr);
  EXPECT_EQ(db->Get(42).status().code(), Status::Code::kNotFound);
  TuningRecord r = Decision(1000);
  r.id = 42;
  EXPECT_EQ(db->Update(r).code(), Status::Code::kNotFound);
}

TEST_F(TuningDbTest, AuditFiltersAndListsNewestFirst) {
  std::unique_ptr<TuningDb> db = OpenDb();
  ASSERT_NE(db, nullptr);
  for (TimestampMs t = 1000; t <= 5000; t += 1000) ASSERT_TRUE(db->Insert(Decision(t)).ok());
  ASSERT_TRUE(db->Insert(Decision(3500, "EnableAsync", "api")).ok());

  Result<std::vector<TuningRecord>> all = db->Audit({});
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 6u);
  EXPECT_EQ(all->front().t_ms, 5000);
  EXPECT_EQ(all->back().t_ms, 1000);

  TuningAuditFilter f;
  f.since_ms = 3000;
  f.limit = 2;
  Result<std::vector<TuningRecord>> recent = db->Audit(f);
  ASSERT_TRUE(recent.ok());
  ASSERT_EQ(recent->size(), 2u);
  EXPECT_EQ((*recent)[0].t_ms, 5000);
  EXPECT_EQ((*recent)[1].t_ms, 4000);

  f = {};
  f.rule = "EnableAsync";
  Result<std::vector<TuningRecord>> by_rule = db->Audit(f);
  ASSERT_TRUE(by_rule.ok());
  ASSERT_EQ(by_rule->size(), 1u);
  EXPECT_EQ(by_rule->front().app, "api");

  f = {};
  f.app = "shop";
  Result<std::vector<TuningRecord>> by_app = db->Audit(f);
  ASSERT_TRUE(by_app.ok());
  EXPECT_EQ(by_app->size(), 5u);
}

TEST_F(TuningDbTest, UnfinishedFindsPendingOutcomesAndVerdicts) {
  std::unique_ptr<TuningDb> db = OpenDb();
  ASSERT_NE(db, nullptr);
  TuningRecord sent = Decision(1000);  // outcome "pending"
  TuningRecord evaluating = Decision(2000);
  evaluating.outcome = "applied";
  evaluating.verdict = "pending";
  TuningRecord done = Decision(3000);
  done.outcome = "applied";
  done.verdict = "improved";
  Result<int64_t> a = db->Insert(sent);
  Result<int64_t> b = db->Insert(evaluating);
  ASSERT_TRUE(db->Insert(done).ok());
  ASSERT_TRUE(a.ok() && b.ok());
  Result<std::vector<TuningRecord>> open = db->Unfinished();
  ASSERT_TRUE(open.ok());
  ASSERT_EQ(open->size(), 2u);
  EXPECT_EQ((*open)[0].id, *a);
  EXPECT_EQ((*open)[1].id, *b);
}

TEST_F(TuningDbTest, PruneDropsOnlyRowsBeyondTheRetentionAndNeverReusesIds) {
  TuningDbOptions options;
  options.path = path_;
  options.audit_retention_ms = 10'000;
  Result<std::unique_ptr<TuningDb>> db = TuningDb::Open(options);
  ASSERT_TRUE(db.ok());
  Result<int64_t> old_id = (*db)->Insert(Decision(1000));
  ASSERT_TRUE(old_id.ok());
  ASSERT_TRUE((*db)->Insert(Decision(15'000)).ok());
  ASSERT_TRUE((*db)->Prune(20'000).ok());
  Result<std::vector<TuningRecord>> left = (*db)->Audit({});
  ASSERT_TRUE(left.ok());
  ASSERT_EQ(left->size(), 1u);
  EXPECT_EQ(left->front().t_ms, 15'000);
  EXPECT_EQ((*db)->Get(*old_id).status().code(), Status::Code::kNotFound);

  ASSERT_TRUE((*db)->Prune(100'000).ok());
  Result<int64_t> next = (*db)->Insert(Decision(100'000));
  ASSERT_TRUE(next.ok());
  EXPECT_GT(*next, *old_id + 1) << "an id the history may name is not handed out again";
}

TEST_F(TuningDbTest, RefusesTheFileOfAnotherProgram) {
  sqlite3* raw = nullptr;
  ASSERT_EQ(sqlite3_open(path_.c_str(), &raw), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(raw, "PRAGMA application_id = 42; CREATE TABLE t(x);", nullptr, nullptr,
                         nullptr),
            SQLITE_OK);
  sqlite3_close(raw);
  TuningDbOptions options;
  options.path = path_;
  Result<std::unique_ptr<TuningDb>> db = TuningDb::Open(options);
  ASSERT_FALSE(db.ok());
  EXPECT_NE(db.status().message().find(path_), std::string::npos) << db.status().message();
  EXPECT_NE(db.status().message().find("not a perfwatch database"), std::string::npos);
}

TEST_F(TuningDbTest, OpenFailsNamingTheFile) {
  TuningDbOptions options;
  options.path = (dir_ / "missing" / "perfwatch.db").string();
  Result<std::unique_ptr<TuningDb>> db = TuningDb::Open(options);
  ASSERT_FALSE(db.ok());
  EXPECT_NE(db.status().message().find(options.path), std::string::npos) << db.status().message();
}

}  // namespace
}  // namespace perfwatch
