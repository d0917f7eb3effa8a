#pragma once
// TextInput reads a std::istream in fixed-size chunks and keeps the line and
// column of what it has read, so each reader can say where an error is.
// Memory: one chunk plus the longest line asked for. Not thread-safe.

#include <cstddef>
#include <cstdint>
#include <iosfwd>
#include <iterator>
#include <string>
#include <vector>

namespace perfwatch {

class TextInput {
 public:
  // `*in` must outlive this TextInput.
  explicit TextInput(std::istream& in, size_t chunk_bytes = 64 * 1024);

  enum class LineResult { kLine, kTooLong, kEnd };
  // The next line, without its "\n", into `*line`. kTooLong: the line had
  // more than `max_bytes` bytes; it was consumed and `*line` is empty.
  // kEnd: nothing left. A last line without "\n" is still kLine.
  LineResult ReadLine(std::string* line, size_t max_bytes);
  // Whether the line last returned ended with "\n".
  bool line_had_newline() const { return had_newline_; }

  // Character access for the JSON reader: the next byte (0..255) or -1 at
  // the end.
  int Peek();
  int Get();

  // 1-based line of the next byte to read (of the next line, after
  // ReadLine), and line and column of the last byte Get() returned.
  uint64_t line() const { return line_; }
  uint64_t last_line() const { return last_line_; }
  uint64_t last_column() const { return last_column_; }
  // The stream reported an I/O error (badbit); the input is then treated
  // as ended.
  bool failed() const { return failed_; }

 private:
  bool Fill();

  std::istream& in_;
  std::vector<char> buf_;
  size_t pos_ = 0;
  size_t end_ = 0;
  bool eof_ = false;
  bool failed_ = false;
  bool had_newline_ = false;
  uint64_t line_ = 1;
  uint64_t column_ = 1;
  uint64_t last_line_ = 1;
  uint64_t last_column_ = 0;
};

// A single-pass input iterator over a TextInput, for parsers that read
// iterator ranges (nlohmann's SAX parser): the TextInput keeps counting the
// line and column of what they read. Copies share the TextInput.
class TextInputIterator {
 public:
  using iterator_category = std::input_iterator_tag;
  using value_type = char;
  using difference_type = std::ptrdiff_t;
  using pointer = const char*;
  using reference = char;

  TextInputIterator() = default;  // the end
  explicit TextInputIterator(TextInput* in) : in_(in) {}
  char operator*() const { return static_cast<char>(in_->Peek()); }
  TextInputIterator& operator++() {
    in_->Get();
    return *this;
  }
  TextInputIterator operator++(int) {
    TextInputIterator old = *this;
    ++*this;
    return old;
  }
  bool operator==(const TextInputIterator& other) const { return AtEnd() == other.AtEnd(); }

 private:
  bool AtEnd() const { return in_ == nullptr || in_->Peek() < 0; }
  TextInput* in_ = nullptr;
};

}  // namespace perfwatch
