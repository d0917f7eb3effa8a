#include "model/selector.h"

#include <re2/re2.h>

#include <algorithm>

namespace perfwatch {
namespace {

class Parser {
 public:
  explicit Parser(std::string_view s) : s_(s) {}

  Status Run(std::string& metric, std::vector<LabelMatcher>& matchers) {
    SkipSpace();
    metric = Identifier(/*metric=*/true);
    SkipSpace();
    if (Peek() == '{') {
      ++pos_;
      Status st = Matchers(matchers);
      if (!st.ok()) return st;
    }
    SkipSpace();
    if (pos_ != s_.size()) return Error("unexpected character '" + std::string(1, s_[pos_]) + "'");
    if (metric.empty() && matchers.empty()) return Error("empty selector");
    bool names_metric = std::any_of(matchers.begin(), matchers.end(), [](const auto& m) {
      return m.name == "__name__" &&
             (m.op == LabelMatcher::Op::kEqual || m.op == LabelMatcher::Op::kRegexMatch);
    });
    if (metric.empty() && !names_metric) {
      return Error("a selector without a metric name needs a __name__ matcher");
    }
    return Status::Ok();
  }

 private:
  char Peek() const { return pos_ < s_.size() ? s_[pos_] : '\0'; }
  void SkipSpace() {
    while (pos_ < s_.size() && (s_[pos_] == ' ' || s_[pos_] == '\t')) ++pos_;
  }
  Status Error(const std::string& what) const {
    return Status::InvalidArgument("selector: " + what + " at offset " + std::to_string(pos_));
  }

  std::string Identifier(bool metric) {
    size_t start = pos_;
    while (pos_ < s_.size()) {
      char c = s_[pos_];
      bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
                (pos_ > start && c >= '0' && c <= '9') || (metric && c == ':');
      if (!ok) break;
      ++pos_;
    }
    return std::string(s_.substr(start, pos_ - start));
  }

  Status Matchers(std::vector<LabelMatcher>& out) {
    while (true) {
      SkipSpace();
      if (Peek() == '}') {
        ++pos_;
        return Status::Ok();
      }
      LabelMatcher m;
      m.name = Identifier(/*metric=*/false);
      if (m.name.empty()) return Error("expected a label name");
      SkipSpace();
      Status st = Operator(m.op);
      if (!st.ok()) return st;
      SkipSpace();
      st = QuotedString(m.value);
      if (!st.ok()) return st;
      if (m.op == LabelMatcher::Op::kRegexMatch || m.op == LabelMatcher::Op::kRegexNoMatch) {
        if (Status st = CheckRegex(m.value); !st.ok()) return st;
        re2::RE2::Options options;
        options.set_log_errors(false);
        options.set_max_mem(1 << 20);  // bounds the compiled program, too
        auto re = std::make_shared<const re2::RE2>(m.value, options);
        if (!re->ok()) {
          return Error("invalid regular expression \"" + m.value + "\": " + re->error());
        }
        m.regex = std::move(re);
      }
      out.push_back(std::move(m));
      SkipSpace();
      if (Peek() == ',') {
        ++pos_;
      } else if (Peek() != '}') {
        return Error("expected ',' or '}'");
      }
    }
  }

  Status Operator(LabelMatcher::Op& op) {
    std::string_view rest = s_.substr(pos_);
    if (rest.starts_with("=~")) {
      op = LabelMatcher::Op::kRegexMatch, pos_ += 2;
    } else if (rest.starts_with("!~")) {
      op = LabelMatcher::Op::kRegexNoMatch, pos_ += 2;
    } else if (rest.starts_with("!=")) {
      op = LabelMatcher::Op::kNotEqual, pos_ += 2;
    } else if (rest.starts_with("=")) {
      op = LabelMatcher::Op::kEqual, pos_ += 1;
    } else {
      return Error("expected one of =, !=, =~, !~");
    }
    return Status::Ok();
  }

  Status QuotedString(std::string& out) {
    char quote = Peek();
    if (quote != '"' && quote != '\'') return Error("expected a quoted label value");
    ++pos_;
    while (pos_ < s_.size() && s_[pos_] != quote) {
      char c = s_[pos_++];
      if (c == '\\' && pos_ < s_.size()) {
        char e = s_[pos_++];
        out += e == 'n' ? '\n' : e;
      } else {
        out += c;
      }
    }
    if (pos_ >= s_.size()) return Error("unterminated label value");
    ++pos_;
    return Status::Ok();
  }

  // Patterns come from users (query parameters): keep them to PromQL's RE2
  // subset (no backreferences), small counts and a bounded size, with a
  // clear message where RE2 alone would give a terse one.
  Status CheckRegex(const std::string& pattern) const {
    if (pattern.size() > kMaxRegexBytes) {
      return Error("regular expression longer than " + std::to_string(kMaxRegexBytes) + " bytes");
    }
    for (size_t i = 0; i + 1 < pattern.size(); ++i) {
      if (pattern[i] == '\\') {
        if (pattern[i + 1] >= '0' && pattern[i + 1] <= '9') {
          return Error("backreferences are not supported in \"" + pattern + "\"");
        }
        ++i;
      } else if (pattern[i] == '{') {
        size_t digits = 0;
        while (i + 1 + digits < pattern.size() &&
               ((pattern[i + 1 + digits] >= '0' && pattern[i + 1 + digits] <= '9') ||
                pattern[i + 1 + digits] == ',')) {
          ++digits;
        }
        if (digits > 9) return Error("repetition count too large in \"" + pattern + "\"");
      }
    }
    return Status::Ok();
  }

  static constexpr size_t kMaxRegexBytes = 512;

  std::string_view s_;
  size_t pos_ = 0;
};

}  // namespace

bool LabelMatcher::Matches(std::string_view v) const {
  switch (op) {
    case Op::kEqual:
      return v == value;
    case Op::kNotEqual:
      return v != value;
    case Op::kRegexMatch:
      return re2::RE2::FullMatch(v, *regex);
    case Op::kRegexNoMatch:
      return !re2::RE2::FullMatch(v, *regex);
  }
  return false;
}

Result<SeriesSelector> SeriesSelector::Parse(std::string_view text) {
  SeriesSelector sel;
  Parser parser(text);
  if (Status st = parser.Run(sel.metric_, sel.matchers_); !st.ok()) return st;
  return sel;
}

bool SeriesSelector::Matches(const SeriesKey& key) const {
  if (!metric_.empty() && key.name != metric_) return false;
  for (const LabelMatcher& m : matchers_) {
    std::string_view v = m.name == "__name__" ? std::string_view(key.name) : key.labels.Get(m.name);
    if (!m.Matches(v)) return false;
  }
  return true;
}

std::vector<SeriesId> SeriesSelector::Select(const SeriesRegistry& registry) const {
  std::vector<SeriesId> out;
  auto keep = [&](SeriesId id) {
    if (Matches(registry.Key(id))) out.push_back(id);
  };
  if (!metric_.empty()) {
    for (SeriesId id : registry.SeriesOf(metric_)) keep(id);
    return out;
  }
  for (const std::string& name : registry.MetricNames()) {
    for (SeriesId id : registry.SeriesOf(name)) keep(id);
  }
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace perfwatch
