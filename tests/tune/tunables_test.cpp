#include "tune/tunables.h"

#include <gtest/gtest.h>
#include <sqlite3.h>
#include <unistd.h>

#include <filesystem>
#include <string>

namespace perfwatch {
namespace {

namespace fs = std::filesystem;

class TunableRegistryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("tunables_test_" + std::to_string(getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    Reopen();
  }
  void TearDown() override {
    registry_.reset();
    db_.reset();
    fs::remove_all(dir_);
  }

  // Closes and opens the database and the registry, as a restart does.
  void Reopen() {
    registry_.reset();
    db_.reset();
    TuningDbOptions options;
    options.path = (dir_ / "perfwatch.db").string();
    Result<std::unique_ptr<TuningDb>> db = TuningDb::Open(options);
    ASSERT_TRUE(db.ok()) << db.status().ToString();
    db_ = std::move(*db);
    Result<std::unique_ptr<TunableRegistry>> registry = TunableRegistry::Open(*db_);
    ASSERT_TRUE(registry.ok()) << registry.status().ToString();
    registry_ = std::move(*registry);
  }

  int64_t HistoryRowsOnDisk() {
    sqlite3* db = nullptr;
    EXPECT_EQ(sqlite3_open_v2((dir_ / "perfwatch.db").c_str(), &db, SQLITE_OPEN_READONLY, nullptr),
              SQLITE_OK);
    sqlite3_stmt* stmt = nullptr;
    sqlite3_prepare_v2(db, "SELECT count(*) FROM tunable_history", -1, &stmt, nullptr);
    const int64_t n = sqlite3_step(stmt) == SQLITE_ROW ? sqlite3_column_int64(stmt, 0) : -1;
    sqlite3_finalize(stmt);
    sqlite3_close(db);
    return n;
  }

  fs::path dir_;
  std::unique_ptr<TuningDb> db_;
  std::unique_ptr<TunableRegistry> registry_;
};

TunableSpec Spec(std::string app, std::string name, double value = 1000) {
  TunableSpec s;
  s.app = std::move(app);
  s.name = std::move(name);
  s.value = value;
  s.min = 100;
  s.max = 5000;
  s.webhook = "http://127.0.0.1:9096/tune";
  return s;
}

TunableChange Outcome(double previous, double value, std::string outcome, int64_t id = 12) {
  TunableChange c;
  c.id = id;
  c.t_ms = 5000;
  c.previous = previous;
  c.value = value;
  c.outcome = std::move(outcome);
  c.rule = "ShrinkCacheOnMemoryPressure";
  c.reason = "system_memory_used_percent = 91.2 > 85 for 10s";
  return c;
}

TEST_F(TunableRegistryTest, RegistersAndRecordsTheRegistration) {
  Result<Tunable> t = registry_->Register(Spec("shop", "cache.size"), 1000);
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  EXPECT_EQ(t->spec.value, 1000);
  EXPECT_EQ(t->registered_ms, 1000);
  EXPECT_EQ(t->seen_ms, 1000);
  ASSERT_EQ(t->history.size(), 1u);
  EXPECT_EQ(t->history[0].outcome, "registered");
  EXPECT_EQ(t->history[0].value, 1000);

  std::optional<Tunable> got = registry_->Get("shop", "cache.size");
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(got->spec.webhook, "http://127.0.0.1:9096/tune");
  EXPECT_FALSE(registry_->Get("shop", "cache.ttl_seconds").has_value());
  EXPECT_FALSE(registry_->Get("other", "cache.size").has_value());
}

TEST_F(TunableRegistryTest, RefusesAnInvalidSpecAndStoresNothing) {
  TunableSpec bad = Spec("shop", "cache.size", 50);
  Result<Tunable> t = registry_->Register(bad, 1000);
  ASSERT_FALSE(t.ok());
  EXPECT_EQ(t.status().message(), "value (50) is below min (100)");
  EXPECT_TRUE(registry_->List().empty());
  EXPECT_EQ(HistoryRowsOnDisk(), 0);
}

TEST_F(TunableRegistryTest, ReRegisteringTheSameValueIsIdempotent) {
  ASSERT_TRUE(registry_->Register(Spec("shop", "cache.size"), 1000).ok());
  for (TimestampMs t = 2000; t <= 10'000; t += 2000) {
    Result<Tunable> again = registry_->Register(Spec("shop", "cache.size"), t);
    ASSERT_TRUE(again.ok());
    EXPECT_EQ(again->seen_ms, t);
    EXPECT_EQ(again->registered_ms, 1000);
    EXPECT_EQ(again->history.size(), 1u);
  }
  EXPECT_EQ(registry_->List().size(), 1u);
  EXPECT_EQ(HistoryRowsOnDisk(), 1);
}

TEST_F(TunableRegistryTest, ReRegisteringAnotherValueAppendsARegistration) {
  ASSERT_TRUE(registry_->Register(Spec("shop", "cache.size", 1000), 1000).ok());
  TunableSpec restarted = Spec("shop", "cache.size", 2000);
  restarted.max = 8000;
  Result<Tunable> t = registry_->Register(restarted, 2000);
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t->spec.value, 2000);
  EXPECT_EQ(t->spec.max, 8000);
  ASSERT_EQ(t->history.size(), 2u);
  EXPECT_EQ(t->history[1].outcome, "registered");
  EXPECT_EQ(t->history[1].previous, 1000);
  EXPECT_EQ(t->history[1].value, 2000);
  EXPECT_EQ(t->history[1].t_ms, 2000);
}

TEST_F(TunableRegistryTest, EnforcesThePerAppLimit) {
  for (size_t i = 0; i < kMaxTunablesPerApp; ++i) {
    ASSERT_TRUE(registry_->Register(Spec("shop", "knob" + std::to_string(i)), 1000).ok()) << i;
  }
  Result<Tunable> over = registry_->Register(Spec("shop", "one.more"), 1000);
  ASSERT_FALSE(over.ok());
  EXPECT_EQ(over.status().code(), Status::Code::kResourceExhausted);
  EXPECT_EQ(over.status().message(), "shop: at most 64 tunables per application");
  EXPECT_TRUE(registry_->Register(Spec("shop", "knob0", 1200), 2000).ok())
      << "re-registering a known tunable is not a new one";
  EXPECT_TRUE(registry_->Register(Spec("api", "one.more"), 1000).ok())
      << "another app has room of its own";
}

TEST_F(TunableRegistryTest, EnforcesTheTotalLimit) {
  const size_t apps = kMaxTunables / kMaxTunablesPerApp;
  for (size_t a = 0; a < apps; ++a) {
    for (size_t i = 0; i < kMaxTunablesPerApp; ++i) {
      ASSERT_TRUE(
          registry_->Register(Spec("app" + std::to_string(a), "knob" + std::to_string(i)), 1000)
              .ok());
    }
  }
  Result<Tunable> over = registry_->Register(Spec("late", "knob"), 1000);
  ASSERT_FALSE(over.ok());
  EXPECT_EQ(over.status().code(), Status::Code::kResourceExhausted);
  EXPECT_EQ(over.status().message(), "at most 1024 tunables may be registered");
  EXPECT_EQ(registry_->List().size(), kMaxTunables);
}

TEST_F(TunableRegistryTest, ListsSortedAndFindsAppsByTunableAndHook) {
  TunableSpec api_pool = Spec("api", "pool.size", 8);
  api_pool.min = 1;
  api_pool.max = 64;
  api_pool.hooks = {"memory_cleanup"};
  TunableSpec shop_ttl = Spec("shop", "cache.ttl_seconds", 300);
  shop_ttl.hooks = {"cache_warmup", "memory_cleanup"};
  TunableSpec shop_size = Spec("shop", "cache.size");
  shop_size.webhook = "";
  shop_size.hooks = {"memory_cleanup"};
  for (const TunableSpec& s : {shop_ttl, api_pool, shop_size}) {
    ASSERT_TRUE(registry_->Register(s, 1000).ok());
  }
  std::vector<Tunable> all = registry_->List();
  ASSERT_EQ(all.size(), 3u);
  EXPECT_EQ(all[0].spec.app + "/" + all[0].spec.name, "api/pool.size");
  EXPECT_EQ(all[1].spec.app + "/" + all[1].spec.name, "shop/cache.size");
  EXPECT_EQ(all[2].spec.app + "/" + all[2].spec.name, "shop/cache.ttl_seconds");
  EXPECT_EQ(registry_->List("shop").size(), 2u);
  EXPECT_TRUE(registry_->List("nobody").empty());

  EXPECT_EQ(registry_->AppsWith("cache.size"), std::vector<std::string>{"shop"});
  EXPECT_EQ(registry_->AppsWith(""), (std::vector<std::string>{"api", "shop"}));
  EXPECT_TRUE(registry_->AppsWith("async.enabled").empty());

  using Pairs = std::vector<std::pair<std::string, std::string>>;
  EXPECT_EQ(registry_->AppsWithHook("memory_cleanup"),
            (Pairs{{"api", "http://127.0.0.1:9096/tune"}, {"shop", "http://127.0.0.1:9096/tune"}}))
      << "shop's cache.size has no webhook, its cache.ttl_seconds has";
  EXPECT_EQ(registry_->AppsWithHook("cache_warmup"),
            (Pairs{{"shop", "http://127.0.0.1:9096/tune"}}));
  EXPECT_TRUE(registry_->AppsWithHook("emergency_cleanup").empty());
}

TEST_F(TunableRegistryTest, RecordChangeMovesTheValueOnlyWhenApplied) {
  ASSERT_TRUE(registry_->Register(Spec("shop", "cache.size", 1000), 1000).ok());
  ASSERT_TRUE(registry_->RecordChange("shop", "cache.size", Outcome(1000, 700, "rejected")).ok());
  EXPECT_EQ(registry_->Get("shop", "cache.size")->spec.value, 1000);
  ASSERT_TRUE(registry_->RecordChange("shop", "cache.size", Outcome(1000, 700, "failed")).ok());
  ASSERT_TRUE(registry_->RecordChange("shop", "cache.size", Outcome(1000, 700, "dry_run")).ok());
  EXPECT_EQ(registry_->Get("shop", "cache.size")->spec.value, 1000);
  ASSERT_TRUE(registry_->RecordChange("shop", "cache.size", Outcome(1000, 700, "applied")).ok());
  EXPECT_EQ(registry_->Get("shop", "cache.size")->spec.value, 700);
  ASSERT_TRUE(
      registry_->RecordChange("shop", "cache.size", Outcome(700, 1000, "rolled_back", 13)).ok());
  std::optional<Tunable> t = registry_->Get("shop", "cache.size");
  ASSERT_TRUE(t.has_value());
  EXPECT_EQ(t->spec.value, 1000);
  ASSERT_EQ(t->history.size(), 6u);
  EXPECT_EQ(t->history[1].outcome, "rejected");
  EXPECT_EQ(t->history[4].outcome, "applied");
  EXPECT_EQ(t->history[5].outcome, "rolled_back");
  EXPECT_EQ(t->history[5].id, 13);
}

TEST_F(TunableRegistryTest, RecordChangeOfAnUnknownTunableIsNotFound) {
  Status s = registry_->RecordChange("shop", "cache.size", Outcome(1000, 700, "applied"));
  EXPECT_EQ(s.code(), Status::Code::kNotFound);
  EXPECT_EQ(s.message(), "tunable shop/cache.size is not registered");
}

TEST_F(TunableRegistryTest, KeepsAtMostTheHistoryLimitInMemory) {
  ASSERT_TRUE(registry_->Register(Spec("shop", "cache.size", 1000), 1000).ok());
  for (size_t i = 0; i < kMaxTunableHistory + 10; ++i) {
    ASSERT_TRUE(registry_
                    ->RecordChange("shop", "cache.size",
                                   Outcome(1000, 700, "failed", static_cast<int64_t>(i + 1)))
                    .ok());
  }
  std::optional<Tunable> t = registry_->Get("shop", "cache.size");
  ASSERT_TRUE(t.has_value());
  ASSERT_EQ(t->history.size(), kMaxTunableHistory);
  EXPECT_EQ(t->history.back().id, static_cast<int64_t>(kMaxTunableHistory + 10));
  EXPECT_EQ(HistoryRowsOnDisk(), static_cast<int64_t>(kMaxTunableHistory));
}

TEST_F(TunableRegistryTest, ReloadsWhatWasStoredAfterARestart) {
  TunableSpec async;
  async.app = "shop";
  async.name = "async.enabled";
  async.kind = TunableSpec::Kind::kBool;
  async.webhook = "http://127.0.0.1:9096/tune";
  ASSERT_TRUE(registry_->Register(Spec("shop", "cache.size", 1000), 1000).ok());
  ASSERT_TRUE(registry_->Register(async, 1000).ok());
  ASSERT_TRUE(registry_->RecordChange("shop", "cache.size", Outcome(1000, 700, "applied")).ok());
  ASSERT_TRUE(registry_->RecordChange("shop", "async.enabled", Outcome(0, 1, "applied")).ok());

  Reopen();
  std::vector<Tunable> all = registry_->List();
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[0].spec.name, "async.enabled");
  EXPECT_EQ(all[0].spec.kind, TunableSpec::Kind::kBool);
  EXPECT_EQ(all[0].spec.value, 1);
  EXPECT_EQ(all[1].spec.value, 700) << "the confirmed change, not the registered value";
  ASSERT_EQ(all[1].history.size(), 2u);
  EXPECT_EQ(all[1].history[1].outcome, "applied");
  EXPECT_EQ(all[1].registered_ms, 1000);

  // The application comes back with what it still holds: no new entry.
  Result<Tunable> again = registry_->Register(Spec("shop", "cache.size", 700), 60'000);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->history.size(), 2u);
  EXPECT_EQ(again->registered_ms, 1000);
}

TEST_F(TunableRegistryTest, PersistsAHeartbeatAtMostOncePerMinuteUnlessSomethingChanged) {
  ASSERT_TRUE(registry_->Register(Spec("shop", "cache.size"), 1000).ok());
  ASSERT_TRUE(registry_->Register(Spec("shop", "cache.size"), 30'000).ok());
  EXPECT_EQ(registry_->Get("shop", "cache.size")->seen_ms, 30'000) << "in memory at once";
  Reopen();
  EXPECT_EQ(registry_->Get("shop", "cache.size")->seen_ms, 1000) << "not yet written";
  ASSERT_TRUE(registry_->Register(Spec("shop", "cache.size"), 61'000).ok());
  Reopen();
  EXPECT_EQ(registry_->Get("shop", "cache.size")->seen_ms, 61'000);
  TunableSpec changed = Spec("shop", "cache.size");
  changed.unit = "items";
  ASSERT_TRUE(registry_->Register(changed, 62'000).ok());
  Reopen();
  EXPECT_EQ(registry_->Get("shop", "cache.size")->spec.unit, "items");
  EXPECT_EQ(registry_->Get("shop", "cache.size")->seen_ms, 62'000);
}

}  // namespace
}  // namespace perfwatch
