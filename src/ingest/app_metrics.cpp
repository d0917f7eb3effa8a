// AppMetrics: identity, limits and writes. Flush and the component figures
// are in app_flush.cpp, the derived metrics in derived_metrics.cpp.

#include "ingest/app_metrics.h"

#include <algorithm>
#include <chrono>
#include <cmath>

#include "ingest/app_series.h"

namespace perfwatch {
namespace {

TimestampMs WallNowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

bool IsFinite(double v) { return v - v == 0; }

uint8_t SourceBit(IngestSource source) { return uint8_t{1} << static_cast<int>(source); }

std::unique_ptr<AppFamily> MakeFamily(std::string_view name, AppKind kind, std::string_view help,
                                      std::string_view unit) {
  auto f = std::make_unique<AppFamily>();
  f->name = std::string(name);
  f->kind = kind;
  f->help = std::string(help);
  f->unit = std::string(unit);
  if (kind == AppKind::kSummary || kind == AppKind::kHistogram) {
    f->count_name = f->name + "_count";
    f->sum_name = f->name + "_sum";
  }
  if (kind == AppKind::kSummary) {
    f->min_name = f->name + "_min";
    f->max_name = f->name + "_max";
  }
  if (kind == AppKind::kHistogram) f->bucket_name = f->name + "_bucket";
  return f;
}

// The names a family of `kind` emits besides its own, and the kinds whose
// emitted names a plain name ending in `suffix` would collide with.
struct SuffixClash {
  std::string_view suffix;
  bool summary;
  bool histogram;
};
constexpr SuffixClash kSuffixClashes[] = {{"_count", true, true},
                                          {"_sum", true, true},
                                          {"_min", true, false},
                                          {"_max", true, false},
                                          {"_bucket", false, true}};

}  // namespace

std::string_view ToString(IngestSource source) {
  switch (source) {
    case IngestSource::kStatsd:
      return "statsd";
    case IngestSource::kPush:
      return "push";
    case IngestSource::kOtlp:
      return "otlp";
  }
  return "unknown";
}

void SourceState::Error(std::string_view reason, uint64_t n) {
  auto it = errors.find(reason);
  if (it == errors.end()) it = errors.emplace(std::string(reason), 0).first;
  it->second += n;
}

SummaryData::SummaryData(const ObserverOptions& options, bool with_lifetime)
    : ring(static_cast<size_t>(std::max(options.window_buckets, 1)),
           DDSketch(options.relative_accuracy)),
      interval_min(std::numeric_limits<double>::infinity()),
      interval_max(-std::numeric_limits<double>::infinity()) {
  if (with_lifetime) lifetime = std::make_unique<DDSketch>(options.relative_accuracy);
}

void SummaryData::RotateTo(int64_t epoch) {
  if (head_epoch == kNoEpoch) {
    head_epoch = epoch;
    return;
  }
  if (epoch == kNoEpoch || epoch <= head_epoch) return;  // a clock step back keeps the data
  const int64_t steps = std::min<int64_t>(epoch - head_epoch, static_cast<int64_t>(ring.size()));
  for (int64_t i = 0; i < steps; ++i) {
    head = (head + 1) % ring.size();
    ring[head].Clear();
  }
  head_epoch = epoch;
}

AppMetrics::State::State(const IngestLimits& limits_in, const ObserverOptions& observers_in)
    : limits(limits_in),
      observers(observers_in),
      derived(observers_in.quantile_window_ms, observers_in.relative_accuracy),
      window(observers_in.relative_accuracy) {}

AppMetrics::AppMetrics(IngestLimits limits, ObserverOptions observers)
    : limits_(std::move(limits)),
      observers_(std::move(observers)),
      state_(std::make_unique<State>(limits_, observers_)) {}

AppMetrics::~AppMetrics() = default;

AppMetrics::Batch AppMetrics::Begin(IngestSource source) { return Batch(this, source); }

AppMetrics::Batch::Batch(AppMetrics* owner, IngestSource source)
    : owner_(owner), source_(source), lock_(owner->mu_) {
  owner_->state_->now_ms = WallNowMs();
}

AppMetrics::Batch::Batch(Batch&& other) noexcept
    : owner_(other.owner_),
      source_(other.source_),
      lock_(std::move(other.lock_)),
      accepted_(other.accepted_) {
  other.owner_ = nullptr;
  other.accepted_ = 0;
}

AppMetrics::Batch::~Batch() {
  if (owner_ != nullptr && lock_.owns_lock()) {
    owner_->state_->sources[static_cast<int>(source_)].samples += accepted_;
  }
}

AppSeries* AppMetrics::Batch::Find(std::string_view key) {
  const StringMap<AppSeries*>& cache = owner_->state_->sources[static_cast<int>(source_)].cache;
  auto it = cache.find(key);
  return it == cache.end() ? nullptr : it->second;
}

void AppMetrics::Batch::Reject(std::string_view reason, uint64_t n) {
  owner_->state_->sources[static_cast<int>(source_)].Error(reason, n);
}

void AppMetrics::Batch::Accepted(uint64_t n) { accepted_ += n; }

void AppMetrics::Batch::Message(uint64_t bytes) {
  SourceState& s = owner_->state_->sources[static_cast<int>(source_)];
  ++s.messages;
  s.bytes += bytes;
}

Result<AppSeries*> AppMetrics::Batch::Create(std::string_view key, AppKind kind,
                                             std::string_view name, Labels labels,
                                             std::string_view help, std::string_view unit) {
  return owner_->state_->Create(source_, key, kind, name, std::move(labels), help, unit);
}

namespace {

// The reason `name{labels}` breaks a limit, or "" when it does not.
std::string_view LimitViolation(const IngestLimits& limits, std::string_view name, AppKind kind,
                                const Labels& labels) {
  if (!IsValidMetricName(name)) return "bad_name";
  if (name.size() > limits.max_name_bytes) return "name_too_long";
  // Summaries and histograms add a quantile or le label when emitted.
  const bool adds_label = kind == AppKind::kSummary || kind == AppKind::kHistogram;
  const size_t max_labels = std::min(limits.max_labels, kMaxLabelsPerSeries - (adds_label ? 1 : 0));
  if (labels.size() > max_labels) return "too_many_labels";
  for (const Label& l : labels) {
    if (l.name.size() > limits.max_name_bytes) return "name_too_long";
    if (l.value.size() > limits.max_label_value_bytes) return "label_value_too_long";
  }
  return {};
}

bool HasFamily(const StringMap<std::unique_ptr<AppFamily>>& families, std::string_view name,
               bool summary, bool histogram) {
  auto it = families.find(name);
  if (it == families.end()) return false;
  const AppKind k = it->second->kind;
  return (summary && k == AppKind::kSummary) || (histogram && k == AppKind::kHistogram);
}

// False when a new family `name` of `kind` would emit a name another
// family emits (a counter x_count beside a summary x, or the reverse).
bool FamilyFits(const StringMap<std::unique_ptr<AppFamily>>& families, std::string_view name,
                AppKind kind) {
  std::string other;
  for (const SuffixClash& c : kSuffixClashes) {
    if (name.ends_with(c.suffix) &&
        HasFamily(families, name.substr(0, name.size() - c.suffix.size()), c.summary,
                  c.histogram)) {
      return false;
    }
    if ((c.summary && kind == AppKind::kSummary) || (c.histogram && kind == AppKind::kHistogram)) {
      other.assign(name).append(c.suffix);
      if (families.contains(other)) return false;
    }
  }
  return true;
}

}  // namespace

Result<AppSeries*> AppMetrics::State::Create(IngestSource source, std::string_view key,
                                             AppKind kind, std::string_view name, Labels labels,
                                             std::string_view help, std::string_view unit) {
  SourceState& src = sources[static_cast<int>(source)];
  if (std::string_view why = LimitViolation(limits, name, kind, labels); !why.empty()) {
    src.Error(why, 1);
    return Status::InvalidArgument(std::string(why) + ": " + std::string(name));
  }
  std::string canonical(name);
  canonical += labels.ToString();
  AppSeries* found;
  if (auto it = series.find(canonical); it != series.end()) {
    found = it->second.get();
    if (found->kind != kind) {
      src.Error("type_conflict", 1);
      return Status::InvalidArgument("type_conflict: " + canonical + " has another type");
    }
    if ((found->sources & SourceBit(source)) == 0) {
      if (src.series >= limits.max_series) {
        src.Error("series_limit", 1);
        return Status::ResourceExhausted("series_limit: " + std::to_string(limits.max_series) +
                                         " series");
      }
      found->sources |= SourceBit(source);
      ++src.series;
    }
  } else {
    Result<AppSeries*> made =
        NewSeries(source, std::move(canonical), kind, name, std::move(labels), help, unit);
    if (!made.ok()) {
      const bool full = made.status().code() == Status::Code::kResourceExhausted;
      src.Error(full ? "series_limit" : "type_conflict", 1);
      return made.status();
    }
    found = *made;
  }
  if (src.cache.size() >= 4 * limits.max_series) src.cache.clear();
  src.cache.insert_or_assign(std::string(key), found);
  return found;
}

Result<AppSeries*> AppMetrics::State::NewSeries(IngestSource source, std::string canonical,
                                                AppKind kind, std::string_view name, Labels labels,
                                                std::string_view help, std::string_view unit) {
  SourceState& src = sources[static_cast<int>(source)];
  auto fam = families.find(name);
  if (fam == families.end() ? !FamilyFits(families, name, kind) : fam->second->kind != kind) {
    return Status::InvalidArgument("type_conflict: " + std::string(name) + " has another type");
  }
  if (src.series >= limits.max_series) {
    return Status::ResourceExhausted("series_limit: " + std::to_string(limits.max_series) +
                                     " series");
  }
  if (fam == families.end()) {
    fam = families.emplace(std::string(name), MakeFamily(name, kind, help, unit)).first;
  }
  auto s = std::make_unique<AppSeries>();
  s->family = fam->second.get();
  s->kind = kind;
  s->derived = ClassifySeries(name, kind, labels);
  s->labels = std::move(labels);
  s->sources = SourceBit(source);
  s->last_write_ms = now_ms;
  if (kind == AppKind::kSummary) {
    const bool component = s->derived.role == DerivedRole::kComponent;
    s->summary = std::make_unique<SummaryData>(observers, component);
    s->summary->RotateTo(epoch);
  } else if (kind == AppKind::kHistogram) {
    s->histogram = std::make_unique<HistogramData>();
  } else if (kind == AppKind::kSet) {
    s->set = std::make_unique<SetData>();
  }
  ++fam->second->series;
  ++src.series;
  AppSeries* raw = s.get();
  series.emplace(std::move(canonical), std::move(s));
  if (raw->derived.role == DerivedRole::kComponent) components.push_back(raw);
  return raw;
}

bool AppMetrics::State::Admit(IngestSource source, AppSeries& s, TimestampMs t_ms) {
  if (t_ms != 0) {
    const int64_t max_age = limits.max_sample_age_ms;
    if (max_age > 0 && t_ms < now_ms - max_age) return Refuse(source, "too_old");
    if (t_ms < s.newest_ms) return Refuse(source, "out_of_order");
  }
  s.newest_ms = std::max(s.newest_ms, t_ms != 0 ? t_ms : now_ms);
  s.last_write_ms = now_ms;
  return true;
}

bool AppMetrics::Batch::Add(AppSeries* series, double delta, TimestampMs t_ms) {
  State& st = *owner_->state_;
  if (series->kind != AppKind::kCounter && series->kind != AppKind::kGauge) {
    return st.Refuse(source_, "type_conflict");
  }
  if (!IsFinite(delta)) return st.Refuse(source_, "bad_value");
  if (series->kind == AppKind::kCounter && delta < 0) return st.Refuse(source_, "negative_counter");
  if (!st.Admit(source_, *series, t_ms)) return false;
  series->value += delta;
  series->written = true;
  return true;
}

bool AppMetrics::Batch::Set(AppSeries* series, double value, TimestampMs t_ms) {
  State& st = *owner_->state_;
  if (series->kind == AppKind::kCounter) {
    if (!IsFinite(value)) return st.Refuse(source_, "bad_value");
    if (value < 0) return st.Refuse(source_, "negative_counter");
  } else if (series->kind != AppKind::kGauge) {
    return st.Refuse(source_, "type_conflict");
  }
  if (!st.Admit(source_, *series, t_ms)) return false;
  // A cumulative counter's first value is where its increase starts, as
  // Prometheus's rate() takes it.
  if (series->kind == AppKind::kCounter && !series->written) series->derived.last_count = value;
  series->value = value;
  series->written = true;
  return true;
}

bool AppMetrics::Batch::Observe(AppSeries* series, double value, double weight) {
  State& st = *owner_->state_;
  if (!IsFinite(value) || !IsFinite(weight) || !(weight > 0))
    return st.Refuse(source_, "bad_value");
  if (series->kind == AppKind::kSummary) {
    SummaryData& s = *series->summary;
    if (s.head_epoch != st.epoch) s.RotateTo(st.epoch);
    s.ring[s.head].Add(value, weight);
    s.count += weight;
    s.sum += value * weight;
    s.interval_min = std::min(s.interval_min, value);
    s.interval_max = std::max(s.interval_max, value);
    if (s.lifetime) s.lifetime->Add(value, weight);
  } else if (series->kind == AppKind::kHistogram) {
    HistogramData& h = *series->histogram;
    if (!h.has_layout) st.SetLayout(*series, st.observers.buckets);
    const size_t i = std::lower_bound(h.bounds.begin(), h.bounds.end(), value) - h.bounds.begin();
    h.counts[i] += weight;
    h.count += weight;
    h.sum += value * weight;
  } else {
    return st.Refuse(source_, "type_conflict");
  }
  series->last_write_ms = st.now_ms;
  return true;
}

bool AppMetrics::Batch::AddMember(AppSeries* series, std::string_view member) {
  State& st = *owner_->state_;
  if (series->kind != AppKind::kSet) return st.Refuse(source_, "type_conflict");
  auto& members = series->set->members;
  if (members.find(member) == members.end()) {
    if (members.size() >= kMaxSetMembers) return st.Refuse(source_, "set_too_large");
    members.emplace(member);
  }
  series->last_write_ms = st.now_ms;
  return true;
}

bool AppMetrics::Batch::SetHistogram(AppSeries* series, std::span<const double> bounds,
                                     std::span<const uint64_t> counts, double sum, bool delta,
                                     TimestampMs t_ms) {
  State& st = *owner_->state_;
  if (series->kind != AppKind::kHistogram) return st.Refuse(source_, "type_conflict");
  if (counts.size() != bounds.size() + 1 ||
      std::adjacent_find(bounds.begin(), bounds.end(), std::greater_equal<>()) != bounds.end() ||
      !std::all_of(bounds.begin(), bounds.end(), IsFinite)) {
    return st.Refuse(source_, "bad_histogram");
  }
  if (!IsFinite(sum)) return st.Refuse(source_, "bad_value");
  HistogramData& h = *series->histogram;
  if (h.has_layout && !std::equal(bounds.begin(), bounds.end(), h.bounds.begin(), h.bounds.end())) {
    return st.Refuse(source_, "bucket_layout_changed");
  }
  if (!st.Admit(source_, *series, t_ms)) return false;
  if (!h.has_layout) st.SetLayout(*series, bounds);
  double total = 0;
  for (size_t i = 0; i < counts.size(); ++i) {
    const double c = static_cast<double>(counts[i]);
    h.counts[i] = delta ? h.counts[i] + c : c;
    total += c;
  }
  h.count = delta ? h.count + total : total;
  h.sum = delta ? h.sum + sum : sum;
  return true;
}

void AppMetrics::State::SetLayout(AppSeries& s, std::span<const double> bounds) {
  HistogramData& h = *s.histogram;
  h.has_layout = true;
  h.bounds.assign(bounds.begin(), bounds.end());
  h.counts.assign(bounds.size() + 1, 0.0);
  h.le_labels.clear();
  std::vector<Label> base;
  for (const Label& l : s.labels) {
    if (l.name != "le") base.push_back(l);
  }
  for (size_t i = 0; i <= bounds.size(); ++i) {
    std::string le;
    AppendPrometheusFloat(le, i < bounds.size() ? bounds[i] : INFINITY);
    std::vector<Label> with = base;
    with.push_back({"le", std::move(le)});
    Result<Labels> labels = Labels::Make(std::move(with));
    h.le_labels.push_back(labels.ok() ? std::move(*labels) : s.labels);
  }
}

void AppMetrics::CountError(IngestSource source, std::string_view reason, uint64_t n) {
  std::lock_guard lock(mu_);
  state_->sources[static_cast<int>(source)].Error(reason, n);
}

uint64_t AppMetrics::ErrorCount(IngestSource source, std::string_view reason) const {
  std::lock_guard lock(mu_);
  const auto& errors = state_->sources[static_cast<int>(source)].errors;
  auto it = errors.find(reason);
  return it == errors.end() ? 0 : it->second;
}

uint64_t AppMetrics::AcceptedCount(IngestSource source) const {
  std::lock_guard lock(mu_);
  return state_->sources[static_cast<int>(source)].samples;
}

size_t AppMetrics::SeriesCount(IngestSource source) const {
  std::lock_guard lock(mu_);
  return state_->sources[static_cast<int>(source)].series;
}

namespace {

bool IsNameByte(char c, bool colon) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         (colon && c == ':');
}

std::string Sanitize(std::string_view name, bool colon) {
  std::string out;
  out.reserve(name.size() + 1);
  if (!name.empty() && name[0] >= '0' && name[0] <= '9') out += '_';
  for (char c : name) out += IsNameByte(c, colon) ? c : '_';
  return out;
}

}  // namespace

std::string SanitizeMetricName(std::string_view name) { return Sanitize(name, /*colon=*/true); }

std::string SanitizeLabelName(std::string_view name) {
  std::string out = Sanitize(name, /*colon=*/false);
  // "__x" (and "___x") is reserved: keep one underscore.
  const size_t run = out.find_first_not_of('_');
  const size_t underscores = run == std::string::npos ? out.size() : run;
  if (underscores >= 2) out.erase(0, underscores - 1);
  return out;
}

}  // namespace perfwatch
