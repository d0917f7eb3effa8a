#pragma once
// Test harness for end-to-end tests: starts the real perfwatch binary as a
// child process, reads its JSON log, and talks to it over plain loopback
// sockets (no Beast here, so these tests compile fast and exercise the server
// from the outside the way curl or a browser would).
//
// Not thread-safe; one PerfwatchProcess per test.

#include <sys/types.h>

#include <chrono>
#include <optional>
#include <string>
#include <vector>

namespace perfwatch::e2e {

struct HttpResult {
  int status = 0;  // 0 when the connection failed
  std::string headers;
  std::string body;
};

// One HTTP/1.1 request with Connection: close; `raw` replaces the request
// entirely when non-empty.
HttpResult HttpGet(uint16_t port, const std::string& target);
HttpResult HttpRaw(uint16_t port, const std::string& raw);

// Opens /ws, optionally sends one text message, and returns the first
// `count` text messages the server sends (fewer on timeout).
std::vector<std::string> WebSocketRead(uint16_t port, const std::string& send, int count,
                                       std::chrono::seconds timeout);

class PerfwatchProcess {
 public:
  // Starts build/perfwatch with --log-format json, --port 0 (unless `args`
  // names a port) and `args`, and waits for its monitoring_started event to
  // learn the port.
  explicit PerfwatchProcess(std::vector<std::string> args);
  ~PerfwatchProcess();  // SIGKILLs the child if still running

  bool started() const { return port_ != 0; }
  uint16_t port() const { return port_; }
  // The StatsD UDP port it bound (0 with --statsd-listen off).
  uint16_t statsd_port() const { return statsd_port_; }
  pid_t pid() const { return pid_; }
  // Sends SIGTERM and waits; returns the exit status (or -1 on timeout).
  int Terminate(std::chrono::seconds timeout = std::chrono::seconds(10));
  // Everything the child wrote to stderr so far.
  const std::string& log();

 private:
  void Drain(std::chrono::milliseconds wait);
  pid_t pid_ = -1;
  int stderr_fd_ = -1;
  uint16_t port_ = 0;
  uint16_t statsd_port_ = 0;
  std::string log_;
};

// An empty directory under the test temp dir, unique to this process, so
// parallel test processes never share a data directory (and no run sees the
// history of an earlier one).
std::string FreshDir(const std::string& name);

// Runs the binary to completion (for --help, bad flags, --save-config).
struct RunResult {
  int exit_code = -1;
  std::string out;
  std::string err;
};
RunResult RunPerfwatch(std::vector<std::string> args);

// Aggregate CPU jiffies from /proc/stat: {busy, total} the way perfwatch
// defines them (busy = total − idle − iowait; guest excluded).
std::pair<double, double> ReadProcStatCpu();
// MemTotal − MemAvailable as a percent of MemTotal, from /proc/meminfo.
double ReadMemoryUsedPercent();

}  // namespace perfwatch::e2e
