#pragma once
// A Store test double for route tests: answers with canned points or a
// canned error and remembers the last query, so a test can check how a
// route turned its parameters into a QueryRange.

#include <mutex>
#include <vector>

#include "store/store.h"

namespace perfwatch::apitest {

class FakeStore final : public Store {
 public:
  Status Commit(const Tick&) override { return Status::Ok(); }

  Result<std::vector<SeriesPoints>> Query(const std::vector<SeriesId>& ids,
                                          const QueryRange& range) const override {
    std::lock_guard lock(mu_);
    last_ids = ids;
    last_range = range;
    ++queries;
    if (!error.ok()) return error;
    std::vector<SeriesPoints> out;
    for (SeriesId id : ids) {
      SeriesPoints sp{id, {}};
      for (const Sample& s : points) {
        if (s.t_ms >= range.from_ms && s.t_ms <= range.to_ms) sp.points.push_back(s);
      }
      if (!sp.points.empty()) out.push_back(std::move(sp));
    }
    return out;
  }

  StoreStats Stats() const override { return {}; }

  // Every queried series answers with these points (those inside the range).
  std::vector<Sample> points;
  Status error;
  mutable std::vector<SeriesId> last_ids;
  mutable QueryRange last_range;
  mutable int queries = 0;

 private:
  mutable std::mutex mu_;
};

}  // namespace perfwatch::apitest
