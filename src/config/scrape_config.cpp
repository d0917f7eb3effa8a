#include "config/scrape_config.h"

#include <algorithm>
#include <charconv>
#include <map>
#include <string>

#include "model/duration.h"
#include "model/labels.h"
#include "net/http_client.h"

namespace perfwatch {
namespace {

// The scraper's default timeout cap (ingest/scraper.h).
constexpr int64_t kMaxDefaultTimeoutMs = 10'000;

std::string At(std::string_view source, const YAML::Node& node, std::string_view what) {
  std::string out(source);
  if (!out.empty()) out += ": ";
  out += what;
  if (node.Mark().line >= 0) out += " (line " + std::to_string(node.Mark().line + 1) + ")";
  return out;
}

// RFC 3629: no overlong forms, surrogates or code points above U+10FFFF.
bool IsUtf8(std::string_view s) {
  for (size_t i = 0; i < s.size();) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      ++i;
      continue;
    }
    size_t extra = 0;
    unsigned char lo = 0x80, hi = 0xbf;  // range of the second byte
    if (c >= 0xc2 && c <= 0xdf) {
      extra = 1;
    } else if (c >= 0xe0 && c <= 0xef) {
      extra = 2;
      if (c == 0xe0) lo = 0xa0;
      if (c == 0xed) hi = 0x9f;
    } else if (c >= 0xf0 && c <= 0xf4) {
      extra = 3;
      if (c == 0xf0) lo = 0x90;
      if (c == 0xf4) hi = 0x8f;
    } else {
      return false;
    }
    if (s.size() - i <= extra) return false;
    for (size_t k = 1; k <= extra; ++k) {
      const auto b = static_cast<unsigned char>(s[i + k]);
      if (k == 1 ? (b < lo || b > hi) : (b & 0xc0) != 0x80) return false;
    }
    i += extra + 1;
  }
  return true;
}

// The job becomes a label value.
Status CheckJob(std::string_view job) {
  if (job.empty()) return Status::InvalidArgument("must not be empty");
  if (job.size() > kMaxLabelValueBytes || !IsUtf8(job)) {
    return Status::InvalidArgument("must be UTF-8 of at most " +
                                   std::to_string(kMaxLabelValueBytes) + " bytes");
  }
  return Status::Ok();
}

// The instance label the scraper gives the target: host:port.
Result<std::string> InstanceOf(std::string_view url) {
  Result<HttpUrl> parsed = ParseHttpUrl(url);
  if (!parsed.ok()) return parsed.status();
  const std::string& host = parsed->host;
  return (host.find(':') != std::string::npos ? "[" + host + "]" : host) + ":" +
         std::to_string(parsed->port);
}

Status SetPositiveDuration(const std::string& text, int64_t* out) {
  Result<int64_t> ms = ParseDuration(text);
  if (!ms.ok()) return ms.status();
  if (*ms <= 0) return Status::InvalidArgument("must be positive, got \"" + text + "\"");
  *out = *ms;
  return Status::Ok();
}

Status ApplyTargetKey(const std::string& key, const YAML::Node& value, ScrapeConfig& t) {
  if (!value.IsScalar()) return Status::InvalidArgument("expected a single value");
  const std::string& v = value.Scalar();
  if (key == "job") {
    if (Status st = CheckJob(v); !st.ok()) return st;
    return t.job = v, Status::Ok();
  }
  if (key == "url") {
    if (Result<HttpUrl> url = ParseHttpUrl(v); !url.ok()) return url.status();
    return t.url = v, Status::Ok();
  }
  if (key == "interval") return SetPositiveDuration(v, &t.interval_ms);
  if (key == "timeout") return SetPositiveDuration(v, &t.timeout_ms);
  if (key == "sample_limit") {
    auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), t.sample_limit);
    if (v.empty() || ec != std::errc() || end != v.data() + v.size()) {
      return Status::InvalidArgument("invalid value \"" + v +
                                     "\" (expected a whole number; 0 = no limit)");
    }
    return Status::Ok();
  }
  if (key == "honor_labels") {
    if (!YAML::convert<bool>::decode(value, t.honor_labels)) {
      return Status::InvalidArgument("invalid value \"" + v + "\" (expected true or false)");
    }
    return Status::Ok();
  }
  return Status::InvalidArgument(
      "unknown key (job, url, interval, timeout, sample_limit, honor_labels)");
}

Result<ScrapeConfig> ParseTarget(const YAML::Node& item, std::string_view source,
                                 const std::string& path) {
  if (!item.IsMap()) {
    return Status::InvalidArgument(At(source, item, path) + ": expected a mapping (job, url...)");
  }
  ScrapeConfig t;
  for (const auto& kv : item) {
    std::string key = kv.first.as<std::string>();
    if (Status st = ApplyTargetKey(key, kv.second, t); !st.ok()) {
      return Status::InvalidArgument(At(source, kv.first, path + "." + key) + ": " + st.message());
    }
  }
  if (t.job.empty()) return Status::InvalidArgument(At(source, item, path) + ": missing job");
  if (t.url.empty()) return Status::InvalidArgument(At(source, item, path) + ": missing url");
  return t;
}

// Two targets of one job on one host:port would write the same up series.
class DuplicateCheck {
 public:
  // "" when new; otherwise the complaint.
  std::string Add(const ScrapeConfig& t, const std::string& instance, size_t index) {
    auto [it, added] = seen_.emplace(std::make_pair(t.job, instance), index);
    if (added) return {};
    return "job \"" + t.job + "\" already scrapes " + instance + " (scrape[" +
           std::to_string(it->second) + "]); two targets would share up{job,instance}";
  }

 private:
  std::map<std::pair<std::string, std::string>, size_t> seen_;
};

}  // namespace

Status ApplyScrapeSection(YAML::Node& root, std::string_view source, Config& config) {
  const YAML::Node& view = root;  // operator[] on a const node adds nothing
  if (!view["scrape"]) return Status::Ok();
  const YAML::Node node = view["scrape"];
  std::vector<ScrapeConfig> targets;
  if (!node.IsNull() && !node.IsSequence()) {
    return Status::InvalidArgument(At(source, node, "scrape") + ": expected a list of targets");
  }
  DuplicateCheck duplicates;
  for (size_t i = 0; node.IsSequence() && i < node.size(); ++i) {
    std::string path = "scrape[" + std::to_string(i) + "]";
    Result<ScrapeConfig> target = ParseTarget(node[i], source, path);
    if (!target.ok()) return target.status();
    std::string clash = duplicates.Add(*target, *InstanceOf(target->url), i);
    if (!clash.empty()) return Status::InvalidArgument(At(source, node[i], path) + ": " + clash);
    targets.push_back(std::move(*target));
  }
  config.scrape = std::move(targets);
  root.remove("scrape");
  return Status::Ok();
}

Status ValidateScrapeTargets(const Config& config) {
  DuplicateCheck duplicates;
  for (size_t i = 0; i < config.scrape.size(); ++i) {
    const ScrapeConfig& t = config.scrape[i];
    const std::string key = "scrape[" + std::to_string(i) + "]";
    auto fail = [&](std::string_view field, const std::string& why) {
      return Status::InvalidArgument(key + std::string(field) + ": " + why);
    };
    if (Status st = CheckJob(t.job); !st.ok()) return fail(".job", st.message());
    Result<std::string> instance = InstanceOf(t.url);
    if (!instance.ok()) return fail(".url", instance.status().message());
    if (t.interval_ms < 0) return fail(".interval", "must be positive");
    if (t.timeout_ms < 0) return fail(".timeout", "must be positive");
    const int64_t interval = t.interval_ms > 0 ? t.interval_ms : config.collect.interval_ms;
    const int64_t timeout =
        t.timeout_ms > 0 ? t.timeout_ms : std::min(interval, kMaxDefaultTimeoutMs);
    if (timeout > interval) {
      return fail(".timeout", FormatDuration(timeout) + " is longer than the scrape interval " +
                                  FormatDuration(interval) +
                                  (t.interval_ms > 0 ? "" : " (collect.interval)"));
    }
    std::string clash = duplicates.Add(t, *instance, i);
    if (!clash.empty()) return fail("", clash);
  }
  return Status::Ok();
}

void EmitScrapeTargets(const Config& config, YAML::Emitter& out) {
  if (config.scrape.empty()) return;
  const ScrapeConfig defaults;
  out << YAML::Key << "scrape" << YAML::Value << YAML::BeginSeq;
  for (const ScrapeConfig& t : config.scrape) {
    out << YAML::BeginMap;
    out << YAML::Key << "job" << YAML::Value << t.job;
    out << YAML::Key << "url" << YAML::Value << t.url;
    if (t.interval_ms > 0) {
      out << YAML::Key << "interval" << YAML::Value << FormatDuration(t.interval_ms);
    }
    if (t.timeout_ms > 0) {
      out << YAML::Key << "timeout" << YAML::Value << FormatDuration(t.timeout_ms);
    }
    if (t.sample_limit != defaults.sample_limit) {
      out << YAML::Key << "sample_limit" << YAML::Value << t.sample_limit;
    }
    if (t.honor_labels) out << YAML::Key << "honor_labels" << YAML::Value << true;
    out << YAML::EndMap;
  }
  out << YAML::EndSeq;
}

}  // namespace perfwatch
