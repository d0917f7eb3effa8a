#include "interchange/text_input.h"

#include <cstring>
#include <istream>

namespace perfwatch {

TextInput::TextInput(std::istream& in, size_t chunk_bytes) : in_(in), buf_(chunk_bytes) {}

bool TextInput::Fill() {
  if (eof_) return false;
  in_.read(buf_.data(), static_cast<std::streamsize>(buf_.size()));
  pos_ = 0;
  end_ = static_cast<size_t>(in_.gcount());
  if (in_.bad()) failed_ = true;
  if (end_ == 0) eof_ = true;
  return end_ > 0;
}

TextInput::LineResult TextInput::ReadLine(std::string* line, size_t max_bytes) {
  line->clear();
  bool any = false;
  bool too_long = false;
  for (;;) {
    if (pos_ == end_ && !Fill()) {
      had_newline_ = false;
      if (!any) return LineResult::kEnd;
      ++line_;
      column_ = 1;
      return too_long ? LineResult::kTooLong : LineResult::kLine;
    }
    const char* start = buf_.data() + pos_;
    const char* nl = static_cast<const char*>(std::memchr(start, '\n', end_ - pos_));
    size_t take = nl ? static_cast<size_t>(nl - start) : end_ - pos_;
    any = true;
    if (!too_long && line->size() + take > max_bytes) {
      too_long = true;
      line->clear();
      line->shrink_to_fit();
    }
    if (!too_long) line->append(start, take);
    pos_ += take;
    if (nl) {
      ++pos_;
      ++line_;
      column_ = 1;
      had_newline_ = true;
      return too_long ? LineResult::kTooLong : LineResult::kLine;
    }
  }
}

int TextInput::Peek() {
  if (pos_ == end_ && !Fill()) return -1;
  return static_cast<unsigned char>(buf_[pos_]);
}

int TextInput::Get() {
  if (pos_ == end_ && !Fill()) return -1;
  unsigned char c = static_cast<unsigned char>(buf_[pos_++]);
  last_line_ = line_;
  last_column_ = column_;
  if (c == '\n') {
    ++line_;
    column_ = 1;
  } else {
    ++column_;
  }
  return c;
}

}  // namespace perfwatch
