#include "commands/check_remote.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <nlohmann/json.hpp>

#include "model/status.h"
#include "net/http_client.h"

namespace perfwatch {
namespace {

using Json = nlohmann::json;
using Clock = std::chrono::steady_clock;

constexpr std::array<std::string_view, 5> kClassNames = {"Excellent", "Good", "Fair", "Poor",
                                                         "Critical"};

struct Fetcher {
  const RemoteCheckOptions& options;
  std::string base;  // URL without trailing '/'
  Clock::time_point deadline;

  // The parsed JSON body of a 200 answer; `not_running` is set instead of
  // failing when the route answers 503 and the caller can do without it.
  Result<Json> Get(const std::string& path, bool* not_running = nullptr) const {
    const std::string url = base + path;
    Result<HttpUrl> parsed = ParseHttpUrl(url);
    if (!parsed.ok()) return Status::InvalidArgument("--url: " + parsed.status().message());
    HttpHeaders headers;
    if (!options.token.empty()) headers.emplace_back("Authorization", "Bearer " + options.token);
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    if (left.count() <= 0) return Status::Unavailable(url + ": --timeout passed");
    Result<HttpReply> reply = HttpGet(*parsed, headers, left);
    if (!reply.ok()) return Status::Unavailable(url + ": " + reply.status().message());
    Json body = Json::parse(reply->body, nullptr, false);
    if (reply->status == 503 && not_running != nullptr) {
      *not_running = true;
      return Json();
    }
    if (reply->status != 200) {
      std::string why = body.is_object() && body.contains("error") && body["error"].is_string()
                            ? body["error"].get<std::string>()
                            : reply->body.substr(0, 200);
      return Status::Unavailable(url + " answered " + std::to_string(reply->status) +
                                 (why.empty() ? "" : ": " + why));
    }
    if (!body.is_object())
      return Status::InvalidArgument(url + ": the answer is not a JSON object");
    return body;
  }
};

int64_t WallNowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// The server's reasons ("memory 96.2% > 95% (critical)"), joined.
std::string ReasonTexts(const Json& status) {
  std::string out;
  auto it = status.find("reasons");
  if (it == status.end() || !it->is_array()) return out;
  for (const Json& r : *it) {
    if (!r.is_object() || !r.contains("text") || !r["text"].is_string()) continue;
    out += out.empty() ? "" : ", ";
    out += r["text"].get<std::string>();
  }
  return out;
}

Result<CheckItem> StatusItem(const RemoteCheckOptions& o, const Json& status) {
  auto cls = status.find("class");
  if (cls == status.end() || !cls->is_number_integer() || *cls < 0 || *cls > 4) {
    return Status::InvalidArgument("/api/v1/status: no \"class\" from 0 to 4 in the answer");
  }
  const int c = cls->get<int>();
  CheckItem item;
  item.name = "status";
  item.state = c >= o.crit_class   ? CheckState::kCritical
               : c >= o.warn_class ? CheckState::kWarning
                                   : CheckState::kOk;
  item.text = "status " + std::string(kClassNames[c]);
  auto score = status.find("score");
  if (score != status.end() && score->is_number()) {
    item.value = score->get<double>();
    item.text += " (score " + FormatFixed(*item.value, 0) + ")";
    item.perf_label = "score";
    item.precision = 0;
    item.min = 0;
    item.max = 100;
  }
  std::string reasons = ReasonTexts(status);
  if (!reasons.empty()) item.text += ": " + reasons;
  return item;
}

// A stalled collector leaves the last classified tick behind.
std::optional<CheckItem> StaleItem(const RemoteCheckOptions& o, const Json& status) {
  auto t = status.find("time");
  if (!o.max_age || t == status.end() || !t->is_number()) return std::nullopt;
  const double age_s = static_cast<double>(WallNowMs() - t->get<int64_t>()) / 1000.0;
  if (age_s * 1000.0 <= static_cast<double>(o.max_age->count())) return std::nullopt;
  CheckItem item;
  item.name = "freshness";
  item.state = CheckState::kCritical;
  item.text = "the latest tick is " + FormatFixed(age_s, 0) + " s old (--max-age " +
              FormatFixed(static_cast<double>(o.max_age->count()) / 1000.0, 0) +
              " s): collection has stalled";
  return item;
}

std::string Str(const Json& obj, const char* key) {
  auto it = obj.find(key);
  return it != obj.end() && it->is_string() ? it->get<std::string>() : std::string();
}

// Firing, unsilenced alerts: critical severity is CRITICAL, info and none
// are ignored, every other severity (warning, empty, custom) is WARNING.
// Acknowledged alerts still count: the condition is still there.
Result<std::vector<CheckItem>> AlertItems(const Json& answer) {
  const Json* alerts = nullptr;
  if (auto d = answer.find("data"); d != answer.end() && d->is_object()) {
    if (auto a = d->find("alerts"); a != d->end() && a->is_array()) alerts = &*a;
  }
  if (alerts == nullptr) {
    return Status::InvalidArgument("/api/v1/alerts: no data.alerts list in the answer");
  }
  std::vector<CheckItem> items;
  int counts[2] = {0, 0};  // warning, critical
  for (const Json& a : *alerts) {
    if (!a.is_object() || Str(a, "state") != "firing") continue;
    if (a.value("silenced", false)) continue;
    std::string severity = Str(a, "severity");
    std::transform(severity.begin(), severity.end(), severity.begin(),
                   [](unsigned char ch) { return std::tolower(ch); });
    if (severity == "info" || severity == "none") continue;
    const bool critical = severity == "critical";
    ++counts[critical ? 1 : 0];
    std::string name = Str(a, "rule");
    if (auto l = a.find("labels"); name.empty() && l != a.end() && l->is_object()) {
      name = Str(*l, "alertname");
    }
    CheckItem item;
    item.name = "alert " + name;
    item.state = critical ? CheckState::kCritical : CheckState::kWarning;
    item.text = "alert " + name + " firing (" + (severity.empty() ? "no severity" : severity) + ")";
    if (auto an = a.find("annotations"); an != a.end() && an->is_object()) {
      std::string summary = Str(*an, "summary");
      if (!summary.empty()) item.text += ": " + summary;
    }
    items.push_back(std::move(item));
  }
  CheckItem count;
  count.name = "alerts critical";
  count.text = items.empty() ? "no firing alerts" : "";
  // The counts carry the state of what they count, without a text of
  // their own (the alerts above name themselves).
  count.state = counts[1] > 0 ? CheckState::kCritical : CheckState::kOk;
  count.value = counts[1];
  count.perf_label = "alerts_critical";
  count.precision = 0;
  count.min = 0;
  CheckItem warn_count = count;
  warn_count.name = "alerts warning";
  warn_count.text.clear();
  warn_count.state = counts[0] > 0 ? CheckState::kWarning : CheckState::kOk;
  warn_count.value = counts[0];
  warn_count.perf_label = "alerts_warning";
  items.push_back(std::move(count));
  items.push_back(std::move(warn_count));
  return items;
}

}  // namespace

std::optional<int> ParseStatusClass(std::string_view text) {
  if (text.size() == 1 && text[0] >= '0' && text[0] <= '4') return text[0] - '0';
  for (size_t i = 0; i < kClassNames.size(); ++i) {
    std::string_view name = kClassNames[i];
    if (name.size() == text.size() &&
        std::equal(name.begin(), name.end(), text.begin(), [](char a, char b) {
          return std::tolower(static_cast<unsigned char>(a)) ==
                 std::tolower(static_cast<unsigned char>(b));
        })) {
      return static_cast<int>(i);
    }
  }
  return std::nullopt;
}

std::vector<CheckItem> RunRemoteCheck(const RemoteCheckOptions& o) {
  Fetcher fetch{o, o.url, Clock::now() + o.timeout};
  while (!fetch.base.empty() && fetch.base.back() == '/') fetch.base.pop_back();

  Result<Json> status = fetch.Get("/api/v1/status");
  if (!status.ok()) return UnknownItems("status", status.status().message());
  Result<CheckItem> status_item = StatusItem(o, *status);
  if (!status_item.ok()) return UnknownItems("status", fetch.base + status_item.status().message());
  std::vector<CheckItem> items;
  if (std::optional<CheckItem> stale = StaleItem(o, *status)) items.push_back(std::move(*stale));
  if (o.alerts) {
    bool not_running = false;
    Result<Json> alerts = fetch.Get("/api/v1/alerts", &not_running);
    if (!alerts.ok()) return UnknownItems("alerts", alerts.status().message());
    if (!not_running) {
      Result<std::vector<CheckItem>> alert_items = AlertItems(*alerts);
      if (!alert_items.ok()) {
        return UnknownItems("alerts", fetch.base + alert_items.status().message());
      }
      for (CheckItem& item : *alert_items) items.push_back(std::move(item));
    }
  }
  items.insert(items.begin(), std::move(*status_item));
  return items;
}

}  // namespace perfwatch
