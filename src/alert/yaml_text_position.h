#pragma once
// YamlTextPosition: maps a character offset inside a YAML scalar's value
// back to its line and column in the document, so an error found in an
// expression (column 14 of the expr) points at the right place in the file
// even when the value is quoted or a block scalar (| or >).
//
// Holds a view of the document text, which must outlive it. Immutable after
// construction; thread-safe.

#include <string_view>
#include <vector>

namespace YAML {
struct Mark;
}

namespace perfwatch {

struct TextPos {
  int line = 1;    // 1-based
  int column = 1;  // 1-based
};

class YamlTextPosition {
 public:
  // `text` may be empty: then positions are the value's start plus the
  // offset, which is exact for plain one-line values.
  explicit YamlTextPosition(std::string_view text);

  // `value_mark` is the scalar node's Mark() (0-based, at its first
  // character, quote or block indicator); `value_column` is 1-based within
  // the value as parsed.
  TextPos MapValueColumn(const YAML::Mark& value_mark, int value_column) const;

 private:
  std::string_view Line(int index) const;
  TextPos MapFlow(int line, int column, int skip, char quote) const;
  TextPos MapBlock(int first_line, int skip) const;

  std::string_view text_;
  std::vector<size_t> line_starts_;
};

}  // namespace perfwatch
