#include "store/block_store.h"

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>
#include <string>
#include <tuple>
#include <vector>

namespace perfwatch {
namespace {

namespace fs = std::filesystem;

// A fresh folder per test under the gtest temp dir.
class BlockStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    dir_ = fs::path(::testing::TempDir()) / "block_store_test" / info->name();
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    path_ = (dir_ / "perfwatch.db").string();
  }

  std::unique_ptr<BlockStore> OpenStore(const BlockStoreOptions& options = {}) {
    Result<std::unique_ptr<BlockStore>> store = BlockStore::Open(path_, options);
    EXPECT_TRUE(store.ok()) << store.status().ToString();
    return store.ok() ? std::move(store).value() : nullptr;
  }

  fs::path dir_;
  std::string path_;
};

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

void WriteFile(const std::string& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary | std::ios::trunc) << bytes;
}

std::string RandomBytes(size_t n, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::string out(n, '\0');
  for (char& c : out) c = static_cast<char>(rng());
  return out;
}

BlockWrite Block(int64_t series, Tier tier, TimestampMs start, TimestampMs end,
                 const std::string& data) {
  return {series,
          tier,
          start,
          end,
          static_cast<uint32_t>((end - start) / 1000 + 1),
          BlockKind::kSamples,
          data};
}

std::vector<TimestampMs> Starts(const std::vector<BlockRef>& blocks) {
  std::vector<TimestampMs> out;
  for (const BlockRef& b : blocks) out.push_back(b.start_ms);
  return out;
}

TEST_F(BlockStoreTest, CreatesAnIntactDatabaseFile) {
  auto store = OpenStore();
  ASSERT_NE(store, nullptr);
  EXPECT_TRUE(fs::exists(path_));
  EXPECT_TRUE(store->CheckIntegrity().ok());
  EXPECT_GT(*store->FileBytes(), 0u);
  EXPECT_EQ(*store->Usage(Tier::kRaw), TierUsage{});
}

TEST_F(BlockStoreTest, SeriesKeepTheirIdsAndMetadataAcrossReopen) {
  int64_t cpu = 0;
  int64_t mem = 0;
  {
    auto store = OpenStore();
    cpu = *store->PutSeries("system_cpu_seconds_total", R"({cpu="0",mode="user"})",
                            {"", MetricKind::kCounter, "CPU time", "seconds"});
    mem = *store->PutSeries("system_memory_used_bytes", "", {"", MetricKind::kGauge, "", "bytes"});
    EXPECT_NE(cpu, mem);
    EXPECT_EQ(*store->PutSeries("system_cpu_seconds_total", R"({cpu="0",mode="user"})",
                                {"", MetricKind::kCounter, "CPU time", "seconds"}),
              cpu);
  }
  auto store = OpenStore();
  Result<std::vector<StoredSeries>> series = store->LoadSeries();
  ASSERT_TRUE(series.ok()) << series.status().ToString();
  ASSERT_EQ(series->size(), 2u);
  EXPECT_EQ((*series)[0].id, cpu);
  EXPECT_EQ((*series)[0].name, "system_cpu_seconds_total");
  EXPECT_EQ((*series)[0].labels, R"({cpu="0",mode="user"})");
  EXPECT_EQ((*series)[0].kind, MetricKind::kCounter);
  EXPECT_EQ((*series)[0].help, "CPU time");
  EXPECT_EQ((*series)[0].unit, "seconds");
  EXPECT_EQ((*series)[1].id, mem);
  EXPECT_EQ((*series)[1].labels, "");
  EXPECT_EQ(*store->PutSeries("system_memory_used_bytes", "", {}), mem);
}

TEST_F(BlockStoreTest, PutSeriesReplacesTheMetadata) {
  auto store = OpenStore();
  const int64_t id = *store->PutSeries("x", "", {"", MetricKind::kGauge, "old", ""});
  EXPECT_EQ(*store->PutSeries("x", "", {"", MetricKind::kCounter, "new", "bytes"}), id);
  const StoredSeries s = store->LoadSeries()->at(0);
  EXPECT_EQ(s.kind, MetricKind::kCounter);
  EXPECT_EQ(s.help, "new");
  EXPECT_EQ(s.unit, "bytes");
}

TEST_F(BlockStoreTest, ReturnsTheBlocksOverlappingARangeInTimeOrder) {
  auto store = OpenStore();
  const std::string a = RandomBytes(100, 1);
  const std::string b = RandomBytes(5000, 2);  // larger than a page
  const std::string c = RandomBytes(10, 3);
  const std::vector<BlockWrite> writes = {
      Block(1, Tier::kRaw, 20'000, 29'000, b), Block(1, Tier::kRaw, 10'000, 19'000, a),
      Block(1, Tier::kRaw, 30'000, 39'000, c), Block(2, Tier::kRaw, 10'000, 19'000, c),
      Block(1, Tier::kMinute, 0, 60'000, c)};
  ASSERT_TRUE(store->PutBlocks(writes).ok());

  Result<std::vector<BlockRef>> all = store->Blocks(1, Tier::kRaw, 0, 100'000);
  ASSERT_TRUE(all.ok()) << all.status().ToString();
  EXPECT_EQ(Starts(*all), (std::vector<TimestampMs>{10'000, 20'000, 30'000}));
  EXPECT_EQ((*all)[0].data, a);
  EXPECT_EQ((*all)[1].data, b);
  EXPECT_EQ((*all)[1].end_ms, 29'000);
  EXPECT_EQ((*all)[1].count, 10u);
  EXPECT_EQ((*all)[1].kind, BlockKind::kSamples);
  // Both ends inclusive.
  EXPECT_EQ(Starts(*store->Blocks(1, Tier::kRaw, 19'000, 20'000)),
            (std::vector<TimestampMs>{10'000, 20'000}));
  EXPECT_EQ(Starts(*store->Blocks(1, Tier::kRaw, 29'500, 29'900)), std::vector<TimestampMs>{});
  EXPECT_EQ(Starts(*store->Blocks(1, Tier::kRaw, 39'000, 50'000)),
            std::vector<TimestampMs>{30'000});
  EXPECT_EQ(store->Blocks(2, Tier::kRaw, 0, 100'000)->size(), 1u);
  EXPECT_EQ(store->Blocks(1, Tier::kMinute, 0, 100'000)->size(), 1u);
  EXPECT_EQ(store->Blocks(3, Tier::kRaw, 0, 100'000)->size(), 0u);
}

TEST_F(BlockStoreTest, ABlockWithTheSameKeyReplacesTheStoredOne) {
  auto store = OpenStore();
  ASSERT_TRUE(store->PutBlocks({{Block(1, Tier::kRaw, 0, 9'000, "old")}}).ok());
  ASSERT_TRUE(store->PutBlocks({{Block(1, Tier::kRaw, 0, 9'000, "newer")}}).ok());
  const auto blocks = *store->Blocks(1, Tier::kRaw, 0, 10'000);
  ASSERT_EQ(blocks.size(), 1u);
  EXPECT_EQ(blocks[0].data, "newer");
}

TEST_F(BlockStoreTest, UsageCountsBlocksPointsAndBytesPerTier) {
  auto store = OpenStore();
  ASSERT_TRUE(store
                  ->PutBlocks({{Block(1, Tier::kRaw, 0, 9'000, std::string(100, 'a')),
                                Block(2, Tier::kRaw, 0, 19'000, std::string(50, 'b')),
                                Block(2, Tier::kHour, 0, 0, std::string(7, 'c'))}})
                  .ok());
  EXPECT_EQ(*store->Usage(Tier::kRaw), (TierUsage{2, 30, 150}));
  EXPECT_EQ(*store->Usage(Tier::kHour), (TierUsage{1, 1, 7}));
  EXPECT_EQ(*store->Usage(Tier::kMinute), TierUsage{});
}

// Blocks' lookups start a day before the range (no block spans more), so a
// block a day long is found from its last millisecond, and a longer one is
// refused when written.
TEST_F(BlockStoreTest, BlocksSpanLessThanADayAndAreFoundFromTheirLastMillisecond) {
  auto store = OpenStore();
  constexpr int64_t kDay = 86'400'000;
  ASSERT_TRUE(store->PutBlocks({{Block(1, Tier::kHour, kDay, 2 * kDay - 1, "h")}}).ok());
  EXPECT_EQ(Starts(*store->Blocks(1, Tier::kHour, 2 * kDay - 1, 3 * kDay)),
            std::vector<TimestampMs>{kDay});
  EXPECT_TRUE(store->Blocks(1, Tier::kHour, 2 * kDay, 3 * kDay)->empty());
  Status s = store->PutBlocks({{Block(1, Tier::kHour, 3 * kDay, 4 * kDay, "x")}});
  EXPECT_EQ(s.code(), Status::Code::kInvalidArgument) << s.ToString();
  EXPECT_EQ(store->Usage(Tier::kHour)->blocks, 1u);
}

TEST_F(BlockStoreTest, ListsEveryBlockWithoutItsBytes) {
  auto store = OpenStore();
  ASSERT_TRUE(store
                  ->PutBlocks({{Block(1, Tier::kRaw, 0, 9'000, "aa"),
                                Block(2, Tier::kRaw, 5'000, 14'000, "c"),
                                Block(1, Tier::kMinute, 0, 60'000, "ddd")}})
                  .ok());
  Result<std::vector<BlockInfo>> blocks = store->ListBlocks();
  ASSERT_TRUE(blocks.ok()) << blocks.status().ToString();
  ASSERT_EQ(blocks->size(), 3u);
  std::sort(blocks->begin(), blocks->end(), [](const BlockInfo& a, const BlockInfo& b) {
    return std::tie(a.tier, a.series) < std::tie(b.tier, b.series);
  });
  const BlockInfo& minute = (*blocks)[2];
  EXPECT_EQ(minute.series, 1);
  EXPECT_EQ(minute.tier, Tier::kMinute);
  EXPECT_EQ(minute.start_ms, 0);
  EXPECT_EQ(minute.end_ms, 60'000);
  EXPECT_EQ(minute.bytes, 3u);
  EXPECT_EQ(minute.samples, 61u);  // Block() counts one point a second
  EXPECT_EQ((*blocks)[1].series, 2);
  EXPECT_EQ((*blocks)[1].bytes, 1u);
}

TEST_F(BlockStoreTest, DeletesExactlyTheBlocksNamedInOneTransaction) {
  auto store = OpenStore();
  ASSERT_TRUE(
      store
          ->PutBlocks(
              {{Block(1, Tier::kRaw, 0, 9'000, "aa"), Block(1, Tier::kRaw, 10'000, 19'000, "bbb"),
                Block(2, Tier::kRaw, 5'000, 14'000, "c"), Block(1, Tier::kMinute, 0, 0, "d")}})
          .ok());
  BlockInfo first{.series = 1, .tier = Tier::kRaw, .start_ms = 0};
  BlockInfo absent{.series = 7, .tier = Tier::kRaw, .start_ms = 0};
  BlockInfo minute{.series = 1, .tier = Tier::kMinute, .start_ms = 0};
  Result<RemovedBlocks> removed = store->DeleteBlocks(std::vector{first, absent, minute});
  ASSERT_TRUE(removed.ok()) << removed.status().ToString();
  EXPECT_EQ(*removed, (RemovedBlocks{2, 11, 3}));  // what was stored, not what was asked
  EXPECT_EQ(Starts(*store->Blocks(1, Tier::kRaw, 0, 100'000)), std::vector<TimestampMs>{10'000});
  EXPECT_EQ(store->Blocks(2, Tier::kRaw, 0, 100'000)->size(), 1u);
  EXPECT_EQ(store->Usage(Tier::kMinute)->blocks, 0u);
}

TEST_F(BlockStoreTest, ReclaimGivesFreedPagesBack) {
  auto store = OpenStore();
  std::vector<std::string> data;
  for (int i = 0; i < 200; ++i) data.push_back(RandomBytes(3000, i));
  std::vector<BlockWrite> writes;
  for (int i = 0; i < 200; ++i)
    writes.push_back(Block(1, Tier::kRaw, i * 10'000, i * 10'000 + 9'000, data[i]));
  ASSERT_TRUE(store->PutBlocks(writes).ok());
  const uint64_t full = *store->FileBytes();
  EXPECT_GT(full, 600'000u);
  std::vector<BlockInfo> old;
  Result<std::vector<BlockInfo>> all = store->ListBlocks();
  ASSERT_TRUE(all.ok());
  for (const BlockInfo& b : *all) {
    if (b.end_ms < 1'800'000) old.push_back(b);
  }
  ASSERT_EQ(store->DeleteBlocks(old)->blocks, 180u);
  ASSERT_TRUE(store->Reclaim().ok());
  EXPECT_LT(*store->FileBytes(), full / 4);
  EXPECT_TRUE(store->CheckIntegrity().ok());
  EXPECT_EQ(store->Blocks(1, Tier::kRaw, 0, 10'000'000)->size(), 20u);
}

// 3,000-byte blocks fill a 4 KiB page only two-thirds; written in arrival
// order, the 1,000-byte ones would take pages of their own.
TEST_F(BlockStoreTest, PacksABatchIntoFewPages) {
  auto store = OpenStore();
  const uint64_t empty = *store->FileBytes();
  std::vector<std::string> data;
  for (int i = 0; i < 100; ++i) data.push_back(RandomBytes(i < 50 ? 3000 : 1000, i));
  std::vector<BlockWrite> writes;
  for (int i = 0; i < 100; ++i) writes.push_back(Block(i, Tier::kRaw, 0, 0, data[i]));
  ASSERT_TRUE(store->PutBlocks(writes).ok());
  const uint64_t pages = (*store->FileBytes() - empty) / 4096;
  EXPECT_LE(pages, 53u) << "in arrival order the batch takes 61 pages";
  EXPECT_EQ(store->Blocks(99, Tier::kRaw, 0, 0)->at(0).data, data[99]);
}

// A write that does not fit fails whole: nothing of its batch is stored,
// what was stored before is intact, and later writes that fit succeed.
TEST_F(BlockStoreTest, AFullDiskFailsTheWholeBatchAndKeepsEarlierBlocks) {
  auto store = OpenStore({.max_file_bytes = 256 * 1024});
  const std::string small = RandomBytes(2000, 1);
  ASSERT_TRUE(store->PutBlocks({{Block(1, Tier::kRaw, 0, 9'000, small)}}).ok());
  const TierUsage before = *store->Usage(Tier::kRaw);

  std::vector<std::string> data;
  for (int i = 0; i < 100; ++i) data.push_back(RandomBytes(4000, 100 + i));
  std::vector<BlockWrite> batch;
  for (int i = 0; i < 100; ++i)
    batch.push_back(Block(2, Tier::kRaw, i * 10'000, i * 10'000, data[i]));
  const Status full = store->PutBlocks(batch);
  EXPECT_EQ(full.code(), Status::Code::kIOError) << full.ToString();
  EXPECT_NE(full.message().find(path_), std::string::npos) << full.message();
  EXPECT_NE(full.message().find("full"), std::string::npos) << full.message();
  EXPECT_FALSE(BlockStore::LooksCorrupt(full));

  EXPECT_EQ(*store->Usage(Tier::kRaw), before);
  EXPECT_EQ(store->Blocks(1, Tier::kRaw, 0, 9'000)->at(0).data, small);
  EXPECT_TRUE(store->CheckIntegrity().ok());
  ASSERT_TRUE(store->PutBlocks({{Block(3, Tier::kRaw, 0, 0, small)}}).ok());
  store.reset();
  auto reopened = OpenStore();
  EXPECT_EQ(reopened->Usage(Tier::kRaw)->blocks, 2u);
}

TEST_F(BlockStoreTest, AReaderSeesCommittedBlocksAndCannotWrite) {
  auto writer = OpenStore();
  const int64_t id = *writer->PutSeries("x", "", {});
  ASSERT_TRUE(writer->PutBlocks({{Block(id, Tier::kRaw, 0, 9'000, "abc")}}).ok());
  Result<std::unique_ptr<BlockStore>> reader = BlockStore::OpenReadOnly(path_);
  ASSERT_TRUE(reader.ok()) << reader.status().ToString();
  EXPECT_EQ((*reader)->LoadSeries()->size(), 1u);
  ASSERT_TRUE(writer->PutBlocks({{Block(id, Tier::kRaw, 10'000, 19'000, "def")}}).ok());
  EXPECT_EQ((*reader)->Blocks(id, Tier::kRaw, 0, 100'000)->size(), 2u);
  EXPECT_EQ((*reader)->PutBlocks({{Block(id, Tier::kRaw, 20'000, 29'000, "g")}}).code(),
            Status::Code::kIOError);
}

TEST_F(BlockStoreTest, AReaderOfAnEmptyFileWaitsForTheWriter) {
  WriteFile(path_, "");
  Result<std::unique_ptr<BlockStore>> reader = BlockStore::OpenReadOnly(path_);
  ASSERT_FALSE(reader.ok());
  EXPECT_EQ(reader.status().code(), Status::Code::kUnavailable) << reader.status().ToString();
  auto writer = OpenStore();
  EXPECT_TRUE(BlockStore::OpenReadOnly(path_).ok());
}

TEST_F(BlockStoreTest, MetaValuesAndTheNewestBlockEndSurviveReopen) {
  {
    auto store = OpenStore();
    EXPECT_EQ(*store->GetMeta("sealed_until"), "");
    EXPECT_EQ(*store->NewestEnd(Tier::kRaw), 0);
    ASSERT_TRUE(store->PutMeta("sealed_until", "7200000").ok());
    ASSERT_TRUE(store
                    ->PutBlocks({{Block(1, Tier::kRaw, 0, 9'000, "a"),
                                  Block(2, Tier::kRaw, 10'000, 19'000, "b"),
                                  Block(1, Tier::kMinute, 0, 60'000, "c")}})
                    .ok());
  }
  auto store = OpenStore();
  EXPECT_EQ(*store->GetMeta("sealed_until"), "7200000");
  EXPECT_EQ(*store->NewestEnd(Tier::kRaw), 19'000);
  EXPECT_EQ(*store->NewestEnd(Tier::kMinute), 60'000);
  EXPECT_EQ(*store->NewestEnd(Tier::kHour), 0);
}

void ExpectCorruptAndUntouched(const std::string& path, const std::string& bytes) {
  WriteFile(path, bytes);
  Result<std::unique_ptr<BlockStore>> store = BlockStore::Open(path);
  ASSERT_FALSE(store.ok());
  const Status& s = store.status();
  EXPECT_TRUE(BlockStore::LooksCorrupt(s)) << s.ToString();
  EXPECT_EQ(s.code(), Status::Code::kIOError);
  EXPECT_NE(s.message().find(path + " is corrupt"), std::string::npos) << s.message();
  EXPECT_NE(s.message().find("--reset-corrupt-db"), std::string::npos) << s.message();
  EXPECT_EQ(ReadFile(path), bytes) << s.message();
}

TEST_F(BlockStoreTest, AGarbageFileIsReportedCorruptAndLeftUntouched) {
  ExpectCorruptAndUntouched(path_, RandomBytes(8192, 9));
  ExpectCorruptAndUntouched(path_, "hello");
}

// A store with a few hundred KiB of blocks, closed: the file to damage.
std::string WrittenDatabase(const std::string& path) {
  auto store = BlockStore::Open(path).value();
  const int64_t id = *store->PutSeries("x", "", {});
  std::vector<std::string> data;
  for (int i = 0; i < 100; ++i) data.push_back(RandomBytes(3000, i));
  std::vector<BlockWrite> writes;
  for (int i = 0; i < 100; ++i)
    writes.push_back(Block(id, Tier::kRaw, i * 10'000, i * 10'000, data[i]));
  EXPECT_TRUE(store->PutBlocks(writes).ok());
  store.reset();
  EXPECT_FALSE(fs::exists(path + "-wal"));  // the last close checkpointed it
  return ReadFile(path);
}

TEST_F(BlockStoreTest, ATruncatedDatabaseIsReportedCorruptAndLeftUntouched) {
  const std::string whole = WrittenDatabase(path_);
  ASSERT_GT(whole.size(), 100'000u);
  ExpectCorruptAndUntouched(path_, whole.substr(0, whole.size() / 2));    // whole pages
  ExpectCorruptAndUntouched(path_, whole.substr(0, whole.size() - 100));  // a partial page
  ExpectCorruptAndUntouched(path_, whole.substr(0, 50));
}

TEST_F(BlockStoreTest, DamagedPagesAreReportedCorruptAndLeftUntouched) {
  std::string damaged = WrittenDatabase(path_);
  // Page 2 onwards: b-tree pages of the schema's tables and indexes.
  const std::string noise = RandomBytes(4096 * 3, 10);
  damaged.replace(4096, noise.size(), noise);
  ExpectCorruptAndUntouched(path_, damaged);
}

TEST_F(BlockStoreTest, ADatabaseOfAnotherApplicationIsNotTaken) {
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path_.c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db, "CREATE TABLE songs(title TEXT)", nullptr, nullptr, nullptr),
            SQLITE_OK);
  sqlite3_close(db);
  ExpectCorruptAndUntouched(path_, ReadFile(path_));
}

TEST_F(BlockStoreTest, MoveAsideRenamesTheFileAndItsWalSoTheNextOpenStartsAfresh) {
  WriteFile(path_, "garbage");
  WriteFile(path_ + "-wal", "old wal");
  Result<std::string> aside = BlockStore::MoveAside(path_);
  ASSERT_TRUE(aside.ok()) << aside.status().ToString();
  EXPECT_NE(aside->find("perfwatch.db.corrupt-"), std::string::npos) << *aside;
  EXPECT_EQ(ReadFile(*aside), "garbage");
  EXPECT_EQ(ReadFile(*aside + "-wal"), "old wal");
  EXPECT_FALSE(fs::exists(path_));
  EXPECT_FALSE(fs::exists(path_ + "-wal"));

  WriteFile(path_, "more garbage");
  Result<std::string> second = BlockStore::MoveAside(path_);
  ASSERT_TRUE(second.ok());
  EXPECT_NE(*second, *aside);

  auto store = OpenStore();
  ASSERT_NE(store, nullptr);
  EXPECT_TRUE(store->LoadSeries()->empty());
}

TEST_F(BlockStoreTest, AMissingFolderIsAnIOErrorNotCorruption) {
  Result<std::unique_ptr<BlockStore>> store =
      BlockStore::Open((dir_ / "missing" / "perfwatch.db").string());
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.status().code(), Status::Code::kIOError);
  EXPECT_FALSE(BlockStore::LooksCorrupt(store.status()));
}

TEST_F(BlockStoreTest, AnEmptyFileIsANewDatabase) {
  WriteFile(path_, "");
  auto store = OpenStore();
  ASSERT_NE(store, nullptr);
  EXPECT_TRUE(store->PutSeries("x", "", {}).ok());
}

}  // namespace
}  // namespace perfwatch
