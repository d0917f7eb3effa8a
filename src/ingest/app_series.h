#pragma once
// Private to ingest/: what AppMetrics keeps per series and per source. Every
// field is protected by AppMetrics::mu_ (see app_metrics.h).

#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "ingest/app_metrics.h"
#include "ingest/ddsketch.h"
#include "ingest/derived_metrics.h"

namespace perfwatch {

struct StringHash {
  using is_transparent = void;
  size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
};
template <typename V>
using StringMap = std::unordered_map<std::string, V, StringHash, std::equal_to<>>;

inline constexpr int64_t kNoEpoch = INT64_MIN;
// Members kept per set and flush interval; more are counted ("set_too_large").
inline constexpr size_t kMaxSetMembers = 100'000;

// One metric family (name): its kind, description and emitted names.
struct AppFamily {
  std::string name;
  AppKind kind;
  std::string help;
  std::string unit;
  size_t series = 0;
  // Emitted beside `name` by summaries and histograms.
  std::string count_name, sum_name, min_name, max_name, bucket_name;
};

struct SummaryData {
  SummaryData(const ObserverOptions& options, bool lifetime);
  // Moves the head to `epoch`, clearing the buckets that aged out.
  void RotateTo(int64_t epoch);
  std::vector<DDSketch> ring;  // age buckets of the quantile window
  size_t head = 0;
  int64_t head_epoch = kNoEpoch;
  double count = 0;  // cumulative
  double sum = 0;
  double interval_min;  // +inf while the flush interval saw nothing
  double interval_max;
  std::unique_ptr<DDSketch> lifetime;   // component timers only
  std::vector<Labels> quantile_labels;  // built at the first Flush
};

struct HistogramData {
  bool has_layout = false;
  std::vector<double> bounds;  // ascending, without +Inf
  std::vector<double> counts;  // bounds.size() + 1, not cumulative
  double count = 0;
  double sum = 0;
  std::vector<Labels> le_labels;  // bounds.size() + 1, built with the layout
};

struct SetData {
  std::unordered_set<std::string, StringHash, std::equal_to<>> members;
};

struct AppSeries {
  AppFamily* family;
  AppKind kind;
  Labels labels;
  uint8_t sources = 0;            // bit per IngestSource that created or found it
  bool dead = false;              // expired; freed after the caches drop it
  bool written = false;           // a counter has had a value
  TimestampMs last_write_ms = 0;  // for series_ttl_ms
  TimestampMs newest_ms = 0;      // newest sample time, for out_of_order
  double value = 0;               // counter, gauge
  std::unique_ptr<SummaryData> summary;
  std::unique_ptr<HistogramData> histogram;
  std::unique_ptr<SetData> set;
  DerivedInput derived;
};

struct SourceState {
  StringMap<AppSeries*> cache;  // the source's raw key -> series
  size_t series = 0;            // live series with this source's bit
  uint64_t samples = 0;
  uint64_t messages = 0;
  uint64_t bytes = 0;
  std::map<std::string, uint64_t, std::less<>> errors;  // reason -> count
  void Error(std::string_view reason, uint64_t n);
};

// What a Flush gathers under mu_ and hands to the Appender after releasing
// it, so sources are not held up by the Appender (the registry's interning
// is most of a Flush). Series samples point into series and families: only
// Flush frees those, and Flushes are serialised by State::flush_mu.
struct FlushBuffer {
  struct Sample {
    std::string_view name;
    const Labels* labels;
    double value;
    uint8_t sources;  // the series' source bits, to count a refused sample
  };
  std::vector<MetricMeta> metas;
  std::vector<Sample> samples;
  std::deque<std::string> names;  // owned: derived and ingest figures
  std::deque<Labels> labels;
  void Clear();
};

// Everything behind AppMetrics::mu_ (except flush_mu and flush_buffer); the
// Batch methods are thin wrappers over these.
struct AppMetrics::State {
  State(const IngestLimits& limits, const ObserverOptions& observers);

  Result<AppSeries*> Create(IngestSource source, std::string_view key, AppKind kind,
                            std::string_view name, Labels labels, std::string_view help,
                            std::string_view unit);
  // Checks t_ms (0 = now) and marks the write; false when refused.
  bool Admit(IngestSource source, AppSeries& series, TimestampMs t_ms);
  bool Refuse(IngestSource source, std::string_view reason) {
    sources[static_cast<int>(source)].Error(reason, 1);
    return false;
  }
  void SetLayout(AppSeries& series, std::span<const double> bounds);

  // Under mu_: fills `out` with everything a Flush at `now` emits and moves
  // the expired series to `dead`.
  void Collect(TimestampMs now, FlushBuffer& out, std::vector<std::unique_ptr<AppSeries>>& dead);
  std::vector<ComponentStats> Components() const;

  const IngestLimits& limits;
  const ObserverOptions& observers;
  SourceState sources[kIngestSourceCount];
  StringMap<std::unique_ptr<AppSeries>> series;  // canonical key -> series
  StringMap<std::unique_ptr<AppFamily>> families;
  std::vector<AppSeries*> components;  // component timers, for Components()
  TimestampMs now_ms = 0;              // wall clock at the current Batch's start
  int64_t epoch = kNoEpoch;            // quantile-window age bucket of the last Flush
  TimestampMs interval_start_ms = 0;
  TimestampMs last_flush_ms = 0;  // 0 before the first Flush
  DerivedMetrics derived;
  DDSketch window;  // scratch: one summary's window merged

  std::mutex flush_mu;       // one Flush at a time; taken before mu_
  FlushBuffer flush_buffer;  // protected by flush_mu

 private:
  Result<AppSeries*> NewSeries(IngestSource source, std::string canonical, AppKind kind,
                               std::string_view name, Labels labels, std::string_view help,
                               std::string_view unit);
  void Retire(AppSeries& s);  // an expired series leaves its sources and family
  void Describe(FlushBuffer& out) const;
  void Emit(FlushBuffer& out, AppSeries& s, bool restart);
  void EmitSummary(FlushBuffer& out, AppSeries& s, bool restart);
  void EmitHistogram(FlushBuffer& out, const AppSeries& s) const;
  void EmitIngestCounters(Appender& out) const;
};

}  // namespace perfwatch
