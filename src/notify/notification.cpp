#include "notify/notification.h"

#include <algorithm>
#include <chrono>

namespace perfwatch {

TimestampMs SystemClockMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

void FoldNotification(Notification& into, Notification later) {
  if (into.group_key != later.group_key) {
    std::vector<Label> shared;
    for (const Label& l : into.group_labels) {
      if (later.group_labels.Get(l.name) == l.value) shared.push_back(l);
    }
    into.group_labels = Labels::Make(std::move(shared)).value();
    into.group_key = "{}:" + (into.group_labels.empty() ? "{}" : into.group_labels.ToString());
  }
  for (Alert& a : later.alerts) {
    auto it = std::lower_bound(into.alerts.begin(), into.alerts.end(), a.id,
                               [](const Alert& x, const std::string& id) { return x.id < id; });
    if (it != into.alerts.end() && it->id == a.id) {
      *it = std::move(a);
    } else {
      into.alerts.insert(it, std::move(a));
    }
  }
  for (AlertNotice& c : later.changes) into.changes.push_back(std::move(c));
  into.folded += 1 + later.folded;
}

}  // namespace perfwatch
