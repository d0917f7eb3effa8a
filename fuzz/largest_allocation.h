#pragma once
// LargestAllocation: the largest single heap block requested while one is in
// scope, seen through the sanitizer allocator's hooks, so that a target can
// check that a decoder sizes its buffers by the bytes it was given, not by a
// length field inside them. libFuzzer's -malloc_limit_mb only catches
// allocations of gigabytes; this catches a 100 MB buffer for a 30-byte input.
//
// One scope at a time. The hook is process-wide (the sanitizer runtime
// allows a few), so the counters are atomics: libFuzzer's own threads may
// allocate while a scope is open, which can only raise the figure.

#include <sanitizer/allocator_interface.h>

#include <atomic>
#include <cstddef>

namespace perfwatch::fuzz {

class LargestAllocation {
 public:
  LargestAllocation() {
    [[maybe_unused]] static const int installed =
        __sanitizer_install_malloc_and_free_hooks(&OnMalloc, &OnFree);
    largest_.store(0, std::memory_order_relaxed);
    open_.store(true, std::memory_order_relaxed);
  }
  ~LargestAllocation() { open_.store(false, std::memory_order_relaxed); }
  LargestAllocation(const LargestAllocation&) = delete;
  LargestAllocation& operator=(const LargestAllocation&) = delete;

  // Bytes of the largest block requested since construction.
  size_t bytes() const { return largest_.load(std::memory_order_relaxed); }

 private:
  static void OnMalloc(const volatile void*, size_t size) {
    if (!open_.load(std::memory_order_relaxed)) return;
    size_t seen = largest_.load(std::memory_order_relaxed);
    while (size > seen && !largest_.compare_exchange_weak(seen, size, std::memory_order_relaxed)) {
    }
  }
  static void OnFree(const volatile void*) {}

  // Globals because the sanitizer hooks are plain functions.
  static inline std::atomic<size_t> largest_{0};
  static inline std::atomic<bool> open_{false};
};

}  // namespace perfwatch::fuzz
