#include "notify/receiver_queue.h"

#include <gtest/gtest.h>

#include <future>

#include "test_support.h"

namespace perfwatch {
namespace {

using testing::MakeAlert;
using testing::WaitUntil;

// Records what it is sent; the first Send blocks until released, so the
// test controls what is queued behind it.
class GatedReceiver final : public Receiver {
 public:
  explicit GatedReceiver(std::shared_future<void> gate) : gate_(std::move(gate)) {}

  Status Send(const Notification& n, std::stop_token) override {
    if (first_) gate_.wait();
    first_ = false;
    std::lock_guard lock(mu_);
    sends_.push_back(n);
    return Status::Ok();
  }
  bool WantsEvents() const override { return true; }
  Status SendEvent(const NamedEvent& e) override {
    std::lock_guard lock(mu_);
    events_.push_back(e.name);
    return Status::Ok();
  }

  std::vector<Notification> sends() const {
    std::lock_guard lock(mu_);
    return sends_;
  }
  size_t events() const {
    std::lock_guard lock(mu_);
    return events_.size();
  }

 private:
  std::shared_future<void> gate_;
  bool first_ = true;
  mutable std::mutex mu_;
  std::vector<Notification> sends_;
  std::vector<std::string> events_;
};

std::string Name(int i) {
  std::string name = "A";
  name += std::to_string(i);
  return name;
}

Notification GroupOf(const std::string& name) {
  Notification n;
  n.group_key = "{}:{alertname=\"" + name + "\"}";
  n.group_labels = Labels{{"alertname", name}};
  n.alerts = {MakeAlert(name, "web-1")};
  return n;
}

TEST(ReceiverQueue, RateLimitFoldsTheExcessIntoTheLastSendOfTheMinute) {
  std::promise<void> release;
  auto owned = std::make_unique<GatedReceiver>(release.get_future().share());
  GatedReceiver* receiver = owned.get();
  ReceiverQueue queue("hook", "webhook", std::move(owned), /*max_per_minute=*/3);
  queue.Start();
  queue.Push(GroupOf(Name(0)));
  for (int i = 1; i <= 4; ++i) queue.Push(GroupOf(Name(i)));
  release.set_value();
  ASSERT_TRUE(WaitUntil([&] { return receiver->sends().size() == 3; }));

  std::vector<Notification> sends = receiver->sends();
  EXPECT_EQ(sends[0].alerts.size(), 1u);
  EXPECT_EQ(sends[1].alerts.size(), 1u);
  ASSERT_EQ(sends[2].alerts.size(), 3u);  // A2, A3, A4 in the minute's last slot
  EXPECT_EQ(sends[2].folded, 2u);
  EXPECT_EQ(sends[2].group_key, "{}:{}");
  EXPECT_EQ(queue.Stats().folded, 2u);

  // The minute is used up: this one waits, while events still go through.
  queue.Push(GroupOf("A5"));
  queue.PushEvent(testing::EventOf("performance_degradation_detected"));
  ASSERT_TRUE(WaitUntil([&] { return receiver->events() == 1; }));
  EXPECT_EQ(receiver->sends().size(), 3u);

  queue.Stop();  // sends what waits, whatever the limit
  ASSERT_EQ(receiver->sends().size(), 4u);
  EXPECT_EQ(receiver->sends()[3].alerts[0].rule, "A5");
  ReceiverStats stats = queue.Stats();
  EXPECT_EQ(stats.receiver, "hook");
  EXPECT_EQ(stats.type, "webhook");
  EXPECT_EQ(stats.sent, 4u);
  EXPECT_EQ(stats.failed, 0u);
  EXPECT_EQ(stats.dropped, 0u);
}

TEST(ReceiverQueue, WithoutALimitEverySendGoesOutOnItsOwn) {
  std::promise<void> release;
  auto owned = std::make_unique<GatedReceiver>(release.get_future().share());
  GatedReceiver* receiver = owned.get();
  ReceiverQueue queue("hook", "webhook", std::move(owned), /*max_per_minute=*/0);
  queue.Start();
  for (int i = 0; i < 5; ++i) queue.Push(GroupOf(Name(i)));
  release.set_value();
  ASSERT_TRUE(WaitUntil([&] { return receiver->sends().size() == 5; }));
  EXPECT_EQ(queue.Stats().folded, 0u);
  queue.Stop();
}

}  // namespace
}  // namespace perfwatch
