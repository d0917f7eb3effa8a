#include "api/exposition.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <optional>
#include <vector>

namespace perfwatch {
namespace {

struct Row {
  const SeriesKey* key;
  double value;
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
  std::vector<Row> rows;
  rows.reserve(tick.samples().size());
  for (const auto& [id, value] : tick.samples()) rows.push_back({&registry.Key(id), value});
  // Stable: within a family, series keep the order the collector gave them.
  std::stable_sort(rows.begin(), rows.end(),
                   [](const Row& a, const Row& b) { return a.key->name < b.key->name; });

  std::string out;
  out.reserve(rows.size() * 96);
  const std::string* family = nullptr;
  for (const Row& row : rows) {
    const std::string& name = row.key->name;
    if (family == nullptr || *family != name) {
      AppendFamilyHeader(out, name, registry.Meta(name));
      family = &name;
    }
    out += name;
    AppendLabels(out, row.key->labels);
    out += ' ';
    AppendPrometheusFloat(out, row.value);
    out += '\n';
  }
  return out;
}

}  // namespace perfwatch
