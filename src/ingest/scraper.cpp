// The scrape loop of one target: fetch, parse, label, intern, publish; and
// Flush, which copies every target's published scrape into a tick.

#include "ingest/scraper.h"

#include <algorithm>
#include <condition_variable>
#include <map>
#include <mutex>
#include <set>
#include <stop_token>
#include <thread>
#include <unordered_map>
#include <unordered_set>
#include <utility>

#include "ingest/prom_text_parser.h"
#include "interchange/prom_text.h"
#include "model/event_log.h"
#include "net/http_client.h"

namespace perfwatch {
namespace {

using Clock = std::chrono::steady_clock;

constexpr int64_t kMaxDefaultTimeoutMs = 10'000;
constexpr std::string_view kErrorsMetric = "perfwatch_scrape_errors_total";
// HttpGet's own limit. It is checked here too because Boost 1.74's parser
// lets a longer body through when its start arrives with the header.
constexpr size_t kMaxBodyBytes = 4 << 20;

// How Prometheus spells a target's address in `instance`: the port always
// written, IPv6 in brackets.
std::string InstanceOf(const HttpUrl& url) {
  std::string host = url.host.find(':') != std::string::npos ? "[" + url.host + "]" : url.host;
  return host + ":" + std::to_string(url.port);
}

struct StringHash {
  using is_transparent = void;
  size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
};

struct FamilyInfo {
  PromTextType type = PromTextType::kUntyped;
  std::string_view help;  // escaped, as written
};

// One body's samples and families; the views point into the body. Only the
// first malformed line is kept: it fails the scrape.
class BodyCollector final : public PromTextHandler {
 public:
  struct RawSample {
    std::string_view series;
    std::string_view name;
    double value;
  };

  void Type(std::string_view family, PromTextType type) override { families_[family].type = type; }
  void Help(std::string_view family, std::string_view help) override {
    FamilyInfo& info = families_[family];
    if (info.help.empty()) info.help = help;
  }
  void Sample(size_t, std::string_view series, std::string_view name, double value,
              std::optional<TimestampMs>) override {
    samples_.push_back({series, name, value});
  }
  void Error(size_t line, std::string_view reason, std::string_view message) override {
    if (error_line_ != 0) return;
    error_line_ = line;
    reason_ = reason;
    message_ = message;
  }

  const std::vector<RawSample>& samples() const { return samples_; }
  const std::map<std::string_view, FamilyInfo>& families() const { return families_; }
  size_t error_line() const { return error_line_; }  // 0: no error
  const std::string& reason() const { return reason_; }
  const std::string& message() const { return message_; }

 private:
  std::vector<RawSample> samples_;
  std::map<std::string_view, FamilyInfo> families_;
  size_t error_line_ = 0;
  std::string reason_;
  std::string message_;
};

// Line `line` (1-based) of `body`, cut to a length fit for a log line.
std::string LineOf(std::string_view body, size_t line) {
  size_t start = 0;
  for (size_t i = 1; i < line && start != std::string_view::npos; ++i) {
    start = body.find('\n', start);
    if (start != std::string_view::npos) ++start;
  }
  if (start == std::string_view::npos) return {};
  std::string_view text = body.substr(start, body.find('\n', start) - start);
  constexpr size_t kMaxLogged = 200;
  if (text.size() > kMaxLogged) return std::string(text.substr(0, kMaxLogged)) + "...";
  return std::string(text);
}

// The scraped labels plus job and instance. Without honor_labels a scraped
// job or instance is kept as exported_<name> (exported_exported_<name> if
// that is taken too), as Prometheus does; with it the scraped one wins.
std::vector<Label> WithTargetLabels(const Labels& scraped, const std::string& job,
                                    const std::string& instance, bool honor_labels) {
  std::vector<Label> out(scraped.begin(), scraped.end());
  auto has = [&out](std::string_view name) {
    return std::any_of(out.begin(), out.end(), [&](const Label& l) { return l.name == name; });
  };
  for (const Label& target : {Label{"instance", instance}, Label{"job", job}}) {
    auto it =
        std::find_if(out.begin(), out.end(), [&](const Label& l) { return l.name == target.name; });
    if (it != out.end()) {
      if (honor_labels) continue;
      std::string exported = "exported_" + target.name;
      while (has(exported)) exported.insert(0, "exported_");
      it->name = std::move(exported);
    }
    out.push_back(target);
  }
  return out;
}

// The families a # TYPE line declares, as perfwatch's two kinds.
std::vector<std::pair<std::string, MetricKind>> FamilySeriesNames(std::string_view family,
                                                                  PromTextType type) {
  std::string f(family);
  switch (type) {
    case PromTextType::kCounter:
      return {{f, MetricKind::kCounter}};
    case PromTextType::kSummary:
      return {{f, MetricKind::kGauge},
              {f + "_sum", MetricKind::kCounter},
              {f + "_count", MetricKind::kCounter}};
    case PromTextType::kHistogram:
      return {{f + "_bucket", MetricKind::kCounter},
              {f + "_sum", MetricKind::kCounter},
              {f + "_count", MetricKind::kCounter}};
    default:
      return {{f, MetricKind::kGauge}};
  }
}

void DescribeReportSeries(SeriesRegistry& registry) {
  registry.Describe({"up", MetricKind::kGauge,
                     "1 if the scrape target answered its last scrape, 0 if that scrape failed",
                     ""});
  registry.Describe({"scrape_duration_seconds", MetricKind::kGauge,
                     "Duration of the last scrape of the target", "seconds"});
  registry.Describe({"scrape_samples_scraped", MetricKind::kGauge,
                     "Number of samples the target exposed in the last scrape", ""});
  registry.Describe({"scrape_samples_post_metric_relabeling", MetricKind::kGauge,
                     "Number of samples kept from the last scrape (no metric relabeling: the "
                     "samples scraped less duplicates)",
                     ""});
  registry.Describe({"scrape_series_added", MetricKind::kGauge,
                     "Number of series in the last scrape that were not in the one before", ""});
  registry.Describe({std::string(kErrorsMetric), MetricKind::kCounter,
                     "Failed scrapes of the target by reason", ""});
}

struct ScrapeReport {
  double duration_s = 0;
  uint64_t scraped = 0;
  uint64_t kept = 0;
  uint64_t added = 0;
};

struct ScrapeAttempt {
  bool ok = false;
  std::string reason;  // why it failed: the perfwatch_scrape_errors_total token
  std::string error;   // the same for a person
  ScrapeReport report;
  std::vector<std::pair<SeriesId, double>> samples;
};

void Fail(ScrapeAttempt& a, std::string_view reason, std::string error) {
  a.ok = false;
  a.reason = std::string(reason);
  a.error = std::move(error);
}

}  // namespace

struct Scraper::Target {
  static Result<std::unique_ptr<Target>> Make(ScrapeTarget spec, SeriesRegistry& registry,
                                              int64_t default_interval_ms);

  void Run(std::stop_token stop);
  ScrapeAttempt Scrape();
  void Fetch(ScrapeAttempt& a);
  bool InternAll(const std::vector<BodyCollector::RawSample>& raw, ScrapeAttempt& a);
  Result<SeriesId> InternSeries(std::string_view series, std::string_view name);
  void Describe(const std::map<std::string_view, FamilyInfo>& families);
  void LogTransition(const ScrapeAttempt& a);
  void Publish(ScrapeAttempt a);
  void CountError(const std::string& reason);
  void Flush(Tick& tick);
  Result<SeriesId> ReportSeries(std::string_view name, std::string_view reason = {});

  // Constant after Make.
  ScrapeTarget spec;
  HttpUrl url;
  std::string instance;
  int64_t interval_ms = 0;
  int64_t timeout_ms = 0;
  SeriesRegistry* registry = nullptr;
  HttpHeaders headers;
  SeriesId up_id = 0, duration_id = 0, scraped_id = 0, post_id = 0, added_id = 0;

  // Used by the scrape thread only.
  struct CacheEntry {
    SeriesId id;
    uint64_t last_seen;  // generation of the last scrape that had the series
  };
  std::unordered_map<std::string, CacheEntry, StringHash, std::equal_to<>> cache;
  uint64_t generation = 0;
  std::unordered_set<std::string> described;
  std::string last_failure;  // reason + error of the last failed scrape; "" while healthy

  std::mutex mu;
  std::condition_variable_any cv;  // signalled on each Publish
  // protected by mu:
  uint64_t scrapes = 0;
  bool up = false;
  ScrapeReport report;
  std::vector<std::pair<SeriesId, double>> samples;  // empty while down
  struct ErrorCount {
    SeriesId id;
    uint64_t count;
  };
  std::map<std::string, ErrorCount, std::less<>> errors;

  std::jthread thread;  // last: joined before the members above go
};

Result<std::unique_ptr<Scraper::Target>> Scraper::Target::Make(ScrapeTarget spec,
                                                               SeriesRegistry& registry,
                                                               int64_t default_interval_ms) {
  std::string what = "scrape target \"" + spec.job + "\" (" + spec.url + "): ";
  if (spec.job.empty() || spec.job.size() > kMaxLabelValueBytes || !IsValidUtf8(spec.job)) {
    return Status::InvalidArgument(what + "job must be a non-empty UTF-8 label value");
  }
  Result<HttpUrl> url = ParseHttpUrl(spec.url);
  if (!url.ok()) return Status::InvalidArgument(what + url.status().message());
  auto t = std::make_unique<Target>();
  t->interval_ms = spec.interval_ms > 0 ? spec.interval_ms : default_interval_ms;
  t->timeout_ms =
      spec.timeout_ms > 0 ? spec.timeout_ms : std::min(t->interval_ms, kMaxDefaultTimeoutMs);
  if (t->interval_ms <= 0 || t->timeout_ms > t->interval_ms) {
    return Status::InvalidArgument(what + "the interval must be positive and the timeout " +
                                   std::to_string(t->timeout_ms) + " ms no longer than it");
  }
  t->url = std::move(*url);
  t->instance = InstanceOf(t->url);
  t->spec = std::move(spec);
  t->registry = &registry;
  std::string timeout_s;
  AppendPrometheusFloat(timeout_s, static_cast<double>(t->timeout_ms) / 1000);
  t->headers = {{"Accept", "text/plain;version=0.0.4"},
                {"X-Prometheus-Scrape-Timeout-Seconds", timeout_s}};
  const std::pair<std::string_view, SeriesId*> report[] = {
      {"up", &t->up_id},
      {"scrape_duration_seconds", &t->duration_id},
      {"scrape_samples_scraped", &t->scraped_id},
      {"scrape_samples_post_metric_relabeling", &t->post_id},
      {"scrape_series_added", &t->added_id}};
  for (const auto& [name, id] : report) {
    Result<SeriesId> interned = t->ReportSeries(name);
    if (!interned.ok()) return Status::ResourceExhausted(what + interned.status().message());
    *id = *interned;
  }
  return t;
}

Result<SeriesId> Scraper::Target::ReportSeries(std::string_view name, std::string_view reason) {
  std::vector<Label> labels = {{"instance", instance}, {"job", spec.job}};
  if (!reason.empty()) labels.push_back({"reason", std::string(reason)});
  Result<Labels> made = Labels::Make(std::move(labels));
  if (!made.ok()) return made.status();
  return registry->Intern(name, *made);
}

void Scraper::Target::Run(std::stop_token stop) {
  const auto interval = std::chrono::milliseconds(interval_ms);
  auto next = Clock::now();
  while (!stop.stop_requested()) {
    Publish(Scrape());
    next += interval;
    auto now = Clock::now();
    if (next < now) next += ((now - next) / interval + 1) * interval;  // skip, never bunch
    std::unique_lock lock(mu);
    cv.wait_until(lock, stop, next, [] { return false; });
  }
}

ScrapeAttempt Scraper::Target::Scrape() {
  const auto start = Clock::now();
  ScrapeAttempt a;
  Fetch(a);
  a.report.duration_s = std::chrono::duration<double>(Clock::now() - start).count();
  return a;
}

void Scraper::Target::Fetch(ScrapeAttempt& a) {
  Result<HttpReply> reply = HttpGet(url, headers, std::chrono::milliseconds(timeout_ms));
  if (!reply.ok()) {
    const std::string& message = reply.status().message();
    std::string_view reason = message.find("timed out") != std::string::npos    ? "timeout"
                              : message.find("body limit") != std::string::npos ? "body_too_large"
                                                                                : "unreachable";
    return Fail(a, reason, message);
  }
  if (reply->status != 200) {
    return Fail(a, "http_status", "server returned HTTP status " + std::to_string(reply->status));
  }
  if (reply->body.size() > kMaxBodyBytes) {
    return Fail(a, "body_too_large",
                "body of " + std::to_string(reply->body.size()) + " bytes, over the limit of " +
                    std::to_string(kMaxBodyBytes));
  }
  BodyCollector body;
  ParsePromText(reply->body, body);
  a.report.scraped = body.samples().size();
  if (body.error_line() != 0) {
    return Fail(a, body.reason(),
                body.message() + ": \"" + LineOf(reply->body, body.error_line()) + "\"");
  }
  if (spec.sample_limit != 0 && body.samples().size() > spec.sample_limit) {
    return Fail(a, "sample_limit",
                "sample limit exceeded: " + std::to_string(body.samples().size()) +
                    " samples, limit " + std::to_string(spec.sample_limit));
  }
  if (!InternAll(body.samples(), a)) return;
  Describe(body.families());
  a.ok = true;
}

// Maps every sample to its series through the cache; a series met twice in
// one body keeps its first value (Prometheus drops the duplicate).
bool Scraper::Target::InternAll(const std::vector<BodyCollector::RawSample>& raw,
                                ScrapeAttempt& a) {
  ++generation;
  a.samples.reserve(raw.size());
  for (const BodyCollector::RawSample& s : raw) {
    auto it = cache.find(s.series);
    const bool is_new = it == cache.end();
    if (is_new) {
      Result<SeriesId> id = InternSeries(s.series, s.name);
      if (!id.ok()) {
        bool full = id.status().code() == Status::Code::kResourceExhausted;
        Fail(a, full ? "series_limit" : "bad_labels", id.status().message());
        return false;
      }
      it = cache.emplace(std::string(s.series), CacheEntry{*id, 0}).first;
    }
    if (it->second.last_seen == generation) continue;
    if (is_new || it->second.last_seen + 1 != generation) ++a.report.added;
    it->second.last_seen = generation;
    a.samples.emplace_back(it->second.id, s.value);
  }
  a.report.kept = a.samples.size();
  // Series that went away stay cached until they outnumber the live ones.
  if (cache.size() > 2 * a.samples.size() + 1024) {
    std::erase_if(cache, [this](const auto& kv) { return kv.second.last_seen != generation; });
  }
  return true;
}

Result<SeriesId> Scraper::Target::InternSeries(std::string_view series, std::string_view name) {
  Labels scraped;
  if (Status st = ParseSeriesLabels(series, &scraped); !st.ok()) return st;
  Result<Labels> labels =
      Labels::Make(WithTargetLabels(scraped, spec.job, instance, spec.honor_labels));
  if (!labels.ok()) {
    return Status::InvalidArgument("series \"" + std::string(series) +
                                   "\": " + labels.status().message());
  }
  return registry->Intern(name, *labels);
}

void Scraper::Target::Describe(const std::map<std::string_view, FamilyInfo>& families) {
  for (const auto& [family, info] : families) {
    if (!described.emplace(family).second) continue;
    std::string help;
    if (!UnescapePromText(info.help, &help)) help = std::string(info.help);
    for (auto& [name, kind] : FamilySeriesNames(family, info.type)) {
      registry->Describe({std::move(name), kind, help, ""});
    }
  }
}

void Scraper::Target::LogTransition(const ScrapeAttempt& a) {
  std::string failure = a.ok ? std::string() : a.reason + ": " + a.error;
  if (failure == last_failure) return;
  if (a.ok) {
    LogEvent(LogLevel::kInfo, "scrape_recovered", {{"job", spec.job}, {"instance", instance}});
  } else {
    LogEvent(LogLevel::kWarn, "scrape_failed",
             {{"job", spec.job}, {"instance", instance}, {"reason", a.reason}, {"error", a.error}});
  }
  last_failure = std::move(failure);
}

void Scraper::Target::Publish(ScrapeAttempt a) {
  LogTransition(a);
  std::lock_guard lock(mu);
  ++scrapes;
  up = a.ok;
  report = a.report;
  samples = std::move(a.samples);
  if (!a.ok) {
    samples.clear();
    CountError(a.reason);
  }
  cv.notify_all();
}

void Scraper::Target::CountError(const std::string& reason) {
  auto it = errors.find(reason);
  if (it == errors.end()) {
    Result<SeriesId> id = ReportSeries(kErrorsMetric, reason);
    if (!id.ok()) return;  // a full registry: the failure still shows in up
    it = errors.emplace(reason, ErrorCount{*id, 0}).first;
  }
  ++it->second.count;
}

void Scraper::Target::Flush(Tick& tick) {
  std::lock_guard lock(mu);
  if (scrapes == 0) return;
  for (const auto& [id, value] : samples) tick.AppendInterned(id, value);
  tick.AppendInterned(up_id, up ? 1 : 0);
  tick.AppendInterned(duration_id, report.duration_s);
  tick.AppendInterned(scraped_id, static_cast<double>(report.scraped));
  tick.AppendInterned(post_id, static_cast<double>(report.kept));
  tick.AppendInterned(added_id, static_cast<double>(report.added));
  for (const auto& [reason, e] : errors) tick.AppendInterned(e.id, static_cast<double>(e.count));
}

Result<std::unique_ptr<Scraper>> Scraper::Start(std::vector<ScrapeTarget> targets,
                                                SeriesRegistry& registry,
                                                int64_t default_interval_ms) {
  DescribeReportSeries(registry);
  std::unique_ptr<Scraper> scraper(new Scraper());
  std::set<std::pair<std::string, std::string>> seen;
  for (ScrapeTarget& spec : targets) {
    Result<std::unique_ptr<Target>> t =
        Target::Make(std::move(spec), registry, default_interval_ms);
    if (!t.ok()) return t.status();
    if (!seen.emplace((*t)->spec.job, (*t)->instance).second) {
      return Status::InvalidArgument("two scrape targets share job \"" + (*t)->spec.job +
                                     "\" and instance \"" + (*t)->instance + "\"");
    }
    scraper->targets_.push_back(std::move(*t));
  }
  for (auto& t : scraper->targets_) {
    t->thread = std::jthread([target = t.get()](std::stop_token stop) { target->Run(stop); });
  }
  return scraper;
}

Scraper::~Scraper() { Stop(); }

void Scraper::Stop() {
  for (auto& t : targets_) t->thread.request_stop();
  for (auto& t : targets_) {
    if (t->thread.joinable()) t->thread.join();
  }
}

void Scraper::Flush(Tick& tick) {
  for (auto& t : targets_) t->Flush(tick);
}

bool Scraper::WaitForScrapes(uint64_t scrapes, std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  for (auto& t : targets_) {
    std::unique_lock lock(t->mu);
    if (!t->cv.wait_until(lock, deadline, [&] { return t->scrapes >= scrapes; })) return false;
  }
  return true;
}

}  // namespace perfwatch
