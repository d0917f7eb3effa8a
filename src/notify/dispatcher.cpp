#include "notify/dispatcher.h"

#include <algorithm>
#include <condition_variable>
#include <map>
#include <mutex>
#include <thread>

#include "notify/receiver_queue.h"
#include "notify/receivers.h"

namespace perfwatch {
namespace {

using SteadyTime = std::chrono::steady_clock::time_point;
using std::chrono::milliseconds;

// One aggregation group: the alerts sharing the group_by label values.
struct Group {
  std::string key;
  Labels labels;
  std::map<std::string, Alert> alerts;  // by id: firing, or resolved and not yet sent
  std::vector<AlertNotice> changes;     // since the last send
  bool sent_once = false;
  SteadyTime created;
  SteadyTime last_send;
  SteadyTime due;  // meaningful while changes is not empty
};

Status ValidateGrouping(const GroupingOptions& g) {
  for (const std::string& name : g.group_by) {
    if (name != "..." && !IsValidLabelName(name)) {
      return Status::InvalidArgument("group_by: \"" + name + "\" is not a label name");
    }
  }
  if (g.group_wait_ms < 0) return Status::InvalidArgument("group_wait: must not be negative");
  if (g.group_interval_ms < 0) {
    return Status::InvalidArgument("group_interval: must not be negative");
  }
  return Status::Ok();
}

}  // namespace

struct Dispatcher::Impl {
  std::vector<ReceiverOptions> options;
  GroupingOptions grouping;
  NotifyClock clock;
  std::vector<std::unique_ptr<Receiver>> test_receivers;  // by index, before Start
  std::vector<std::unique_ptr<ReceiverQueue>> queues;     // fixed once started

  std::mutex mu;
  std::condition_variable cv;
  std::vector<AlertNotice> inbox;  // guarded by mu
  bool started = false;            // guarded by mu
  bool stopping = false;           // guarded by mu

  std::map<std::string, Group> groups;  // grouping thread only
  std::thread thread;

  void Run();
  void Apply(AlertNotice notice, SteadyTime now);
  // Sends the groups that are due (all with changes when `all`); returns
  // when the next one falls due.
  SteadyTime FlushDue(SteadyTime now, bool all);
  void Send(Group& group, SteadyTime now);
  Labels GroupLabels(const Labels& labels) const;
};

Labels Dispatcher::Impl::GroupLabels(const Labels& labels) const {
  std::vector<Label> picked;
  for (const std::string& name : grouping.group_by) {
    if (name == "...") return labels;
    std::string_view value = labels.Get(name);
    if (!value.empty()) picked.push_back({name, std::string(value)});
  }
  std::sort(picked.begin(), picked.end());
  picked.erase(std::unique(picked.begin(), picked.end()), picked.end());
  Result<Labels> made = Labels::Make(std::move(picked));
  return made.ok() ? std::move(made).value() : Labels();
}

void Dispatcher::Impl::Apply(AlertNotice notice, SteadyTime now) {
  Labels labels = GroupLabels(notice.alert.labels);
  std::string key = "{}:" + (labels.empty() ? std::string("{}") : labels.ToString());
  auto [it, created] = groups.try_emplace(key);
  Group& g = it->second;
  if (created) {
    g.key = key;
    g.labels = std::move(labels);
    g.created = now;
  }
  if (g.changes.empty()) {
    g.due = g.sent_once ? std::max(now, g.last_send + milliseconds(grouping.group_interval_ms))
                        : g.created + milliseconds(grouping.group_wait_ms);
  }
  g.alerts[notice.alert.id] = notice.alert;
  g.changes.push_back(std::move(notice));
}

void Dispatcher::Impl::Send(Group& g, SteadyTime now) {
  Notification n;
  n.group_key = g.key;
  n.group_labels = g.labels;
  for (const auto& [id, alert] : g.alerts) n.alerts.push_back(alert);
  n.changes = std::move(g.changes);
  g.changes.clear();
  for (size_t i = 0; i < queues.size(); ++i) {
    if (i + 1 == queues.size()) {
      queues[i]->Push(std::move(n));
    } else {
      queues[i]->Push(n);
    }
  }
  // A resolved alert is reported once; the group forgets it afterwards.
  std::erase_if(g.alerts, [](const auto& kv) { return kv.second.state == AlertState::kResolved; });
  g.sent_once = true;
  g.last_send = now;
}

SteadyTime Dispatcher::Impl::FlushDue(SteadyTime now, bool all) {
  SteadyTime next = SteadyTime::max();
  for (auto it = groups.begin(); it != groups.end();) {
    Group& g = it->second;
    if (!g.changes.empty() && (all || g.due <= now)) Send(g, now);
    if (!g.changes.empty()) next = std::min(next, g.due);
    it = g.alerts.empty() && g.changes.empty() ? groups.erase(it) : std::next(it);
  }
  return next;
}

void Dispatcher::Impl::Run() {
  std::unique_lock lock(mu);
  for (;;) {
    std::vector<AlertNotice> batch = std::move(inbox);
    inbox.clear();
    bool stop = stopping;
    lock.unlock();
    SteadyTime now = std::chrono::steady_clock::now();
    for (AlertNotice& notice : batch) Apply(std::move(notice), now);
    SteadyTime next = FlushDue(now, stop);
    lock.lock();
    if (stop) return;
    auto ready = [&] { return stopping || !inbox.empty(); };
    if (next == SteadyTime::max()) {
      cv.wait(lock, ready);
    } else {
      cv.wait_until(lock, next, ready);
    }
  }
}

Dispatcher::Dispatcher(std::vector<ReceiverOptions> receivers, GroupingOptions grouping,
                       NotifyClock clock)
    : impl_(std::make_unique<Impl>()) {
  impl_->options = std::move(receivers);
  impl_->grouping = std::move(grouping);
  impl_->clock = std::move(clock);
  impl_->test_receivers.resize(impl_->options.size());
}

Dispatcher::~Dispatcher() { Stop(); }

void Dispatcher::SetReceiverForTest(size_t index, std::unique_ptr<Receiver> receiver) {
  impl_->test_receivers.at(index) = std::move(receiver);
}

Status Dispatcher::Start() {
  std::lock_guard lock(impl_->mu);
  if (impl_->started) return Status::Internal("notify: dispatcher started twice");
  if (Status s = ValidateGrouping(impl_->grouping); !s.ok()) return s;
  std::vector<std::unique_ptr<ReceiverQueue>> queues;
  for (size_t i = 0; i < impl_->options.size(); ++i) {
    const ReceiverOptions& o = impl_->options[i];
    std::unique_ptr<Receiver> receiver = std::move(impl_->test_receivers[i]);
    if (receiver == nullptr) {
      Result<std::unique_ptr<Receiver>> made = MakeReceiver(o, impl_->clock);
      if (!made.ok()) {
        return Status::InvalidArgument("notify[" + std::to_string(i) +
                                       "]: " + made.status().message());
      }
      receiver = std::move(made).value();
    }
    queues.push_back(std::make_unique<ReceiverQueue>(ReceiverName(o), o.type, std::move(receiver),
                                                     impl_->grouping.max_per_minute));
  }
  impl_->queues = std::move(queues);
  for (auto& q : impl_->queues) q->Start();
  impl_->started = true;
  impl_->thread = std::thread([impl = impl_.get()] { impl->Run(); });
  return Status::Ok();
}

void Dispatcher::Stop() {
  {
    std::lock_guard lock(impl_->mu);
    if (!impl_->started || impl_->stopping) return;
    impl_->stopping = true;
  }
  impl_->cv.notify_all();
  impl_->thread.join();
  for (auto& q : impl_->queues) q->Stop();
}

void Dispatcher::Deliver(std::vector<AlertNotice> notices) {
  {
    std::lock_guard lock(impl_->mu);
    if (impl_->stopping) return;
    for (AlertNotice& n : notices) impl_->inbox.push_back(std::move(n));
  }
  impl_->cv.notify_one();
}

void Dispatcher::Event(NamedEvent event) {
  std::lock_guard lock(impl_->mu);  // queues_ is fixed once started
  if (!impl_->started || impl_->stopping) return;
  for (auto& q : impl_->queues) q->PushEvent(event);
}

std::vector<ReceiverStats> Dispatcher::Stats() const {
  std::lock_guard lock(impl_->mu);
  std::vector<ReceiverStats> out;
  for (const auto& q : impl_->queues) out.push_back(q->Stats());
  return out;
}

}  // namespace perfwatch
