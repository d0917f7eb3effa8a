#include "collect/proc_reader.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

namespace perfwatch {
namespace {

constexpr size_t kInitialCapacity = 16 << 10;

// Closes the descriptor on every return path of ReadAt.
class FdCloser {
 public:
  explicit FdCloser(int fd) : fd_(fd) {}
  ~FdCloser() { ::close(fd_); }
  FdCloser(const FdCloser&) = delete;
  FdCloser& operator=(const FdCloser&) = delete;

 private:
  int fd_;
};

}  // namespace

Status FileError(std::string_view path, int err) {
  std::string msg(path);
  msg += ": ";
  msg += std::strerror(err);
  switch (err) {
    case ENOENT:
    case ENOTDIR:
    case ESRCH:
    case EOPNOTSUPP:
      return Status::Unavailable(std::move(msg));
    default:
      return Status::IOError(std::move(msg));
  }
}

Result<std::string_view> ProcReader::Read(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return FileError(path, errno);
  FdCloser closer(fd);
  return ReadFd(fd, path, false);
}

Result<std::string_view> ProcReader::ReadAt(int dir_fd, const char* relative) {
  int fd = ::openat(dir_fd, relative, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return FileError(relative, errno);
  FdCloser closer(fd);
  return ReadFd(fd, relative, false);
}

Result<std::string_view> ProcReader::ReadFromStart(int fd, std::string_view name) {
  return ReadFd(fd, name, true);
}

Result<std::string_view> ProcReader::ReadFd(int fd, std::string_view name, bool from_start) {
  if (capacity_ == 0) {
    buf_ = std::make_unique<char[]>(kInitialCapacity);
    capacity_ = kInitialCapacity;
  }
  size_t size = 0;
  while (true) {
    if (size == capacity_) {
      if (capacity_ >= kMaxProcFileBytes) {
        return Status::ResourceExhausted(std::string(name) + ": larger than " +
                                         std::to_string(kMaxProcFileBytes) + " bytes");
      }
      auto bigger = std::make_unique<char[]>(capacity_ * 2);
      std::memcpy(bigger.get(), buf_.get(), size);
      buf_ = std::move(bigger);
      capacity_ *= 2;
    }
    ssize_t n = from_start ? ::pread(fd, buf_.get() + size, capacity_ - size, size)
                           : ::read(fd, buf_.get() + size, capacity_ - size);
    if (n < 0) {
      if (errno == EINTR) continue;
      return FileError(name, errno);
    }
    if (n == 0) break;
    size += static_cast<size_t>(n);
  }
  return std::string_view(buf_.get(), size);
}

ProcFile::~ProcFile() { Close(); }

ProcFile::ProcFile(ProcFile&& other) noexcept
    : path_(std::move(other.path_)), fd_(std::exchange(other.fd_, -1)) {}

ProcFile& ProcFile::operator=(ProcFile&& other) noexcept {
  if (this != &other) {
    Close();
    path_ = std::move(other.path_);
    fd_ = std::exchange(other.fd_, -1);
  }
  return *this;
}

void ProcFile::Close() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

Result<std::string_view> ProcFile::Read(ProcReader& reader) {
  if (fd_ >= 0) {
    Result<std::string_view> text = reader.ReadFromStart(fd_, path_);
    if (text.ok()) return text;
    Close();
  }
  fd_ = ::open(path_.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd_ < 0) return FileError(path_, errno);
  Result<std::string_view> text = reader.ReadFromStart(fd_, path_);
  if (!text.ok()) Close();
  return text;
}

}  // namespace perfwatch
