#pragma once
// SeriesCache keeps per-key state between ticks (cached Labels, previous
// counters) for keys that come and go: interfaces, disks, mountpoints, PIDs.
// A tick builds no Labels for a key it has seen before, and Sweep drops keys
// not seen this tick, so memory stays bounded when keys churn (veth pairs,
// short-lived PIDs). One thread at a time; references returned by Get stay
// valid until the Sweep that drops their entry.

#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>

namespace perfwatch {

template <typename Entry>
class SeriesCache {
 public:
  // The entry for `key`, made by make() the first time; marks it seen.
  template <typename MakeEntry>
  Entry& Get(std::string_view key, MakeEntry&& make) {
    auto it = map_.find(key);
    if (it == map_.end()) it = map_.emplace(std::string(key), Slot{make(), false}).first;
    it->second.seen = true;
    return it->second.entry;
  }

  // Drops entries not passed to Get since the previous Sweep.
  void Sweep() {
    for (auto it = map_.begin(); it != map_.end();) {
      if (it->second.seen) {
        it->second.seen = false;
        ++it;
      } else {
        it = map_.erase(it);
      }
    }
  }

  size_t size() const { return map_.size(); }

 private:
  struct Slot {
    Entry entry;
    bool seen;
  };
  struct Hash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  std::unordered_map<std::string, Slot, Hash, std::equal_to<>> map_;
};

}  // namespace perfwatch
