#pragma once
// Zero-copy scanning of the line- and whitespace-oriented text procfs files
// use. Nothing here allocates on success; views point into the scanned text,
// which must outlive them. Value types; no shared state.

#include <charconv>
#include <cstdint>
#include <string>
#include <string_view>
#include <system_error>

#include "model/status.h"

namespace perfwatch {

// Lines of a text without their '\n', numbered from 1 for error messages.
class LineScanner {
 public:
  explicit LineScanner(std::string_view text) : rest_(text) {}

  bool Next(std::string_view& line) {
    if (rest_.empty()) return false;
    size_t end = rest_.find('\n');
    if (end == std::string_view::npos) end = rest_.size();
    line = rest_.substr(0, end);
    rest_.remove_prefix(end == rest_.size() ? end : end + 1);
    ++number_;
    return true;
  }
  int number() const { return number_; }  // of the line Next returned last

 private:
  std::string_view rest_;
  int number_ = 0;
};

inline bool IsBlank(char c) { return c == ' ' || c == '\t'; }

// Blank-separated fields of one line.
class FieldScanner {
 public:
  explicit FieldScanner(std::string_view line) : rest_(line) {}

  bool Next(std::string_view& field) {
    size_t i = 0;
    while (i < rest_.size() && IsBlank(rest_[i])) ++i;
    if (i == rest_.size()) {
      rest_ = {};
      return false;
    }
    size_t j = i;
    while (j < rest_.size() && !IsBlank(rest_[j])) ++j;
    field = rest_.substr(i, j - i);
    rest_.remove_prefix(j);
    return true;
  }
  bool Skip(int n) {
    std::string_view ignored;
    for (int i = 0; i < n; ++i) {
      if (!Next(ignored)) return false;
    }
    return true;
  }
  // The next field as a number; false at the end of the line or when the
  // field is not entirely a number of type T.
  template <typename T>
  bool NextNumber(T& value);
  std::string_view rest() const { return rest_; }

 private:
  std::string_view rest_;
};

// Whole-string conversions: false unless every character is consumed.
template <typename T>
bool ParseNumber(std::string_view s, T& value) {
  if (s.empty()) return false;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
  return ec == std::errc() && ptr == s.data() + s.size();
}

template <typename T>
bool FieldScanner::NextNumber(T& value) {
  std::string_view field;
  return Next(field) && ParseNumber(field, value);
}

// InvalidArgument "line N: <what>: \"<line text, cut at 80 bytes>\"".
Status LineError(int line_number, std::string_view what, std::string_view line);

// `status` with "<path>: " put in front of its message, code unchanged, so a
// parser's "line 3: ..." becomes "/proc/stat: line 3: ...".
Status PrefixPath(std::string_view path, const Status& status);

}  // namespace perfwatch
