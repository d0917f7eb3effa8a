// pw_embed_assets from the outside: what it refuses, and that its output
// depends on nothing but the files' names and bytes.

#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace perfwatch {
namespace {

namespace fs = std::filesystem;

struct ToolRun {
  int exit_code = -1;
  std::string output;  // stdout and stderr together
};

ToolRun RunTool(const fs::path& dist, const fs::path& out) {
  const std::string command =
      std::string(PERFWATCH_EMBED_TOOL) + " '" + dist.string() + "' '" + out.string() + "' 2>&1";
  ToolRun run;
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) return run;
  char buffer[4096];
  for (size_t n; (n = fread(buffer, 1, sizeof buffer, pipe)) > 0;) run.output.append(buffer, n);
  const int status = pclose(pipe);
  run.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return run;
}

void Write(const fs::path& path, const std::string& bytes) {
  fs::create_directories(path.parent_path());
  std::ofstream(path, std::ios::binary) << bytes;
}

std::string Read(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return std::move(s).str();
}

class EmbedAssetsTest : public ::testing::Test {
 protected:
  EmbedAssetsTest()
      : root_(fs::path(::testing::TempDir()) /
              ("embed_" + std::to_string(::getpid()) + "_" +
               ::testing::UnitTest::GetInstance()->current_test_info()->name())) {
    fs::remove_all(root_);
    Write(root_ / "dist/index.html",
          "<!doctype html><script type=module src=/assets/a.js></script>");
    Write(root_ / "dist/assets/a.js", "console.log(\"?\\\\\"\\0\");\n");
    Write(root_ / "dist/favicon.svg", "<svg xmlns=\"http://www.w3.org/2000/svg\"/>");
  }
  ~EmbedAssetsTest() override { fs::remove_all(root_); }

  fs::path root_;
};

TEST_F(EmbedAssetsTest, WritesOneTableEntryPerFileInPathOrder) {
  ToolRun run = RunTool(root_ / "dist", root_ / "out.cpp");
  ASSERT_EQ(run.exit_code, 0) << run.output;
  EXPECT_NE(run.output.find("3 files"), std::string::npos) << run.output;
  const std::string source = Read(root_ / "out.cpp");
  const size_t js = source.find("{\"/assets/a.js\", \"text/javascript; charset=utf-8\"");
  const size_t svg = source.find("{\"/favicon.svg\", \"image/svg+xml\"");
  const size_t html = source.find("{\"/index.html\", \"text/html; charset=utf-8\"");
  ASSERT_NE(js, std::string::npos) << source;
  ASSERT_NE(svg, std::string::npos);
  ASSERT_NE(html, std::string::npos);
  EXPECT_LT(js, svg);
  EXPECT_LT(svg, html);
  EXPECT_NE(source.find(", true},", js), std::string::npos);  // /assets/ is immutable
  EXPECT_FALSE(fs::exists(root_ / "out.cpp.tmp"));
}

TEST_F(EmbedAssetsTest, TheSameFilesGiveTheSameSourceWhateverTheirTimes) {
  ASSERT_EQ(RunTool(root_ / "dist", root_ / "first.cpp").exit_code, 0);
  fs::last_write_time(root_ / "dist/index.html",
                      fs::last_write_time(root_ / "dist/index.html") - std::chrono::hours(48));
  fs::copy(root_ / "dist", root_ / "elsewhere", fs::copy_options::recursive);
  ASSERT_EQ(RunTool(root_ / "elsewhere", root_ / "second.cpp").exit_code, 0);
  EXPECT_EQ(Read(root_ / "first.cpp"), Read(root_ / "second.cpp"));
  Write(root_ / "dist/index.html", "<!doctype html><p>changed</p>");
  ASSERT_EQ(RunTool(root_ / "dist", root_ / "third.cpp").exit_code, 0);
  EXPECT_NE(Read(root_ / "first.cpp"), Read(root_ / "third.cpp"));
}

TEST_F(EmbedAssetsTest, RefusesAFileOfUnknownTypeNamingIt) {
  Write(root_ / "dist/assets/a.js.map", "{}");
  ToolRun run = RunTool(root_ / "dist", root_ / "out.cpp");
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_NE(run.output.find("assets/a.js.map: unknown extension '.map'"), std::string::npos)
      << run.output;
  EXPECT_FALSE(fs::exists(root_ / "out.cpp"));
}

TEST_F(EmbedAssetsTest, RefusesADistWithoutIndexHtml) {
  fs::remove(root_ / "dist/index.html");
  ToolRun run = RunTool(root_ / "dist", root_ / "out.cpp");
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_NE(run.output.find("has no index.html"), std::string::npos) << run.output;
}

TEST_F(EmbedAssetsTest, RefusesNamesThatWouldNeedEscaping) {
  Write(root_ / "dist/a b.js", "");
  ToolRun run = RunTool(root_ / "dist", root_ / "out.cpp");
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_NE(run.output.find("a b.js: file names may use only"), std::string::npos) << run.output;
}

TEST_F(EmbedAssetsTest, RefusesSymlinksAndAMissingDist) {
  fs::create_symlink("/etc/passwd", root_ / "dist/passwd.txt");
  ToolRun link = RunTool(root_ / "dist", root_ / "out.cpp");
  EXPECT_EQ(link.exit_code, 1);
  EXPECT_NE(link.output.find("passwd.txt: not a regular file"), std::string::npos) << link.output;
  ToolRun missing = RunTool(root_ / "nothing", root_ / "out.cpp");
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_NE(missing.output.find("is not a directory"), std::string::npos) << missing.output;
}

}  // namespace
}  // namespace perfwatch
