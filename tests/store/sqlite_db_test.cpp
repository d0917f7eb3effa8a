#include "store/sqlite_db.h"

#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace perfwatch {
namespace {

namespace fs = std::filesystem;

// A fresh folder per test under the gtest temp dir.
class SqliteDbTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    dir_ = fs::path(::testing::TempDir()) / "sqlite_db_test" / info->name();
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    path_ = (dir_ / "perfwatch.db").string();
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::unique_ptr<SqliteDb> OpenOrDie(const SqliteDbOptions& options = {}) {
    Result<std::unique_ptr<SqliteDb>> db = SqliteDb::Open(path_, "test db", options);
    EXPECT_TRUE(db.ok()) << db.status().message();
    return db.ok() ? std::move(*db) : nullptr;
  }

  // The one value of a one-row query.
  static std::string QueryText(SqliteDb& db, const std::string& sql) {
    Statement stmt = db.Prepare(sql, "query");
    Result<bool> row = stmt.Step();
    EXPECT_TRUE(row.ok()) << row.status().message();
    return row.ok() && *row ? stmt.ColText(0) : "<no row>";
  }

  fs::path dir_;
  std::string path_;
};

TEST_F(SqliteDbTest, CreatesAMissingFileInWalMode) {
  std::unique_ptr<SqliteDb> db = OpenOrDie();
  ASSERT_NE(db, nullptr);
  EXPECT_TRUE(fs::exists(path_));
  EXPECT_EQ(db->path(), path_);
  EXPECT_EQ(QueryText(*db, "PRAGMA journal_mode"), "wal");
  EXPECT_EQ(QueryText(*db, "PRAGMA synchronous"), "2");  // FULL
}

TEST_F(SqliteDbTest, RefusesAMissingFileWhenNotCreating) {
  Result<std::unique_ptr<SqliteDb>> db =
      SqliteDb::Open(path_, "test db", SqliteDbOptions{.create_if_missing = false});
  ASSERT_FALSE(db.ok());
  EXPECT_EQ(db.status().code(), Status::Code::kIOError);
  EXPECT_EQ(db.status().message().rfind(path_ + ": test db: open: ", 0), 0u)
      << db.status().message();
  EXPECT_FALSE(fs::exists(path_));
}

TEST_F(SqliteDbTest, RefusesAnotherApplicationsDatabase) {
  {
    std::unique_ptr<SqliteDb> db = OpenOrDie();
    ASSERT_NE(db, nullptr);
    ASSERT_TRUE(db->Exec("PRAGMA application_id = 1234; CREATE TABLE theirs(x)", "claim").ok());
  }
  Result<std::unique_ptr<SqliteDb>> db = SqliteDb::Open(path_, "test db");
  ASSERT_FALSE(db.ok());
  EXPECT_EQ(db.status().code(), Status::Code::kInvalidArgument);
  EXPECT_EQ(db.status().message(), path_ + ": not a perfwatch database (application_id 1234)");
}

TEST_F(SqliteDbTest, AcceptsThePerfwatchApplicationId) {
  {
    std::unique_ptr<SqliteDb> db = OpenOrDie();
    ASSERT_NE(db, nullptr);
    ASSERT_TRUE(
        db->Exec("PRAGMA application_id = " + std::to_string(kPerfwatchApplicationId), "claim")
            .ok());
  }
  std::unique_ptr<SqliteDb> db = OpenOrDie();
  ASSERT_NE(db, nullptr);
  EXPECT_EQ(QueryText(*db, "PRAGMA application_id"), std::to_string(kPerfwatchApplicationId));
}

TEST_F(SqliteDbTest, RefusesAFileThatIsNotSqlite) {
  std::ofstream(path_) << std::string(4096, 'x');
  Result<std::unique_ptr<SqliteDb>> db = SqliteDb::Open(path_, "test db");
  ASSERT_FALSE(db.ok());
  // SQLITE_NOTADB: a damaged or foreign file is Internal, not a retryable I/O error.
  EXPECT_EQ(db.status().code(), Status::Code::kInternal) << db.status().message();
  EXPECT_NE(db.status().message().find("test db: read application_id: "), std::string::npos)
      << db.status().message();
}

TEST_F(SqliteDbTest, TransactionRollsBackWhenTheBodyFails) {
  std::unique_ptr<SqliteDb> db = OpenOrDie();
  ASSERT_NE(db, nullptr);
  ASSERT_TRUE(db->Exec("CREATE TABLE t(x INTEGER PRIMARY KEY)", "create").ok());
  Status s = db->InTransaction([&] {
    if (Status st = db->Prepare("INSERT INTO t VALUES(?)", "insert 1").Int(1).Run(); !st.ok()) {
      return st;
    }
    return db->Prepare("INSERT INTO t VALUES(?)", "insert 1 again").Int(1).Run();
  });
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.code(), Status::Code::kInternal);  // SQLITE_CONSTRAINT
  EXPECT_EQ(s.message().rfind(path_ + ": test db: insert 1 again: UNIQUE constraint failed", 0), 0u)
      << s.message();
  EXPECT_EQ(QueryText(*db, "SELECT count(*) FROM t"), "0");

  ASSERT_TRUE(db->InTransaction([&] {
                  return db->Prepare("INSERT INTO t VALUES(?)", "insert 2").Int(2).Run();
                }).ok());
  EXPECT_EQ(QueryText(*db, "SELECT count(*) FROM t"), "1");
}

TEST_F(SqliteDbTest, NanAndAbsentBindAsNullAndReadBackAbsent) {
  std::unique_ptr<SqliteDb> db = OpenOrDie();
  ASSERT_NE(db, nullptr);
  ASSERT_TRUE(db->Exec("CREATE TABLE t(seq INTEGER, v REAL, s TEXT)", "create").ok());
  Statement insert = db->Prepare("INSERT INTO t VALUES(?,?,?)", "insert");
  ASSERT_TRUE(insert.Int(1).Real(std::nan("")).Text("nan").Run().ok());
  ASSERT_TRUE(insert.Int(2).Opt(std::nullopt).Text("absent").Run().ok());
  ASSERT_TRUE(insert.Int(3).Opt(2.5).Text("x").Run().ok());
  ASSERT_TRUE(insert.Int(4).Real(-1.25).Text(std::string("a\0b", 3)).Run().ok());

  Statement rows = db->Prepare("SELECT seq, v IS NULL, v, s FROM t ORDER BY seq", "read");
  std::vector<std::optional<double>> values;
  std::vector<std::string> texts;
  for (;;) {
    Result<bool> row = rows.Step();
    ASSERT_TRUE(row.ok()) << row.status().message();
    if (!*row) break;
    EXPECT_EQ(rows.ColInt(1) != 0, !rows.ColOpt(2).has_value());
    values.push_back(rows.ColOpt(2));
    texts.push_back(rows.ColText(3));
  }
  ASSERT_EQ(values.size(), 4u);
  EXPECT_FALSE(values[0].has_value());
  EXPECT_FALSE(values[1].has_value());
  EXPECT_EQ(values[2], 2.5);
  EXPECT_EQ(values[3], -1.25);
  EXPECT_EQ(texts[0], "nan");
  EXPECT_EQ(texts[3], std::string("a\0b", 3));  // bound by length, not up to a NUL
}

TEST_F(SqliteDbTest, MapsABadStatementToInternalOnItsFirstUse) {
  std::unique_ptr<SqliteDb> db = OpenOrDie();
  ASSERT_NE(db, nullptr);
  Statement stmt = db->Prepare("SELEC 1", "typo");
  EXPECT_EQ(stmt.status().code(), Status::Code::kInternal);
  Result<bool> row = stmt.Int(1).Step();
  ASSERT_FALSE(row.ok());
  EXPECT_EQ(row.status().code(), Status::Code::kInternal);
  EXPECT_EQ(row.status().message().rfind(path_ + ": test db: typo: ", 0), 0u)
      << row.status().message();
}

TEST_F(SqliteDbTest, MapsALockedFileToIOError) {
  std::unique_ptr<SqliteDb> writer = OpenOrDie();
  ASSERT_NE(writer, nullptr);
  std::unique_ptr<SqliteDb> other = OpenOrDie(SqliteDbOptions{.busy_timeout_ms = 0});
  ASSERT_NE(other, nullptr);
  ASSERT_TRUE(writer->Exec("BEGIN IMMEDIATE", "begin").ok());
  Status s = other->InTransaction([] { return Status::Ok(); });
  ASSERT_FALSE(s.ok());
  // SQLITE_BUSY: another writer, worth retrying; not a damaged file.
  EXPECT_EQ(s.code(), Status::Code::kIOError) << s.message();
  EXPECT_EQ(s.message().rfind(path_ + ": test db: begin: ", 0), 0u) << s.message();
  ASSERT_TRUE(writer->Exec("COMMIT", "commit").ok());
  EXPECT_TRUE(other->InTransaction([] { return Status::Ok(); }).ok());
}

TEST_F(SqliteDbTest, SnapshotReturnsWhatTheBodyReturned) {
  std::unique_ptr<SqliteDb> db = OpenOrDie();
  ASSERT_NE(db, nullptr);
  ASSERT_TRUE(db->Exec("CREATE TABLE t(x); INSERT INTO t VALUES(7)", "create").ok());
  Result<int64_t> x = db->InSnapshot([&]() -> Result<int64_t> {
    Statement stmt = db->Prepare("SELECT x FROM t", "read");
    Result<bool> row = stmt.Step();
    if (!row.ok()) return row.status();
    return stmt.ColInt(0);
  });
  ASSERT_TRUE(x.ok()) << x.status().message();
  EXPECT_EQ(*x, 7);
  // The read transaction ended: a write transaction can begin.
  EXPECT_TRUE(db->InTransaction([] { return Status::Ok(); }).ok());
}

}  // namespace
}  // namespace perfwatch
