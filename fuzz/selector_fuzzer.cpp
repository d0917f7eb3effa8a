// SeriesSelector::Parse on arbitrary text. A selector that parses must match
// (or not) every series without crashing, and Select must agree with Matches.

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "model/registry.h"
#include "model/selector.h"

namespace {

using perfwatch::Labels;
using perfwatch::SeriesKey;
using perfwatch::SeriesRegistry;
using perfwatch::SeriesSelector;

// Trusted label literals: the registry does not validate them.
const SeriesKey kKeys[] = {
    {"system_cpu_usage_percent", Labels{{"cpu", "0"}, {"mode", "user"}}},
    {"system_memory_used_percent", Labels{}},
    {"net_received_bytes_total", Labels{{"device", "eth0"}, {"note", "a \"b\"\n\\c"}}},
    {"up", Labels{{"job", "node"}, {"__name__", "shadowed"}}},
};

const SeriesRegistry& Registry() {
  static SeriesRegistry* registry = [] {
    auto* r = new SeriesRegistry();
    for (const SeriesKey& key : kKeys) (void)r->Intern(key.name, key.labels);
    return r;
  }();
  return *registry;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto selector = SeriesSelector::Parse(text);
  if (!selector.ok()) {
    if (selector.status().message().empty()) __builtin_trap();
    return 0;
  }
  const SeriesRegistry& registry = Registry();
  size_t matches = 0;
  for (const SeriesKey& key : kKeys) matches += selector->Matches(key);
  // Select walks the registry, which holds exactly kKeys.
  size_t selected = 0;
  for (auto id : selector->Select(registry)) {
    if (!selector->Matches(registry.Key(id))) __builtin_trap();
    ++selected;
  }
  if (selected != matches) __builtin_trap();
  return 0;
}
