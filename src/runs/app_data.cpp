#include "runs/app_data.h"

#include <algorithm>
#include <cmath>

#include "ingest/statsd_parser.h"

namespace perfwatch {
namespace {

bool IsTiming(StatsdType type) {
  return type == StatsdType::kTimer || type == StatsdType::kHistogram ||
         type == StatsdType::kDistribution;
}

// The exact value of rank q * (n - 1) (the lower one of a fractional rank),
// as DDSketch::Quantile defines it, so the two agree but for its error.
double ExactQuantile(std::vector<double>& values, double q) {
  const size_t rank = static_cast<size_t>(std::floor(q * static_cast<double>(values.size() - 1)));
  std::nth_element(values.begin(), values.begin() + static_cast<std::ptrdiff_t>(rank),
                   values.end());
  return values[rank];
}

}  // namespace

std::string CanonicalTags(std::string_view tags, std::string_view drop_app) {
  std::vector<std::string> parts;
  ForEachStatsdTag(tags, [&](std::string_view key, std::string_view value) {
    if (!drop_app.empty() && key == "app" && value == drop_app) return;
    std::string tag(key);
    if (value != "true") tag.append(":").append(value);
    parts.push_back(std::move(tag));
  });
  std::sort(parts.begin(), parts.end());
  std::string out;
  for (const std::string& part : parts) {
    if (!out.empty()) out += ',';
    out += part;
  }
  return out;
}

void AppData::AddPacket(std::string_view packet, int64_t t_ms) {
  StatsdLine line;
  ForEachStatsdLine(packet, [&](std::string_view text) {
    if (ParseStatsdLine(text, &line) != StatsdError::kNone) {
      ++bad_lines_;
      return;
    }
    const std::string type(ToString(line.type));
    const std::string tags = CanonicalTags(line.tags, app_);
    std::string key;
    key.append(line.name).append("|").append(type).append("|").append(tags);
    auto it = metrics_.find(key);
    if (it == metrics_.end()) {
      if (metrics_.size() >= kMaxMetrics) {
        received_ += line.type == StatsdType::kSet ? 1 : static_cast<int64_t>(line.values.size());
        return;
      }
      Accumulator acc;
      acc.metric = std::string(line.name);
      acc.type = type;
      acc.tags = tags;
      acc.timing = IsTiming(line.type);
      it = metrics_.emplace(std::move(key), std::move(acc)).first;
    }
    Accumulator& acc = it->second;
    if (pending_gauge_ != nullptr) {
      if (pending_gauge_ == &acc && line.values.size() == 1 && line.values[0].delta) {
        pending_gauge_ = nullptr;
        AddValue(acc, pending_value_ + line.values[0].value, false, t_ms);
        return;
      }
      FlushPendingGauge(t_ms);
    }
    if (line.type == StatsdType::kGauge && line.values.size() == 1 && !line.values[0].delta) {
      pending_gauge_ = &acc;
      pending_value_ = line.values[0].value;
      return;
    }
    if (line.type == StatsdType::kSet) {
      if (acc.members.size() < kMaxSetMembers) acc.members.emplace(line.member);
      AddValue(acc, 1, false, t_ms);
      acc.last = static_cast<double>(acc.members.size());
      return;
    }
    for (const StatsdValue& v : line.values) {
      // A sampled counter stands for 1/rate increments (as StatsD scales it).
      const double value = line.type == StatsdType::kCounter ? v.value / line.sample_rate : v.value;
      AddValue(acc, value, line.type == StatsdType::kGauge && v.delta, t_ms);
    }
  });
  FlushPendingGauge(t_ms);
}

void AppData::FlushPendingGauge(int64_t t_ms) {
  if (pending_gauge_ == nullptr) return;
  Accumulator* acc = pending_gauge_;
  pending_gauge_ = nullptr;
  AddValue(*acc, pending_value_, false, t_ms);
}

void AppData::AddValue(Accumulator& acc, double value, bool delta, int64_t t_ms) {
  ++received_;
  // A gauge delta moves the gauge; the point records where it moved to.
  if (delta) value += acc.count > 0 ? acc.last : 0;
  if (points_.size() < max_points_) {
    points_.push_back(AppPoint{t_ms, acc.metric, acc.type, value, acc.tags});
  } else {
    acc.values_complete = false;
  }
  acc.min = acc.count == 0 ? value : std::min(acc.min, value);
  acc.max = acc.count == 0 ? value : std::max(acc.max, value);
  ++acc.count;
  acc.sum += value;
  acc.last = value;
  if (acc.timing) {
    acc.sketch.Add(value);
    if (acc.values_complete) acc.values.push_back(value);
  }
}

std::vector<MetricSummary> AppData::Summaries() const {
  std::vector<MetricSummary> out;
  out.reserve(metrics_.size());
  for (const auto& [key, acc] : metrics_) {
    MetricSummary m;
    m.metric = acc.metric;
    m.type = acc.type;
    m.tags = acc.tags;
    m.count = acc.count;
    m.sum = acc.sum;
    m.min = acc.min;
    m.max = acc.max;
    m.mean = acc.count > 0 ? acc.sum / static_cast<double>(acc.count) : 0;
    m.last = acc.last;
    if (!acc.values.empty() || !acc.sketch.empty()) {
      if (acc.values_complete) {
        std::vector<double> values = acc.values;
        m.p50 = ExactQuantile(values, 0.5);
        m.p95 = ExactQuantile(values, 0.95);
      } else {
        m.p50 = acc.sketch.Quantile(0.5);
        m.p95 = acc.sketch.Quantile(0.95);
      }
    }
    out.push_back(std::move(m));
  }
  return out;
}

}  // namespace perfwatch
