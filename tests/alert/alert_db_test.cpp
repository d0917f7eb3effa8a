#include "alert/alert_db.h"

#include <gtest/gtest.h>
#include <sqlite3.h>
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <limits>

#include "store/block_store.h"

namespace perfwatch {
namespace {

namespace fs = std::filesystem;

class AlertDbTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("alert_db_test_" + std::to_string(getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    path_ = AlertDb::PathIn(dir_.string());
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::unique_ptr<AlertDb> OpenDb(AlertDbOptions options = {}) {
    Result<std::unique_ptr<AlertDb>> db = AlertDb::Open(path_, options);
    EXPECT_TRUE(db.ok()) << db.status().ToString();
    return db.ok() ? std::move(*db) : nullptr;
  }

  fs::path dir_;
  std::string path_;
};

Alert MakeAlert(std::string id, AlertState state, double value) {
  Alert a;
  a.id = std::move(id);
  a.rule = "HighCpu";
  a.labels = Labels{{"alertname", "HighCpu"}, {"cpu", "0"}, {"severity", "warning"}};
  a.annotations = {{"summary", "CPU at 90%"}, {"description", "on \"host\"\n"}};
  a.severity = "warning";
  a.state = state;
  a.value = value;
  a.active_since_ms = 1000;
  a.fired_at_ms = state == AlertState::kFiring ? 31000 : 0;
  a.last_sent_ms = a.fired_at_ms;
  a.keep_firing_since_ms = 7;
  a.silenced = true;
  a.acknowledged = true;
  a.ack = {"ana", "looking", 40000, 91.5};
  return a;
}

void ExpectSameAlert(const Alert& got, const Alert& want) {
  EXPECT_EQ(got.id, want.id);
  EXPECT_EQ(got.rule, want.rule);
  EXPECT_EQ(got.labels, want.labels);
  EXPECT_EQ(got.annotations, want.annotations);  // order kept
  EXPECT_EQ(got.severity, want.severity);
  EXPECT_EQ(got.state, want.state);
  if (std::isnan(want.value)) {
    EXPECT_TRUE(std::isnan(got.value));
  } else {
    EXPECT_EQ(got.value, want.value);
  }
  EXPECT_EQ(got.active_since_ms, want.active_since_ms);
  EXPECT_EQ(got.fired_at_ms, want.fired_at_ms);
  EXPECT_EQ(got.resolved_at_ms, want.resolved_at_ms);
  EXPECT_EQ(got.last_sent_ms, want.last_sent_ms);
  EXPECT_EQ(got.keep_firing_since_ms, want.keep_firing_since_ms);
  EXPECT_EQ(got.silenced, want.silenced);
  EXPECT_EQ(got.acknowledged, want.acknowledged);
  EXPECT_EQ(got.ack.by, want.ack.by);
  EXPECT_EQ(got.ack.comment, want.ack.comment);
  EXPECT_EQ(got.ack.at_ms, want.ack.at_ms);
  EXPECT_EQ(got.ack.value_at_ack, want.ack.value_at_ack);
}

TEST_F(AlertDbTest, AlertStateSurvivesReopening) {
  const Alert firing = MakeAlert("00000000000000a1", AlertState::kFiring, 91.25);
  const Alert pending =
      MakeAlert("00000000000000b2", AlertState::kPending, std::numeric_limits<double>::quiet_NaN());
  {
    auto db = OpenDb();
    ASSERT_TRUE(db->Save({{firing, pending}, {}, {}}).ok());
  }
  auto db = OpenDb();
  Result<std::vector<Alert>> loaded = db->LoadAlerts();
  ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
  ASSERT_EQ(loaded->size(), 2u);
  ExpectSameAlert((*loaded)[0], firing);
  ExpectSameAlert((*loaded)[1], pending);
}

TEST_F(AlertDbTest, UpsertReplacesAndDeleteRemoves) {
  auto db = OpenDb();
  Alert a = MakeAlert("00000000000000a1", AlertState::kPending, 1);
  ASSERT_TRUE(db->Save({{a}, {}, {}}).ok());
  a.state = AlertState::kFiring;
  a.value = 2;
  ASSERT_TRUE(db->Save({{a}, {}, {}}).ok());
  Result<std::vector<Alert>> loaded = db->LoadAlerts();
  ASSERT_EQ(loaded->size(), 1u);
  EXPECT_EQ((*loaded)[0].state, AlertState::kFiring);
  EXPECT_EQ((*loaded)[0].value, 2);
  ASSERT_TRUE(db->Save({{}, {a.id}, {}}).ok());
  EXPECT_TRUE(db->LoadAlerts()->empty());
}

TEST_F(AlertDbTest, AFailingBatchLeavesNothingBehind) {
  auto db = OpenDb();
  const Alert good = MakeAlert("00000000000000a1", AlertState::kFiring, 1);
  Alert bad = MakeAlert("", AlertState::kFiring, 1);  // violates CHECK(length(id) > 0)
  AlertHistoryEntry h;
  h.t_ms = 5;
  h.alert_id = good.id;
  h.to = AlertState::kFiring;
  const Status s = db->Save({{good, bad}, {}, {h}});
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("save alert"), std::string::npos) << s.message();
  EXPECT_NE(s.message().find(path_), std::string::npos) << s.message();
  EXPECT_TRUE(db->LoadAlerts()->empty());
  EXPECT_TRUE(db->History(0, 100)->empty());
  // The connection is usable afterwards (the transaction was rolled back).
  ASSERT_TRUE(db->Save({{good}, {}, {h}}).ok());
  EXPECT_EQ(db->LoadAlerts()->size(), 1u);
  EXPECT_EQ(db->History(0, 100)->size(), 1u);
}

TEST_F(AlertDbTest, ABusyFileFailsTheWholeBatchWithIOError) {
  auto db = OpenDb({.busy_timeout_ms = 20});
  sqlite3* other = nullptr;
  ASSERT_EQ(sqlite3_open(path_.c_str(), &other), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(other, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr), SQLITE_OK);
  const Alert a = MakeAlert("00000000000000a1", AlertState::kFiring, 1);
  const Status s = db->Save({{a}, {}, {}});
  EXPECT_EQ(s.code(), Status::Code::kIOError) << s.ToString();
  ASSERT_EQ(sqlite3_exec(other, "ROLLBACK", nullptr, nullptr, nullptr), SQLITE_OK);
  sqlite3_close(other);
  EXPECT_TRUE(db->LoadAlerts()->empty());
  EXPECT_TRUE(db->Save({{a}, {}, {}}).ok());
}

TEST_F(AlertDbTest, HistoryIsNewestFirstSinceAndLimited) {
  auto db = OpenDb();
  std::vector<AlertHistoryEntry> entries;
  for (int i = 1; i <= 5; ++i) {
    AlertHistoryEntry e;
    e.t_ms = i * 1000;
    e.alert_id = "id" + std::to_string(i);
    e.rule = "R";
    e.labels = Labels{{"alertname", "R"}};
    e.from = AlertState::kPending;
    e.to = AlertState::kFiring;
    e.value = i;
    entries.push_back(e);
  }
  entries[4].event = "acknowledged";
  entries[4].by = "ana";
  entries[4].comment = "on it";
  ASSERT_TRUE(db->AppendHistory(entries).ok());
  Result<std::vector<AlertHistoryEntry>> got = db->History(2000, 3);
  ASSERT_TRUE(got.ok());
  ASSERT_EQ(got->size(), 3u);
  EXPECT_EQ((*got)[0].t_ms, 5000);
  EXPECT_EQ((*got)[0].event, "acknowledged");
  EXPECT_EQ((*got)[0].by, "ana");
  EXPECT_EQ((*got)[0].comment, "on it");
  EXPECT_EQ((*got)[0].labels, (Labels{{"alertname", "R"}}));
  EXPECT_EQ((*got)[2].t_ms, 3000);
  EXPECT_EQ((*got)[2].from, AlertState::kPending);
  EXPECT_EQ((*got)[2].to, AlertState::kFiring);
  EXPECT_EQ(db->History(2000, 100)->size(), 4u);

  Result<int64_t> pruned = db->PruneHistory(3000);
  ASSERT_TRUE(pruned.ok());
  EXPECT_EQ(*pruned, 2);
  EXPECT_EQ(db->History(0, 100)->size(), 3u);
}

TEST_F(AlertDbTest, SilencesRoundTrip) {
  auto db = OpenDb();
  Silence s;
  s.id = NewSilenceId();
  s.matchers = {*MakeSilenceMatcher("alertname", "High.*", true, true),
                *MakeSilenceMatcher("cpu", "1", false, false)};
  s.starts_at_ms = 100;
  s.ends_at_ms = 200;
  s.updated_at_ms = 50;
  s.created_by = "ana";
  s.comment = "maint";
  ASSERT_TRUE(db->PutSilence(s).ok());
  s.comment = "extended";
  s.ends_at_ms = 300;
  ASSERT_TRUE(db->PutSilence(s).ok());  // replaces by id
  db.reset();
  db = OpenDb();
  Result<std::vector<Silence>> loaded = db->LoadSilences();
  ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
  ASSERT_EQ(loaded->size(), 1u);
  const Silence& got = (*loaded)[0];
  EXPECT_EQ(got.id, s.id);
  EXPECT_EQ(got.comment, "extended");
  EXPECT_EQ(got.ends_at_ms, 300);
  EXPECT_EQ(got.starts_at_ms, 100);
  EXPECT_EQ(got.updated_at_ms, 50);
  EXPECT_EQ(got.created_by, "ana");
  EXPECT_TRUE(got.Matches(Labels{{"alertname", "HighCpu"}, {"cpu", "0"}}));
  EXPECT_FALSE(got.Matches(Labels{{"alertname", "HighCpu"}, {"cpu", "1"}}));
  ASSERT_TRUE(db->DeleteSilence(s.id).ok());
  EXPECT_EQ(db->DeleteSilence(s.id).code(), Status::Code::kNotFound);
  EXPECT_TRUE(db->LoadSilences()->empty());
}

TEST_F(AlertDbTest, SharesTheFileWithTheBlockStore) {
  {
    Result<std::unique_ptr<BlockStore>> store = BlockStore::Open(path_);
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    auto db = OpenDb();
    ASSERT_TRUE(db->Save({{MakeAlert("00000000000000a1", AlertState::kFiring, 1)}, {}, {}}).ok());
  }
  // The block store still accepts the file with the alert tables in it.
  Result<std::unique_ptr<BlockStore>> store = BlockStore::Open(path_);
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  auto db = OpenDb();
  EXPECT_EQ(db->LoadAlerts()->size(), 1u);
}

TEST_F(AlertDbTest, RefusesFilesThatAreNotPerfwatchDatabases) {
  {
    std::ofstream(path_) << "this is not a database, just text that is long enough to matter....."
                            "..............................................................";
  }
  Result<std::unique_ptr<AlertDb>> garbage = AlertDb::Open(path_);
  ASSERT_FALSE(garbage.ok());
  EXPECT_NE(garbage.status().message().find(path_), std::string::npos);
  fs::remove(path_);

  sqlite3* other = nullptr;
  ASSERT_EQ(sqlite3_open(path_.c_str(), &other), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(other, "PRAGMA application_id = 42", nullptr, nullptr, nullptr),
            SQLITE_OK);
  sqlite3_close(other);
  Result<std::unique_ptr<AlertDb>> foreign = AlertDb::Open(path_);
  ASSERT_FALSE(foreign.ok());
  EXPECT_NE(foreign.status().message().find("not a perfwatch database"), std::string::npos)
      << foreign.status().message();
}

}  // namespace
}  // namespace perfwatch
