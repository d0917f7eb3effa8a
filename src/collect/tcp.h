#pragma once
// TcpCollector ("tcp"): TCP sockets per state, IPv4 and IPv6 together, from
// /proc/net/tcp and /proc/net/tcp6. One thread at a time.

#include <array>
#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include "collect/collector.h"
#include "collect/proc_reader.h"
#include "model/labels.h"

namespace perfwatch {

// Values of the `state` label, in the kernel's order (TCP_ESTABLISHED = 1
// ... TCP_CLOSING = 11, include/net/tcp_states.h).
inline constexpr std::array<std::string_view, 11> kTcpStates = {
    "established", "syn_sent",   "syn_recv", "fin_wait1", "fin_wait2", "time_wait",
    "close",       "close_wait", "last_ack", "listen",    "closing"};

using TcpStateCounts = std::array<uint64_t, kTcpStates.size()>;

// Where the counts come from. Reading /proc/net/tcp makes the kernel walk its
// whole established-socket hash table once per read() call (about 2 ms per
// file on a 24 GiB machine with 2 sockets); sock_diag netlink walks it once
// for IPv4 and IPv6 together (about 0.3 ms), so it is the default for the
// live /proc.
enum class TcpSource {
  kNetlink,  // sock_diag of perfwatch's network namespace; /proc files if it fails
  kProcfs,   // <procfs>/net/tcp and tcp6 (fixtures, or another procfs root)
};

// Adds the sockets of one /proc/net/tcp{,6} text to `counts`, reading only
// the fourth column (st, hex) of each line: these files can hold millions of
// lines. NEW_SYN_RECV (12) counts as syn_recv; unknown states are skipped.
// Errors name the line.
Status CountTcpStates(std::string_view text, TcpStateCounts& counts);

// Adds every TCP socket (IPv4 and IPv6) of this process's network namespace
// to `counts`, through one NETLINK_SOCK_DIAG dump. Unavailable when the
// kernel refuses it (no inet_diag, seccomp).
Status CountTcpStatesNetlink(TcpStateCounts& counts);

class TcpCollector final : public Collector {
 public:
  // Either source walks the kernel's whole socket hash table, whose size
  // follows RAM, not the number of connections (0.3 ms here, more on big
  // hosts): so, like the PID scan, it runs every `interval` (5 s by default).
  explicit TcpCollector(const HostPaths& paths, TcpSource source = TcpSource::kProcfs,
                        std::chrono::milliseconds interval = std::chrono::seconds(5));

  std::string_view name() const override { return "tcp"; }
  // Unavailable without /proc/net/tcp; a missing tcp6 (IPv6 disabled) is fine.
  Status Collect(Appender& out) override;
  std::chrono::milliseconds min_interval() const override { return interval_; }

 private:
  Status CountFromProcfs(TcpStateCounts& counts);

  TcpSource source_;
  std::chrono::milliseconds interval_;
  ProcFile tcp_;
  ProcFile tcp6_;
  ProcReader reader_;
  bool described_ = false;
  std::array<Labels, kTcpStates.size()> state_labels_;
};

}  // namespace perfwatch
