#include "collect/proc_reader.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "collect/proc_text.h"
#include "test_support.h"

namespace perfwatch {
namespace {

TEST(ProcReader, ReadsAWholeFileLargerThanItsFirstBuffer) {
  std::string path = (std::filesystem::temp_directory_path() / "pw_reader_big.txt").string();
  std::string content;
  for (int i = 0; i < 20000; ++i) content += std::to_string(i) + '\n';
  std::ofstream(path, std::ios::binary) << content;
  ProcReader reader;
  Result<std::string_view> text = reader.Read(path);
  ASSERT_TRUE(text.ok());
  EXPECT_EQ(*text, content);
  std::filesystem::remove(path);
}

TEST(ProcReader, ReadsLiveProcFiles) {
  ProcReader reader;
  Result<std::string_view> text = reader.Read("/proc/self/stat");
  ASSERT_TRUE(text.ok()) << text.status().ToString();
  EXPECT_FALSE(text->empty());
}

TEST(ProcReader, MissingFileIsUnavailableAndADirectoryIsAnIOError) {
  ProcReader reader;
  Result<std::string_view> missing = reader.Read("/proc/no_such_file");
  EXPECT_EQ(missing.status().code(), Status::Code::kUnavailable);
  EXPECT_EQ(missing.status().message(), "/proc/no_such_file: No such file or directory");
  Result<std::string_view> dir = reader.Read(testing::FixturePath("tick1"));
  EXPECT_EQ(dir.status().code(), Status::Code::kIOError);
}

TEST(ProcText, ScansLinesAndFieldsWithoutCopying) {
  LineScanner lines("a 1\n\nb  2 3");
  std::string_view line;
  ASSERT_TRUE(lines.Next(line));
  EXPECT_EQ(line, "a 1");
  ASSERT_TRUE(lines.Next(line));
  EXPECT_EQ(line, "");
  ASSERT_TRUE(lines.Next(line));
  EXPECT_EQ(lines.number(), 3);
  FieldScanner fields(line);
  std::string_view f;
  ASSERT_TRUE(fields.Next(f));
  EXPECT_EQ(f, "b");
  uint64_t n = 0;
  ASSERT_TRUE(fields.NextNumber(n));
  EXPECT_EQ(n, 2u);
  EXPECT_TRUE(fields.Skip(1));
  EXPECT_FALSE(fields.Next(f));
  EXPECT_FALSE(lines.Next(line));
  EXPECT_FALSE(ParseNumber("12x", n));
  EXPECT_FALSE(ParseNumber("", n));
}

TEST(ProcText, PrefixPathKeepsTheCode) {
  Status s = PrefixPath("/proc/stat", LineError(3, "bad", "cpu x"));
  EXPECT_EQ(s.code(), Status::Code::kInvalidArgument);
  EXPECT_EQ(s.message(), "/proc/stat: line 3: bad: \"cpu x\"");
}

}  // namespace
}  // namespace perfwatch
