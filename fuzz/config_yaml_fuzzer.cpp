// ApplyYaml on arbitrary text over a default Config. Whatever it accepts,
// ToYaml must write as YAML that ApplyYaml reads back to the same Config
// (compared through its ToYaml text), as --save-config promises.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "config/config.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  perfwatch::Config config;
  perfwatch::Status st = perfwatch::ApplyYaml(text, "fuzz.yaml", config);
  if (!st.ok()) {
    if (st.message().empty()) __builtin_trap();
    return 0;
  }
  (void)perfwatch::Validate(config);
  const std::string yaml = perfwatch::ToYaml(config);
  perfwatch::Config reread;
  perfwatch::Status again = perfwatch::ApplyYaml(yaml, "saved.yaml", reread);
  if (!again.ok()) __builtin_trap();
  if (perfwatch::ToYaml(reread) != yaml) __builtin_trap();
  return 0;
}
