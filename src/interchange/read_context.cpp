#include "interchange/read_context.h"

namespace perfwatch {

std::string Where(uint64_t line, uint64_t column) {
  std::string out = "line " + std::to_string(line);
  if (column > 0) out += ", column " + std::to_string(column);
  return out;
}

Status ReadContext::BadRecord(uint64_t line, uint64_t column, std::string_view why) {
  std::string message = Where(line, column) + ": " + std::string(why);
  if (!options_.skip_bad_records) return Status::InvalidArgument(std::move(message));
  ++stats_.skipped;
  if (stats_.skipped_errors.size() < kMaxKeptErrors) {
    stats_.skipped_errors.push_back(std::move(message));
  }
  return Status::Ok();
}

Status ReadContext::Fatal(uint64_t line, uint64_t column, std::string_view why) {
  return Status::InvalidArgument(Where(line, column) + ": " + std::string(why));
}

Status ReadContext::FromSink(uint64_t line, const Status& status) {
  std::string message = Where(line) + ": " + status.message();
  switch (status.code()) {
    case Status::Code::kOk:
      return status;
    case Status::Code::kInvalidArgument:
      return Status::InvalidArgument(std::move(message));
    case Status::Code::kNotFound:
      return Status::NotFound(std::move(message));
    case Status::Code::kIOError:
      return Status::IOError(std::move(message));
    case Status::Code::kResourceExhausted:
      return Status::ResourceExhausted(std::move(message));
    case Status::Code::kUnavailable:
      return Status::Unavailable(std::move(message));
    case Status::Code::kInternal:
      break;
  }
  return Status::Internal(std::move(message));
}

}  // namespace perfwatch
