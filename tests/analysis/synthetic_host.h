#pragma once
// SyntheticHost: a registry, a MemStore and a StoreSource over them, filled
// with ticks of a made-up host whose state a test sets per tick. Counters
// integrate their per-second rates, as the kernel's would.

#include <functional>
#include <string>

#include "model/registry.h"
#include "model/tick.h"
#include "query/store_source.h"
#include "store/mem_store.h"

namespace perfwatch {

// A quiet 4-core host; every field is what one tick reports.
struct HostState {
  double cpu_percent = 5;
  double memory_percent = 30;
  double swap_used_bytes = 0;
  double swap_total_bytes = 4.0 * (1 << 30);
  double load1 = 0.2;
  double procs_running = 1;
  double procs_blocked = 0;
  double disk_util_percent = 1;
  double iowait_fraction = 0.001;  // per core, seconds per second
  double rx_errors_per_s = 0;
  double rx_bytes_per_s = 20'000;
  double psi_cpu_some = 0.1;
  double psi_memory_some = 0;
  double psi_memory_full = 0;
  double psi_io_some = 0.2;
  double psi_io_full = 0.1;
  double open_fds = 20;
  double max_fds = 1024;  // < 0: no process_max_fds series
  double disk_used_percent = 40;
  double app_response_ms = -1;  // < 0: no application metrics
};

class SyntheticHost {
 public:
  static constexpr int kCores = 4;
  static constexpr TimestampMs kStart = 1'700'000'000'000;

  // A store with 48 h of retention and no practical point limit by default.
  static MemStoreOptions BigStore();
  explicit SyntheticHost(MemStoreOptions options = BigStore());

  // Commits ticks at from, from + step, ..., up to `to`; `state(t)` gives
  // each tick's state.
  void Run(TimestampMs from, TimestampMs to, int64_t step_ms,
           const std::function<HostState(TimestampMs)>& state);

  SeriesRegistry registry;
  MemStore store;
  StoreSource source{registry, store};

 private:
  void Append(Tick& tick, const HostState& s, double dt_s);
  double cpu_user_s_ = 0, iowait_s_ = 0, rx_errors_ = 0, rx_bytes_ = 0;
};

// Two hours at 5 s from kStart: memory nearly full for the last ten
// minutes, / filling from 50 % to 60 %, app "api" answering in 120 ms.
void FillTroubledHost(SyntheticHost& host);

}  // namespace perfwatch
