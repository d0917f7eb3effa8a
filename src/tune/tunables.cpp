#include "tune/tunables.h"

#include <algorithm>
#include <utility>

namespace perfwatch {
namespace {

// A heartbeat that changes nothing but seen_ms is written at most this
// often: the clients re-register every few seconds, and each write is an
// fsync.
constexpr TimestampMs kSeenWriteIntervalMs = 60'000;

bool SameSpec(const TunableSpec& a, const TunableSpec& b) {
  return a.kind == b.kind && a.value == b.value && a.min == b.min && a.max == b.max &&
         a.step == b.step && a.allowed == b.allowed && a.unit == b.unit &&
         a.description == b.description && a.webhook == b.webhook && a.hooks == b.hooks;
}

bool Before(const Tunable& t, std::string_view app, std::string_view name) {
  return std::pair<std::string_view, std::string_view>(t.spec.app, t.spec.name) <
         std::pair<std::string_view, std::string_view>(app, name);
}

void AppendHistory(Tunable& t, TunableChange change) {
  t.history.push_back(std::move(change));
  if (t.history.size() > kMaxTunableHistory) {
    t.history.erase(
        t.history.begin(),
        t.history.begin() + static_cast<ptrdiff_t>(t.history.size() - kMaxTunableHistory));
  }
}

TunableChange Registration(double previous, double value, TimestampMs now_ms) {
  TunableChange c;
  c.t_ms = now_ms;
  c.previous = previous;
  c.value = value;
  c.outcome = "registered";
  return c;
}

}  // namespace

TunableRegistry::TunableRegistry(TuningDb& db) : db_(db) {}

Result<std::unique_ptr<TunableRegistry>> TunableRegistry::Open(TuningDb& db) {
  Result<std::vector<Tunable>> stored = db.LoadTunables();
  if (!stored.ok()) return stored.status();
  std::unique_ptr<TunableRegistry> registry(new TunableRegistry(db));
  registry->tunables_ = std::move(*stored);
  for (const Tunable& t : registry->tunables_) {
    registry->written_seen_ms_[{t.spec.app, t.spec.name}] = t.seen_ms;
  }
  std::sort(registry->tunables_.begin(), registry->tunables_.end(),
            [](const Tunable& a, const Tunable& b) { return Before(a, b.spec.app, b.spec.name); });
  return registry;
}

std::vector<Tunable>::iterator TunableRegistry::Find(std::string_view app, std::string_view name) {
  auto it = std::lower_bound(
      tunables_.begin(), tunables_.end(), std::pair(app, name),
      [](const Tunable& t, const auto& key) { return Before(t, key.first, key.second); });
  if (it != tunables_.end() && it->spec.app == app && it->spec.name == name) return it;
  return tunables_.end();
}

Status TunableRegistry::CheckRoomFor(std::string_view app) const {
  if (tunables_.size() >= kMaxTunables) {
    return Status::ResourceExhausted("at most " + std::to_string(kMaxTunables) +
                                     " tunables may be registered");
  }
  const size_t of_app = std::count_if(tunables_.begin(), tunables_.end(),
                                      [&](const Tunable& t) { return t.spec.app == app; });
  if (of_app >= kMaxTunablesPerApp) {
    return Status::ResourceExhausted(std::string(app) + ": at most " +
                                     std::to_string(kMaxTunablesPerApp) +
                                     " tunables per application");
  }
  return Status::Ok();
}

Result<Tunable> TunableRegistry::Register(const TunableSpec& spec, TimestampMs now_ms) {
  if (Status s = ValidateTunableSpec(spec); !s.ok()) return s;
  std::lock_guard lock(mu_);
  auto it = Find(spec.app, spec.name);
  if (it == tunables_.end()) return AddLocked(spec, now_ms);
  Tunable updated = *it;
  const bool value_moved = updated.spec.value != spec.value;
  updated.spec = spec;
  updated.seen_ms = std::max(updated.seen_ms, now_ms);
  TimestampMs& written = written_seen_ms_[{spec.app, spec.name}];
  if (value_moved) {
    TunableChange c = Registration(it->spec.value, spec.value, now_ms);
    if (Status s = db_.SaveTunable(updated, c); !s.ok()) return s;
    AppendHistory(updated, std::move(c));
    written = updated.seen_ms;
  } else if (!SameSpec(it->spec, spec) || updated.seen_ms - written >= kSeenWriteIntervalMs) {
    if (Status s = db_.SaveTunable(updated); !s.ok()) return s;
    written = updated.seen_ms;
  }
  *it = std::move(updated);
  return *it;
}

Result<Tunable> TunableRegistry::AddLocked(const TunableSpec& spec, TimestampMs now_ms) {
  if (Status s = CheckRoomFor(spec.app); !s.ok()) return s;
  Tunable t;
  t.spec = spec;
  t.registered_ms = now_ms;
  t.seen_ms = now_ms;
  TunableChange c = Registration(spec.value, spec.value, now_ms);
  if (Status s = db_.SaveTunable(t, c); !s.ok()) return s;
  written_seen_ms_[{spec.app, spec.name}] = now_ms;
  t.history.push_back(std::move(c));
  auto pos = std::lower_bound(
      tunables_.begin(), tunables_.end(), t,
      [](const Tunable& a, const Tunable& b) { return Before(a, b.spec.app, b.spec.name); });
  return *tunables_.insert(pos, std::move(t));
}

std::optional<Tunable> TunableRegistry::Get(std::string_view app, std::string_view name) const {
  std::lock_guard lock(mu_);
  auto it = const_cast<TunableRegistry*>(this)->Find(app, name);
  if (it == tunables_.end()) return std::nullopt;
  return *it;
}

std::vector<Tunable> TunableRegistry::List(std::string_view app) const {
  std::lock_guard lock(mu_);
  std::vector<Tunable> out;
  for (const Tunable& t : tunables_) {
    if (app.empty() || t.spec.app == app) out.push_back(t);
  }
  return out;
}

std::vector<std::string> TunableRegistry::AppsWith(std::string_view name) const {
  std::lock_guard lock(mu_);
  std::vector<std::string> out;
  for (const Tunable& t : tunables_) {
    const bool match = name.empty() || t.spec.name == name;
    // tunables_ is sorted by app, so a repeated app is the previous entry.
    if (match && (out.empty() || out.back() != t.spec.app)) out.push_back(t.spec.app);
  }
  return out;
}

std::vector<std::pair<std::string, std::string>> TunableRegistry::AppsWithHook(
    std::string_view hook) const {
  std::lock_guard lock(mu_);
  std::vector<std::pair<std::string, std::string>> out;
  for (const Tunable& t : tunables_) {
    const auto& hooks = t.spec.hooks;
    if (std::find(hooks.begin(), hooks.end(), hook) == hooks.end()) continue;
    if (out.empty() || out.back().first != t.spec.app) {
      out.emplace_back(t.spec.app, t.spec.webhook);
    } else if (out.back().second.empty()) {
      // Another of the app's tunables may name the webhook the first lacks.
      out.back().second = t.spec.webhook;
    }
  }
  return out;
}

Status TunableRegistry::RecordChange(std::string_view app, std::string_view name,
                                     const TunableChange& change) {
  std::lock_guard lock(mu_);
  auto it = Find(app, name);
  if (it == tunables_.end()) {
    return Status::NotFound("tunable " + std::string(app) + "/" + std::string(name) +
                            " is not registered");
  }
  const bool takes_value = change.outcome == "applied" || change.outcome == "rolled_back";
  if (takes_value && change.value != it->spec.value) {
    Tunable updated = *it;
    updated.spec.value = change.value;
    if (Status s = db_.SaveTunable(updated, change); !s.ok()) return s;
    written_seen_ms_[{updated.spec.app, updated.spec.name}] = updated.seen_ms;
    it->spec.value = change.value;
  } else if (Status s = db_.AppendTunableHistory(it->spec.app, it->spec.name, change); !s.ok()) {
    return s;
  }
  AppendHistory(*it, change);
  return Status::Ok();
}

}  // namespace perfwatch
