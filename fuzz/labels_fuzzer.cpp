// Labels::Make from fuzzed name/value pairs: the input is split on '\0' into
// "name=value" items. Accepted labels must be sorted, unique, within the
// limits and print as {name="escaped value",...}.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "model/labels.h"

using perfwatch::Label;
using perfwatch::Labels;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view rest(reinterpret_cast<const char*>(data), size);
  std::vector<Label> input;
  while (!rest.empty()) {
    size_t end = rest.find('\0');
    std::string_view item = rest.substr(0, end);
    size_t eq = item.find('=');
    input.push_back({std::string(item.substr(0, eq)),
                     eq == std::string_view::npos ? "" : std::string(item.substr(eq + 1))});
    if (end == std::string_view::npos) break;
    rest.remove_prefix(end + 1);
  }
  auto labels = Labels::Make(input);
  if (!labels.ok()) {
    if (labels.status().message().empty()) __builtin_trap();
    return 0;
  }
  if (labels->size() > perfwatch::kMaxLabelsPerSeries) __builtin_trap();
  const Label* prev = nullptr;
  for (const Label& l : *labels) {
    if (!perfwatch::IsValidLabelName(l.name) || l.value.empty() ||
        l.value.size() > perfwatch::kMaxLabelValueBytes) {
      __builtin_trap();
    }
    if (prev != nullptr && !(prev->name < l.name)) __builtin_trap();
    if (labels->Get(l.name) != l.value) __builtin_trap();
    prev = &l;
  }
  // Every non-empty input pair survives.
  for (const Label& l : input) {
    if (labels->Get(l.name) != l.value) __builtin_trap();
  }
  // Make is idempotent on its own output.
  auto again = Labels::Make(std::vector<Label>(labels->begin(), labels->end()));
  if (!again.ok() || !(*again == *labels)) __builtin_trap();

  std::string text = labels->ToString();
  if (labels->empty() != text.empty()) __builtin_trap();
  if (!text.empty() && (text.front() != '{' || text.back() != '}')) __builtin_trap();
  // Escaping leaves no raw newline: the exposition format is line-based.
  if (text.find('\n') != std::string::npos) __builtin_trap();
  return 0;
}
