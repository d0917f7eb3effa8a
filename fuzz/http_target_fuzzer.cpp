// ApiHandler::Handle (api/routes.h) for "GET <fuzzed request-target>", on a
// MemStore and SeriesRegistry holding a few series of history and one
// published tick. Every answer must carry a real HTTP status, and a JSON
// answer must be a JSON document (invalid UTF-8 in the target or in label
// values included). No sockets, no Beast.

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "api/routes.h"
#include "model/tick.h"
#include "store/mem_store.h"

namespace {

using namespace perfwatch;

constexpr TimestampMs kNow = 1'700'000'000'000;
constexpr int kTicks = 90;

struct World {
  SeriesRegistry registry;
  // Small chunks and a low point limit, so queries cross sealed chunks and
  // hit the limit.
  MemStore store{
      MemStoreOptions{.retention_ms = 3'600'000, .chunk_samples = 16, .max_points_per_query = 200}};
  ApiHandler handler{registry, store, ApiOptions{}, [] { return kNow; }};

  World() {
    std::shared_ptr<Tick> last;
    for (int i = 0; i < kTicks; ++i) {
      auto tick = std::make_shared<Tick>(registry, kNow - 1000 * (kTicks - 1 - i));
      Fill(*tick, i);
      if (!store.Commit(*tick).ok()) __builtin_trap();
      last = tick;
    }
    handler.Publish(last);
  }

  static void Fill(Tick& t, int i) {
    t.Describe({"system_cpu_usage_percent", MetricKind::kGauge, "CPU busy.", "percent"});
    t.Describe({"net_received_bytes_total", MetricKind::kCounter, "Bytes \"in\"\\\n.", "bytes"});
    (void)t.Append("system_cpu_usage_percent", {{"cpu", "0"}}, i % 7 * 12.5);
    (void)t.Append("system_cpu_usage_percent", {{"cpu", "1"}}, i % 3 == 0 ? NAN : 50.0);
    (void)t.Append("system_memory_used_percent", {}, 40 + i * 0.25);
    (void)t.Append("net_received_bytes_total", {{"device", "eth0"}}, 1e9 + i * 1500.0);
    // Label values are bytes from the host: quotes, control and non-UTF-8 ones too.
    (void)t.Append("process_cpu_usage_percent", {{"name", "a \"b\"\n\t\\ \x01\xff\xc3\xa9"}},
                   i % 2 ? std::numeric_limits<double>::infinity() : -0.0);
    if (i > kTicks / 2) (void)t.Append("late_series", {{"k", "v"}}, i);
  }
};

World& TheWorld() {
  static World* world = new World();
  return *world;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  World& world = TheWorld();
  HttpRequest request;
  request.method = "GET";
  request.target.assign(reinterpret_cast<const char*>(data), size);
  HttpResponse response = world.handler.Handle(request);
  if (response.status < 100 || response.status > 599) __builtin_trap();
  if (response.stream) {
    // A streamed body (an export) is checked as the client would get it:
    // the pieces in order, up to the end or a store error, which a 90-tick
    // MemStore never has. Bounded so one input cannot run for long.
    std::string piece;
    for (int i = 0; i < 10'000; ++i) {
      Result<bool> more = response.stream->Next(&piece);
      if (!more.ok()) __builtin_trap();
      response.body += piece;
      if (!*more) break;
    }
  }
  if (response.content_type == "application/json" && !nlohmann::json::accept(response.body)) {
    __builtin_trap();
  }
  return 0;
}
