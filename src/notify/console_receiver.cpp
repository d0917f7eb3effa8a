// The console receiver: one human line per notice and per named event.

#include <cstdio>

#include "notify/payload.h"
#include "notify/receivers.h"

namespace perfwatch {
namespace {

class ConsoleReceiver final : public Receiver {
 public:
  explicit ConsoleReceiver(std::FILE* out) : out_(out) {}

  Status Send(const Notification& n, std::stop_token) override {
    std::string text;
    for (const AlertNotice& notice : n.changes) text += NoticeConsoleLine(notice) + "\n";
    if (n.folded > 0) {
      text += "[NOTICE] " + std::to_string(n.folded) + " notifications folded by the rate limit\n";
    }
    return Write(text);
  }

  bool WantsEvents() const override { return true; }
  Status SendEvent(const NamedEvent& event) override {
    return Write(EventConsoleLine(event) + "\n");
  }

 private:
  Status Write(const std::string& text) {
    if (std::fwrite(text.data(), 1, text.size(), out_) != text.size() || std::fflush(out_) != 0) {
      return Status::IOError("console: write failed");
    }
    return Status::Ok();
  }

  std::FILE* out_;
};

}  // namespace

std::unique_ptr<Receiver> MakeConsoleReceiver(std::FILE* out) {
  return std::make_unique<ConsoleReceiver>(out);
}

}  // namespace perfwatch
