#pragma once
// StatsdRunListener: a UDP socket on 127.0.0.1 (an ephemeral port) and a
// thread that feeds every datagram into an AppData, stamped with its time
// since `start`. `perfwatch run` tells the command where it listens through
// the environment (PERFWATCH_STATSD, STATSD_HOST/STATSD_PORT).
//
// Thread-safe: the listener's thread and the caller share the AppData
// under a mutex; Finish is called once, by the owner. The thread sleeps
// until a datagram comes or it is stopped (an eventfd wakes it), and never
// takes an asynchronous signal (see bench/spawn.h, should_stop).

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "model/status.h"
#include "runs/app_data.h"

namespace perfwatch {

class StatsdRunListener {
 public:
  // Binds and starts the thread. IOError naming the address when the
  // socket cannot be bound.
  static Result<std::unique_ptr<StatsdRunListener>> Start(
      std::chrono::steady_clock::time_point start, size_t max_points = AppData::kDefaultMaxPoints,
      std::string app = "");
  ~StatsdRunListener();  // stops and joins
  StatsdRunListener(const StatsdRunListener&) = delete;
  StatsdRunListener& operator=(const StatsdRunListener&) = delete;

  uint16_t port() const { return port_; }

  // Stops the thread after reading what is already queued on the socket
  // (a datagram sent over loopback before the command exited is in the
  // socket's buffer by then), and hands over what was received.
  AppData Finish();

 private:
  StatsdRunListener(int fd, uint16_t port, std::chrono::steady_clock::time_point start,
                    size_t max_points, std::string app);
  void Loop();
  // Reads every datagram queued now, without waiting.
  void Drain();
  // Wakes the thread through wake_fd_ and joins it.
  void Stop();

  const int fd_;
  const int wake_fd_;  // an eventfd; -1 if none could be made
  const uint16_t port_;
  const std::chrono::steady_clock::time_point start_;
  std::atomic<bool> stop_{false};
  std::mutex mu_;
  AppData data_;           // protected by mu_
  std::vector<char> buf_;  // the thread's, then Finish's after the join
  std::thread thread_;
};

}  // namespace perfwatch
