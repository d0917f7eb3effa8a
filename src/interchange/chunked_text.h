#pragma once
// ChunkedText: a writer's output buffer, handed to a ChunkOutput whenever it
// holds chunk_bytes or more, so an export of any size needs one chunk of
// memory. Not thread-safe.

#include <string>
#include <utility>

#include "interchange/interchange.h"

namespace perfwatch {

class ChunkedText {
 public:
  ChunkedText(ChunkOutput out, size_t chunk_bytes)
      : out_(std::move(out)), chunk_bytes_(chunk_bytes) {
    text_.reserve(chunk_bytes_ + 1024);
  }
  // Append to this, then call MaybeFlush.
  std::string& text() { return text_; }
  void MaybeFlush() {
    if (text_.size() >= chunk_bytes_) Flush();
  }
  void Flush() {
    if (text_.empty()) return;
    out_(text_);
    text_.clear();
  }

 private:
  ChunkOutput out_;
  size_t chunk_bytes_;
  std::string text_;
};

}  // namespace perfwatch
