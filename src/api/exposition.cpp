#include "api/exposition.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <map>
#include <optional>
#include <vector>

namespace perfwatch {
namespace {

struct Row {
  const SeriesKey* key;
  double value;
  std::string_view family;  // the key's name, or a summary's/histogram's base name
};

// Which family a series name belongs to: x_sum, x_count and x_bucket are
// part of family x when x is described as a summary or histogram, so they
// print under its one # TYPE line as the text format requires.
class FamilyResolver {
 public:
  explicit FamilyResolver(const SeriesRegistry& registry) : registry_(registry) {}

  std::string_view FamilyOf(const std::string& name) {
    for (std::string_view suffix : {"_bucket", "_count", "_sum"}) {
      if (name.size() <= suffix.size() || !name.ends_with(suffix)) continue;
      std::string_view base(name.data(), name.size() - suffix.size());
      auto it = kinds_.find(base);
      if (it == kinds_.end()) {
        std::optional<MetricMeta> meta = registry_.Meta(base);
        it = kinds_.emplace(std::string(base), meta ? meta->kind : MetricKind::kGauge).first;
      }
      const bool member = it->second == MetricKind::kHistogram ||
                          (it->second == MetricKind::kSummary && suffix != "_bucket");
      if (member) return it->first;
    }
    return name;
  }

 private:
  const SeriesRegistry& registry_;
  std::map<std::string, MetricKind, std::less<>> kinds_;  // base name -> its kind
};

void AppendFamilyHeader(std::string& out, const std::string& name,
                        const std::optional<MetricMeta>& meta) {
  out += "# HELP ";
  out += name;
  out += ' ';
  if (meta && !meta->help.empty()) {
    AppendEscapedHelp(out, meta->help);
  } else {
    out += "Metric ";
    out += name;
    out += " (no description was given by its source).";
  }
  out += "\n# TYPE ";
  out += name;
  out += ' ';
  out += meta ? ToString(meta->kind) : std::string_view("untyped");
  out += '\n';
}

// As Labels::ToString, without a temporary string per sample.
void AppendLabels(std::string& out, const Labels& labels) {
  if (labels.empty()) return;
  char sep = '{';
  for (const Label& l : labels) {
    out += sep;
    sep = ',';
    out += l.name;
    out += "=\"";
    AppendEscapedLabelValue(out, l.value);
    out += '"';
  }
  out += '}';
}

}  // namespace

void AppendEscapedHelp(std::string& out, std::string_view help) {
  for (char c : help) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
}

std::string RenderExposition(const Tick& tick) {
  const SeriesRegistry& registry = tick.registry();
  FamilyResolver families(registry);
  std::vector<Row> rows;
  rows.reserve(tick.samples().size());
  for (const auto& [id, value] : tick.samples()) {
    const SeriesKey& key = registry.Key(id);
    rows.push_back({&key, value, families.FamilyOf(key.name)});
  }
  // Stable: within a family, series keep the order their source gave them
  // (a histogram's buckets, then its _sum and _count).
  std::stable_sort(rows.begin(), rows.end(),
                   [](const Row& a, const Row& b) { return a.family < b.family; });

  std::string out;
  out.reserve(rows.size() * 96);
  std::string_view family;
  bool first = true;
  for (const Row& row : rows) {
    if (first || family != row.family) {
      AppendFamilyHeader(out, std::string(row.family), registry.Meta(row.family));
      family = row.family;
      first = false;
    }
    out += row.key->name;
    AppendLabels(out, row.key->labels);
    out += ' ';
    AppendPrometheusFloat(out, row.value);
    out += '\n';
  }
  return out;
}

}  // namespace perfwatch
