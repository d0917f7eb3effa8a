#include "alert/yaml_text_position.h"

#include <yaml-cpp/mark.h>

#include <algorithm>

namespace perfwatch {

YamlTextPosition::YamlTextPosition(std::string_view text) : text_(text) {
  if (text.empty()) return;
  line_starts_.push_back(0);
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\n') line_starts_.push_back(i + 1);
  }
}

std::string_view YamlTextPosition::Line(int index) const {
  size_t begin = line_starts_[index];
  size_t end = index + 1 < static_cast<int>(line_starts_.size()) ? line_starts_[index + 1] - 1
                                                                 : text_.size();
  std::string_view line = text_.substr(begin, end - begin);
  if (line.ends_with('\r')) line.remove_suffix(1);
  return line;
}

TextPos YamlTextPosition::MapValueColumn(const YAML::Mark& value_mark, int value_column) const {
  const int skip = std::max(value_column, 1) - 1;
  const int lines = static_cast<int>(line_starts_.size());
  if (value_mark.line < 0 || value_mark.line >= lines) {
    return {value_mark.line + 1, value_mark.column + 1 + skip};
  }
  std::string_view line = Line(value_mark.line);
  char first = value_mark.column < static_cast<int>(line.size()) ? line[value_mark.column] : ' ';
  if (first == '|' || first == '>') return MapBlock(value_mark.line + 1, skip);
  if (first == '"' || first == '\'') {
    return MapFlow(value_mark.line, value_mark.column + 1, skip, first);
  }
  return MapFlow(value_mark.line, value_mark.column, skip, 0);
}

// Plain and quoted values: an escape ("\n", '') is one character of the
// value; a line break folds into one space and the next line's indentation
// is not part of the value.
TextPos YamlTextPosition::MapFlow(int line, int column, int skip, char quote) const {
  const int lines = static_cast<int>(line_starts_.size());
  size_t i = column;
  for (;;) {
    std::string_view s = Line(line);
    while (skip > 0 && i < s.size()) {
      bool escape = (quote == '"' && s[i] == '\\') ||
                    (quote == '\'' && s[i] == '\'' && i + 1 < s.size() && s[i + 1] == '\'');
      i += escape ? 2 : 1;
      --skip;
    }
    if (skip == 0 || line + 1 >= lines) {
      return {line + 1, static_cast<int>(std::min(i, s.size())) + 1};
    }
    --skip;
    ++line;
    std::string_view next = Line(line);
    i = std::min(next.find_first_not_of(" \t"), next.size());
  }
}

// Block scalars: the value's lines are the document's lines from the first
// one after the indicator, less their common indentation.
TextPos YamlTextPosition::MapBlock(int first_line, int skip) const {
  const int lines = static_cast<int>(line_starts_.size());
  size_t indent = 0;
  for (int l = first_line; l < lines; ++l) {
    std::string_view s = Line(l);
    size_t p = s.find_first_not_of(' ');
    if (p != std::string_view::npos) {
      indent = p;
      break;
    }
  }
  int line = first_line;
  for (; line < lines; ++line) {
    std::string_view s = Line(line);
    size_t length = s.size() > indent ? s.size() - indent : 0;
    if (static_cast<size_t>(skip) <= length) break;
    skip -= static_cast<int>(length) + 1;
  }
  if (line >= lines) return {lines, 1};
  return {line + 1, static_cast<int>(indent) + skip + 1};
}

}  // namespace perfwatch
