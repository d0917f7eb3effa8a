#pragma once
// The clocks collectors read, injectable so tests can fix "now". Value type.

#include <chrono>
#include <functional>

namespace perfwatch {

struct CollectClock {
  // Δwall for rates and percents (disk utilization, process CPU percent).
  std::function<std::chrono::steady_clock::time_point()> steady = [] {
    return std::chrono::steady_clock::now();
  };
  // "Now" for ages measured from an epoch time (process uptime).
  std::function<std::chrono::system_clock::time_point()> wall = [] {
    return std::chrono::system_clock::now();
  };
};

// Seconds between two steady time points, as a double.
inline double SecondsBetween(std::chrono::steady_clock::time_point from,
                             std::chrono::steady_clock::time_point to) {
  return std::chrono::duration<double>(to - from).count();
}

}  // namespace perfwatch
