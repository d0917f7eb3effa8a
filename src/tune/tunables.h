#pragma once
// TunableRegistry: the tunables applications declared, in memory and in
// TuningDb. Registration is idempotent (the C++ client re-registers every
// few seconds as its heartbeat and after perfwatch restarts); a
// re-registration with a different value records what the application
// reports as "registered" in the history.
//
// Thread-safe: every method under one mutex; `db` must outlive it.

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "model/status.h"
#include "tune/tunable.h"
#include "tune/tuning_db.h"

namespace perfwatch {

class TunableRegistry {
 public:
  // Loads what the database holds.
  static Result<std::unique_ptr<TunableRegistry>> Open(TuningDb& db);

  // Validates and stores; refuses beyond kMaxTunablesPerApp/kMaxTunables
  // (kResourceExhausted-style message naming the limit). Returns the
  // stored tunable.
  Result<Tunable> Register(const TunableSpec& spec, TimestampMs now_ms);

  std::optional<Tunable> Get(std::string_view app, std::string_view name) const;
  // Sorted by app then name; app "" = all.
  std::vector<Tunable> List(std::string_view app = "") const;
  // Apps that declared tunable `name` ("" = any tunable), sorted.
  std::vector<std::string> AppsWith(std::string_view name) const;
  // Apps that declared hook `hook`, sorted, with the webhook to call.
  std::vector<std::pair<std::string, std::string>> AppsWithHook(std::string_view hook) const;

  // Records the outcome of a change: "applied"/"rolled_back" also make
  // `change.value` the tunable's value; other outcomes only append to its
  // history. Unknown tunable: kNotFound.
  Status RecordChange(std::string_view app, std::string_view name, const TunableChange& change);

 private:
  explicit TunableRegistry(TuningDb& db);
  // The helpers below require mu_ held.
  std::vector<Tunable>::iterator Find(std::string_view app, std::string_view name);
  Status CheckRoomFor(std::string_view app) const;
  Result<Tunable> AddLocked(const TunableSpec& spec, TimestampMs now_ms);

  TuningDb& db_;
  mutable std::mutex mu_;
  std::vector<Tunable> tunables_;  // protected by mu_, sorted by (app, name)
  // seen_ms as last written to db_, per (app, name): protected by mu_.
  std::map<std::pair<std::string, std::string>, TimestampMs> written_seen_ms_;
};

}  // namespace perfwatch
