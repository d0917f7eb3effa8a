#include "api/connection_tracker.h"

#include <gtest/gtest.h>

#include <thread>

namespace perfwatch {
namespace {

class CountingTarget final : public ShutdownTarget {
 public:
  void Shutdown() override { ++shutdowns; }
  int shutdowns = 0;
};

TEST(ConnectionTracker, RefusesBeyondTheLimitAndFreesOnRelease) {
  ConnectionTracker tracker(2);
  std::optional<ConnectionTracker::Slot> a = tracker.TryAcquire();
  std::optional<ConnectionTracker::Slot> b = tracker.TryAcquire();
  ASSERT_TRUE(a && b);
  EXPECT_FALSE(tracker.TryAcquire().has_value());
  EXPECT_EQ(tracker.active(), 2u);
  a.reset();
  EXPECT_EQ(tracker.active(), 1u);
  EXPECT_TRUE(tracker.TryAcquire().has_value());
}

TEST(ConnectionTracker, MovedSlotsAreCountedOnce) {
  ConnectionTracker tracker(4);
  std::optional<ConnectionTracker::Slot> a = tracker.TryAcquire();
  ConnectionTracker::Slot moved(std::move(*a));
  a.reset();
  EXPECT_EQ(tracker.active(), 1u);
}

TEST(ConnectionTracker, ShutdownAllReachesAttachedConnectionsAndRefusesNewOnes) {
  ConnectionTracker tracker(4);
  auto target = std::make_shared<CountingTarget>();
  std::optional<ConnectionTracker::Slot> slot = tracker.TryAcquire();
  slot->Attach(target);
  tracker.ShutdownAll();
  EXPECT_EQ(target->shutdowns, 1);
  EXPECT_FALSE(tracker.TryAcquire().has_value());
  // Attaching after shutdown began shuts the newcomer down at once.
  auto late = std::make_shared<CountingTarget>();
  slot->Attach(late);
  EXPECT_EQ(late->shutdowns, 1);
}

TEST(ConnectionTracker, WaitIdleReturnsWhenTheLastConnectionCloses) {
  ConnectionTracker tracker(4);
  std::optional<ConnectionTracker::Slot> slot = tracker.TryAcquire();
  EXPECT_FALSE(tracker.WaitIdle(std::chrono::milliseconds(10)));
  std::thread closer([&] { slot.reset(); });
  EXPECT_TRUE(tracker.WaitIdle(std::chrono::seconds(10)));
  closer.join();
}

}  // namespace
}  // namespace perfwatch
