#pragma once
// ProcReader reads whole procfs/sysfs files with open/read into one buffer it
// keeps and reuses, so a tick allocates nothing once the buffer has grown to
// the largest file read. No iostreams: this is the collectors' hot path.
//
// One thread at a time. A view returned by Read/ReadAt points into the
// reader's buffer and stays valid until the next Read/ReadAt on it.

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

#include "model/status.h"

namespace perfwatch {

// Refuses files larger than this (a runaway /proc/net/tcp on a host with
// millions of sockets) instead of growing without bound.
inline constexpr size_t kMaxProcFileBytes = 256u << 20;

class ProcReader {
 public:
  ProcReader() = default;
  ProcReader(const ProcReader&) = delete;
  ProcReader& operator=(const ProcReader&) = delete;
  ProcReader(ProcReader&&) = default;
  ProcReader& operator=(ProcReader&&) = default;

  // The whole file. A missing file (ENOENT, ENOTDIR, ESRCH for a process
  // that exited, EOPNOTSUPP for PSI disabled at boot) is Unavailable; other
  // errors are IOError. Messages read "<path>: <strerror>".
  Result<std::string_view> Read(const std::string& path);

  // Same, for `relative` under the open directory `dir_fd` (openat), which
  // spares the kernel a full path walk per /proc/PID file. Error messages
  // name `relative` only.
  Result<std::string_view> ReadAt(int dir_fd, const char* relative);

  // Everything from offset 0 of an open file, with pread, leaving the file
  // offset alone (see ProcFile). `name` is for error messages.
  Result<std::string_view> ReadFromStart(int fd, std::string_view name);

 private:
  Result<std::string_view> ReadFd(int fd, std::string_view name, bool from_start);

  std::unique_ptr<char[]> buf_;
  size_t capacity_ = 0;
};

// ProcFile keeps one procfs file open across ticks and rereads it from
// offset 0: procfs regenerates the text on each read from the start, and
// reusing the descriptor skips the path walk, open and close, which cost
// more than the read itself for a small file (about 5 µs of 6 µs for
// /proc/loadavg). Only for files whose identity never changes (/proc/stat,
// /proc/net/dev...): a kept /proc/PID file would keep naming a dead process.
// One thread at a time; movable, closes its descriptor on destruction.
class ProcFile {
 public:
  explicit ProcFile(std::string path) : path_(std::move(path)) {}
  ~ProcFile();
  ProcFile(ProcFile&& other) noexcept;
  ProcFile& operator=(ProcFile&& other) noexcept;

  // The whole file, in `reader`'s buffer. Opens it on first use; after a
  // failed read it reopens once, so a file that appears later is picked up.
  // Errors follow ProcReader::Read.
  Result<std::string_view> Read(ProcReader& reader);
  const std::string& path() const { return path_; }
  // The open descriptor, or -1 before the first successful Read.
  int fd() const { return fd_; }

 private:
  void Close();

  std::string path_;
  int fd_ = -1;
};

// The Status a failed open/read/opendir of `path` with `err` (an errno) maps
// to, following ProcReader's rules.
Status FileError(std::string_view path, int err);

}  // namespace perfwatch
