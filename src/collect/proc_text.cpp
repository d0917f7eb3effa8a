#include "collect/proc_text.h"

namespace perfwatch {

Status LineError(int line_number, std::string_view what, std::string_view line) {
  constexpr size_t kMaxQuoted = 80;
  std::string msg = "line " + std::to_string(line_number) + ": ";
  msg += what;
  msg += ": \"";
  msg += line.substr(0, kMaxQuoted);
  if (line.size() > kMaxQuoted) msg += "...";
  msg += '"';
  return Status::InvalidArgument(std::move(msg));
}

Status PrefixPath(std::string_view path, const Status& status) {
  if (status.ok()) return status;
  std::string msg(path);
  msg += ": ";
  msg += status.message();
  switch (status.code()) {
    case Status::Code::kInvalidArgument:
      return Status::InvalidArgument(std::move(msg));
    case Status::Code::kNotFound:
      return Status::NotFound(std::move(msg));
    case Status::Code::kIOError:
      return Status::IOError(std::move(msg));
    case Status::Code::kResourceExhausted:
      return Status::ResourceExhausted(std::move(msg));
    case Status::Code::kUnavailable:
      return Status::Unavailable(std::move(msg));
    case Status::Code::kOk:
    case Status::Code::kInternal:
      break;
  }
  return Status::Internal(std::move(msg));
}

}  // namespace perfwatch
