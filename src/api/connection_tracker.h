#pragma once
// ConnectionTracker: counts open connections against max_connections and
// knows how to ask each one to shut down, for ApiServer::Stop. Boost-free so
// it is tested without sockets.
//
// Thread-safe. The tracker must outlive every Slot it hands out.

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <unordered_map>

namespace perfwatch {

class ShutdownTarget {
 public:
  // Asks a connection to finish: stop reading, finish the response being
  // written, close. Must not block; may be called from any thread.
  virtual void Shutdown() = 0;

 protected:
  ~ShutdownTarget() = default;
};

class ConnectionTracker {
 public:
  // One open connection. Move-only; releases its place when destroyed, so a
  // connection is counted exactly as long as its session object lives.
  class Slot {
   public:
    Slot(Slot&& other) noexcept
        : tracker_(std::exchange(other.tracker_, nullptr)), id_(other.id_) {}
    Slot& operator=(Slot&&) = delete;
    ~Slot();
    // Registers who to call on shutdown. A connection that changes hands
    // (HTTP upgraded to WebSocket) attaches its new owner.
    void Attach(std::weak_ptr<ShutdownTarget> target);

   private:
    friend class ConnectionTracker;
    Slot(ConnectionTracker* tracker, uint64_t id) : tracker_(tracker), id_(id) {}
    ConnectionTracker* tracker_;
    uint64_t id_;
  };

  explicit ConnectionTracker(size_t max_connections) : max_(max_connections) {}
  ConnectionTracker(const ConnectionTracker&) = delete;
  ConnectionTracker& operator=(const ConnectionTracker&) = delete;

  // A place for one more connection; nullopt at the limit or once shutting down.
  std::optional<Slot> TryAcquire();
  // Refuses new connections and asks every attached one to shut down.
  void ShutdownAll();
  // Waits until no connection is open; false on timeout.
  bool WaitIdle(std::chrono::milliseconds timeout);
  size_t active() const;

 private:
  void Release(uint64_t id);
  void Attach(uint64_t id, std::weak_ptr<ShutdownTarget> target);

  const size_t max_;
  mutable std::mutex mu_;
  std::condition_variable idle_;
  // protected by mu_:
  std::unordered_map<uint64_t, std::weak_ptr<ShutdownTarget>> open_;
  uint64_t next_id_ = 0;
  bool shutting_down_ = false;
};

}  // namespace perfwatch
