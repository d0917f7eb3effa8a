#include "ingest/statsd_ingest.h"

#include <utility>

namespace perfwatch {

namespace {

std::string WithSuffix(std::string name, std::string_view suffix) {
  if (!name.ends_with(suffix)) name += suffix;
  return name;
}

// The label the emitted series of `kind` add themselves.
std::string_view ReservedLabel(AppKind kind) {
  if (kind == AppKind::kSummary) return "quantile";
  if (kind == AppKind::kHistogram) return "le";
  return {};
}

// Tags as labels, a repeated key keeping its last value. Returns the reason
// when they cannot be labels of a series of `kind`, or "".
std::string_view TagsToLabels(std::string_view tags, AppKind kind, Labels* out) {
  std::vector<Label> labels;
  ForEachStatsdTag(tags, [&labels](std::string_view key, std::string_view value) {
    std::string name = SanitizeLabelName(key);
    for (Label& l : labels) {
      if (l.name == name) {
        l.value = std::string(value);
        return;
      }
    }
    labels.push_back({std::move(name), std::string(value)});
  });
  const std::string_view reserved = ReservedLabel(kind);
  for (const Label& l : labels) {
    if (!reserved.empty() && l.name == reserved) return "bad_tags";
    // Labels::Make enforces its own ceilings before AppMetrics sees the
    // labels; name them as AppMetrics would.
    if (l.value.size() > kMaxLabelValueBytes) return "label_value_too_long";
  }
  if (labels.size() > kMaxLabelsPerSeries) return "too_many_labels";
  Result<Labels> made = Labels::Make(std::move(labels));
  if (!made.ok()) return "bad_tags";
  *out = std::move(*made);
  return {};
}

}  // namespace

std::string StatsdSeriesName(std::string_view name, StatsdType type) {
  std::string sanitized = SanitizeMetricName(name);
  switch (type) {
    case StatsdType::kCounter:
      return WithSuffix(std::move(sanitized), "_total");
    case StatsdType::kTimer:
      return WithSuffix(std::move(sanitized), "_milliseconds");
    default:
      return sanitized;
  }
}

StatsdIngester::StatsdIngester(AppKind histogram_kind, StatsdParseOptions parse)
    : histogram_kind_(histogram_kind), parse_(parse) {}

size_t StatsdIngester::IngestDatagram(AppMetrics::Batch& batch, std::string_view datagram) {
  batch.Message(datagram.size());
  size_t lines = 0;
  ForEachStatsdLine(datagram, [&](std::string_view text) {
    ++lines;
    IngestLine(batch, text);
  });
  return lines;
}

void StatsdIngester::IngestLine(AppMetrics::Batch& batch, std::string_view text) {
  if (StatsdError error = ParseStatsdLine(text, &line_, parse_); error != StatsdError::kNone) {
    batch.Reject(ToString(error));
    return;
  }
  AppSeries* series = SeriesOfLine(batch);
  if (series == nullptr) return;
  if (size_t written = WriteValues(batch, series); written > 0) batch.Accepted(written);
}

AppSeries* StatsdIngester::SeriesOfLine(AppMetrics::Batch& batch) {
  key_.assign(line_.name);
  key_ += '|';
  key_ += ToString(line_.type);
  key_ += '|';
  key_ += line_.tags;
  AppSeries* series = batch.Find(key_);
  return series != nullptr ? series : CreateSeries(batch);
}

AppSeries* StatsdIngester::CreateSeries(AppMetrics::Batch& batch) {
  const AppKind kind = KindOf(line_.type);
  Labels labels;
  if (std::string_view why = TagsToLabels(line_.tags, kind, &labels); !why.empty()) {
    batch.Reject(why);
    return nullptr;
  }
  const std::string_view unit = line_.type == StatsdType::kTimer ? "milliseconds" : "";
  // The help names what the application sent, so /metrics readers can find
  // it in their code.
  const std::string help =
      "StatsD " + std::string(ToString(line_.type)) + " " + std::string(line_.name) + ".";
  Result<AppSeries*> made = batch.Create(key_, kind, StatsdSeriesName(line_.name, line_.type),
                                         std::move(labels), help, unit);
  return made.ok() ? *made : nullptr;  // Create counted the reason
}

AppKind StatsdIngester::KindOf(StatsdType type) const {
  switch (type) {
    case StatsdType::kCounter:
      return AppKind::kCounter;
    case StatsdType::kGauge:
      return AppKind::kGauge;
    case StatsdType::kTimer:
      return AppKind::kSummary;
    case StatsdType::kSet:
      return AppKind::kSet;
    case StatsdType::kHistogram:
    case StatsdType::kDistribution:
      return histogram_kind_;
  }
  return histogram_kind_;
}

size_t StatsdIngester::WriteValues(AppMetrics::Batch& batch, AppSeries* series) {
  if (line_.type == StatsdType::kSet) return batch.AddMember(series, line_.member) ? 1 : 0;
  const double weight = 1 / line_.sample_rate;
  const TimestampMs t = line_.timestamp_ms;
  size_t written = 0;
  for (const StatsdValue& v : line_.values) {
    bool ok;
    switch (line_.type) {
      case StatsdType::kCounter:
        ok = batch.Add(series, v.value / line_.sample_rate, t);
        break;
      case StatsdType::kGauge:
        ok = v.delta ? batch.Add(series, v.value, t) : batch.Set(series, v.value, t);
        break;
      default:
        ok = batch.Observe(series, v.value, weight);
        break;
    }
    written += ok ? 1 : 0;
  }
  return written;
}

}  // namespace perfwatch
