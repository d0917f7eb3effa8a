#pragma once
// StatsdServer: the StatsD / DogStatsD UDP listener. One plain POSIX socket
// read by one thread of its own with recvmmsg, up to 64 datagrams of up to
// 64 KiB per call; every line of one call goes through one
// AppMetrics::Batch (one lock acquisition), mapped by StatsdIngester
// (statsd_ingest.h, docs/METRICS.md "StatsD").
//
// Thread-safe: port(), Stats() and Stop() may be called from any thread.
// The AppMetrics must outlive the server.

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "ingest/app_metrics.h"
#include "model/status.h"

namespace perfwatch {

struct StatsdOptions {
  // HOST:PORT to bind, IPv4 or [IPv6] (e.g. "[::1]:8125"); port 0 picks a
  // free one (tests).
  std::string listen = "127.0.0.1:8125";
  // SO_RCVBUF asked of the kernel, best effort: without CAP_NET_ADMIN it is
  // capped at net.core.rmem_max. A larger buffer rides out bursts without drops.
  size_t receive_buffer_bytes = 8 << 20;
  // What "h" and "d" lines become: kHistogram (buckets) or kSummary.
  AppKind histogram_kind = AppKind::kHistogram;
};

// Totals since Start.
struct StatsdServerStats {
  uint64_t datagrams = 0;
  uint64_t bytes = 0;
  uint64_t lines = 0;           // non-empty lines, accepted or not
  uint64_t receive_calls = 0;   // recvmmsg calls that returned datagrams
  uint64_t receive_errors = 0;  // recvmmsg failures other than "nothing to read"
};

class StatsdServer {
 public:
  // Binds the socket and starts the receiving thread. Fails (kInvalidArgument
  // for a malformed address, kIOError otherwise) with a message naming the
  // address: "cannot listen on 127.0.0.1:8125: Address already in use".
  static Result<std::unique_ptr<StatsdServer>> Start(const StatsdOptions& options,
                                                     AppMetrics& metrics);
  ~StatsdServer();  // Stop()
  StatsdServer(const StatsdServer&) = delete;
  StatsdServer& operator=(const StatsdServer&) = delete;

  // The port bound (the one chosen when the option asked for 0).
  uint16_t port() const { return port_; }
  // Wakes the thread and waits for it; datagrams not yet read are dropped.
  // Idempotent.
  void Stop();
  StatsdServerStats Stats() const;

 private:
  explicit StatsdServer(AppMetrics& metrics);
  void Run();
  // Reads and ingests what the socket holds; false once stopping.
  bool Drain();

  struct Receiver;  // recvmmsg buffers and the ingester, used by the thread only
  AppMetrics& metrics_;
  int socket_ = -1;
  int wake_ = -1;  // eventfd that Stop writes
  uint16_t port_ = 0;
  std::unique_ptr<Receiver> receiver_;
  std::mutex stop_mu_;  // serializes Stop
  std::thread thread_;
  std::atomic<bool> stopping_{false};
  std::atomic<uint64_t> datagrams_{0}, bytes_{0}, lines_{0}, receive_calls_{0}, receive_errors_{0};
};

// Splits "host:port" or "[v6]:port"; false when malformed.
bool SplitHostPort(std::string_view listen, std::string* host, uint16_t* port);

}  // namespace perfwatch
