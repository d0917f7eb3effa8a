#pragma once
// Helpers shared by the collect tests: an Appender that records samples, and
// paths to the fixture trees under tests/data/collect.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "collect/collector.h"
#include "model/appender.h"
#include "model/labels.h"
#include "model/metric.h"

namespace perfwatch::testing {

struct RecordedSample {
  std::string name;
  Labels labels;
  double value;
};

// Records everything appended, in order.
class RecordingAppender final : public Appender {
 public:
  void Describe(const MetricMeta& meta) override { metas.push_back(meta); }
  Status Append(std::string_view name, const Labels& labels, double value) override {
    samples.push_back(RecordedSample{std::string(name), labels, value});
    return Status::Ok();
  }

  // The value of name{labels}, labels written as Labels::ToString() does
  // ({cpu="0",mode="user"}, "" for none); nullopt when not appended.
  std::optional<double> Get(std::string_view name, std::string_view labels = "") const;
  // How many samples of metric `name` were appended.
  size_t Count(std::string_view name) const;
  const MetricMeta* Meta(std::string_view name) const;

  std::vector<MetricMeta> metas;
  std::vector<RecordedSample> samples;
};

// tests/data/collect/<relative>
std::string FixturePath(std::string_view relative);
// The text of tests/data/collect/<relative>; fails the test when unreadable.
std::string ReadFixture(std::string_view relative);
// HostPaths whose procfs is tests/data/collect/<fixture>/proc.
HostPaths FixtureHost(std::string_view fixture);

// A temporary "proc" directory that a test fills from one fixture tree, then
// another (tick1 → tick2), to feed a collector two snapshots through the
// same paths. Files are rewritten in place (same inode), as procfs files
// change under a descriptor a collector keeps open; files the new fixture
// lacks are removed (a process that exited). Removed on destruction.
class SwitchableProc {
 public:
  SwitchableProc();
  ~SwitchableProc();
  SwitchableProc(const SwitchableProc&) = delete;
  SwitchableProc& operator=(const SwitchableProc&) = delete;

  void PointAt(std::string_view fixture);  // e.g. "tick1"
  HostPaths host() const;

 private:
  std::string dir_;
};

}  // namespace perfwatch::testing
