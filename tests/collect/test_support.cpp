#include "test_support.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <sstream>

namespace perfwatch::testing {

std::optional<double> RecordingAppender::Get(std::string_view name, std::string_view labels) const {
  for (const RecordedSample& s : samples) {
    if (s.name == name && s.labels.ToString() == labels) return s.value;
  }
  return std::nullopt;
}

size_t RecordingAppender::Count(std::string_view name) const {
  size_t n = 0;
  for (const RecordedSample& s : samples) n += s.name == name;
  return n;
}

const MetricMeta* RecordingAppender::Meta(std::string_view name) const {
  for (const MetricMeta& m : metas) {
    if (m.name == name) return &m;
  }
  return nullptr;
}

std::string FixturePath(std::string_view relative) {
  return std::string(PERFWATCH_TEST_DATA) + "/collect/" + std::string(relative);
}

std::string ReadFixture(std::string_view relative) {
  std::ifstream in(FixturePath(relative), std::ios::binary);
  EXPECT_TRUE(in.good()) << FixturePath(relative);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

HostPaths FixtureHost(std::string_view fixture) {
  HostPaths p;
  p.procfs = FixturePath(std::string(fixture) + "/proc");
  p.sysfs = FixturePath(std::string(fixture) + "/sys");
  return p;
}

SwitchableProc::SwitchableProc() {
  std::string templ = (std::filesystem::temp_directory_path() / "pw_collect_XXXXXX").string();
  char* made = ::mkdtemp(templ.data());
  EXPECT_NE(made, nullptr);
  dir_ = templ;
}

SwitchableProc::~SwitchableProc() { std::filesystem::remove_all(dir_); }

void SwitchableProc::PointAt(std::string_view fixture) {
  namespace fs = std::filesystem;
  fs::path from = FixturePath(std::string(fixture) + "/proc");
  fs::path to = fs::path(dir_) / "proc";
  fs::create_directories(to);
  std::vector<fs::path> stale;
  for (const fs::directory_entry& e : fs::recursive_directory_iterator(to)) {
    if (!fs::exists(from / fs::relative(e.path(), to))) stale.push_back(e.path());
  }
  for (const fs::path& p : stale) fs::remove_all(p);
  for (const fs::directory_entry& e : fs::recursive_directory_iterator(from)) {
    fs::path target = to / fs::relative(e.path(), from);
    if (e.is_directory()) {
      fs::create_directories(target);
    } else {
      std::ifstream in(e.path(), std::ios::binary);
      std::ofstream out(target, std::ios::binary | std::ios::trunc);
      out << in.rdbuf();
    }
  }
}

HostPaths SwitchableProc::host() const {
  HostPaths p;
  p.procfs = dir_ + "/proc";
  return p;
}

}  // namespace perfwatch::testing
