// The log receiver: JSON lines appended to a file, one per notice and per
// named event, each line written with one write(2) so concurrent readers
// (tail -f, log shippers) never see half a line.

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "model/event_log.h"
#include "notify/payload.h"
#include "notify/receivers.h"

namespace perfwatch {
namespace {

class LogReceiver final : public Receiver {
 public:
  LogReceiver(std::string name, std::string path, NotifyClock clock)
      : name_(std::move(name)), path_(std::move(path)), clock_(std::move(clock)) {}
  ~LogReceiver() override { Close(); }

  Status Send(const Notification& n, std::stop_token) override {
    std::string text;
    TimestampMs now = clock_();
    for (const AlertNotice& notice : n.changes) text += NoticeLogLine(notice, now) + "\n";
    return Append(text);
  }

  bool WantsEvents() const override { return true; }
  Status SendEvent(const NamedEvent& event) override { return Append(EventLogLine(event) + "\n"); }

 private:
  // A failed write reopens the file once (it may have been rotated away or
  // its disk remounted) before giving up.
  Status Append(const std::string& text) {
    Status s = WriteAll(text);
    if (!s.ok()) {
      Close();
      s = WriteAll(text);
    }
    if (!s.ok() && !error_reported_) {
      error_reported_ = true;  // one log line per outage, not one per alert
      LogEvent(LogLevel::kError, "notification_log_failed",
               {{"receiver", name_}, {"path", path_}, {"error", s.message()}});
    }
    if (s.ok()) error_reported_ = false;
    return s;
  }

  Status WriteAll(const std::string& text) {
    if (fd_ < 0) {
      fd_ = ::open(path_.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
      if (fd_ < 0) {
        return Status::IOError("log receiver: cannot open " + path_ + ": " + std::strerror(errno) +
                               (errno == ENOENT ? " (the directory must exist)" : ""));
      }
    }
    ssize_t n = ::write(fd_, text.data(), text.size());
    if (n != static_cast<ssize_t>(text.size())) {
      return Status::IOError("log receiver: write to " + path_ +
                             " failed: " + (n < 0 ? std::strerror(errno) : "short write"));
    }
    return Status::Ok();
  }

  void Close() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

  std::string name_;
  std::string path_;
  NotifyClock clock_;
  int fd_ = -1;
  bool error_reported_ = false;
};

}  // namespace

std::unique_ptr<Receiver> MakeLogReceiver(const ReceiverOptions& options, NotifyClock clock) {
  return std::make_unique<LogReceiver>(ReceiverName(options), options.path, std::move(clock));
}

}  // namespace perfwatch
