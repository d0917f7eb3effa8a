#include "model/labels.h"

#include <algorithm>
#include <charconv>
#include <cmath>

namespace perfwatch {
namespace {

bool IsAlpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; }
bool IsDigit(char c) { return c >= '0' && c <= '9'; }

}  // namespace

bool IsValidMetricName(std::string_view name) {
  if (name.empty() || !(IsAlpha(name[0]) || name[0] == ':')) return false;
  return std::all_of(name.begin() + 1, name.end(),
                     [](char c) { return IsAlpha(c) || IsDigit(c) || c == ':'; });
}

bool IsValidLabelName(std::string_view name) {
  if (name.empty() || !IsAlpha(name[0]) || name.starts_with("__")) return false;
  return std::all_of(name.begin() + 1, name.end(), [](char c) { return IsAlpha(c) || IsDigit(c); });
}

Labels::Labels(std::initializer_list<Label> labels) : labels_(labels) {
  // As Make does: an empty value is an absent label, so a collector's key
  // is spelled the same as the key read back from the WAL or a file.
  std::erase_if(labels_, [](const Label& l) { return l.value.empty(); });
  std::sort(labels_.begin(), labels_.end());
}

Result<Labels> Labels::Make(std::vector<Label> labels) {
  if (labels.size() > kMaxLabelsPerSeries) {
    return Status::InvalidArgument("too many labels: " + std::to_string(labels.size()) +
                                   " (limit " + std::to_string(kMaxLabelsPerSeries) + ")");
  }
  std::sort(labels.begin(), labels.end());
  for (size_t i = 0; i < labels.size(); ++i) {
    const Label& l = labels[i];
    if (!IsValidLabelName(l.name)) {
      return Status::InvalidArgument("invalid label name \"" + l.name + "\"");
    }
    if (l.value.size() > kMaxLabelValueBytes) {
      return Status::InvalidArgument("label \"" + l.name + "\" value is " +
                                     std::to_string(l.value.size()) + " bytes (limit " +
                                     std::to_string(kMaxLabelValueBytes) + ")");
    }
    if (i > 0 && labels[i - 1].name == l.name) {
      return Status::InvalidArgument("duplicate label name \"" + l.name + "\"");
    }
  }
  // Empty values mean "absent" in Prometheus; dropping them keeps identity canonical.
  std::erase_if(labels, [](const Label& l) { return l.value.empty(); });
  return Labels(std::move(labels));
}

std::string_view Labels::Get(std::string_view name) const {
  for (const Label& l : labels_) {
    if (l.name == name) return l.value;
  }
  return {};
}

void AppendEscapedLabelValue(std::string& out, std::string_view value) {
  for (char c : value) {
    switch (c) {
      case '\\':
        out += "\\\\";
        break;
      case '"':
        out += "\\\"";
        break;
      case '\n':
        out += "\\n";
        break;
      default:
        out += c;
    }
  }
}

void AppendPrometheusFloat(std::string& out, double value) {
  if (std::isnan(value)) {
    out += "NaN";
  } else if (std::isinf(value)) {
    out += value > 0 ? "+Inf" : "-Inf";
  } else {
    char buf[32];
    auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), value);
    out.append(buf, end);
  }
}

std::string Labels::ToString() const {
  if (labels_.empty()) return "";
  std::string out = "{";
  for (size_t i = 0; i < labels_.size(); ++i) {
    if (i) out += ',';
    out += labels_[i].name;
    out += "=\"";
    AppendEscapedLabelValue(out, labels_[i].value);
    out += '"';
  }
  out += '}';
  return out;
}

}  // namespace perfwatch
