#include "synthetic_host.h"

#include <gtest/gtest.h>

namespace perfwatch {

MemStoreOptions SyntheticHost::BigStore() {
  MemStoreOptions o;
  o.retention_ms = 48LL * 3600 * 1000;
  o.max_points_per_query = 1'000'000;
  return o;
}

SyntheticHost::SyntheticHost(MemStoreOptions options) : store(options) {}

void SyntheticHost::Run(TimestampMs from, TimestampMs to, int64_t step_ms,
                        const std::function<HostState(TimestampMs)>& state) {
  for (TimestampMs t = from; t <= to; t += step_ms) {
    Tick tick(registry, t);
    Append(tick, state(t), step_ms / 1000.0);
    ASSERT_TRUE(store.Commit(tick).ok());
  }
}

void SyntheticHost::Append(Tick& tick, const HostState& s, double dt_s) {
  auto add = [&](std::string_view name, const Labels& labels, double v) {
    ASSERT_TRUE(tick.Append(name, labels, v).ok()) << name;
  };
  add("system_cpu_usage_percent", Labels(), s.cpu_percent);
  add("system_cpus", Labels(), kCores);
  cpu_user_s_ += s.cpu_percent / 100 * dt_s;
  iowait_s_ += s.iowait_fraction * dt_s;
  for (int c = 0; c < kCores; ++c) {
    const std::string cpu = std::to_string(c);
    add("system_cpu_usage_percent", Labels{{"cpu", cpu}}, s.cpu_percent);
    add("system_cpu_seconds_total", Labels{{"cpu", cpu}, {"mode", "user"}}, cpu_user_s_);
    add("system_cpu_seconds_total", Labels{{"cpu", cpu}, {"mode", "iowait"}}, iowait_s_);
  }
  add("system_memory_used_percent", Labels(), s.memory_percent);
  add("system_swap_used_bytes", Labels(), s.swap_used_bytes);
  add("system_swap_used_percent", Labels(), 100 * s.swap_used_bytes / s.swap_total_bytes);
  add("system_load1", Labels(), s.load1);
  add("system_procs_running", Labels(), s.procs_running);
  add("system_procs_blocked", Labels(), s.procs_blocked);
  add("system_diskio_utilization_percent", Labels{{"device", "sda"}}, s.disk_util_percent);
  add("system_disk_used_percent", Labels{{"mountpoint", "/"}}, s.disk_used_percent);
  add("system_disk_used_percent", Labels{{"mountpoint", "/boot"}}, 20);
  rx_errors_ += s.rx_errors_per_s * dt_s;
  rx_bytes_ += s.rx_bytes_per_s * dt_s;
  const Labels eth0{{"interface", "eth0"}};
  add("system_network_receive_errors_total", eth0, rx_errors_);
  add("system_network_transmit_errors_total", eth0, 0);
  add("system_network_receive_drops_total", eth0, 0);
  add("system_network_transmit_drops_total", eth0, 0);
  add("system_network_receive_bytes_total", eth0, rx_bytes_);
  add("system_network_transmit_bytes_total", eth0, rx_bytes_ / 2);
  const struct {
    const char* resource;
    const char* kind;
    double value;
  } psi[] = {{"cpu", "some", s.psi_cpu_some},
             {"memory", "some", s.psi_memory_some},
             {"memory", "full", s.psi_memory_full},
             {"io", "some", s.psi_io_some},
             {"io", "full", s.psi_io_full}};
  for (const auto& p : psi) {
    for (const char* window : {"10s", "60s"}) {
      add("system_pressure_percent",
          Labels{{"resource", p.resource}, {"kind", p.kind}, {"window", window}}, p.value);
    }
  }
  const Labels proc{{"name", "api"}, {"pid", "42"}};
  add("process_open_fds", proc, s.open_fds);
  if (s.max_fds >= 0) add("process_max_fds", proc, s.max_fds);
  if (s.app_response_ms >= 0) {
    const Labels app{{"app", "api"}};
    add("app_response_time_avg_seconds", app, s.app_response_ms / 1000);
    add("app_error_rate_percent", app, 0.5);
    add("app_cache_hit_rate_percent", app, 93);
    add("app_requests_per_second", app, 120);
  }
}

void FillTroubledHost(SyntheticHost& host) {
  constexpr TimestampMs kStart = SyntheticHost::kStart;
  constexpr TimestampMs kEnd = kStart + 2 * 3600 * 1000;
  host.Run(kStart, kEnd, 5000, [](TimestampMs t) {
    HostState s;
    s.disk_used_percent = 50 + 10.0 * (t - kStart) / (kEnd - kStart);
    if (t > kEnd - 10 * 60 * 1000) s.memory_percent = 97;
    s.app_response_ms = 120;
    return s;
  });
}

}  // namespace perfwatch
